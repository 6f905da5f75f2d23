// Process attribution tests: /proc/net parsing, the resolver on a fake /proc tree (real symlinks fd/N ->
// socket:[inode] in a temp dir), lsof parsing on real lsof output, SHA-256 (NIST vectors), publishers, the per-flow
// cache and its outputs. No root, no network.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace iftop;
namespace fs = std::filesystem;

namespace {

std::string here() {
    std::string f = __FILE__;
    const size_t slash = f.rfind('/');
    return slash == std::string::npos ? "." : f.substr(0, slash);
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
}
std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

IpAddr ip(const char* s) { return *IpAddr::parse(s); }
/// A literal with embedded NULs, without its terminator.
template <size_t N>
std::string bin(const char (&s)[N]) { return std::string(s, N - 1); }

FlowKey fk(uint8_t proto, const char* l, uint16_t lp, const char* r, uint16_t rp) {
    FlowKey k;
    k.proto = proto;
    k.local = ip(l);
    k.local_port = lp;
    k.remote = ip(r);
    k.remote_port = rp;
    return k;
}

/// The kernel's text for one endpoint: each 32-bit word of the address as the host holds it, %08X; port %04X
/// (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock).
std::string kernel_endpoint(const IpAddr& a, uint16_t port) {
    std::string s;
    char buf[16];
    for (int i = 0; i < (a.family == 4 ? 1 : 4); ++i) {
        uint32_t w;
        std::memcpy(&w, a.bytes + 4 * i, 4);
        std::snprintf(buf, sizeof buf, "%08X", w);
        s += buf;
    }
    std::snprintf(buf, sizeof buf, ":%04X", port);
    return s + buf;
}

/// A fake procfs in a temp dir: net/{tcp,tcp6,udp,udp6}, <pid>/{comm,cmdline,exe,fd/N}.
struct FakeProc {
    std::string root;
    int rows = 0;
    FakeProc() {
        char tmpl[] = "/tmp/iftop-fakeproc-XXXXXX";
        root = mkdtemp(tmpl);
        fs::create_directories(root + "/net");
        for (const char* f : {"tcp", "tcp6", "udp", "udp6"})
            write_file(root + "/net/" + f, std::string(f[3] == '6' ? "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                                                                    : "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"));
    }
    ~FakeProc() {
        std::error_code ec;
        fs::permissions(root, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(root, ec);
    }
    /// A process; `start` is its start time (stat field 22): a new process on an old pid gets another.
    void proc(int pid, const std::string& comm, const std::string& cmdline = "", const std::string& exe = "",
              uint64_t start = 1000) {
        const std::string d = root + "/" + std::to_string(pid);
        fs::create_directories(d + "/fd");
        write_file(d + "/comm", comm + "\n");
        write_file(d + "/stat", std::to_string(pid) + " (" + comm + ") S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " +
                                    std::to_string(start) + " 10000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
        write_file(d + "/cmdline", cmdline);
        if (!exe.empty()) fs::create_symlink(exe, d + "/exe");
    }
    void fd(int pid, int n, uint64_t inode) {
        fs::create_symlink("socket:[" + std::to_string(inode) + "]", root + "/" + std::to_string(pid) + "/fd/" + std::to_string(n));
    }
    void other_fd(int pid, int n, const std::string& target) {
        fs::create_symlink(target, root + "/" + std::to_string(pid) + "/fd/" + std::to_string(n));
    }
    void kill(int pid) { fs::remove_all(root + "/" + std::to_string(pid)); }
    /// One row as the kernel prints it. `file` is tcp, tcp6, udp or udp6; IPv4 addresses in a *6 file are
    /// written IPv4-mapped, as the kernel shows a dual-stack socket's IPv4 peers.
    void sock(const char* file, const char* l, uint16_t lp, const char* r, uint16_t rp, int state, uint64_t inode,
              uint32_t uid = 0, const std::string& dir = "net") {
        IpAddr la = ip(l), ra = ip(r);
        const bool v6file = std::string(file).back() == '6';
        auto map6 = [](IpAddr a) {
            if (a.family == 6) return a;
            uint8_t b[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            std::memcpy(b + 12, a.bytes, 4);
            return IpAddr::v6(b);
        };
        if (v6file) { la = map6(la); ra = map6(ra); }
        char line[512];
        std::snprintf(line, sizeof line,
                      "%4d: %s %s %02X 00000000:00000000 00:00000000 00000000 %5u        0 %llu 1 0000000000000000 100 0 0 10 0\n",
                      rows++, kernel_endpoint(la, lp).c_str(), kernel_endpoint(ra, rp).c_str(), state, uid,
                      static_cast<unsigned long long>(inode));
        fs::create_directories(root + "/" + dir);
        std::ofstream(root + "/" + dir + "/" + file, std::ios::app) << line;
    }
    /// Network namespaces: ours (self) and each process's, as the ns/net links show them.
    void netns(const std::string& who, uint64_t ns) {
        fs::create_directories(root + "/" + who + "/ns");
        fs::create_symlink("net:[" + std::to_string(ns) + "]", root + "/" + who + "/ns/net");
    }
    /// A namespace's local IPv4 addresses, as /proc/<pid>/net/fib_trie prints them.
    void fib_local(const std::string& dir, const std::vector<std::string>& addrs) {
        std::string t = "Main:\n  +-- 0.0.0.0/0 3 0 5\n";
        for (const auto& a : addrs) t += "     |-- " + a + "\n        /32 host LOCAL\n";
        fs::create_directories(root + "/" + dir);
        write_file(root + "/" + dir + "/fib_trie", t);
    }
    void clear_net(const char* file) {
        const std::string p = root + "/net/" + file;
        const std::string t = read_file(p);
        write_file(p, t.substr(0, t.find('\n') + 1));
    }
    ProcessResolver::Config cfg() const {
        ProcessResolver::Config c;
        c.proc_root = root;
        c.allow_lsof = false;
        return c;
    }
};

constexpr int kEstablished = 1, kListen = 0x0A, kUdpUnconn = 7;
Micros sec(double s) { return Micros(s * 1e6); }
int pid_of(ProcessResolver& r, const FlowKey& k, Micros now) {
    auto p = r.lookup(k, now);
    return p ? p->pid : 0;
}

}  // namespace

TEST_SUITE("proc net") {
TEST_CASE("parse_proc_net: real tcp6 lines, IPv4-mapped peers become IPv4, LISTEN on :: is a dual-stack wildcard") {
    // Captured from /proc/<pid>/net/tcp6 on this Linux machine (x86-64) with a Python server on [::]:47002, an IPv4
    // client connected to it (::ffff:127.0.0.1) and an IPv6 one (::1).
    const char* text =
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000000000000:B79A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 218152 1 0000000084743bcf 100 0 0 10 0\n"
        "   1: 00000000000000000000000001000000:DDC6 00000000000000000000000001000000:B79A 01 00000000:00000000 00:00000000 00000000     0        0 218157 1 00000000e6cf3305 20 0 0 10 -1\n"
        "   2: 0000000000000000FFFF00000100007F:B79A 0000000000000000FFFF00000100007F:D8EC 01 00000000:00000000 00:00000000 00000000     0        0 218156 1 00000000439aec31 20 0 0 10 -1\n"
        "   3: garbage line that is not a socket\n";
    auto rows = parse_proc_net(text, kProtoTcp, 6);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].listening);
    CHECK(rows[0].wildcard6);
    CHECK(rows[0].local_port == 47002);
    CHECK(rows[0].inode == 218152);
    CHECK(rows[1].local.to_string() == "::1");
    CHECK(rows[1].local_port == 56774);
    CHECK(rows[1].remote_port == 47002);
    CHECK(!rows[1].listening);
    CHECK(rows[2].local.family == 4);
    CHECK(rows[2].local.to_string() == "127.0.0.1");
    CHECK(rows[2].remote.to_string() == "127.0.0.1");
    CHECK(rows[2].remote_port == 55532);
}

TEST_CASE("parse_proc_net: IPv4 words are in host byte order; inode 0 (TIME_WAIT) rows are dropped") {
    const char* text =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100000A:01BB 070200C0:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 30 10 -1\n"
        "   1: 0100000A:01BC 070200C0:9C41 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0\n";
    auto rows = parse_proc_net(text, kProtoTcp, 4);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].local.to_string() == "10.0.0.1");
    CHECK(rows[0].local_port == 443);
    CHECK(rows[0].remote.to_string() == "192.0.2.7");
    CHECK(rows[0].remote_port == 40000);
    CHECK(rows[0].inode == 4242);
}

TEST_CASE("the fake tree writes rows the parser reads back (both families)") {
    FakeProc p;
    p.sock("udp6", "2001:db8::1", 53, "::", 0, kUdpUnconn, 11);
    p.sock("tcp", "10.0.0.1", 22, "192.0.2.7", 50000, kEstablished, 12);
    auto r6 = parse_proc_net(read_file(p.root + "/net/udp6"), kProtoUdp, 6);
    REQUIRE(r6.size() == 1);
    CHECK(r6[0].local.to_string() == "2001:db8::1");
    auto r4 = parse_proc_net(read_file(p.root + "/net/tcp"), kProtoTcp, 4);
    REQUIRE(r4.size() == 1);
    CHECK(r4[0].remote.to_string() == "192.0.2.7");
}
}  // TEST_SUITE

TEST_SUITE("resolver") {
TEST_CASE("exact pair beats port-only: a connected UDP socket wins over the unconnected one on the same port") {
    FakeProc p;
    p.proc(100, "avahi-daemon");
    p.proc(200, "resolver");
    p.sock("udp", "0.0.0.0", 5353, "0.0.0.0", 0, kUdpUnconn, 1001);
    p.sock("udp", "10.0.0.1", 5353, "192.0.2.7", 5353, kEstablished, 2001);
    p.fd(100, 3, 1001);
    p.fd(200, 7, 2001);
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoUdp, "10.0.0.1", 5353, "192.0.2.7", 5353), sec(1)) == 200);
    CHECK(pid_of(r, fk(kProtoUdp, "10.0.0.1", 5353, "198.51.100.9", 5353), sec(1)) == 100);
    CHECK(r.level() == Attribution::full);
}

