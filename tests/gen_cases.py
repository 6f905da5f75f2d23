#!/usr/bin/python3
"""Write the accounting test captures, one file per theme of tests/ACCOUNTING.md.

    gen_cases.py OUTDIR [--verify]

For each theme NAME it writes OUTDIR/NAME.pcap (or .pcapng) and OUTDIR/NAME.expect.json:
    {"flows": [...],            # what `iftop -r NAME --json -l` must report
     "flows_without_l": [...],  # the same without -l (link-local IPv6 dropped)
     "frames": [...]}           # per frame: what it is and how the rules treat it
The expectations are written down by construction next to each frame below (this packet
is TCP 10.0.0.1:40001 -> 10.0.0.2:80 of N bytes; that one is a later fragment whose first
fragment has not been seen, so its ports are 0, ...), not by parsing the bytes back: they are
a third count, independent of both the C++ decoder and tests/tshark_flows.py.

--verify then checks every file: tshark opens it and dissects each frame as intended
(frame.protocols starts with the prefix given here; lengths as written), libpcap reads it
to the end (through ctypes), and tshark_flows.py reports exactly the expected flows, with
and without -l. Exit status 1 if anything disagrees.
"""

import argparse
import ipaddress
import socket


def addr_text(a):
    """Addresses as inet_ntop(3) writes them (RFC 5952; glibc keeps ::ffff:1.2.3.4 dotted), the form iftop prints."""
    a = ipaddress.ip_address(a)
    return socket.inet_ntop(socket.AF_INET6 if a.version == 6 else socket.AF_INET, a.packed)

import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1700000000                      # 2023-11-14, first timestamp of every file
PROTO_NAMES = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}

# Addresses used throughout.
A4, B4, C4, D4, E4 = "10.0.0.1", "10.0.0.2", "192.168.1.10", "8.8.8.8", "172.16.5.4"
A6, B6, C6, D6 = "2001:db8::1", "2001:db8::2", "2001:db8:1::10", "2001:db8:ffff::53"
LL1, LL2, MC6 = "fe80::1", "fe80::2:3", "ff02::1"

ETH_IP4, ETH_IP6, ETH_ARP, ETH_8021Q, ETH_8021AD, ETH_9100 = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8, 0x9100
TCP, UDP, ICMP, ICMP6 = 6, 17, 1, 58


# ---------------------------------------------------------------------------------------
# Packet builders (network byte order throughout).

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_bytes(a):
    return ipaddress.ip_address(a).packed


