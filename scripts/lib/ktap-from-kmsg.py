#!/usr/bin/env python3
"""Read a KUnit run's suite results from the kernel log.

Usage: ktap-from-kmsg.py LOGDIR

Where the kernel's KUnit keeps only part of each case's log for debugfs
(6.1: KUNIT_LOG_SIZE, 512 bytes; iodma_kunit reports it as its log_limit
parameter), the debugfs results that scripts/qemu/init collects
(IODMA-SUITE-BEGIN/END blocks in LOGDIR/ktap.log) are cut short, so init
also writes the kernel log, between IODMA-KMSG-BEGIN and IODMA-KMSG-END.
This rewrites LOGDIR/ktap.log with every suite the kernel log holds, in the
form of a debugfs results file, so that the checkers (ktap-check.py,
robustness-kunit.py) read the full results and judge them as on any other
kernel. A suite the kernel log lacks keeps its debugfs block (and fails
there if it is cut short); a suite cut short in the kernel log stays cut
short. The run's own output is kept as LOGDIR/ktap.raw.log, and running
this again reads that (scripts/check-kunit.sh --no-run). A run without a
kernel log, or whose kernel log is cut short, is left as it is.

6.1's KUnit also reports a skipped parameter as "ok": a case whose
statistics line counts skips gets "# SKIP" on its result line here, so that
a skip is never taken for a pass.
"""
import pathlib
import re
import sys

MARK = "IODMA-KTAP-FROM-KMSG"
# "<6>[   12.345678] " (dmesg -r) or "[   12.345678] " (dmesg)
PREFIX = re.compile(r"^(?:<\d+>)?\[\s*\d+\.\d+\] ?")
SUITE_HEAD = re.compile(r"^    # Subtest: (\S+)$")
SUITE_END = re.compile(r"^(ok|not ok) \d+ (\S+)(.*)$")
CASE_STATS = re.compile(r"^    # (\S+): pass:\d+ fail:\d+ skip:(\d+) total:(\d+)$")


def param_skips(body):
    """Mark "# SKIP" the result of each case whose statistics count skips."""
    out = list(body)
    for i, line in enumerate(out):
        m = CASE_STATS.match(line)
        if not m or m.group(2) == "0":
            continue
        for j in range(i + 1, len(out)):
            if re.match(rf"^    ok \d+ {re.escape(m.group(1))}$", out[j]):
                out[j] += (f" # SKIP {m.group(2)} of {m.group(3)} parameters"
                           " skipped (this KUnit reports each as ok)")
                break
            if re.match(r"^    (ok|not ok) \d+ ", out[j]):
                break
    return out


def suites_from_kmsg(kmsg):
    """Suite name -> the lines of its debugfs-style results."""
    suites, name, body = {}, None, []
    for raw in kmsg:
        line = PREFIX.sub("", raw, count=1).rstrip()
        m = SUITE_HEAD.match(line)
        if m:
            if name is not None:
                suites[name] = body  # cut short: no result line
            name = m.group(1)
            body = ["KTAP version 1", "1..1", "    KTAP version 1", line]
            continue
        if name is None:
            continue
        e = SUITE_END.match(line)
        if e and e.group(2) == name:
            body.append(f"{e.group(1)} 1 {name}{e.group(3)}")
            suites[name] = param_skips(body)
            name = None
        elif line == "    KTAP version 1":
            continue  # the next suite's header
        elif line.startswith(("    ", "# ")):
            body.append(line)
    if name is not None:
        suites[name] = body
    return suites


def main():
    d = pathlib.Path(sys.argv[1])
    log, raw = d / "ktap.log", d / "ktap.raw.log"
    if not log.is_file():
        raw.unlink(missing_ok=True)
        return 0
    text = log.read_text(errors="replace")
    if text.startswith(MARK):
        if not raw.is_file():
            print(f"ktap-from-kmsg: {log} was rewritten but {raw} is gone",
                  file=sys.stderr)
            return 1
        text = raw.read_text(errors="replace")
    lines = text.splitlines()

    kmsg, inside, ended = [], False, False
    for line in lines:
        if line.startswith("IODMA-KMSG-BEGIN"):
            inside = True
        elif line.startswith("IODMA-KMSG-END"):
            inside, ended = False, True
        elif inside:
            kmsg.append(line)
    if not ended:
        # Nothing to read the results from: the run's output as it is.
        if log.read_text(errors="replace") != text:
            log.write_text(text)
        raw.unlink(missing_ok=True)
        return 0
    raw.write_text(text)
    suites = suites_from_kmsg(kmsg)

    out = [f"{MARK}: suite results from the kernel log (KUnit kept "
           "only part of them for debugfs); the run's output: ktap.raw.log"]
    done, skip = set(), False
    for line in lines:
        if line.startswith("IODMA-SUITE-BEGIN"):
            name = line[len("IODMA-SUITE-BEGIN"):].strip()
            if name in suites:
                out += [line] + suites[name] + ["IODMA-SUITE-END"]
                done.add(name)
                skip = True
                continue
        if skip:
            skip = not line.startswith("IODMA-SUITE-END")
            continue
        if line.startswith("IODMA-KMSG-BEGIN"):
            for name in suites:
                if name not in done:
                    out += [f"IODMA-SUITE-BEGIN {name}"] + suites[name] + ["IODMA-SUITE-END"]
            done.update(suites)
        out.append(line)
    log.write_text("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
