// Test helpers: build frames byte by byte and write pcap files, so tests need no capture, root or network.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace testframes {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
inline void put32(Bytes& b, uint32_t v) { put16(b, uint16_t(v >> 16)); put16(b, uint16_t(v)); }
inline Bytes cat(Bytes a, const Bytes& b) { a.insert(a.end(), b.begin(), b.end()); return a; }

/// A TCP or UDP header start (ports and padding to `len` bytes).
inline Bytes l4(uint16_t sport, uint16_t dport, size_t len = 20) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    b.resize(len, 0);
    return b;
}

/// IPv4 header (+payload). `tl` = 0 means "compute"; pass tl_override to lie about it.
inline Bytes ipv4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const Bytes& payload, uint16_t id = 1,
                  uint16_t frag = 0, int options_words = 0, int tl_override = -1, uint8_t version = 4) {
    Bytes b;
    const int ihl = 5 + options_words;
    b.push_back(uint8_t(version << 4 | ihl));
    b.push_back(0);
    const size_t tl = size_t(ihl) * 4 + payload.size();
    put16(b, uint16_t(tl_override >= 0 ? tl_override : int(tl)));
    put16(b, id);
    put16(b, frag);
    b.push_back(64);
    b.push_back(proto);
    put16(b, 0);
    b.insert(b.end(), src, src + 4);
    b.insert(b.end(), dst, dst + 4);
    for (int i = 0; i < options_words * 4; ++i) b.push_back(1);  // NOP options
    return cat(b, payload);
}

inline Bytes ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t next, const Bytes& payload, int pl_override = -1) {
    Bytes b = {0x60, 0, 0, 0};
    put16(b, uint16_t(pl_override >= 0 ? pl_override : int(payload.size())));
    b.push_back(next);
    b.push_back(64);
    b.insert(b.end(), src, src + 16);
    b.insert(b.end(), dst, dst + 16);
    return cat(b, payload);
}

/// Generic IPv6 extension header (hop-by-hop, routing, dest opts) of 8*(len+1) bytes.
inline Bytes ext6(uint8_t next, uint8_t len8 = 0) {
    Bytes b(size_t(len8 + 1) * 8, 0);
    b[0] = next;
    b[1] = len8;
    return b;
}
inline Bytes frag6(uint8_t next, uint16_t offset8, bool more, uint32_t id) {
    Bytes b = {next, 0};
    put16(b, uint16_t(offset8 << 3 | (more ? 1 : 0)));
    put32(b, id);
    return b;
}

inline Bytes eth(uint16_t ethertype, const Bytes& payload, const std::vector<uint16_t>& tags = {}) {
    Bytes b = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    for (uint16_t tpid : tags) { put16(b, tpid); put16(b, 100); }
    put16(b, ethertype);
    return cat(b, payload);
}

inline Bytes sll(uint16_t proto, const Bytes& payload) {
    Bytes b = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
    put16(b, proto);
    return cat(b, payload);
}

inline Bytes sll2(uint16_t proto, const Bytes& payload) {
    Bytes b;
    put16(b, proto);
    b.resize(20, 0);
    b[8] = 0; b[9] = 1;  // ARPHRD_ETHER
    return cat(b, payload);
}

/// Writes a classic pcap file (microsecond timestamps, little-endian).
struct PcapRec { int64_t ts_us; Bytes data; uint32_t wirelen; };
inline bool write_pcap(const std::string& path, uint32_t linktype, const std::vector<PcapRec>& recs, uint32_t snaplen = 65535) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    auto w32 = [&](uint32_t v) { std::fwrite(&v, 4, 1, f); };
    auto w16 = [&](uint16_t v) { std::fwrite(&v, 2, 1, f); };
    w32(0xa1b2c3d4); w16(2); w16(4); w32(0); w32(0); w32(snaplen); w32(linktype);
    for (const auto& r : recs) {
        w32(uint32_t(r.ts_us / 1000000)); w32(uint32_t(r.ts_us % 1000000));
        w32(uint32_t(r.data.size())); w32(r.wirelen ? r.wirelen : uint32_t(r.data.size()));
        std::fwrite(r.data.data(), 1, r.data.size(), f);
    }
    return std::fclose(f) == 0;
}

}  // namespace testframes
