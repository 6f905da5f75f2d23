// make bench: throughput and memory, measured against a baseline run on the same machine in the same run.
//
//   1. offline throughput: `./iftop -r BIG.pcap --json > /dev/null` (2 000 000 packets, 50 000 flows) against a
//      bare libpcap loop over the same file (pcap_dispatch with a callback that only counts), packets per second
//      of each and their ratio; also the engine alone in this process (decode + accounting, no output).
//   3. the screen: time and bytes per frame at 200x60 with 10 000 flows, unchanged and with every rate changing.
//   2. memory: peak RSS of `./iftop -r FLOOD.pcap --json --max-flows 100000` over 1 000 000 one-packet flows.
//
// Helpers for tests/bench_live.sh (the live comparison with Debian's iftop on a veth pair):
//   tests/bench --live-file PATH FRAMES FLOWS   writes a replayable capture (whole frames), prints "FRAMES IPBYTES"
//   tests/bench --rusage OUT CMD ARGS...        runs CMD (stdout to OUT), prints "user sys maxrss_kb exit" of it
//   tests/bench --rusage-tty OUT CMD ARGS...    the same for a screen: CMD keeps the terminal, the figures go to OUT
//
// Each timing is the best of three runs (the machines are shared and noisy). Files go to $TMPDIR (default /tmp).
#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <pcap/pcap.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Writer {
    FILE* f;
    explicit Writer(const std::string& path) : f(std::fopen(path.c_str(), "wb")) {
        static char buf[1 << 20];
        std::setvbuf(f, buf, _IOFBF, sizeof buf);
        const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
        std::fwrite(hdr, sizeof hdr, 1, f);
    }
    ~Writer() { std::fclose(f); }
    void frame(uint64_t ts_us, const uint8_t* data, uint32_t caplen, uint32_t wirelen) {
        const uint32_t rec[4] = {uint32_t(ts_us / 1000000), uint32_t(ts_us % 1000000), caplen, wirelen};
        std::fwrite(rec, sizeof rec, 1, f);
        std::fwrite(data, 1, caplen, f);
    }
};

/// An Ethernet + IPv4/IPv6 + TCP/UDP frame for flow `i`, captured to 64/84 bytes as a headers-only capture would be.
uint32_t make_frame(uint8_t* b, uint32_t i, bool reply, uint16_t ip_len) {
    std::memset(b, 0, 128);
    b[0] = 2; b[6] = 2; b[11] = 1;
    const bool v6 = i % 5 == 0, tcp = i % 3 != 0;
    uint8_t a[16] = {}, c[16] = {};
    uint32_t hdr;
    if (!v6) {
        b[12] = 0x08; b[13] = 0x00;
        uint8_t* ip = b + 14;
        ip[0] = 0x45; ip[2] = uint8_t(ip_len >> 8); ip[3] = uint8_t(ip_len); ip[8] = 64; ip[9] = tcp ? 6 : 17;
        a[0] = 10; a[1] = uint8_t(i >> 16); a[2] = uint8_t(i >> 8); a[3] = uint8_t(i);
        c[0] = 192; c[1] = 0; c[2] = 2; c[3] = uint8_t(i % 200);
        std::memcpy(ip + 12, reply ? c : a, 4);
        std::memcpy(ip + 16, reply ? a : c, 4);
        hdr = 14 + 20;
    } else {
        b[12] = 0x86; b[13] = 0xdd;
        uint8_t* ip = b + 14;
        ip[0] = 0x60; const uint16_t pl = uint16_t(ip_len - 40); ip[4] = uint8_t(pl >> 8); ip[5] = uint8_t(pl);
        ip[6] = tcp ? 6 : 17; ip[7] = 64;
        a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[12] = uint8_t(i >> 24); a[13] = uint8_t(i >> 16);
        a[14] = uint8_t(i >> 8); a[15] = uint8_t(i);
        c[0] = 0x20; c[1] = 0x01; c[2] = 0x0d; c[3] = 0xb8; c[4] = 1; c[15] = uint8_t(i % 200);
        std::memcpy(ip + 8, reply ? c : a, 16);
        std::memcpy(ip + 24, reply ? a : c, 16);
        hdr = 14 + 40;
    }
    const uint16_t sp = uint16_t(1024 + i % 60000), dp = tcp ? 443 : 53;
    uint8_t* l4 = b + hdr;
    const uint16_t s = reply ? dp : sp, d = reply ? sp : dp;
    l4[0] = uint8_t(s >> 8); l4[1] = uint8_t(s); l4[2] = uint8_t(d >> 8); l4[3] = uint8_t(d);
    return hdr + 30;  // headers plus some of the transport header, as a snaplen-limited capture holds
}

