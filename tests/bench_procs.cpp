// make bench, attribution: the CPU cost per second of keeping process attribution current.
//
// The benchmark forks 1 000 helper processes that each hold 20 loopback UDP sockets (20 000 in all), each connected
// to 127.0.0.1, so every socket is a distinct flow. 2 000 of them are the "active flows". Each refresh (one second
// of the tool's life) 20 helpers each close 5 of their active sockets and open 5 new ones (100 flows end, 100 new
// flows start, the way a server's connections come and go), then attribution is brought up to date:
//
//   incremental: iftop's FlowAttribution::update over a flow table holding the 2 000 active flows — new flows are
//                looked up, known ones stay cached (sock_diag exact lookups, inode→pid map kept, re-walks only of
//                pids whose fd count changed or whose flows ended, full walk at most once per second). Two tables:
//                (a) ended flows leave the table at once; (b) ended flows stay in it for 40 s, as iftop live keeps
//                idle flows, so the only sign that a process closed a socket is its flow going quiet.
//   full walk:   what nethogs and iftoprs do on every refresh: read /proc/net/{tcp,tcp6,udp,udp6}, walk every
//                /proc/<pid>/fd (readlink of every fd) to rebuild the whole inode→pid map, then match the flows.
//
// CPU time is user + system time of this process (getrusage), so the kernel's work on procfs counts. Both results
// are checked against the truth (the pid of the helper that owns each socket). The helpers exit when their command
// pipe closes (also if this program dies: PR_SET_PDEATHSIG) and are killed and reaped at the end in any case.
#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace iftop;

namespace {

constexpr int kProcs = 1000, kSocksPer = 20, kActive = 2000, kRefreshes = 8, kChurnProcs = 20, kChurnPer = 5;

struct Ack {  // one helper's report, written atomically (< PIPE_BUF)
    int32_t child, n;
    struct { uint16_t slot, lport, rport; } e[kSocksPer];
};

std::vector<pid_t> g_children;

void kill_children() {
    for (pid_t p : g_children) kill(p, SIGKILL);
    for (pid_t p : g_children) waitpid(p, nullptr, 0);
    g_children.clear();
}
extern "C" void on_signal(int) {
    for (pid_t p : g_children) kill(p, SIGKILL);  // async-signal-safe; the kernel reaps them with us
    _exit(1);
}

int open_connected(uint16_t rport, uint16_t& lport) {
    const int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return -1;
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { close(s); return -1; }
    a.sin_port = htons(rport);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { close(s); return -1; }
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    lport = ntohs(a.sin_port);
    return s;
}

/// A helper: opens its sockets, reports them, then on each 'r' replaces the sockets the parent names.
[[noreturn]] void child_main(int index, int cmd, int ack) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fds[kSocksPer];
    Ack a {};
    a.child = index;
    a.n = kSocksPer;
    uint16_t next_rport = 30000;
    for (int i = 0; i < kSocksPer; ++i) {
        a.e[i].slot = uint16_t(i);
        a.e[i].rport = uint16_t(20000 + i);
        fds[i] = open_connected(a.e[i].rport, a.e[i].lport);
        if (fds[i] < 0) _exit(2);
    }
    if (write(ack, &a, sizeof a) != ssize_t(sizeof a)) _exit(3);
    uint8_t slots[kChurnPer];
    for (;;) {
        ssize_t n = read(cmd, slots, sizeof slots);
        if (n != ssize_t(sizeof slots)) _exit(0);  // EOF: the parent is done
        a.n = kChurnPer;
        for (int k = 0; k < kChurnPer; ++k) {
            const int i = slots[k];
            close(fds[i]);  // the connection ends ...
            a.e[k].slot = uint16_t(i);
            a.e[k].rport = next_rport++;
            fds[i] = open_connected(a.e[k].rport, a.e[k].lport);  // ... and a new one starts (same fd number)
            if (fds[i] < 0) _exit(2);
        }
        if (write(ack, &a, sizeof a) != ssize_t(sizeof a)) _exit(3);
    }
}

