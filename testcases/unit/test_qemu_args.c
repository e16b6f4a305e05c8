/* SPDX-License-Identifier: MIT */
/*
 * iommusim qemu-args (tools/scenario/qemu_args.c): every mapping from a
 * topology entry to a QEMU 7.2 -device, every refusal with its message and
 * position, the firmware's bus numbering on nested topologies, output
 * formats, determinism, and the oracle's corpus (tools/oracle/corpus).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "tools/scenario/qemu_args.h"
#include "tools/scenario/scenario.h"
#include "unit_common.h"

#define HEAD "name: t\ntopology:\n"
/* lines 3.. of a text: the topology entries */
#define ROOT_PORT(bdf) "  - {bdf: \"" bdf "\", type: root-port}\n"
#define ROOT_PORT_ACS(bdf) \
	"  - {bdf: \"" bdf "\", type: root-port, acs: [SV, TB, RR, CR, UF, DT]}\n"
#define E1000E ", vendor: 0x8086, device: 0x10d3"
#define E1000 ", vendor: 0x8086, device: 0x100e"
#define EDU ", vendor: 0x1234, device: 0x11e8"
#define CHIPSET_1F \
	"  - {bdf: \"0000:00:1f.0\", type: pci-device, vendor: 0x8086, device: 0x2918, " \
	"multifunction: true}\n" \
	"  - {bdf: \"0000:00:1f.2\", type: pci-device, vendor: 0x8086, device: 0x2922, " \
	"multifunction: true}\n" \
	"  - {bdf: \"0000:00:1f.3\", type: pci-device, vendor: 0x8086, device: 0x2930, " \
	"multifunction: true}\n"
#define HOST_BRIDGE \
	"  - {bdf: \"0000:00:00.0\", type: pci-device, vendor: 0x8086, device: 0x29c0}\n"

static struct scenario *load_ok(const char *text)
{
	char *err = NULL;
	struct scenario *s = scenario_load_string(text, strlen(text), "t.yaml", &err);

	ck_assert_msg(s, "the scenario does not load: %s", err);
	return s;
}

/* The text output for @text, which must build. */
static char *args_text(const char *text, bool json)
{
	struct scenario *s = load_ok(text);
	GPtrArray *argv;
	char *err, *out;

	ck_assert_msg(!qemu_args_build(s, text, strlen(text), &argv, &err), "refused: %s", err);
	ck_assert_ptr_null(err);
	out = qemu_args_format(argv, json);
	g_ptr_array_unref(argv);
	scenario_free(s);
	return out;
}

static void expect_args(const char *text, const char *want)
{
	char *out = args_text(text, false);

	ck_assert_str_eq(out, want);
	g_free(out);
}

/*
 * @s (loaded from @text, or edited after loading) must be refused at line
 * @line, at the column where @token first occurs on that line (the key's
 * value, or '{' for the whole entry), with a message containing @want.
 * Frees @s.
 */
static void refuse_loaded_at(struct scenario *s, const char *text, unsigned line,
			     const char *token, const char *want)
{
	const char *l = text, *tok;
	GPtrArray *argv = NULL;
	char *err = NULL, *prefix;

	for (unsigned n = 1; n < line; n++) {
		l = strchr(l, '\n');
		ck_assert_msg(l, "no line %u", line);
		l++;
	}
	tok = strstr(l, token);
	ck_assert_msg(tok && (!strchr(l, '\n') || tok < strchr(l, '\n')),
		      "'%s' is not on line %u", token, line);
	prefix = g_strdup_printf("t.yaml:%u:%u: error: qemu-args: ", line,
				 (unsigned)(tok - l) + 1);
	ck_assert_int_eq(qemu_args_build(s, text, strlen(text), &argv, &err), -1);
	ck_assert_ptr_null(argv);
	ck_assert_msg(err && g_str_has_prefix(err, prefix), "error '%s' is not at '%s'", err,
		      prefix);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
	g_free(prefix);
	g_free(err);
	scenario_free(s);
}

static void refuse_at(const char *text, unsigned line, const char *token, const char *want)
{
	refuse_loaded_at(load_ok(text), text, line, token, want);
}

/* ---- mappings ----------------------------------------------------------- */

START_TEST(test_root_port_with_acs)
{
	expect_args(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		    "  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:1c.0\"" E1000E
		    ", driver: vfio-pci}\n",
		    "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,chassis=1\n"
		    "-device e1000e,id=e1000e_01_00_0,bus=rp_00_1c_0,addr=00.0,romfile=\n");
}
END_TEST

START_TEST(test_root_port_without_acs)
{
	expect_args(HEAD ROOT_PORT("0000:00:02.0"),
		    "-device pcie-root-port,id=rp_00_02_0,bus=pcie.0,addr=02.0,chassis=1,"
		    "disable-acs=on\n");
}
END_TEST

START_TEST(test_switch)
{
	expect_args(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		    "  - {bdf: \"0000:01:00.0\", type: upstream-port, parent: \"0000:00:1c.0\"}\n"
		    "  - {bdf: \"0000:02:00.0\", type: downstream-port, parent: \"0000:01:00.0\"}\n"
		    "  - {bdf: \"0000:02:01.0\", type: downstream-port, parent: \"0000:01:00.0\"}\n"
		    "  - {bdf: \"0000:03:00.0\", type: endpoint, parent: \"0000:02:00.0\"" E1000E "}\n"
		    "  - {bdf: \"0000:04:00.0\", type: endpoint, parent: \"0000:02:01.0\"" E1000E "}\n",
		    "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,chassis=1\n"
		    "-device x3130-upstream,id=usp_01_00_0,bus=rp_00_1c_0,addr=00.0\n"
		    "-device xio3130-downstream,id=dsp_02_00_0,bus=usp_01_00_0,addr=00.0,chassis=2\n"
		    "-device e1000e,id=e1000e_03_00_0,bus=dsp_02_00_0,addr=00.0,romfile=\n"
		    "-device xio3130-downstream,id=dsp_02_01_0,bus=usp_01_00_0,addr=01.0,chassis=3\n"
		    "-device e1000e,id=e1000e_04_00_0,bus=dsp_02_01_0,addr=00.0,romfile=\n");
}
END_TEST

