#!/usr/bin/env python3
"""Print the robustness figures the KUnit runs measured.

Usage: robustness-kunit.py KUNIT_OUT_DIR

  robustness: faults sites=<n> injected=<n> leaks=<n>
      iodma_fault, summed over cases and configurations
  robustness: swiotlb-exhaustion enomem=<n> recovered=<yes|no>
      from the swiotlb-tiny run (the test's kunit_info line)
  robustness: stress cycles=<n> mismatches=<n> reports=<n>
      iodma_stress in smp4 (edu transfers count as cycles' checks too)
  robustness: bad-inputs cases=<n> failed=<n>
      iodma_badinput: distinct cases, and failures over all configurations
  robustness: stale-data cases=<n> failed=<n>
      iodma_stale, likewise
"""
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "lib"))
from kernel_clean import problems  # noqa: E402

out = pathlib.Path(sys.argv[1])
tiny = out / "swiotlb-tiny" / "ktap.log"
m = None
if tiny.exists():
    m = re.search(r"swiotlb-exhaustion enomem=(\d+) recovered=(yes|no)",
                  tiny.read_text(errors="replace"))
if m:
    print(f"robustness: swiotlb-exhaustion enomem={m.group(1)} "
          f"recovered={m.group(2)}")
else:
    print("robustness: swiotlb-exhaustion enomem=0 recovered=no "
          "(no result from the swiotlb-tiny run)")



def suite_figures(name):
    """Distinct leaf cases of a suite, and failures over all runs."""
    cases, failed = set(), 0
    for log in sorted(out.glob("*/ktap.log")):
        suite, prev = None, 0
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("IODMA-SUITE-BEGIN "):
                suite = line.split(" ", 1)[1]
            elif line.startswith("IODMA-SUITE-END"):
                suite = None
            elif suite == name:
                # Leaves: parameters (8 spaces), and cases (4 spaces) whose
                # result does not close a list of parameters.
                r = re.match(r"^(\s+)(ok|not ok) \d+ (\S+)", line)
                if not r:
                    continue
                depth = len(r.group(1))
                if depth == 8 or (depth == 4 and prev != 8):
                    cases.add(r.group(3))
                    failed += r.group(2) != "ok"
                prev = depth
    return len(cases), failed


sites = injected = leaks = 0
for log in sorted(out.glob("*/ktap.log")):
    for m in re.finditer(r"faults sites=(\d+) injected=(\d+) leaks=(\d+)",
                         log.read_text(errors="replace")):
        sites += int(m.group(1))
        injected += int(m.group(2))
        leaks += int(m.group(3))
n, f = suite_figures("iodma_fault")
# A failed case (wrong errno, state changed, kernel report) counts as a leak
# only through the kernel-clean checks; its own failures are added here.
print(f"robustness: faults sites={sites} injected={injected} leaks={leaks + f}")

smp4 = out / "smp4"
m = None
if (smp4 / "ktap.log").exists():
    m = re.search(r"stress cycles=(\d+) mismatches=(\d+) edu=(\d+)/(\d+)",
                  (smp4 / "ktap.log").read_text(errors="replace"))
if m:
    console = (smp4 / "console.log").read_text(errors="replace")
    reports = len(problems(console))
    bad_edu = int(m.group(4)) - int(m.group(3))
    print(f"robustness: stress cycles={m.group(1)} "
          f"mismatches={int(m.group(2)) + bad_edu} reports={reports}")
else:
    print("robustness: stress cycles=0 mismatches=0 reports=1 "
          "(no result from the smp4 run)")

n, f = suite_figures("iodma_badinput")
print(f"robustness: bad-inputs cases={n} failed={f}")
n, f = suite_figures("iodma_stale")
print(f"robustness: stale-data cases={n} failed={f}")
