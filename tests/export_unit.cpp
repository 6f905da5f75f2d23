// Unit tests of the exports ([14]) without a collector: collector addresses, the IPFIX message builder read back
// by a reader written here from RFC 7011's layout, Prometheus label escaping, the per-process counters, and the
// table's forget hook. The real collectors (nfcapd, node_exporter, promtool) are in tests/export.sh.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <map>
#include <tuple>

using namespace iftop;

namespace {
uint32_t rd32(const std::string& m, size_t at) { return detail::rd32(reinterpret_cast<const uint8_t*>(m.data()) + at); }
uint16_t rd16(const std::string& m, size_t at) { return detail::rd16(reinterpret_cast<const uint8_t*>(m.data()) + at); }

detail::IpfixRecord record(int family, uint64_t octets, std::string_view process = "") {
    detail::IpfixRecord r;
    uint8_t a[16] = {0x20, 1, 0xd, 0xb8}, b[16] = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    r.src = family == 6 ? IpAddr::v6(a) : IpAddr::v4(a);
    r.dst = family == 6 ? IpAddr::v6(b) : IpAddr::v4(b);
    r.proto = kProtoUdp;
    r.octets = octets;
    r.packets = 1;
    r.interface = "eth0";
    r.process = process;
    return r;
}
}  // namespace

TEST_CASE("collector addresses: HOST:PORT, [v6]:PORT; bad ones say what is wrong") {
    auto a = parse_endpoint("collector.example:4739");
    REQUIRE(a);
    CHECK(a->host == "collector.example");
    CHECK(a->port == 4739);
    auto b = parse_endpoint("[2001:db8::1]:2055");
    REQUIRE(b);
    CHECK(b->host == "2001:db8::1");
    CHECK(b->port == 2055);
    CHECK(parse_endpoint("192.0.2.1:1"));
    for (const char* bad : {"host", "host:", ":4739", "host:0", "host:65536", "host:47x", "2001:db8::1:4739",
                            "[2001:db8::1]", "[2001:db8::1]4739", "[]:4739"}) {
        auto r = parse_endpoint(bad);
        CHECK_MESSAGE(!r, bad);
        if (!r) CHECK(r.error().code == Errc::usage);
    }
    CHECK(parse_endpoint("2001:db8::1:4739").error().message.find("brackets") != std::string::npos);
}

TEST_CASE("IPFIX messages: templates first, within the size limit, sequence numbers count data records") {
    std::vector<std::string> msgs;
    detail::IpfixEncoder enc(7, 512, [&](std::string_view m, uint32_t) { msgs.emplace_back(m); });
    enc.send_templates(1700000000);
    for (int i = 0; i < 100; ++i) enc.add(record(i % 3 ? 4 : 6, 100 + i, i % 2 ? "nginx" : ""), 1700000001);
    enc.flush(1700000002);
    REQUIRE(msgs.size() > 5);
    // The template message: set 2 with templates 256 and 257, each 15 fields, the last one enterprise-specific.
    const std::string& t = msgs[0];
    CHECK(rd16(t, 0) == 10);
    CHECK(rd16(t, 2) == t.size());
    CHECK(rd32(t, 4) == 1700000000u);
    CHECK(rd32(t, 8) == 0u);
    CHECK(rd32(t, 12) == 7u);
    CHECK(rd16(t, 16) == 2);
    size_t at = 20;
    std::map<int, std::vector<std::pair<uint16_t, uint16_t>>> fields;
    for (int k = 0; k < 2; ++k) {
        const int id = rd16(t, at), n = rd16(t, at + 2);
        at += 4;
        for (int f = 0; f < n; ++f) {
            const uint16_t ie = rd16(t, at), len = rd16(t, at + 2);
            at += 4;
            if (ie & 0x8000) {
                CHECK(rd32(t, at) == uint32_t(IFTOP_IPFIX_PEN));
                at += 4;
            }
            fields[id].emplace_back(ie, len);  // the enterprise bit kept: element 1 of the PEN is not octetDeltaCount
        }
    }
    CHECK(at == t.size());
    CHECK(fields[256].front() == std::make_pair(uint16_t(8), uint16_t(4)));    // sourceIPv4Address
    CHECK(fields[257].front() == std::make_pair(uint16_t(27), uint16_t(16)));  // sourceIPv6Address
    CHECK(fields[256].size() == 15);
    // Data: every message within 512 bytes; its sequence number is the number of records before it.
    uint32_t seen = 0;
    uint64_t octets = 0;
    for (size_t i = 1; i < msgs.size(); ++i) {
        const std::string& m = msgs[i];
        CHECK(m.size() <= 512);
        CHECK(rd16(m, 2) == m.size());
        CHECK(rd32(m, 8) == seen);
        for (size_t s = 16; s < m.size();) {
            const uint16_t id = rd16(m, s), len = rd16(m, s + 2);
            REQUIRE((id == 256 || id == 257));
            for (size_t r = s + 4; r < s + len;) {  // walk the record by its template
                for (auto [ie, flen] : fields[id]) {
                    size_t n = flen;
                    if (flen == 0xffff) n = uint8_t(m[r++]);
                    if (ie == 1) octets += uint64_t(rd32(m, r)) << 32 | rd32(m, r + 4);
                    r += n;
                }
                ++seen;
                REQUIRE(r <= s + len);
            }
            s += len;
        }
    }
    CHECK(seen == 100);
    CHECK(octets == 100 * 100 + 99 * 100 / 2);
    CHECK(enc.sequence() == 100);
}

