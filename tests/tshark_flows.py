#!/usr/bin/python3
"""Independent flow count for a capture file, from tshark's output alone.

    tshark_flows.py FILE [-l] [--explain]

Implements tests/ACCOUNTING.md a second time (the first is the C++ decoder) and prints
    {"flows": [{"protocol", "src", "src_port", "dst", "dst_port",
                "sent_bytes", "recv_bytes", "sent_packets", "recv_packets"}, ...],
     "stats": {...}}
`stats` is informational (frames read, skip reasons, tshark's complaints, frames where
tshark's dissection and the link rules disagree); compare_flows.py looks at `flows` only.

Where the facts come from:
  * tshark decides which frames are IP and where the outermost IP header starts: the first
    `ip`/`ipv6` layer of the frame, its byte offset, and the layers in front of it, which must
    all be link layers that ACCOUNTING.md supports (eth / vlan / ieee8021ad / sll / null / raw).
  * the link rules of ACCOUNTING.md are also applied to the raw bytes; a frame is counted only
    when both agree (same family, same offset). Frames where they disagree are not counted and
    are listed in stats.disagreements (with --explain, on stderr too) - they are findings, not
    noise. One documented exception: tshark 4.0 has no IPv6 decoding for NULL/LOOP families
    10 and 23 (and no Decode As for null.type), so those frames follow the rule alone
    (stats.rule_only).
  * everything inside the IP packet (lengths, fragments, extension headers, ports) is read
    from tshark's frame bytes (`frame_raw` of `-T json -x`) at exactly the offsets the
    contract names - never from tshark's transport dissectors, which may look into tunnels,
    ICMP payloads or reassembled data.
If tshark stops early on a damaged file, the frames it printed are counted and its message
is kept in stats.tshark_error.
"""

import argparse
import ipaddress
import socket


def addr_text(a):
    """Addresses as inet_ntop(3) writes them (RFC 5952; glibc keeps ::ffff:1.2.3.4 dotted), the form iftop prints."""
    return socket.inet_ntop(socket.AF_INET6 if a.version == 6 else socket.AF_INET, a.packed)

import json
import os
import subprocess
import sys

TSHARK = os.environ.get("TSHARK", "tshark")

# tshark 4.0's frame.encap_type (WTAP_ENCAP_*) -> ACCOUNTING.md link type. wiretap maps the
# pcap LINKTYPEs 12, 14 and 101 all to RAW_IP (7), and nothing else to the ones listed here.
# tests/gen_cases.py writes one file per link type, so a renumbering in another tshark
# version shows up as failing cases rather than as silently skipped frames.
ENCAP = {1: "EN10MB", 25: "LINUX_SLL", 210: "LINUX_SLL2", 7: "RAW", 129: "IPV4",
         130: "IPV6", 15: "NULL", 174: "LOOP"}

# tshark layer names allowed in front of the outermost IP header (SLL2 is also "sll").
LINK_LAYERS = {"eth", "vlan", "ieee8021ad", "sll", "null", "raw"}

VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
NULL_FAMILIES = {2: 4, 10: 6, 23: 6, 24: 6, 28: 6, 30: 6}
IPV6_EXT = (0, 43, 60, 51, 44)  # hop-by-hop, routing, destination options, AH, fragment
PROTO_NAMES = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}

TSHARK_ARGS = [
    "-n",                                   # no name resolution
    "-o", "ip.defragment:FALSE",            # reassembly would move nothing we read, but costs time
    "-o", "ipv6.defragment:FALSE",
    "-o", "ip.try_heuristic_first:FALSE",
    "-o", "ipv6.try_heuristic_first:FALSE",
    "-o", "eth.interpret_as_fw1_monitor:FALSE",
    "-o", "vlan.qinq_ethertype:0x9100",     # ACCOUNTING.md's third tag type
    "-T", "json", "-x",                     # -x adds <layer>_raw = [hex, pos, len, ...]
    "-j", "frame",                          # other layers collapse to {"filtered": name}
]


def be16(b, i):
    return (b[i] << 8) | b[i + 1]