START_TEST(test_conventional_bridges)
{
	expect_args(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		    "  - {bdf: \"0000:01:00.0\", type: pcie-to-pci-bridge, parent: \"0000:00:1c.0\"}\n"
		    "  - {bdf: \"0000:02:01.0\", type: pci-device, parent: \"0000:01:00.0\"" E1000 "}\n"
		    "  - {bdf: \"0000:02:02.0\", type: pci-device, parent: \"0000:01:00.0\"" EDU "}\n"
		    "  - {bdf: \"0000:02:03.0\", type: pci-bridge, parent: \"0000:01:00.0\"}\n"
		    "  - {bdf: \"0000:03:05.0\", type: pci-device, parent: \"0000:02:03.0\"" EDU "}\n"
		    "  - {bdf: \"0000:00:1d.0\", type: pci-bridge}\n"
		    "  - {bdf: \"0000:00:1e.0\", type: pcie-to-pci-bridge}\n",
		    "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,chassis=1\n"
		    "-device pcie-pci-bridge,id=ppb_01_00_0,bus=rp_00_1c_0,addr=00.0\n"
		    "-device e1000,id=e1000_02_01_0,bus=ppb_01_00_0,addr=01.0,romfile=\n"
		    "-device edu,id=edu_02_02_0,bus=ppb_01_00_0,addr=02.0\n"
		    "-device pci-bridge,id=pb_02_03_0,bus=ppb_01_00_0,addr=03.0,chassis_nr=2\n"
		    "-device edu,id=edu_03_05_0,bus=pb_02_03_0,addr=05.0\n"
		    "-device pci-bridge,id=pb_00_1d_0,bus=pcie.0,addr=1d.0,chassis_nr=3\n"
		    "-device pcie-pci-bridge,id=ppb_00_1e_0,bus=pcie.0,addr=1e.0\n");
}
END_TEST

START_TEST(test_root_bus_endpoints)
{
	expect_args(HEAD
		    "  - {bdf: \"0000:00:04.0\", type: pci-device" E1000 "}\n"
		    "  - {bdf: \"0000:00:02.0\", type: rc-endpoint" E1000E "}\n"
		    "  - {bdf: \"0000:00:03.0\", type: pci-device" EDU "}\n",
		    "-device e1000e,id=e1000e_00_02_0,bus=pcie.0,addr=02.0,romfile=\n"
		    "-device edu,id=edu_00_03_0,bus=pcie.0,addr=03.0\n"
		    "-device e1000,id=e1000_00_04_0,bus=pcie.0,addr=04.0,romfile=\n");
}
END_TEST

/* A conventional device straight in a port's slot: QEMU builds it. */
START_TEST(test_conventional_device_in_a_port)
{
	expect_args(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		    "  - {bdf: \"0000:01:00.0\", type: pci-device, parent: \"0000:00:1c.0\"" EDU "}\n",
		    "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,chassis=1\n"
		    "-device edu,id=edu_01_00_0,bus=rp_00_1c_0,addr=00.0\n");
}
END_TEST

START_TEST(test_multifunction)
{
	expect_args(HEAD
		    "  - {bdf: \"0000:00:1c.1\", type: root-port, multifunction: true}\n"
		    "  - {bdf: \"0000:00:1c.0\", type: root-port, multifunction: true}\n"
		    "  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:00:1c.1\", "
		    "multifunction: true" E1000E "}\n"
		    "  - {bdf: \"0000:02:00.1\", type: endpoint, parent: \"0000:00:1c.1\", "
		    "multifunction: true" E1000E "}\n"
		    "  - {bdf: \"0000:00:03.0\", type: pci-device, multifunction: true" EDU "}\n",
		    "-device edu,id=edu_00_03_0,bus=pcie.0,addr=03.0,multifunction=on\n"
		    "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,multifunction=on,"
		    "chassis=1,disable-acs=on\n"
		    "-device pcie-root-port,id=rp_00_1c_1,bus=pcie.0,addr=1c.1,chassis=2,"
		    "disable-acs=on\n"
		    "-device e1000e,id=e1000e_02_00_0,bus=rp_00_1c_1,addr=00.0,multifunction=on,"
		    "romfile=\n"
		    "-device e1000e,id=e1000e_02_00_1,bus=rp_00_1c_1,addr=00.1,romfile=\n");
}
END_TEST

/* q35's own functions may be declared; they print nothing. */
START_TEST(test_chipset_emits_nothing)
{
	const char *text = HEAD HOST_BRIDGE CHIPSET_1F;
	char *out = args_text(text, false), *json = args_text(text, true);

	ck_assert_str_eq(out, "");
	ck_assert_str_eq(json, "[]\n");
	g_free(out);
	g_free(json);
	expect_args(HEAD HOST_BRIDGE CHIPSET_1F
		    "  - {bdf: \"0000:00:02.0\", type: pci-device" EDU "}\n",
		    "-device edu,id=edu_00_02_0,bus=pcie.0,addr=02.0\n");
	/* declared as rc-endpoints (the same groups: none has ACS) */
	expect_args(HEAD "  - {bdf: \"0000:00:00.0\", type: rc-endpoint, vendor: 0x8086, "
		    "device: 0x29c0}\n", "");
}
END_TEST