TEST_CASE("forwarded traffic (neither end an address here) is not looked up; local, broadcast, multicast are") {
    FakeProc p;
    p.proc(100, "nginx");
    p.proc(200, "dhcpd");
    p.sock("tcp", "0.0.0.0", 80, "0.0.0.0", 0, kListen, 1001);
    p.sock("udp", "0.0.0.0", 67, "0.0.0.0", 0, kUdpUnconn, 2001);
    p.sock("udp", "0.0.0.0", 5353, "0.0.0.0", 0, kUdpUnconn, 2002);
    p.fd(100, 3, 1001);
    p.fd(200, 4, 2001);
    p.fd(200, 5, 2002);
    p.fib_local("net", {"10.0.0.1"});
    std::ofstream(p.root + "/net/fib_trie", std::ios::app) << "     |-- 10.0.0.255\n        /32 link BROADCAST\n";
    ProcessResolver r(p.cfg());
    // A router's traffic: the wildcard listener on port 80 does not take a flow between two other hosts.
    CHECK(pid_of(r, fk(kProtoTcp, "192.0.2.1", 80, "198.51.100.2", 50000), sec(1)) == 0);
    CHECK(r.stats().forwarded == 1);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 80, "198.51.100.2", 50000), sec(1)) == 100);
    CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.9", 80, "127.0.0.1", 50000), sec(1)) == 100);        // all of 127/8
    CHECK(pid_of(r, fk(kProtoUdp, "10.0.0.255", 67, "192.0.2.1", 68), sec(1)) == 200);          // subnet broadcast
    CHECK(pid_of(r, fk(kProtoUdp, "255.255.255.255", 67, "192.0.2.1", 68), sec(1)) == 200);     // limited broadcast
    CHECK(pid_of(r, fk(kProtoUdp, "224.0.0.251", 5353, "192.0.2.1", 5353), sec(1)) == 200);     // multicast
    CHECK(r.stats().forwarded == 1);
    // An address added later is seen once the list is re-read (at most once a second).
    p.fib_local("net", {"10.0.0.1", "192.0.2.1"});
    CHECK(pid_of(r, fk(kProtoTcp, "192.0.2.1", 80, "198.51.100.2", 50000), sec(3)) == 100);
}

TEST_CASE("two processes talking to the same remote port each get their own flows") {
    FakeProc p;
    p.proc(300, "curl");
    p.proc(400, "firefox");
    p.sock("tcp", "10.0.0.1", 40000, "192.0.2.7", 443, kEstablished, 3001);
    p.sock("tcp", "10.0.0.1", 40001, "192.0.2.7", 443, kEstablished, 4001);
    p.sock("tcp", "10.0.0.1", 40002, "198.51.100.9", 443, kEstablished, 4002);
    p.fd(300, 5, 3001);
    p.fd(400, 5, 4001);
    p.fd(400, 6, 4002);
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 40000, "192.0.2.7", 443), sec(1)) == 300);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 40001, "192.0.2.7", 443), sec(1)) == 400);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 40002, "198.51.100.9", 443), sec(1)) == 400);
    // A client port nobody holds is not guessed from the remote port
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 40003, "192.0.2.7", 443), sec(1)) == 0);
}

TEST_CASE("a listening server with many accepted connections; a worker holding one of them wins it") {
    FakeProc p;
    p.proc(500, "nginx", bin("nginx: master\0-g\0daemon off;"));
    p.proc(501, "nginx-worker");
    p.sock("tcp", "0.0.0.0", 8080, "0.0.0.0", 0, kListen, 5000);
    p.fd(500, 3, 5000);
    for (int i = 0; i < 200; ++i) {
        const std::string remote = "192.0.2." + std::to_string(1 + i % 200);
        p.sock("tcp", "10.0.0.1", 8080, remote.c_str(), uint16_t(30000 + i), kEstablished, uint64_t(6000 + i));
        p.fd(i == 77 ? 501 : 500, 10 + i, uint64_t(6000 + i));
    }
    ProcessResolver r(p.cfg());
    for (int i = 0; i < 200; ++i) {
        const std::string remote = "192.0.2." + std::to_string(1 + i % 200);
        CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 8080, remote.c_str(), uint16_t(30000 + i)), sec(1)) ==
              (i == 77 ? 501 : 500));
    }
    // A connection that already closed still belongs to the server listening on that address and port
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 8080, "203.0.113.5", 1234), sec(1)) == 500);
    CHECK(r.stats().full_walks + r.stats().new_pid_walks == 1);  // 201 lookups, one walk
    auto info = r.lookup(fk(kProtoTcp, "10.0.0.1", 8080, "192.0.2.1", 30000), sec(1));
    REQUIRE(info);
    CHECK(info->name == "nginx");
    CHECK(info->cmdline == "nginx: master -g daemon off;");
}

TEST_CASE("unconnected UDP: a server's peers; the wildcard address matches any local address, :: takes IPv4 too") {
    FakeProc p;
    p.proc(600, "named");
    p.proc(601, "dhcpd");
    p.sock("udp", "0.0.0.0", 53, "0.0.0.0", 0, kUdpUnconn, 6100);
    p.sock("udp6", "::", 67, "::", 0, kUdpUnconn, 6101);
    p.fd(600, 4, 6100);
    p.fd(601, 4, 6101);
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoUdp, "10.0.0.1", 53, "192.0.2.7", 41000), sec(1)) == 600);
    CHECK(pid_of(r, fk(kProtoUdp, "172.16.0.1", 53, "198.51.100.9", 1), sec(1)) == 600);
    CHECK(pid_of(r, fk(kProtoUdp, "10.0.0.1", 67, "192.0.2.7", 68), sec(1)) == 601);
    CHECK(pid_of(r, fk(kProtoUdp, "2001:db8::1", 67, "2001:db8::2", 68), sec(1)) == 601);
    // 0.0.0.0 never takes IPv6 traffic, and TCP is not UDP
    CHECK(pid_of(r, fk(kProtoUdp, "2001:db8::1", 53, "2001:db8::2", 9), sec(1)) == 0);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 53, "192.0.2.7", 41000), sec(1)) == 0);
}

TEST_CASE("IPv4-mapped IPv6: a dual-stack socket's IPv4 connection matches the IPv4 flow exactly") {
    FakeProc p;
    p.proc(700, "sshd");
    p.proc(701, "sshd-session");
    p.sock("tcp6", "::", 22, "::", 0, kListen, 7000);
    p.sock("tcp6", "10.0.0.1", 22, "192.0.2.7", 50000, kEstablished, 7001);  // written as ::ffff:a.b.c.d
    p.fd(700, 3, 7000);
    p.fd(701, 4, 7001);
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 22, "192.0.2.7", 50000), sec(1)) == 701);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 22, "192.0.2.8", 50001), sec(1)) == 700);  // via the :: listener
}

