#!/usr/bin/env python3
"""Judge one QEMU KUnit run.

Usage: ktap-check.py --name NAME --logdir DIR --suites-from DIR [--expect-suites a,b]
                     [--kernel LINE --expected-skips FILE]

Reads LOGDIR/ktap.log (suites as written by scripts/qemu/init, each the
debugfs results file between IODMA-SUITE-BEGIN and IODMA-SUITE-END),
LOGDIR/console.log and LOGDIR/qemu.exit (scripts/run-qemu.sh). The suites
expected are those registered with kunit_test_suites() in --suites-from's
*.c files, plus --expect-suites.

Counts every leaf KUnit case (each parameter of a parameterised case counts)
as passed or failed. Nothing unreported passes:
  - a skipped case counts as failed: every configuration runs everything;
  - each case a suite's plan (1..N) announces but never reports counts as
    failed (a suite that did not initialise, a crash mid-suite);
  - a (sub)test with no results counts one failure;
  - a suite- or case-level "not ok" or SKIP whose sub-results all passed,
    and a suite whose KTAP is malformed (no closing result line, results
    beyond the plan, no IODMA-SUITE-END) count one failure when nothing
    else in that suite failed.
Adds one case "<name>: kernel clean" that fails on any missing expected
suite, kernel WARN/BUG/Oops, KASAN, UBSAN, lockdep, kmemleak or DMA-API
debug report, an unfinished run (crash, timeout) or a non-zero QEMU exit.
Every failure prints a "FAIL" line saying why. Writes LOGDIR/results.ktap
(one KTAP document of all suites, for kunit.py parse) and LOGDIR/counts
("P F"), which it deletes first so that a crash never leaves an earlier
verdict behind. Prints a line "<name>: N passed, M failed"; exits 1 on
any failure.

Expected skips: with --kernel LINE, a case that FILE (scripts/lib/
expected-skips) lists for LINE may skip there: it counts as neither passed
nor failed, prints "SKIP <name>: <suite>.<case>: <reason>" and is written
to LOGDIR/skips ("<suite>.<case>\t<reason>" per line, deleted first).

robustness-kunit.py imports split_suites() and judge_suite() from here.
"""
import argparse
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "lib"))
from kernel_clean import run_problems  # noqa: E402

# One KTAP line: a result, a plan, a subtest header or a version line.
LINE = re.compile(
    r"^(?P<ind> *)(?:"
    r"(?P<res>ok|not ok) (?P<num>\d+)(?: (?P<desc>.*?))?"
    r"(?:\s*#\s*(?P<dir>(?i:SKIP|TODO))\b\s*(?P<why>.*?))?"
    r"|1\.\.(?P<plan>\d+)"
    r"|# Subtest: (?P<sub>.*?)"
    r"|(?P<ver>KTAP version \d+)"
    r")\s*$"
)
# kunit_err(suite, ...) in kunit_run_tests(): "# <suite>:     # failed to
# initialize (<errno>)".
INIT_FAILED = re.compile(r"failed to initiali[sz]e.*")
SUITE_DEF = re.compile(r"\bstruct\s+kunit_suite\s+(\w+)\s*=\s*\{(.*?)\}\s*;", re.S)
SUITE_NAME = re.compile(r"\.name\s*=\s*\"([^\"]+)\"")
SUITE_REG = re.compile(
    r"\bkunit_test(?:_init_section)?_suites?\s*\(([^)]*)\)\s*;")
MAX_FAIL_LINES = 40


def declared_suites(src_dir):
    """Names of the suites registered in SRC_DIR/*.c, and problems found."""
    names, problems = [], []
    files = sorted(pathlib.Path(src_dir).glob("*.c"))
    if not files:
        problems.append(f"no *.c files in {src_dir}")
    for f in files:
        text = f.read_text(errors="replace")
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        defs = {}
        for var, body in SUITE_DEF.findall(text):
            m = SUITE_NAME.search(body)
            defs[var] = m.group(1) if m else None
        for args in SUITE_REG.findall(text):
            for var in (a.strip().lstrip("&").strip() for a in args.split(",")):
                if not var:
                    continue
                if defs.get(var):
                    names.append(defs[var])
                else:
                    problems.append(f"{f.name}: suite {var} is registered but no "
                                    f"'struct kunit_suite {var}' with a .name was found")
    if not names and not problems:
        problems.append(f"no kunit_test_suites() registration found in {src_dir}")
    return names, problems


