#!/usr/bin/env python3
"""Small capture files for the CLI tests (stdlib only).

mkpcap.py steady OUT   Ethernet IPv4: two UDP flows and one TCP flow over 5 s, 10 packets a second each.
mkpcap.py wifi OUT     the same bytes under link type 105 (802.11), which iftop does not decode.
mkpcap.py cut OUT      'steady' with its last record cut in half (a truncated file).
mkpcap.py window OUT   UDP 10.0.0.1:1000 -> 192.0.2.7:53 at 0 s and 1.5 s only; UDP 10.0.0.1:2000 -> 192.0.2.7:53
                       at 0.2 s, 1.2 s, ... 59.2 s (100 IP bytes each): one flow goes quiet, the other runs on.
"""
import struct
import sys


def ipv4(src, dst, proto, payload):
    tl = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    return hdr + payload


def l4(sport, dport, n):
    return struct.pack("!HH", sport, dport) + bytes(n - 4)


def eth(payload):
    return bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]) + b"\x08\x00" + payload


def steady():
    a, b, c = (10, 0, 0, 1), (192, 0, 2, 7), (198, 51, 100, 9)
    recs = []
    t0 = 1700000000.0
    for i in range(50):
        t = t0 + i * 0.1
        recs.append((t, eth(ipv4(a, b, 17, l4(5000, 53, 80)))))             # 100 bytes
        recs.append((t + 0.01, eth(ipv4(b, a, 17, l4(53, 5000, 180)))))     # 200 bytes back
        recs.append((t + 0.02, eth(ipv4(a, c, 6, l4(40000, 443, 480)))))    # 500 bytes
    return recs


def window():
    a, b = (10, 0, 0, 1), (192, 0, 2, 7)
    t0 = 1700000000.0
    recs = [(t0, eth(ipv4(a, b, 17, l4(1000, 53, 80)))), (t0 + 1.5, eth(ipv4(a, b, 17, l4(1000, 53, 80))))]
    recs += [(t0 + i + 0.2, eth(ipv4(a, b, 17, l4(2000, 53, 80)))) for i in range(60)]
    return sorted(recs, key=lambda r: r[0])


def write(path, linktype, recs, cut=False):
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
    for t, data in recs:
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        out += struct.pack("<IIII", sec, usec, len(data), len(data)) + data
    if cut:
        out = out[: len(out) - 30]
    with open(path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "steady":
        write(path, 1, steady())
    elif kind == "wifi":
        write(path, 105, steady())
    elif kind == "cut":
        write(path, 1, steady(), cut=True)
    elif kind == "window":
        write(path, 1, window())
    else:
        sys.exit("unknown kind " + kind)
