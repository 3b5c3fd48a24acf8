#!/usr/bin/env python3
"""Turn the benchmark runs into one table, a CSV, a PNG and bench: lines.

Usage: bench-report.py --out DIR --host HOST.json CONFIG=RUNDIR...

RUNDIR/ktap.log holds what samples/bench/iodma_bench measured in that
guest (medians in ns); HOST.json is Google Benchmark's output of
tests/bench/gen_bench. Nothing here asserts a timing: figures are
reported against the targets, never checked.
"""
import argparse
import csv
import json
import math
import pathlib
import subprocess

SIZES = ["4K", "64K", "1M", "16M"]
FORMATS = {1: "host32", 2: "big32", 3: "little32", 4: "host64", 5: "big64",
           6: "little64", 7: "custom"}


def parse_run(path):
    rows, subrange, scaling, cpus = [], None, None, None
    profiles = []
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "row" and len(f) >= 7 and f[3] != "n/a":
            rows.append({"kind": f[1], "size": f[2], "raw": int(f[3]),
                         "iodma": int(f[4]), "segments": int(f[5]),
                         "iters": int(f[6])})
        elif f[0] == "row":
            rows.append({"kind": f[1], "size": f[2], "na": " ".join(f[3:])})
        elif f[0] == "subrange" and len(f) >= 4 and f[1] != "n/a":
            subrange = (int(f[1]), int(f[2]))
        elif f[0] == "scaling" and len(f) == 3:
            scaling = (int(f[1]), int(f[2]))
        elif f[0] == "cpus":
            cpus = int(f[1])
        elif f[0] == "profile":
            profiles.append(" ".join(f[1:]))
    return rows, subrange, scaling, cpus, profiles


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    lines, table, csv_rows, plot = [], [], [], {}

    for spec in a.runs:
        cfg, rundir = spec.split("=", 1)
        rows, sub, scal, cpus, profiles = parse_run(
            pathlib.Path(rundir) / "ktap.log")
        for p in profiles:
            lines.append(f"bench: profile {cfg} {p}")
        if not rows:
            lines.append(f"bench: missing {cfg} (no results; see {rundir})")
        for r in rows:
            if "na" in r:
                table.append((cfg, r["kind"], r["size"], "-", "-", "n/a", r["na"]))
                continue
            ratio = r["iodma"] / r["raw"]
            table.append((cfg, r["kind"], r["size"], str(r["raw"]),
                          str(r["iodma"]), f"{ratio:.3f}", str(r["segments"])))
            csv_rows.append([cfg, r["kind"], r["size"], r["raw"], r["iodma"],
                             f"{ratio:.4f}", r["segments"], r["iters"]])
            lines.append(f"bench: ratio {cfg} {r['kind']} {r['size']} {ratio:.2f}")
            plot.setdefault(cfg, {}).setdefault(r["size"], []).append(ratio)
        if sub:
            lines.append(f"bench: subrange {cfg} 64K-of-1G/64K {sub[0] / sub[1]:.2f}")
        else:
            lines.append(f"bench: subrange {cfg} n/a")
        if scal and scal[0]:
            lines.append(f"bench: scaling {cfg} 2vcpu/1vcpu {scal[1] / scal[0]:.2f}")
        else:
            lines.append(f"bench: scaling {cfg} n/a (cpus {cpus})")

    host = json.loads(pathlib.Path(a.host).read_text())
    worst = 0.0
    for b in host.get("benchmarks", []):
        name = b["name"]
        if name.startswith("BM_GenSegments/"):
            fmt, frag, split = (int(x) for x in name.split("/")[1:4])
            ns = b["ns_per_segment"] * 1e9
            layout = "fragmented" if frag else "contiguous"
            lines.append(f"bench: gen ns/segment {FORMATS[fmt]} {layout} "
                         f"{'split' if split else 'nosplit'} {ns:.1f}")
            if frag or split:
                worst = max(worst, ns)
        elif name.startswith("BM_AllocationsPerCycle"):
            lines.append(f"bench: allocations per cycle {b['allocs_per_cycle']:g}")
    lines.append(f"bench: gen ns/segment worst (fragmented or split) {worst:.1f}")

    head = ("configuration", "buffer", "size", "raw ns", "iodma ns",
            "iodma/raw", "segments")
    widths = [max(len(r[i]) for r in table + [head]) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()
    for line in lines:
        print(line)

    with open(out / "bench.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["config", "kind", "size", "raw_ns", "iodma_ns", "ratio",
                    "segments", "iterations"])
        w.writerows(csv_rows)
    (out / "bench.txt").write_text("\n".join(lines) + "\n")
    # The same table as reStructuredText, for Documentation/performance.rst.
    sep = "  ".join("=" * w for w in widths)
    rst = [sep, "  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip(), sep]
    # A lone "-" in a cell would be read as an empty bullet list.
    rst += ["  ".join((c if c != "-" else "n/a").ljust(w) for c, w in zip(r, widths)).rstrip()
            for r in table]
    rst.append(sep)
    (out / "bench-table.rst").write_text("\n".join(rst) + "\n")

    # One line per configuration: geometric mean of the kinds' ratios.
    dat = out / "bench-plot.dat"
    with open(dat, "w") as f:
        f.write("size " + " ".join(plot) + "\n")
        for i, size in enumerate(SIZES):
            vals = []
            for cfg in plot:
                r = plot[cfg].get(size)
                vals.append(f"{math.exp(sum(map(math.log, r)) / len(r)):.4f}"
                            if r else "NaN")
            f.write(f"{size} " + " ".join(vals) + "\n")
    gp = out / "bench.gp"
    cols = len(plot)
    gp.write_text(f"""set terminal pngcairo size 900,560
set output '{out / "bench.png"}'
set title 'iodma / raw DMA API (median ns; geometric mean over buffer kinds)'
set xlabel 'transfer size'
set ylabel 'iodma / raw'
set key top right
set grid
set yrange [0:*]
set style data linespoints
plot for [c=2:{cols + 1}] '{dat}' using c:xtic(1) title columnhead(c), 1.05 title 'target 1.05' lc rgb 'red' dt 2
""")
    try:
        subprocess.run(["gnuplot", str(gp)], check=True)
        print(f"bench: wrote {out / 'bench.csv'} and {out / 'bench.png'}")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench: plot failed: {e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
