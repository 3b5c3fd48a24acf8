#!/usr/bin/env python3
"""Check iodma's trace events against the edu demo's transfers.

Usage: trace-check.py [--counts FILE] NAME=LOGDIR...

Each LOGDIR is a demo run made with IODMA_DEMO_TRACE=1 (scripts/demo.sh):
its ktap.log holds the DEMO| lines edu-demo printed, one per transfer, and
the trace buffer between "IODMA-TRACE-BEGIN overrun=N" and
"IODMA-TRACE-END". samples/edu does every transfer the same way: prepare
the command of the buffer under test ("test"), then its own buffer's
("own"), gen_segments on both, synchronize(FOR_CPU) on test when the device
wrote it, complete own, complete test (records of a command's prepare are
written when it returns, so a copy_buffer record made inside it is moved
after it). So for the i-th DEMO line the i-th
prepare of the test command must be followed by exactly those records, with
the transfer's length and direction, the same copy-buffer verdict (an
iodma:copy_buffer record exactly when the line says "yes"), as many
gen_segments calls and segments as the line reports, chaining from 0 to
the length, and every result 0.

Each transfer counts one case; each run one more for the trace itself
(present, complete, nothing lost, no record outside a transfer). --counts
writes "P F"; it is deleted first, so a crash leaves no verdict behind.
"""
import argparse
import pathlib
import re
import sys
from collections import Counter

RECORD = re.compile(
    r"\s(prepare|complete|gen_segments|synchronize|copy_buffer): (.*)$")
SYNC_FOR_CPU = 1


def parse(logdir):
    """(rows, records, problems) of one run's ktap.log."""
    path = pathlib.Path(logdir) / "ktap.log"
    text = path.read_text(errors="replace") if path.is_file() else ""
    rows, records, problems = [], [], []
    begin = end = False
    overrun = None
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("DEMO|"):
            f = line.split("|")
            if len(f) != 10:
                problems.append(f"unreadable transfer line: {line[:80]}")
                continue
            rows.append({"kind": f[2], "size": int(f[3]), "dir": f[4],
                         "segs": int(f[5]), "calls": int(f[6]),
                         "cb": f[7] == "yes", "ok": f[9] == "OK"})
            continue
        if line.startswith("IODMA-TRACE-BEGIN"):
            begin = True
            m = re.search(r"overrun=(\d+)", line)
            overrun = int(m.group(1)) if m else None
            continue
        if line.startswith("IODMA-TRACE-END"):
            end = True
            continue
        if not begin or end:
            continue
        m = RECORD.search(line)
        if m:
            fields = dict(kv.split("=", 1) for kv in m.group(2).split()
                          if "=" in kv)
            records.append((m.group(1), fields))
    records = in_call_order(records)
    if not begin:
        problems.append("no trace (IODMA-TRACE-BEGIN missing)")
    elif not end:
        problems.append("trace cut short (IODMA-TRACE-END missing)")
    if overrun is None and begin:
        problems.append("trace overrun not reported")
    elif overrun:
        problems.append(f"{overrun} trace records lost (overrun)")
    return rows, records, problems


def in_call_order(records):
    """A copy_buffer record made inside a prepare (reason spec or
    unreachable) comes before that prepare's own record, which is written
    when the call returns: move it just after, where the call's effects
    belong. Forced ones (synchronize) stay where they are."""
    out, held = [], {}
    for ev, f in records:
        if ev == "copy_buffer" and f.get("reason") in ("spec", "unreachable"):
            held.setdefault(f.get("cmd"), []).append((ev, f))
            continue
        out.append((ev, f))
        if ev == "prepare":
            out += held.pop(f.get("cmd"), [])
    for recs in held.values():  # no prepare followed: keep them, at the end
        out += recs
    return out


def chain(gens, size, who):
    """Problems of gen_segments records that must walk 0..size."""
    out, pos = [], 0
    for g in gens:
        if int(g["result"]) != 0:
            out.append(f"{who} gen_segments result {g['result']}")
        if int(g["offset"]) != pos:
            out.append(f"{who} gen_segments from {g['offset']}, want {pos}")
        pos = int(g["end"])
    if pos != size:
        out.append(f"{who} gen_segments ended at {pos}, want {size}")
    return out