/* Stating exactly what the model has is fine, vendor/device of bridges too. */
START_TEST(test_matching_details_accepted)
{
	expect_args(HEAD
		    "  - bdf: \"0000:00:1c.0\"\n"
		    "    type: root-port\n"
		    "    vendor: 0x1b36\n"
		    "    device: 0x000c\n"
		    "    acs: [SV, TB, RR, CR, UF, DT]\n"
		    "    acs_ctrl: [SV, RR, CR, UF]\n"
		    "    bars: {0: {size: 4K}}\n"
		    "    irqs: {intx: true, msi: 0, msix: 1}\n"
		    "    caps: {ats: false, pri: false}\n"
		    "  - bdf: \"0000:01:00.0\"\n"
		    "    type: endpoint\n"
		    "    parent: \"0000:00:1c.0\"\n"
		    "    vendor: 0x8086\n"
		    "    device: 0x10d3\n"
		    "    bars: {0: {size: 128K}, 1: {size: 128K}, 2: {size: 32, type: io},\n"
		    "           3: {size: 16K, type: mem32, prefetchable: false}}\n"
		    "    irqs: {intx: true, msi: 1, msix: 5}\n"
		    "  - {bdf: \"0000:00:1d.0\", type: pcie-to-pci-bridge, vendor: 0x1b36,\n"
		    "     bars: {0: {size: 256, type: mem64}}, irqs: {msi: 1, intx: true}}\n"
		    "  - {bdf: \"0000:00:06.0\", type: pci-device" E1000 ",\n"
		    "     bars: {0: {size: 128K}, 1: {size: 64, type: io}}, irqs: {msi: 0, msix: 0}}\n"
		    "  - {bdf: \"0000:00:07.0\", type: pci-device" EDU ", bars: {0: {size: 1M}},\n"
		    "     irqs: {intx: true, msi: 1}}\n"
		    HOST_BRIDGE
		    "  - {bdf: \"0000:00:1f.0\", type: pci-device, vendor: 0x8086, device: 0x2918, "
		    "multifunction: true, irqs: {intx: false}}\n"
		    "  - {bdf: \"0000:00:1f.2\", type: pci-device, vendor: 0x8086, device: 0x2922, "
		    "multifunction: true,\n"
		    "     bars: {4: {size: 32, type: io}, 5: {size: 4K}}, irqs: {msi: 1}}\n"
		    "  - {bdf: \"0000:00:1f.3\", type: pci-device, vendor: 0x8086, device: 0x2930, "
		    "multifunction: true, bars: {4: {size: 64, type: io}}}\n",
		    "-device e1000,id=e1000_00_06_0,bus=pcie.0,addr=06.0,romfile=\n"
		    "-device edu,id=edu_00_07_0,bus=pcie.0,addr=07.0\n"
		    "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,chassis=1\n"
		    "-device e1000e,id=e1000e_01_00_0,bus=rp_00_1c_0,addr=00.0,romfile=\n"
		    "-device pcie-pci-bridge,id=ppb_00_1d_0,bus=pcie.0,addr=1d.0\n");
}
END_TEST

/* ---- bus numbers -------------------------------------------------------- */

/*
 * The firmware walks depth first in devfn order: 1c.0 -> 01, its switch's
 * internal bus 02, a second-level switch below 02:00.0 on 03 (internal bus
 * 04, endpoint bus 05), the empty downstream port 02:03.0 -> 06, the empty
 * 1c.1 -> 07, 1d.0 -> 08 with a pcie-pci-bridge -> 09 and a pci-bridge
 * below it -> 0a.
 */
static const char nested[] = HEAD
	"  - {bdf: \"0000:00:1d.0\", type: root-port}\n"
	"  - {bdf: \"0000:08:00.0\", type: pcie-to-pci-bridge, parent: \"0000:00:1d.0\"}\n"
	"  - {bdf: \"0000:09:02.0\", type: pci-bridge, parent: \"0000:08:00.0\"}\n"
	"  - {bdf: \"0000:0a:00.0\", type: pci-device, parent: \"0000:09:02.0\"" EDU "}\n"
	"  - {bdf: \"0000:00:1c.0\", type: root-port, multifunction: true}\n"
	"  - {bdf: \"0000:00:1c.1\", type: root-port, multifunction: true}\n"
	"  - {bdf: \"0000:01:00.0\", type: upstream-port, parent: \"0000:00:1c.0\"}\n"
	"  - {bdf: \"0000:02:00.0\", type: downstream-port, parent: \"0000:01:00.0\"}\n"
	"  - {bdf: \"0000:02:03.0\", type: downstream-port, parent: \"0000:01:00.0\"}\n"
	"  - {bdf: \"0000:03:00.0\", type: upstream-port, parent: \"0000:02:00.0\"}\n"
	"  - {bdf: \"0000:04:00.0\", type: downstream-port, parent: \"0000:03:00.0\"}\n"
	"  - {bdf: \"0000:05:00.0\", type: endpoint, parent: \"0000:04:00.0\"" E1000E "}\n";

START_TEST(test_bus_numbers_nested)
{
	char *out = args_text(nested, false);

	ck_assert_str_eq(out,
		"-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,multifunction=on,"
		"chassis=1,disable-acs=on\n"
		"-device x3130-upstream,id=usp_01_00_0,bus=rp_00_1c_0,addr=00.0\n"
		"-device xio3130-downstream,id=dsp_02_00_0,bus=usp_01_00_0,addr=00.0,chassis=2\n"
		"-device x3130-upstream,id=usp_03_00_0,bus=dsp_02_00_0,addr=00.0\n"
		"-device xio3130-downstream,id=dsp_04_00_0,bus=usp_03_00_0,addr=00.0,chassis=3\n"
		"-device e1000e,id=e1000e_05_00_0,bus=dsp_04_00_0,addr=00.0,romfile=\n"
		"-device xio3130-downstream,id=dsp_02_03_0,bus=usp_01_00_0,addr=03.0,chassis=4\n"
		"-device pcie-root-port,id=rp_00_1c_1,bus=pcie.0,addr=1c.1,chassis=5,"
		"disable-acs=on\n"
		"-device pcie-root-port,id=rp_00_1d_0,bus=pcie.0,addr=1d.0,chassis=6,"
		"disable-acs=on\n"
		"-device pcie-pci-bridge,id=ppb_08_00_0,bus=rp_00_1d_0,addr=00.0\n"
		"-device pci-bridge,id=pb_09_02_0,bus=ppb_08_00_0,addr=02.0,chassis_nr=7\n"
		"-device edu,id=edu_0a_00_0,bus=pb_09_02_0,addr=00.0\n");
	g_free(out);
}
END_TEST