double cpu_seconds() {
    rusage r {};
    getrusage(RUSAGE_SELF, &r);
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

FlowKey key_of(uint16_t lport, uint16_t rport) {
    FlowKey k;
    k.proto = kProtoUdp;
    const uint8_t lo[4] = {127, 0, 0, 1};
    k.local = IpAddr::v4(lo);
    k.remote = IpAddr::v4(lo);
    k.local_port = lport;
    k.remote_port = rport;
    return k;
}

/// What nethogs and iftoprs do every refresh: every socket table, every fd of every process.
struct FullWalk {
    double net_cpu = 0, walk_cpu = 0;
    std::unordered_map<int, std::string> names;
    int run(const std::vector<FlowKey>& flows, std::vector<int>& pid_out) {
        const double c0 = cpu_seconds();
        std::unordered_map<FlowKey, uint64_t, detail::FlowKeyHash> exact;
        static const struct { const char* f; uint8_t proto; int fam; } files[] = {
            {"/proc/net/tcp", kProtoTcp, 4}, {"/proc/net/tcp6", kProtoTcp, 6}, {"/proc/net/udp", kProtoUdp, 4},
            {"/proc/net/udp6", kProtoUdp, 6}};
        std::string text;
        for (const auto& f : files) {
            if (!detail::slurp(f.f, text)) continue;
            for (const SocketRow& r : parse_proc_net(text, f.proto, f.fam)) {
                FlowKey k;
                k.proto = r.proto;
                k.local = r.local;
                k.local_port = r.local_port;
                k.remote = r.remote;
                k.remote_port = r.remote_port;
                exact.emplace(k, r.inode);
            }
        }
        const double c1 = cpu_seconds();
        std::unordered_map<uint64_t, int> owner;
        names.clear();
        DIR* proc = opendir("/proc");
        while (const dirent* e = readdir(proc)) {
            int pid = 0;
            if (!detail::parse_number(std::string_view(e->d_name), pid)) continue;
            const std::string dir = "/proc/" + std::string(e->d_name) + "/fd";
            DIR* d = opendir(dir.c_str());
            if (!d) continue;
            char buf[64];
            while (const dirent* f = readdir(d)) {
                if (f->d_name[0] == '.') continue;
                const ssize_t n = readlinkat(dirfd(d), f->d_name, buf, sizeof buf - 1);
                uint64_t ino = 0;
                if (n > 9 && std::memcmp(buf, "socket:[", 8) == 0 &&
                    detail::parse_number(std::string_view(buf + 8, size_t(n) - 9), ino))
                    owner[ino] = pid;
            }
            closedir(d);
        }
        closedir(proc);
        int found = 0;
        pid_out.assign(flows.size(), 0);
        for (size_t i = 0; i < flows.size(); ++i) {
            auto s = exact.find(flows[i]);
            if (s == exact.end()) continue;
            auto o = owner.find(s->second);
            if (o == owner.end()) continue;
            pid_out[i] = o->second;
            if (!names.count(o->second)) {  // the process name, as they show it
                std::string comm;
                detail::slurp("/proc/" + std::to_string(o->second) + "/comm", comm);
                names[o->second] = comm;
            }
            ++found;
        }
        const double c2 = cpu_seconds();
        net_cpu += c1 - c0;
        walk_cpu += c2 - c1;
        return found;
    }
};

}  // namespace

