// Fuzz targets: every parser of outside input, each a function of (bytes, size) with its invariants checked by
// abort(). Built two ways: with libFuzzer (fuzz_main.cpp, `make fuzz`, clang) and with a plain driver over the
// regression inputs in tests/fuzz/regress/<target>/ (regress.cpp, g++ with ASan/UBSan, run by `make test`).
#pragma once
#define IFTOP_IMPLEMENTATION
#include "../../iftop.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace iftop_fuzz {
using namespace iftop;

inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}
inline std::string_view text(const uint8_t* d, size_t n) { return {reinterpret_cast<const char*>(d), n}; }

/// The frame decoder on any bytes, under the link type of the first byte.
inline int decoder(const uint8_t* d, size_t n) {
    if (n < 1) return 0;
    static const int lts[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105};
    const int lt = lts[d[0] % (sizeof lts / sizeof lts[0])];
    const Decoded r = decode_frame(lt, d + 1, uint32_t(n - 1), uint32_t(n - 1) + (d[0] >> 4));
    if (r.ok) require(r.bytes <= uint32_t(n - 1) + (d[0] >> 4) + 65575u, "decoded bytes bounded");
    return 0;
}

/// The terminal input parser, fed in chunks whose sizes come from the input itself.
inline int input(const uint8_t* d, size_t n) {
    InputParser p;
    std::vector<InputEvent> ev;
    size_t i = 0;
    while (i < n) {
        const size_t k = std::min(n - i, size_t(1) + d[i] % 7);
        p.feed(text(d + i, k), ev);
        i += k;
    }
    p.flush(ev);
    for (const InputEvent& e : ev)
        if (e.type == InputEvent::mouse) require(e.x >= 0 && e.y >= 0 && e.x <= 65535 && e.y <= 65535, "mouse in range");
    require(!p.pending(), "flush leaves nothing pending");
    return 0;
}

/// ~/.iftoprc text; a parsed rate is finite and at most 1 Pb/s.
inline int config(const uint8_t* d, size_t n) {
    Options o;
    if (apply_config_text(text(d, n), o)) {
        require(std::isfinite(o.max_bandwidth) && o.max_bandwidth <= 1e15, "max-bandwidth bounded");
        require(std::isfinite(o.alert_threshold) && o.alert_threshold <= 1e15, "alert-threshold bounded");
    }
    return 0;
}

/// lsof -F output.
inline int lsof(const uint8_t* d, size_t n) {
    for (const LsofSocket& s : parse_lsof(text(d, n))) require(s.pid > 0, "lsof pid positive");
    return 0;
}

/// /proc/net/{tcp,tcp6,udp,udp6}.
inline int procnet(const uint8_t* d, size_t n) {
    if (n < 1) return 0;
    const uint8_t proto = d[0] & 1 ? kProtoTcp : kProtoUdp;
    const int family = d[0] & 2 ? 6 : 4;
    for (const SocketRow& r : parse_proc_net(text(d + 1, n - 1), proto, family)) require(r.inode != 0, "row with an inode");
    return 0;
}

/// A pcap or pcapng file from memory, read by libpcap and accounted; the counters add up.
inline int pcap(const uint8_t* d, size_t n) {
    if (n == 0) return 0;
    FILE* f = fmemopen(const_cast<uint8_t*>(d), n, "rb");
    if (!f) return 0;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!p) { std::fclose(f); return 0; }
    detail::PcapSource src(p, "fuzz", false);  // owns p (and f)
    Engine engine;
    (void)engine.run_offline(src);
    engine.finish();
    const CaptureCounts& c = engine.table().capture();
    uint64_t skipped = 0;
    for (uint64_t s : c.skipped) skipped += s;
    require(c.ip_packets + skipped == c.packets, "every frame counted or skipped once");
    const FlowView t = engine.table().totals();
    require(t.counts.packets[0] + t.counts.packets[1] == c.ip_packets, "totals hold every counted packet");
    return 0;
}

/// The flow table driven by a program of adds and ticks: totals = sum of flows while none was evicted, never less.
inline int flowtable(const uint8_t* d, size_t n) {
    if (n < 2) return 0;
    AccountingConfig cfg;
    cfg.count_link_local = true;
    cfg.max_flows = 1 + d[0] % 16;
    cfg.idle_expiry_seconds = d[1] & 1 ? 0 : 40;
    FlowTable t(cfg);
    Micros now = 0;
    uint64_t adds = 0;
    for (size_t i = 2; i + 8 <= n; i += 8) {
        const uint8_t* op = d + i;
        if (op[0] % 5 == 0) {  // time moves: small steps, or a jump of up to ~2^40 s
            now += op[0] & 0x80 ? (Micros(op[1]) << 32) * kMicrosPerSecond / 256 : Micros(op[1]) * 50000;
            t.tick(now);
            continue;
        }
        Decoded dec;
        dec.ok = op[0] % 7 != 0;
        dec.skip = Skip::malformed;
        dec.proto = op[1] % 3 == 0 ? kProtoTcp : op[1] % 3 == 1 ? kProtoUdp : kProtoIcmp;
        uint8_t a[4] = {10, 0, 0, uint8_t(op[2] & 7)}, b[4] = {192, 0, 2, uint8_t(op[3] & 7)};
        dec.src = IpAddr::v4(a);
        dec.dst = IpAddr::v4(b);
        dec.sport = uint16_t(op[4] & 3);
        dec.dport = uint16_t(op[5] & 3);
        dec.bytes = uint32_t(op[6]) * 97 + op[7];
        t.add(dec, now);
        ++adds;
    }
    t.tick(now + kMicrosPerSecond);
    require(t.capture().packets == adds, "every add counted");
    const FlowView tot = t.totals();
    uint64_t sum = 0, pk = 0;
    t.for_each_flow([&](const FlowView& v) { sum += v.counts.bytes[0] + v.counts.bytes[1]; pk += v.counts.packets[0] + v.counts.packets[1]; });
    const uint64_t tb = tot.counts.bytes[0] + tot.counts.bytes[1];
    require(sum <= tb, "flows never hold more than the totals");
    if (t.capture().evicted_flows == 0 && cfg.idle_expiry_seconds == 0) require(sum == tb, "totals = sum of flows");
    require(t.size() <= cfg.max_flows, "the table stays within max_flows");
    return 0;
}

/// printable(): nothing that moves the cursor, rings, or reorders text comes out, and the output is UTF-8.
inline int sanitiser(const uint8_t* d, size_t n) {
    const std::string out = detail::printable(text(d, n));
    for (size_t i = 0; i < out.size();) {
        uint32_t cp = 0;
        const int k = detail::utf8_next(out, i, cp);
        require(cp != 0xfffd || (out.compare(i, 3, "\xef\xbf\xbd") == 0), "valid UTF-8 out");
        require(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0), "no C0/C1 control out");
        require(!detail::in_ranges(cp, detail::kFormatChars, std::size(detail::kFormatChars)), "no bidi/format character out");
        i += size_t(k);
    }
    return 0;
}

struct Target { const char* name; int (*fn)(const uint8_t*, size_t); };
inline const Target kTargets[] = {{"decoder", decoder}, {"input", input},     {"config", config},
                                  {"lsof", lsof},       {"procnet", procnet}, {"pcap", pcap},
                                  {"flowtable", flowtable}, {"sanitiser", sanitiser}};
}  // namespace iftop_fuzz