/* Buses of the nested machine moved: the error names the firmware's number. */
START_TEST(test_bus_numbers_refused)
{
	GString *t = g_string_new(nested);

	/* the second-level switch's endpoint one bus too far */
	g_string_replace(t, "0000:05:00.0", "0000:06:00.0", 0);
	refuse_at(t->str, 14, "\"0000:06:00.0\"", "0000:06:00.0 is on bus 06, but QEMU's "
		  "firmware numbers this bus 05 (the secondary bus of 0000:04:00.0; buses are "
		  "numbered from 1, depth first in devfn order): renumber it so guest BDFs "
		  "equal the scenario's");
	g_string_free(t, TRUE);
	/* the bus below the pci-bridge of the last hierarchy */
	t = g_string_new(nested);
	g_string_replace(t, "0000:0a:00.0", "0000:0b:00.0", 0);
	refuse_at(t->str, 6, "\"0000:0b:00.0\"", "0000:0b:00.0 is on bus 0b, but QEMU's "
		  "firmware numbers this bus 0a (the secondary bus of 0000:09:02.0");
	g_string_free(t, TRUE);
	/* an empty root port still takes a number: 1c.0 gets 01, so the bus
	 * below 1d.0 is 02, not the scenario's 03 */
	refuse_at(HEAD ROOT_PORT("0000:00:1c.0") ROOT_PORT("0000:00:1d.0")
		  "  - {bdf: \"0000:03:00.0\", type: endpoint, parent: \"0000:00:1d.0\"" E1000E "}\n",
		  5, "\"0000:03:00.0\"", "is on bus 03, but QEMU's firmware numbers this bus 02");
}
END_TEST

/* ---- refusals, one each ------------------------------------------------- */

START_TEST(test_refuse_domain)
{
	refuse_at(HEAD ROOT_PORT("0001:00:1c.0"), 3, "\"0001", "QEMU's q35 has one PCI domain, "
		  "0000: 0001:00:1c.0 is in domain 0001");
}
END_TEST

START_TEST(test_refuse_second_root_bus)
{
	refuse_at(HEAD ROOT_PORT("0000:00:1c.0") ROOT_PORT("0000:40:00.0"), 4, "\"0000:40",
		  "0000:40:00.0 has no parent, but q35's only root bus is pcie.0, bus 00");
}
END_TEST

START_TEST(test_refuse_chipset_slot)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:1f.4\", type: pci-device" EDU "}\n", 3, "\"0000",
		  "slots 00:00 and 00:1f are q35's own (host bridge 00:00.0; ICH9 LPC 00:1f.0, "
		  "SATA 00:1f.2, SMBus 00:1f.3): 0000:00:1f.4 cannot be added there");
	refuse_at(HEAD ROOT_PORT("0000:00:00.1"), 3, "\"0000", "0000:00:00.1 cannot be added");
}
END_TEST

START_TEST(test_refuse_chipset_ids)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:00.0\", type: pci-device" E1000 "}\n", 3, "0x8086",
		  "0000:00:00.0 is q35's host bridge, 8086:29c0, but the scenario gives it "
		  "8086:100e");
	refuse_at(HEAD "  - {bdf: \"0000:00:00.0\", type: pci-device}\n", 3, "{",
		  "gives it no vendor/device");
}
END_TEST

START_TEST(test_refuse_chipset_type)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:00.0\", type: root-port, vendor: 0x8086, "
		  "device: 0x29c0}\n", 3, "root-port", "q35's host bridge 0000:00:00.0 is a "
		  "conventional PCI function on the root bus: write type: pci-device (or "
		  "rc-endpoint), not root-port");
}
END_TEST

START_TEST(test_refuse_host_bridge_multifunction)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:00.0\", type: pci-device, vendor: 0x8086, "
		  "device: 0x29c0, multifunction: true}\n", 3, "true",
		  "q35's host bridge 0000:00:00.0 is single-function: remove multifunction");
}
END_TEST

START_TEST(test_refuse_partial_chipset)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:1f.0\", type: pci-device, vendor: 0x8086, "
		  "device: 0x2918, multifunction: true}\n", 3, "\"0000",
		  "declare all of q35's 00:1f functions or none (LPC 00:1f.0, SATA 00:1f.2, "
		  "SMBus 00:1f.3: the guest kernel groups them together): 0000:00:1f.2 is "
		  "missing");
}
END_TEST

START_TEST(test_refuse_bridge_ids)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:1c.0\", type: root-port, vendor: 0x8086, "
		  "device: 0x3b42}\n", 3, "0x8086", "QEMU's pcie-root-port is 1b36:000c, not "
		  "8086:3b42: remove vendor and device or write those");
	refuse_at(HEAD "  - {bdf: \"0000:00:1c.0\", type: pci-bridge, device: 0x0002}\n", 3,
		  "0x0002", "QEMU's pci-bridge is 1b36:0001, not 0000:0002");
}
END_TEST

START_TEST(test_refuse_unknown_model)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, vendor: 0x1af4, "
		  "device: 0x1041}\n", 3, "0x1af4", "QEMU has no model for 0000:00:02.0 "
		  "(1af4:1041): the endpoints it builds are e1000e (8086:10d3, PCI Express), "
		  "e1000 (8086:100e, PCI) and edu (1234:11e8, PCI)");
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint}\n", 3, "\"0000",
		  "QEMU has no model for 0000:00:02.0 (no vendor/device)");
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, device: 0x10d3}\n", 3,
		  "0x10d3", "(0000:10d3)");
}
END_TEST

START_TEST(test_refuse_below_upstream_port)
{
	refuse_at(HEAD ROOT_PORT("0000:00:1c.0")
		  "  - {bdf: \"0000:01:00.0\", type: upstream-port, parent: \"0000:00:1c.0\"}\n"
		  "  - {bdf: \"0000:02:00.0\", type: endpoint, parent: \"0000:01:00.0\"" E1000E "}\n",
		  5, "endpoint", "below an upstream-port is the switch's internal bus, where "
		  "QEMU's x3130-upstream has only downstream-ports: 0000:02:00.0 is an endpoint");
}
END_TEST

