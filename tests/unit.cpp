// Unit tests: decoder, accounting, averages, formats, options. No root, no tty, no network.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"
#include "frames.hpp"

#include <cstdlib>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace iftop;
using namespace testframes;

namespace {
const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 0, 2, 7}, C4[4] = {198, 51, 100, 9};
const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const uint8_t LL6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};

Decoded dec(int lt, const Bytes& b, uint32_t wire = 0) {
    return decode_frame(lt, b.data(), uint32_t(b.size()), wire ? wire : uint32_t(b.size()));
}
Decoded dec_cap(int lt, const Bytes& b, uint32_t caplen) {
    return decode_frame(lt, b.data(), caplen, uint32_t(b.size()));
}
Micros sec(double s) { return Micros(s * 1e6); }

std::string tmp_path(const char* name) {
    const char* d = std::getenv("TMPDIR");
    return std::string(d ? d : "/tmp") + "/iftop-unit-" + std::to_string(getpid()) + "-" + name;
}
}  // namespace

TEST_SUITE("decoder") {
TEST_CASE("Ethernet IPv4 TCP: addresses, ports, IP total length") {
    Bytes f = eth(0x0800, ipv4(A4, B4, 6, l4(40000, 443, 20 + 100)));
    Decoded d = dec(1, f);
    REQUIRE(d.ok);
    CHECK(d.proto == 6);
    CHECK(d.src.to_string() == "10.0.0.1");
    CHECK(d.dst.to_string() == "192.0.2.7");
    CHECK(d.sport == 40000);
    CHECK(d.dport == 443);
    CHECK(d.bytes == 20 + 120);
}

TEST_CASE("Ethernet padding does not count: the IP length does") {
    Bytes f = eth(0x0800, ipv4(A4, B4, 17, l4(53, 5353, 8)));
    f.resize(60, 0);
    CHECK(dec(1, f).bytes == 28);
}

TEST_CASE("VLAN tags: 802.1Q, QinQ 0x88a8, 0x9100") {
    for (std::vector<uint16_t> tags : {std::vector<uint16_t>{0x8100}, {0x88a8, 0x8100}, {0x9100}, {0x9100, 0x8100, 0x8100}}) {
        Decoded d = dec(1, eth(0x0800, ipv4(A4, B4, 17, l4(1000, 2000, 8)), tags));
        REQUIRE(d.ok);
        CHECK(d.sport == 1000);
        CHECK(d.bytes == 28);
    }
    Bytes cut = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 8)), {0x8100});
    CHECK(dec_cap(1, cut, 16).skip == Skip::truncated);
}

TEST_CASE("Linux cooked SLL and SLL2, with a VLAN tag after SLL") {
    Decoded d = dec(113, sll(0x86dd, ipv6(A6, B6, 17, l4(5000, 53, 8))));
    REQUIRE(d.ok);
    CHECK(d.src.to_string() == "2001:db8::1");
    CHECK(d.bytes == 48);
    Bytes v = sll(0x8100, {0, 5, 0x08, 0x00});
    v = cat(v, ipv4(A4, B4, 6, l4(1, 2)));
    CHECK(dec(113, v).ok);
    Decoded d2 = dec(276, sll2(0x0800, ipv4(A4, B4, 6, l4(80, 8080))));
    REQUIRE(d2.ok);
    CHECK(d2.sport == 80);
    CHECK(dec(276, sll2(0x0806, Bytes(28, 0))).skip == Skip::non_ip);
}

TEST_CASE("raw IP link types: 12, 14, 101 by version nibble; 228 and 229 fixed") {
    for (int lt : {12, 14, 101}) {
        CHECK(dec(lt, ipv4(A4, B4, 1, Bytes(8, 0))).ok);
        CHECK(dec(lt, ipv6(A6, B6, 58, Bytes(8, 0))).ok);
        CHECK(dec(lt, Bytes{0x50, 0, 0, 0}).skip == Skip::non_ip);
    }
    CHECK(dec(228, ipv4(A4, B4, 1, Bytes(8, 0))).bytes == 28);
    CHECK(dec(229, ipv6(A6, B6, 58, Bytes(8, 0))).bytes == 48);
    CHECK(dec(228, ipv6(A6, B6, 58, Bytes(8, 0))).skip == Skip::malformed);
}

TEST_CASE("BSD NULL (either byte order) and LOOP; every AF_INET6 value") {
    Bytes le = {2, 0, 0, 0}, be = {0, 0, 0, 2};
    CHECK(dec(0, cat(le, ipv4(A4, B4, 6, l4(1, 2)))).ok);
    CHECK(dec(0, cat(be, ipv4(A4, B4, 6, l4(1, 2)))).ok);
    for (uint8_t af : {10, 23, 24, 28, 30}) {
        CHECK(dec(0, cat(Bytes{af, 0, 0, 0}, ipv6(A6, B6, 6, l4(1, 2)))).ok);
        CHECK(dec(108, cat(Bytes{0, 0, 0, af}, ipv6(A6, B6, 6, l4(1, 2)))).ok);
    }
    CHECK(dec(108, cat(le, ipv4(A4, B4, 6, l4(1, 2)))).skip == Skip::non_ip);  // LOOP is always big-endian
    CHECK(dec(0, cat(Bytes{7, 0, 0, 0}, ipv4(A4, B4, 6, l4(1, 2)))).skip == Skip::non_ip);
}

TEST_CASE("unsupported link type and non-IP ethertypes are skipped by reason") {
    CHECK(dec(105, ipv4(A4, B4, 6, l4(1, 2))).skip == Skip::unsupported_linktype);
    CHECK(dec(1, eth(0x0806, Bytes(28, 0))).skip == Skip::non_ip);
    CHECK(dec(1, eth(0x0040, Bytes(40, 0))).skip == Skip::non_ip);  // 802.3 length field
}

TEST_CASE("IPv4 options move the ports") {
    for (int words = 1; words <= 10; ++words) {
        Decoded d = dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1234, 80), 1, 0, words)));
        REQUIRE(d.ok);
        CHECK(d.sport == 1234);
        CHECK(d.bytes == uint32_t(20 + words * 4 + 20));
    }
}

