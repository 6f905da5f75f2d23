#!/usr/bin/python3
"""Compare expected flows with the final snapshot of `iftop --json`.

    compare_flows.py EXPECTED.json ACTUAL.ndjson [--flows-key KEY] [--max N]

EXPECTED is {"flows": [...]} as printed by tshark_flows.py or written by gen_cases.py
(--flows-key picks another list in it, e.g. "flows_without_l"). ACTUAL is the NDJSON of
`./iftop -r FILE --json -l`; only its last object, which must carry "final": true, is read.
Flows are compared as multisets keyed by (protocol, src, src_port, dst, dst_port) with the
four counters; rate fields (sent_2s, ...) and any other keys are ignored. The final object's
totals must equal the sums over the expected flows.
When EXPECTED also has "stats" (frames read, skip counts by reason), differences from the final
object's "capture" counters are printed as "note:" lines; they fail only with --strict-skips,
since ACCOUNTING.md fixes which packets count, and the reasons only as far as its wording goes.
Exit 0 when equal, 1 on any difference, 2 when an input cannot be read.
"""

import argparse
import collections
import json
import sys

KEY = ("protocol", "src", "src_port", "dst", "dst_port")
COUNTERS = ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets")


def flow_key(f):
    return tuple(f.get(k) for k in KEY)


def fmt_key(k):
    proto, src, sport, dst, dport = k
    return f"{proto} {fmt_ep(src, sport)} -> {fmt_ep(dst, dport)}"


def fmt_ep(addr, port):
    return f"[{addr}]:{port}" if ":" in str(addr) else f"{addr}:{port}"


def fmt_counts(c):
    return f"sent {c[0]} B/{c[2]} pkt, recv {c[1]} B/{c[3]} pkt"


def index(flows):
    """5-tuple -> sorted list of counter tuples (a multiset per key)."""
    out = collections.defaultdict(list)
    for f in flows:
        out[flow_key(f)].append(tuple(f.get(k) for k in COUNTERS))
    for v in out.values():
        v.sort(key=repr)
    return out


def totals(flows):
    return {k: sum(f.get(k) or 0 for f in flows) for k in COUNTERS}


def compare(expected, actual, max_lines=40):
    """Returns (list of report lines, equal?) for two lists of flow objects."""
    exp, act = index(expected), index(actual)
    missing, extra, differ = [], [], []
    for k in sorted(set(exp) | set(act), key=repr):
        e, a = list(exp.get(k, [])), list(act.get(k, []))
        for c in list(e):                 # drop the entries both sides agree on
            if c in a:
                e.remove(c)
                a.remove(c)
        while e and a:                    # same 5-tuple, other numbers
            differ.append((k, e.pop(0), a.pop(0)))
        missing += [(k, c) for c in e]
        extra += [(k, c) for c in a]
    lines = []

    def section(title, items, show):
        if not items:
            return
        lines.append(f"{title} ({len(items)}):")
        for it in items[:max_lines]:
            lines.append("  " + show(it))
        if len(items) > max_lines:
            lines.append(f"  ... and {len(items) - max_lines} more")

    section("missing from actual", missing, lambda it: f"{fmt_key(it[0])}  {fmt_counts(it[1])}")
    section("extra in actual", extra, lambda it: f"{fmt_key(it[0])}  {fmt_counts(it[1])}")

    def show_diff(it):
        k, e, a = it
        parts = [f"{n} {x} != {y}" for n, x, y in zip(COUNTERS, e, a) if x != y]
        return f"{fmt_key(k)}  expected {fmt_counts(e)}; actual: " + ", ".join(parts)
    section("differing counters", differ, show_diff)
    return lines, not (missing or extra or differ)


def skip_notes(stats, final):
    """Differences between the expected frame/skip counts and iftop's capture counters."""
    cap = final.get("capture")
    if not isinstance(stats, dict) or not isinstance(cap, dict):
        return []
    notes = []
    if "frames" in stats and cap.get("packets") is not None and stats["frames"] != cap["packets"]:
        notes.append(f"note: frames read: expected {stats['frames']}, iftop {cap['packets']}")
    exp, act = stats.get("skipped") or {}, cap.get("skipped") or {}
    diff = [f"{k} {exp.get(k, 0)} vs {act.get(k, 0)}" for k in sorted(set(exp) | set(act))
            if k not in ("disagreement", "outside_net") and exp.get(k, 0) != act.get(k, 0)]
    if diff:
        notes.append("note: skip counts differ (expected vs iftop): " + ", ".join(diff))
    if stats.get("disagreements"):
        notes.append(f"note: {len(stats['disagreements'])} frames where tshark and the link rules "
                     "disagree were left out of the expected flows (tshark_flows.py --explain)")
    return notes


def load_final(path):
    """The last JSON object of an NDJSON file (must be the "final": true one)."""
    last = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    last = json.loads(line)
                except ValueError as e:
                    raise SystemExit(f"{path}:{n}: not JSON ({e})")
    if last is None:
        raise SystemExit(f"{path}: no JSON object")
    return last


def main():
    ap = argparse.ArgumentParser(description="compare expected flows with iftop --json")
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--flows-key", default="flows")
    ap.add_argument("--max", type=int, default=40, help="lines shown per section")
    ap.add_argument("--strict-skips", action="store_true",
                    help="fail when frame or skip counts differ, too")
    args = ap.parse_args()
    try:
        with open(args.expected, encoding="utf-8") as f:
            doc = json.load(f)
        expected = doc[args.flows_key]
        final = load_final(args.actual)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_flows.py: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:
        print(f"compare_flows.py: {e}", file=sys.stderr)
        return 1
    problems = []
    if final.get("final") is not True:
        problems.append('last object of the NDJSON has no "final": true')
    actual = final.get("flows")
    if not isinstance(actual, list):
        problems.append('final object has no "flows" array')
        actual = []
    lines, equal = compare(expected, actual, args.max)
    want = totals(expected)
    got = final.get("totals") or {}
    for k in COUNTERS:
        if got.get(k) != want[k]:
            problems.append(f"totals.{k} = {got.get(k)}, expected {want[k]} (sum over expected flows)")
    notes = skip_notes(doc.get("stats"), final) if args.flows_key == "flows" else []
    if args.strict_skips:
        problems += notes
        notes = []
    for line in lines + problems + notes:
        print(line)
    te, ta = totals(expected), totals(actual)
    print(f"expected {len(expected)} flows ({te['sent_packets'] + te['recv_packets']} packets, "
          f"{te['sent_bytes'] + te['recv_bytes']} bytes); actual {len(actual)} flows "
          f"({ta['sent_packets'] + ta['recv_packets']} packets, "
          f"{ta['sent_bytes'] + ta['recv_bytes']} bytes): "
          + ("equal" if equal and not problems else "DIFFERENT"))
    return 0 if equal and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
