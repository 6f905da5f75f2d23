#!/usr/bin/env python3
"""IPFIX checks for tests/export.sh (stdlib only).

ipfix_check.py compare FINAL.ndjson NFDIR [--totals]
    What nfcapd stored in NFDIR (read back with nfdump) against ./iftop's own final --json object: per flow and
    direction (sent = local -> remote, flowDirection egress) packets and bytes summed over all records are equal,
    and so are the totals; with --totals only the totals (flows evicted by --max-flows come back as new flows).
    Also: every record has start <= end, and nfcapd counted no sequence errors (`nfdump -I`).
ipfix_check.py timeouts NFDIR
    The records of tests/mkpcap.py's 'timeouts' capture with --ipfix-active-timeout 60 and inactive 15, predicted
    from the timeout rules, not from iftop: the UDP flow in 60 + 60 + 30 packet records per direction, the TCP
    flow in two records of 5 packets (the second starting after the 35 s pause).
ipfix_check.py receive PORTFILE OUT
    A collector of our own: binds 127.0.0.1 on a free port (written to PORTFILE), appends every datagram to OUT
    (4-byte length, bytes) until SIGTERM.
ipfix_check.py parse OUT [--max-size N] [--min-largest N] [--pid PID --process NAME]
    Decodes OUT by RFC 7011 (an independent reader of the wire format): version 10, lengths, sets, templates
    before data, sequence numbers counting data records, every message at most N bytes, the largest at least
    --min-largest; with --pid, some record carries that pid (enterprise element 1) and applicationName NAME.
    Prints the number of messages, records, octets and packets.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
from datetime import datetime, timezone


def nfdump_records(nfdir):
    env = dict(os.environ, TZ="UTC")
    out = subprocess.run(["nfdump", "-R", nfdir, "-q", "-N", "-6", "-o", "fmt:%pr,%sa,%sp,%da,%dp,%dir,%pkt,%byt,%ts,%te"],
                         capture_output=True, text=True, env=env, check=True).stdout
    recs = []
    for line in out.splitlines():
        f = [x.strip() for x in line.split(",")]
        if len(f) != 10:
            continue
        t = lambda s: datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
        # nfdump shows an ICMP flow's destination port as type.code (iftop sends 0 for both)
        port = lambda s: int(s.split(".")[0]) * 256 + int(s.split(".")[1]) if "." in s else int(s)
        recs.append({"proto": int(f[0]), "src": socket.inet_ntop(*_fam(f[1])), "sport": int(f[2]),
                     "dst": socket.inet_ntop(*_fam(f[3])), "dport": port(f[4]), "dir": f[5],
                     "packets": int(f[6]), "bytes": int(f[7]), "start": t(f[8]), "end": t(f[9])})
    return recs


def _fam(a):
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    return fam, socket.inet_pton(fam, a)


PROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58}


def sequence_errors(nfdir):
    out = subprocess.run(["nfdump", "-R", nfdir, "-I"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Sequence failures:"):
            return int(line.split(":")[1])
    raise SystemExit("nfdump -I printed no 'Sequence failures' line:\n" + out)


def compare(final_path, nfdir, totals_only):
    final = [json.loads(l) for l in open(final_path) if l.strip()][-1]
    assert final["final"] is True, "no final object"
    recs = nfdump_records(nfdir)
    want, got = {}, {}
    for f in final["flows"]:
        p = PROTO.get(f["protocol"]) or int(f["protocol"])
        s = (p, socket.inet_ntop(*_fam(f["src"])), f["src_port"], socket.inet_ntop(*_fam(f["dst"])), f["dst_port"])
        if f["sent_packets"]:
            want[s + ("E",)] = (f["sent_packets"], f["sent_bytes"])
        if f["recv_packets"]:
            want[(p, s[3], s[4], s[1], s[2], "I")] = (f["recv_packets"], f["recv_bytes"])
    for r in recs:
        k = (r["proto"], r["src"], r["sport"], r["dst"], r["dport"], r["dir"])
        pk, by = got.get(k, (0, 0))
        got[k] = (pk + r["packets"], by + r["bytes"])
        assert r["start"] <= r["end"], "record starts after it ends: %r" % r
    t = final["totals"]
    tot = {d: [sum(v[0] for k, v in got.items() if k[5] == d), sum(v[1] for k, v in got.items() if k[5] == d)]
           for d in "EI"}
    problems = []
    if tot["E"] != [t["sent_packets"], t["sent_bytes"]]:
        problems.append("sent totals: nfdump %r, iftop %r" % (tot["E"], [t["sent_packets"], t["sent_bytes"]]))
    if tot["I"] != [t["recv_packets"], t["recv_bytes"]]:
        problems.append("received totals: nfdump %r, iftop %r" % (tot["I"], [t["recv_packets"], t["recv_bytes"]]))
    if not totals_only and want != got:
        for k in sorted(set(want) | set(got), key=str):
            if want.get(k) != got.get(k):
                problems.append("%r: iftop %r, nfdump %r" % (k, want.get(k), got.get(k)))
    seq = sequence_errors(nfdir)
    if seq:
        problems.append("nfcapd counted %d sequence errors" % seq)
    if problems:
        print("\n".join(problems[:20]))
        sys.exit(1)
    print("%d records, %d flow directions, %d bytes" % (len(recs), len(got), tot["E"][1] + tot["I"][1]))


def timeouts(nfdir):
    t0 = 1700000000
    recs = nfdump_records(nfdir)
    udp = sorted((r for r in recs if r["proto"] == 17), key=lambda r: (r["dir"], r["start"]))
    tcp = sorted((r for r in recs if r["proto"] == 6), key=lambda r: r["start"])
    # Active timeout 60 s: reported at the ticks t0+60 and t0+120 (packets before each), the rest at the end.
    for d, size in (("E", 100), ("I", 60)):
        got = [r["packets"] for r in udp if r["dir"] == d]
        assert got == [60, 60, 30], "UDP %s records: %r" % (d, got)
        assert [r["bytes"] for r in udp if r["dir"] == d] == [60 * size, 60 * size, 30 * size]
    starts = [r["start"] - t0 for r in udp if r["dir"] == "E"]
    ends = [r["end"] - t0 for r in udp if r["dir"] == "E"]
    assert abs(starts[0] - 0.25) < 0.002 and abs(ends[0] - 59.5) < 0.002, (starts, ends)
    assert 59.5 <= starts[1] <= 60.25 and abs(ends[1] - 119.5) < 0.002, (starts, ends)
    assert 119.5 <= starts[2] <= 120.25 and abs(ends[2] - 149.5) < 0.002, (starts, ends)
    # Inactive timeout 15 s: the pause from 4.75 s to 40.75 s ends the first record.
    assert [r["packets"] for r in tcp] == [5, 5] and [r["bytes"] for r in tcp] == [1000, 1000], tcp
    assert abs(tcp[0]["start"] - t0 - 0.75) < 0.002 and abs(tcp[0]["end"] - t0 - 4.75) < 0.002, tcp
    assert 4.75 <= tcp[1]["start"] - t0 <= 40.75 and abs(tcp[1]["end"] - t0 - 44.75) < 0.002, tcp
    assert all(r["dir"] == "E" for r in tcp)
    print("active: 3 records per direction, inactive: 2 records")


def receive(portfile, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s.settimeout(0.1)
    with open(out, "ab") as f:
        with open(portfile + ".tmp", "w") as p:
            p.write(str(s.getsockname()[1]))
        os.rename(portfile + ".tmp", portfile)
        while not stop:
            try:
                d = s.recv(65535)
            except socket.timeout:
                continue
            f.write(struct.pack(">I", len(d)) + d)
            f.flush()


def parse(path, max_size, min_largest, pid, process):
    data = open(path, "rb").read()
    msgs, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from(">I", data, i)
        msgs.append(data[i + 4:i + 4 + n])
        i += 4 + n
    assert msgs, "no IPFIX message arrived"
    templates, seq, nrec, octets, packets, found = {}, None, 0, 0, 0, False
    for m in msgs:
        ver, length, _export, mseq, _domain = struct.unpack_from(">HHIII", m, 0)
        assert ver == 10 and length == len(m), (ver, length, len(m))
        assert len(m) <= max_size, "message of %d bytes over %d" % (len(m), max_size)
        if seq is not None:
            assert mseq == seq, "sequence %d, expected %d" % (mseq, seq)
        seq = mseq
        off = 16
        while off < len(m):
            sid, slen = struct.unpack_from(">HH", m, off)
            assert slen >= 4 and off + slen <= len(m), "bad set length"
            body, off = m[off + 4:off + slen], off + slen
            if sid == 2:
                j = 0
                while j + 4 <= len(body):
                    tid, count = struct.unpack_from(">HH", body, j)
                    j += 4
                    fields = []
                    for _ in range(count):
                        ie, flen = struct.unpack_from(">HH", body, j)
                        j += 4
                        pen = 0
                        if ie & 0x8000:
                            (pen,) = struct.unpack_from(">I", body, j)
                            j += 4
                        fields.append((ie & 0x7FFF, flen, pen))
                    templates[tid] = fields
            elif sid >= 256:
                assert sid in templates, "data set %d before its template" % sid
                j = 0
                while j < len(body):
                    rec = {}
                    for ie, flen, pen in templates[sid]:
                        if flen == 0xFFFF:
                            flen = body[j]
                            j += 1
                            if flen == 255:
                                (flen,) = struct.unpack_from(">H", body, j)
                                j += 2
                        rec[(pen, ie)] = body[j:j + flen]
                        j += flen
                    assert j <= len(body), "record runs past its set"
                    nrec += 1
                    seq += 1
                    octets += int.from_bytes(rec[(0, 1)], "big")
                    packets += int.from_bytes(rec[(0, 2)], "big")
                    if pid is not None and int.from_bytes(rec.get((32473, 1), b""), "big") == pid:
                        found = found or rec.get((0, 96), b"").decode() == process
    largest = max(len(m) for m in msgs)
    assert largest >= min_largest, "largest message %d bytes, expected at least %d" % (largest, min_largest)
    assert pid is None or found, "no record with pid %s and applicationName %r" % (pid, process)
    print("%d messages (largest %d bytes), %d records, %d octets, %d packets" % (len(msgs), largest, nrec, octets, packets))


if __name__ == "__main__":
    a = sys.argv[1:]
    opt = lambda name, d=None: a[a.index(name) + 1] if name in a else d
    if a[0] == "compare":
        compare(a[1], a[2], "--totals" in a)
    elif a[0] == "timeouts":
        timeouts(a[1])
    elif a[0] == "receive":
        receive(a[1], a[2])
    elif a[0] == "parse":
        p = opt("--pid")
        parse(a[1], int(opt("--max-size", 65535)), int(opt("--min-largest", 0)), int(p) if p else None,
              opt("--process"))
    else:
        sys.exit(__doc__)
