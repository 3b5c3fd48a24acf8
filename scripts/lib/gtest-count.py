#!/usr/bin/env python3
# Usage: gtest-count.py LIST XML...
# Judge a GoogleTest run split into shards (scripts/check-host.sh): LIST is
# the binary's --gtest_list_tests output (the tests that must run), each XML
# one shard's --gtest_output report. Prints "P F": P the listed tests that
# ran and passed, F every other listed test (failed, skipped, or missing
# because its shard crashed or never wrote a report), plus every reported
# test not in the list. Names what failed on stderr.
import sys
import xml.etree.ElementTree as ET


def listed(path):
    """The full names (Suite.Test) that --gtest_list_tests printed."""
    names, suite = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if not line.startswith(" "):
                suite = line.split("#")[0].strip()
            elif suite:
                names.append(suite + line.split("#")[0].strip())
    return names


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gtest-count.py LIST XML...")
    want = listed(sys.argv[1])
    passed, bad = set(), []
    for path in sys.argv[2:]:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print(f"no report {path}: {e}", file=sys.stderr)
            continue
        for tc in root.iter("testcase"):
            name = f"{tc.get('classname')}.{tc.get('name')}"
            ok = (tc.get("status") == "run"
                  and tc.get("result", "completed") == "completed"
                  and tc.find("failure") is None
                  and tc.find("skipped") is None)
            if name not in want:
                bad.append(f"{name}: reported, not listed")
            elif ok and name not in passed:
                passed.add(name)
            elif not ok:
                bad.append(f"{name}: {tc.get('result') or tc.get('status')}"
                           + (" (failure)" if tc.find("failure") is not None
                              else ""))
    bad += [f"{n}: no result" for n in want if n not in passed
            and not any(b.startswith(n + ":") for b in bad)]
    for b in bad[:20]:
        print(f"FAIL host: {b}", file=sys.stderr)
    if len(bad) > 20:
        print(f"FAIL host: ... and {len(bad) - 20} more", file=sys.stderr)
    failed = len(want) - len(passed) + sum(
        1 for b in bad if b.endswith("reported, not listed"))
    if not want:
        failed = max(failed, 1)
        print("FAIL host: the binary listed no test", file=sys.stderr)
    print(len(passed), failed)


main()