TEST_CASE("a vanished pid is forgotten and its flow is not given to it") {
    FakeProc p;
    p.proc(800, "short");
    p.proc(801, "other");
    p.sock("udp", "10.0.0.1", 9999, "192.0.2.7", 53, kEstablished, 8000);
    p.fd(800, 3, 8000);
    ProcessResolver r(p.cfg());
    const FlowKey k = fk(kProtoUdp, "10.0.0.1", 9999, "192.0.2.7", 53);
    CHECK(pid_of(r, k, sec(1)) == 800);
    p.kill(800);  // exited; the socket row lingers in this snapshot of /proc/net
    CHECK(pid_of(r, k, sec(5)) == 0);
    // The socket passes to another process (fd passing): the cached owner is checked and the new one found
    p.fd(801, 9, 8000);
    CHECK(pid_of(r, k, sec(10)) == 801);
}

TEST_CASE("an unreadable fd directory makes attribution partial; everything else is still attributed") {
    FakeProc p;
    p.proc(900, "mine");
    p.sock("tcp", "10.0.0.1", 1000, "192.0.2.7", 80, kEstablished, 9000);
    p.fd(900, 3, 9000);
    // Tests may run as root, where chmod 000 stops nothing: a fd entry that is not a directory fails opendir the
    // way another user's /proc/<pid>/fd does for a normal user.
    fs::create_directories(p.root + "/901");
    write_file(p.root + "/901/fd", "not a directory");
    fs::create_directories(p.root + "/902");
    fs::create_symlink(p.root + "/nowhere", p.root + "/902/fd");  // dangling link
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 1000, "192.0.2.7", 80), sec(1)) == 900);
    CHECK(r.level() == Attribution::partial);
    CHECK(r.stats().unreadable == 1);  // 902's fd is ENOENT: that is a pid exiting, not a privilege problem
    // The unreadable process goes away: full again
    fs::remove_all(p.root + "/901");
    p.sock("tcp", "10.0.0.1", 1001, "192.0.2.7", 80, kEstablished, 9001);
    p.fd(900, 4, 9001);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 1001, "192.0.2.7", 80), sec(3)) == 900);
    CHECK(r.level() == Attribution::full);
}

TEST_CASE("incremental: known inodes never walk /proc again; new processes and active pids are found without a full walk") {
    FakeProc p;
    p.proc(1000, "server");
    p.proc(1001, "idle");
    for (int i = 0; i < 5; ++i) {
        p.sock("tcp", "10.0.0.1", uint16_t(2000 + i), "192.0.2.7", 80, kEstablished, uint64_t(10000 + i));
        p.fd(1000, 3 + i, uint64_t(10000 + i));
    }
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 2000, "192.0.2.7", 80), sec(1)) == 1000);
    const auto after_first = r.stats();
    CHECK(after_first.net_reads == 1);
    CHECK(after_first.new_pid_walks + after_first.full_walks >= 1);
    // Other sockets of the same walk: no walk, no read of /proc/net (the cached tables have them)
    for (int i = 1; i < 5; ++i)
        CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", uint16_t(2000 + i), "192.0.2.7", 80), sec(2)) == 1000);
    // The same flow again later: still no walk
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 2000, "192.0.2.7", 80), sec(3)) == 1000);
    CHECK(r.stats().full_walks == after_first.full_walks);
    CHECK(r.stats().new_pid_walks == after_first.new_pid_walks);
    CHECK(r.stats().targeted_walks == 0);
    CHECK(r.stats().net_reads == 1);
    const uint64_t dirs = r.stats().fd_dirs_read;

    // A new connection of the busy server: found by re-walking the recently active pid only
    p.sock("tcp", "10.0.0.1", 2100, "192.0.2.9", 80, kEstablished, 10100);
    p.fd(1000, 50, 10100);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 2100, "192.0.2.9", 80), sec(4)) == 1000);
    CHECK(r.stats().full_walks == after_first.full_walks);
    CHECK(r.stats().targeted_walks == 1);
    CHECK(r.stats().fd_dirs_read == dirs + 1);

    // A process that started since: found by the walk of new pids alone
    p.proc(1002, "newcomer");
    p.sock("udp", "10.0.0.1", 3000, "192.0.2.7", 53, kEstablished, 10200);
    p.fd(1002, 3, 10200);
    CHECK(pid_of(r, fk(kProtoUdp, "10.0.0.1", 3000, "192.0.2.7", 53), sec(5)) == 1002);
    CHECK(r.stats().full_walks == after_first.full_walks);
    CHECK(r.stats().fd_dirs_read == dirs + 2);

    // A socket no fd points to (yet): full walks are rate-limited to one per second however often it is asked
    p.sock("udp", "10.0.0.1", 3001, "192.0.2.7", 53, kEstablished, 10300);
    const FlowKey orphan = fk(kProtoUdp, "10.0.0.1", 3001, "192.0.2.7", 53);
    const uint64_t full0 = r.stats().full_walks;
    for (int i = 0; i < 10; ++i) CHECK(pid_of(r, orphan, sec(6) + i * 50000) == 0);
    CHECK(r.stats().full_walks - full0 <= 1);
    // ... and picked up by the next allowed walk once a process holds it
    p.fd(1001, 3, 10300);
    CHECK(pid_of(r, orphan, sec(8)) == 1001);
}

TEST_CASE("process names are hostile input: control bytes and escapes never come out") {
    FakeProc p;
    p.proc(1100, "evil\x1b[2J\x07", bin("evil\0--flag\x1b]52;c;AAAA\x07"));
    p.sock("tcp", "10.0.0.1", 4000, "192.0.2.7", 80, kEstablished, 11000);
    p.fd(1100, 3, 11000);
    ProcessResolver r(p.cfg());
    auto info = r.lookup(fk(kProtoTcp, "10.0.0.1", 4000, "192.0.2.7", 80), sec(1));
    REQUIRE(info);
    CHECK(info->name == "evil?[2J?");
    CHECK(info->cmdline == "evil --flag?]52;c;AAAA?");
}

TEST_CASE("no /proc/net and no lsof: attribution is off and lookups answer nothing") {
    FakeProc p;
    fs::remove_all(p.root + "/net");
    ProcessResolver r(p.cfg());
    CHECK(r.level() == Attribution::off);
    CHECK(!r.lookup(fk(kProtoTcp, "10.0.0.1", 1, "192.0.2.7", 2), sec(1)));
}
}  // TEST_SUITE

