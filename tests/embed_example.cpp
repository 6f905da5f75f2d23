// Embedding example: the core API alone, as a program that embeds the header would use it.
// Opens a capture file, feeds the flow table, prints the top flows. Build: g++ -std=c++17 x.cpp -lpcap
#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    auto src = iftop::open_file(argv[1], "");
    if (!src) {
        std::fprintf(stderr, "%s\n", src.error().message.c_str());
        return iftop::exit_status(src.error());
    }
    iftop::Engine engine;
    auto done = engine.run_offline(**src);
    if (!done) std::fprintf(stderr, "warning: %s\n", done.error().message.c_str());
    engine.finish();
    for (const iftop::FlowView& f : engine.table().sorted_flows(iftop::SortKey::total_bytes, 5))
        std::printf("%s  sent %llu B in %llu packets, received %llu B in %llu packets\n", iftop::flow_label(f).c_str(),
                    (unsigned long long)f.counts.bytes[0], (unsigned long long)f.counts.packets[0],
                    (unsigned long long)f.counts.bytes[1], (unsigned long long)f.counts.packets[1]);
    const iftop::FlowView t = engine.table().totals();
    std::printf("total %llu bytes, %llu packets, %zu flows\n", (unsigned long long)(t.counts.bytes[0] + t.counts.bytes[1]),
                (unsigned long long)(t.counts.packets[0] + t.counts.packets[1]), engine.table().size());
    return 0;
}
