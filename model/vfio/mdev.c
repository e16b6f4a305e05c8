/* SPDX-License-Identifier: MIT */
/*
 * Mediated devices: a device whose DMA a kernel driver performs in
 * software, so no IOMMU translates it (VFIO_EMULATED_IOMMU).  What the
 * kernel's mdev core, vfio_register_emulated_iommu_dev and the type1
 * backend's pinning interface do; the parent driver is the simulator's own
 * (the kernel's sample parents, mtty, mdpy and mbochs, never touch guest
 * memory; drivers that do, like kvmgt and vfio-ccw, pin it).
 *
 *  - The parent "sim_mdev" (a virtual device, as the samples' are) exists
 *    when vfio.mdev_instances > 0: its one type, "sim_mdev-dma", takes that
 *    many devices (parent->available_instances).  Writing a UUID to
 *    /sys/class/mdev_bus/sim_mdev/mdev_supported_types/sim_mdev-dma/create
 *    makes one (create_store, mdev_device_create): a length other than 36
 *    or 37 bytes or a malformed UUID -> EINVAL, a UUID in use -> EEXIST,
 *    no instance left -> EUSERS.  Writing a non-zero number to
 *    /sys/bus/mdev/devices/UUID/remove removes it (remove_store,
 *    mdev_device_remove): not a number -> EINVAL, removal already under
 *    way -> EAGAIN; while a device file is open the removal waits for its
 *    last close (vfio_unregister_group_dev), the device already gone from
 *    its group's list.
 *  - Each device is alone in a group VFIO makes (vfio_noiommu_group_alloc
 *    with VFIO_EMULATED_IOMMU: an iommu_group with no name, the lowest id
 *    free above the IOMMU core's), with its node /dev/vfio/N.  Its
 *    container attach claims no DMA ownership; type1 gives it no domain.
 *  - GET_DEVICE_FD takes the exact UUID (dev_name; sim_mdev has no match
 *    op).  The device file knows VFIO_DEVICE_GET_INFO only (no regions, no
 *    interrupts: sim_mdev is a DMA engine and nothing else).  Its first
 *    open registers it with the container's backend, which from then on
 *    calls its dma_unmap before unmapping pages it pinned; its last close
 *    unpins everything it holds (close_device) and unregisters.
 *  - On iommufd (a group set on an iommufd, or the cdev
 *    /dev/vfio/devices/vfioN: an mdev takes its vfio_device_ida index at
 *    creation like any vfio device) the first open binds instead
 *    (vfio_iommufd_emulated_bind, cdev.c): an iommufd access object, whose
 *    id is the device id; the group path attaches it to the compat IOAS,
 *    the cdev path by ATTACH_IOMMUFD_PT.  iommufd calls the driver's
 *    dma_unmap through the access's unmap op before it unmaps what the
 *    driver pinned (IOMMU_IOAS_UNMAP, or UNMAP_DMA on the compat IOAS).
 *  - Its DMA (sim_mdev_pin / _unpin / _dma, steps mdev_pin, mdev_unpin,
 *    mdev_dma): vfio_pin_pages, then reads and writes of the pinned pages
 *    as the driver's own accesses, or vfio_dma_rw through the mappings;
 *    on a container through its backend (type1), on iommufd through the
 *    access (iommufd_access_pin_pages / _unpin_pages / _rw).  type1
 *    marks what they touch dirty (docs/devices.md "mediated").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "sim/fault.h"
#include "sim/file.h"
#include "sim/mem.h"
#include "sim/proc.h"
#include "sim/sysfs.h"
#include "sim/trace.h"
#include "sim/world.h"
#include "model/iommu/group.h"
#include "model/iommu/pgtable.h"
#include "model/iommufd/iommufd.h"
#include "model/vfio/vfio.h"
#include "model/vfio/vfio_private.h"
#include "iommusim/iommusim.h"

#define MDEV_PARENT "sim_mdev"
#define MDEV_TYPE   "sim_mdev-dma"
#define UUID_STRING_LEN 36
#define VFIO_PIN_PAGES_MAX_ENTRIES 512   /* PAGE_SIZE / sizeof(unsigned long) */