TEST_SUITE("lsof") {
// tests/lsof_linux.txt is real output of lsof 4.95.0 on this Linux machine (Debian package "lsof"), captured with
//     python3 sockets.py &   # listens on 127.0.0.1:47001 (TCP) and [::]:47002 (TCP, dual-stack), connects to both
//                            # over IPv4 and to the second over ::1, binds UDP 0.0.0.0:47003 and [::1]:47005, and a
//                            # UDP socket 127.0.0.1:47004 connected to :47003; then sleeps
//     lsof -n -P -F pcnPt -a -p <its pid> > tests/lsof_linux.txt
// It holds all of that process's files (cwd, the binary, shared libraries: skipped by the parser) and its sockets.
TEST_CASE("parse_lsof: real lsof -F output, sockets only") {
    const std::string text = read_file(here() + "/lsof_linux.txt");
    REQUIRE(!text.empty());
    auto socks = parse_lsof(text);
    REQUIRE(socks.size() == 11);
    for (const auto& s : socks) {
        CHECK(s.pid == 11446);
        CHECK(s.command == "python3");
    }
    auto find = [&](uint8_t proto, const char* l, uint16_t lp, uint16_t rp) -> const LsofSocket* {
        for (const auto& s : socks)
            if (s.row.proto == proto && s.row.local.to_string() == l && s.row.local_port == lp && s.row.remote_port == rp)
                return &s;
        return nullptr;
    };
    const LsofSocket* listen4 = find(kProtoTcp, "127.0.0.1", 47001, 0);
    REQUIRE(listen4);
    CHECK(listen4->row.listening);
    const LsofSocket* listen6 = find(kProtoTcp, "::", 47002, 0);
    REQUIRE(listen6);
    CHECK(listen6->row.wildcard6);
    const LsofSocket* client = find(kProtoTcp, "127.0.0.1", 32836, 47001);
    REQUIRE(client);
    CHECK(client->row.remote.to_string() == "127.0.0.1");
    CHECK(find(kProtoTcp, "127.0.0.1", 47002, 55532));  // the dual-stack server's IPv4 peer, shown as IPv4
    CHECK(find(kProtoTcp, "::1", 56774, 47002));
    const LsofSocket* udp = find(kProtoUdp, "0.0.0.0", 47003, 0);
    REQUIRE(udp);
    CHECK(!udp->row.listening);
    CHECK(find(kProtoUdp, "127.0.0.1", 47004, 47003));
    CHECK(find(kProtoUdp, "::1", 47005, 0));
}

TEST_CASE("parse_lsof: f fields, several processes, hostile command names, junk") {
    const char* text = "p1\ncsshd\nf3\ntIPv4\nPTCP\nn10.0.0.1:22->192.0.2.7:50000\nf4\ntunix\nn/run/x.sock\n"
                       "p2\ncbad\x1b[31m\nf5\ntIPv6\nPUDP\nn[2001:db8::1]:53\nxjunk\np\nnonsense\n";
    auto socks = parse_lsof(text);
    REQUIRE(socks.size() == 2);
    CHECK(socks[0].pid == 1);
    CHECK(socks[0].row.remote.to_string() == "192.0.2.7");
    CHECK(socks[1].pid == 2);
    CHECK(socks[1].command == "bad?[31m");
    CHECK(socks[1].row.local.to_string() == "2001:db8::1");
    CHECK(socks[1].row.local_port == 53);
}

TEST_CASE("lsof fallback: with no usable /proc/net the resolver runs lsof and attributes from it") {
    FakeProc p;
    fs::remove_all(p.root + "/net");
    // A stand-in lsof on PATH that prints the captured output
    const std::string bin = p.root + "/bin";
    fs::create_directories(bin);
    write_file(bin + "/lsof", "#!/bin/sh\ncat '" + here() + "/lsof_linux.txt'\n");
    fs::permissions(bin + "/lsof", fs::perms::owner_all);
    const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    setenv("PATH", (bin + ":" + old_path).c_str(), 1);
    ProcessResolver::Config c = p.cfg();
    c.allow_lsof = true;
    ProcessResolver r(c);
    CHECK(r.level() == Attribution::full);
    auto info = r.lookup(fk(kProtoTcp, "127.0.0.1", 32836, "127.0.0.1", 47001), sec(1));
    REQUIRE(info);
    CHECK(info->pid == 11446);
    CHECK(info->name == "python3");
    CHECK(pid_of(r, fk(kProtoUdp, "127.0.0.1", 47003, "192.0.2.7", 999), sec(1)) == 11446);
    CHECK(r.stats().lsof_runs == 1);
    setenv("PATH", old_path.c_str(), 1);
}
}  // TEST_SUITE