START_TEST(test_refuse_port_device_not_zero)
{
	refuse_at(HEAD ROOT_PORT("0000:00:1c.0")
		  "  - {bdf: \"0000:01:01.0\", type: endpoint, parent: \"0000:00:1c.0\"" E1000E "}\n",
		  4, "\"0000:01", "Linux scans only device 00 below a PCI Express port "
		  "(only_one_child), so the guest would not see 0000:01:01.0: use device 00 "
		  "on bus 01");
}
END_TEST

START_TEST(test_refuse_root_port_below_a_port)
{
	refuse_at(HEAD ROOT_PORT("0000:00:1c.0")
		  "  - {bdf: \"0000:01:00.0\", type: root-port, parent: \"0000:00:1c.0\"}\n",
		  4, "\"0000:00:1c.0\"", "QEMU's pcie-root-port goes on the root bus pcie.0 "
		  "only, not below a root-port");
}
END_TEST

START_TEST(test_refuse_pcie_pci_bridge_on_conventional_bus)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:05.0\", type: pci-bridge}\n"
		  "  - {bdf: \"0000:01:00.0\", type: pcie-to-pci-bridge, parent: \"0000:00:05.0\"}\n",
		  4, "\"0000:00:05.0\"", "QEMU's pcie-pci-bridge is a PCI Express device: put it "
		  "on the root bus or below a root-port or downstream-port, not below a "
		  "pci-bridge (0000:00:05.0)");
}
END_TEST

/*
 * The refusals of a model's type, BARs and interrupts.  iommusim's loader
 * may know the model too (model/pci/devmodel.h) and refuse such a file
 * itself, so each text states the model's own value at the key and the
 * spec is edited afterwards to what a scenario saying otherwise loads as.
 */
START_TEST(test_refuse_conventional_model_type)
{
	const char *text = HEAD ROOT_PORT("0000:00:1c.0")
		"  - {bdf: \"0000:01:00.0\", type: pci-device, parent: \"0000:00:1c.0\"" EDU "}\n";
	struct scenario *s = load_ok(text);

	s->topology[1].type = PCI_TYPE_ENDPOINT;
	refuse_loaded_at(s, text, 4, "pci-device", "QEMU's edu is a conventional PCI device: "
			 "write type: pci-device, not endpoint");
}
END_TEST

START_TEST(test_refuse_e1000e_endpoint_on_root_bus)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: endpoint" E1000E "}\n", 3, "endpoint",
		  "QEMU's e1000e on the root bus is a root-complex integrated endpoint: write "
		  "type: rc-endpoint");
}
END_TEST

START_TEST(test_refuse_e1000e_on_conventional_bus)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:05.0\", type: pcie-to-pci-bridge}\n"
		  "  - {bdf: \"0000:01:00.0\", type: endpoint, parent: \"0000:00:05.0\"" E1000E "}\n",
		  4, "\"0000:00:05.0\"", "QEMU's e1000e is a PCI Express endpoint: put it below "
		  "a root-port or downstream-port, not below a pcie-to-pci-bridge (a "
		  "conventional bus)");
}
END_TEST

START_TEST(test_refuse_e1000e_rc_endpoint_below_port)
{
	refuse_at(HEAD ROOT_PORT("0000:00:1c.0")
		  "  - {bdf: \"0000:01:00.0\", type: rc-endpoint, parent: \"0000:00:1c.0\"" E1000E
		  "}\n", 4, "rc-endpoint", "below a root-port QEMU's e1000e is a PCI Express "
		  "endpoint: write type: endpoint");
}
END_TEST

/* The e1000e device model refuses another type when the scenario loads;
 * qemu-args' own refusal is for a loaded topology changed after. */
START_TEST(test_refuse_e1000e_other_type)
{
	const char *text = HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint" E1000E "}\n";
	struct scenario *s = load_ok(text);

	s->topology[0].type = PCI_TYPE_LEGACY_ENDPOINT;
	refuse_loaded_at(s, text, 3, "rc-endpoint", "QEMU's e1000e is a PCI Express endpoint: "
			 "write type: endpoint (below a port) or rc-endpoint (on the root bus), "
			 "not legacy-endpoint");
}
END_TEST

START_TEST(test_refuse_function_without_function_0)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:03.1\", type: pci-device, multifunction: true"
		  EDU "}\n", 3, "\"0000", "0000:00:03.1 has no function 0 in the topology: "
		  "Linux looks for a slot's other functions only after function 0, so add "
		  "0000:00:03.0");
}
END_TEST

START_TEST(test_refuse_later_function_not_multifunction)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, multifunction: true"
		  EDU "}\n"
		  "  - {bdf: \"0000:00:03.1\", type: pci-device" EDU "}\n", 4, "{",
		  "Linux marks every function after .0 multifunction (pci_scan_slot), so "
		  "iommusim must too: write multifunction: true on 0000:00:03.1");
}
END_TEST

START_TEST(test_refuse_function_0_not_multifunction)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, multifunction: false"
		  EDU "}\n"
		  "  - {bdf: \"0000:00:03.2\", type: pci-device, multifunction: true" EDU "}\n",
		  3, "false", "0000:00:03.0 shares its slot with 0000:00:03.2, so function 0 "
		  "must be multifunction (QEMU: multifunction=on): write multifunction: true");
}
END_TEST

START_TEST(test_refuse_root_port_acs_bits)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:1c.0\", type: root-port, acs: [SV, RR, CR, UF]}\n",
		  3, "[SV", "QEMU's pcie-root-port advertises ACS SV TB RR CR UF DT: write "
		  "acs: [SV, TB, RR, CR, UF, DT], or remove acs for a port without ACS "
		  "(disable-acs=on)");
}
END_TEST