TEST_CASE("length fallbacks: total length 0 or beyond the frame → wire length minus link header") {
    Bytes f = eth(0x0800, ipv4(A4, B4, 6, l4(1, 2, 1000), 1, 0, 0, 0));
    CHECK(dec(1, f).bytes == 1020);
    Bytes g = eth(0x0800, ipv4(A4, B4, 6, l4(1, 2, 100), 1, 0, 0, 9000));
    CHECK(dec(1, g).bytes == 120);
    Bytes h = eth(0x86dd, ipv6(A6, B6, 6, l4(1, 2, 500), 0));
    CHECK(dec(1, h).bytes == 540);
    // Truncated capture: the full length still counts, from the IP header.
    Bytes big = eth(0x0800, ipv4(A4, B4, 6, l4(1, 2, 1400)));
    Decoded t = dec_cap(1, big, 64);
    REQUIRE(t.ok);
    CHECK(t.bytes == 1420);
    CHECK(t.sport == 1);
    // Cut inside the TCP ports: counted, ports 0.
    Decoded u = dec_cap(1, big, 14 + 20 + 3);
    REQUIRE(u.ok);
    CHECK(u.sport == 0);
    CHECK(u.bytes == 1420);
}

TEST_CASE("malformed and truncated IP headers are skipped, never guessed") {
    CHECK(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2), 1, 0, 0, -1, 6))).skip == Skip::malformed);  // version 6 in 0x0800
    Bytes ihl = eth(0x0800, ipv4(A4, B4, 6, l4(1, 2)));
    ihl[14] = 0x44;
    CHECK(dec(1, ihl).skip == Skip::malformed);
    CHECK(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2), 1, 0, 0, 12))).skip == Skip::malformed);  // tl < IHL*4
    Bytes shortf = eth(0x0800, Bytes(10, 0x45));
    CHECK(dec(1, shortf).skip == Skip::malformed);
    CHECK(dec_cap(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2))), 20).skip == Skip::truncated);
    CHECK(dec(1, Bytes(5, 0)).skip == Skip::malformed);
    CHECK(decode_frame(1, nullptr, 0, 0).skip == Skip::malformed);
}

TEST_CASE("IPv6 hop-by-hop → routing → destination options → AH → TCP") {
    Bytes ah = {6, 4};  // next header TCP; payload length 4 → (4+2)*4 = 24 bytes (RFC 4302)
    ah.resize(24, 0);
    Bytes chain = cat(ext6(43, 1), cat(ext6(60), cat(ext6(51, 1), cat(ah, l4(9999, 443)))));
    Decoded d = dec(1, eth(0x86dd, ipv6(A6, B6, 0, chain)));
    REQUIRE(d.ok);
    CHECK(d.proto == 6);
    CHECK(d.sport == 9999);
    CHECK(d.dport == 443);
    CHECK(d.bytes == 40 + 16 + 8 + 16 + 24 + 20);
    Decoded esp = dec(1, eth(0x86dd, ipv6(A6, B6, 60, cat(ext6(50), Bytes(40, 0)))));
    REQUIRE(esp.ok);
    CHECK(esp.proto == 50);
    CHECK(esp.sport == 0);
}

TEST_CASE("IPv6 fragment header: first fragment keeps walking, later fragments are marked") {
    Bytes first = cat(frag6(60, 0, true, 77), cat(ext6(17), l4(4000, 4001, 8)));
    Decoded f = dec(1, eth(0x86dd, ipv6(A6, B6, 44, first)));
    REQUIRE(f.ok);
    CHECK(f.frag == FragKind::first);
    CHECK(f.proto == 17);
    CHECK(f.frag_proto == 60);
    CHECK(f.frag_id == 77);
    CHECK(f.sport == 4000);
    Decoded l = dec(1, eth(0x86dd, ipv6(A6, B6, 44, cat(frag6(60, 3, false, 77), Bytes(16, 0)))));
    REQUIRE(l.ok);
    CHECK(l.frag == FragKind::later);
    CHECK(l.proto == 60);
    CHECK(l.sport == 0);
}

TEST_CASE("a capture cut after a whole extension header: its next header is the protocol, ports 0") {
    // The rule of tests/ACCOUNTING.md: the protocol is the last next-header value that could be read (as tshark).
    Bytes p = cat(ext6(6, 3), l4(1, 2));
    Bytes f = eth(0x86dd, ipv6(A6, B6, 0, p));
    Decoded d = dec_cap(1, f, 14 + 40 + 8);
    REQUIRE(d.ok);
    CHECK(d.proto == 6);
    CHECK(d.sport == 0);
    CHECK(d.bytes == 40 + 32 + 20);
}
}

TEST_SUITE("accounting") {
TEST_CASE("offline: the first packet's sender is local; replies count as received") {
    FlowTable t;
    Decoded out = dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(40000, 443))));
    Decoded back = dec(1, eth(0x0800, ipv4(B4, A4, 6, l4(443, 40000, 120))));
    t.add(back, sec(0));  // the server speaks first: it is the local side
    t.add(out, sec(0.1));
    t.add(out, sec(0.2));
    auto flows = t.sorted_flows(SortKey::total_bytes);
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].key.local.to_string() == "192.0.2.7");
    CHECK(flows[0].key.local_port == 443);
    CHECK(flows[0].counts.bytes[0] == 140);
    CHECK(flows[0].counts.packets[0] == 1);
    CHECK(flows[0].counts.bytes[1] == 80);
    CHECK(flows[0].counts.packets[1] == 2);
    CHECK(t.totals().counts.bytes[0] == 140);
    CHECK(t.totals().counts.bytes[1] == 80);
}

TEST_CASE("different ports or protocols are different flows") {
    FlowTable t;
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2)))), 0);
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 3)))), 0);
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 8)))), 0);
    t.add(dec(1, eth(0x0800, ipv4(A4, C4, 6, l4(1, 2)))), 0);
    CHECK(t.size() == 4);
}