static struct mdev_state *mdev_find(struct vfio_state *v, const char *uuid)
{
	for (guint i = 0; i < v->mdevs->len; i++) {
		struct mdev_state *m = g_ptr_array_index(v->mdevs, i);

		if (!strcmp(m->uuid, uuid))
			return m;
	}
	return NULL;
}

/* guid_parse: 8-4-4-4-12 hex digits; lower-cased into @out (dev_name is
 * printed with %pUl). */
static int guid_parse(const char *s, char out[37])
{
	for (int i = 0; i < UUID_STRING_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !g_ascii_isxdigit(s[i]))
			return -EINVAL;
		out[i] = g_ascii_tolower(s[i]);
	}
	out[UUID_STRING_LEN] = '\0';
	return 0;
}

/* ---- removal ------------------------------------------------------------------------- */

/* The last part of mdev_device_remove: the group goes and the instance is
 * available again. */
static void mdev_remove_finish(struct mdev_state *m)
{
	struct vfio_state *v = m->vfio;
	struct vfio_group *g = m->group;

	SIM_TRACE(v->w, vfio_mdev_remove, m->uuid, m->ig->id, 0);
	vfio_mdev_cdev_del(m);
	vfio_mdev_index_free(m);           /* vfio_device_release: ida_free */
	g_ptr_array_remove(v->mdevs, m);   /* the id is free again */
	g->mdev = NULL;
	g->nr_vfio_devices = 0;
	vfio_group_remove(g);
	g_array_free(m->pins, TRUE);
	g_free(m);
}

static int mdev_remove(struct mdev_state *m)
{
	if (m->removing)
		return -EAGAIN;          /* !mdev->active: a removal is under way */
	if (m->files) {
		/* vfio_unregister_group_dev waits for the last file (of
		 * either path) to close; the device is already off the
		 * group's list and its cdev node gone (vfio_device_del) */
		m->removing = true;
		vfio_mdev_cdev_del(m);
		SIM_TRACE(m->vfio->w, vfio_mdev_remove, m->uuid, m->ig->id, 1);
		return 0;
	}
	mdev_remove_finish(m);
	return 0;
}

/* ---- the device's DMA ---------------------------------------------------------------- */

/*
 * vfio_unpin_pages for the page of record @i, dropping the records it
 * covers: on a container that page alone; on iommufd the whole
 * vfio_pin_pages call it came from, as iommufd_access_unpin_pages gives
 * back only a range pinned as one.  How many records went.
 */
static unsigned mdev_unpin_at(struct mdev_state *m, guint i)
{
	struct mdev_pin *pin = &g_array_index(m->pins, struct mdev_pin, i);
	uint64_t call = pin->call;
	unsigned n = 0;

	if (m->reg_ops) {
		if (m->reg_ops->unpin_pages)
			m->reg_ops->unpin_pages(m->reg_data, pin->iova, 1);
		g_array_remove_index(m->pins, i);
		return 1;
	}
	if (m->access)
		iommufd_access_unpin_pages(m->access, pin->call_iova,
					   (uint64_t)pin->call_npage * SIM_PAGE_SIZE);
	for (guint k = m->pins->len; k-- > 0;)
		if (g_array_index(m->pins, struct mdev_pin, k).call == call) {
			g_array_remove_index(m->pins, k);
			n++;
		}
	return n;
}

void vfio_mdev_dma_unmap(struct mdev_state *m, uint64_t iova, uint64_t size)
{
	unsigned unpinned = 0;
	bool again = true;

	while (again) {
		again = false;
		for (guint i = m->pins->len; i-- > 0;) {
			uint64_t at = g_array_index(m->pins, struct mdev_pin, i).iova;

			if (at >= iova && at - iova < size) {
				unpinned += mdev_unpin_at(m, i);
				again = true;    /* records moved: look again */
				break;
			}
		}
	}
	SIM_TRACE(m->vfio->w, vfio_dma_unmap_notify, m->uuid, (unsigned long long)iova,
		  (unsigned long long)size, unpinned);
}

