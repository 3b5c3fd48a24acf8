#!/usr/bin/env python3
"""Judge one QEMU KUnit run.

Usage: ktap-check.py --name NAME --logdir DIR --suites-from DIR [--expect-suites a,b]

Reads LOGDIR/ktap.log (suites as written by scripts/qemu/init) and
LOGDIR/console.log. Counts every leaf KUnit case (each parameter of a
parameterised case counts) as passed or failed; a skipped case counts as
failed, because every configuration is expected to run everything. Adds one
case "<name>: kernel clean" that fails on any missing suite or test, kernel
WARN/BUG/Oops, KASAN, UBSAN, lockdep, kmemleak or DMA-API debug report, or an
unfinished run (crash, timeout). Writes LOGDIR/results.ktap (one KTAP
document of all suites, for kunit.py parse) and LOGDIR/counts ("P F").
Prints failures and a line "<name>: N passed, M failed".
"""
import argparse
import pathlib
import re
import sys

RESULT = re.compile(r"^(\s*)(ok|not ok) (\d+)\s*(.*?)(\s+#\s*(SKIP|TODO).*)?$")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)\s*$")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "lib"))
from kernel_clean import problems  # noqa: E402


def expected_suites(src_dir):
    names = []
    for f in sorted(pathlib.Path(src_dir).glob("*.c")):
        text = f.read_text()
        names += re.findall(
            r"struct kunit_suite \w+ = \{\s*\.name = \"([^\"]+)\"", text
        )
    return names


def parse_suite(name, lines, fails):
    """Return (passed, failed) leaves of one suite's KTAP, checking plans."""
    passed = failed = 0
    plans = {}  # indent -> announced count
    seen = {}  # indent -> results so far
    prev_indent = None
    for line in lines:
        m = PLAN.match(line)
        if m:
            plans[len(m.group(1))] = int(m.group(2))
            seen[len(m.group(1))] = 0
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        seen[indent] = seen.get(indent, 0) + 1
        has_children = prev_indent is not None and prev_indent > indent
        if has_children:
            child = indent + 4
            if plans.get(child) is not None and seen.get(child, 0) != plans[child]:
                fails.append(
                    f"{name}: {m.group(4)}: {seen.get(child, 0)} of {plans[child]} subtests reported"
                )
            plans.pop(child, None)
            seen.pop(child, None)
        elif indent > 0:  # a leaf case (indent 0 is the suite itself)
            ok = m.group(2) == "ok" and not m.group(6)
            if ok:
                passed += 1
            else:
                failed += 1
                why = "skipped" if m.group(6) else "failed"
                fails.append(f"{name}: {m.group(4)} {why}")
        prev_indent = indent
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--suites-from", required=True)
    a = ap.parse_args()
    logdir = pathlib.Path(a.logdir)
    ktap = (logdir / "ktap.log").read_text(errors="replace") if (logdir / "ktap.log").exists() else ""
    console = (logdir / "console.log").read_text(errors="replace") if (logdir / "console.log").exists() else ""

    fails = []
    suites = {}
    cur = None
    for line in ktap.splitlines():
        line = line.rstrip("\r")
        if line.startswith("IODMA-SUITE-BEGIN "):
            cur = line.split(" ", 1)[1]
            suites[cur] = []
        elif line.startswith("IODMA-SUITE-END"):
            cur = None
        elif cur is not None:
            suites[cur].append(line)

    passed = failed = 0
    doc = ["KTAP version 1", f"1..{len(suites)}"]
    for i, (name, lines) in enumerate(sorted(suites.items()), 1):
        p, f = parse_suite(name, lines, fails)
        passed += p
        failed += f
        if p + f == 0:
            fails.append(f"{name}: no test results")
        body = lines[2:]  # drop the per-file "KTAP version 1" / "1..1" header
        if body and RESULT.match(body[-1]):
            body[-1] = re.sub(r"^(ok|not ok) 1 ", rf"\g<1> {i} ", body[-1])
        doc += body
    (logdir / "results.ktap").write_text("\n".join(doc) + "\n")

    clean = []
    for s in expected_suites(a.suites_from):
        if s not in suites:
            clean.append(f"suite {s} missing from the run")
    clean += problems(console)
    if clean:
        failed += 1
        fails += [f"{a.name}: kernel clean: {c}" for c in clean[:40]]
        if len(clean) > 40:
            fails.append(f"{a.name}: ... {len(clean) - 40} more")
    else:
        passed += 1

    for f in fails:
        print(f"FAIL {a.name}: {f}")
    (logdir / "counts").write_text(f"{passed} {failed}\n")
    print(f"{a.name}: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