TEST_CASE("-F: direction by the net boundary; inside↔inside and outside↔outside are not counted") {
    AccountingConfig c;
    c.net4 = *Net::parse4("10.0.0.0/8");
    FlowTable t(c);
    t.add(dec(1, eth(0x0800, ipv4(B4, A4, 6, l4(80, 5000)))), 0);  // into the net: received
    const uint8_t A4b[4] = {10, 9, 9, 9};
    t.add(dec(1, eth(0x0800, ipv4(A4, A4b, 6, l4(1, 2)))), 0);
    t.add(dec(1, eth(0x0800, ipv4(B4, C4, 6, l4(1, 2)))), 0);
    auto flows = t.sorted_flows(SortKey::total_bytes);
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].key.local.to_string() == "10.0.0.1");
    CHECK(flows[0].counts.packets[1] == 1);
    CHECK(flows[0].counts.packets[0] == 0);
    CHECK(t.capture().skipped[size_t(Skip::outside_net)] == 2);
    CHECK(t.capture().ip_packets == 1);
}

TEST_CASE("live: an address of the interface is the local side even when it receives first") {
    AccountingConfig c;
    c.local_addrs = {IpAddr::v4(A4)};
    FlowTable t(c);
    t.add(dec(1, eth(0x0800, ipv4(B4, A4, 6, l4(443, 40000)))), 0);
    auto flows = t.sorted_flows(SortKey::total_bytes);
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].key.local.to_string() == "10.0.0.1");
    CHECK(flows[0].counts.packets[1] == 1);
}

TEST_CASE("IPv6 link-local is skipped unless -l") {
    Decoded d = dec(1, eth(0x86dd, ipv6(LL6, B6, 17, l4(546, 547, 8))));
    FlowTable t;
    t.add(d, 0);
    CHECK(t.size() == 0);
    CHECK(t.capture().skipped[size_t(Skip::link_local)] == 1);
    AccountingConfig c;
    c.count_link_local = true;
    FlowTable t2(c);
    t2.add(d, 0);
    CHECK(t2.size() == 1);
}

TEST_CASE("IPv4 fragments join the first fragment's flow; a later fragment seen first gets ports 0") {
    FlowTable t;
    // Datagram 7: later fragment first (no first seen yet) → ports 0.
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 17, Bytes(100, 0), 7, 185))), 0);
    // Datagram 8: first fragment, then two later ones.
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 17, l4(5000, 6000, 1480), 8, 0x2000))), 0);
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 17, Bytes(1480, 0), 8, 0x2000 | 185))), 0);
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 17, Bytes(40, 0), 8, 370))), 0);
    auto flows = t.sorted_flows(SortKey::total_bytes);
    REQUIRE(flows.size() == 2);
    CHECK(flows[0].key.local_port == 5000);
    CHECK(flows[0].counts.packets[0] == 3);
    CHECK(flows[0].counts.bytes[0] == 1500 + 1500 + 60);
    CHECK(flows[1].key.local_port == 0);
    CHECK(flows[1].counts.bytes[0] == 120);
}

TEST_CASE("IPv6 later fragments join on (src, dst, fragment next header, id)") {
    FlowTable t;
    t.add(dec(1, eth(0x86dd, ipv6(A6, B6, 44, cat(frag6(6, 0, true, 9), l4(2222, 80, 100))))), 0);
    t.add(dec(1, eth(0x86dd, ipv6(A6, B6, 44, cat(frag6(6, 14, false, 9), Bytes(50, 0))))), 0);
    auto flows = t.sorted_flows(SortKey::total_bytes);
    REQUIRE(flows.size() == 1);
    CHECK(flows[0].key.proto == 6);
    CHECK(flows[0].key.local_port == 2222);
    CHECK(flows[0].counts.packets[0] == 2);
}

TEST_CASE("true averages at a constant rate, and iftop's warm-up (divide by the time covered)") {
    FlowTable t;
    t.set_origin(0);
    // 1000 bytes per second (ten 100-byte packets each second) for 60 s.
    Decoded d = dec(1, eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 80))));
    REQUIRE(d.bytes == 100);
    for (int s = 0; s < 60; ++s) {
        for (int k = 0; k < 10; ++k) t.add(d, sec(s + k / 10.0));
        t.tick(sec(s + 1));
        const Rates r = t.sorted_flows(SortKey::rate_2s)[0].rates;
        CAPTURE(s);
        CHECK(r.sent(0) == doctest::Approx(1000).epsilon(1e-12));
        CHECK(r.sent(1) == doctest::Approx(1000).epsilon(1e-12));
        CHECK(r.sent(2) == doctest::Approx(1000).epsilon(1e-12));
        CHECK(r.recv(2) == 0);
        CHECK(t.totals().rates.sent(1) == doctest::Approx(1000));
    }
    CHECK(t.totals().peak[0] == doctest::Approx(1000));
}

TEST_CASE("windows: traffic for 5 s, then silence — exact values at each tick") {
    FlowTable t;
    t.set_origin(0);
    Decoded d = dec(1, eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 980))));  // 1000 bytes
    for (int s = 0; s < 5; ++s) t.add(d, sec(s + 0.5));
    auto at = [&](int s) { t.tick(sec(s)); return t.sorted_flows(SortKey::rate_2s)[0].rates; };
    Rates r = at(1);
    CHECK(r.sent(0) == 1000);  // one second covered: 1000/1
    CHECK(r.sent(2) == 1000);
    r = at(5);
    CHECK(r.sent(0) == 1000);
    CHECK(r.sent(1) == 1000);  // 5000 / 5 covered seconds
    r = at(6);
    CHECK(r.sent(0) == 500);   // seconds 4,5: 1000 / 2
    CHECK(r.sent(1) == doctest::Approx(5000.0 / 6));
    r = at(7);
    CHECK(r.sent(0) == 0);
    CHECK(r.sent(2) == doctest::Approx(5000.0 / 7));
    r = at(12);
    CHECK(r.sent(1) == 300);   // seconds 2..11 hold 3000
    CHECK(r.sent(2) == doctest::Approx(5000.0 / 12));
    r = at(41);
    CHECK(r.sent(2) == doctest::Approx(4000.0 / 40));  // seconds 1..40
    r = at(45);
    CHECK(r.sent(2) == 0);
    CHECK(t.sorted_flows(SortKey::rate_2s)[0].peak[0] == 1000);
    CHECK(t.totals().counts.bytes[0] == 5000);
}