/* ---- the device file ----------------------------------------------------------------- */

/* VFIO_DEVICE_GET_INFO: argsz below minsz -> EINVAL; no regions, no
 * interrupts. */
static long mdev_get_info(struct sim_proc *p, unsigned long arg)
{
	size_t minsz = vfio_offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;
	long ret = vfio_copy_argsz_in(p, arg, &info, minsz);

	if (ret)
		return ret;
	info.flags = 0;
	info.num_regions = 0;
	info.num_irqs = 0;
	return sim_copy_to_user(p, arg, &info, minsz) ? -EFAULT : 0;
}

/* vfio_device_fops_unl_ioctl: the cdev ioctls first (BIND_IOMMUFD, then
 * EINVAL until bound, then ATTACH/DETACH on a cdev file), then the
 * driver's own. */
static long mdev_ioctl(struct sim_file *f, struct sim_proc *p, unsigned int cmd,
		       unsigned long arg)
{
	long ret = vfio_df_cdev_ioctl(f->private_data, p, cmd, arg);

	if (ret != 1)
		return ret;
	return cmd == VFIO_DEVICE_GET_INFO ? mdev_get_info(p, arg) : -ENOTTY;
}

/* close_device: a driver lets go of all it pinned. */
static void mdev_close_device(struct mdev_state *m)
{
	while (m->pins->len)
		mdev_unpin_at(m, m->pins->len - 1);
}

int vfio_mdev_df_open(struct vfio_device_file *df)
{
	struct mdev_state *m = df->mdev;
	struct vfio_container *c = df->group ? df->group->container : NULL;
	int ret;

	if (m->open_count && !df->group)
		return -EINVAL;          /* the cdev path opens once */
	if (!m->open_count) {
		/* vfio_df_device_first_open: bind, or use the container */
		if (df->iommufd) {
			ret = vfio_iommufd_emulated_bind(m, df->iommufd);
			if (ret)
				return ret;
		} else if (c && c->driver->register_device) {
			/* vfio_device_container_register */
			c->driver->register_device(c->driver_data, m);
			m->reg_ops = c->driver;
			m->reg_data = c->driver_data;
		}
	}
	m->open_count++;
	return 0;
}

void vfio_mdev_df_close(struct vfio_device_file *df)
{
	struct mdev_state *m = df->mdev;

	if (--m->open_count)
		return;
	/* vfio_df_device_last_close: close_device, then unbind or
	 * unregister */
	mdev_close_device(m);
	if (m->access)
		vfio_iommufd_emulated_unbind(m);
	if (m->reg_ops && m->reg_ops->unregister_device)
		m->reg_ops->unregister_device(m->reg_data, m);
	m->reg_ops = NULL;
	m->reg_data = NULL;
}

/* vfio_device_fops_release: a group file's device closes, a cdev's
 * unbinds; then the registration reference goes (a removal waiting for
 * it finishes). */
static void mdev_release(struct sim_file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct mdev_state *m = df->mdev;
	struct vfio_group *g = df->group;

	if (g) {
		struct sim_file *gfile = g->file;

		vfio_df_group_close(f->w, df, m->uuid);
		sim_file_put(gfile);     /* the group file this fd held */
	} else {
		vfio_df_unbind_iommufd(df);
	}
	g_free(df);
	if (!--m->files && m->removing)
		mdev_remove_finish(m);
}

const struct sim_file_ops vfio_mdev_fops = {
	.name = "vfio-device",
	.ioctl = mdev_ioctl,
	.release = mdev_release,
};

/*
 * GET_DEVICE_FD of a mediated device, in the kernel's order: not the
 * device's UUID or being removed -> ENODEV; no container nor iommufd, or
 * a container without a backend -> EINVAL (vfio_df_group_open); then
 * vfio_df_open, which on an iommufd binds (the access object) and, the
 * first open, the attach to the compat IOAS (vfio_iommufd_compat_attach_ioas:
 * ENODEV without one, the access's attach errors; the open undone).
 */
