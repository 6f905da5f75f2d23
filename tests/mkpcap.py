#!/usr/bin/env python3
"""Small capture files for the CLI tests (stdlib only).

mkpcap.py steady OUT   Ethernet IPv4: two UDP flows and one TCP flow over 5 s, 10 packets a second each.
mkpcap.py wifi OUT     the same bytes under link type 105 (802.11), which iftop does not decode.
mkpcap.py cut OUT      'steady' with its last record cut in half (a truncated file).
mkpcap.py window OUT   UDP 10.0.0.1:1000 -> 192.0.2.7:53 at 0 s and 1.5 s only; UDP 10.0.0.1:2000 -> 192.0.2.7:53
                       at 0.2 s, 1.2 s, ... 59.2 s (100 IP bytes each): one flow goes quiet, the other runs on.
mkpcap.py v6 OUT       Ethernet IPv6: TCP 2001:db8::31:22 <-> fd77::1:40964 and a long address to
                       2001:db8:1111:2222:3333:4444:5555:6666 port 65534, over 5 s.
mkpcap.py timeouts OUT a UDP flow with a packet each second for 150 s (10.0.0.1:6000 <-> 192.0.2.9:7000, 100 bytes
                       out, 60 back), and a TCP flow active at 0-4 s and again at 40-44 s (10.0.0.1:40100 ->
                       198.51.100.1:80, 200 bytes each second), for the IPFIX active and inactive timeouts.
mkpcap.py many OUT     600 UDP flows from 10.1.0.0/16 to 192.0.2.1:53 over 60 s (flow i: 3 packets of 100 + i bytes
                       at i/10, i/10 + 1, i/10 + 2 s), for eviction by --max-flows.
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


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64, bytes(src), bytes(dst)) + payload


def v6():
    def addr(text):
        import ipaddress
        return ipaddress.IPv6Address(text).packed
    a, b = addr("2001:db8::31"), addr("fd77::1")
    c = addr("2001:db8:1111:2222:3333:4444:5555:6666")
    recs = []
    t0 = 1700000000.0
    for i in range(50):
        t = t0 + i * 0.1
        recs.append((t, eth6(ipv6(a, b, 6, l4(22, 40964, 400)))))
        recs.append((t + 0.01, eth6(ipv6(b, a, 6, l4(40964, 22, 100)))))
        recs.append((t + 0.02, eth6(ipv6(a, c, 17, l4(5353, 65534, 60)))))
    return recs


def eth6(payload):
    return bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]) + b"\x86\xdd" + payload


def timeouts():
    a, b, c = (10, 0, 0, 1), (192, 0, 2, 9), (198, 51, 100, 1)
    t0 = 1700000000.0
    recs = []
    for i in range(150):
        recs.append((t0 + i + 0.25, eth(ipv4(a, b, 17, l4(6000, 7000, 80)))))   # 100 bytes out
        recs.append((t0 + i + 0.5, eth(ipv4(b, a, 17, l4(7000, 6000, 40)))))    # 60 bytes back
    for i in list(range(5)) + list(range(40, 45)):
        recs.append((t0 + i + 0.75, eth(ipv4(a, c, 6, l4(40100, 80, 180)))))    # 200 bytes
    return sorted(recs, key=lambda r: r[0])


def many():
    t0 = 1700000000.0
    recs = []
    for i in range(600):
        src = (10, 1, i >> 8, i & 255)
        for k in range(3):
            recs.append((t0 + i / 10 + k, eth(ipv4(src, (192, 0, 2, 1), 17, l4(20000, 53, 80 + i)))))
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
    elif kind == "v6":
        write(path, 1, v6())
    elif kind == "cut":
        write(path, 1, steady(), cut=True)
    elif kind == "cutshort":  # 0.3 s of steady, its last record cut: --replay reaches the cut at once
        write(path, 1, steady()[:9], cut=True)
    elif kind == "window":
        write(path, 1, window())
    elif kind == "timeouts":
        write(path, 1, timeouts())
    elif kind == "many":
        write(path, 1, many())
    else:
        sys.exit("unknown kind " + kind)
