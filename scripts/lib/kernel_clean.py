"""What the kernel printed that means a run is not clean, and how QEMU
ended. Shared by the KUnit, robustness and demo judges. Whatever was not
reported counts as a problem: a console without the end marker, a debug
kernel that did not report its DMA-API, lockdep or kmemleak state, a
missing or non-zero QEMU exit status."""
import pathlib
import re

REPORTS = [
    re.compile(p)
    for p in (
        r"WARNING:",
        r"BUG:",
        r"Oops",
        r"Kernel panic",
        r"general protection fault",
        r"KASAN",
        r"UBSAN",
        r"DMA-API:",
        r"possible (circular|recursive) locking",
        r"inconsistent lock state",
        r"suspected memory leak",
        r"Call Trace:",
        r"IODMA-ERROR",
        r"IODMA-RUN-FAILED",
        # kmemleak turned itself off: leaks would go unreported.
        r"Kernel memory leak detector disabled",
    )
]


PRINTK = re.compile(r"\[\s*\d+\.\d+\] ")
# scripts/qemu/init: the jiffies before the first module loads.
SINCE = re.compile(r"IODMA-KMEMLEAK-SINCE (\d+)\s*$")
# kmemleak's report: a block per object, its allocation time in jiffies
# on the line after the header.
LEAK_HEAD = re.compile(r"unreferenced object ")
LEAK_TIME = re.compile(r'^\s*comm ".*", pid -?\d+, jiffies (\d+)')


def leak_problems(blocks, since):
    """The lines of kmemleak's report that count: every line of every
    object allocated at or after SINCE (the jiffies scripts/qemu/init read
    before the first module loaded), of every object when there is no
    SINCE, of an object whose time cannot be read, and any line before the
    first object. An object allocated before SINCE was allocated during the
    boot, before anything of iodma ran: not ours."""
    out = []
    for head, lines in blocks:
        if head:
            t = next((int(m.group(1)) for m in map(LEAK_TIME.match, lines) if m),
                     None)
            if since is not None and t is not None and t < since:
                continue
        out.extend(f"kmemleak: {line}" for line in lines)
    return out


def problems(console, debug_kernel=True):
    """Reasons the console log shows an unclean or unfinished run.

    A test that provokes a warning on purpose (a WARN_ONCE the contract
    requires) prints "IODMA-EXPECT-WARN-BEGIN <message>" before and
    "IODMA-EXPECT-WARN-END" after: between them exactly one "WARNING:" and
    its one "Call Trace:" are accepted, and required, together with a line
    holding <message>. Any other report there still counts, as does a
    second warning, a missing one and an unclosed span."""
    out = []
    if "IODMA-RUN-COMPLETE" not in console:
        out.append("run did not complete (crash or timeout; see console.log)")
    in_leak = False
    leak_scans = 0
    since = None
    leak_blocks = []  # (starts with an object header, its lines)
    insmod_seen = False
    expect = None  # inside an expected-warning span: what it has seen
    for line in console.splitlines():
        if "IODMA-INSMOD" in line:
            insmod_seen = True
        m = SINCE.search(line)
        if m:
            if since is not None:
                out.append("kmemleak baseline reported twice")
            elif insmod_seen:
                out.append("kmemleak baseline taken after a module loaded")
            since = int(m.group(1))
            continue
        if "IODMA-KMEMLEAK-BEGIN" in line:
            in_leak = True
            leak_blocks = []
            continue
        if "IODMA-KMEMLEAK-END" in line:
            if in_leak:
                leak_scans += 1
                out.extend(leak_problems(leak_blocks, since))
            in_leak = False
            continue
        # kmemleak's report, read from debugfs; the kernel's own messages
        # share the console and may fall inside it (a printk time stamp
        # starts them): those are judged below like any other line.
        if in_leak and line.strip() and not PRINTK.match(line):
            head = bool(LEAK_HEAD.match(line.strip()))
            if head or not leak_blocks:
                leak_blocks.append((head, []))
            leak_blocks[-1][1].append(line.strip())
            continue
        if "IODMA-EXPECT-WARN-BEGIN" in line:
            if expect is not None:
                out.append(f"expected warning '{expect['text']}': span not closed")
            text = line.split("IODMA-EXPECT-WARN-BEGIN", 1)[1].strip()
            expect = {"text": text, "seen": not text, "warn": 0, "trace": 0}
            continue
        if "IODMA-EXPECT-WARN-END" in line:
            if expect is None:
                out.append("IODMA-EXPECT-WARN-END without a BEGIN")
            elif expect["warn"] != 1 or not expect["seen"]:
                out.append(f"expected warning '{expect['text']}' did not appear"
                           " (exactly one WARNING with that message)")
            expect = None
            continue
        if expect is not None:
            if expect["text"] and expect["text"] in line:
                expect["seen"] = True
            if "WARNING:" in line and expect["warn"] == 0:
                expect["warn"] = 1
                continue
            if ("Call Trace:" in line and expect["warn"] == 1
                    and expect["trace"] == 0):
                expect["trace"] = 1
                continue
        for r in REPORTS:
            if r.search(line):
                out.append(f"console: {line.strip()}")
                break
    if in_leak:
        out.extend(leak_problems(leak_blocks, None))
        out.append("kmemleak report not finished (no IODMA-KMEMLEAK-END)")
    if expect is not None:
        out.append(f"expected warning '{expect['text']}': span not closed"
                   " (no IODMA-EXPECT-WARN-END)")
    if debug_kernel:
        if not leak_scans:
            out.append("kmemleak scan not reported (no IODMA-KMEMLEAK-BEGIN/END)")
        m = re.search(r"IODMA-DMA-API-ERRORS (\S+)", console)
        if not m or m.group(1) != "0":
            out.append(
                f"DMA-API debug error count: {m.group(1) if m else 'not reported'}")
        m = re.search(r"IODMA-LOCKDEP (\S+)", console)
        if not m or m.group(1) != "1":
            out.append(
                f"lockdep debug_locks: {m.group(1) if m else 'not reported'} (1 = no report)")
    return out


def qemu_problems(logdir):
    """Reasons LOGDIR/qemu.exit (written by scripts/run-qemu.sh) shows a
    run that did not end by itself."""
    f = pathlib.Path(logdir) / "qemu.exit"
    if not f.is_file():
        return ["no QEMU exit status (qemu.exit missing: run-qemu.sh did not finish)"]
    text = f.read_text(errors="replace").strip()
    if not re.fullmatch(r"\d+", text):
        return [f"QEMU exit status garbled: {text[:40]!r}"]
    rc = int(text)
    if rc in (124, 137):
        return [f"QEMU timed out (exit {rc})"]
    if rc:
        return [f"QEMU exited with status {rc} (see qemu.log)"]
    return []


def run_problems(logdir, debug_kernel=True):
    """problems() of LOGDIR/console.log, then qemu_problems(LOGDIR)."""
    f = pathlib.Path(logdir) / "console.log"
    console = f.read_text(errors="replace") if f.is_file() else ""
    out = [] if console else ["no console output (console.log missing or empty)"]
    return out + problems(console, debug_kernel) + qemu_problems(logdir)