TEST_CASE("a flow that starts late is averaged over the time since the capture began (iftop)") {
    FlowTable t;
    t.set_origin(0);
    Decoded d = dec(1, eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 980))));
    t.tick(sec(20));
    for (int s = 20; s < 25; ++s) t.add(d, sec(s + 0.5));
    t.tick(sec(25));
    Rates r = t.sorted_flows(SortKey::rate_2s)[0].rates;
    CHECK(r.sent(0) == 1000);
    CHECK(r.sent(1) == 500);   // 5000 over a full 10 s window
    CHECK(r.sent(2) == 200);   // 5000 over the 25 s covered
}

TEST_CASE("a long gap is crossed without ticking through every second, and peaks stay right") {
    Engine e;
    MemorySource src(1);
    Bytes f = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 980)));
    src.add(sec(1000), f);
    src.add(sec(1000.5), f);
    src.add(sec(1000000), f);
    int ticks = 0;
    e.on_tick([&](int64_t, Micros) { ++ticks; return true; });
    REQUIRE(e.run_offline(src));
    CHECK(ticks <= 45);
    CHECK(e.table().totals().peak[0] == 2000);
    CHECK(e.table().totals().counts.packets[0] == 3);
}

TEST_CASE("the flow table is bounded: a flood of one-packet flows evicts the smallest, totals stay exact") {
    AccountingConfig c;
    c.max_flows = 1000;
    FlowTable t(c);
    uint64_t bytes = 0;
    Decoded big = dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(22, 22, 1400))));
    for (int i = 0; i < 50; ++i) { t.add(big, sec(i * 0.001)); bytes += big.bytes; }
    for (uint32_t i = 0; i < 20000; ++i) {
        uint8_t dst[4] = {198, 18, uint8_t(i >> 8), uint8_t(i)};
        Decoded d = dec(1, eth(0x0800, ipv4(A4, dst, 17, l4(uint16_t(1000 + i % 7), 53, 8))));
        t.add(d, sec(1 + i * 0.0001));
        bytes += d.bytes;
    }
    CHECK(t.size() <= 1000);
    CHECK(t.capture().evicted_flows >= 19000);
    CHECK(t.totals().counts.bytes[0] == bytes);
    auto flows = t.sorted_flows(SortKey::total_bytes, 1);
    CHECK(flows[0].key.local_port == 22);  // the big flow survived
    CHECK(flows[0].counts.packets[0] == 50);
}

TEST_CASE("a table of 12 000 flows spans every storage chunk: each flow's counts and rate, through add_batch") {
    // The table's storage is mapped in chunks (a small first one, then 2 MiB ones): 12 000 flows cross the hot
    // part's first chunk (2 048 flows) and several cold chunks (341, then 5 461 flows each). Expected values are
    // computed here from the packet list, not read back from the table.
    FlowTable t;
    t.set_origin(0);
    const uint32_t kFlows = 12000;
    std::vector<uint64_t> want_bytes(kFlows), want_packets(kFlows), last_sec_bytes(kFlows);
    std::vector<Decoded> batch;
    std::vector<Micros> at;
    for (int s = 0; s < 3; ++s) {
        batch.clear();
        at.clear();
        for (uint32_t i = 0; i < kFlows; ++i) {
            const uint32_t n = (i + uint32_t(s)) % 5;
            for (uint32_t k = 0; k < n; ++k) {
                uint8_t dst[4] = {198, 18, uint8_t(i >> 8), uint8_t(i)};
                const uint16_t len = uint16_t(8 + (i * 7 + k) % 300);
                batch.push_back(dec(1, eth(0x0800, ipv4(A4, dst, 17, l4(uint16_t(1024 + i % 50000), 53, len)))));
                at.push_back(sec(s + 0.5));
                want_bytes[i] += batch.back().bytes;
                want_packets[i] += 1;
                if (s == 2) last_sec_bytes[i] += batch.back().bytes;
            }
        }
        t.add_batch(batch.data(), at.data(), batch.size());
    }
    t.tick(sec(3));
    REQUIRE(t.size() == kFlows);
    size_t seen = 0, wrong = 0;
    t.for_each_flow([&](const FlowView& v) {
        const uint32_t i = uint32_t(v.key.remote.bytes[2]) << 8 | v.key.remote.bytes[3];
        ++seen;
        // 2 s window at 3 s: seconds 1 and 2 over 2 s; the newest second alone checked through the 40 s sum.
        if (i >= kFlows || v.counts.bytes[0] != want_bytes[i] || v.counts.packets[0] != want_packets[i] ||
            v.counts.bytes[1] != 0 || v.rates.v[0][2] != double(want_bytes[i]) / 3)
            ++wrong;
    }, std::numeric_limits<Micros>::min(), true);
    CHECK(seen == kFlows);
    CHECK(wrong == 0);
    // Eviction moves flows from the last chunks into holes in the first ones; the survivors keep their own counts.
    AccountingConfig c;
    c.max_flows = 5000;
    FlowTable u(c);
    u.set_origin(0);
    for (uint32_t i = 0; i < kFlows; ++i) {
        uint8_t dst[4] = {198, 18, uint8_t(i >> 8), uint8_t(i)};
        const Decoded d = dec(1, eth(0x0800, ipv4(A4, dst, 6, l4(7, 80, uint16_t(20 + i % 1000)))));
        REQUIRE(d.bytes == 20 + 20 + i % 1000);
        for (uint32_t k = 0; k <= i % 3; ++k) u.add(d, sec(0.1));
    }
    CHECK(u.size() <= 5000);
    wrong = 0;
    u.for_each_flow([&](const FlowView& v) {
        const uint32_t i = uint32_t(v.key.remote.bytes[2]) << 8 | v.key.remote.bytes[3];
        if (v.counts.packets[0] != i % 3 + 1 || v.counts.bytes[0] != (i % 3 + 1) * (20 + 20 + i % 1000)) ++wrong;
    }, std::numeric_limits<Micros>::min(), false);
    CHECK(wrong == 0);
}