def ipv4(src, dst, proto, payload, ihl=5, tl=None, ident=0x1234, df=True, mf=False, off=0,
         ver=4, ttl=64):
    """IPv4 header + payload. Options (ihl > 5) are NOPs closed by an EOL."""
    opts = b""
    if ihl > 5:
        opts = b"\x01" * ((ihl - 5) * 4 - 1) + b"\x00"
    if tl is None:
        tl = 20 + len(opts) + len(payload)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (off // 8)
    hdr = struct.pack(">BBHHHBBH4s4s", (ver << 4) | ihl, 0, tl, ident, flags, ttl, proto, 0,
                      ip_bytes(src), ip_bytes(dst)) + opts
    hdr = hdr[:10] + struct.pack(">H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload, plen=None, ver=6):
    if plen is None:
        plen = len(payload)
    return struct.pack(">IHBB16s16s", ver << 28, plen, nh, 64, ip_bytes(src), ip_bytes(dst)) + payload


def tcp(sport, dport, payload=b"", flags=0x18, seq=1000):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp_echo(ident=7, seq=1, payload=b"abcdefgh", reply=False):
    return struct.pack(">BBHHH", 0 if reply else 8, 0, 0, ident, seq) + payload


def icmp6_echo(ident=7, seq=1, payload=b"abcdefgh", reply=False):
    return struct.pack(">BBHHH", 129 if reply else 128, 0, 0, ident, seq) + payload


def opt_hdr(nh, payload, units=0):
    """Hop-by-hop or destination options header, (units+1)*8 bytes, filled with PadN."""
    n = (units + 1) * 8 - 2
    return struct.pack(">BB", nh, units) + bytes([1, n - 2]) + b"\0" * (n - 2) + payload


def routing_hdr(nh, payload):
    """Type 0 routing header with one address and segments left 0: 24 bytes, len 2."""
    return struct.pack(">BBBB4s", nh, 2, 0, 0, b"\0" * 4) + ip_bytes("2001:db8::99") + payload


def ah_hdr(nh, payload):
    """AH with a 12-byte ICV: 24 bytes, payload length field 4 ((4+2)*4)."""
    return struct.pack(">BBHII", nh, 4, 0, 0x100, 1) + b"\x11" * 12 + payload


def frag6(nh, payload, off=0, m=False, ident=0xABCD):
    return struct.pack(">BBHI", nh, 0, (off // 8) << 3 | int(m), ident) + payload


MAC1, MAC2 = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def eth(et, payload, tags=(), swap=False):
    """Ethernet II; tags = [(tpid, vid), ...] outermost first."""
    dst, src = (MAC2, MAC1) if not swap else (MAC1, MAC2)
    out = dst + src
    for tpid, vid in tags:
        out += struct.pack(">HH", tpid, vid)
    return out + struct.pack(">H", et) + payload


def sll(proto, payload, tags=()):
    out = struct.pack(">HHH8sH", 0, 1, 6, MAC1 + b"\0\0", tags[0][0] if tags else proto)
    for i, (tpid, vid) in enumerate(tags):
        nxt = tags[i + 1][0] if i + 1 < len(tags) else proto
        out += struct.pack(">HH", vid, nxt)
    return out + payload


def sll2(proto, payload, tags=()):
    out = struct.pack(">HHIHBB8s", tags[0][0] if tags else proto, 0, 2, 1, 0, 6, MAC1 + b"\0\0")
    for i, (tpid, vid) in enumerate(tags):
        nxt = tags[i + 1][0] if i + 1 < len(tags) else proto
        out += struct.pack(">HH", vid, nxt)
    return out + payload


def null(af, payload, order="<"):
    return struct.pack(order + "I", af) + payload


# ---------------------------------------------------------------------------------------
# Captures and expectations.

class Capture:
    def __init__(self, name, linktype, link_prefix, snaplen=65535, fmt="pcap", interfaces=1):
        self.name, self.linktype, self.snaplen, self.fmt = name, linktype, snaplen, fmt
        self.link_prefix = link_prefix           # start of tshark's frame.protocols
        self.interfaces = interfaces
        self.frames = []
        self.t = 0.0

    def add(self, data, expect, dis, wire=None, cap=None, dt=0.37, note="", iface=0):
        """expect: E(...) for a counted packet, or the skip reason (str).
        dis: expected continuation of frame.protocols after link_prefix (prefix match),
        or a full string starting with '=' (for frames whose link layer is cut short)."""
        wire = len(data) if wire is None else wire
        cap = min(len(data), self.snaplen) if cap is None else cap
        self.t += dt
        self.frames.append({"ts": T0 + self.t, "data": data[:cap], "wire": wire,
                            "expect": expect, "dis": dis, "note": note, "iface": iface})

    def write(self, outdir):
        path = os.path.join(outdir, self.name + (".pcapng" if self.fmt == "pcapng" else ".pcap"))
        with open(path, "wb") as f:
            if self.fmt == "pcap":
                f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, self.snaplen,
                                    self.linktype))
                for fr in self.frames:
                    sec, usec = divmod(int(round(fr["ts"] * 1e6)), 1000000)
                    f.write(struct.pack("<IIII", sec, usec, len(fr["data"]), fr["wire"]))
                    f.write(fr["data"])
            else:
                f.write(pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
                for i in range(self.interfaces):
                    name = f"eth{i}".encode()
                    opt = struct.pack("<HH", 2, len(name)) + pad4(name) + struct.pack("<HH", 0, 0)
                    f.write(pcapng_block(1, struct.pack("<HHI", self.linktype, 0, self.snaplen)
                                         + opt))
                for fr in self.frames:
                    us = int(round(fr["ts"] * 1e6))
                    body = struct.pack("<IIIII", fr["iface"], us >> 32, us & 0xFFFFFFFF,
                                       len(fr["data"]), fr["wire"]) + pad4(fr["data"])
                    f.write(pcapng_block(6, body))
        return path

    def flows(self, link_local):
        """Aggregate the per-frame expectations: local = sender of a 5-tuple's first packet."""
        table = {}
        for fr in self.frames:
            e = fr["expect"]
            if isinstance(e, str) or (e["ll"] and not link_local):
                continue
            fwd = (e["proto"], e["src"], e["sport"], e["dst"], e["dport"])
            rev = (e["proto"], e["dst"], e["dport"], e["src"], e["sport"])
            if rev in table and fwd not in table:
                table[rev][1] += e["bytes"]
                table[rev][3] += 1
            else:
                f = table.setdefault(fwd, [0, 0, 0, 0])
                f[0] += e["bytes"]
                f[2] += 1
        return [{"protocol": PROTO_NAMES.get(k[0], str(k[0])), "src": k[1], "src_port": k[2],
                 "dst": k[3], "dst_port": k[4], "sent_bytes": v[0], "recv_bytes": v[1],
                 "sent_packets": v[2], "recv_packets": v[3]} for k, v in table.items()]

    def expect_json(self):
        frames = []
        for i, fr in enumerate(self.frames, 1):
            e = fr["expect"]
            what = e if isinstance(e, str) else (
                f"{PROTO_NAMES.get(e['proto'], e['proto'])} {e['src']}:{e['sport']} -> "
                f"{e['dst']}:{e['dport']} {e['bytes']} bytes" + (" (link-local)" if e["ll"] else ""))
            frames.append({"frame": i, "caplen": len(fr["data"]), "wirelen": fr["wire"],
                           "counted_as": what, "note": fr["note"]})
        skipped = {}
        for fr in self.frames:
            if isinstance(fr["expect"], str):
                skipped[fr["expect"]] = skipped.get(fr["expect"], 0) + 1
        stats = {"frames": len(self.frames), "counted": len(self.frames) - sum(skipped.values()),
                 "skipped": skipped}                   # with -l: no link_local skips
        return {"flows": self.flows(True), "flows_without_l": self.flows(False), "stats": stats,
                "frames": frames}


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def pcapng_block(btype, body):
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def E(proto, src, sport, dst, dport, nbytes):
    """A counted packet: protocol number, addresses as ipaddress prints them, ports, bytes."""
    ll = any(ipaddress.ip_address(a) in ipaddress.ip_network("fe80::/10")
             for a in (src, dst) if ":" in a)
    return {"proto": proto, "src": addr_text(src), "sport": sport,
            "dst": addr_text(dst), "dport": dport, "bytes": nbytes, "ll": ll}


def data(n, fill=b"x"):
    return (fill * n)[:n]


# ---------------------------------------------------------------------------------------
# The themes. Each builds a Capture; the comment on a frame says why it counts as it does.

def c_eth_basic():
    c = Capture("eth_basic", 1, "eth:ethertype")
    for i in range(3):                                        # TCP client -> server and back
        p = ipv4(A4, B4, TCP, tcp(40001, 80, data(100 * i)))
        c.add(eth(ETH_IP4, p), E(TCP, A4, 40001, B4, 80, len(p)), "ip:tcp")
        p = ipv4(B4, A4, TCP, tcp(80, 40001, data(1000 + i)))
        c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 80, A4, 40001, len(p)), "ip:tcp")
    p = ipv4(A4, D4, UDP, udp(5353, 53, data(30)))            # DNS-ish query and answer
    c.add(eth(ETH_IP4, p), E(UDP, A4, 5353, D4, 53, len(p)), "ip:udp")
    p = ipv4(D4, A4, UDP, udp(53, 5353, data(120)))
    c.add(eth(ETH_IP4, p, swap=True), E(UDP, D4, 53, A4, 5353, len(p)), "ip:udp")
    for i in range(2):                                        # ping: ICMP has no ports
        p = ipv4(A4, C4, ICMP, icmp_echo(seq=i))
        c.add(eth(ETH_IP4, p), E(ICMP, A4, 0, C4, 0, len(p)), "ip:icmp")
        p = ipv4(C4, A4, ICMP, icmp_echo(seq=i, reply=True))
        c.add(eth(ETH_IP4, p, swap=True), E(ICMP, C4, 0, A4, 0, len(p)), "ip:icmp")
    p = ipv6(A6, B6, TCP, tcp(50000, 443, data(200)))         # IPv6 TCP, UDP, ICMPv6
    c.add(eth(ETH_IP6, p), E(TCP, A6, 50000, B6, 443, len(p)), "ipv6:tcp")
    p = ipv6(B6, A6, TCP, tcp(443, 50000, data(1200)))
    c.add(eth(ETH_IP6, p, swap=True), E(TCP, B6, 443, A6, 50000, len(p)), "ipv6:tcp")
    p = ipv6(A6, D6, UDP, udp(40000, 53, data(40)))
    c.add(eth(ETH_IP6, p), E(UDP, A6, 40000, D6, 53, len(p)), "ipv6:udp")
    p = ipv6(A6, B6, ICMP6, icmp6_echo())
    c.add(eth(ETH_IP6, p), E(ICMP6, A6, 0, B6, 0, len(p)), "ipv6:icmpv6")
    p = ipv6(B6, A6, ICMP6, icmp6_echo(reply=True))
    c.add(eth(ETH_IP6, p, swap=True), E(ICMP6, B6, 0, A6, 0, len(p)), "ipv6:icmpv6")
    return c


def c_eth_padding():
    """Short IP packets padded to the 60-byte Ethernet minimum: bytes = IP length, not frame."""
    c = Capture("eth_padding", 1, "eth:ethertype")
    p = ipv4(A4, B4, TCP, tcp(40002, 22, flags=0x10))         # bare ACK: 40 bytes in 60
    c.add(eth(ETH_IP4, p) + b"\0" * 6, E(TCP, A4, 40002, B4, 22, 40), "ip:tcp")
    p = ipv4(B4, A4, TCP, tcp(22, 40002, data(2), flags=0x18))  # 42 bytes in 60
    c.add(eth(ETH_IP4, p, swap=True) + b"\0" * 4, E(TCP, B4, 22, A4, 40002, 42), "ip:tcp")
    p = ipv4(A4, B4, UDP, udp(1000, 2000, data(1)))           # 29 bytes in 60
    c.add(eth(ETH_IP4, p) + b"\0" * 17, E(UDP, A4, 1000, B4, 2000, 29), "ip:udp")
    p = ipv4(A4, B4, ICMP, icmp_echo(payload=b""))            # 28 bytes in 60
    c.add(eth(ETH_IP4, p) + b"\xee" * 18, E(ICMP, A4, 0, B4, 0, 28), "ip:icmp")
    # IPv6 with no next header (59) and payload length 0: the rules take pl == 0 as
    # "length unknown" (jumbo / BIG TCP), so the padding is counted: avail = 60 - 14 = 46.
    p = ipv6(A6, B6, 59, b"")
    c.add(eth(ETH_IP6, p) + b"\0" * 6, E(59, A6, 0, B6, 0, 46), "ipv6",
          note="pl 0 in a padded frame: bytes = avail")
    p = ipv6(A6, B6, 59, b"\0" * 4, plen=4)                   # pl 4: 44 bytes in 60
    c.add(eth(ETH_IP6, p) + b"\0" * 2, E(59, A6, 0, B6, 0, 44), "ipv6")
    return c


def c_vlan(name, tags, link_prefix_extra):
    c = Capture(name, 1, "eth:ethertype")
    for i in range(2):
        p = ipv4(A4, B4, TCP, tcp(40003, 8080, data(300 + i)))
        c.add(eth(ETH_IP4, p, tags=tags), E(TCP, A4, 40003, B4, 8080, len(p)),
              link_prefix_extra + "ip:tcp")
        p = ipv4(B4, A4, TCP, tcp(8080, 40003, data(50)))
        c.add(eth(ETH_IP4, p, tags=tags, swap=True), E(TCP, B4, 8080, A4, 40003, len(p)),
              link_prefix_extra + "ip:tcp")
    p = ipv6(A6, B6, UDP, udp(3000, 4000, data(77)))
    c.add(eth(ETH_IP6, p, tags=tags), E(UDP, A6, 3000, B6, 4000, len(p)),
          link_prefix_extra + "ipv6:udp")
    p = ipv4(C4, A4, ICMP, icmp_echo())
    c.add(eth(ETH_IP4, p, tags=tags), E(ICMP, C4, 0, A4, 0, len(p)), link_prefix_extra + "ip:icmp")
    # the tagged frame carrying ARP is not IP
    c.add(eth(ETH_ARP, bytes(28), tags=tags), "non_ip", link_prefix_extra + "arp")
    # the frame ends inside the last tag: truncated
    full = eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2)), tags=tags)
    cut = 12 + 4 * len(tags)
    c.add(full[:cut], "truncated", "", wire=len(full), note="ends inside the last tag")
    return c