TEST_CASE("IPFIX after an interface switch: the new domain gets templates first and its own sequence numbers") {
    struct Msg { uint32_t seq, domain; uint16_t first_set; };
    std::vector<Msg> msgs;
    detail::IpfixEncoder enc(7, 512, [&](std::string_view m, uint32_t) {
        const std::string s(m);
        msgs.push_back({rd32(s, 8), rd32(s, 12), rd16(s, 16)});
    });
    enc.send_templates(1700000000);
    for (int i = 0; i < 3; ++i) enc.add(record(4, 100, ""), 1700000001);
    enc.set_domain(9, 1700000002);  // the 3 records leave under domain 7, then domain 9's templates
    for (int i = 0; i < 2; ++i) enc.add(record(6, 100, ""), 1700000003);
    enc.flush(1700000003);
    enc.set_domain(7, 1700000004);  // back: domain 7 goes on from 3
    enc.add(record(4, 100, ""), 1700000005);
    enc.flush(1700000005);
    REQUIRE(msgs.size() == 6);
    const std::vector<std::tuple<uint32_t, uint32_t, uint16_t>> want = {
        {0, 7, 2}, {0, 7, 256}, {0, 9, 2}, {0, 9, 257}, {3, 7, 2}, {3, 7, 256}};  // (sequence, domain, set id)
    for (size_t i = 0; i < msgs.size(); ++i) {
        CAPTURE(i);
        CHECK(msgs[i].seq == std::get<0>(want[i]));
        CHECK(msgs[i].domain == std::get<1>(want[i]));
        CHECK(msgs[i].first_set == std::get<2>(want[i]));
    }
    CHECK(enc.sequence() == 4);
    CHECK(enc.domain() == 7);
}

TEST_CASE("Prometheus label values: backslash, double quote and newline escaped") {
    std::string out;
    detail::prom_label(out, "a\"b\\c\nd");
    CHECK(out == "a\\\"b\\\\c\\nd");
}

TEST_CASE("process counters only grow, add up to the bytes credited, and keep 20 processes by name") {
    detail::ProcessCounters pc;
    const auto flow = [](uint16_t port, uint64_t sent, uint64_t recv) {
        FlowView f;
        f.key.proto = kProtoTcp;
        f.key.local_port = port;
        f.counts.bytes[0] = sent;
        f.counts.bytes[1] = recv;
        return f;
    };
    std::map<std::string, uint64_t> last;
    uint64_t total = 0;
    const auto check_rows = [&] {
        uint64_t sum = 0;
        for (const auto& row : pc.rows()) {
            const uint64_t v = row.second.v[0] + row.second.v[1];
            CHECK_MESSAGE(v >= last[row.first], row.first);  // a counter never goes down
            last[row.first] = v;
            sum += v;
        }
        CHECK(sum == total);
    };
    // 30 processes, one flow each, growing at different speeds over 5 rounds; one flow moves from unknown to p0.
    for (int round = 1; round <= 5; ++round) {
        for (int p = 0; p < 30; ++p) {
            const uint64_t before = round == 1 ? 0 : uint64_t((round - 1) * (p + 1) * 10);
            pc.credit(flow(uint16_t(p), uint64_t(round * (p + 1) * 10), 0), "p" + std::to_string(p));
            total += uint64_t(round * (p + 1) * 10) - before;
        }
        pc.credit(flow(999, uint64_t(round * 7), uint64_t(round)), round < 3 ? "unknown" : "p0");
        total += 8;
        check_rows();
    }
    size_t named = 0;
    for (const auto& [name, b] : pc.rows()) named += name != "other" && name != "unknown";
    CHECK(named == kPrometheusProcesses);
    // A flow that leaves the table is credited one last time and forgotten.
    pc.forget(flow(3, 1000, 0), "p3");
    total += 1000 - 5 * 4 * 10;
    check_rows();
    CHECK(pc.credited.count(flow(3, 0, 0).key) == 0);
}

TEST_CASE("the table's forget hook hears every evicted flow with its final counts") {
    AccountingConfig cfg;
    cfg.max_flows = 16;
    FlowTable t(cfg);
    uint64_t forgotten = 0;
    size_t calls = 0;
    t.on_forget([&](const FlowView& f, Micros) {
        ++calls;
        forgotten += f.counts.bytes[0] + f.counts.bytes[1];
    });
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {192, 0, 2, 1};
    for (int i = 0; i < 200; ++i) {
        Decoded d;
        d.ok = true;
        d.proto = kProtoUdp;
        d.src = IpAddr::v4(a);
        d.dst = IpAddr::v4(b);
        d.sport = uint16_t(1000 + i);
        d.dport = 53;
        d.bytes = uint32_t(100 + i);
        t.add(d, Micros(i) * 1000);
    }
    uint64_t left = 0;
    t.for_each_flow([&](const FlowView& f) { left += f.counts.bytes[0] + f.counts.bytes[1]; });
    CHECK(calls == t.capture().evicted_flows);
    CHECK(calls + t.size() == 200);
    CHECK(forgotten + left == t.totals().counts.bytes[0]);
    t.reset({});  // a new capture: the flows still in the table are heard too
    CHECK(calls == 200);
}