# ----------------------------------------------------------------------------------------
# Link layer, by the table in ACCOUNTING.md. Returns (status, link, family, af): status "ip"
# (family 4 or 6), "non_ip", "truncated" or "unsupported_linktype"; link = header length
# including tags; af = the NULL/LOOP address family (None for other link types).
def parse_link(kind, b):
    n = len(b)
    if kind in ("EN10MB", "LINUX_SLL", "LINUX_SLL2"):
        link, at = {"EN10MB": (14, 12), "LINUX_SLL": (16, 14), "LINUX_SLL2": (20, 0)}[kind]
        if n < link:
            return "truncated", link, None, None
        et = be16(b, at)
        while et in VLAN_TPIDS:
            if n < link + 4:
                return "truncated", link + 4, None, None
            et = be16(b, link + 2)
            link += 4
        fam = {0x0800: 4, 0x86DD: 6}.get(et)
        return ("ip" if fam else "non_ip"), link, fam, None
    if kind == "RAW":
        if n < 1:
            return "truncated", 0, None, None
        fam = {4: 4, 6: 6}.get(b[0] >> 4)
        return ("ip" if fam else "non_ip"), 0, fam, None
    if kind in ("IPV4", "IPV6"):
        return "ip", 0, (4 if kind == "IPV4" else 6), None
    if kind in ("NULL", "LOOP"):
        if n < 4:
            return "truncated", 4, None, None
        af = int.from_bytes(b[:4], "big" if kind == "LOOP" else "little")
        if kind == "NULL" and af > 0xFFFF:
            af = int.from_bytes(b[:4], "big")
        fam = NULL_FAMILIES.get(af)
        return ("ip" if fam else "non_ip"), 4, fam, af
    return "unsupported_linktype", 0, None, None


# ----------------------------------------------------------------------------------------
class Counter:
    """Flow table, IP rules and skip statistics.

    ipv4()/ipv6() only judge a packet: they return a skip reason (str) or a Packet, and do not
    touch any state, so that a packet the rules accept but tshark does not see as IP leaves
    the fragment maps alone. commit() then updates the maps and the flow table."""

    def __init__(self, link_local):
        self.link_local = link_local
        self.frag4 = {}   # (src, dst, proto, id) -> (sport, dport)
        self.frag6 = {}   # (src, dst, fnh, id) -> (proto, sport, dport)
        self.flows = {}   # (proto, local, lport, remote, rport) -> [sb, rb, sp, rp]
        self.skipped = {}
        self.counted = 0

    def skip(self, why):
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def ipv4(self, ip, avail):
        """ip = the captured bytes from the IP header on; avail = wire length - link."""
        cap = len(ip)
        if cap < 20:
            return "truncated"
        ver, ihl = ip[0] >> 4, (ip[0] & 15) * 4
        if ver != 4 or ihl < 20:
            return "malformed"
        tl = be16(ip, 2)
        if 0 < tl < ihl:
            return "malformed"
        nbytes = avail if tl == 0 or tl > avail else tl
        proto, ident, frag = ip[9], be16(ip, 4), be16(ip, 6)
        src, dst = bytes(ip[12:16]), bytes(ip[16:20])
        key = (src, dst, proto, ident)
        updates = []
        if frag & 0x1FFF:                       # a later fragment
            sport, dport = self.frag4.get(key, (0, 0))
        else:
            sport = dport = 0
            if proto in (6, 17) and ihl + 4 <= nbytes and ihl + 4 <= cap:
                sport, dport = be16(ip, ihl), be16(ip, ihl + 2)
            if frag & 0x2000:                   # MF: first fragment of several
                updates.append((self.frag4, key, (sport, dport)))
        return Packet(proto, ipaddress.IPv4Address(src), sport, ipaddress.IPv4Address(dst),
                      dport, nbytes, updates)

    def ipv6(self, ip, avail):
        cap = len(ip)
        if cap < 40:
            return "truncated"
        if ip[0] >> 4 != 6:
            return "malformed"
        pl = be16(ip, 4)
        nbytes = avail if pl == 0 or pl + 40 > avail else pl + 40
        src, dst = bytes(ip[8:24]), bytes(ip[24:40])
        if not self.link_local and (is_fe80(src) or is_fe80(dst)):
            return "link_local"
        nh, off = ip[6], 40
        pending = []                 # fragment-map keys to fill once the walk ends
        proto = sport = dport = None
        while nh in IPV6_EXT:
            if nh == 44:
                hl = 8
            elif off + 2 <= cap and off + 2 <= nbytes:
                hl = (ip[off + 1] + 2) * 4 if nh == 51 else (ip[off + 1] + 1) * 8
            else:
                hl = None            # its length byte is not captured: neither is the header
            if hl is None or off + hl > cap or off + hl > nbytes:
                # cut: the protocol is the last next-header value that could be read (this header's own
                # next-header byte when captured and inside the packet; a cut fragment header stays 44), ports 0
                proto, sport, dport = (ip[off] if nh != 44 and off < cap and off < nbytes else nh), 0, 0
                break
            if nh == 44:
                fnh, fo = ip[off], be16(ip, off + 2) >> 3
                key = (src, dst, fnh, int.from_bytes(ip[off + 4:off + 8], "big"))
                if fo:               # a later fragment: the first one's result, if seen
                    proto, sport, dport = self.frag6.get(key, (fnh, 0, 0))
                    break
                if ip[off + 3] & 1:
                    pending.append(key)
                nh = fnh
            else:
                nh = ip[off]
            off += hl
        if proto is None:
            proto, sport, dport = nh, 0, 0
            if nh in (6, 17) and off + 4 <= nbytes and off + 4 <= cap:
                sport, dport = be16(ip, off), be16(ip, off + 2)
        updates = [(self.frag6, key, (proto, sport, dport)) for key in pending]
        return Packet(proto, ipaddress.IPv6Address(src), sport, ipaddress.IPv6Address(dst),
                      dport, nbytes, updates)

    def commit(self, p):
        for table, key, value in p.updates:
            table[key] = value
        fwd = (p.proto, p.src, p.sport, p.dst, p.dport)
        rev = (p.proto, p.dst, p.dport, p.src, p.sport)
        if fwd in self.flows:
            f, sent = self.flows[fwd], True
        elif rev in self.flows:
            f, sent = self.flows[rev], False
        else:                        # first packet of the 5-tuple: its sender is local
            f, sent = self.flows.setdefault(fwd, [0, 0, 0, 0]), True
        if sent:
            f[0] += p.nbytes
            f[2] += 1
        else:
            f[1] += p.nbytes
            f[3] += 1
        self.counted += 1

    def result(self):
        out = []
        for (proto, src, sport, dst, dport), (sb, rb, sp, rp) in self.flows.items():
            out.append({"protocol": PROTO_NAMES.get(proto, str(proto)),
                        "src": addr_text(src), "src_port": sport, "dst": addr_text(dst), "dst_port": dport,
                        "sent_bytes": sb, "recv_bytes": rb, "sent_packets": sp, "recv_packets": rp})
        return out