def c_vlan_8021q():
    return c_vlan("vlan_8021q", [(ETH_8021Q, 100)], "vlan:ethertype:")


def c_qinq_88a8():
    return c_vlan("qinq_88a8", [(ETH_8021AD, 200), (ETH_8021Q, 100)],
                  "ieee8021ad:ethertype:vlan:ethertype:")


def c_qinq_9100():
    c = c_vlan("qinq_9100", [(ETH_9100, 300), (ETH_8021Q, 100)], "vlan:ethertype:vlan:ethertype:")
    # a single 0x9100 tag, and three tags 0x88a8 0x9100 0x8100
    p = ipv4(E4, B4, UDP, udp(7000, 7001, data(10)))
    c.add(eth(ETH_IP4, p, tags=[(ETH_9100, 5)]), E(UDP, E4, 7000, B4, 7001, len(p)),
          "vlan:ethertype:ip:udp")
    p = ipv4(E4, B4, UDP, udp(7000, 7001, data(11)))
    c.add(eth(ETH_IP4, p, tags=[(ETH_8021AD, 1), (ETH_9100, 2), (ETH_8021Q, 3)]),
          E(UDP, E4, 7000, B4, 7001, len(p)),
          "ieee8021ad:ethertype:vlan:ethertype:vlan:ethertype:ip:udp")
    return c


def c_sll():
    c = Capture("sll", 113, "sll:ethertype")
    p = ipv4(A4, B4, TCP, tcp(40004, 443, data(500)))
    c.add(sll(ETH_IP4, p), E(TCP, A4, 40004, B4, 443, len(p)), "ip:tcp")
    p = ipv4(B4, A4, TCP, tcp(443, 40004, data(1400)))
    c.add(sll(ETH_IP4, p), E(TCP, B4, 443, A4, 40004, len(p)), "ip:tcp")
    p = ipv6(A6, B6, UDP, udp(123, 123, data(48)))
    c.add(sll(ETH_IP6, p), E(UDP, A6, 123, B6, 123, len(p)), "ipv6:udp")
    p = ipv4(A4, B4, UDP, udp(9999, 53, data(20)))            # with an 802.1Q tag
    c.add(sll(ETH_IP4, p, tags=[(ETH_8021Q, 42)]), E(UDP, A4, 9999, B4, 53, len(p)),
          "vlan:ethertype:ip:udp")
    p = ipv6(B6, A6, UDP, udp(123, 123, data(48)))
    c.add(sll(ETH_IP6, p, tags=[(ETH_8021Q, 42)]), E(UDP, B6, 123, A6, 123, len(p)),
          "vlan:ethertype:ipv6:udp")
    c.add(sll(ETH_ARP, bytes(28)), "non_ip", "arp")
    c.add(sll(ETH_IP4, p)[:10], "truncated", "=sll", wire=16 + len(p),
          note="shorter than the 16-byte header")
    return c


def c_sll2():
    c = Capture("sll2", 276, "sll:ethertype")
    p = ipv4(A4, B4, TCP, tcp(40005, 993, data(64)))
    c.add(sll2(ETH_IP4, p), E(TCP, A4, 40005, B4, 993, len(p)), "ip:tcp")
    p = ipv4(B4, A4, TCP, tcp(993, 40005, data(640)))
    c.add(sll2(ETH_IP4, p), E(TCP, B4, 993, A4, 40005, len(p)), "ip:tcp")
    p = ipv6(A6, C6, TCP, tcp(40006, 22, data(33)))
    c.add(sll2(ETH_IP6, p), E(TCP, A6, 40006, C6, 22, len(p)), "ipv6:tcp")
    p = ipv4(A4, C4, UDP, udp(5000, 5001, data(3)))           # with an 802.1Q tag
    c.add(sll2(ETH_IP4, p, tags=[(ETH_8021Q, 7)]), E(UDP, A4, 5000, C4, 5001, len(p)),
          "vlan:ethertype:ip:udp")
    c.add(sll2(ETH_ARP, bytes(28)), "non_ip", "arp")
    c.add(sll2(ETH_IP4, p)[:19], "truncated", "=sll", wire=20 + len(p),
          note="shorter than the 20-byte header")
    return c


def c_raw(linktype):
    c = Capture(f"raw_{linktype}", linktype, "raw")
    p = ipv4(A4, B4, UDP, udp(6000, 6001, data(linktype)))
    c.add(p, E(UDP, A4, 6000, B4, 6001, len(p)), "ip:udp")
    p = ipv4(B4, A4, UDP, udp(6001, 6000, data(9)))
    c.add(p, E(UDP, B4, 6001, A4, 6000, len(p)), "ip:udp")
    p = ipv6(A6, B6, TCP, tcp(1234, 80, data(10)))
    c.add(p, E(TCP, A6, 1234, B6, 80, len(p)), "ipv6:tcp")
    p = ipv6(B6, A6, TCP, tcp(80, 1234, data(1000)))
    c.add(p, E(TCP, B6, 80, A6, 1234, len(p)), "ipv6:tcp")
    c.add(b"\x50" + bytes(27), "non_ip", "", note="version nibble 5")
    return c


def c_ipv4_228():
    c = Capture("linktype_ipv4", 228, "")
    p = ipv4(A4, B4, TCP, tcp(2222, 3333, data(5)))
    c.add(p, E(TCP, A4, 2222, B4, 3333, len(p)), "ip:tcp")
    p = ipv4(B4, A4, TCP, tcp(3333, 2222, data(500)))
    c.add(p, E(TCP, B4, 3333, A4, 2222, len(p)), "ip:tcp")
    p = ipv4(A4, C4, ICMP, icmp_echo())
    c.add(p, E(ICMP, A4, 0, C4, 0, len(p)), "ip:icmp")
    c.add(ipv6(A6, B6, UDP, udp(1, 2)), "malformed", "ip",
          note="linktype IPV4 holding an IPv6 packet: version mismatch")
    c.add(ipv4(A4, B4, UDP, udp(1, 2))[:19], "truncated", "ip", note="19 bytes")
    return c


def c_ipv6_229():
    c = Capture("linktype_ipv6", 229, "")
    p = ipv6(A6, B6, UDP, udp(4444, 5555, data(15)))
    c.add(p, E(UDP, A6, 4444, B6, 5555, len(p)), "ipv6:udp")
    p = ipv6(B6, A6, UDP, udp(5555, 4444, data(150)))
    c.add(p, E(UDP, B6, 5555, A6, 4444, len(p)), "ipv6:udp")
    c.add(ipv4(A4, B4, UDP, udp(1, 2, data(20))), "malformed", "=",
          note="linktype IPV6 holding a 48-byte IPv4 packet: version mismatch")
    c.add(ipv4(A4, B4, UDP, udp(1, 2)), "truncated", "=",
          note="linktype IPV6 holding a 28-byte IPv4 packet: under 40 bytes")
    return c


def c_null(order):
    name = {"<": "null_le", ">": "null_be"}[order]
    c = Capture(name, 0, "null")
    p = ipv4(A4, B4, TCP, tcp(5000, 80, data(20)))
    c.add(null(2, p, order), E(TCP, A4, 5000, B4, 80, len(p)), "ip:tcp")
    p = ipv4(B4, A4, TCP, tcp(80, 5000, data(200)))
    c.add(null(2, p, order), E(TCP, B4, 80, A4, 5000, len(p)), "ip:tcp")
    # every AF_INET6 value in the table; tshark 4.0 only decodes 24, 28 and 30 as IPv6
    for i, af in enumerate((24, 28, 30, 10, 23)):
        p = ipv6(A6, B6, UDP, udp(7000 + af, 53, data(i)))
        dis = "ipv6:udp" if af in (24, 28, 30) else ""
        c.add(null(af, p, order), E(UDP, A6, 7000 + af, B6, 53, len(p)), dis,
              note=f"AF {af}")
    c.add(null(7, bytes(30), order), "non_ip", "", note="AF 7 (AF_OSI)")
    c.add(null(2, b"")[:3], "truncated", "=null", wire=4 + 40, note="3 bytes")
    return c


