"""What the kernel printed that means a run is not clean. Shared by the
KUnit and demo judges."""
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
    )
]


def problems(console, debug_kernel=True):
    """Reasons the console log shows an unclean or unfinished run."""
    out = []
    if "IODMA-RUN-COMPLETE" not in console:
        out.append("run did not complete (crash or timeout; see console.log)")
    in_leak = False
    for line in console.splitlines():
        if "IODMA-KMEMLEAK-BEGIN" in line:
            in_leak = True
            continue
        if "IODMA-KMEMLEAK-END" in line:
            in_leak = False
            continue
        if in_leak and line.strip():
            out.append(f"kmemleak: {line.strip()}")
            continue
        for r in REPORTS:
            if r.search(line):
                out.append(f"console: {line.strip()}")
                break
    if debug_kernel:
        m = re.search(r"IODMA-DMA-API-ERRORS (\S+)", console)
        if not m or m.group(1) != "0":
            out.append(
                f"DMA-API debug error count: {m.group(1) if m else 'not reported'}")
        m = re.search(r"IODMA-LOCKDEP (\S+)", console)
        if not m or m.group(1) != "1":
            out.append(
                f"lockdep debug_locks: {m.group(1) if m else 'not reported'} (1 = no report)")
    return out