TEST_SUITE("sha256") {
TEST_CASE("NIST FIPS 180-4 example vectors") {
    CHECK(Sha256::of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(Sha256::of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(Sha256::of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(Sha256::of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                     "mnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    CHECK(Sha256::of(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("pieces of any size give the same digest; sha256_file reads the file") {
    std::string data;
    for (int i = 0; i < 5000; ++i) data += char(i * 7 + (i >> 3));
    const std::string whole = Sha256::of(data);
    for (size_t step : {1, 3, 55, 56, 63, 64, 65, 127, 4999}) {
        Sha256 h;
        for (size_t at = 0; at < data.size(); at += step) h.update(data.data() + at, std::min(step, data.size() - at));
        CHECK(Sha256::hex(h.finish()) == whole);
    }
    FakeProc p;
    write_file(p.root + "/blob", data);
    auto f = sha256_file(p.root + "/blob");
    REQUIRE(f);
    CHECK(*f == whole);
    auto missing = sha256_file(p.root + "/missing");
    REQUIRE(!missing);
    CHECK(missing.error().code == Errc::file_open);
}
}  // TEST_SUITE

TEST_SUITE("publishers") {
TEST_CASE("dpkg lists: usrmerge both ways, deleted executables, unpackaged") {
    FakeProc p;
    const std::string info = p.root + "/dpkg-info";
    fs::create_directories(info);
    write_file(info + "/coreutils.list", "/.\n/bin\n/bin/ls\n/usr/bin/env\n");
    write_file(info + "/openssh-server.list", "/usr/sbin/sshd\n");
    write_file(info + "/libc-bin.list", "/sbin/ldconfig\n");
    write_file(info + "/coreutils.md5sums", "/usr/bin/md5-not-a-list\n");
    PublisherIndex idx(info, p.root + "/no-rpm");
    CHECK(idx.package_of("/bin/ls") == "coreutils");
    CHECK(idx.package_of("/usr/bin/ls") == "coreutils");      // listed as /bin/ls, run as /usr/bin/ls
    CHECK(idx.package_of("/bin/env") == "coreutils");         // listed as /usr/bin/env
    CHECK(idx.package_of("/usr/sbin/ldconfig") == "libc-bin");
    CHECK(idx.package_of("/sbin/sshd") == "openssh-server");
    CHECK(idx.package_of("/usr/sbin/sshd (deleted)") == "openssh-server");  // upgraded while running
    CHECK(idx.package_of("/usr/bin/md5-not-a-list") == "unpackaged");
    CHECK(idx.package_of("/opt/thing/bin/thing") == "unpackaged");
    CHECK(idx.package_of("") == "unpackaged");
}

TEST_CASE("the real dpkg database knows the shell") {
    if (access("/var/lib/dpkg/info", R_OK) != 0) return;
    PublisherIndex idx;
    CHECK(idx.package_of("/usr/bin/bash") == "bash");
    CHECK(idx.package_of("/bin/bash") == "bash");
}
}  // TEST_SUITE

namespace {
/// A table with flows whose local side is 10.0.0.1.
void add_flow(FlowTable& t, uint8_t proto, const char* local, uint16_t lp, const char* remote, uint16_t rp,
              uint32_t bytes, Micros at) {
    Decoded d;
    d.ok = true;
    d.proto = proto;
    d.src = ip(local);
    d.dst = ip(remote);
    d.sport = lp;
    d.dport = rp;
    d.bytes = bytes;
    t.add(d, at);
}
}  // namespace

TEST_SUITE("flow attribution") {
TEST_CASE("per-flow cache, exe facts (sha256, publisher), JSON fields, text --processes, groups") {
    FakeProc p;
    const std::string exe_dir = p.root + "/usr-bin";
    fs::create_directories(exe_dir);
    write_file(exe_dir + "/webd", "webd binary");
    write_file(exe_dir + "/cli", "cli binary");
    const std::string info = p.root + "/dpkg-info";
    fs::create_directories(info);
    write_file(info + "/webd-pkg.list", exe_dir + "/webd\n");
    p.proc(10, "webd", "webd", exe_dir + "/webd");
    p.proc(20, "cli\x1b[1m", "cli", exe_dir + "/cli");
    p.sock("tcp", "0.0.0.0", 80, "0.0.0.0", 0, kListen, 100);
    p.fd(10, 3, 100);
    p.sock("tcp", "10.0.0.1", 80, "192.0.2.7", 50000, kEstablished, 101);
    p.fd(10, 4, 101);
    p.sock("tcp", "10.0.0.1", 41000, "192.0.2.7", 443, kEstablished, 200);
    p.fd(20, 3, 200);

    AccountingConfig ac;
    ac.local_addrs = {ip("10.0.0.1")};
    FlowTable t(ac);
    t.set_origin(0);
    add_flow(t, kProtoTcp, "10.0.0.1", 80, "192.0.2.7", 50000, 1000, sec(0.1));
    add_flow(t, kProtoTcp, "10.0.0.1", 80, "192.0.2.8", 50001, 500, sec(0.2));
    add_flow(t, kProtoTcp, "10.0.0.1", 41000, "192.0.2.7", 443, 300, sec(0.3));
    add_flow(t, kProtoUdp, "10.0.0.1", 5000, "192.0.2.9", 53, 70, sec(0.4));  // nobody's
    t.tick(sec(1));

    FlowAttribution::Config c;
    c.resolver = p.cfg();
    c.dpkg_info = info;
    c.rpm_db = p.root + "/no-rpm";
    c.background = false;
    FlowAttribution attr(c);
    attr.update(t, sec(1));
    CHECK(attr.level() == Attribution::full);
    const FlowOwner* web = attr.owner(fk(kProtoTcp, "10.0.0.1", 80, "192.0.2.7", 50000));
    REQUIRE(web);
    REQUIRE(web->proc);
    CHECK(web->proc->pid == 10);
    REQUIRE(web->exe);
    CHECK(web->exe->publisher == "webd-pkg");
    CHECK(web->exe->sha256 == Sha256::of("webd binary"));
    const FlowOwner* cli = attr.owner(fk(kProtoTcp, "10.0.0.1", 41000, "192.0.2.7", 443));
    REQUIRE(cli);
    REQUIRE(cli->exe);
    CHECK(cli->exe->publisher == "unpackaged");
    const FlowOwner* none = attr.owner(fk(kProtoUdp, "10.0.0.1", 5000, "192.0.2.9", 53));
    REQUIRE(none);
    CHECK(!none->proc);

    const std::string js = json_snapshot(t, "eth0", 0, false, &attr);
    CHECK(js.find("\"attribution\":\"full\"") != std::string::npos);
    CHECK(js.find("\"pid\":10,\"process\":\"webd\",\"container\":null,\"uid\":0,\"publisher\":\"webd-pkg\",\"sha256\":\"" + Sha256::of("webd binary") + "\"") != std::string::npos);
    CHECK(js.find("\"pid\":20,\"process\":\"cli?[1m\"") != std::string::npos);
    CHECK(js.find("\"pid\":null,\"process\":null,\"container\":null,\"uid\":null,\"publisher\":null,\"sha256\":null") != std::string::npos);
    CHECK(js.find('\x1b') == std::string::npos);
    const std::string off = json_snapshot(t, "eth0", 0, false);
    CHECK(off.find("\"attribution\":\"off\"") != std::string::npos);
    CHECK(off.find("\"pid\":10") == std::string::npos);

    TextStyle st;
    st.show_ports = true;
    st.owners = &attr;
    const std::string text = text_report(t, st);
    CHECK(text.find("10.0.0.1:80 [10:webd]") != std::string::npos);
    CHECK(text.find("10.0.0.1:41000 [20:cli?[1m]") != std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);
    st.show_ports = false;  // host pairs: the owner of the biggest flow, "+" when another process shares the row
    const std::string pairs = text_report(t, st);
    CHECK(pairs.find("10.0.0.1 [10:webd+]") != std::string::npos);

    auto flows = t.sorted_flows(SortKey::total_bytes);
    auto procs = group_by_process(flows, attr);
    REQUIRE(procs.size() == 3);
    CHECK(procs[0].pid == 10);
    CHECK(procs[0].flows == 2);
    CHECK(procs[0].counts.bytes[0] == 1500);
    CHECK(procs[0].publisher == "webd-pkg");
    CHECK(procs[1].pid == 20);
    CHECK(procs[1].counts.bytes[0] == 300);
    CHECK(procs[2].name == "unknown");
    CHECK(procs[2].flows == 1);
    CHECK(procs[2].counts.bytes[0] == 70);
    double rate_sum = 0;
    for (const auto& g : procs) rate_sum += g.rates.sent(0);
    CHECK(rate_sum == doctest::Approx(t.totals().rates.sent(0)));
    auto pubs = group_by_publisher(flows, attr);
    REQUIRE(pubs.size() == 3);
    CHECK(pubs[0].name == "webd-pkg");
    CHECK(pubs[0].flows == 2);
    CHECK(pubs[1].name == "unpackaged");
    CHECK(pubs[2].name == "unknown");
}

TEST_CASE("unknown flows are retried, with back-off, and flows that leave the table are forgotten") {
    FakeProc p;
    p.proc(30, "late");
    AccountingConfig ac;
    ac.local_addrs = {ip("10.0.0.1")};
    FlowTable t(ac);
    t.set_origin(0);
    add_flow(t, kProtoUdp, "10.0.0.1", 6000, "192.0.2.7", 53, 100, sec(0.5));
    t.tick(sec(1));
    FlowAttribution::Config c;
    c.resolver = p.cfg();
    c.exe_facts = false;
    FlowAttribution attr(c);
    const FlowKey k = fk(kProtoUdp, "10.0.0.1", 6000, "192.0.2.7", 53);
    attr.update(t, sec(1));
    REQUIRE(attr.owner(k));
    CHECK(!attr.owner(k)->proc);
    // The socket shows up a moment later: the next tick's retry finds it
    p.sock("udp", "10.0.0.1", 6000, "192.0.2.7", 53, kEstablished, 3000);
    p.fd(30, 3, 3000);
    attr.update(t, sec(2));
    REQUIRE(attr.owner(k)->proc);
    CHECK(attr.owner(k)->proc->pid == 30);
    // A flow no socket will ever match costs a /proc/net read at 1, 2, 4, 8 ... s, not every tick
    add_flow(t, kProtoUdp, "10.0.0.1", 7000, "192.0.2.7", 53, 100, sec(2.5));
    const uint64_t reads0 = attr.resolver().stats().net_reads;
    for (int s = 3; s <= 20; ++s) attr.update(t, sec(s));
    const uint64_t reads = attr.resolver().stats().net_reads - reads0;
    CHECK(reads >= 3);
    CHECK(reads <= 5);
    CHECK(attr.owner(k)->proc->pid == 30);  // known flows are not looked up again
    // Flows expire from a table with idle expiry; here a fresh table stands for "the flow left"
    FlowTable empty(ac);
    attr.update(empty, sec(21));
    CHECK(!attr.owner(k));
}
TEST_CASE("a flow that goes quiet is checked once; a closed socket sends the next search to its process first") {
    FakeProc p;
    p.proc(40, "client");
    p.proc(41, "other");
    p.sock("udp", "10.0.0.1", 7000, "192.0.2.7", 53, kEstablished, 400);
    p.fd(40, 3, 400);
    AccountingConfig ac;
    ac.local_addrs = {ip("10.0.0.1")};
    FlowTable t(ac);
    t.set_origin(0);
    add_flow(t, kProtoUdp, "10.0.0.1", 7000, "192.0.2.7", 53, 100, sec(0.5));
    FlowAttribution::Config c;
    c.resolver = p.cfg();
    c.exe_facts = false;
    FlowAttribution attr(c);
    attr.update(t, sec(1));
    const FlowKey a = fk(kProtoUdp, "10.0.0.1", 7000, "192.0.2.7", 53);
    REQUIRE(attr.owner(a)->proc);
    CHECK(attr.owner(a)->proc->pid == 40);
    // The process closes that socket and opens another under the same fd number (same fd count)
    p.clear_net("udp");
    fs::remove(p.root + "/40/fd/3");
    p.sock("udp", "10.0.0.1", 7001, "192.0.2.7", 53, kEstablished, 401);
    p.fd(40, 3, 401);
    add_flow(t, kProtoUdp, "10.0.0.1", 7001, "192.0.2.7", 53, 100, sec(2.5));
    const auto before = attr.resolver().stats();
    attr.update(t, sec(3));
    const FlowOwner* b = attr.owner(fk(kProtoUdp, "10.0.0.1", 7001, "192.0.2.7", 53));
    REQUIRE(b->proc);
    CHECK(b->proc->pid == 40);
    CHECK(attr.resolver().stats().full_walks == before.full_walks);
    CHECK(attr.resolver().stats().fd_dirs_read == before.fd_dirs_read + 1);  // only the suspect ...
    CHECK(attr.resolver().stats().targeted_walks == before.targeted_walks);  // ... before any other pass
    CHECK(attr.owner(a)->proc->pid == 40);  // the quiet flow keeps its owner while it is shown
    // The same pair comes back on a new socket of another process: looked up again, not taken from the cache
    p.sock("udp", "10.0.0.1", 7000, "192.0.2.7", 53, kEstablished, 402);
    p.fd(41, 5, 402);
    add_flow(t, kProtoUdp, "10.0.0.1", 7000, "192.0.2.7", 53, 100, sec(3.5));
    attr.update(t, sec(4));
    REQUIRE(attr.owner(a)->proc);
    CHECK(attr.owner(a)->proc->pid == 41);
}
}  // TEST_SUITE


TEST_SUITE("issue 9 parsing") {
TEST_CASE("ping sockets from /proc/net/icmp{,6}: the echo identifier is the port; the uid column is kept") {
    // net/ipv4/ping.c ping_v4_format_sock: the same columns as udp; bound to 0.0.0.0, identifier 0x1C2B
    const std::string icmp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        "  22: 00000000:1C2B 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 51234 2 0000000000000000 0\n";
    auto rows = parse_proc_net(icmp, kProtoIcmp, 4);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].proto == kProtoIcmp);
    CHECK(rows[0].local_port == 0x1C2B);
    CHECK(rows[0].uid == 1000);
    CHECK(rows[0].inode == 51234);
    const std::string icmp6 =
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        "   5: 00000000000000000000000000000000:0042 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0\n";
    rows = parse_proc_net(icmp6, kProtoIcmp6, 6);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].local_port == 0x42);
    CHECK(rows[0].local.family == 6);
}

TEST_CASE("stat field 22 is the start time; comm may hold spaces and parentheses") {
    uint64_t start = 0;
    std::string comm;
    CHECK(parse_proc_stat("4242 (python3) S 1 4242 4242 0 -1 4194560 910 0 0 0 3 1 0 0 20 0 1 0 98765 123 45", start, &comm));
    CHECK(start == 98765);
    CHECK(comm == "python3");
    CHECK(parse_proc_stat("77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 31337 0 0", start, &comm));
    CHECK(start == 31337);
    CHECK(comm == "a) b (c");
    CHECK(!parse_proc_stat("77 (short) R 1 2 3", start));
    CHECK(!parse_proc_stat("no parentheses at all", start));
}

TEST_CASE("container names from cgroup paths: docker, podman, Kubernetes, systemd-nspawn, LXC; the host is none") {
    const std::string id = "4f1c2d3e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff";
    CHECK(container_of_cgroup("0::/system.slice/docker-" + id + ".scope\n") == "4f1c2d3e4b5a");
    CHECK(container_of_cgroup("12:pids:/docker/" + id + "\n11:memory:/docker/" + id + "\n") == "4f1c2d3e4b5a");
    CHECK(container_of_cgroup("0::/machine.slice/libpod-" + id + ".scope/container\n") == "4f1c2d3e4b5a");
    CHECK(container_of_cgroup("0::/libpod_parent/libpod-" + id + "\n") == "4f1c2d3e4b5a");
    CHECK(container_of_cgroup("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/cri-containerd-" + id + ".scope\n") ==
          "pod-3a1b2c3d_4e5");
    CHECK(container_of_cgroup("5:cpu:/kubepods/besteffort/pod3a1b2c3d-4e5f-6789-abcd-ef0123456789/" + id + "\n") == "pod-3a1b2c3d-4e5");
    CHECK(container_of_cgroup("0::/machine.slice/machine-web\\x2dfront.scope/payload\n") == "web-front");
    CHECK(container_of_cgroup("0::/machine.slice/systemd-nspawn@build.service/payload/system.slice\n") == "build");
    CHECK(container_of_cgroup("4:memory:/lxc/mybox\n") == "mybox");
    CHECK(container_of_cgroup("0::/lxc.payload.web01/system.slice/nginx.service\n") == "web01");
    CHECK(container_of_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n") == "");
    CHECK(container_of_cgroup("0::/\n") == "");
    CHECK(container_of_cgroup("") == "");
    CHECK(container_of_cgroup("0::/docker/\x1b[31mevil\n") == "?[31mevil");  // names are hostile input
    ProcessInfo p;
    p.name = "nginx";
    CHECK(process_label(p) == "nginx");
    p.container = "web01";
    CHECK(process_label(p) == "nginx@web01");
}

TEST_CASE("a namespace's addresses: fib_trie LOCAL /32 entries and if_inet6") {
    const std::string trie =
        "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n"
        "     +-- 10.82.0.0/24 2 0 2\n        |-- 10.82.0.0\n           /24 link UNICAST\n"
        "        |-- 10.82.0.2\n           /32 host LOCAL\n        |-- 10.82.0.255\n           /32 link BROADCAST\n"
        "Local:\n     |-- 10.82.0.2\n        /32 host LOCAL\n     |-- 127.0.0.1\n        /32 host LOCAL\n";
    const auto a = parse_fib_trie_local(trie);
    REQUIRE(a.size() == 2);
    CHECK(a[0] == ip("10.82.0.2"));
    CHECK(a[1] == ip("127.0.0.1"));
    const auto b = parse_if_inet6("fd810000000000000000000000000002 03 40 00 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\nbad line\n");
    REQUIRE(b.size() == 2);
    CHECK(b[0] == ip("fd81::2"));
    CHECK(b[1] == ip("::1"));
}
}  // TEST_SUITE

TEST_SUITE("issue 9 resolver") {
TEST_CASE("pid reuse: a new process on an old pid is a new ProcessInfo with its own name; the old one is kept") {
    FakeProc p;
    p.proc(500, "first", "first", "", 1000);
    p.sock("tcp", "10.0.0.1", 4000, "192.0.2.7", 80, kEstablished, 5000);
    p.fd(500, 3, 5000);
    ProcessResolver r(p.cfg());
    auto a = r.lookup(fk(kProtoTcp, "10.0.0.1", 4000, "192.0.2.7", 80), sec(1));
    REQUIRE(a);
    CHECK(a->name == "first");
    CHECK(a->start_time == 1000);
    CHECK(r.check_process(*a) == 0);
    // 500 exits and a new program gets its pid (another start time); the old socket is gone, a new one is open
    p.kill(500);
    p.proc(500, "second", "second", "", 2000);
    p.sock("tcp", "10.0.0.1", 4001, "192.0.2.7", 80, kEstablished, 5001);
    p.fd(500, 3, 5001);
    CHECK(r.check_process(*a) == 1);
    auto b = r.lookup(fk(kProtoTcp, "10.0.0.1", 4001, "192.0.2.7", 80), sec(2));
    REQUIRE(b);
    CHECK(b->pid == 500);
    CHECK(b->name == "second");
    CHECK(b->start_time == 2000);
    CHECK(a->name == "first");  // what was shown for the first flow stays true
    // exec: same pid and start time, another comm
    write_file(p.root + "/500/stat", "500 (third) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 2000 0 0\n");
    CHECK(r.check_process(*b) == 2);
}

TEST_CASE("ICMP echo: the ping socket whose port is the echo identifier; no identifier, no owner") {
    FakeProc p;
    p.proc(610, "ping");
    p.proc(611, "ping");
    p.sock("icmp", "0.0.0.0", 0x1C2B, "0.0.0.0", 0, kUdpUnconn, 6100, 1000);
    p.fd(610, 3, 6100);
    p.sock("icmp6", "::", 0x0042, "::", 0, kUdpUnconn, 6110);
    p.fd(611, 3, 6110);
    ProcessResolver r(p.cfg());
    ProcessResolver::Socket s;
    auto a = r.lookup(fk(kProtoIcmp, "10.0.0.1", 0, "192.0.2.7", 0), sec(1), s, 0x1C2B, false);
    REQUIRE(a);
    CHECK(a->pid == 610);
    CHECK(s.uid == 1000);
    auto b = r.lookup(fk(kProtoIcmp6, "2001:db8::1", 0, "2001:db8::2", 0), sec(1), s, 0x0042, false);
    REQUIRE(b);
    CHECK(b->pid == 611);
    CHECK(!r.lookup(fk(kProtoIcmp, "10.0.0.1", 0, "192.0.2.7", 0), sec(2), s, 0x9999, false));
    CHECK(!r.lookup(fk(kProtoIcmp, "10.0.0.1", 0, "192.0.2.7", 0), sec(3), s, 0, false));
}

TEST_CASE("containers: another namespace's sockets through /proc/<pid>/net; wildcards only on its own addresses") {
    FakeProc p;
    p.netns("self", 100);
    p.fib_local("net", {"10.81.0.1", "127.0.0.1"});
    p.proc(700, "webd");
    write_file(p.root + "/700/cgroup", "0::/system.slice/docker-abcdef0123456789abcdef.scope\n");
    p.netns("700", 200);
    p.fib_local("700/net", {"10.82.0.2"});
    p.sock("tcp", "10.82.0.2", 40000, "10.81.0.2", 7181, kEstablished, 7000, 0, "700/net");
    p.sock("udp", "0.0.0.0", 53, "0.0.0.0", 0, kUdpUnconn, 7001, 0, "700/net");
    p.fd(700, 3, 7000);
    p.fd(700, 4, 7001);
    p.proc(701, "hostd");
    p.netns("701", 100);
    p.sock("tcp", "10.81.0.1", 5555, "10.81.0.2", 80, kEstablished, 7100);
    p.fd(701, 3, 7100);
    auto cfg = p.cfg();
    ProcessResolver r(cfg);
    // our namespace first: the walk notes each process's namespace
    auto h = r.lookup(fk(kProtoTcp, "10.81.0.1", 5555, "10.81.0.2", 80), sec(1));
    REQUIRE(h);
    CHECK(h->pid == 701);
    CHECK(h->container.empty());
    // the container's connection, routed through us: its local end is in namespace 200
    auto c = r.lookup(fk(kProtoTcp, "10.82.0.2", 40000, "10.81.0.2", 7181), sec(2));
    REQUIRE(c);
    CHECK(c->pid == 700);
    CHECK(c->container == "abcdef012345");
    CHECK(process_label(*c) == "webd@abcdef012345");
    // seen the other way round (the first packet came from the far end): the remote end is the container's
    auto rev = r.lookup(fk(kProtoTcp, "10.81.0.2", 7181, "10.82.0.2", 40000), sec(3));
    REQUIRE(rev);
    CHECK(rev->pid == 700);
    // its wildcard UDP socket takes its own address, not anyone's port 53
    auto dns = r.lookup(fk(kProtoUdp, "10.82.0.2", 53, "10.81.0.9", 3333), sec(4));
    REQUIRE(dns);
    CHECK(dns->pid == 700);
    CHECK(!r.lookup(fk(kProtoUdp, "10.99.0.5", 53, "10.81.0.9", 3333), sec(5)));
    // an address of ours is looked up here only, never in a container with the same pair
    p.sock("tcp", "10.81.0.1", 6000, "10.81.0.2", 80, kEstablished, 7002, 0, "700/net");
    p.fd(700, 5, 7002);
    CHECK(!r.lookup(fk(kProtoTcp, "10.81.0.1", 6000, "10.81.0.2", 80), sec(6)));
    CHECK(r.stats().ns_reads >= 1);
    // off: the container's flow has no owner
    cfg.other_namespaces = false;
    ProcessResolver off(cfg);
    CHECK(!off.lookup(fk(kProtoTcp, "10.82.0.2", 40000, "10.81.0.2", 7181), sec(1)));
}
}  // TEST_SUITE

TEST_SUITE("issue 9 attribution") {
TEST_CASE("new flows reach attribution from the table; an ICMP echo identifier arrives even after the flow began") {
    FakeProc p;
    p.proc(810, "ping");
    p.sock("icmp", "0.0.0.0", 0x0777, "0.0.0.0", 0, kUdpUnconn, 8100, 1000);
    p.fd(810, 3, 8100);
    p.proc(811, "cli");
    p.sock("tcp", "10.0.0.1", 45000, "192.0.2.7", 443, kEstablished, 8110);
    p.fd(811, 3, 8110);
    FlowAttribution::Config c;
    c.resolver = p.cfg();
    c.background = false;
    c.exe_facts = false;
    FlowAttribution attr(c);
    AccountingConfig ac;
    ac.local_addrs = {ip("10.0.0.1")};
    FlowTable t(ac);
    t.set_new_flow_sink(attr.new_flow_sink());
    t.set_origin(0);
    // the ICMP flow starts with an unreachable (no identifier), then the echo request and its reply
    Decoded d;
    d.ok = true;
    d.proto = kProtoIcmp;
    d.src = ip("192.0.2.7");
    d.dst = ip("10.0.0.1");
    d.bytes = 56;
    t.add(d, sec(0.1));
    d.src = ip("10.0.0.1");
    d.dst = ip("192.0.2.7");
    d.echo = 1;
    d.echo_id = 0x0777;
    t.add(d, sec(0.2));
    std::swap(d.src, d.dst);
    d.echo = 2;
    t.add(d, sec(0.3));  // the same identifier again: not announced twice
    add_flow(t, kProtoTcp, "10.0.0.1", 45000, "192.0.2.7", 443, 600, sec(0.4));
    CHECK(attr.stats().queued == 3);
    t.tick(sec(1));
    attr.update(t, sec(1));
    const FlowOwner* ping = attr.owner(fk(kProtoIcmp, "10.0.0.1", 0, "192.0.2.7", 0));
    REQUIRE(ping);
    REQUIRE(ping->proc);
    CHECK(ping->proc->pid == 810);
    CHECK(ping->uid == 1000);
    CHECK(attr.stats().fast_found == 2);
    const FlowOwner* cli = attr.owner(fk(kProtoTcp, "10.0.0.1", 45000, "192.0.2.7", 443));
    REQUIRE(cli);
    REQUIRE(cli->proc);
    CHECK(cli->proc->pid == 811);
    CHECK(owner_label(*cli) == "[811:cli]");
}

TEST_CASE("owners that exit: the flow moves to the process still holding its socket, else keeps its owner") {
    FakeProc p;
    p.proc(900, "daemon", "", "", 100);
    p.sock("tcp", "10.0.0.1", 46000, "192.0.2.7", 443, kEstablished, 9000);
    p.fd(900, 3, 9000);
    p.proc(901, "oneshot", "", "", 100);
    p.sock("tcp", "10.0.0.1", 46001, "192.0.2.7", 443, kEstablished, 9001);
    p.fd(901, 3, 9001);
    FlowAttribution::Config c;
    c.resolver = p.cfg();
    c.background = false;
    c.exe_facts = false;
    FlowAttribution attr(c);
    AccountingConfig ac;
    ac.local_addrs = {ip("10.0.0.1")};
    FlowTable t(ac);
    t.set_origin(0);
    add_flow(t, kProtoTcp, "10.0.0.1", 46000, "192.0.2.7", 443, 100, sec(0.1));
    add_flow(t, kProtoTcp, "10.0.0.1", 46001, "192.0.2.7", 443, 100, sec(0.1));
    t.tick(sec(1));
    attr.update(t, sec(1));
    REQUIRE(attr.owner(fk(kProtoTcp, "10.0.0.1", 46000, "192.0.2.7", 443))->proc);
    CHECK(attr.owner(fk(kProtoTcp, "10.0.0.1", 46000, "192.0.2.7", 443))->proc->pid == 900);
    // fork + exit: 902 holds the socket, 900 is gone; 901 exits and its socket with it
    p.proc(902, "daemon", "", "", 150);
    p.fd(902, 3, 9000);
    p.kill(900);
    p.kill(901);
    p.clear_net("tcp");
    p.sock("tcp", "10.0.0.1", 46000, "192.0.2.7", 443, kEstablished, 9000);
    add_flow(t, kProtoTcp, "10.0.0.1", 46000, "192.0.2.7", 443, 100, sec(1.5));
    add_flow(t, kProtoTcp, "10.0.0.1", 46001, "192.0.2.7", 443, 100, sec(1.5));
    t.tick(sec(2));
    attr.update(t, sec(2));
    const FlowOwner* moved = attr.owner(fk(kProtoTcp, "10.0.0.1", 46000, "192.0.2.7", 443));
    REQUIRE(moved->proc);
    CHECK(moved->proc->pid == 902);
    const FlowOwner* kept = attr.owner(fk(kProtoTcp, "10.0.0.1", 46001, "192.0.2.7", 443));
    REQUIRE(kept->proc);
    CHECK(kept->proc->pid == 901);
    CHECK(attr.stats().owner_changes == 1);
}

TEST_CASE("a socket whose process cannot be read shows its uid; the Processes view groups it by user") {
    FakeProc p;
    p.sock("tcp", "10.0.0.1", 47000, "192.0.2.7", 443, kEstablished, 9500, 0);
    fs::create_directories(p.root + "/950");
    write_file(p.root + "/950/fd", "not a directory");  // as another user's /proc/<pid>/fd fails without root
    FlowAttribution::Config c;
    c.resolver = p.cfg();
    c.background = false;
    c.exe_facts = false;
    FlowAttribution attr(c);
    AccountingConfig ac;
    ac.local_addrs = {ip("10.0.0.1")};
    FlowTable t(ac);
    t.set_origin(0);
    add_flow(t, kProtoTcp, "10.0.0.1", 47000, "192.0.2.7", 443, 100, sec(0.1));
    t.tick(sec(1));
    attr.update(t, sec(1));
    const FlowOwner* o = attr.owner(fk(kProtoTcp, "10.0.0.1", 47000, "192.0.2.7", 443));
    REQUIRE(o);
    CHECK(!o->proc);
    CHECK(o->uid == 0);
    CHECK(o->user == "root");
    CHECK(owner_label(*o) == "[root]");
    CHECK(attr.level() == Attribution::partial);
    const auto groups = group_by_process(t.sorted_flows(SortKey::total_bytes), attr);
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].name == "[root]");
    const std::string js = json_snapshot(t, "eth0", 0, false, &attr);
    CHECK(js.find("\"pid\":null,\"process\":null,\"container\":null,\"uid\":0,") != std::string::npos);
}
}  // TEST_SUITE