TEST_CASE("live expiry: a flow idle for 40 s leaves the table, its bytes stay in the totals") {
    AccountingConfig c;
    c.idle_expiry_seconds = 40;
    FlowTable t(c);
    t.set_origin(0);
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2)))), sec(0.5));
    t.tick(sec(40));
    CHECK(t.size() == 1);
    t.tick(sec(41));
    CHECK(t.size() == 0);
    CHECK(t.totals().counts.bytes[0] == 40);
}

TEST_CASE("skip reasons are counted, not silently lost") {
    Engine e;
    MemorySource src(1);
    src.add(0, eth(0x0806, Bytes(28, 0)));
    src.add(0, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2))), 1514);
    src.add(0, Bytes(3, 0));
    REQUIRE(e.run_offline(src));
    const CaptureCounts& c = e.table().capture();
    CHECK(c.packets == 3);
    CHECK(c.ip_packets == 1);
    CHECK(c.skipped[size_t(Skip::non_ip)] == 1);
    CHECK(c.skipped[size_t(Skip::malformed)] == 1);
}
}

TEST_SUITE("formats") {
TEST_CASE("iftop's number format") {
    CHECK(format_rate(0, false) == "0b");
    CHECK(format_rate(64, false) == "512b");
    CHECK(format_rate(124.875, false) == "999b");
    CHECK(format_rate(125, false) == "0.98Kb");
    CHECK(format_rate(234.5, false) == "1.83Kb");
    CHECK(format_rate(9650, false) == "75.4Kb");
    CHECK(format_rate(105000000, false) == "801Mb");
    CHECK(format_rate(60, true) == "60B");
    CHECK(format_bytes(780) == "780B");
    CHECK(format_bytes(1423) == "1.39KB");
    CHECK(format_bytes(1e15) == "931323GB");
}

TEST_CASE("text report: iftop -t's layout, line for line") {
    FlowTable t;
    t.set_origin(0);
    Decoded d = dec(1, eth(0x0800, ipv4(IpAddr::parse("127.0.0.1")->bytes, IpAddr::parse("127.0.0.1")->bytes, 17, l4(53500, 9999, 108))));
    REQUIRE(d.bytes == 128);
    t.add(d, sec(0.5));
    t.tick(sec(2));
    TextStyle st;
    st.show_ports = true;
    const std::string r = text_report(t, st);
    const std::string want =
        "   # Host name (port/service if enabled)            last 2s   last 10s   last 40s cumulative\n"
        "--------------------------------------------------------------------------------------------\n"
        "   1 127.0.0.1:53500                          =>       512b       512b       512b       128B\n"
        "     127.0.0.1:9999                           <=         0b         0b         0b         0B\n"
        "--------------------------------------------------------------------------------------------\n"
        "Total send rate:                                       512b       512b       512b\n"
        "Total receive rate:                                      0b         0b         0b\n"
        "Total send and receive rate:                           512b       512b       512b\n"
        "--------------------------------------------------------------------------------------------\n"
        "Peak rate (sent/received/total):                     1.00Kb         0b     1.00Kb\n"
        "Cumulative (sent/received/total):                      128B         0B       128B\n"
        "============================================================================================\n\n";
    CHECK(r == want);
}

TEST_CASE("text report: without -P flows collapse to host pairs; -L limits rows; long names keep the port") {
    FlowTable t;
    for (uint16_t p = 1; p <= 5; ++p) t.add(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(p, 80)))), 0);
    t.add(dec(1, eth(0x0800, ipv4(A4, C4, 6, l4(9, 80)))), 0);
    t.tick(sec(1));
    TextStyle st;
    std::string r = text_report(t, st);
    CHECK(r.find("   1 10.0.0.1 ") != std::string::npos);
    CHECK(r.find("       200B\n") != std::string::npos);  // 5 × 40 bytes in one row
    CHECK(r.find("   3 ") == std::string::npos);
    st.lines = 1;
    CHECK(text_report(t, st).find("   2 ") == std::string::npos);
    st.lines = 10;
    st.show_ports = true;
    st.host_name = [](const IpAddr&) { return std::string(60, 'h'); };
    r = text_report(t, st);
    CHECK(r.find(std::string(35, 'h') + "~:80 ") != std::string::npos);  // the cut host is marked, the port kept
}

TEST_CASE("names from outside cannot inject escape sequences into the text report") {
    FlowTable t;
    t.add(dec(1, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2)))), 0);
    TextStyle st;
    st.host_name = [](const IpAddr&) { return std::string("evil\x1b]52;c;AAAA\x07\x1b[2J\xc2\x9b" "31m\xff.example"); };
    const std::string r = text_report(t, st);
    CHECK(r.find('\x1b') == std::string::npos);
    CHECK(r.find('\x07') == std::string::npos);
    CHECK(r.find("\xc2\x9b") == std::string::npos);
    CHECK(r.find("\xff") == std::string::npos);
    CHECK(r.find("evil?]52;c;AAAA??[2J??31m?.example") != std::string::npos);
}

TEST_CASE("JSON snapshot: fields, units in bytes per second, plain IPv6 addresses") {
    FlowTable t;
    t.set_origin(sec(100));
    t.add(dec(1, eth(0x86dd, ipv6(A6, B6, 6, l4(443, 50000, 60)))), sec(100.2));
    t.tick(sec(101));
    const std::string j = json_snapshot(t, "eth\"0", sec(101), true);
    CHECK(j.back() == '\n');
    CHECK(j.find("\"timestamp\":101.000000,\"final\":true,\"interface\":\"eth\\\"0\"") != std::string::npos);
    CHECK(j.find("\"src\":\"2001:db8::1\",\"src_port\":443,\"dst\":\"2001:db8::2\",\"dst_port\":50000") != std::string::npos);
    CHECK(j.find("\"protocol\":\"TCP\"") != std::string::npos);
    CHECK(j.find("\"sent_bytes\":100,\"recv_bytes\":0,\"sent_packets\":1,\"recv_packets\":0,\"sent_2s\":100,") != std::string::npos);
    CHECK(j.find("\"skipped\":{\"non_ip\":0,") != std::string::npos);
    CHECK(j.find("\"dropped\":0") != std::string::npos);
}
}