def c_loop():
    c = Capture("loop", 108, "null")
    p = ipv4(A4, B4, UDP, udp(1111, 2222, data(8)))
    c.add(null(2, p, ">"), E(UDP, A4, 1111, B4, 2222, len(p)), "ip:udp")
    p = ipv4(B4, A4, UDP, udp(2222, 1111, data(80)))
    c.add(null(2, p, ">"), E(UDP, B4, 2222, A4, 1111, len(p)), "ip:udp")
    for i, af in enumerate((24, 28, 30, 10, 23)):
        p = ipv6(A6, B6, TCP, tcp(8000 + af, 443, data(i)))
        dis = "ipv6:tcp" if af in (24, 28, 30) else ""
        c.add(null(af, p, ">"), E(TCP, A6, 8000 + af, B6, 443, len(p)), dis, note=f"AF {af}")
    # LOOP is big-endian only: AF_INET written little-endian is 0x02000000, not IPv4
    c.add(null(2, ipv4(A4, B4, UDP, udp(1, 2)), "<"), "non_ip", "",
          note="AF 2 in little-endian order")
    return c


def c_ipv4_options():
    """IHL 6..15: the ports sit at IHL*4."""
    c = Capture("ipv4_options", 1, "eth:ethertype")
    for ihl in range(6, 16):
        p = ipv4(A4, B4, TCP if ihl % 2 else UDP,
                 (tcp if ihl % 2 else udp)(10000 + ihl, 20000 + ihl, data(ihl)), ihl=ihl)
        c.add(eth(ETH_IP4, p), E(TCP if ihl % 2 else UDP, A4, 10000 + ihl, B4, 20000 + ihl,
                                 len(p)), "ip:" + ("tcp" if ihl % 2 else "udp"),
              note=f"IHL {ihl}")
    p = ipv4(B4, A4, TCP, tcp(20015, 10015, data(3)), ihl=15)
    c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 20015, A4, 10015, len(p)), "ip:tcp")
    return c


def c_ipv4_frag():
    c = Capture("ipv4_frag", 1, "eth:ethertype")

    def frags(src, dst, proto, l4, ident, sizes):
        """Split transport bytes l4 into fragments of the given sizes (multiples of 8)."""
        out, off = [], 0
        for i, n in enumerate(sizes):
            last = i == len(sizes) - 1
            chunk = l4[off:] if last else l4[off:off + n]
            out.append(ipv4(src, dst, proto, chunk, ident=ident, df=False, mf=not last, off=off))
            off += n
        return out

    # in order: all three carry the first fragment's ports
    f = frags(A4, B4, UDP, udp(4000, 4001, data(3000)), 0x0101, [1480, 1480, 0])
    for p in f:
        c.add(eth(ETH_IP4, p), E(UDP, A4, 4000, B4, 4001, len(p)), "ip")
    # out of order: the later fragment comes first (ports 0 0), then the first, then the last
    f = frags(A4, B4, UDP, udp(4002, 4003, data(2000)), 0x0202, [1000, 0])
    g = frags(A4, B4, UDP, udp(4002, 4003, data(2000)), 0x0203, [1000, 0])
    c.add(eth(ETH_IP4, f[1]), E(UDP, A4, 0, B4, 0, len(f[1])), "ip",
          note="later fragment before its first: ports 0")
    c.add(eth(ETH_IP4, g[0]), E(UDP, A4, 4002, B4, 4003, len(g[0])), "ip:udp")
    c.add(eth(ETH_IP4, f[0]), E(UDP, A4, 4002, B4, 4003, len(f[0])), "ip:udp")
    c.add(eth(ETH_IP4, g[1]), E(UDP, A4, 4002, B4, 4003, len(g[1])), "ip")
    # the same later fragment again, now that its first fragment was seen
    c.add(eth(ETH_IP4, f[1]), E(UDP, A4, 4002, B4, 4003, len(f[1])), "ip",
          note="repeat after the first fragment: its ports")
    # two interleaved datagrams, same addresses and ids but different protocols, and TCP
    t = frags(B4, A4, TCP, tcp(443, 40007, data(2500)), 0x0303, [1200, 1200, 0])
    u = frags(B4, A4, UDP, udp(53, 40008, data(2500)), 0x0303, [1200, 1200, 0])
    for p, q in zip(t, u):
        c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 443, A4, 40007, len(p)), "ip")
        c.add(eth(ETH_IP4, q, swap=True), E(UDP, B4, 53, A4, 40008, len(q)), "ip")
    # a fragmented ICMP echo: no ports anywhere
    for p in frags(A4, C4, ICMP, icmp_echo(payload=data(1600)), 0x0404, [1480, 0]):
        c.add(eth(ETH_IP4, p), E(ICMP, A4, 0, C4, 0, len(p)), "ip")
    # a first fragment of only 8 bytes still holds the UDP ports; its later fragment joins it
    f = frags(C4, A4, UDP, udp(5151, 5252, data(20)), 0x0505, [8, 0])
    for p in f:
        c.add(eth(ETH_IP4, p, swap=True), E(UDP, C4, 5151, A4, 5252, len(p)), "ip")
    return c


def c_ipv6_ext():
    c = Capture("ipv6_ext", 1, "eth:ethertype:ipv6")
    chains = [
        ("hop-by-hop", lambda nh, pl: opt_hdr(nh, pl), "ipv6.hopopts"),
        ("hop-by-hop 24 bytes", lambda nh, pl: opt_hdr(nh, pl, units=2), "ipv6.hopopts"),
        ("routing", lambda nh, pl: routing_hdr(nh, pl), "ipv6.routing"),
        ("destination options", lambda nh, pl: opt_hdr(nh, pl, units=1), "ipv6.dstopts"),
        ("AH", lambda nh, pl: ah_hdr(nh, pl), "ah"),
    ]
    first_nh = {"hop-by-hop": 0, "hop-by-hop 24 bytes": 0, "routing": 43,
                "destination options": 60, "AH": 51}
    for i, (label, build, dis) in enumerate(chains):
        sport = 30000 + i
        p = ipv6(A6, B6, first_nh[label], build(TCP, tcp(sport, 80, data(10 * i))))
        c.add(eth(ETH_IP6, p), E(TCP, A6, sport, B6, 80, len(p)), dis, note=label)
        p = ipv6(B6, A6, first_nh[label], build(TCP, tcp(80, sport, data(100))))
        c.add(eth(ETH_IP6, p, swap=True), E(TCP, B6, 80, A6, sport, len(p)), dis, note=label)
    # a long chain: hop-by-hop, destination options, routing, AH, destination options, UDP
    l4 = udp(31000, 31001, data(7))
    p = ipv6(A6, C6, 0, opt_hdr(60, opt_hdr(43, routing_hdr(51, ah_hdr(60, opt_hdr(UDP, l4))))))
    c.add(eth(ETH_IP6, p), E(UDP, A6, 31000, C6, 31001, len(p)), "ipv6.hopopts",
          note="hbh, dst, rt, AH, dst, UDP")
    # ESP after hop-by-hop: the protocol is 50, no ports
    p = ipv6(A6, C6, 0, opt_hdr(50, struct.pack(">II", 0x1000, 1) + data(40)))
    c.add(eth(ETH_IP6, p), E(50, A6, 0, C6, 0, len(p)), "ipv6.hopopts:esp")
    # no next header (59) after destination options
    p = ipv6(C6, A6, 60, opt_hdr(59, b""))
    c.add(eth(ETH_IP6, p, swap=True), E(59, C6, 0, A6, 0, len(p)), "ipv6.dstopts")
    # an extension header that runs past the payload length: the walk stops there, ports 0,
    # protocol = its next-header byte (TCP), which is inside the packet
    inner = opt_hdr(60, opt_hdr(TCP, tcp(1, 2), units=4))     # dstopts of 40 bytes
    p = ipv6(A6, B6, 0, inner, plen=8 + 16)                   # pl ends inside dstopts
    c.add(eth(ETH_IP6, p), E(TCP, A6, 0, B6, 0, 40 + 24), "ipv6.hopopts",
          note="dstopts not inside the packet: its next header, TCP")
    return c