def check_transfer(row, recs, test, own):
    """Problems of one transfer's records against its DEMO row."""
    why = []
    by = {}
    for ev, f in recs:
        who = "test" if f.get("cmd") == test else "own" if f.get("cmd") == own else "other"
        by.setdefault((who, ev), []).append(f)
    if ("other", "prepare") in by or any(k[0] == "other" for k in by):
        why.append("records of a third command")
    size = row["size"]
    for who in ("test", "own"):
        p = by.get((who, "prepare"), [])
        c = by.get((who, "complete"), [])
        if len(p) != 1:
            why.append(f"{len(p)} {who} prepare records, want 1")
        for r in p:
            if (int(r["offset"]), int(r["length"]), int(r["result"])) != (0, size, 0):
                why.append(f"{who} prepare {r['offset']}+{r['length']} "
                           f"result {r['result']}, want 0+{size} result 0")
            if r["nest"] != "1":
                why.append(f"{who} prepare nest {r['nest']}, want 1")
        if len(c) != 1:
            why.append(f"{len(c)} {who} complete records, want 1")
        for r in c:
            if (int(r["offset"]), int(r["length"]), int(r["result"])) != (0, size, 0):
                why.append(f"{who} complete {r['offset']}+{r['length']} "
                           f"result {r['result']}, want 0+{size} result 0")
            if r["nest"] != "0":
                why.append(f"{who} complete leaves nest {r['nest']}, want 0")
        why += chain(by.get((who, "gen_segments"), []), size, who)
    tp = by.get(("test", "prepare"), [{}])[0]
    if tp.get("dir") != row["dir"]:
        why.append(f"test prepare dir {tp.get('dir')}, want {row['dir']}")
    if tp.get("copy_buffer") != ("1" if row["cb"] else "0"):
        why.append(f"test prepare copy_buffer={tp.get('copy_buffer')}, "
                   f"the transfer says {'yes' if row['cb'] else 'no'}")
    cbs = by.get(("test", "copy_buffer"), [])
    if len(cbs) != (1 if row["cb"] else 0):
        why.append(f"{len(cbs)} test copy_buffer records, want "
                   f"{1 if row['cb'] else 0}")
    for r in cbs:
        if (int(r["offset"]), int(r["length"]), int(r["result"])) != (0, size, 0):
            why.append(f"copy_buffer {r['offset']}+{r['length']} result "
                       f"{r['result']}, want 0+{size} result 0")
        if r.get("dir") != row["dir"]:
            why.append(f"copy_buffer dir {r.get('dir')}, want {row['dir']}")
    gens = by.get(("test", "gen_segments"), [])
    if len(gens) != row["calls"]:
        why.append(f"{len(gens)} test gen_segments records, the transfer "
                   f"made {row['calls']} calls")
    if sum(int(g["count"]) for g in gens) != row["segs"]:
        why.append(f"test gen_segments emitted "
                   f"{sum(int(g['count']) for g in gens)} segments, the "
                   f"transfer counted {row['segs']}")
    syncs = by.get(("test", "synchronize"), [])
    want_sync = 1 if row["dir"] == "from-device" else 0
    if len(syncs) != want_sync or by.get(("own", "synchronize")):
        why.append(f"{len(syncs)} test synchronize records, want {want_sync}")
    for r in syncs:
        if int(r["flags"], 0) != SYNC_FOR_CPU or int(r["result"]) != 0:
            why.append(f"synchronize options {r['flags']} result {r['result']}, "
                       f"want {SYNC_FOR_CPU:#x} result 0")
    if not row["ok"]:
        why.append("the transfer itself failed")
    return why


def check_run(name, logdir):
    """(passed, failed, notes) of one run."""
    rows, records, trace_bad = parse(logdir)
    passed = failed = 0
    notes = []
    prepares = [f for ev, f in records if ev == "prepare"]
    if not rows:
        trace_bad.append("no transfers (no DEMO| lines)")
    if not prepares:
        trace_bad.append("no prepare records")
    starts = []
    if prepares:
        test = prepares[0]["cmd"]
        # The driver's own buffer's command: the other one prepared in
        # (nearly) every transfer.
        others = Counter(f["cmd"] for f in prepares if f["cmd"] != test)
        own = others.most_common(1)[0][0] if others else None
        # The records of transfer i run from the i-th prepare of the test
        # command to the next one.
        starts = [i for i, (ev, f) in enumerate(records)
                  if ev == "prepare" and f["cmd"] == test]
        if starts[0] != 0:
            trace_bad.append(f"{starts[0]} records before the first transfer")
        if len(starts) != len(rows):
            trace_bad.append(f"{len(starts)} transfers traced, {len(rows)} reported")
    bounds = starts + [len(records)]
    for i, row in enumerate(rows):
        what = f"transfer {i + 1} ({row['kind']} {row['size']} {row['dir']})"
        if i >= len(starts):
            failed += 1
            notes.append(f"{name}: {what}: not traced")
            continue
        why = check_transfer(row, records[bounds[i]:bounds[i + 1]], test, own)
        if why:
            failed += 1
            notes += [f"{name}: {what}: {w}" for w in why[:5]]
        else:
            passed += 1
    if trace_bad:
        failed += 1
        notes += [f"{name}: trace: {b}" for b in trace_bad]
    else:
        passed += 1
    print(f"trace [{name}]: {len(rows)} transfers, {len(records)} records, "
          f"{passed} passed, {failed} failed")
    return passed, failed, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts")
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    if a.counts:
        pathlib.Path(a.counts).unlink(missing_ok=True)
    tp = tf = 0
    for spec in a.runs:
        name, logdir = spec.split("=", 1)
        p, f, notes = check_run(name, logdir)
        tp, tf = tp + p, tf + f
        for n in notes:
            print(f"FAIL {n}")
    print(f"trace: {tp} passed, {tf} failed")
    if a.counts:
        pathlib.Path(a.counts).write_text(f"{tp} {tf}\n")
    return 0 if tf == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