TEST_SUITE("options") {
TEST_CASE("iftop's flags, clustered and separate") {
    const char* argv[] = {"iftop", "-nNP", "-i", "eth1", "-Bt", "-s5", "-L", "20", "-o", "40s", "-F", "10.1.0.0/255.255.0.0"};
    auto o = parse_args(12, argv);
    REQUIRE(o);
    CHECK(!o->dns);
    CHECK(!o->port_names);
    CHECK(o->show_ports);
    CHECK(o->interface == "eth1");
    CHECK(o->bytes);
    CHECK(o->text);
    CHECK(o->seconds == 5);
    CHECK(o->lines == 20);
    CHECK(o->sort == SortKey::rate_40s);
    CHECK(o->net4 == "10.1.0.0/255.255.0.0");
}

TEST_CASE("bad input is a usage error that names the problem") {
    auto bad = [](std::vector<const char*> a) {
        a.insert(a.begin(), "iftop");
        auto o = parse_args(int(a.size()), a.data());
        REQUIRE(!o);
        CHECK(exit_status(o.error()) == 2);
        return o.error().message;
    };
    CHECK(bad({"-Q"}).find("unknown option '-Q'") != std::string::npos);
    CHECK(bad({"--frobnicate"}).find("--frobnicate") != std::string::npos);
    CHECK(bad({"-F", "10.0.0.0"}).find("missing /mask") != std::string::npos);
    CHECK(bad({"-F", "10.0.0.0/33"}).find("out of range") != std::string::npos);
    CHECK(bad({"-G", "10.0.0.0/8"}).find("not an IPv6") != std::string::npos);
    CHECK(bad({"-s", "0"}).find("-s/--seconds needs a whole number") != std::string::npos);
    CHECK(bad({"-s", "5x"}).find("'5x'") != std::string::npos);
    CHECK(bad({"-o", "up"}).find("2s, 10s, 40s") != std::string::npos);
    CHECK(bad({"-i"}).find("needs a value") != std::string::npos);
    CHECK(bad({"--replay"}).find("-r") != std::string::npos);
    CHECK(bad({"-m", "fast"}).find("bandwidth") != std::string::npos);
}

TEST_CASE("networks: prefix or dotted mask, IPv6 prefix") {
    auto n = Net::parse4("192.168.0.0/255.255.0.0");
    REQUIRE(n);
    CHECK(n->contains(*IpAddr::parse("192.168.200.1")));
    CHECK(!n->contains(*IpAddr::parse("192.169.0.1")));
    CHECK(!n->contains(*IpAddr::parse("::1")));
    auto m = Net::parse6("2001:db8::/32");
    REQUIRE(m);
    CHECK(m->contains(*IpAddr::parse("2001:db8:ffff::1")));
    CHECK(!m->contains(*IpAddr::parse("2001:db9::1")));
}

TEST_CASE("config file: iftop's keys apply, a bad line is reported with its number, the command line wins") {
    Options o;
    REQUIRE(apply_config_text("# comment\ninterface: eth7\ndns-resolution: no\nport-display: on\nsort: 2s\n"
                              "net-filter: 10.0.0.0/8\ntheme: NeonSprawl\n", o));
    CHECK(o.interface == "eth7");
    CHECK(!o.dns);
    CHECK(o.show_ports);
    CHECK(o.sort == SortKey::rate_2s);
    CHECK(o.net4 == "10.0.0.0/8");
    Options p;
    auto r = apply_config_text("interface: eth0\nuse-bytes: maybe\n", p);
    REQUIRE(!r);
    CHECK(r.error().message.find("line 2") != std::string::npos);
    const char* argv[] = {"iftop", "-i", "lo"};
    auto q = parse_args_onto(3, argv, o);
    REQUIRE(q);
    CHECK(q->interface == "lo");
    CHECK(!q->dns);
}

TEST_CASE("completions list every long option") {
    for (const char* sh : {"bash", "zsh", "fish"}) {
        const std::string s = completion_script(sh);
        for (const char* opt : {"interface", "json", "max-flows", "replay", "net-filter6"})
            CHECK(s.find(opt) != std::string::npos);
    }
    CHECK(completion_script("tcsh").empty());
}
}

TEST_SUITE("files") {
TEST_CASE("open_file reads pcap; errors are specific") {
    const std::string p = tmp_path("a.pcap");
    std::vector<PcapRec> recs;
    for (int i = 0; i < 10; ++i) recs.push_back({1700000000LL * 1000000 + i * 300000, eth(0x0800, ipv4(A4, B4, 6, l4(1, 2))), 0});
    REQUIRE(write_pcap(p, 1, recs));
    auto s = open_file(p, "");
    REQUIRE(s);
    Engine e;
    REQUIRE(e.run_offline(**s));
    e.finish();
    CHECK(e.table().totals().counts.packets[0] == 10);
    auto filtered = open_file(p, "udp");
    REQUIRE(filtered);
    Engine e2;
    REQUIRE(e2.run_offline(**filtered));
    CHECK(e2.table().capture().packets == 0);
    auto badf = open_file(p, "tcp port");
    REQUIRE(!badf);
    CHECK(badf.error().code == Errc::bad_filter);
    auto missing = open_file(p + ".nope", "");
    REQUIRE(!missing);
    CHECK(missing.error().code == Errc::file_open);
    const std::string junk = tmp_path("junk.pcap");
    std::ofstream(junk) << "this is not a capture file at all";
    auto j = open_file(junk, "");
    REQUIRE(!j);
    CHECK(j.error().code == Errc::bad_file);
    const std::string wifi = tmp_path("wifi.pcap");
    REQUIRE(write_pcap(wifi, 105, recs));
    auto w = open_file(wifi, "");
    REQUIRE(!w);
    CHECK(w.error().code == Errc::unsupported_linktype);
    CHECK(w.error().message.find("IEEE802_11") != std::string::npos);
    std::remove(p.c_str());
    std::remove(junk.c_str());
    std::remove(wifi.c_str());
}

TEST_CASE("offline ticks follow capture time; -s stops at N seconds of it") {
    MemorySource src(1);
    for (int i = 0; i < 100; ++i) src.add(sec(50 + i * 0.1), eth(0x0800, ipv4(A4, B4, 6, l4(1, 2))));
    Engine e;
    std::vector<Micros> at;
    e.on_tick([&](int64_t idx, Micros t) { at.push_back(t); return idx < 3; });
    REQUIRE(e.run_offline(src));
    CHECK(e.stopped());
    REQUIRE(at.size() == 3);
    CHECK(at[0] == sec(51));
    CHECK(at[2] == sec(53));
    CHECK(e.table().totals().counts.packets[0] == 30);  // packets at 50.0 .. 52.9
}
}