void write_big(const std::string& path, uint32_t packets, uint32_t flows, double seconds) {
    Writer w(path);
    uint8_t b[128];
    uint64_t x = 88172645463325252ULL;
    const uint64_t t0 = 1700000000ULL * 1000000;
    for (uint32_t n = 0; n < packets; ++n) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;  // xorshift: flows hit in random order
        const uint32_t i = uint32_t(x % flows);
        const bool reply = (x >> 32) % 3 == 0;
        const uint16_t len = uint16_t(60 + (x >> 40) % 1400);
        const uint32_t cap = make_frame(b, i, reply, len);
        w.frame(t0 + uint64_t(double(n) * seconds * 1e6 / packets), b, cap, len + 14);
    }
}

void write_flood(const std::string& path, uint32_t flows) {
    Writer w(path);
    uint8_t b[128];
    const uint64_t t0 = 1700000000ULL * 1000000;
    for (uint32_t i = 0; i < flows; ++i) {
        const uint32_t cap = make_frame(b, i * 7919u % 16777216u + 1, false, 100);
        w.frame(t0 + uint64_t(i) * 20, b, cap, 114);  // 1 M flows in 20 s
    }
}

/// A whole frame for replay (caplen = wirelen): flow `i` of 2 000 between 10.90.x.x / 2001:db8::x and a few
/// servers, TCP or UDP; half are 66-byte ACK-sized frames, half 100..1514 bytes. The destination MAC is nobody's,
/// so the far end's stack drops the frame at once (no replies) while packet sockets see it. Returns its length.
uint32_t make_replay_frame(uint8_t* b, uint32_t i, uint64_t r) {
    const uint32_t len = (r & 1) ? 66 : uint32_t(100 + (r >> 8) % 1415);
    std::memset(b, 0, len);
    b[0] = 2; b[1] = 0x99; b[5] = 1; b[6] = 2; b[7] = 0x98; b[11] = 2;
    const bool v6 = i % 5 == 0, tcp = i % 3 != 0, reply = (r >> 4) % 3 == 0;
    uint32_t hdr;
    if (!v6) {
        b[12] = 0x08;
        uint8_t* ip = b + 14;
        const uint32_t tl = len - 14;
        ip[0] = 0x45; ip[2] = uint8_t(tl >> 8); ip[3] = uint8_t(tl); ip[8] = 64; ip[9] = tcp ? 6 : 17;
        const uint8_t a[4] = {10, 90, uint8_t(i >> 8), uint8_t(i)}, c[4] = {10, 91, 0, uint8_t(i % 50)};
        std::memcpy(ip + 12, reply ? c : a, 4);
        std::memcpy(ip + 16, reply ? a : c, 4);
        hdr = 34;
    } else {
        b[12] = 0x86; b[13] = 0xdd;
        uint8_t* ip = b + 14;
        const uint32_t pl = len - 54;
        ip[0] = 0x60; ip[4] = uint8_t(pl >> 8); ip[5] = uint8_t(pl); ip[6] = tcp ? 6 : 17; ip[7] = 64;
        uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x90}, c[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x91};
        a[14] = uint8_t(i >> 8); a[15] = uint8_t(i); c[15] = uint8_t(i % 50);
        std::memcpy(ip + 8, reply ? c : a, 16);
        std::memcpy(ip + 24, reply ? a : c, 16);
        hdr = 54;
    }
    const uint16_t sp = uint16_t(20000 + i), dp = tcp ? 443 : 53;
    const uint16_t s = reply ? dp : sp, d = reply ? sp : dp;
    b[hdr] = uint8_t(s >> 8); b[hdr + 1] = uint8_t(s); b[hdr + 2] = uint8_t(d >> 8); b[hdr + 3] = uint8_t(d);
    if (tcp) b[hdr + 12] = 0x50;  // data offset 5
    return len;
}

int write_live_file(const std::string& path, uint32_t frames, uint32_t flows) {
    Writer w(path);
    if (!w.f) { std::fprintf(stderr, "cannot write %s\n", path.c_str()); return 1; }
    uint8_t b[1600];
    uint64_t x = 0x9E3779B97F4A7C15ULL, ip_bytes = 0;
    const uint64_t t0 = 1700000000ULL * 1000000;
    for (uint32_t n = 0; n < frames; ++n) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const uint32_t len = make_replay_frame(b, uint32_t(x % flows), x >> 20);
        ip_bytes += len - 14;  // IPv4 total length / IPv6 payload length + 40: the frame minus its Ethernet header
        w.frame(t0 + n * 10ULL, b, len, len);
    }
    std::printf("%u %llu\n", frames, (unsigned long long)ip_bytes);
    return 0;
}

