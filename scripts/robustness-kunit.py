#!/usr/bin/env python3
"""Print the robustness figures the KUnit runs measured.

Usage: robustness-kunit.py KUNIT_OUT_DIR

  robustness: swiotlb-exhaustion enomem=<n> recovered=<yes|no>
      from the swiotlb-tiny run (the test's kunit_info line)
  robustness: bad-inputs cases=<n> failed=<n>
      iodma_badinput: distinct cases, and failures over all configurations
"""
import pathlib
import re
import sys

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

cases, failed = set(), 0
for log in sorted(out.glob("*/ktap.log")):
    suite = None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("IODMA-SUITE-BEGIN "):
            suite = line.split(" ", 1)[1]
        elif line.startswith("IODMA-SUITE-END"):
            suite = None
        elif suite == "iodma_badinput":
            r = re.match(r"^\s{8}(ok|not ok) \d+ (\S+)", line)
            if r:
                cases.add(r.group(2))
                failed += r.group(1) != "ok"
print(f"robustness: bad-inputs cases={len(cases)} failed={failed}")