long vfio_mdev_get_device_fd(struct vfio_group *g, struct sim_proc *p, const char *name)
{
	struct mdev_state *m = g->mdev;
	struct vfio_container *c = g->container;
	struct vfio_device_file *df;
	struct sim_file *f;
	long ret = 0;

	if (!m || m->removing || strcmp(m->uuid, name))
		ret = -ENODEV;
	else if (!vfio_group_has_iommu(g) || (c && !c->driver))
		ret = -EINVAL;
	else if (sim_should_fail(p->w, "vfio_device_open"))
		ret = -ENOMEM;
	if (ret)
		goto out;
	df = g_new0(struct vfio_device_file, 1);
	df->mdev = m;
	df->group = g;
	df->iommufd = c ? NULL : g->iommufd;
	ret = vfio_df_open(df);
	if (!ret && df->iommufd && m->open_count == 1) {
		ret = vfio_iommufd_emulated_compat_attach(m, df->iommufd);
		if (ret)
			vfio_df_close(df);
	}
	if (ret) {
		g_free(df);
		goto out;
	}
	df->access_granted = true;
	f = sim_file_new(p->w, &vfio_mdev_fops, df, O_RDWR | O_CLOEXEC, name);
	if (!f) {
		vfio_df_close(df);
		g_free(df);
		ret = -ENOMEM;
		goto out;
	}
	m->files++;
	sim_file_get(g->file);
	g->device_fds++;
	if (c) {
		df->uses_container = true;
		g->container_users++;
	} else {
		g->iommufd_fds++;
	}
	ret = sim_fd_install(p, f, true);
	sim_file_put(f);                    /* on failure this releases it */
out:
	SIM_TRACE(p->w, vfio_device_open, name, g->iommu_group->id, ret);
	return ret;
}

struct mdev_state *vfio_mdev_of(struct vfio_state *v, const void *p)
{
	for (guint i = 0; p && i < v->mdevs->len; i++)
		if (g_ptr_array_index(v->mdevs, i) == p)
			return g_ptr_array_index(v->mdevs, i);
	return NULL;
}

/* ---- sysfs ----------------------------------------------------------------------------- */

/* mdev_device_create and the probe of sim_mdev (vfio_register_emulated_iommu_dev). */
static int mdev_create(struct vfio_state *v, const char *uuid)
{
	struct mdev_state *m;
	struct vfio_group *g;
	unsigned id;
	int ret;

	if (mdev_find(v, uuid))
		return -EEXIST;
	if (v->mdevs->len >= v->params.mdev_instances)
		return -EUSERS;
	if (sim_should_fail(v->w, "mdev_device_create"))
		return -ENOMEM;
	m = g_new0(struct mdev_state, 1);
	m->vfio = v;
	g_strlcpy(m->uuid, uuid, sizeof(m->uuid));
	m->pins = g_array_new(FALSE, FALSE, sizeof(struct mdev_pin));
	m->index = -1;
	m->ig = vfio_fake_group_new(vfio_fake_group_id_alloc(v));
	id = m->ig->id;
	g_ptr_array_add(v->mdevs, m);
	g = vfio_group_get_or_create(v, m->ig, false);
	ret = g ? 0 : -ENOMEM;
	if (g) {
		g->emulated = true;
		g->mdev = m;
		m->group = g;
		ret = vfio_group_add_device(v, g);
		if (ret) {
			vfio_group_maybe_free(g);    /* frees the iommu group too */
		} else if ((ret = vfio_mdev_cdev_add(m))) {
			/* vfio_init_device / vfio_device_add failed */
			g->mdev = NULL;
			g->nr_vfio_devices = 0;
			vfio_group_remove(g);
		}
	} else {
		vfio_noiommu_group_free(m->ig);
	}
	SIM_TRACE(v->w, vfio_mdev_create, uuid, id, ret);
	if (ret) {
		g_ptr_array_remove(v->mdevs, m);
		g_array_free(m->pins, TRUE);
		g_free(m);
	}
	return ret;
}