TEST_SUITE("real /proc") {
TEST_CASE("the process connector, where it listens, reports a child's fork and exit to the started worker") {
    FlowAttribution::Config c;
    c.exe_facts = false;
    FlowAttribution attr(c);
    attr.start();
    if (!attr.stats().proc_connector) {
        MESSAGE("process connector not available here (needs CAP_NET_ADMIN in the initial network namespace)");
        return;
    }
    for (int i = 0; i < 3; ++i) {
        const pid_t p = fork();
        if (p == 0) _exit(0);
        int st = 0;
        waitpid(p, &st, 0);
    }
    for (int i = 0; i < 100 && attr.stats().proc_events < 6; ++i) usleep(10000);
    CHECK(attr.stats().proc_events >= 6);  // three forks, three exits (and whatever else ran meanwhile)
}

TEST_CASE("this process's own sockets: TCP listener + client + accepted, UDP unconnected and connected") {
    if (access("/proc/self/fd", R_OK) != 0) return;
    auto bound = [](int type, uint16_t& port) {
        const int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        return s;
    };
    auto connect_to = [](int s, uint16_t port) {
        sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        return connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    };
    uint16_t lp = 0, cp = 0, up = 0, vp = 0;
    const int l = bound(SOCK_STREAM, lp);
    REQUIRE(listen(l, 4) == 0);
    const int c = bound(SOCK_STREAM, cp);
    REQUIRE(connect_to(c, lp) == 0);
    const int a = accept(l, nullptr, nullptr);
    const int u = bound(SOCK_DGRAM, up);
    const int v = bound(SOCK_DGRAM, vp);
    REQUIRE(connect_to(v, up) == 0);
    ProcessResolver r;  // the real /proc, sock_diag when the kernel has it
    CHECK(r.level() != Attribution::off);
    CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.1", cp, "127.0.0.1", lp), sec(1)) == getpid());
    CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.1", lp, "127.0.0.1", cp), sec(1)) == getpid());
    CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.1", lp, "127.0.0.1", 1), sec(1)) == getpid());  // via the listener
    CHECK(pid_of(r, fk(kProtoUdp, "127.0.0.1", up, "192.0.2.7", 53), sec(1)) == getpid());
    CHECK(pid_of(r, fk(kProtoUdp, "127.0.0.1", vp, "127.0.0.1", up), sec(1)) == getpid());
    CHECK(pid_of(r, fk(kProtoUdp, "127.0.0.1", 1, "192.0.2.7", 53), sec(1)) == 0);
    MESSAGE("sock_diag queries: " << r.stats().diag_queries << ", /proc/net reads: " << r.stats().net_reads);
    for (int fd : {l, c, a, u, v}) close(fd);
}

TEST_CASE("this process's own sockets over IPv6: a dual-stack listener with an IPv4 and an IPv6 client") {
    if (access("/proc/self/fd", R_OK) != 0) return;
    const int l = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int off = 0;
    setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    sockaddr_in6 a6 {};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_any;
    if (bind(l, reinterpret_cast<sockaddr*>(&a6), sizeof a6) != 0 || listen(l, 4) != 0) { close(l); return; }  // no IPv6
    socklen_t len = sizeof a6;
    getsockname(l, reinterpret_cast<sockaddr*>(&a6), &len);
    const uint16_t lp = ntohs(a6.sin6_port);
    // IPv4 client to the dual-stack server: its accepted socket is ::ffff:127.0.0.1 in tcp6
    const int c4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a4 {};
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a4.sin_port = htons(lp);
    REQUIRE(connect(c4, reinterpret_cast<sockaddr*>(&a4), sizeof a4) == 0);
    len = sizeof a4;
    getsockname(c4, reinterpret_cast<sockaddr*>(&a4), &len);
    const uint16_t p4 = ntohs(a4.sin_port);
    const int s4 = accept(l, nullptr, nullptr);
    const int c6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 b6 {};
    b6.sin6_family = AF_INET6;
    b6.sin6_addr = in6addr_loopback;
    b6.sin6_port = htons(lp);
    const bool have6 = connect(c6, reinterpret_cast<sockaddr*>(&b6), sizeof b6) == 0;
    len = sizeof b6;
    getsockname(c6, reinterpret_cast<sockaddr*>(&b6), &len);
    const int s6 = have6 ? accept(l, nullptr, nullptr) : -1;
    for (bool diag : {true, false}) {  // the kernel's lookup, and the /proc/net tables
        ProcessResolver::Config cfg;
        cfg.sock_diag = diag;
        ProcessResolver r(cfg);
        CAPTURE(diag);
        CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.1", lp, "127.0.0.1", p4), sec(1)) == getpid());  // mapped, exact
        CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.1", p4, "127.0.0.1", lp), sec(1)) == getpid());
        // a closed connection on any local address goes to the wildcard dual-stack listener
        CHECK(pid_of(r, fk(kProtoTcp, "127.0.0.2", lp, "192.0.2.7", 9), sec(1)) == getpid());
        if (have6) {
            CHECK(pid_of(r, fk(kProtoTcp, "::1", ntohs(b6.sin6_port), "::1", lp), sec(1)) == getpid());
            CHECK(pid_of(r, fk(kProtoTcp, "::1", lp, "::1", ntohs(b6.sin6_port)), sec(1)) == getpid());
        }
        if (!diag) CHECK(r.stats().diag_queries == 0);
    }
    for (int fd : {l, c4, s4, c6, s6}) if (fd >= 0) close(fd);
}
}  // TEST_SUITE

