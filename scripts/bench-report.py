#!/usr/bin/env python3
"""Judge the benchmark runs of one kernel; write a table, CSV, PNG and
"bench:" lines.

Usage: bench-report.py --out DIR [--kernel NAME] [--host HOST.json]
                       MODE:CONFIG=RUNDIR...

MODE is "icount" (QEMU -icount: the guest's clock counts instructions, so
every figure is an instruction count and the same from run to run; the
targets use this mode) or "wall" (wall-clock ns under TCG on a shared
host: noisy). RUNDIR/ktap.log holds what samples/bench/iodma_bench printed
in that guest (medians), RUNDIR/qemu.exit QEMU's exit status. HOST.json is
Google Benchmark's output of tests/bench/gen_bench.

Exit status 1, with a "bench: FAIL" line for each reason, when a run did
not produce a complete result: QEMU failed or timed out, the module
printed an "error" line (a failed transfer, a scaling worker of iodma or
raw (best) that failed, never started or did no cycle), a row or figure is
missing or unreadable (raw (best)'s scaling must accompany iodma's), or the
run never reached its end. Timings are reported against the targets, never
asserted: they are measurements, not tests.
"""
import argparse
import csv
import json
import math
import pathlib
import re
import statistics
import subprocess

KINDS = ["kmalloc", "vmalloc", "pages", "user"]
SIZES = ["4K", "64K", "1M", "16M"]
# kmalloc's largest allocation is 4 MiB: the one row that may be n/a.
MAY_BE_NA = {("kmalloc", "16M")}
MODES = {"icount": "instructions (QEMU -icount: the guest's clock counts them)",
         "wall": "wall-clock ns under TCG"}
TARGET_MODE = "icount"
FORMATS = {1: "host32", 2: "big32", 3: "little32", 4: "host64", 5: "big64",
           6: "little64", 7: "custom"}
ROW = re.compile(r"row (\S+) (\S+) typical (\d+) best (\d+) iodma (\d+) "
                 r"segments (\d+) iterations (\d+)$")
PROFILE = re.compile(r"profile (\S+) (\S+) (typical|best|iodma)((?: \S+ \d+)+)$")


class Run:
    """What one guest printed, and what is wrong with it."""

    def __init__(self, mode, cfg, rundir):
        self.mode, self.cfg, self.dir = mode, cfg, rundir
        self.rows, self.na, self.profile, self.scaling = {}, {}, {}, []
        self.scaling_raw = []
        self.subrange = self.clock = self.cpus = None
        self.problems = []
        self.parse()

    def scale(self, div):
        """ns of a guest clock counting 2^shift ns per instruction ->
        instructions."""
        for x in self.rows.values():
            for k in ("typical", "best", "iodma"):
                x[k] = max(1, round(x[k] / div))
        for key, ph in self.profile.items():
            self.profile[key] = [(n, round(v / div)) for n, v in ph]
        if self.clock is not None:
            self.clock = round(self.clock / div)

    def bad(self, why):
        self.problems.append(why)

    def parse(self):
        log = self.dir / "ktap.log"
        status = self.dir / "qemu.exit"
        if not status.exists():
            self.bad("no QEMU exit status")
        elif status.read_text().strip() != "0":
            rc = status.read_text().strip()
            self.bad("QEMU timed out (exit 124)" if rc == "124"
                     else f"QEMU exited with status {rc}")
        if not log.exists():
            self.bad("no ktap.log (the benchmark never ran)")
            return
        done = False
        for line in log.read_text(errors="replace").splitlines():
            line = line.strip()
            if not line:
                continue
            f = line.split()
            m = ROW.match(line)
            if m:
                key = (m[1], m[2])
                if key in self.rows or key in self.na:
                    self.bad(f"row {m[1]} {m[2]} reported twice")
                vals = [int(m[i]) for i in range(3, 8)]
                if 0 in vals[:3] or vals[4] == 0:
                    self.bad(f"row {m[1]} {m[2]}: a time of 0 or no iteration")
                    self.na[key] = "unusable"
                    continue
                self.rows[key] = dict(zip(
                    ("typical", "best", "iodma", "segments", "iters"), vals))
            elif f[0] == "row" and len(f) >= 4 and f[3] == "n/a":
                self.na[(f[1], f[2])] = " ".join(f[3:])
            elif f[0] == "error":
                self.bad("guest: " + line)
            elif (m := PROFILE.match(line)):
                ph = m[4].split()
                self.profile[(m[1], m[2], m[3])] = [
                    (ph[i], int(ph[i + 1])) for i in range(0, len(ph), 2)]
            elif f[0] == "subrange" and len(f) == 4 and f[1].isdigit():
                self.subrange = (int(f[1]), int(f[2]))
            elif f[0] == "scaling" and len(f) == 4 and all(
                    x.isdigit() for x in f[1:]):
                self.scaling.append((int(f[2]), int(f[3])))
            elif f[0] == "scaling-raw" and len(f) == 4 and all(
                    x.isdigit() for x in f[1:]):
                self.scaling_raw.append((int(f[2]), int(f[3])))
            elif f[0] == "clock" and len(f) == 2 and f[1].isdigit():
                self.clock = int(f[1])
            elif f[0] == "cpus" and len(f) == 2:
                self.cpus = f[1]
            elif f[0] == "done":
                done = True
            else:
                self.bad(f"unreadable line: {line}")
        if not done:
            self.bad("the benchmark did not reach its end (no 'done')")
        for kind in KINDS:
            for size in SIZES:
                key = (kind, size)
                if key in self.rows:
                    continue
                if key in self.na:
                    if key not in MAY_BE_NA and self.na[key] != "unusable":
                        self.bad(f"row {kind} {size}: {self.na[key]}")
                else:
                    self.bad(f"row {kind} {size} missing")
        if self.subrange is None:
            self.bad("sub-range figure missing")
        if not self.scaling and self.mode == "wall":
            self.bad("scaling figure missing")
        elif any(a == 0 or b == 0 for a, b in self.scaling):
            self.bad("a scaling measurement of 0 cycles")
        if self.scaling and len(self.scaling_raw) != len(self.scaling):
            self.bad(f"raw (best) scaling: {len(self.scaling_raw)} "
                     f"measurements for {len(self.scaling)} of iodma")
        elif any(a == 0 or b == 0 for a, b in self.scaling_raw):
            self.bad("a raw (best) scaling measurement of 0 cycles")
        if self.clock is None:
            self.bad("clock figure missing")