START_TEST(test_refuse_switch_port_acs)
{
	refuse_at(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		  "  - {bdf: \"0000:01:00.0\", type: upstream-port, parent: \"0000:00:1c.0\"}\n"
		  "  - {bdf: \"0000:02:00.0\", type: downstream-port, parent: \"0000:01:00.0\", "
		  "acs: [SV, RR, CR, UF]}\n", 5, "[SV",
		  "QEMU's xio3130-downstream has no ACS capability; remove acs or use another "
		  "type");
	refuse_at(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		  "  - {bdf: \"0000:01:00.0\", type: upstream-port, parent: \"0000:00:1c.0\", "
		  "acs: []}\n", 4, "[]", "QEMU's x3130-upstream has no ACS capability");
	refuse_at(HEAD "  - {bdf: \"0000:00:05.0\", type: pcie-to-pci-bridge, acs: [SV]}\n", 3,
		  "[SV", "QEMU's pcie-pci-bridge has no ACS capability");
}
END_TEST

START_TEST(test_refuse_endpoint_acs)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, multifunction: true, "
		  "acs: [SV, RR, CR, UF]" E1000E "}\n", 3, "[SV", "QEMU cannot express ACS on an "
		  "endpoint: its e1000e has no ACS capability; remove acs");
}
END_TEST

START_TEST(test_refuse_acs_ctrl)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:1c.0\", type: root-port, acs: [SV, TB, RR, CR, UF, "
		  "DT], acs_ctrl: [SV, RR, CR]}\n", 3, "[SV, RR, CR]", "QEMU cannot express "
		  "acs_ctrl: the guest kernel enables SV RR CR UF of the capability itself; "
		  "remove acs_ctrl");
}
END_TEST

START_TEST(test_refuse_acs_quirk)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:1c.0\", type: root-port, acs_quirk: true}\n", 3,
		  "true", "QEMU cannot express acs_quirk: the guest kernel picks its quirks by "
		  "vendor and device; remove acs_quirk");
}
END_TEST

START_TEST(test_refuse_dma_alias)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, dma_alias: [\"00:04.0\"]"
		  EDU "}\n", 3, "[\"00", "QEMU cannot express dma_alias: none of its models DMAs "
		  "under another requester id; remove dma_alias");
}
END_TEST

START_TEST(test_refuse_caps_ats)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, caps: {pri: false, "
		  "ats: true}" E1000E "}\n", 3, "true", "QEMU cannot express caps.ats: its e1000e "
		  "has no ATS capability; remove it");
}
END_TEST

START_TEST(test_refuse_caps_pri)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, caps: {pri: true}"
		  E1000E "}\n", 3, "true", "QEMU cannot express caps.pri: its e1000e has no PRI "
		  "capability; remove it");
}
END_TEST

START_TEST(test_refuse_caps_pasid)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, caps: {pasid: 8}"
		  E1000E "}\n", 3, "8}", "QEMU cannot express caps.pasid: its e1000e has no PASID "
		  "capability; remove it");
}
END_TEST

/* a function behind no IOMMU (iommu: false, no-IOMMU mode's devices):
 * q35's intel-iommu translates its whole root bus */
START_TEST(test_refuse_no_iommu)
{
	refuse_at(HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, iommu: false"
		  E1000E "}\n", 3, "false", "QEMU 7.2 cannot put one function outside the "
		  "intel-iommu on q35 (bypass_iommu is per root bus, and the oracle's machine "
		  "has one); remove iommu: false");
}
END_TEST

START_TEST(test_refuse_bar_missing)
{
	const char *plain = HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint" E1000E "}\n";
	const char *text = HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, bars: {4: "
			   "{size: 4K}}" E1000E "}\n";

	/* the text states a BAR the scenario was not loaded with */
	refuse_loaded_at(load_ok(plain), text, 3, "4: {size: 4K}", "QEMU's e1000e has no BAR 4; "
			 "remove it from bars");
}
END_TEST