/// --rusage: CMD's stdout goes to `out`, the figures to stdout. --rusage-tty (a screen): CMD keeps the terminal,
/// the figures go to `out`.
int rusage_of(const std::string& out, char** argv, bool tty) {
    pid_t pid = fork();
    if (pid == 0) {
        if (!tty) {
            FILE* f = std::fopen(out.c_str(), "w");
            if (!f) _exit(126);
            dup2(fileno(f), 1);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    struct rusage ru {};
    if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) { std::perror("fork/wait4"); return 1; }
    FILE* fig = tty ? std::fopen(out.c_str(), "w") : stdout;
    if (!fig) { std::perror(out.c_str()); return 1; }
    std::fprintf(fig, "%.3f %.3f %ld %d\n", double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6,
                 double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6, ru.ru_maxrss,
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    if (tty) std::fclose(fig);
    return 0;
}

uint64_t bare_loop(const std::string& path) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) { std::fprintf(stderr, "%s\n", err); return 0; }
    uint64_t n = 0;
    pcap_dispatch(p, -1, [](u_char* u, const pcap_pkthdr*, const u_char*) { ++*reinterpret_cast<uint64_t*>(u); },
                  reinterpret_cast<u_char*>(&n));
    pcap_close(p);
    return n;
}

struct Child { double wall; double cpu; long maxrss_kb; int status; };