def c_ipv6_frag():
    c = Capture("ipv6_frag", 1, "eth:ethertype:ipv6")
    # first fragment: hbh, frag(M), dstopts, TCP; the later ones carry only frag + data
    l4 = opt_hdr(TCP, tcp(45000, 8443, data(3000)))           # dstopts is part of the fragmentable part
    first = ipv6(A6, B6, 0, opt_hdr(44, frag6(60, l4[:1448], off=0, m=True, ident=0x11)))
    mid = ipv6(A6, B6, 44, frag6(60, l4[1448:2896], off=1448, m=True, ident=0x11))
    last = ipv6(A6, B6, 44, frag6(60, l4[2896:], off=2896, m=False, ident=0x11))
    c.add(eth(ETH_IP6, first), E(TCP, A6, 45000, B6, 8443, len(first)), "ipv6.hopopts:ipv6.fraghdr",
          note="first fragment, dstopts after the fragment header")
    c.add(eth(ETH_IP6, mid), E(TCP, A6, 45000, B6, 8443, len(mid)), "ipv6.fraghdr")
    c.add(eth(ETH_IP6, last), E(TCP, A6, 45000, B6, 8443, len(last)), "ipv6.fraghdr")
    # a later fragment before its first: (fnh, 0, 0) = protocol 17 here, then the first
    # fragment fixes the entry and the same later fragment joins the flow
    l4 = udp(46000, 46001, data(1600))
    f0 = ipv6(B6, A6, 44, frag6(UDP, l4[:1232], off=0, m=True, ident=0x22))
    f1 = ipv6(B6, A6, 44, frag6(UDP, l4[1232:], off=1232, m=False, ident=0x22))
    c.add(eth(ETH_IP6, f1, swap=True), E(UDP, B6, 0, A6, 0, len(f1)), "ipv6.fraghdr",
          note="later fragment first: ports 0")
    c.add(eth(ETH_IP6, f0, swap=True), E(UDP, B6, 46000, A6, 46001, len(f0)), "ipv6.fraghdr")
    c.add(eth(ETH_IP6, f1, swap=True), E(UDP, B6, 46000, A6, 46001, len(f1)), "ipv6.fraghdr",
          note="repeat after the first fragment")
    # a later fragment whose fnh is destination options (60) before its first fragment:
    # the protocol is 60 until the first fragment says TCP
    l4 = opt_hdr(TCP, tcp(47000, 25, data(2000)))
    g0 = ipv6(C6, B6, 44, frag6(60, l4[:1024], off=0, m=True, ident=0x33))
    g1 = ipv6(C6, B6, 44, frag6(60, l4[1024:], off=1024, m=False, ident=0x33))
    c.add(eth(ETH_IP6, g1), E(60, C6, 0, B6, 0, len(g1)), "ipv6.fraghdr",
          note="later fragment first, fnh 60")
    c.add(eth(ETH_IP6, g0), E(TCP, C6, 47000, B6, 25, len(g0)), "ipv6.fraghdr")
    c.add(eth(ETH_IP6, g1), E(TCP, C6, 47000, B6, 25, len(g1)), "ipv6.fraghdr")
    # a first fragment that ends after the destination options: TCP, but its ports are in
    # the next fragment -> the map holds (TCP, 0, 0) and the later fragment is TCP 0 -> 0
    # (not 60, as it would be had the first fragment not been seen)
    l4 = opt_hdr(TCP, tcp(47001, 25, data(100)))
    k0 = ipv6(C6, B6, 44, frag6(60, l4[:8], off=0, m=True, ident=0x36))
    k1 = ipv6(C6, B6, 44, frag6(60, l4[8:], off=8, m=False, ident=0x36))
    c.add(eth(ETH_IP6, k0), E(TCP, C6, 0, B6, 0, len(k0)), "ipv6.fraghdr",
          note="first fragment without the TCP header")
    c.add(eth(ETH_IP6, k1), E(TCP, C6, 0, B6, 0, len(k1)), "ipv6.fraghdr")
    # an atomic fragment (offset 0, M clear): ports, no map entry
    p = ipv6(A6, C6, 44, frag6(UDP, udp(48000, 48001, data(10)), ident=0x44))
    c.add(eth(ETH_IP6, p), E(UDP, A6, 48000, C6, 48001, len(p)), "ipv6.fraghdr")
    # ... so a later fragment with that id still finds no entry
    p = ipv6(A6, C6, 44, frag6(UDP, data(16), off=8, ident=0x44))
    c.add(eth(ETH_IP6, p), E(UDP, A6, 0, C6, 0, len(p)), "ipv6.fraghdr",
          note="id of an atomic fragment: no entry")
    # fragments of an ICMPv6 echo: protocol 58 on every fragment, no ports
    l4 = icmp6_echo(payload=data(1500))
    h0 = ipv6(B6, C6, 44, frag6(ICMP6, l4[:1240], m=True, ident=0x55))
    h1 = ipv6(B6, C6, 44, frag6(ICMP6, l4[1240:], off=1240, ident=0x55))
    c.add(eth(ETH_IP6, h0), E(ICMP6, B6, 0, C6, 0, len(h0)), "ipv6.fraghdr")
    c.add(eth(ETH_IP6, h1), E(ICMP6, B6, 0, C6, 0, len(h1)), "ipv6.fraghdr")
    return c


def c_truncated(snaplen):
    """caplen < wirelen: bytes come from the IP header, ports only if captured."""
    c = Capture(f"snaplen_{snaplen}", 1, "eth:ethertype", snaplen=snaplen)
    p = ipv4(A4, B4, TCP, tcp(40010, 80, data(1400)))         # ports well inside the snaplen
    c.add(eth(ETH_IP4, p), E(TCP, A4, 40010, B4, 80, len(p)), "ip:tcp")
    p = ipv4(B4, A4, TCP, tcp(80, 40010, data(1400)))
    c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 80, A4, 40010, len(p)), "ip:tcp")
    # 60 bytes of options: ports at 74..78, not captured with snaplen 64, captured with 96
    p = ipv4(A4, B4, UDP, udp(40011, 53, data(500)), ihl=15)
    ports = (40011, 53) if 14 + 60 + 4 <= snaplen else (0, 0)
    c.add(eth(ETH_IP4, p), E(UDP, A4, ports[0], B4, ports[1], len(p)), "ip",
          note=f"IHL 15, snaplen {snaplen}")
    # truncation inside the port bytes: only the source port is captured -> ports 0
    p = ipv4(C4, D4, TCP, tcp(40012, 993, data(100)), ihl=12)
    c.add(eth(ETH_IP4, p), E(TCP, C4, 0, D4, 0, len(p)), "ip", cap=14 + 48 + 2,
          note="IHL 12, cut 2 bytes into the TCP header")
    p = ipv6(C6, A6, UDP, udp(40012, 993, data(100)))
    c.add(eth(ETH_IP6, p), E(UDP, C6, 0, A6, 0, len(p)), "ipv6", cap=14 + 40 + 3,
          note="cut 3 bytes into the UDP header")
    # IPv6: TCP behind a 32-byte hop-by-hop header, which ends at 86: with snaplen 64 it is
    # not captured whole (protocol: its next-header byte, TCP; ports 0), with 96 it is and so are the ports
    units = 3
    p = ipv6(A6, B6, 0, opt_hdr(TCP, tcp(40013, 80, data(900)), units=units))
    ext_end = 14 + 40 + (units + 1) * 8
    if ext_end <= snaplen:                                     # 96: captured, ports too?
        ports = (40013, 80) if ext_end + 4 <= snaplen else (0, 0)
        e = E(TCP, A6, ports[0], B6, ports[1], len(p))
    else:
        e = E(TCP, A6, 0, B6, 0, len(p))
    c.add(eth(ETH_IP6, p), e, "ipv6", note=f"hop-by-hop ends at {ext_end}")
    # only one byte of the hop-by-hop header captured: its length is unknown, but its next header
    # (UDP) was read: that is the protocol, ports 0
    p = ipv6(B6, A6, 0, opt_hdr(UDP, udp(53, 40013, data(100))))
    c.add(eth(ETH_IP6, p), E(UDP, B6, 0, A6, 0, len(p)), "ipv6", cap=14 + 41,
          note="1 byte of hop-by-hop captured")
    # the capture ends after the next-header byte of a routing header behind hop-by-hop: 44 (the next
    # extension) is the protocol, as tshark shows it
    p = ipv6(A6, C6, 0, opt_hdr(43, bytes([44, 0, 0, 0, 0, 0, 0, 0]) + frag6(UDP, udp(1, 2, data(50)), m=True, ident=3)))
    c.add(eth(ETH_IP6, p), E(44, A6, 0, C6, 0, len(p)), "ipv6", cap=14 + 48 + 1,
          note="routing header cut after its next-header byte")
    # nothing of the hop-by-hop header captured: its number is the protocol
    p = ipv6(B6, C6, 0, opt_hdr(UDP, udp(53, 40015, data(100))))
    c.add(eth(ETH_IP6, p), E(0, B6, 0, C6, 0, len(p)), "ipv6", cap=14 + 40,
          note="no byte of hop-by-hop captured")
    # a fragment header with only 4 of its 8 bytes captured: protocol 44, ports 0
    p = ipv6(C6, B6, 44, frag6(UDP, udp(1, 2, data(100)), m=True, ident=9))
    c.add(eth(ETH_IP6, p), E(44, C6, 0, B6, 0, len(p)), "ipv6", cap=14 + 44,
          note="half a fragment header captured")
    p = ipv6(A6, B6, UDP, udp(40014, 53, data(900)))          # plain IPv6 UDP: ports at 54..58
    c.add(eth(ETH_IP6, p), E(UDP, A6, 40014, B6, 53, len(p)), "ipv6:udp")
    # the IP header itself not captured: under 20 / 40 bytes after the link header
    p = ipv4(A4, B4, UDP, udp(1, 2, data(100)))
    c.add(eth(ETH_IP4, p), "truncated", "ip", cap=14 + 19, note="19 bytes of IPv4 captured")
    p = ipv6(A6, B6, UDP, udp(1, 2, data(100)))
    c.add(eth(ETH_IP6, p), "truncated", "ipv6", cap=14 + 39, note="39 bytes of IPv6 captured")
    return c