class Packet:
    __slots__ = ("proto", "src", "sport", "dst", "dport", "nbytes", "updates")

    def __init__(self, proto, src, sport, dst, dport, nbytes, updates):
        self.proto, self.src, self.sport, self.dst, self.dport = proto, src, sport, dst, dport
        self.nbytes, self.updates = nbytes, updates


def is_fe80(a):
    return a[0] == 0xFE and (a[1] & 0xC0) == 0x80


# ----------------------------------------------------------------------------------------
def tshark_packets(path, stats, extra_args=()):
    """Yields each packet of `tshark -T json -x` as a list of (layer key, value) pairs.

    tshark pretty-prints one packet per top-level object, opened by a line "  {" and closed
    by a line "  }" or "  }," (JSON strings cannot hold a raw newline), so the output is split on those
    lines and parsed packet by packet instead of as one document. Layer keys repeat (two
    "vlan" tags, IP in IP), hence object_pairs_hook=list.
    """
    proc = subprocess.Popen([TSHARK, "-r", path] + TSHARK_ARGS + list(extra_args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    decoder = json.JSONDecoder(object_pairs_hook=list)
    chunk = None
    try:
        for line in proc.stdout:
            if chunk is None:
                if line == b"  {\n":
                    chunk = [line]
            else:
                if line in (b"  }\n", b"  },\n"):
                    chunk.append(b"  }\n")
                    pkt = decoder.decode(b"".join(chunk).decode("utf-8", "replace"))
                    chunk = None
                    yield dict(pkt)["_source"][0][1]    # _source -> layers
                else:
                    chunk.append(line)
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace")
        rc = proc.wait()
        # tshark warns about running as root on every call; that is not an error
        msgs = [l for l in err.splitlines() if l.strip() and "could be dangerous" not in l]
        if rc != 0 or msgs:
            stats["tshark_error"] = {"exit": rc, "stderr": "\n".join(msgs)[:2000]}


def tshark_ip(layers):
    """(family, pos, names of the layers before it) of the outermost IP header in tshark's
    dissection, or (None, None, names) when there is none or a non-link layer precedes it.

    A layer without a `_raw` entry put nothing in the tree (the ip dissector hands an
    IPv6 packet behind ethertype 0x0800 straight to ipv6: "eth:ip:ipv6"); it is skipped."""
    names = []
    pos = {}
    for key, val in layers:
        if key.endswith("_raw"):
            pos[key[:-4]] = val[1]
            continue
        if key == "frame":
            continue
        if key in ("ip", "ipv6"):
            if key not in pos:
                continue
            if all(n in LINK_LAYERS for n in names):
                return (4 if key == "ip" else 6), pos[key], names
            return None, None, names
        names.append(key)
        pos.clear()
    return None, None, names


def frame_bytes(top):
    """The frame's bytes from frame_raw, or None where tshark printed "field length invalid!"
    instead: with the raw IPv4/IPv6 link types the ip dissector is handed the frame's own
    tvb and shrinks it to the IP length, so a trailer makes the frame item too long to dump
    (corpus: scps_invalid.pcap)."""
    try:
        return bytes.fromhex(top["frame_raw"][0])
    except (KeyError, ValueError):
        return None


class RawFrames:
    """Frame bytes from a second tshark pass with ip and ipv6 disabled (nothing shrinks the
    frame there), started only when the first pass could not dump a frame."""

    def __init__(self, path):
        self.path, self.it = path, None

    def get(self, num):
        if self.it is None:
            self.it = tshark_packets(self.path, {}, ("--disable-protocol", "ip",
                                                     "--disable-protocol", "ipv6"))
        for layers in self.it:
            top = dict(layers)
            if int(dict(top["frame"])["frame.number"]) == num:
                b = frame_bytes(top)
                return b if b is not None else b""
        return b""


def count_file(path, link_local, explain):
    stats = {"frames": 0, "counted": 0, "skipped": {}, "rule_only": 0, "disagreements": [],
             "linktypes": {}}
    c = Counter(link_local)
    raw = RawFrames(path)
    for layers in tshark_packets(path, stats):
        stats["frames"] += 1
        top = dict(layers)
        frame = dict(top["frame"])
        num = int(frame["frame.number"])
        wire, caplen = int(frame["frame.len"]), int(frame["frame.cap_len"])
        b = frame_bytes(top)
        if b is None:
            b = raw.get(num)
        if len(b) != caplen:         # never seen; every offset below would be unreliable
            raise SystemExit(f"{path}: frame {num}: frame_raw has {len(b)} bytes, "
                             f"cap_len {caplen}")
        if wire < caplen:            # libpcap passes such records on as they are; ACCOUNTING.md:
            stats["wire_lt_cap"] = stats.get("wire_lt_cap", 0) + 1
            wire = caplen            # the bytes that were captured were on the wire
        encap = int(frame["frame.encap_type"])
        kind = ENCAP.get(encap, f"encap{encap}")
        stats["linktypes"][kind] = stats["linktypes"].get(kind, 0) + 1
        status, link, fam, af = parse_link(kind, b)
        if status == "unsupported_linktype":
            c.skip(status)
            continue
        t_fam, t_pos, t_chain = tshark_ip(layers)

        def disagree(why):
            d = {"frame": num, "why": why, "tshark": ":".join(t_chain),
                 "tshark_ip": t_fam and f"IPv{t_fam}@{t_pos}",
                 "rule": status, "rule_ip": fam and f"IPv{fam}@{link}"}
            stats["disagreements"].append(d)
            if explain:
                print(f"{path}: frame {num}: {why}", file=sys.stderr)
            c.skip("disagreement")

        if status != "ip":
            if t_fam is not None:
                disagree(f"tshark has IPv{t_fam} at {t_pos}, the link rules say {status}")
            else:
                c.skip(status)
            continue
        # The family comes from the link (ethertype, AF, linktype; the version nibble for RAW).
        # The IP rules judge the packet first: one they reject (a version nibble that
        # contradicts the link, too short, ...) is not counted whatever tshark made of it.
        ip = memoryview(b)[link:]
        p = c.ipv4(ip, wire - link) if fam == 4 else c.ipv6(ip, wire - link)
        if isinstance(p, str):
            c.skip(p)
            continue
        # Counted by the rules: tshark must see the same IP header at the same offset.
        if t_fam is None and kind in ("NULL", "LOOP") and af in (10, 23):
            stats["rule_only"] += 1     # tshark 4.0 cannot decode these families as IPv6
        elif t_fam is None:
            disagree(f"the link rules say IPv{fam} at {link}, tshark has no IP header")
            continue
        elif (t_fam, t_pos) != (fam, link):
            disagree(f"the link rules say IPv{fam} at {link}, tshark IPv{t_fam} at {t_pos}")
            continue
        c.commit(p)
    if raw.it is not None:
        raw.it.close()
    stats["counted"] = c.counted
    stats["skipped"] = c.skipped
    return {"flows": c.result(), "stats": stats}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("-l", action="store_true", help="count link-local IPv6 (fe80::/10)")
    ap.add_argument("--explain", action="store_true",
                    help="print each rule/tshark disagreement on stderr")
    args = ap.parse_args()
    if not os.path.isfile(args.file):
        print(f"tshark_flows.py: {args.file}: no such file", file=sys.stderr)
        return 2
    json.dump(count_file(args.file, args.l, args.explain), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