/* /sys/class/mdev_bus/: PARENT/mdev_supported_types/TYPE/create. */
static int mdev_bus_store(struct sim_world *w, void *ctx, const char *rest, const char *value)
{
	struct vfio_state *v = ctx;
	char **parts = g_strsplit(rest, "/", -1);
	size_t count = strlen(value);
	char uuid[37];
	int ret = -ENOENT;

	(void)w;
	if (v->params.mdev_instances && g_strv_length(parts) == 4 &&
	    !strcmp(parts[0], MDEV_PARENT) && !strcmp(parts[1], "mdev_supported_types") &&
	    !strcmp(parts[2], MDEV_TYPE) && !strcmp(parts[3], "create")) {
		if (count < UUID_STRING_LEN || count > UUID_STRING_LEN + 1 ||
		    guid_parse(value, uuid))
			ret = -EINVAL;
		else
			ret = mdev_create(v, uuid);
	}
	g_strfreev(parts);
	return ret;
}

/* kstrtoul(buf, 0): a number in any base, one trailing newline allowed. */
static int kstrtoul(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || g_ascii_isspace(*s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || end == s || (*end && !(end[0] == '\n' && !end[1])))
		return -EINVAL;
	return 0;
}

/* /sys/bus/mdev/: devices/UUID/remove. */
static int mdev_dev_store(struct sim_world *w, void *ctx, const char *rest, const char *value)
{
	struct vfio_state *v = ctx;
	char **parts = g_strsplit(rest, "/", -1);
	struct mdev_state *m = NULL;
	unsigned long val;
	int ret = -ENOENT;

	(void)w;
	if (g_strv_length(parts) == 3 && !strcmp(parts[0], "devices") &&
	    !strcmp(parts[2], "remove") && (m = mdev_find(v, parts[1])))
		ret = kstrtoul(value, &val) ? -EINVAL : val ? mdev_remove(m) : 0;
	g_strfreev(parts);
	return ret;
}

int vfio_mdev_init(struct vfio_state *v)
{
	int ret = sim_sysfs_register(v->w, "/sys/class/mdev_bus/", mdev_bus_store, v);

	return ret ? ret : sim_sysfs_register(v->w, "/sys/bus/mdev/", mdev_dev_store, v);
}

/* The world goes: every file is closed already. */
void vfio_mdev_destroy(struct vfio_state *v)
{
	while (v->mdevs->len) {
		struct mdev_state *m = g_ptr_array_index(v->mdevs, v->mdevs->len - 1);

		m->open_count = 0;
		mdev_remove_finish(m);
	}
	g_ptr_array_free(v->mdevs, TRUE);
	sim_sysfs_unregister(v->w, "/sys/class/mdev_bus/");
	sim_sysfs_unregister(v->w, "/sys/bus/mdev/");
}

/* ---- the public DMA calls ------------------------------------------------------------ */

/* The device and its backend, open (vfio_assert_device_open), or -errno. */
static int mdev_open_backend(struct sim_world *w, const char *uuid, struct mdev_state **out)
{
	struct vfio_state *v;

	if (!w || !uuid)
		return -EINVAL;
	v = vfio_get(w);
	if (!v || !(*out = mdev_find(v, uuid)))
		return -ENODEV;
	/* WARN_ON(!vfio_assert_device_open), and neither a container
	 * (vfio_device_has_container) nor an access: EINVAL */
	if (!(*out)->open_count || (!(*out)->reg_ops && !(*out)->access))
		return -EINVAL;
	return 0;
}

int sim_mdev_iommu_group(struct sim_world *w, const char *uuid)
{
	struct vfio_state *v;
	struct mdev_state *m;

	if (!w || !uuid)
		return -EINVAL;
	v = vfio_get(w);
	m = v ? mdev_find(v, uuid) : NULL;
	return m && !m->removing ? (int)m->ig->id : -ENODEV;
}