TEST_SUITE("formats") {
TEST_CASE("JSON writes IPv6 exactly as inet_ntop does (random and edge-case addresses)") {
    std::vector<std::array<uint8_t, 16>> cases;
    uint64_t x = 0x1234567;
    for (int n = 0; n < 20000; ++n) {
        std::array<uint8_t, 16> a{};
        for (int i = 0; i < 8; ++i) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            const int pick = int(x % 4);  // zero groups are common, so runs of every length occur
            const uint16_t g = pick == 0 ? 0 : pick == 1 ? uint16_t(x >> 20) : pick == 2 ? uint16_t((x >> 20) & 0xf) : 0;
            a[2 * i] = uint8_t(g >> 8);
            a[2 * i + 1] = uint8_t(g);
        }
        cases.push_back(a);
    }
    for (const char* t : {"::", "::1", "1::", "::ffff:10.0.0.5", "::1.2.3.4", "::ffff:0:1.2.3.4", "2001:db8::1:0:0:1",
                          "2001:0:0:1::1", "fe80::1", "1:0:0:2:0:0:0:3", "0:0:1::"}) {
        std::array<uint8_t, 16> a{};
        REQUIRE(inet_pton(AF_INET6, t, a.data()) == 1);
        cases.push_back(a);
    }
    AccountingConfig all;
    all.count_link_local = true;  // fe80::/10 shows up among random addresses
    for (const auto& a : cases) {
        FlowTable t(all);
        Decoded d;
        d.ok = true;
        d.proto = 17;
        d.bytes = 40;
        d.src = IpAddr::v6(a.data());
        d.dst = IpAddr::v6(B6);
        t.add(d, 0);
        const std::string j = json_snapshot(t, "x", 0, true);
        const std::string want = "\"src\":\"" + d.src.to_string() + "\"";
        CAPTURE(want);
        REQUIRE(j.find(want) != std::string::npos);
    }
}
}

TEST_SUITE("live time") {
namespace {
/// A live source fed from memory: frames are added as the test's clock reaches them, and the kernel's buffer
/// timeout is modelled by delivery_delay(), as PcapSource reports it.
class LiveMemory : public MemorySource {
public:
    bool live() const override { return true; }
    bool at_end() const override { return false; }
    Micros delivery_delay() const override { return sec(0.1); }
};
}  // namespace

TEST_CASE("live: a reader stopped for 8 s still counts every packet in the second it arrived") {
    // A steady 10 000 B/s flow (ten 1000-byte datagrams a second). The loop reads every 50 ms, except from
    // 3.0 s to 11.0 s when it is stopped (SIGSTOP, Ctrl-Z, a paused container): the frames wait in the buffer.
    const Bytes f = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 980)));
    LiveMemory src;
    Engine e;
    std::vector<std::pair<int64_t, double>> rate2;  // (tick index, 2 s rate) at every tick
    double worst_peak = 0;
    e.on_tick([&](int64_t idx, Micros) {
        rate2.emplace_back(idx, e.table().totals().rates.sent(0));
        worst_peak = std::max(worst_peak, e.table().totals().peak[0]);
        return true;
    });
    e.table().set_origin(0);
    e.advance(0);
    int next = 0;  // next packet: packet k is stamped at k * 0.1 s + 0.05
    for (Micros now = sec(0.05); now <= sec(16); now += sec(0.05)) {
        for (; next < 150 && sec(next * 0.1 + 0.05) <= now; ++next) src.add(sec(next * 0.1 + 0.05), f);
        if (now > sec(3) && now < sec(11)) continue;  // stopped: nothing is read, nothing ticks
        REQUIRE(e.run_live(src, now));
        // A second closes once a frame stamped after it was read, or the present passed its end plus the
        // delivery delay; never later.
        CHECK(e.table().last_tick() <= now);
        CHECK(e.table().last_tick() > now - src.delivery_delay() - sec(1));
    }
    REQUIRE(rate2.size() >= 15);
    for (size_t i = 0; i < rate2.size(); ++i) {
        CAPTURE(rate2[i].first);
        if (rate2[i].first <= 15) CHECK(rate2[i].second == doctest::Approx(10000));  // traffic ends at 15.0 s
    }
    CHECK(worst_peak == doctest::Approx(10000));
    CHECK(e.table().totals().counts.packets[0] == 150);
    CHECK(e.table().totals().counts.bytes[0] == 150000);
    // The 8 s backlog was read in one go, yet each of its seconds holds its own ten packets.
    std::array<uint64_t, kHistorySeconds> h {};
    REQUIRE(e.table().history(e.table().sorted_flows(SortKey::total_bytes)[0].key, 0, h));
    for (int s = 0; s < 15; ++s) CHECK(h[size_t(kHistorySeconds - int(e.table().last_tick() / kMicrosPerSecond) + s)] == 10000);
}

TEST_CASE("live: a frame delivered late still lands in its own second, a second never closes early") {
    const Bytes f = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 980)));
    LiveMemory src;
    Engine e;
    e.table().set_origin(0);
    e.advance(0);
    src.add(sec(0.5), f);
    REQUIRE(e.run_live(src, sec(1.05)));  // 1.05 - 0.1 delay: second 0 may still receive frames
    CHECK(e.table().last_tick() == 0);
    src.add(sec(0.99), f);                // stamped in second 0, handed over with the block at 1.08
    REQUIRE(e.run_live(src, sec(1.11)));
    CHECK(e.table().last_tick() == sec(1));
    CHECK(e.table().totals().rates.sent(0) == 2000);  // both in second 0
}

