#!/usr/bin/env python3
"""Print the robustness figures the KUnit runs measured.

Usage: robustness-kunit.py KUNIT_OUT_DIR [CONFIG...]

Reads KUNIT_OUT_DIR/<config>/ktap.log and console.log for each CONFIG
(default: every subdirectory, and then swiotlb-tiny and smp4 must be among
them). Suites are judged by ktap-check.py's judge_suite(), so a missing
suite, a suite that stopped short of its plan or did not initialise, and a
skipped case all count as failures here too.

  robustness: faults sites=<n> injected=<n> leaks=<n>
      iodma_fault, summed over cases and configurations; its failed cases
      count as leaks
  robustness: swiotlb-exhaustion enomem=<n> recovered=<yes|no>
      from the swiotlb-tiny run (the test's kunit_info line)
  robustness: stress cycles=<n> mismatches=<n> reports=<n>
      iodma_stress in smp4 (edu transfers count as cycles' checks too)
  robustness: bad-inputs cases=<n> failed=<n>
      iodma_badinput: distinct cases, and failures over all configurations
  robustness: stale-data cases=<n> failed=<n>
      iodma_stale, likewise

Every figure that is missing or shows a problem adds a line
"FAIL robustness: <item>: <why>"; the exit status is then 1. An item whose
configuration is not among the CONFIGs given is reported as not run.
"""
import importlib.util
import pathlib
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "lib"))
from kernel_clean import run_problems  # noqa: E402

_spec = importlib.util.spec_from_file_location("ktap_check", HERE / "ktap-check.py")
ktap_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ktap_check)

fails = []  # printed after the figure they explain
failed_any = False


def fail(item, why):
    global failed_any
    failed_any = True
    fails.append(f"FAIL robustness: {item}: {why}")


def say(line):
    """Print a figure, then the failures found while measuring it."""
    print(line)
    for f in fails:
        print(f)
    fails.clear()


def read(path):
    return path.read_text(errors="replace") if path.is_file() else ""


out = pathlib.Path(sys.argv[1])
explicit = sys.argv[2:]
configs = explicit
if not configs and out.is_dir():
    configs = sorted(d.name for d in out.iterdir() if d.is_dir())
runs = {}
for cfg in configs:
    ktap = out / cfg / "ktap.log"
    if not ktap.is_file():
        fail("runs", f"{cfg}: no ktap.log in {out / cfg}")
    runs[cfg] = ktap_check.split_suites(read(ktap))[0]
if not configs:
    fail("runs", f"no configuration found in {out}")
for f in fails:
    print(f)
fails.clear()


def wanted(cfg, item):
    """Whether CFG's figure is due: a configuration given on the command
    line, or any run when none was given."""
    if cfg in configs:
        return True
    if explicit:
        say(f"robustness: {item} not run ({cfg} not among the configurations)")
        return False
    fail(item, f"no {cfg} run in {out}")
    return True


def judged(cfg, suite):
    """ktap_check.Verdict of SUITE in CFG, or None if it is missing."""
    block = runs.get(cfg, {}).get(suite)
    if block is None:
        return None
    return ktap_check.judge_suite(suite, block.lines, block.ended)


def suite_text(cfg, suite):
    block = runs.get(cfg, {}).get(suite)
    return "\n".join(block.lines) if block else ""


def suite_figures(item, suite):
    """Distinct leaf cases of SUITE, and failures over all runs; a suite
    missing from a run counts one failure."""
    cases, failed = set(), 0
    for cfg in configs:
        v = judged(cfg, suite)
        if v is None:
            failed += 1
            fail(item, f"{suite} missing from {cfg}")
            continue
        cases |= {path for path, _ in v.leaves}
        failed += v.failed
        for msg in v.messages:
            fail(item, f"{cfg}: {msg}")
    if configs and not cases:
        failed = max(failed, 1)
        fail(item, f"no {suite} case reported in any run")
    return len(cases), failed