/*
 * vfio_pin_pages on iommufd: iommufd_access_pin_pages of npage * PAGE_SIZE
 * bytes from the page holding @iova (VFIO ignores the offset), writable
 * with IOMMU_WRITE (IOMMUFD_ACCESS_RW_WRITE); @npage or iommufd's errno.
 * No VFIO_PIN_PAGES_MAX_ENTRIES limit here: only the container path has
 * one.  A negative count has no pages array to fill: EINVAL (the kernel's
 * npage * PAGE_SIZE would wrap).
 */
static int mdev_pin_iommufd(struct mdev_state *m, uint64_t iova, int npage, unsigned prot,
			    uint64_t *hpas)
{
	uint64_t start = iova & SIM_PAGE_MASK;
	int ret;

	if (npage < 0)
		return -EINVAL;
	ret = iommufd_access_pin_pages(m->access, start, (uint64_t)npage * SIM_PAGE_SIZE, hpas,
				       prot & IOMMU_WRITE ? IOMMUFD_ACCESS_RW_WRITE : 0);
	return ret ? ret : npage;
}

/* vfio_pin_pages as sim_mdev calls it; the pages become the driver's. */
int sim_mdev_pin(struct sim_world *w, const char *uuid, uint64_t iova, int npage,
		 unsigned flags)
{
	unsigned prot = IOMMU_READ | (flags & SIM_MDEV_WRITE ? IOMMU_WRITE : 0);
	struct mdev_state *m = NULL;
	uint64_t *hpas = NULL;
	int ret = mdev_open_backend(w, uuid, &m);

	if (!ret && (flags & ~SIM_MDEV_WRITE))
		ret = -EINVAL;
	if (!ret && !npage)
		ret = -EINVAL;           /* vfio_pin_pages: !npage */
	else if (!ret && !m->access && npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		ret = -E2BIG;            /* vfio_device_container_pin_pages only */
	else if (!ret && !m->access && !m->reg_ops->pin_pages)
		ret = -ENOTTY;
	if (!ret && npage > 0) {
		uint64_t call = ++m->pin_calls, start = m->access ? iova & SIM_PAGE_MASK : iova;

		hpas = g_new0(uint64_t, npage);
		ret = m->access ? mdev_pin_iommufd(m, iova, npage, prot, hpas)
				: m->reg_ops->pin_pages(m->reg_data, m->ig, iova, npage, prot, hpas);
		for (int i = 0; i < ret; i++) {
			struct mdev_pin pin = { start + (uint64_t)i * SIM_PAGE_SIZE, hpas[i],
						(prot & IOMMU_WRITE) != 0, call, start, npage };

			g_array_append_val(m->pins, pin);
		}
		g_free(hpas);
	} else if (!ret && m->access) {
		ret = mdev_pin_iommufd(m, iova, npage, prot, NULL);
	}
	if (m)
		SIM_TRACE(w, vfio_pin_pages, m->uuid, (unsigned long long)iova, npage, prot, ret);
	return ret;
}

/* The driver's record of a pin of @iova, newest first; -1 for none. */
static gint mdev_pin_index(struct mdev_state *m, uint64_t iova)
{
	for (guint i = m->pins->len; i-- > 0;)
		if (g_array_index(m->pins, struct mdev_pin, i).iova == iova)
			return (gint)i;
	return -1;
}

/* On iommufd: the record of the newest vfio_pin_pages call of exactly
 * @npage pages from @iova's page; -1 for none. */
static gint mdev_pin_call_index(struct mdev_state *m, uint64_t iova, int npage)
{
	uint64_t start = iova & SIM_PAGE_MASK;
	gint best = -1;

	for (guint i = 0; i < m->pins->len; i++) {
		const struct mdev_pin *pin = &g_array_index(m->pins, struct mdev_pin, i);

		if (pin->call_iova == start && pin->call_npage == npage &&
		    (best < 0 || pin->call > g_array_index(m->pins, struct mdev_pin, best).call))
			best = (gint)i;
	}
	return best;
}

/* vfio_unpin_pages of pages the driver pinned; -EINVAL (nothing done)
 * when it holds no pin of one of them: a driver bug the kernel only WARNs
 * about, refused here.  On iommufd the range must be one vfio_pin_pages
 * call's, exactly (iommufd_access_unpin_pages -> iopt_area_remove_access
 * finds an access's pins by their exact range and WARNs otherwise); the
 * container's 512-page limit is not iommufd's. */
int sim_mdev_unpin(struct sim_world *w, const char *uuid, uint64_t iova, int npage)
{
	struct mdev_state *m = NULL;
	int ret = mdev_open_backend(w, uuid, &m);

	if (!ret && (npage <= 0 || (!m->access && npage > VFIO_PIN_PAGES_MAX_ENTRIES)))
		ret = -EINVAL;
	if (!ret && m->access) {
		gint i = mdev_pin_call_index(m, iova, npage);

		if (i < 0)
			ret = -EINVAL;
		else
			mdev_unpin_at(m, (guint)i);
		goto out;
	}
	for (int i = 0; !ret && i < npage; i++)
		if (mdev_pin_index(m, iova + (uint64_t)i * SIM_PAGE_SIZE) < 0)
			ret = -EINVAL;
	for (int i = 0; !ret && i < npage; i++)
		mdev_unpin_at(m, (guint)mdev_pin_index(m, iova + (uint64_t)i * SIM_PAGE_SIZE));
out:
	if (m && !ret)
		SIM_TRACE(w, vfio_unpin_pages, m->uuid, (unsigned long long)iova, npage);
	return ret;
}

/* The driver's own access to pages it pinned (kmap): every page of the
 * range must be pinned by it (-EINVAL), for writing to write it (-EPERM). */
static int mdev_pinned_rw(struct mdev_state *m, uint64_t iova, void *buf, size_t len,
			  bool write)
{
	uint8_t *data = buf;

	for (uint64_t at = iova & SIM_PAGE_MASK; at < iova + len; at += SIM_PAGE_SIZE) {
		gint i = mdev_pin_index(m, at);

		if (i < 0)
			return -EINVAL;
		if (write && !g_array_index(m->pins, struct mdev_pin, i).write)
			return -EPERM;
	}
	while (len) {
		size_t off = iova & (SIM_PAGE_SIZE - 1), n = MIN(len, SIM_PAGE_SIZE - off);
		uint64_t hpa = g_array_index(m->pins, struct mdev_pin,
					     mdev_pin_index(m, iova & SIM_PAGE_MASK)).hpa;
		int ret = write ? sim_mem_write(m->vfio->w, hpa + off, data, n)
				: sim_mem_read(m->vfio->w, hpa + off, data, n);

		if (ret)
			return ret;
		data += n;
		iova += n;
		len -= n;
	}
	return 0;
}

int sim_mdev_dma(struct sim_world *w, const char *uuid, uint64_t iova, void *buf, size_t len,
		 unsigned flags)
{
	struct mdev_state *m = NULL;
	bool write = flags & SIM_MDEV_WRITE;
	int ret = mdev_open_backend(w, uuid, &m);

	if (!ret && ((flags & ~(SIM_MDEV_WRITE | SIM_MDEV_PINNED)) || !buf || !len ||
		     len > INT32_MAX || iova + len - 1 < iova))
		ret = -EINVAL;           /* vfio_dma_rw: !data || len <= 0 */
	else if (!ret && (flags & SIM_MDEV_PINNED))
		ret = mdev_pinned_rw(m, iova, buf, len, write);
	else if (!ret && m->access)
		/* vfio_dma_rw on iommufd: the driver runs with no user mm
		 * here (IOMMUFD_ACCESS_RW_KTHREAD), WRITE for a write */
		ret = iommufd_access_rw(m->access, iova, buf, len,
					IOMMUFD_ACCESS_RW_KTHREAD |
						(write ? IOMMUFD_ACCESS_RW_WRITE : 0));
	else if (!ret && !m->reg_ops->dma_rw)
		ret = -ENOTTY;
	else if (!ret)
		ret = m->reg_ops->dma_rw(m->reg_data, iova, buf, len, write);
	if (m)
		SIM_TRACE(w, vfio_dma_rw, m->uuid, (unsigned long long)iova,
			  (unsigned long long)len, write, ret);
	return ret;
}