class Block:
    """One suite's lines in ktap.log, and whether IODMA-SUITE-END closed it."""

    def __init__(self, name):
        self.name = name
        self.lines = []
        self.ended = False


def split_suites(ktap):
    """Map suite name -> Block; and problems of the framing itself."""
    suites, problems = {}, []
    cur = None
    for line in ktap.splitlines():
        line = line.rstrip("\r")
        if line.startswith("IODMA-SUITE-BEGIN"):
            name = line[len("IODMA-SUITE-BEGIN"):].strip()
            if name in suites:
                problems.append(f"suite {name or '(unnamed)'} reported twice")
                cur = Block(name)  # judged nowhere: the first one counts
            else:
                cur = suites[name] = Block(name)
        elif line.startswith("IODMA-SUITE-END"):
            if cur is not None:
                cur.ended = True
            cur = None
        elif cur is not None:
            cur.lines.append(line)
    return suites, problems


class Result:
    """One "ok"/"not ok" line, with the group of its sub-results if any."""

    def __init__(self, m=None, name=""):
        self.ok = m is not None and m["res"] == "ok"
        self.number = int(m["num"]) if m else 0
        self.desc = (m["desc"] or "").strip() if m else name
        self.directive = (m["dir"] or "").upper() if m else ""
        self.reason = (m["why"] or "").strip() if m else ""
        self.missing = m is None  # the log ended before this result line
        self.children = None

    @property
    def passed(self):
        return self.ok and not self.directive


class Group:
    """The results at one indentation: a KTAP document or a subtest."""

    def __init__(self, indent, name=None):
        self.indent = indent
        self.name = name
        self.plan = None
        self.results = []
        self.notes = []  # malformed-KTAP findings


def parse(lines):
    """Build the result tree of one suite's KTAP. Returns the root group
    (indent 0), or None if there is no KTAP at all."""
    stack = []

    def close_above(indent):
        # Groups deeper than INDENT that no result line closed: the log
        # ended (or jumped) inside them. Attach each to a placeholder.
        while stack and stack[-1].indent > indent:
            g = stack.pop()
            parent = stack[-1] if stack else None
            if parent is None:
                parent = Group(0)
                stack.append(parent)
            r = Result(name=g.name or "(unnamed subtest)")
            r.children = g
            parent.results.append(r)

    def open_group(indent, name=None):
        if indent == 0 and stack:
            stack[0].notes.append("more than one KTAP document")
            close_above(0)
            return stack[0]
        close_above(indent - 1)
        if not stack and indent > 0:
            stack.append(Group(0))
        g = Group(indent, name)
        stack.append(g)
        return g

    for raw in lines:
        m = LINE.match(raw.rstrip())
        if not m:
            continue
        ind = len(m["ind"])
        top = stack[-1] if stack else None
        fresh = (top is not None and top.indent == ind and not top.results
                 and top.plan is None)
        if m["ver"]:
            if not (fresh and top.name is None):
                open_group(ind)
        elif m["sub"] is not None:
            if fresh and top.name is None:
                top.name = m["sub"].strip()
            else:
                open_group(ind, m["sub"].strip())
        elif m["plan"] is not None:
            close_above(ind)
            top = stack[-1] if stack else None
            if top is None or top.indent < ind:
                top = open_group(ind)
            if top.plan is None:
                top.plan = int(m["plan"])
            else:
                top.notes.append(f"second plan 1..{m['plan']}")
        else:
            close_above(ind + 4)
            r = Result(m)
            if stack and stack[-1].indent == ind + 4:
                r.children = stack.pop()
            if not stack or stack[-1].indent < ind:
                open_group(ind)
            stack[-1].results.append(r)
    close_above(0)
    return stack[0] if stack else None


