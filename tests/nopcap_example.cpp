// Embedding without libpcap (IFTOP_NO_PCAP): the program brings its own packet source, here a small reader of
// classic pcap files (either byte order, micro- or nanosecond timestamps), and uses the core as usual: decoder, flow
// table, text report. Built by make test as
//     c++ -std=c++17 -DIFTOP_NO_PCAP -o tests/nopcap_example tests/nopcap_example.cpp        (no -lpcap)
// and checked against tests/embed_example (libpcap's reader) on the same files. The same shape fits AF_PACKET,
// DPDK or any other source: subclass iftop::PacketSource and hand each frame to the sink.
#define IFTOP_NO_PCAP
#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>

// A whole classic pcap file read into memory; dispatch() hands frames to the sink in order.
class PcapFileSource : public iftop::PacketSource {
public:
    // Returns an empty message on success, else what is wrong with the file.
    std::string open(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return "cannot read " + path;
        buf_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (buf_.size() < 24) return path + ": too short for a pcap file header";
        const uint32_t magic = u32(0, false);
        if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) swap_ = false;
        else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) swap_ = true;
        else return path + ": not a classic pcap file (pcapng is not read by this example)";
        nano_ = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        linktype_ = int(u32(20) & 0xffff);
        name_ = path;
        off_ = 24;
        return "";
    }
    iftop::Result<int> dispatch(iftop::FrameSink& sink, int max) override {
        int n = 0;
        while (!at_end() && (max <= 0 || n < max)) {
            if (buf_.size() - off_ < 16) { off_ = buf_.size(); break; }  // a cut record header: the end
            const uint32_t sec = u32(off_), frac = u32(off_ + 4), caplen = u32(off_ + 8), wirelen = u32(off_ + 12);
            if (caplen > buf_.size() - off_ - 16) {
                off_ = buf_.size();
                return iftop::Error{iftop::Errc::bad_file, name_ + ": truncated in the middle of a packet"};
            }
            iftop::Frame f;
            f.linktype = linktype_;
            f.data = buf_.data() + off_ + 16;
            f.caplen = caplen;
            f.wirelen = wirelen;
            f.ts = iftop::Micros(sec) * 1000000 + (nano_ ? frac / 1000 : frac);
            sink.on_frame(f);
            off_ += 16 + size_t(caplen);
            ++n;
        }
        return n;
    }
    bool at_end() const override { return off_ >= buf_.size(); }
    int linktype() const override { return linktype_; }
    std::string name() const override { return name_; }

private:
    uint32_t u32(size_t at, bool swap) const {
        const uint8_t* p = buf_.data() + at;
        return swap ? uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24
                    : uint32_t(p[3]) | uint32_t(p[2]) << 8 | uint32_t(p[1]) << 16 | uint32_t(p[0]) << 24;
    }
    uint32_t u32(size_t at) const { return u32(at, swap_); }
    std::vector<uint8_t> buf_;
    size_t off_ = 0;
    bool swap_ = false, nano_ = false;
    int linktype_ = 1;
    std::string name_;
};

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    PcapFileSource src;
    if (std::string e = src.open(argv[1]); !e.empty()) {
        std::fprintf(stderr, "%s\n", e.c_str());
        return 1;
    }
    if (!iftop::linktype_supported(src.linktype())) {
        std::fprintf(stderr, "%s: link type %s is not supported\n", argv[1], iftop::linktype_name(src.linktype()).c_str());
        return 1;
    }
    iftop::Engine engine;
    auto done = engine.run_offline(src);
    if (!done) std::fprintf(stderr, "warning: %s\n", done.error().message.c_str());
    engine.finish();
    // The same lines as tests/embed_example.cpp prints, so the two readers can be compared.
    for (const iftop::FlowView& f : engine.table().sorted_flows(iftop::SortKey::total_bytes, 5))
        std::printf("%s  sent %llu B in %llu packets, received %llu B in %llu packets\n", iftop::flow_label(f).c_str(),
                    (unsigned long long)f.counts.bytes[0], (unsigned long long)f.counts.packets[0],
                    (unsigned long long)f.counts.bytes[1], (unsigned long long)f.counts.packets[1]);
    const iftop::FlowView t = engine.table().totals();
    std::printf("total %llu bytes, %llu packets, %zu flows\n", (unsigned long long)(t.counts.bytes[0] + t.counts.bytes[1]),
                (unsigned long long)(t.counts.packets[0] + t.counts.packets[1]), engine.table().size());
    // The rest of the core links too: the iftop -t report of the same table.
    iftop::TextStyle style;
    style.show_ports = true;
    std::fputs(iftop::text_report(engine.table(), style).c_str(), stdout);
    return 0;
}