def c_ipv4_length():
    c = Capture("ipv4_length", 1, "eth:ethertype")
    # total length 0 (BIG TCP / TSO): bytes = wire length - link
    p = ipv4(A4, B4, TCP, tcp(40020, 5201, data(3000)), tl=0)
    c.add(eth(ETH_IP4, p), E(TCP, A4, 40020, B4, 5201, len(p)), "ip:tcp", note="tl 0")
    p = ipv4(A4, B4, TCP, tcp(40020, 5201, data(60000)), tl=0)
    c.add(eth(ETH_IP4, p), E(TCP, A4, 40020, B4, 5201, len(p)), "ip:tcp", cap=200,
          note="tl 0, 60040 on the wire, 200 captured")
    # total length bigger than the frame: bytes = avail
    p = ipv4(B4, A4, TCP, tcp(5201, 40020, data(100)), tl=1500)
    c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 5201, A4, 40020, len(p)), "ip:tcp",
          note="tl 1500 in a 140-byte packet")
    # total length smaller than the frame (trailer bytes): bytes = tl
    p = ipv4(B4, A4, UDP, udp(9, 9, data(10)))
    c.add(eth(ETH_IP4, p + b"TRAILER!" * 4, swap=True), E(UDP, B4, 9, A4, 9, len(p)), "ip:udp",
          note="32 trailer bytes")
    # tl 22: the UDP source port is inside the datagram, the destination port is not
    p = ipv4(A4, C4, UDP, udp(1111, 2222, data(10)), tl=22)
    c.add(eth(ETH_IP4, p), E(UDP, A4, 0, C4, 0, 22), "ip", note="tl 22: ports not inside")
    # tl 24 = IHL*4 + 4: both ports inside
    p = ipv4(A4, C4, UDP, udp(1111, 2222, data(10)), tl=24)
    c.add(eth(ETH_IP4, p), E(UDP, A4, 1111, C4, 2222, 24), "ip", note="tl 24: ports inside")
    return c


def c_ipv6_length():
    c = Capture("ipv6_length", 1, "eth:ethertype")
    # payload length 0 without a jumbo option: bytes = avail
    p = ipv6(A6, B6, TCP, tcp(40030, 5201, data(5000)), plen=0)
    c.add(eth(ETH_IP6, p), E(TCP, A6, 40030, B6, 5201, len(p)), "ipv6", note="pl 0")
    p = ipv6(B6, A6, TCP, tcp(5201, 40030, data(100)), plen=0)
    c.add(eth(ETH_IP6, p, swap=True), E(TCP, B6, 5201, A6, 40030, len(p)), "ipv6", note="pl 0")
    # BIG TCP as Linux writes it: pl 0 and a hop-by-hop jumbo payload option
    l4 = tcp(40033, 5201, data(300))
    hbh = struct.pack(">BBBBI", TCP, 0, 0xC2, 4, 8 + len(l4))
    p = ipv6(A6, B6, 0, hbh + l4, plen=0)
    c.add(eth(ETH_IP6, p), E(TCP, A6, 40033, B6, 5201, len(p)), "ipv6:ipv6.hopopts",
          note="pl 0 with a jumbo option")
    # pl + 40 > avail: bytes = avail
    p = ipv6(A6, B6, UDP, udp(40031, 53, data(100)), plen=2000)
    c.add(eth(ETH_IP6, p), E(UDP, A6, 40031, B6, 53, len(p)), "ipv6:udp", note="pl 2000 > frame")
    # pl + 40 < avail (trailer): bytes = pl + 40
    p = ipv6(A6, B6, UDP, udp(40031, 53, data(20)))
    c.add(eth(ETH_IP6, p + bytes(30)), E(UDP, A6, 40031, B6, 53, len(p)), "ipv6:udp",
          note="30 trailer bytes")
    # pl 2: the UDP header is not inside the packet -> ports 0
    p = ipv6(A6, B6, UDP, udp(40032, 53, data(20)), plen=2)
    c.add(eth(ETH_IP6, p), E(UDP, A6, 0, B6, 0, 42), "ipv6", note="pl 2: ports not inside")
    return c


def c_malformed():
    c = Capture("malformed", 1, "eth:ethertype")
    p = ipv4(A4, B4, UDP, udp(1000, 1001, data(10)))          # two good packets
    c.add(eth(ETH_IP4, p), E(UDP, A4, 1000, B4, 1001, len(p)), "ip:udp")
    c.add(eth(ETH_IP4, ipv6(A6, B6, UDP, udp(1, 2, data(10)))), "malformed", "ip",
          note="ethertype IPv4, version 6")
    c.add(eth(ETH_IP6, ipv4(A4, B4, UDP, udp(1, 2, data(30)))), "malformed", "",
          note="ethertype IPv6, version 4")
    c.add(eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2), ver=5)), "malformed", "ip",
          note="version 5")
    c.add(eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2, data(10)), ihl=4)), "malformed", "ip",
          note="IHL 4")
    c.add(eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2, data(10)), ihl=0)), "malformed", "ip",
          note="IHL 0")
    c.add(eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2, data(10)), tl=19)), "malformed", "ip",
          note="tl 19 < 20")
    c.add(eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2, data(40)), ihl=10, tl=39)), "malformed", "ip",
          note="tl 39 < IHL*4 = 40")
    c.add(eth(ETH_IP4, b"")[:10], "truncated", "=eth", wire=60,
          note="10 bytes: shorter than the Ethernet header")
    c.add(eth(ETH_IP4, ipv4(A4, B4, UDP, udp(1, 2)))[:14 + 12], "truncated", "ip", wire=60,
          note="12 bytes after the Ethernet header")
    c.add(eth(ETH_IP6, ipv6(A6, B6, UDP, udp(1, 2)))[:14 + 30], "truncated", "ipv6", wire=62,
          note="30 bytes after the Ethernet header")
    c.add(eth(ETH_IP4, b""), "truncated", "ip", note="nothing after the Ethernet header")
    p = ipv4(B4, A4, UDP, udp(1001, 1000, data(99)))
    c.add(eth(ETH_IP4, p, swap=True), E(UDP, B4, 1001, A4, 1000, len(p)), "ip:udp")
    return c