Child run_child(const std::vector<std::string>& args) {
    const double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        FILE* devnull = std::fopen("/dev/null", "w");
        dup2(fileno(devnull), 1);
        std::vector<char*> av;
        for (const auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        execv(av[0], av.data());
        _exit(127);
    }
    int st = 0;
    struct rusage ru {};
    wait4(pid, &st, 0, &ru);
    Child c;
    c.wall = now_s() - t0;
    c.cpu = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    c.maxrss_kb = ru.ru_maxrss;
    c.status = st;
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::string(argv[1]) == "--live-file")
        return write_live_file(argv[2], uint32_t(std::strtoul(argv[3], nullptr, 10)), uint32_t(std::strtoul(argv[4], nullptr, 10)));
    if (argc >= 4 && std::string(argv[1]) == "--rusage") return rusage_of(argv[2], argv + 3, false);
    if (argc >= 4 && std::string(argv[1]) == "--rusage-tty") return rusage_of(argv[2], argv + 3, true);
    const std::string tool = argc > 1 ? argv[1] : "./iftop";
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = tmp ? tmp : "/tmp";
    const std::string big = dir + "/iftop-bench-big.pcap", flood = dir + "/iftop-bench-flood.pcap";
    const uint32_t kPackets = 2000000, kFlows = 50000;
    const double kSeconds = 10;

    // The binary's own footprint, measured first: a child's ru_maxrss includes what it inherited from this process
    // before exec, so later the bench's own memory would show up in it.
    Child base = run_child({tool, "-V"});
    std::printf("generating %u packets over %u flows in %.0f s of capture time...\n", kPackets, kFlows, kSeconds);
    write_big(big, kPackets, kFlows, kSeconds);

    double bare = 1e9, engine_only = 1e9, tool_wall = 1e9, tool_cpu = 1e9, final_wall = 1e9, final_cpu = 1e9;
    uint64_t n = 0;
    size_t flows_seen = 0;
    for (int rep = 0; rep < 3; ++rep) {
        double t0 = now_s();
        n = bare_loop(big);
        bare = std::min(bare, now_s() - t0);

        t0 = now_s();
        auto src = iftop::open_file(big, "");
        iftop::Engine e;
        if (!src || !e.run_offline(**src)) { std::fprintf(stderr, "engine run failed\n"); return 1; }
        e.finish();
        engine_only = std::min(engine_only, now_s() - t0);
        flows_seen = e.table().size();

        Child c = run_child({tool, "-r", big, "--json"});
        if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) { std::fprintf(stderr, "%s failed\n", tool.c_str()); return 1; }
        tool_wall = std::min(tool_wall, c.wall);
        tool_cpu = std::min(tool_cpu, c.cpu);

        Child fo = run_child({tool, "-r", big, "--json", "--final-only"});
        if (!WIFEXITED(fo.status) || WEXITSTATUS(fo.status) != 0) { std::fprintf(stderr, "%s failed\n", tool.c_str()); return 1; }
        final_wall = std::min(final_wall, fo.wall);
        final_cpu = std::min(final_cpu, fo.cpu);
    }
    std::printf("\noffline throughput (%llu packets, %zu flows; best of 3)\n", (unsigned long long)n, flows_seen);
    std::printf("  bare libpcap loop (pcap_dispatch, count only) %12.0f packets/s  (%.3f s)\n", double(n) / bare, bare);
    std::printf("  engine in-process (decode + accounting)       %12.0f packets/s  (%.3f s)  ratio %.2f\n",
                double(n) / engine_only, engine_only, bare / engine_only);
    std::printf("  %s -r BIG.pcap --json >/dev/null   %12.0f packets/s  (%.3f s wall, %.3f s CPU)  ratio %.2f\n",
                tool.c_str(), double(n) / tool_wall, tool_wall, tool_cpu, bare / tool_wall);
    std::printf("  %s -r BIG.pcap --json --final-only %10.0f packets/s  (%.3f s wall, %.3f s CPU)  ratio %.2f"
                " (target >= 0.6)\n", tool.c_str(), double(n) / final_wall, final_wall, final_cpu, bare / final_wall);

    std::printf("\ngenerating 1000000 one-packet flows...\n");
    write_flood(flood, 1000000);
    Child f = run_child({tool, "-r", flood, "--json", "--max-flows", "100000"});

    std::printf("flood: 1000000 one-packet flows, --max-flows 100000\n");
    std::printf("  peak RSS %.1f MiB (target < 64 MiB); the binary alone (-V) %.1f MiB; %.2f s wall\n",
                double(f.maxrss_kb) / 1024, double(base.maxrss_kb) / 1024, f.wall);
    // 3. The screen: frames per second and bytes written per frame at 200x60 with 10 000 flows.
    {
        iftop::FlowTable t;
        t.set_origin(0);
        uint8_t b[128];
        for (int s = 0; s < 3; ++s) {
            for (uint32_t i = 0; i < 10000; ++i) {
                const uint32_t cap = make_frame(b, i, (i + uint32_t(s)) % 3 == 0, uint16_t(100 + (i * 7 + uint32_t(s) * 13) % 1300));
                t.add(iftop::decode_frame(1, b, cap, cap + 500), iftop::Micros(s) * 1000000 + i);
            }
            t.tick(iftop::Micros(s + 1) * 1000000);
        }
        iftop::Screen scr(200, 60);
        iftop::ViewState st;
        st.show_ports = true;
        st.dns = st.port_names = false;
        auto frame = [&](bool rebuild, iftop::ViewModel& vm) {
            if (rebuild) {
                vm.rows = iftop::view_rows(iftop::all_flows(t), st, {}, nullptr);
                vm.totals = t.totals();
                vm.peak_total = t.peak_total();
            }
            iftop::render(scr, st, vm);
            return scr.present(iftop::ColorMode::truecolor).size();
        };
        iftop::ViewModel vm;
        vm.interface = "eth0";
        vm.clock = "12:00:00";
        frame(true, vm);
        const int n = 200;
        size_t steady_bytes = 0;
        double t0 = now_s();
        for (int i = 0; i < n; ++i) steady_bytes += frame(false, vm);
        const double steady = (now_s() - t0) / n;
        // All rates changing: new traffic and a tick before every frame, the rows rebuilt and re-sorted.
        size_t moving_bytes = 0;
        double moving = 0;
        for (int i = 0; i < n; ++i) {
            for (uint32_t k = 0; k < 10000; k += 1) {
                const uint32_t cap = make_frame(b, k, false, uint16_t(100 + (k * 31 + uint32_t(i) * 977) % 1300));
                t.add(iftop::decode_frame(1, b, cap, cap), iftop::Micros(3 + i) * 1000000 + k);
            }
            t.tick(iftop::Micros(4 + i) * 1000000);
            const double f0 = now_s();
            moving_bytes += frame(true, vm);
            moving += now_s() - f0;
        }
        moving /= n;
        std::printf("\nscreen 200x60, 10000 flows (%d frames each)\n", n);
        std::printf("  unchanged frame: %7.3f ms, %6zu bytes written per frame (target < 100 bytes)\n",
                    steady * 1e3, steady_bytes / size_t(n));
        std::printf("  all rates changing: %7.3f ms per frame (rows rebuilt, sorted, drawn, diffed), %6zu bytes per frame"
                    " (target well under 5 ms)\n", moving * 1e3, moving_bytes / size_t(n));
    }
    if (!std::getenv("IFTOP_BENCH_KEEP")) std::remove(big.c_str());
    std::remove(flood.c_str());
    return 0;
}