# swiotlb exhaustion: the swiotlb-tiny run's own figures and test result.
item = "swiotlb-exhaustion"
if wanted("swiotlb-tiny", item):
    m = re.search(r"swiotlb-exhaustion enomem=(\d+) recovered=(yes|no)",
                  suite_text("swiotlb-tiny", "iodma_xfer"))
    if m:
        line = (f"robustness: swiotlb-exhaustion enomem={m.group(1)} "
                f"recovered={m.group(2)}")
        if int(m.group(1)) == 0:
            fail(item, "swiotlb-tiny never saw -ENOMEM")
        if m.group(2) != "yes":
            fail(item, "no recovery after the completes")
    else:
        line = ("robustness: swiotlb-exhaustion enomem=0 recovered=no "
                "(no result from the swiotlb-tiny run)")
        fail(item, "no swiotlb-exhaustion figures in the swiotlb-tiny run")
    v = judged("swiotlb-tiny", "iodma_xfer")
    if v is None or (("xfer_swiotlb_exhaustion_test",), True) not in v.leaves:
        fail(item, "xfer_swiotlb_exhaustion_test did not pass in swiotlb-tiny")
    say(line)

# faults: every run of iodma_fault reports its figures.
item = "faults"
sites = injected = leaks = 0
for cfg in configs:
    found = re.findall(r"faults sites=(\d+) injected=(\d+) leaks=(\d+)",
                       suite_text(cfg, "iodma_fault"))
    if not found and "iodma_fault" in runs.get(cfg, {}):
        fail(item, f"{cfg}: iodma_fault reported no faults figures")
    for s, i, le in found:
        sites += int(s)
        injected += int(i)
        leaks += int(le)
n, f = suite_figures(item, "iodma_fault")
if leaks:
    fail(item, f"{leaks} leaks after injected faults (allocations, mappings, "
             "copy-buffer blocks or pins)")
if configs and sites == 0:
    fail(item, "no fault site injected")
# A failed case (wrong errno, state changed, kernel report) counts as a leak
# only through the kernel-clean checks; its own failures are added here.
say(f"robustness: faults sites={sites} injected={injected} leaks={leaks + f}")

# stress: smp4's figures, test result and kernel reports.
item = "stress"
if wanted("smp4", item):
    m = re.search(r"stress cycles=(\d+) mismatches=(\d+) edu=(\d+)/(\d+)",
                  suite_text("smp4", "iodma_stress"))
    reports = run_problems(out / "smp4")
    if m:
        bad_edu = int(m.group(4)) - int(m.group(3))
        mismatches = int(m.group(2)) + bad_edu
        line = (f"robustness: stress cycles={m.group(1)} "
                f"mismatches={mismatches} reports={len(reports)}")
        if mismatches:
            fail(item, f"{mismatches} mismatches")
        # A concurrency test on one CPU proves nothing: smp4 must have
        # brought up its CPUs (the stress test runs a thread per CPU, up
        # to 4).
        t = re.search(r"stress cycles=.* threads=(\d+)",
                      suite_text("smp4", "iodma_stress"))
        if not t or int(t.group(1)) < 2:
            fail(item, f"the stress test ran {t.group(1) if t else 'an unknown number of'}"
                 " thread(s) in smp4 (fewer than 2 CPUs online)")
    else:
        line = ("robustness: stress cycles=0 mismatches=0 reports=1 "
                "(no result from the smp4 run)")
        fail(item, "no stress figures in the smp4 run")
    for r in reports[:10]:
        fail(item, f"smp4 kernel not clean: {r}")
    v = judged("smp4", "iodma_stress")
    if v is None:
        fail(item, "iodma_stress missing from smp4")
    else:
        for msg in v.messages:
            fail(item, f"smp4: {msg}")
    say(line)

n, f = suite_figures("bad-inputs", "iodma_badinput")
say(f"robustness: bad-inputs cases={n} failed={f}")
n, f = suite_figures("stale-data", "iodma_stale")
say(f"robustness: stale-data cases={n} failed={f}")
sys.exit(1 if failed_any else 0)