def c_non_ip():
    c = Capture("non_ip", 1, "eth")
    p = ipv4(A4, B4, TCP, tcp(40040, 80))
    c.add(eth(ETH_IP4, p), E(TCP, A4, 40040, B4, 80, len(p)), ":ethertype:ip:tcp")
    arp = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC1, ip_bytes(A4), bytes(6),
                      ip_bytes(B4))
    c.add(eth(ETH_ARP, arp + bytes(18)), "non_ip", ":ethertype:arp")
    # 802.3 length + LLC (STP), and LLC/SNAP carrying IPv4: not Ethernet II, not counted
    stp = b"\x42\x42\x03" + bytes(35)
    c.add(MAC2 + MAC1 + struct.pack(">H", len(stp)) + stp + bytes(8), "non_ip", ":llc:stp")
    snap_ip = ipv4(A4, B4, UDP, udp(1, 2, data(10)))
    snap = b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + snap_ip
    c.add(MAC2 + MAC1 + struct.pack(">H", len(snap)) + snap, "non_ip", ":llc:ip",
          note="LLC/SNAP IPv4 is not Ethernet II")
    # PPPoE session and MPLS carrying IPv4: other link layers, not counted
    pppoe = struct.pack(">BBHH", 0x11, 0, 0x1234, len(snap_ip) + 2) + b"\x00\x21" + snap_ip
    c.add(eth(0x8864, pppoe), "non_ip", ":ethertype:pppoes:ppp:ip")
    c.add(eth(0x8847, struct.pack(">I", (16 << 12) | 0x100 | 64) + snap_ip), "non_ip",
          ":ethertype:mpls:ip")
    c.add(eth(0x88CC, bytes(40)), "non_ip", ":ethertype:lldp", note="LLDP")
    p = ipv4(B4, A4, TCP, tcp(80, 40040, data(10)))
    c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 80, A4, 40040, len(p)), ":ethertype:ip:tcp")
    return c


def c_link_local():
    c = Capture("link_local", 1, "eth:ethertype")
    ns = struct.pack(">BBHI", 135, 0, 0, 0) + ip_bytes(LL2)
    p = ipv6(LL1, MC6, ICMP6, ns)                              # ND to a multicast group
    c.add(eth(ETH_IP6, p), E(ICMP6, LL1, 0, MC6, 0, len(p)), "ipv6:icmpv6")
    p = ipv6(LL1, LL2, UDP, udp(546, 547, data(50)))           # DHCPv6-ish, both link-local
    c.add(eth(ETH_IP6, p), E(UDP, LL1, 546, LL2, 547, len(p)), "ipv6:udp")
    p = ipv6(LL2, LL1, UDP, udp(547, 546, data(90)))
    c.add(eth(ETH_IP6, p, swap=True), E(UDP, LL2, 547, LL1, 546, len(p)), "ipv6:udp")
    p = ipv6(A6, "fe80::1234", TCP, tcp(22, 50001, data(10)))  # global to link-local
    c.add(eth(ETH_IP6, p), E(TCP, A6, 22, "fe80::1234", 50001, len(p)), "ipv6:tcp")
    p = ipv6("febf:ffff::1", A6, UDP, udp(1, 2, data(3)))      # top of fe80::/10
    c.add(eth(ETH_IP6, p), E(UDP, "febf:ffff::1", 1, A6, 2, len(p)), "ipv6:udp")
    p = ipv6("fec0::1", A6, UDP, udp(1, 2, data(3)))           # site-local, outside fe80::/10
    c.add(eth(ETH_IP6, p), E(UDP, "fec0::1", 1, A6, 2, len(p)), "ipv6:udp")
    p = ipv6(A6, B6, UDP, udp(3, 4, data(5)))                  # global to global
    c.add(eth(ETH_IP6, p), E(UDP, A6, 3, B6, 4, len(p)), "ipv6:udp")
    p = ipv4("169.254.1.1", "169.254.1.2", UDP, udp(5, 6))     # IPv4 link-local always counts
    c.add(eth(ETH_IP4, p), E(UDP, "169.254.1.1", 5, "169.254.1.2", 6, len(p)), "ip:udp")
    return c


def c_no_ports():
    c = Capture("no_ports", 1, "eth:ethertype")
    inner = ipv4(C4, D4, UDP, udp(53, 53, data(10)))
    gre = struct.pack(">HH", 0, 0x0800) + inner                # GRE 47 around IPv4/UDP
    p = ipv4(A4, B4, 47, gre)
    c.add(eth(ETH_IP4, p), E(47, A4, 0, B4, 0, len(p)), "ip:gre:ip:udp")
    p = ipv4(B4, A4, 47, gre)
    c.add(eth(ETH_IP4, p, swap=True), E(47, B4, 0, A4, 0, len(p)), "ip:gre")
    sctp = struct.pack(">HHII", 3868, 3868, 1, 0) + struct.pack(">BBH", 10, 0, 4)  # COOKIE ECHO-ish
    p = ipv4(A4, C4, 132, sctp)                                # SCTP 132: ports not read
    c.add(eth(ETH_IP4, p), E(132, A4, 0, C4, 0, len(p)), "ip:sctp")
    p = ipv6(A6, B6, 132, sctp)
    c.add(eth(ETH_IP6, p), E(132, A6, 0, B6, 0, len(p)), "ipv6:sctp")
    esp = struct.pack(">II", 0x2000, 7) + data(48)             # ESP 50
    p = ipv4(A4, E4, 50, esp)
    c.add(eth(ETH_IP4, p), E(50, A4, 0, E4, 0, len(p)), "ip:esp")
    p = ipv4(E4, A4, 50, esp)
    c.add(eth(ETH_IP4, p, swap=True), E(50, E4, 0, A4, 0, len(p)), "ip:esp")
    # AH in IPv4 is not walked: protocol 51 even with TCP behind it
    p = ipv4(A4, B4, 51, ah_hdr(TCP, tcp(1, 2)))
    c.add(eth(ETH_IP4, p), E(51, A4, 0, B4, 0, len(p)), "ip:ah")
    # ICMP port unreachable quoting a UDP packet: the quoted ports are not the flow's
    quoted = ipv4(B4, A4, UDP, udp(4444, 33434, data(8)))
    p = ipv4(A4, B4, ICMP, struct.pack(">BBHI", 3, 3, 0, 0) + quoted)
    c.add(eth(ETH_IP4, p), E(ICMP, A4, 0, B4, 0, len(p)), "ip:icmp")
    p = ipv6(A6, B6, ICMP6, struct.pack(">BBHI", 1, 4, 0, 0) + ipv6(B6, A6, UDP, udp(5, 6)))
    c.add(eth(ETH_IP6, p), E(ICMP6, A6, 0, B6, 0, len(p)), "ipv6:icmpv6")
    # IPv4-in-IPv4 (4) and IPv6-in-IPv4 (41): outer header only
    p = ipv4(A4, D4, 4, inner)
    c.add(eth(ETH_IP4, p), E(4, A4, 0, D4, 0, len(p)), "ip:ip:udp")
    p = ipv4(A4, D4, 41, ipv6(A6, B6, UDP, udp(7, 8)))
    c.add(eth(ETH_IP4, p), E(41, A4, 0, D4, 0, len(p)), "ip:ipv6:udp")
    # UDP-Lite (136) and DCCP (33) have ports in the same place, but the rules read only 6/17
    p = ipv4(A4, B4, 136, udp(9000, 9001, data(4)))
    c.add(eth(ETH_IP4, p), E(136, A4, 0, B4, 0, len(p)), "ip:udplite")
    return c


def c_server_first():
    """The first packet of a 5-tuple decides the local side, even from the 'server'."""
    c = Capture("server_first", 1, "eth:ethertype")
    p = ipv4(B4, A4, TCP, tcp(80, 40050, data(1000)))          # server speaks first
    c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 80, A4, 40050, len(p)), "ip:tcp")
    for i in range(3):
        p = ipv4(A4, B4, TCP, tcp(40050, 80, data(i)))
        c.add(eth(ETH_IP4, p), E(TCP, A4, 40050, B4, 80, len(p)), "ip:tcp")
        p = ipv4(B4, A4, TCP, tcp(80, 40050, data(1400)))
        c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 80, A4, 40050, len(p)), "ip:tcp")
    p = ipv6(D6, A6, UDP, udp(53, 33333, data(200)))           # an answer before its query
    c.add(eth(ETH_IP6, p, swap=True), E(UDP, D6, 53, A6, 33333, len(p)), "ipv6:udp")
    p = ipv6(A6, D6, UDP, udp(33333, 53, data(30)))
    c.add(eth(ETH_IP6, p), E(UDP, A6, 33333, D6, 53, len(p)), "ipv6:udp")
    # same addresses, other ports: a separate flow with the other local side
    p = ipv4(A4, B4, TCP, tcp(40051, 80, data(1)))
    c.add(eth(ETH_IP4, p), E(TCP, A4, 40051, B4, 80, len(p)), "ip:tcp")
    # to itself: both directions of 127.0.0.1:7 <-> 127.0.0.1:7 are "sent"
    p = ipv4("127.0.0.1", "127.0.0.1", UDP, udp(7, 7, data(4)))
    c.add(eth(ETH_IP4, p), E(UDP, "127.0.0.1", 7, "127.0.0.1", 7, len(p)), "ip:udp")
    c.add(eth(ETH_IP4, p), E(UDP, "127.0.0.1", 7, "127.0.0.1", 7, len(p)), "ip:udp")
    return c


