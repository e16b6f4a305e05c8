#!/usr/bin/env python3
"""The VFIO corpus on both container backends (standard library only).

Every scenario of testcases/scenarios/vfio/ and mdev/ runs twice: with VFIO's own
type1 container (`--vfio-container legacy`) and with /dev/vfio/vfio served
by iommufd (`--vfio-container iommufd`, CONFIG_IOMMUFD_VFIO_CONTAINER).
Each step's result (the value after `=>`: an errno, a return value, a DMA's
outcome) is compared.  Every difference must be a row of
testcases/vfio-backends/divergences.txt, with the same legacy and iommufd
values, and every row must still be a difference: so the table is exactly
where the two backends part, each row with its reason from spec §G6.  The
iommufd runs must also be free of invariant violations (§H10, §H17, §H18).

`--update` rewrites the rows (keeping each one's reason; a new row gets
reason `?`, which then fails until someone gives it one).
"""
import argparse
import pathlib
import re
import subprocess
import sys

STEP = re.compile(r"^  \[(\d+)\] (.*?) => ([^:]*?)(?::.*)?$")


def results(iommusim, path, backend):
    out = subprocess.run([iommusim, "run", "--no-groups", "--vfio-container", backend,
                          str(path)], capture_output=True, text=True, timeout=120)
    steps = {}
    for line in out.stdout.splitlines():
        m = STEP.match(line)
        if m:
            steps[int(m.group(1))] = m.group(3)
    return steps, out.stdout + out.stderr


def load_table(path):
    rows, header = {}, []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            header.append(line)
            continue
        scen, step, reason, legacy, fd = line.split()
        rows[(scen, int(step))] = (reason, legacy, fd)
    return rows, header


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iommusim", required=True)
    ap.add_argument("--root", required=True, help="testcases/")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    table_path = root / "vfio-backends" / "divergences.txt"
    rows, header = load_table(table_path)
    seen, problems, found = set(), [], {}
    # the VFIO corpus: vfio/ and mdev/ (the mdev files written for iommufd
    # alone, iommufd-*.yaml, have nothing to compare)
    scenarios = sorted((root / "scenarios" / "vfio").glob("*.yaml")) + \
        sorted(f for f in (root / "scenarios" / "mdev").glob("*.yaml")
               if not f.name.startswith("iommufd-"))
    compared = 0
    for path in scenarios:
        name = path.stem
        legacy, ltext = results(args.iommusim, path, "legacy")
        fd, text = results(args.iommusim, path, "iommufd")
        if not fd and not legacy:
            # a file the loader refuses: the same error either way
            if ltext != text:
                problems.append(f"{name}: the loader answers differently:\n{text[:400]}")
            continue
        if not fd:
            problems.append(f"{name}: the iommufd run produced no steps:\n{text[:400]}")
            continue
        for line in text.splitlines():
            if "§H" in line and "invariant" in line.lower():
                problems.append(f"{name}: iommufd run: {line.strip()}")
        for step in sorted(set(legacy) | set(fd)):
            compared += 1
            a, b = legacy.get(step, "MISSING"), fd.get(step, "MISSING")
            if a == b:
                continue
            found[(name, step)] = (a, b)
            row = rows.get((name, step))
            if not row:
                problems.append(f"{name} step {step}: legacy {a}, iommufd {b}: not in the table")
            elif (row[1], row[2]) != (a, b):
                problems.append(f"{name} step {step}: legacy {a}, iommufd {b}: the table says "
                                f"{row[1]} -> {row[2]} ({row[0]})")
            elif row[0] == "?":
                problems.append(f"{name} step {step}: no reason given")
            seen.add((name, step))
    for key, row in sorted(rows.items()):
        if key not in seen and key not in found:
            problems.append(f"{key[0]} step {key[1]}: listed ({row[0]}) but no longer differs")
    if args.update:
        width = max((len(k[0]) for k in found), default=10)
        lines = [h for h in header if h.startswith("#")]
        for key in sorted(found):
            reason = rows.get(key, ("?",))[0]
            a, b = found[key]
            lines.append(f"{key[0]:{width}s} {key[1]:>3d}  {reason:15s} {a:>8s} {b}")
        table_path.write_text("\n".join(lines) + "\n")
        print(f"wrote {len(found)} rows to {table_path}")
        return 0
    reasons = {}
    for key in found:
        r = rows.get(key, ("?",))[0]
        reasons[r] = reasons.get(r, 0) + 1
    print(f"{len(scenarios)} scenarios, {compared} steps compared, {len(found)} differ "
          f"({', '.join(f'{k} {v}' for k, v in sorted(reasons.items()))})")
    for p in problems:
        print("FAIL:", p)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
