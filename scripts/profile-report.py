#!/usr/bin/env python3
"""Name the instructions of scripts/profile.sh's marked windows.

Usage: profile-report.py [--top N] CONFIG=RUNDIR...

RUNDIR/ktap.log: what iodma_bench printed in profile mode ("window <n>
<kind> <size> <path>" before each marked cycle, "ksym <addr> <type>
<name> [module]" for the code symbols of the kernel and the modules); RUNDIR/windows.log: what the
QEMU plugin scripts/profile/insn-windows.c counted ("window <n>", then
"<block vaddr> <instructions>" lines, "end <n> <total>").

For each configuration, buffer kind and path (and the sub-range windows,
"subrange" with paths "whole" and "sub"), the window with the fewest
instructions (so none that took an interrupt) is named function by
function, and iodma is set against raw (best) function by function.
Exit status 1 when a window or a symbol is missing, or a run failed.
"""
import argparse
import bisect
import collections
import pathlib
import subprocess
import sys

PATHS = ("best", "iodma", "typical")
# The sub-range windows: 64 KiB of a 1 GiB descriptor, and a 64 KiB one.
SUBRANGE = ("whole", "sub")


def load_symbols(ktap_lines):
    syms = []
    for f in ktap_lines:
        if f[0] == "ksym" and len(f) >= 4 and f[2] in "tTwW":
            syms.append((int(f[1], 16), f[3] + (" " + f[4] if len(f) > 4 else "")))
    syms.sort()
    return [a for a, _ in syms], demangle([n for _, n in syms])


def demangle(names):
    """C++ names as a reader knows them (binutils' c++filt, no parameters)."""
    try:
        r = subprocess.run(["c++filt", "-p"], input="\n".join(names), text=True,
                           capture_output=True, check=True)
        out = r.stdout.splitlines()
        return out if len(out) == len(names) else names
    except (OSError, subprocess.CalledProcessError):
        return names


def name_of(addrs, names, vaddr):
    i = bisect.bisect_right(addrs, vaddr) - 1
    return names[i] if i >= 0 else f"?{vaddr:x}"


def read_windows(path):
    """{n: (total, [(vaddr, insns)])}"""
    wins, cur, blocks = {}, None, []
    for line in path.read_text().splitlines():
        f = line.split()
        if f[0] == "window":
            cur, blocks = int(f[1]), []
        elif f[0] == "end" and cur is not None:
            wins[int(f[1])] = (int(f[2]), blocks)
            cur = None
        elif cur is not None and len(f) == 2:
            blocks.append((int(f[0], 16), int(f[1])))
    return wins


def per_function(title, a_name, a, b_name, b, top):
    """Lines naming the functions whose instruction counts differ most."""
    out = [f"  {title}: instructions per function, {a_name} | {b_name} | difference"]
    diff = collections.Counter(a)
    diff.subtract(b)
    for fn, d in sorted(diff.items(), key=lambda x: -abs(x[1]))[:top]:
        if d:
            out.append(f"    {fn[:60]:<60} {a.get(fn, 0):>6} {b.get(fn, 0):>6} {d:>+6}")
    only = sum(v for f, v in a.items() if f not in b)
    out.append(f"    (functions only {a_name} runs: {only} instructions)")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=24)
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    problems, lines = [], []
    for spec in a.runs:
        cfg, rundir = spec.split("=", 1)
        rundir = pathlib.Path(rundir)
        log, wlog = rundir / "ktap.log", rundir / "windows.log"
        if not log.exists() or not wlog.exists():
            problems.append(f"{cfg}: no ktap.log or windows.log in {rundir}")
            continue
        klines = [l.split() for l in log.read_text(errors="replace").splitlines()
                  if l.strip()]
        for f in klines:
            if f[0] == "error":
                problems.append(f"{cfg}: guest: {' '.join(f)}")
        if not any(f[0] == "done" for f in klines):
            problems.append(f"{cfg}: the profile run did not reach its end")
        addrs, names = load_symbols(klines)
        if len(addrs) < 1000:
            problems.append(f"{cfg}: only {len(addrs)} code symbols from the guest")
        wins = read_windows(wlog)
        # (kind, path) -> [window numbers]; the cycle size, as printed
        marked = collections.defaultdict(list)
        size = "?"
        for f in klines:
            if f[0] == "window" and len(f) == 5:
                marked[(f[2], f[4])].append(int(f[1]))
                if f[2] != "subrange":
                    size = f[3]
        if not marked:
            problems.append(f"{cfg}: no marked window")
        best_of = {}
        for key, ns in sorted(marked.items()):
            got = [n for n in ns if n in wins]
            if len(got) != len(ns):
                problems.append(f"{cfg}: {key[0]} {key[1]}: {len(ns) - len(got)} "
                                "windows not counted by the plugin")
            if not got:
                continue
            n = min(got, key=lambda n: wins[n][0])
            per = collections.Counter()
            for vaddr, insns in wins[n][1]:
                per[name_of(addrs, names, vaddr)] += insns
            totals = sorted(wins[g][0] for g in got)
            best_of[key] = (wins[n][0], per, totals)
        for kind in sorted({k for k, _ in best_of}):
            row = {p: best_of.get((kind, p)) for p in PATHS + SUBRANGE}
            if row["best"] and row["iodma"]:
                t = {p: (row[p][0] if row[p] else 0) for p in PATHS}
                lines.append(f"bench: insns {cfg} {kind} {size} best {t['best']} iodma "
                             f"{t['iodma']} typical {t['typical']} iodma-best "
                             f"{t['iodma'] - t['best']:+d} (windows: iodma "
                             f"{row['iodma'][2]})")
                lines += per_function(f"{cfg} {kind}", "iodma", row["iodma"][1],
                                      "raw (best)", row["best"][1], a.top)
            elif row["whole"] and row["sub"]:
                w, b = row["whole"][0], row["sub"][0]
                lines.append(f"bench: insns {cfg} subrange 64K whole {w} sub {b} "
                             f"sub-whole {b - w:+d} (windows: sub {row['sub'][2]})")
                lines += per_function(f"{cfg} subrange", "sub", row["sub"][1],
                                      "whole", row["whole"][1], a.top)
    for line in lines:
        print(line)
    for p in problems:
        print(f"bench: FAIL profile {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