TEST_CASE("time rule: backwards, ahead of the present, and a stepped clock — every packet counted once") {
    const Bytes f = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 980)));
    LiveMemory src;
    Engine e;
    int ticks = 0;
    e.on_tick([&](int64_t, Micros) { ++ticks; return true; });
    e.table().set_origin(0);
    e.advance(0);
    for (int s = 0; s < 3; ++s) src.add(sec(s + 0.5), f);
    REQUIRE(e.run_live(src, sec(3.2)));
    CHECK(ticks == 3);
    // Backwards: stamped in closed second 0, read while second 3 is open → counted in second 3.
    src.add(sec(0.2), f);
    // Ahead of the present: stamped an hour on while the loop's present is 3.6 s → counted at 3.6 s; no hour of
    // ticks, no second closed before its time.
    src.add(sec(3600), f);
    REQUIRE(e.run_live(src, sec(3.6)));
    CHECK(ticks == 3);
    REQUIRE(e.run_live(src, sec(4.2)));
    CHECK(ticks == 4);
    std::array<uint64_t, kHistorySeconds> h {};
    const FlowKey k = e.table().sorted_flows(SortKey::total_bytes)[0].key;
    REQUIRE(e.table().history(k, 0, h));
    CHECK(h[kHistorySeconds - 1] == 2000);  // second 3: the late one and the early one
    CHECK(h[kHistorySeconds - 2] == 1000);  // second 2: its own
    CHECK(h[kHistorySeconds - 4] == 1000);  // second 0 was closed and stays as it was
    // The system clock steps forward by an hour: the loop (LiveClock) shifts the axis back by the step, so new
    // frames continue the timeline; the axis stays continuous and the next seconds close one by one.
    e.set_shift(-sec(3600));
    src.add(sec(3600 + 4.5), f);
    REQUIRE(e.run_live(src, sec(5.2)));
    CHECK(ticks == 5);
    REQUIRE(e.table().history(k, 0, h));
    CHECK(h[kHistorySeconds - 1] == 1000);  // second 4
    // ... and back by an hour: frames stamped before the step now look an hour ahead → held at the present.
    e.set_shift(0);
    src.add(sec(3600 + 5.4), f);
    src.add(sec(5.5), f);
    REQUIRE(e.run_live(src, sec(5.6)));
    REQUIRE(e.run_live(src, sec(6.2)));
    CHECK(ticks == 6);
    REQUIRE(e.table().history(k, 0, h));
    CHECK(h[kHistorySeconds - 1] == 2000);  // second 5
    CHECK(e.table().totals().counts.packets[0] == 8);
}
}

TEST_SUITE("files") {
namespace {
struct Recorder : FrameSink {
    std::vector<std::tuple<Micros, uint32_t, uint32_t, Bytes>> got;
    void on_frame(const Frame& f) override { got.emplace_back(f.ts, f.caplen, f.wirelen, Bytes(f.data, f.data + f.caplen)); }
};
/// Reads a whole source; returns the error message ("" at a clean end).
std::string read_all(PacketSource& s, Recorder& r, int per_call) {
    while (!s.at_end()) {
        auto n = s.dispatch(r, per_call);
        if (!n) return n.error().message;
    }
    return "";
}
}  // namespace

TEST_CASE("a classic pcap read in place gives libpcap's frames and libpcap's errors, record for record") {
    // Each byte order and timestamp precision, snaplen 100: 3000 plain records (past one 1 MiB read), one
    // stamped past 2038 (a signed field in this host's order, unsigned when swapped: as libpcap reads them),
    // one longer than the snaplen (libpcap cuts it to 100; reading in place hands the rest to libpcap), more
    // plain ones, and a last record cut short.
    for (int variant = 0; variant < 4; ++variant) {
        const bool swapped = variant & 1, nano = variant & 2;
        Bytes file;
        const uint16_t one = 1;
        const bool big_endian = swapped == (*reinterpret_cast<const uint8_t*>(&one) == 1);  // swapped = not the host's
        auto w32 = [&](uint32_t v) {
            if (big_endian) { put32(file, v); return; }
            for (int k = 0; k < 4; ++k) file.push_back(uint8_t(v >> (8 * k)));
        };
        auto w16 = [&](uint16_t v) {
            if (big_endian) { put16(file, v); return; }
            file.push_back(uint8_t(v)); file.push_back(uint8_t(v >> 8));
        };
        w32(nano ? 0xa1b23c4d : 0xa1b2c3d4); w16(2); w16(4); w32(0); w32(0); w32(100); w32(1);
        auto rec = [&](uint32_t sec, uint32_t frac, const Bytes& data, uint32_t cut = 0) {
            w32(sec); w32(frac); w32(uint32_t(data.size())); w32(uint32_t(data.size()) + 4);
            file.insert(file.end(), data.begin(), data.end() - long(cut));
        };
        const Bytes small = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 20))), big = eth(0x0800, ipv4(A4, B4, 17, l4(1, 2, 200)));
        for (int i = 0; i < 3000; ++i) rec(1700000000 + uint32_t(i), 999999999u - uint32_t(i), small);
        rec(0xfffffff0u, 0xfffffff7u, small);
        rec(1700000001, 5, big);
        for (int i = 0; i < 5; ++i) rec(1700000002, 9, small);
        rec(1700000002, 9, small, 10);
        const std::string p = tmp_path("inplace.pcap");
        std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(file.data()), long(file.size()));
        auto fast = open_file(p, "");               // read in place
        auto slow = open_file(p, "ip or not ip");   // with a filter libpcap reads every record
        REQUIRE(fast);
        REQUIRE(slow);
        Recorder a, b;
        const std::string ea = read_all(**fast, a, variant == 1 ? 1 : 4096), eb = read_all(**slow, b, 4096);
        CAPTURE(variant);
        CHECK(a.got.size() == 3007);
        CHECK(a.got == b.got);
        CHECK(ea == eb);
        CHECK(ea.find("truncated dump file") != std::string::npos);
        REQUIRE(a.got.size() == 3007);
        CHECK(std::get<1>(a.got[3001]) == 100);  // cut to the snaplen
        std::remove(p.c_str());
    }
}
}