TEST_SUITE("attribution level (F16)") {
TEST_CASE("a socket no visible process holds (hidepid, another pid namespace) makes attribution partial") {
    FakeProc p;
    p.proc(900, "mine");
    p.sock("tcp", "10.0.0.1", 1000, "192.0.2.7", 80, kEstablished, 9000);
    p.fd(900, 3, 9000);
    p.sock("tcp", "10.0.0.1", 1001, "192.0.2.7", 80, kEstablished, 9100);  // its process is hidden from us
    ProcessResolver r(p.cfg());
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 1000, "192.0.2.7", 80), sec(1)) == 900);
    CHECK(r.level() == Attribution::full);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 1001, "192.0.2.7", 80), sec(2)) == 0);
    CHECK(r.level() == Attribution::partial);
    // forwarded traffic (no socket on this host at all) is not a blind spot
    FakeProc q;
    q.proc(900, "mine");
    ProcessResolver r2(q.cfg());
    CHECK(pid_of(r2, fk(kProtoTcp, "10.0.0.1", 1002, "192.0.2.7", 80), sec(1)) == 0);
    CHECK(r2.level() == Attribution::full);
    // the hidden process becomes visible: full again once the lookup finds it
    p.proc(901, "other");
    p.fd(901, 3, 9100);
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 1001, "192.0.2.7", 80), sec(4)) == 901);
    CHECK(r.level() == Attribution::full);
}

TEST_CASE("an lsof that lists no socket makes attribution partial") {
    FakeProc p;
    fs::remove_all(p.root + "/net");  // no socket tables: lsof mode (sock_diag is for the real /proc only)
    char tmpl[] = "/tmp/iftop-fakelsof-XXXXXX";
    const std::string bin = mkdtemp(tmpl);
    write_file(bin + "/lsof", "#!/bin/sh\nexit 0\n");
    fs::permissions(bin + "/lsof", fs::perms::owner_all);
    const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    setenv("PATH", (bin + ":" + old_path).c_str(), 1);
    ProcessResolver::Config c = p.cfg();
    c.allow_lsof = true;
    ProcessResolver r(c);
    CHECK(r.level() == Attribution::full);  // nothing asked yet
    CHECK(pid_of(r, fk(kProtoTcp, "10.0.0.1", 1000, "192.0.2.7", 80), sec(1)) == 0);
    CHECK(r.level() == Attribution::partial);
    setenv("PATH", old_path.c_str(), 1);
    fs::remove_all(bin);
}
}  // TEST_SUITE