START_TEST(test_refuse_bar_differs)
{
	const char *edu = HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, bars: {0: "
			  "{size: 1M}}" EDU "}\n";
	const char *nic = HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, bars: {0: "
			  "{size: 128K}, 1: {size: 128K}, 2: {size: 32, type: io}, 3: {size: 16K}}"
			  E1000E "}\n";
	struct scenario *s = load_ok(edu);

	s->topology[0].bars[0] = (struct pci_bar){ 4096, PCI_BAR_MEM64, true };
	refuse_loaded_at(s, edu, 3, "0: {size", "QEMU's edu BAR 0 is 1M mem32; the scenario "
			 "says 4K mem64 prefetchable");
	s = load_ok(nic);
	s->topology[0].bars[2].size = 64;
	refuse_loaded_at(s, nic, 3, "2: {size", "QEMU's e1000e BAR 2 is 32-byte io; the "
			 "scenario says 64-byte io");
}
END_TEST

START_TEST(test_refuse_intx)
{
	const char *edu = HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, irqs: {intx: true}"
			  EDU "}\n";
	struct scenario *s = load_ok(edu);

	s->topology[0].intx = false;
	refuse_loaded_at(s, edu, 3, "true", "QEMU's edu has an INTx pin (irqs.intx: true)");
	refuse_at(HEAD ROOT_PORT_ACS("0000:00:1c.0")
		  "  - {bdf: \"0000:01:00.0\", type: upstream-port, parent: \"0000:00:1c.0\", "
		  "irqs: {intx: true}}\n", 4, "true", "QEMU's x3130-upstream has no INTx pin "
		  "(irqs.intx: false)");
}
END_TEST

START_TEST(test_refuse_msi)
{
	const char *edu = HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, irqs: {msi: 1}"
			  EDU "}\n";
	const char *nic = HEAD "  - {bdf: \"0000:00:04.0\", type: pci-device, irqs: {msi: 0}"
			  E1000 "}\n";
	struct scenario *s = load_ok(edu);

	s->topology[0].msi_vectors = 4;
	refuse_loaded_at(s, edu, 3, "1}", "QEMU's edu has 1 MSI vector (irqs.msi: 1); the "
			 "scenario says 4");
	s = load_ok(nic);
	s->topology[0].msi_vectors = 1;
	refuse_loaded_at(s, nic, 3, "0}", "QEMU's e1000 has no MSI capability (irqs.msi: 0); "
			 "the scenario says 1");
}
END_TEST

START_TEST(test_refuse_msix)
{
	const char *nic = HEAD "  - {bdf: \"0000:00:02.0\", type: rc-endpoint, irqs: {msi: 1, "
			  "msix: 5}" E1000E "}\n";
	struct scenario *s = load_ok(nic);

	s->topology[0].msix_vectors = 4;
	refuse_loaded_at(s, nic, 3, "5}", "QEMU's e1000e has 5 MSI-X vectors (irqs.msix: 5); "
			 "the scenario says 4");
}
END_TEST

/* ---- the text handed over ----------------------------------------------- */

START_TEST(test_text_not_yaml)
{
	const char *text = HEAD ROOT_PORT("0000:00:1c.0");
	struct scenario *s = load_ok(text);
	GPtrArray *argv;
	char *err;

	ck_assert_int_eq(qemu_args_build(s, "a: [", 4, &argv, &err), -1);
	ck_assert_ptr_null(argv);
	ck_assert_msg(g_str_has_prefix(err, "t.yaml:2:1: error: YAML syntax"), "%s", err);
	g_free(err);
	scenario_free(s);
}
END_TEST

START_TEST(test_text_not_the_scenarios)
{
	const char *text = HEAD ROOT_PORT("0000:00:1c.0");
	const char *other = HEAD ROOT_PORT("0000:00:1c.0") ROOT_PORT("0000:00:1d.0");
	const char *not_map = HEAD "  - 7\n";
	struct scenario *s = load_ok(text);
	GPtrArray *argv;
	char *err;

	ck_assert_int_eq(qemu_args_build(s, other, strlen(other), &argv, &err), -1);
	ck_assert_str_eq(err, "t.yaml:1:1: error: qemu-args: this text is not the scenario's "
			 "(its topology has 2 entries, the scenario 1)");
	g_free(err);
	ck_assert_int_eq(qemu_args_build(s, "name: x\n", 8, &argv, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "its topology has 0 entries"));
	g_free(err);
	ck_assert_int_eq(qemu_args_build(s, not_map, strlen(not_map), &argv, &err), -1);
	ck_assert_str_eq(err, "t.yaml:3:5: error: qemu-args: this text is not the scenario's "
			 "(topology entry 0 is not a mapping)");
	g_free(err);
	scenario_free(s);
}
END_TEST

/* A BAR index the text spells differently than the loaded scenario. */
START_TEST(test_text_bad_bar_index)
{
	const char *text = HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, "
			   "bars: {0: {size: 1M}}" EDU "}\n";
	const char *other = HEAD "  - {bdf: \"0000:00:03.0\", type: pci-device, "
			    "bars: {x: {size: 1M}}" EDU "}\n";
	struct scenario *s = load_ok(text);
	GPtrArray *argv;
	char *err;

	ck_assert_int_eq(qemu_args_build(s, other, strlen(other), &argv, &err), -1);
	ck_assert_str_eq(err, "t.yaml:3:52: error: BAR index must be a number, not 'x'");
	g_free(err);
	scenario_free(s);
}
END_TEST

START_TEST(test_build_file)
{
	char *path = g_build_filename(g_get_tmp_dir(), "iommusim-qemu-args-XXXXXX.yaml", NULL);
	const char *text = HEAD ROOT_PORT("0000:00:1c.0");
	struct scenario *s;
	GPtrArray *argv;
	char *err = NULL, *out;
	int fd = g_mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert(g_file_set_contents(path, text, -1, NULL));
	s = scenario_load_file(path, &err);
	ck_assert_msg(s, "%s", err);
	ck_assert_int_eq(qemu_args_build_file(s, &argv, &err), 0);
	out = qemu_args_format(argv, false);
	ck_assert_str_eq(out, "-device pcie-root-port,id=rp_00_1c_0,bus=pcie.0,addr=1c.0,"
			 "chassis=1,disable-acs=on\n");
	g_free(out);
	g_ptr_array_unref(argv);
	/* the file went away after loading */
	ck_assert_int_eq(g_unlink(path), 0);
	ck_assert_int_eq(qemu_args_build_file(s, &argv, &err), -1);
	ck_assert_ptr_null(argv);
	ck_assert_msg(g_str_has_prefix(err, path) && strstr(err, ":1:1: error: "), "%s", err);
	g_free(err);
	scenario_free(s);
	close(fd);
	g_free(path);
}
END_TEST

/* ---- output and determinism ----------------------------------------------- */

START_TEST(test_format)
{
	GPtrArray *argv = g_ptr_array_new();
	char *out;

	out = qemu_args_format(argv, false);
	ck_assert_str_eq(out, "");
	g_free(out);
	g_ptr_array_add(argv, (char *)"-device");
	g_ptr_array_add(argv, (char *)"e1000,id=a,romfile=");
	g_ptr_array_add(argv, (char *)"-name");
	g_ptr_array_add(argv, (char *)"it's a \"test\"\\\t");
	g_ptr_array_add(argv, (char *)"");
	out = qemu_args_format(argv, false);
	ck_assert_str_eq(out, "-device e1000,id=a,romfile=\n"
			 "-name 'it'\\''s a \"test\"\\\t' ''\n");
	g_free(out);
	out = qemu_args_format(argv, true);
	ck_assert_str_eq(out, "[\"-device\",\"e1000,id=a,romfile=\",\"-name\","
			 "\"it's a \\\"test\\\"\\\\\\u0009\",\"\"]\n");
	g_free(out);
	g_ptr_array_unref(argv);
}
END_TEST

/* The same machine written in another order gives the same arguments. */
START_TEST(test_deterministic)
{
	GString *shuffled = g_string_new(HEAD);
	const char *lines = nested + strlen(HEAD);
	gchar **v = g_strsplit(lines, "\n", -1);
	guint n = g_strv_length(v);
	char *a = args_text(nested, false), *b = args_text(nested, false), *c, *j1, *j2;

	/* the entries in reverse order */
	for (guint i = n; i-- > 0;)
		if (*v[i])
			g_string_append_printf(shuffled, "%s\n", v[i]);
	c = args_text(shuffled->str, false);
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(a, c);
	j1 = args_text(nested, true);
	j2 = args_text(shuffled->str, true);
	ck_assert_str_eq(j1, j2);
	ck_assert(g_str_has_prefix(j1, "[\"-device\",\"pcie-root-port,id=rp_00_1c_0,"));
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(j1);
	g_free(j2);
	g_strfreev(v);
	g_string_free(shuffled, TRUE);
}
END_TEST

/* Every scenario of the oracle's corpus passes `check` and qemu-args. */
START_TEST(test_oracle_corpus)
{
	const char *src = getenv("IOMMUSIM_SRC");
	char *dir;
	GDir *d;
	const char *f;
	unsigned count = 0;

	if (!src)
		src = ".";
	dir = g_build_filename(src, "tools", "oracle", "corpus", NULL);
	d = g_dir_open(dir, 0, NULL);
	ck_assert_msg(d, "no %s", dir);
	while ((f = g_dir_read_name(d))) {
		char *path, *err = NULL;
		struct scenario *s;
		GPtrArray *argv;

		if (!g_str_has_prefix(f, "topo-") || !g_str_has_suffix(f, ".yaml"))
			continue;
		path = g_build_filename(dir, f, NULL);
		s = scenario_load_file(path, &err);
		ck_assert_msg(s, "%s", err);
		ck_assert_msg(s->warnings->len == 0, "%s warns", path);
		ck_assert_msg(!s->nprocs && !s->nsteps && !s->expect, "%s has more than a "
			      "topology", path);
		ck_assert_msg(!qemu_args_build_file(s, &argv, &err), "%s", err);
		g_ptr_array_unref(argv);
		scenario_free(s);
		g_free(path);
		count++;
	}
	ck_assert_uint_ge(count, 10);
	g_dir_close(d);
	g_free(dir);
}
END_TEST

static Suite *qemu_args_suite(void)
{
	Suite *s = suite_create("qemu_args");
	TCase *map = tcase_create("mapping"), *bus = tcase_create("bus_numbers");
	TCase *ref = tcase_create("refusals"), *io = tcase_create("io");

	tcase_add_test(map, test_root_port_with_acs);
	tcase_add_test(map, test_root_port_without_acs);
	tcase_add_test(map, test_switch);
	tcase_add_test(map, test_conventional_bridges);
	tcase_add_test(map, test_root_bus_endpoints);
	tcase_add_test(map, test_conventional_device_in_a_port);
	tcase_add_test(map, test_multifunction);
	tcase_add_test(map, test_chipset_emits_nothing);
	tcase_add_test(map, test_matching_details_accepted);
	tcase_add_test(bus, test_bus_numbers_nested);
	tcase_add_test(bus, test_bus_numbers_refused);
	tcase_add_test(ref, test_refuse_domain);
	tcase_add_test(ref, test_refuse_second_root_bus);
	tcase_add_test(ref, test_refuse_chipset_slot);
	tcase_add_test(ref, test_refuse_chipset_ids);
	tcase_add_test(ref, test_refuse_chipset_type);
	tcase_add_test(ref, test_refuse_host_bridge_multifunction);
	tcase_add_test(ref, test_refuse_partial_chipset);
	tcase_add_test(ref, test_refuse_bridge_ids);
	tcase_add_test(ref, test_refuse_unknown_model);
	tcase_add_test(ref, test_refuse_below_upstream_port);
	tcase_add_test(ref, test_refuse_port_device_not_zero);
	tcase_add_test(ref, test_refuse_root_port_below_a_port);
	tcase_add_test(ref, test_refuse_pcie_pci_bridge_on_conventional_bus);
	tcase_add_test(ref, test_refuse_conventional_model_type);
	tcase_add_test(ref, test_refuse_e1000e_endpoint_on_root_bus);
	tcase_add_test(ref, test_refuse_e1000e_on_conventional_bus);
	tcase_add_test(ref, test_refuse_e1000e_rc_endpoint_below_port);
	tcase_add_test(ref, test_refuse_e1000e_other_type);
	tcase_add_test(ref, test_refuse_function_without_function_0);
	tcase_add_test(ref, test_refuse_later_function_not_multifunction);
	tcase_add_test(ref, test_refuse_function_0_not_multifunction);
	tcase_add_test(ref, test_refuse_root_port_acs_bits);
	tcase_add_test(ref, test_refuse_switch_port_acs);
	tcase_add_test(ref, test_refuse_endpoint_acs);
	tcase_add_test(ref, test_refuse_acs_ctrl);
	tcase_add_test(ref, test_refuse_acs_quirk);
	tcase_add_test(ref, test_refuse_dma_alias);
	tcase_add_test(ref, test_refuse_caps_ats);
	tcase_add_test(ref, test_refuse_no_iommu);
	tcase_add_test(ref, test_refuse_caps_pri);
	tcase_add_test(ref, test_refuse_caps_pasid);
	tcase_add_test(ref, test_refuse_bar_missing);
	tcase_add_test(ref, test_refuse_bar_differs);
	tcase_add_test(ref, test_refuse_intx);
	tcase_add_test(ref, test_refuse_msi);
	tcase_add_test(ref, test_refuse_msix);
	tcase_add_test(io, test_text_not_yaml);
	tcase_add_test(io, test_text_not_the_scenarios);
	tcase_add_test(io, test_text_bad_bar_index);
	tcase_add_test(io, test_build_file);
	tcase_add_test(io, test_format);
	tcase_add_test(io, test_deterministic);
	tcase_add_test(io, test_oracle_corpus);
	suite_add_tcase(s, map);
	suite_add_tcase(s, bus);
	suite_add_tcase(s, ref);
	suite_add_tcase(s, io);
	return s;
}

int main(void)
{
	return unit_run(qemu_args_suite());
}