int main() {
    // Limits: 1 000 children and a command pipe to each.
    rlimit nofile {};
    getrlimit(RLIMIT_NOFILE, &nofile);
    if (nofile.rlim_cur < rlim_t(kProcs + 200)) {
        nofile.rlim_cur = std::min<rlim_t>(nofile.rlim_max, kProcs + 200);
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    rlimit nproc {};
    getrlimit(RLIMIT_NPROC, &nproc);
    std::string pid_max;
    detail::slurp("/proc/sys/kernel/pid_max", pid_max);
    long pmax = 0;
    detail::parse_number(detail::trim(pid_max), pmax);
    if (nofile.rlim_cur < rlim_t(kProcs + 200) || nproc.rlim_cur < rlim_t(kProcs + 100) || pmax < 4 * kProcs) {
        std::printf("attribution bench skipped: needs %d fds (have %llu), %d processes (have %llu), pid_max >= %d (%ld)\n",
                    kProcs + 200, (unsigned long long)nofile.rlim_cur, kProcs + 100, (unsigned long long)nproc.rlim_cur,
                    4 * kProcs, pmax);
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, SIG_IGN);

    int ack[2];
    if (pipe2(ack, O_CLOEXEC) != 0) return 1;
    std::vector<int> cmd(kProcs, -1);
    g_children.reserve(kProcs);
    for (int i = 0; i < kProcs; ++i) {
        int c[2];
        if (pipe2(c, O_CLOEXEC) != 0) { std::fprintf(stderr, "pipe: %s\n", std::strerror(errno)); kill_children(); return 1; }
        const pid_t pid = fork();
        if (pid < 0) { std::fprintf(stderr, "fork: %s\n", std::strerror(errno)); kill_children(); return 1; }
        if (pid == 0) {
            // Keep only this child's command pipe and the shared ack pipe: the others' write ends must not stay
            // open here, or a helper would never see EOF when the parent goes.
            dup2(c[0], 0);
            dup2(ack[1], 1);
            for (int fd = 3; fd < kProcs * 2 + 64; ++fd) close(fd);
            child_main(i, 0, 1);
        }
        close(c[0]);
        cmd[size_t(i)] = c[1];
        g_children.push_back(pid);
    }
    close(ack[1]);

    // Who owns what: (child, slot) → socket; flows are the connected pairs.
    struct Sock { uint16_t lport, rport; };
    std::vector<Sock> socks(size_t(kProcs) * kSocksPer);
    auto read_ack = [&]() -> const Ack* {
        static Ack a;
        if (read(ack[0], &a, sizeof a) != ssize_t(sizeof a)) return nullptr;
        for (int k = 0; k < a.n; ++k) socks[size_t(a.child) * kSocksPer + a.e[k].slot] = {a.e[k].lport, a.e[k].rport};
        return &a;
    };
    for (int i = 0; i < kProcs; ++i)
        if (!read_ack()) { std::fprintf(stderr, "a helper failed to start\n"); kill_children(); return 1; }

    // The active flows: two sockets of each helper. active[j] = (child, slot).
    std::vector<std::pair<int, int>> active;
    for (int c = 0; c < kProcs && int(active.size()) < kActive; ++c)
        for (int s = 0; s < kActive / kProcs; ++s) active.push_back({c, s});
    auto flows_now = [&] {
        std::vector<FlowKey> v;
        for (auto [c, s] : active) v.push_back(key_of(socks[size_t(c) * kSocksPer + size_t(s)].lport, socks[size_t(c) * kSocksPer + size_t(s)].rport));
        return v;
    };

    FlowAttribution::Config cfg;
    cfg.exe_facts = false;  // hashing is once per executable, not part of keeping flows current
    FlowAttribution attr(cfg), attr_b(cfg);
    FullWalk full;
    std::mt19937 rng(42);
    double inc_cpu = 0, inc_cold = 0, b_cpu = 0;
    int inc_ok = 0, full_ok = 0, b_ok = 0, checked = 0;
    std::vector<std::pair<FlowKey, int>> ended;  // (flow, the refresh of its last packet), for table (b)
    std::vector<FlowKey> previous;               // last refresh's flows: the rest are new ones
    for (int r = 0; r <= kRefreshes; ++r) {
        if (r > 0) {  // churn: 20 helpers each end 5 active flows and open 5 new sockets in their place
            std::vector<int> chosen;
            while (int(chosen.size()) < kChurnProcs) {
                const int c = int(rng() % kProcs);
                if (std::find(chosen.begin(), chosen.end(), c) == chosen.end()) chosen.push_back(c);
            }
            for (int c : chosen) {
                for (int s = 0; s < 2; ++s) {  // this helper's active flows end
                    const Sock& o = socks[size_t(c) * kSocksPer + size_t(s)];
                    ended.push_back({key_of(o.lport, o.rport), r - 1});
                }
                uint8_t slots[kChurnPer];
                for (int k = 0; k < kChurnPer; ++k) slots[k] = uint8_t(k < 2 ? k : 2 + (rng() % (kSocksPer - 2)));
                // distinct slots; the first two are this helper's active flows
                for (int k = 2; k < kChurnPer; ++k)
                    while (std::count(slots, slots + k, slots[k])) slots[k] = uint8_t(2 + rng() % (kSocksPer - 2));
                if (write(cmd[size_t(c)], slots, sizeof slots) != ssize_t(sizeof slots)) { kill_children(); return 1; }
            }
            for (size_t i = 0; i < chosen.size(); ++i)
                if (!read_ack()) { std::fprintf(stderr, "a helper died\n"); kill_children(); return 1; }
        }
        const std::vector<FlowKey> flows = flows_now();
        // The tables the tool would hold (not timed): (a) the active flows, one packet each at this refresh;
        // (b) also the flows that ended in the last 40 s, with their last packet when they ended.
        auto add = [](FlowTable& t, const FlowKey& k, int at) {
            Decoded d;
            d.ok = true;
            d.proto = k.proto;
            d.src = k.local;
            d.dst = k.remote;
            d.sport = k.local_port;
            d.dport = k.remote_port;
            d.bytes = 100;
            t.add(d, Micros(at) * kMicrosPerSecond);
        };
        FlowTable table, table_b;
        while (!ended.empty() && ended.front().second < r - 40) ended.erase(ended.begin());
        for (const auto& [k, at] : ended) add(table_b, k, at);
        for (const FlowKey& k : flows) { add(table, k, r); add(table_b, k, r); }
        const Micros now = Micros(r + 1) * kMicrosPerSecond;
        std::vector<FlowKey> fresh;  // not timed: which flows are new
        for (const FlowKey& k : flows)
            if (std::find(previous.begin(), previous.end(), k) == previous.end()) fresh.push_back(k);
        // The tool's table announces each new flow as it starts (the fast path, as at a packet); without a started
        // worker, update() looks the queue up first, inside the measured time.
        const double c0 = cpu_seconds();
        for (const FlowKey& k : fresh) attr.new_flow_sink()->on_new_flow(k, 0);
        attr.update(table, now);
        const double c1 = cpu_seconds();
        if (r == 0) inc_cold = c1 - c0;
        else inc_cpu += c1 - c0;
        const double b0 = cpu_seconds();
        for (const FlowKey& k : fresh) attr_b.new_flow_sink()->on_new_flow(k, 0);
        attr_b.update(table_b, now);
        if (r > 0) b_cpu += cpu_seconds() - b0;
        previous = flows;
        std::vector<int> full_pids;
        const int found = full.run(flows, full_pids);
        if (r == 0) full.net_cpu = full.walk_cpu = 0;  // the same warm-up is left out of both
        // Check both against the truth
        for (size_t i = 0; i < flows.size(); ++i) {
            const pid_t want = g_children[size_t(active[i].first)];
            const FlowOwner* o = attr.owner(flows[i]);
            inc_ok += o && o->proc && o->proc->pid == want;
            const FlowOwner* ob = attr_b.owner(flows[i]);
            b_ok += ob && ob->proc && ob->proc->pid == want;
            full_ok += full_pids[i] == want;
            ++checked;
        }
        (void)found;
    }
    const auto& st = attr.resolver().stats();
    const auto& sb = attr_b.resolver().stats();
    const double per_inc = inc_cpu / kRefreshes * 1000, per_full = (full.net_cpu + full.walk_cpu) / kRefreshes * 1000;
    const double per_b = b_cpu / kRefreshes * 1000;
    std::printf("attribution: %d processes holding %d sockets, %d active flows, %d flows end and %d start per second "
                "(%d refreshes)\n",
                kProcs, kProcs * kSocksPer, kActive, kChurnProcs * kChurnPer, kChurnProcs * kChurnPer, kRefreshes);
    std::printf("  incremental (a), ended flows leave:     %8.2f ms CPU per second   (first refresh, cold: %.1f ms)  correct %d/%d\n",
                per_inc, inc_cold * 1000, inc_ok, checked);
    std::printf("    sock_diag lookups %llu, full walks %llu, new-pid walks %llu, targeted %llu, changed-pid passes %llu, "
                "fd dirs read %llu, /proc/net reads %llu\n",
                (unsigned long long)st.diag_queries, (unsigned long long)st.full_walks,
                (unsigned long long)st.new_pid_walks, (unsigned long long)st.targeted_walks,
                (unsigned long long)st.changed_walks, (unsigned long long)st.fd_dirs_read,
                (unsigned long long)st.net_reads);
    const auto fs = attr.stats();
    std::printf("    new flows queued %llu (overflow %llu), found by their first lookup %llu, fast lookups %llu, "
                "identity checks %llu\n",
                (unsigned long long)fs.queued, (unsigned long long)fs.queue_overflow, (unsigned long long)fs.fast_found,
                (unsigned long long)st.fast_lookups, (unsigned long long)st.identity_checks);
    std::printf("  incremental (b), ended flows stay 40 s: %8.2f ms CPU per second   correct %d/%d\n", per_b, b_ok, checked);
    std::printf("    sock_diag lookups %llu, full walks %llu, targeted %llu, changed-pid passes %llu, fd dirs read %llu\n",
                (unsigned long long)sb.diag_queries, (unsigned long long)sb.full_walks,
                (unsigned long long)sb.targeted_walks, (unsigned long long)sb.changed_walks,
                (unsigned long long)sb.fd_dirs_read);
    std::printf("  full /proc walk each refresh:           %8.2f ms CPU per second   (/proc/net tables %.2f ms + fd walk %.2f ms)  "
                "correct %d/%d\n",
                per_full, full.net_cpu / kRefreshes * 1000, full.walk_cpu / kRefreshes * 1000, full_ok, checked);
    const double walk_only = full.walk_cpu / kRefreshes * 1000;
    std::printf("  ratio (a): %.1fx less CPU (against the fd walk alone: %.1fx)\n", per_inc > 0 ? per_full / per_inc : 0.0,
                per_inc > 0 ? walk_only / per_inc : 0.0);
    std::printf("  ratio (b): %.1fx less CPU (against the fd walk alone: %.1fx)\n", per_b > 0 ? per_full / per_b : 0.0,
                per_b > 0 ? walk_only / per_b : 0.0);
    for (int fd : cmd) close(fd);  // helpers see EOF and exit
    kill_children();
    return 0;
}
