#!/usr/bin/env python3
"""Collect the samples/nvme runs into one table.

Usage: nvme-report.py [--debug-kernel] [--counts FILE] NAME=LOGDIR...

NAME is [LINE/]CONFIG, for the table.

Each LOGDIR holds modes (the modes the host asked the guest to run,
written by scripts/check-nvme.sh before the boot), ktap.log (the NVME|
lines of samples/nvme/nvme-run.sh), console.log and qemu.exit
(scripts/run-qemu.sh) and host-check ("OK BYTES": the host's check of the
DATA image after QEMU exited, written by scripts/check-nvme.sh). Every expected guest run counts once (missing,
doubled or garbled: failed), and so do each boot's host check and its
"kernel clean" check (DMA-API debug, KASAN, kmemleak, lockdep, QEMU ending
by itself). --counts writes "P F"; it is deleted first, so a crash never
leaves an earlier verdict behind.
"""
import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "lib"))
from kernel_clean import run_problems  # noqa: E402

MODES = ("prp", "sgl", "prp/28", "sgl/28")
FS_RUNS = [("fs-iodma-to-nvme", "prp"), ("fs-nvme-to-iodma", "prp")]


def expected_runs(logdir):
    """The runs LOGDIR's boot must report: read and write for each mode of
    LOGDIR/modes (written by check-nvme.sh before the boot, and given to
    the guest), then the filesystem round trip; None if that file is
    missing or names an unknown mode."""
    f = pathlib.Path(logdir) / "modes"
    modes = f.read_text(errors="replace").split() if f.is_file() else []
    if not modes or any(m not in MODES for m in modes) or len(set(modes)) != len(modes):
        return None
    return [(op, m) for m in modes for op in ("read", "write")] + FS_RUNS


def fmt_bytes(n):
    n = int(n)
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if n >= 1 << 10:
        return f"{n >> 10} KiB"
    return f"{n} B"


WORKLOADS = (("randread4k-qd1", 3, "IOPS"), ("randread4k-qd32", 3, "IOPS"),
             ("seqread128k", 4, "MB/s"), ("seqwrite128k", 4, "MB/s"))


def bench(runs):
    """The NVMEBENCH| lines of nvme-bench.sh: a table and the ratios."""
    rows, bad = [], 0
    for spec in runs:
        name, logdir = spec.split("=", 1)
        ktap = pathlib.Path(logdir) / "ktap.log"
        text = ktap.read_text(errors="replace") if ktap.is_file() else ""
        got = {}
        for line in text.splitlines():
            f = line.strip().split("|")
            if f[0] != "NVMEBENCH" or len(f) != 6 or f[5] != "OK":
                bad += f[0] == "NVMEBENCH"
                continue
            got.setdefault((f[1], f[2]), []).append(f)
        for w, col, unit in WORKLOADS:
            vals = {d: [float(f[col]) for f in got.get((d, w), [])]
                    for d in ("nvme", "iodma")}
            if not vals["nvme"] or not vals["iodma"]:
                rows.append((name, w, unit, "-", "-", "-"))
                bad += 1
                continue
            n = sum(vals["nvme"]) / len(vals["nvme"])
            i = sum(vals["iodma"]) / len(vals["iodma"])
            r = i / n if n else 0.0
            rows.append((name, w, unit, f"{n:.0f}", f"{i:.0f}", f"{r:.2f}"))
            print(f"bench: nvme {w} {name} iodma/nvme {r:.2f}")
    head = ("configuration", "workload", "unit", "nvme", "iodma_nvme",
            "iodma/nvme")
    widths = [max(len(str(r[k])) for r in rows + [head])
              for k in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return 1 if bad else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--bench":
        return bench(sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts")
    ap.add_argument("--debug-kernel", action="store_true")
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    if a.counts:
        pathlib.Path(a.counts).unlink(missing_ok=True)
    head = ("configuration", "workload", "format", "copy buffer",
            "bytes verified", "I/Os", "result")
    rows, notes = [], []
    passed = failed = 0
    for spec in a.runs:
        name, logdir = spec.split("=", 1)
        d = pathlib.Path(logdir)
        ktap = d / "ktap.log"
        text = ktap.read_text(errors="replace") if ktap.is_file() else ""
        seen = {}
        for line in text.splitlines():
            f = line.strip().split("|")
            if f[0] != "NVME":
                continue
            if len(f) != 8:
                notes.append(f"{name}: garbled line {line.strip()!r}")
                failed += 1
                continue
            key = (f[1], f[2])
            if key in seen:
                notes.append(f"{name}: {key} reported twice")
                failed += 1
                continue
            seen[key] = f
        expected = expected_runs(d)
        if expected is None:
            # Without the host's list every mode it could have asked for
            # is expected: nothing missing can pass unnoticed.
            notes.append(f"{name}: no valid modes file (check-nvme.sh writes it)")
            failed += 1
            expected = [(op, m) for m in MODES
                        for op in ("read", "write")] + FS_RUNS
        for op, mode in expected:
            f = seen.get((op, mode))
            fmt = mode.split("/")[0].upper() + (
                " 28-bit" if mode.endswith("/28") else "")
            if f is None:
                rows.append((name, op, fmt, "-", "-", "-", "MISSING"))
                notes.append(f"{name}: {op} {fmt}: missing")
                failed += 1
                continue
            ok = f[7] == "OK"
            passed += ok
            failed += not ok
            rows.append((name, op, fmt, f[3], fmt_bytes(f[4]), f[5],
                         "OK" if ok else "FAIL"))
            if not ok:
                notes.append(f"{name}: {op} {fmt}: {f[7]} (copy buffer {f[3]}, "
                             f"{f[6]} bounced)")
        hc = d / "host-check"
        h = hc.read_text().split() if hc.is_file() else []
        ok = len(h) == 2 and h[0] == "1"
        passed += ok
        failed += not ok
        rows.append((name, "host image check", "-", "-",
                     fmt_bytes(h[1]) if len(h) == 2 else "-", "-",
                     "OK" if ok else "FAIL"))
        if not ok:
            notes.append(f"{name}: host image check: " + (
                "no result" if not h else "mismatch or missing writes"
                " (host-check.err)"))
        probs = run_problems(d, a.debug_kernel)
        passed += not probs
        failed += bool(probs)
        rows.append((name, "kernel clean", "-", "-", "-", "-",
                     "OK" if not probs else "FAIL"))
        notes += [f"{name}: kernel not clean: {p}" for p in probs]
    widths = [max(len(str(r[i])) for r in rows + [head])
              for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    for n in notes:
        print(f"FAIL {n}")
    print(f"nvme: {passed} of {passed + failed} checks OK in {len(a.runs)} runs")
    if a.counts:
        pathlib.Path(a.counts).write_text(f"{passed} {failed}\n")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