def c_addr_forms():
    """IPv6 text forms: compression of the first longest zero run, no single-zero '::',
    IPv4-mapped, IPv4-compatible (Python's ipaddress prints ::102:304)."""
    c = Capture("ipv6_addr_forms", 1, "eth:ethertype")
    for i, a in enumerate(("2001:db8:0:0:1:0:0:1", "2001:db8:0:1:0:0:0:1", "2001:0:1:2:3:4:5:6",
                           "::ffff:10.0.0.5", "::1.2.3.4", "::", "::1", "1::")):
        p = ipv6(a, B6, UDP, udp(100 + i, 200, data(i)))
        c.add(eth(ETH_IP6, p), E(UDP, a, 100 + i, B6, 200, len(p)), "ipv6:udp")
    return c


def c_pcapng():
    c = Capture("pcapng_basic", 1, "eth:ethertype", fmt="pcapng", interfaces=2)
    for i in range(2):
        p = ipv4(A4, B4, TCP, tcp(40060, 80, data(10 * i)))
        c.add(eth(ETH_IP4, p), E(TCP, A4, 40060, B4, 80, len(p)), "ip:tcp", iface=i)
        p = ipv4(B4, A4, TCP, tcp(80, 40060, data(700)))
        c.add(eth(ETH_IP4, p, swap=True), E(TCP, B4, 80, A4, 40060, len(p)), "ip:tcp", iface=i)
    p = ipv6(A6, B6, UDP, udp(1, 2, data(3)))
    c.add(eth(ETH_IP6, p), E(UDP, A6, 1, B6, 2, len(p)), "ipv6:udp", iface=1)
    p = ipv4(A4, B4, UDP, udp(3, 4, data(2000)))               # 96 bytes captured of 2042
    c.add(eth(ETH_IP4, p), E(UDP, A4, 3, B4, 4, len(p)), "ip:udp", cap=96)
    return c


def c_pcapng_sll():
    c = Capture("pcapng_sll", 113, "sll:ethertype", fmt="pcapng")
    p = ipv4(A4, B4, UDP, udp(1, 2, data(3)))
    c.add(sll(ETH_IP4, p), E(UDP, A4, 1, B4, 2, len(p)), "ip:udp")
    p = ipv6(B6, A6, TCP, tcp(3, 4, data(5)))
    c.add(sll(ETH_IP6, p), E(TCP, B6, 3, A6, 4, len(p)), "ipv6:tcp")
    return c


CASES = [c_eth_basic, c_eth_padding, c_vlan_8021q, c_qinq_88a8, c_qinq_9100, c_sll, c_sll2,
         lambda: c_raw(101), lambda: c_raw(12), lambda: c_raw(14), c_ipv4_228, c_ipv6_229,
         lambda: c_null("<"), lambda: c_null(">"), c_loop, c_ipv4_options, c_ipv4_frag,
         c_ipv6_ext, c_ipv6_frag, lambda: c_truncated(64), lambda: c_truncated(96),
         c_ipv4_length, c_ipv6_length, c_malformed, c_non_ip, c_link_local, c_no_ports,
         c_server_first, c_addr_forms, c_pcapng, c_pcapng_sll]


# ---------------------------------------------------------------------------------------
def libpcap_read(path):
    """(frames, DLT, error) as libpcap itself reads the file - what iftop will see. Through
    ctypes rather than tcpdump, which refuses DLTs it has no printer for (14 on Linux)."""
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("pcap") or "libpcap.so.0.8")
    lib.pcap_open_offline.restype = ctypes.c_void_p
    lib.pcap_open_offline.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.pcap_next_ex.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_void_p)]
    lib.pcap_datalink.argtypes = lib.pcap_close.argtypes = [ctypes.c_void_p]
    lib.pcap_geterr.argtypes = [ctypes.c_void_p]
    lib.pcap_geterr.restype = ctypes.c_char_p
    errbuf = ctypes.create_string_buffer(512)
    h = lib.pcap_open_offline(path.encode(), errbuf)
    if not h:
        return 0, None, errbuf.value.decode()
    hdr, pkt, n, err = ctypes.c_void_p(), ctypes.c_void_p(), 0, None
    while True:
        r = lib.pcap_next_ex(h, ctypes.byref(hdr), ctypes.byref(pkt))
        if r != 1:
            if r == -1:
                err = lib.pcap_geterr(h).decode()
            break
        n += 1
    dlt = lib.pcap_datalink(h)
    lib.pcap_close(h)
    return n, dlt, err


def verify(cap, path, expect_path):
    """Returns a list of problems with one generated file."""
    problems = []
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.number",
                          "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.protocols",
                          "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"],
                         capture_output=True, text=True)
    rows = [l.split("\t") for l in out.stdout.splitlines()]
    if out.returncode != 0 or len(rows) != len(cap.frames):
        problems.append(f"tshark read {len(rows)} of {len(cap.frames)} frames "
                        f"(exit {out.returncode}): {out.stderr.strip()[-300:]}")
    for (num, wire, caplen, protos), fr in zip(rows, cap.frames):
        want = fr["dis"][1:] if fr["dis"].startswith("=") else \
            ":".join(x for x in (cap.link_prefix, fr["dis"].lstrip(":")) if x)
        ok = protos == want if fr["dis"].startswith("=") else protos.startswith(want)
        if not ok:
            problems.append(f"frame {num}: tshark dissects it as {protos!r}, intended {want!r}")
        if (int(wire), int(caplen)) != (fr["wire"], len(fr["data"])):
            problems.append(f"frame {num}: tshark lengths {wire}/{caplen}, written "
                            f"{fr['wire']}/{len(fr['data'])}")
    n, dlt, err = libpcap_read(path)
    if err or n != len(cap.frames):
        problems.append(f"libpcap read {n} of {len(cap.frames)} frames: {err}")
    sys.path.insert(0, HERE)
    import compare_flows
    with open(expect_path) as f:
        expect = json.load(f)
    for flag, key in (("-l", "flows"), (None, "flows_without_l")):
        cmd = [sys.executable, os.path.join(HERE, "tshark_flows.py"), path] + ([flag] if flag else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"tshark_flows.py {flag or ''} failed: {r.stderr.strip()[-300:]}")
            continue
        got = json.loads(r.stdout)
        lines, equal = compare_flows.compare(expect[key], got["flows"])
        if not equal:
            problems.append(f"tshark_flows.py {flag or '(no -l)'} disagrees with {key} "
                            f"(missing = only in the generator's count):")
            problems += ["  " + l for l in lines]
        for d in got["stats"]["disagreements"]:
            problems.append(f"tshark_flows.py: rules and tshark disagree: {d}")
    return problems


def main():
    ap = argparse.ArgumentParser(description="write the accounting test captures")
    ap.add_argument("outdir")
    ap.add_argument("--verify", action="store_true",
                    help="check each file with tshark, libpcap and tshark_flows.py")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    bad = 0
    for make in CASES:
        cap = make()
        path = cap.write(args.outdir)
        expect_path = os.path.join(args.outdir, cap.name + ".expect.json")
        with open(expect_path, "w") as f:
            json.dump(cap.expect_json(), f, indent=1)
            f.write("\n")
        if args.verify:
            problems = verify(cap, path, expect_path)
            bad += bool(problems)
            print(f"{'FAIL' if problems else 'ok  '} {os.path.basename(path)} "
                  f"({len(cap.frames)} frames)")
            for p in problems:
                print("     " + p)
        else:
            print(path)
    if args.verify:
        print(f"cases: {len(CASES) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
