#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Usage: sparse-report.py --log BUILD_LOG --build-dir DIR --status RC FILE...

Judge a `make C=2 CHECK=sparse` module build (scripts/check-static.sh).
FILE... are the C files (relative to the tree) that sparse must have
checked. One case per FILE: it passes when the log has its "CHECK" line
(sparse ran on it) and no diagnostic ("path:line:col: warning|error:")
names it. One more case fails for an empty log, for diagnostics in any
other file (a header), and for a failed build (RC not 0) that no
diagnostic explains.
Prints "PASS sparse: ..." / "FAIL sparse: ..." lines and exits 1 if any
case fails.
"""

import argparse
import os
import re
import sys

CHECK = re.compile(r"^\s+CHECK\s+(\S+)\s*$")
DIAG = re.compile(r"^(\S+?):(\d+):(?:(\d+):)? (warning|error): (.*)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--status", type=int, required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    build = os.path.realpath(args.build_dir)

    def rel(path):
        path = os.path.realpath(os.path.join(build, path))
        if path.startswith(build + os.sep):
            return os.path.relpath(path, build)
        return path

    try:
        with open(args.log, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        lines = []
        print(f"  no build log: {e}")

    checked = set()
    diags = {}
    for line in lines:
        m = CHECK.match(line)
        if m:
            checked.add(rel(m.group(1)))
            continue
        m = DIAG.match(line)
        if m:
            diags.setdefault(rel(m.group(1)), []).append(line)

    p = f = 0
    for name in args.files:
        why = []
        if name not in checked:
            why.append("sparse did not run on it (no CHECK line)")
        for d in diags.pop(name, []):
            print(f"  {d}")
            why.append("diagnostics above")
        if why:
            f += 1
            print(f"FAIL sparse: {name}: {'; '.join(sorted(set(why)))}")
        else:
            p += 1
            print(f"PASS sparse: {name}")

    any_diag = bool(diags) or f > 0
    other = [d for ds in diags.values() for d in ds]
    for d in other:
        print(f"  {d}")
    if not lines:
        f += 1
        print("FAIL sparse: empty or missing build log")
    elif other:
        f += 1
        print(f"FAIL sparse: {len(other)} diagnostic(s) outside the checked files (above)")
    elif args.status != 0 and not any_diag:
        f += 1
        print(f"FAIL sparse: the module build failed (exit {args.status}) "
              "with no diagnostic; see the log")
    else:
        p += 1
        print("PASS sparse: nothing in headers, no unexplained build failure")
    print(f"sparse: {p} passed, {f} failed")
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