def geomean(v):
    return math.exp(sum(map(math.log, v)) / len(v))


def spread(values):
    """median (min - max, n)"""
    return (f"{statistics.median(values):.2f} (min {min(values):.2f} "
            f"max {max(values):.2f}, {len(values)} runs)")


def host_lines(path):
    lines, worst = [], 0.0
    host = json.loads(pathlib.Path(path).read_text())
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
    return lines


def profile_lines(run):
    """Per phase, and iodma against raw (best) phase by phase."""
    lines = []
    for (kind, size, path), ph in sorted(run.profile.items()):
        lines.append(f"bench: profile {run.mode} {run.cfg} {kind} {size} {path} "
                     + " ".join(f"{n} {v}" for n, v in ph))
    for kind in KINDS:
        best = dict(run.profile.get((kind, "4K", "best"), []))
        io = dict(run.profile.get((kind, "4K", "iodma"), []))
        if not best or not io:
            continue
        # prepare does what pin + map do, gen the walk, complete the unmap.
        d = (io["prepare"] - best["pin"] - best["map"], io["gen"] - best["walk"],
             io["complete"] - best["unmap"])
        lines.append(f"bench: profile-4K {run.mode} {run.cfg} {kind} iodma-best "
                     f"{sum(d):+d}: prepare-(pin+map) {d[0]:+d} gen-walk {d[1]:+d} "
                     f"complete-unmap {d[2]:+d} (clock read {run.clock})")
    return lines


