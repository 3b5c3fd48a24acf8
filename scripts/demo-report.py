#!/usr/bin/env python3
"""Collect the edu demo runs into one table.

Usage: demo-report.py [--debug-kernel] [--counts FILE] NAME=LOGDIR...

Each LOGDIR holds ktap.log (the DEMO| lines edu-demo printed),
console.log and qemu.exit (scripts/run-qemu.sh). A run passes when all its
expected transfers are OK, edu-demo reported its end (DEMO-DONE), and the
kernel stayed clean (with --debug-kernel, also DMA-API debug, kmemleak and
lockdep) and QEMU exited by itself. Prints the table and a summary; --counts
writes "P F" where every transfer and every run's "kernel clean" check
counts once. A transfer missing from a run, reported twice, or whose line
cannot be read counts as failed; a run without DEMO-DONE counts one more
failure unless transfers are already missing. The counts file is deleted
first, so a crash never leaves an earlier verdict behind.
"""
import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "lib"))
from kernel_clean import run_problems  # noqa: E402

EXPECTED_ROWS = 25  # see samples/edu/edu_demo.c


def fmt_size(n):
    n = int(n)
    if n >= 1 << 20:
        return f"{n >> 20} MiB"
    if n >= 1 << 10:
        return f"{n >> 10} KiB"
    return f"{n} B"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--debug-kernel", action="store_true")
    ap.add_argument("--counts")
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    if a.counts:
        pathlib.Path(a.counts).unlink(missing_ok=True)

    head = ("configuration", "buffer", "size", "direction", "segments",
            "copy buffer", "time", "result")
    rows, notes = [], []
    passed = failed = 0
    for spec in a.runs:
        name, logdir = spec.split("=", 1)
        d = pathlib.Path(logdir)
        ktap = (d / "ktap.log").read_text(errors="replace") if (d / "ktap.log").is_file() else ""
        seen, done = set(), False
        for line in ktap.splitlines():
            line = line.strip()
            if line.startswith("DEMO-DONE"):
                done = True
                continue
            if not line.startswith("DEMO|"):
                continue
            f = line.split("|")
            try:
                _, _, kind, size, direction, segs, calls, cb, us, res = f
                row = (name, kind, fmt_size(size), direction,
                       f"{int(segs)} ({int(calls)} calls)", cb,
                       f"{int(us) / 1e6:.2f} s", res)
            except ValueError:
                failed += 1
                notes.append(f"{name}: unreadable transfer line: {line[:80]}")
                continue
            if (kind, size, direction) in seen:
                failed += 1
                notes.append(f"{name}: {kind} {row[2]} {direction} reported twice")
                continue
            seen.add((kind, size, direction))
            rows.append(row)
            if res == "OK":
                passed += 1
            else:
                failed += 1
                notes.append(f"{name}: {kind} {row[2]} {direction}: {res}")
        got = len(seen)
        if got < EXPECTED_ROWS:
            failed += EXPECTED_ROWS - got
            notes.append(f"{name}: {EXPECTED_ROWS - got} of {EXPECTED_ROWS} transfers missing")
        if not done:
            notes.append(f"{name}: edu-demo did not report its end (no DEMO-DONE)")
            if got >= EXPECTED_ROWS:
                failed += 1
        bad = run_problems(d, a.debug_kernel)
        if bad:
            failed += 1
            notes += [f"{name}: kernel not clean: {b}" for b in bad[:10]]
        else:
            passed += 1

    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    for n in notes:
        print(f"FAIL {n}")
    ok_rows = sum(1 for r in rows if r[-1] == "OK")
    print(f"demo: {ok_rows} of {len(rows)} transfers OK in {len(a.runs)} runs, "
          f"{len(notes)} problems")
    if a.counts:
        pathlib.Path(a.counts).write_text(f"{passed} {failed}\n")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