class Verdict:
    """What judge_suite() found: counts, reasons, and the leaf cases."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.messages = []  # one line per problem, counted or not
        self.leaves = []  # (path below the suite, passed)
        self.skips = []  # expected skips: ("suite.case", reason)
        self._other = []  # problems that are not cases

    def fail(self, n, msg):
        self.failed += n
        self.messages.append(msg)

    def other(self, msg):
        self._other.append(msg)
        self.messages.append(msg)


def judge_suite(name, lines, ended=True, allowed_skip=None):
    """Judge one suite's results (the debugfs KTAP document).
    ALLOWED_SKIP(path) -> bool: whether the case at PATH ([suite, case,
    ...]) may skip (expected skips); by default no skip may."""
    v = Verdict(name)
    for line in lines:
        m = INIT_FAILED.search(line)
        if m:
            v.messages.append(f"{name}: suite {m.group(0).strip()}")
    root = parse(lines)
    if root is None or not root.results:
        v.fail(1, f"{name}: no test results"
                  f"{' (empty results file)' if root is None else ''}")
        if not ended:
            v.messages.append(f"{name}: no IODMA-SUITE-END: the collected "
                              "results were cut short")
        return v

    def walk(group, path):
        """Count the results of GROUP; return the failures counted."""
        before = v.failed
        where = ": ".join(path)
        for note in group.notes:
            v.other(f"{where}: {note}")
        for i, r in enumerate(group.results, 1):
            here = path + [r.desc or f"#{i}"]
            what = ": ".join(here)
            if not r.missing and r.number != i:
                v.other(f"{what}: numbered {r.number}, expected {i}")
            if r.children is None:
                v.leaves.append((tuple(here[1:]), r.passed))
                if r.passed:
                    v.passed += 1
                elif (r.directive == "SKIP" and allowed_skip  # expected skips
                      and allowed_skip(here)):
                    v.skips.append((".".join(here[:2]), r.reason))
                elif r.directive == "SKIP":
                    v.fail(1, f"{what} skipped"
                              f"{': ' + r.reason if r.reason else ''}"
                              " (a skip counts as a failure)")
                elif r.ok:
                    v.fail(1, f"{what}: 'ok # {r.directive}' is not a pass")
                else:
                    v.fail(1, f"{what} failed")
                continue
            inner_skips = len(v.skips)  # expected skips
            inner = walk(r.children, here)
            if r.missing:
                # A case that never reported its result did not pass.
                msg = (f"{what}: no result line (the log ends inside it: "
                       "crash or truncated log)")
                if inner == 0:
                    v.fail(1, msg)
                else:
                    v.messages.append(msg)
            elif (not r.passed and inner == 0
                  and not (r.directive == "SKIP"  # expected skips: all of it
                           and len(v.skips) > inner_skips)):
                state = "skipped" if r.directive == "SKIP" else "reported not ok"
                v.fail(1, f"{what} {state} although none of its "
                          f"{len(r.children.results)} results failed")
        got = len(group.results)
        if group.plan is not None and got < group.plan:
            v.fail(group.plan - got,
                   f"{where}: {got} of {group.plan} planned results reported "
                   "(suite not initialised, or crash mid-suite); "
                   "each missing one counts as failed")
        elif group.plan is not None and got > group.plan:
            v.other(f"{where}: {got} results, {group.plan} planned")
        if got == 0 and v.failed == before:
            v.fail(1, f"{where}: no test results")
        return v.failed - before

    # The debugfs file: "1..1" and one result, the suite itself, whose
    # sub-results are the cases.
    suites = root.results
    if len(suites) != 1 or suites[0].desc != name:
        v.other(f"{name}: expected one suite result '{name}', found "
                f"{[r.desc for r in suites] or 'none'}")
    for note in root.notes:
        v.other(f"{name}: {note}")
    if root.plan not in (None, len(suites)):
        v.other(f"{name}: document plan 1..{root.plan}, {len(suites)} results")
    for s in suites:
        if s.children is None:
            v.fail(1, f"{name}: suite result '{s.desc}' without any case "
                      "(no '# Subtest:' or plan)")
            continue
        inner = walk(s.children, [name])
        if s.missing:
            v.other(f"{name}: no suite result line: the log ends mid-suite")
        elif (not s.passed and inner == 0
              and not (s.directive == "SKIP" and v.skips)):  # expected skips
            state = "skipped" if s.directive == "SKIP" else "reported not ok"
            v.fail(1, f"{name}: suite {state} although none of its cases failed")
    if not ended:
        v.other(f"{name}: no IODMA-SUITE-END: the collected results were cut short")
    if v._other and v.failed == 0:
        v.failed = 1  # malformed KTAP is never a pass
    return v


# --- expected skips (scripts/lib/expected-skips) ---------------------------
def expected_skips(path, kernel):
    """The "<suite>.<case>" names FILE allows to skip on KERNEL: lines
    "<kernel line> <suite>.<case> <reason>", '#' comments."""
    allowed = set()
    if not path or not kernel:
        return allowed
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        f = line.split("#", 1)[0].split(None, 2)
        if not f:
            continue
        if len(f) < 3 or f[1].count(".") != 1:
            sys.exit(f"{path}:{n}: want '<kernel line> <suite>.<case> <reason>'")
        if f[0] == kernel:
            allowed.add(f[1])
    return allowed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--suites-from", required=True)
    ap.add_argument("--expect-suites", default="")
    ap.add_argument("--kernel", default="")  # expected skips
    ap.add_argument("--expected-skips", default="")
    a = ap.parse_args()
    logdir = pathlib.Path(a.logdir)
    (logdir / "counts").unlink(missing_ok=True)
    (logdir / "skips").unlink(missing_ok=True)
    allowed = expected_skips(a.expected_skips, a.kernel)

    fails = []
    skips = []  # expected skips
    passed = failed = 0
    expected, declare = declared_suites(a.suites_from)
    expected += [s for s in a.expect_suites.split(",") if s]
    if declare:
        failed += 1
        fails += [f"expected suites: {d}" for d in declare]

    ktap_file = logdir / "ktap.log"
    ktap = ktap_file.read_text(errors="replace") if ktap_file.is_file() else ""
    suites, framing = split_suites(ktap)
    if framing:
        failed += 1
        fails += framing

    doc = ["KTAP version 1", f"1..{len(suites)}"]
    for i, (name, block) in enumerate(sorted(suites.items()), 1):
        v = judge_suite(name, block.lines, block.ended,
                        lambda path: ".".join(path[:2]) in allowed)
        skips += v.skips
        passed += v.passed
        failed += v.failed
        fails += v.messages
        body = block.lines[2:]  # drop the per-file "KTAP version 1" / "1..1"
        if body and LINE.match(body[-1]) and body[-1].startswith(("ok", "not ok")):
            body[-1] = re.sub(r"^(ok|not ok) 1 ", rf"\g<1> {i} ", body[-1])
        doc += body
    (logdir / "results.ktap").write_text("\n".join(doc) + "\n")

    clean = [f"suite {s} missing from the run" for s in expected if s not in suites]
    if not ktap_file.is_file():
        clean.append("no ktap.log (the run produced no KUnit output)")
    clean += run_problems(logdir)
    if clean:
        failed += 1
        fails += [f"kernel clean: {c}" for c in clean]
    else:
        passed += 1

    for f in fails[:MAX_FAIL_LINES]:
        print(f"FAIL {a.name}: {f}")
    if len(fails) > MAX_FAIL_LINES:
        print(f"FAIL {a.name}: ... {len(fails) - MAX_FAIL_LINES} more")
    for case, why in skips:  # expected skips
        print(f"SKIP {a.name}: {case}: {why or '(no reason given)'}")
    (logdir / "skips").write_text("".join(f"{c}\t{w}\n" for c, w in skips))
    (logdir / "counts").write_text(f"{passed} {failed}\n")
    print(f"{a.name}: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