def plot(out, runs, kernel):
    """Geometric mean over kinds of iodma/raw per size, one line per
    configuration; panels: best and typical baselines, per mode."""
    panels = []
    for mode in MODES:
        for base in ("best", "typical"):
            cfgs = [r for r in runs if r.mode == mode and r.rows]
            if not cfgs:
                continue
            dat = out / f"bench-plot-{mode}-{base}.dat"
            with open(dat, "w") as f:
                f.write("size " + " ".join(r.cfg for r in cfgs) + "\n")
                for size in SIZES:
                    vals = []
                    for r in cfgs:
                        v = [x["iodma"] / x[base] for (k, s), x in r.rows.items()
                             if s == size]
                        vals.append(f"{geomean(v):.4f}" if v else "NaN")
                    f.write(f"{size} " + " ".join(vals) + "\n")
            panels.append((mode, base, dat, len(cfgs)))
    if not panels:
        return None
    rows = (len(panels) + 1) // 2
    gp = out / "bench.gp"
    text = [f"set terminal pngcairo size 1200,{420 * rows}",
            f"set output '{out / 'bench.png'}'",
            f"set multiplot layout {rows},2 title 'iodma / raw DMA API, "
            f"{kernel} (median; geometric mean over buffer kinds)'",
            "set xlabel 'transfer size'", "set grid", "set key top right",
            "set yrange [0:*]", "set style data linespoints"]
    for mode, base, dat, cols in panels:
        text += [f"set title 'iodma / raw ({base}), {mode}'",
                 f"set ylabel 'iodma / raw ({base})'",
                 f"plot for [c=2:{cols + 1}] '{dat}' using c:xtic(1) "
                 "title columnhead(c), 1.05 title 'target 1.05' lc rgb 'red' dt 2"]
    text.append("unset multiplot")
    gp.write_text("\n".join(text) + "\n")
    return gp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernel", default="")
    ap.add_argument("--host")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--icount-shift", type=int, default=0,
                    help="the icount runs' shift: their ns are 2^shift per "
                         "instruction")
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    runs, lines, fails = [], [], []
    for spec in a.runs:
        m = re.match(r"(\w+):([\w-]+)=(.+)$", spec)
        if not m or m[1] not in MODES:
            ap.error(f"bad run '{spec}' (want MODE:CONFIG=RUNDIR, MODE one of "
                     f"{', '.join(MODES)})")
        runs.append(Run(m[1], m[2], pathlib.Path(m[3])))
    for r in runs:
        if r.mode == "icount" and a.icount_shift:
            r.scale(1 << a.icount_shift)

    if a.kernel:
        lines.append(f"bench: kernel {a.kernel}")
    for mode, what in MODES.items():
        if any(r.mode == mode for r in runs):
            tag = " (the targets use this mode)" if mode == TARGET_MODE else ""
            lines.append(f"bench: mode {mode}: {what}{tag}")
    table, csv_rows = [], []
    target = {}
    for r in runs:
        fails += [f"bench: FAIL {r.mode} {r.cfg}: {p} (see {r.dir})"
                  for p in r.problems]
        pre = "" if r.mode == TARGET_MODE else f"{r.mode}-"
        for kind in KINDS:
            for size in SIZES:
                x = r.rows.get((kind, size))
                if x is None:
                    if (kind, size) in r.na:
                        table.append((r.mode, r.cfg, kind, size, "-", "-", "-",
                                      "n/a", "n/a", r.na[(kind, size)]))
                    continue
                rb, rt = x["iodma"] / x["best"], x["iodma"] / x["typical"]
                table.append((r.mode, r.cfg, kind, size, str(x["typical"]),
                              str(x["best"]), str(x["iodma"]), f"{rt:.3f}",
                              f"{rb:.3f}", str(x["segments"])))
                csv_rows.append([r.mode, r.cfg, kind, size, x["typical"],
                                 x["best"], x["iodma"], f"{rt:.4f}", f"{rb:.4f}",
                                 x["segments"], x["iters"]])
                lines.append(f"bench: {pre}ratio-best {r.cfg} {kind} {size} {rb:.2f}")
                lines.append(f"bench: {pre}ratio {r.cfg} {kind} {size} {rt:.2f}")
                target.setdefault(r.mode, []).append((rb, r.cfg, kind, size))
        if r.subrange:
            lines.append(f"bench: {pre}subrange {r.cfg} 64K-of-1G/64K "
                         f"{r.subrange[0] / r.subrange[1]:.2f}")
        if r.scaling and all(a and b for a, b in r.scaling):
            name = "scaling" if r.mode == "wall" else f"{r.mode}-scaling"
            lines.append(f"bench: {name} {r.cfg} 2vcpu/1vcpu "
                         + spread([b / a for a, b in r.scaling]))
            if (len(r.scaling_raw) == len(r.scaling)
                    and all(a and b for a, b in r.scaling_raw)):
                # Raw (best)'s scaling is what the platform allows; the
                # quotient, pair by pair, is iodma's share of the loss.
                lines.append(f"bench: {name}-raw {r.cfg} 2vcpu/1vcpu "
                             + spread([b / a for a, b in r.scaling_raw]))
                lines.append(f"bench: {name}-of-raw {r.cfg} iodma/raw "
                             + spread([(b / a) / (rb / ra) for (a, b), (ra, rb)
                                       in zip(r.scaling, r.scaling_raw)]))
        lines += profile_lines(r)
    for mode, v in target.items():
        met = sum(1 for rb, *_ in v if rb <= 1.05)
        worst = max(v)
        lines.append(f"bench: target {mode} ratio-best <= 1.05: {met} of {len(v)} "
                     f"met; worst {worst[0]:.2f} ({' '.join(worst[1:])})")
    if a.host:
        lines += host_lines(a.host)

    head = ("mode", "configuration", "buffer", "size", "typical", "best",
            "iodma", "/typical", "/best", "segments")
    widths = [max(len(r[i]) for r in table + [head]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    print(fmt(head))
    print(fmt(["-" * w for w in widths]))
    for r in table:
        print(fmt(r))
    print()
    for line in lines + fails:
        print(line)

    with open(out / "bench.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mode", "config", "kind", "size", "typical", "best", "iodma",
                    "ratio_typical", "ratio_best", "segments", "iterations"])
        w.writerows(csv_rows)
    (out / "bench.txt").write_text("\n".join(lines + fails) + "\n")
    sep = "  ".join("=" * w for w in widths)
    # A lone "-" in a cell would be read as an empty bullet list.
    rst = [sep, fmt(head), sep]
    rst += [fmt([c if c != "-" else "n/a" for c in r]) for r in table]
    rst.append(sep)
    (out / "bench-table.rst").write_text("\n".join(rst) + "\n")
    if not a.no_plot:
        gp = plot(out, runs, a.kernel or "")
        try:
            if gp:
                subprocess.run(["gnuplot", str(gp)], check=True)
                print(f"bench: wrote {out / 'bench.csv'} and {out / 'bench.png'}")
        except (OSError, subprocess.CalledProcessError) as e:
            fails.append(f"bench: FAIL plot: {e}")
            print(fails[-1])
    print(f"bench: {len(runs)} runs, {len(fails)} problems")
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
