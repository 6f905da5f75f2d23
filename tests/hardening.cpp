// Hardening unit tests: the one safe file writer, the capped reader, the config writer and reader, the invoking
// user, option values. No tty or network; the parts that need root (someone else's file) skip without it.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define IFTOP_IMPLEMENTATION
#include "../iftop.hpp"

#include <clocale>
#include <csignal>
#include <cwchar>
#include <fstream>
#include <iterator>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace iftop;
using namespace iftop::detail;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        std::string t = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/iftop-hard-XXXXXX";
        std::vector<char> b(t.begin(), t.end());
        b.push_back('\0');
        REQUIRE(mkdtemp(b.data()) != nullptr);
        path = b.data();
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string operator/(const std::string& n) const { return path + "/" + n; }
};

std::string slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
int entries(const std::string& dir) {
    int n = 0;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) n += std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0;
        closedir(d);
    }
    return n;
}
unsigned mode_of(const std::string& p) {
    struct stat st {};
    REQUIRE(lstat(p.c_str(), &st) == 0);
    return unsigned(st.st_mode) & 07777;
}

}  // namespace

TEST_SUITE("safe file writer") {
TEST_CASE("write_file_atomic replaces a file whole, keeps its mode, leaves no temporary file") {
    TempDir d;
    const std::string f = d / "rc";
    REQUIRE(write_file_atomic(f, "one\n", 0600));
    CHECK(slurp(f) == "one\n");
    CHECK(mode_of(f) == 0600);
    REQUIRE(chmod(f.c_str(), 0640) == 0);
    REQUIRE(write_file_atomic(f, "two\n"));
    CHECK(slurp(f) == "two\n");
    CHECK(mode_of(f) == 0640);
    CHECK(entries(d.path) == 1);
}

TEST_CASE("write_file_atomic never writes through a symbolic link, a FIFO or a directory") {
    TempDir d;
    const std::string victim = d / "victim", link = d / "rc";
    spit(victim, "secret\n");
    REQUIRE(symlink(victim.c_str(), link.c_str()) == 0);
    auto r = write_file_atomic(link, "owned\n");
    REQUIRE(!r);
    CHECK(r.error().message.find("symbolic link") != std::string::npos);
    CHECK(slurp(victim) == "secret\n");
    char buf[256] = {};
    REQUIRE(readlink(link.c_str(), buf, sizeof buf - 1) > 0);
    CHECK(std::string(buf) == victim);
    const std::string fifo = d / "fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(!write_file_atomic(fifo, "x"));
    CHECK(!write_file_atomic(d.path, "x"));
    CHECK(entries(d.path) == 3);  // victim, link, fifo: no temporary file left
}

TEST_CASE("write_file_atomic ignores a link planted at the old predictable temporary name") {
    TempDir d;
    const std::string victim = d / "victim", f = d / "rc";
    spit(victim, "keep\n");
    const std::string old_tmp = f + ".tmp." + std::to_string(getpid());
    REQUIRE(symlink(victim.c_str(), old_tmp.c_str()) == 0);
    REQUIRE(write_file_atomic(f, "new\n"));
    CHECK(slurp(f) == "new\n");
    CHECK(slurp(victim) == "keep\n");
}

TEST_CASE("write_file_atomic refuses to replace someone else's file (root only)") {
    if (geteuid() != 0) return;
    TempDir d;
    const std::string f = d / "theirs";
    spit(f, "theirs\n");
    REQUIRE(chown(f.c_str(), 65534, 65534) == 0);
    auto r = write_file_atomic(f, "mine\n");
    REQUIRE(!r);
    CHECK(r.error().message.find("belongs to uid 65534") != std::string::npos);
    CHECK(slurp(f) == "theirs\n");
}

TEST_CASE("write_file_atomic names the real errno") {
    auto r = write_file_atomic("/nonexistent-dir-iftop/rc", "x");
    REQUIRE(!r);
    CHECK(r.error().message == "cannot write /nonexistent-dir-iftop/rc: No such file or directory");
}

TEST_CASE("create_file_unique: a new name each time, 0600, never through a planted link") {
    TempDir d;
    const std::string victim = d / "victim";
    spit(victim, "keep\n");
    REQUIRE(symlink(victim.c_str(), (d / "export.txt").c_str()) == 0);  // planted at the first name
    auto a = create_file_unique(d.path, "export", ".txt", "rows\n");
    REQUIRE(a);
    CHECK(*a == d / "export-2.txt");
    CHECK(slurp(*a) == "rows\n");
    CHECK(mode_of(*a) == 0600);
    CHECK(slurp(victim) == "keep\n");
    auto b = create_file_unique(d.path, "export", ".txt", "more\n");
    REQUIRE(b);
    CHECK(*b == d / "export-3.txt");
    CHECK(slurp(*a) == "rows\n");
}

TEST_CASE("create_file_unique: a write that fails removes the file and names the errno") {
    TempDir d;
    // EFBIG stands in for ENOSPC: the file size limit makes write(2) fail part way through.
    struct rlimit old {};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 4096;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto r = create_file_unique(d.path, "big", ".txt", std::string(100000, 'x'));
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    REQUIRE(!r);
    CHECK(r.error().message == "cannot write " + d / "big.txt" + ": File too large");
    CHECK(entries(d.path) == 0);
    auto e = create_file_unique("/nonexistent-dir-iftop", "x", ".txt", "x");
    REQUIRE(!e);
    CHECK(e.error().message.find("No such file or directory") != std::string::npos);
}
}

TEST_SUITE("capped reader") {
TEST_CASE("read_file_capped: regular files only, never blocks on a FIFO, a size cap") {
    TempDir d;
    spit(d / "small", "abc");
    auto ok = read_file_capped(d / "small", 10);
    REQUIRE(ok);
    CHECK(*ok == "abc");
    CHECK(!read_file_capped(d / "small", 2));
    const std::string fifo = d / "fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    auto f = read_file_capped(fifo, 10);  // would block for ever without O_NONBLOCK
    REQUIRE(!f);
    CHECK(f.error().message.find("not a regular file") != std::string::npos);
    auto z = read_file_capped("/dev/zero", kConfigMax);
    REQUIRE(!z);
    CHECK(z.error().message.find("not a regular file") != std::string::npos);
    FileFacts facts;
    CHECK(!read_file_capped(d / "none", 10, &facts));
    CHECK(!facts.exists);
    CHECK(facts.open_errno == ENOENT);
    REQUIRE(symlink((d / "small").c_str(), (d / "link").c_str()) == 0);
    CHECK(read_file_capped(d / "link", 10));
    CHECK(!read_file_capped(d / "link", 10, nullptr, true));
}
}

TEST_SUITE("config file") {
TEST_CASE("config_set refuses a config that is a link; the link's target is unchanged") {
    TempDir d;
    const std::string victim = d / "shadow", rc = d / "rc";
    spit(victim, "root:$6$x:19000:0:99999:7:::\n");
    REQUIRE(symlink(victim.c_str(), rc.c_str()) == 0);
    auto r = config_set(rc, {{"show-bars", "no"}});
    REQUIRE(!r);
    CHECK(r.error().message.find("symbolic link") != std::string::npos);
    CHECK(slurp(victim) == "root:$6$x:19000:0:99999:7:::\n");
}

TEST_CASE("config_set creates a new config 0600 and keeps an existing one's lines") {
    TempDir d;
    const std::string rc = d / "rc";
    REQUIRE(config_set(rc, {{"theme", "AcidRain"}}));
    CHECK(slurp(rc) == "theme: AcidRain\n");
    CHECK(mode_of(rc) == 0600);
    spit(rc, "# mine\ntheme: AcidRain\n");
    REQUIRE(config_set(rc, {{"theme", "NeonSprawl"}}));
    CHECK(slurp(rc) == "# mine\ntheme: NeonSprawl\n");
}

TEST_CASE("a FIFO or a device as config file: refused at once") {
    TempDir d;
    const std::string fifo = d / "fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    Invoker who = invoking_user();
    FileFacts facts;
    CHECK(!read_config_file(fifo, who, facts));
    FileFacts f2;
    CHECK(!read_config_file("/dev/zero", who, f2));
}
}

TEST_SUITE("invoking user") {
struct EnvGuard {
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    void set(const char* k, const char* v) {
        const char* o = std::getenv(k);
        saved.emplace_back(k, o ? std::optional<std::string>(o) : std::nullopt);
        if (v) setenv(k, v, 1);
        else unsetenv(k);
    }
    ~EnvGuard() {
        for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
            if (it->second) setenv(it->first.c_str(), it->second->c_str(), 1);
            else unsetenv(it->first.c_str());
        }
    }
};

TEST_CASE("under sudo the invoking user is SUDO_UID/SUDO_GID; SUDO_USER alone is not trusted") {
    if (getuid() != 0) return;
    EnvGuard g;
    g.set("SUDO_USER", "nobody");
    g.set("SUDO_UID", "65534");
    g.set("SUDO_GID", "65534");
    Invoker who = invoking_user();
    CHECK(who.uid == 65534);
    CHECK(who.gid == 65534);
    CHECK(who.via_sudo);
    if (const struct passwd* pw = getpwuid(65534)) CHECK(who.home == pw->pw_dir);
    g.set("SUDO_UID", nullptr);
    g.set("SUDO_GID", nullptr);
    Invoker w2 = invoking_user();  // su -p / doas: SUDO_USER is stale; the tty owner or the real uid
    CHECK(w2.uid != 65534);
}
}

TEST_SUITE("option values") {
TEST_CASE("empty -r, -i and -c values are usage errors") {
    for (const char* flag : {"-r", "-i", "-c"}) {
        const char* argv[] = {"iftop", flag, ""};
        auto r = parse_args(3, argv);
        REQUIRE(!r);
        CHECK(r.error().code == Errc::usage);
        CHECK(r.error().message.find("not ''") != std::string::npos);
    }
}
}

TEST_SUITE("bad values") {
TEST_CASE("-m, max-bandwidth and alert-threshold refuse rates beyond 1000000G (F5, F14)") {
    for (const char* v : {"1e300G", "1e16", "2000000G", "inf", "nan", "-1M"}) {
        const char* argv[] = {"iftop", "-m", v};
        auto r = parse_args(3, argv);
        REQUIRE(!r);
        CHECK(r.error().code == Errc::usage);
        Options o;
        CHECK(!apply_config_text(std::string("max-bandwidth: ") + v + "\n", o));
        CHECK(!apply_config_text(std::string("alert-threshold: ") + v + "\n", o));
    }
    const char* ok[] = {"iftop", "-m", "1000000G"};  // the largest accepted (K, M, G are 1024-based, as iftop's)
    auto r = parse_args(3, ok);
    REQUIRE(r);
    CHECK(r->max_bandwidth == 1e6 * 1024.0 * 1024 * 1024);
}
}

TEST_SUITE("flow table") {
TEST_CASE("tick after add() far ahead of the last tick is O(flows), and the peaks stay right (F12)") {
    FlowTable t;
    t.set_origin(0);
    const Micros far = Micros(1) << 59;  // ~18 000 years of seconds between the origin and the traffic
    for (int i = 0; i < 2000; ++i) {
        Decoded d;
        d.ok = true;
        d.proto = kProtoUdp;
        d.src = *IpAddr::parse("10.0.0.1");
        d.dst = *IpAddr::parse("10.0.0.2");
        d.sport = uint16_t(1000 + i);
        d.dport = 53;
        d.bytes = 100;
        t.add(d, far);
    }
    // Walking every second of the gap would be 5.8e11 seconds × 2000 flows: this only ends because it jumps.
    t.tick(far + 3 * kMicrosPerSecond);
    CHECK(t.size() == 2000);
    const FlowView tot = t.totals();
    CHECK(tot.counts.bytes[0] + tot.counts.bytes[1] == 200000);
    CHECK(t.peak_total() == doctest::Approx(100000.0));  // 200 000 bytes in one second, the 2 s average
}
}

TEST_SUITE("sanitiser") {
TEST_CASE("printable(): bidi controls and zero-width format characters become one '?' each (F8)") {
    CHECK(printable("evil\xe2\x80\xae" "cod.exe") == "evil?cod.exe");        // U+202E RIGHT-TO-LEFT OVERRIDE
    CHECK(printable("a\xe2\x80\x8e" "b\xe2\x81\xa6" "c\xe2\x81\xa9") == "a?b?c?");  // U+200E, U+2066, U+2069
    CHECK(printable("zw\xe2\x80\x8bsp\xef\xbb\xbf") == "zw?sp?");           // U+200B, U+FEFF
    CHECK(printable("soft\xc2\xadhyphen") == "soft?hyphen");                  // U+00AD
    CHECK(printable("tag\xf3\xa0\x80\x81") == "tag?");                        // U+E0001
    CHECK(printable("\x1b]52;c;AAAA\x07") == "?]52;c;AAAA?");
    CHECK(printable("\xc2\x9b" "31m") == "??31m");                            // C1 CSI: one '?' per byte
    CHECK(printable("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
}

TEST_CASE("codepoint_width agrees with glibc's wcwidth on the ranges that matter") {
    REQUIRE(setlocale(LC_CTYPE, "C.UTF-8") != nullptr);
    const std::pair<uint32_t, uint32_t> ranges[] = {
        {0xa0, 0x52f},     {0x591, 0x5f4},     {0x600, 0x6ff},     {0x900, 0x97f},   {0xe00, 0xe7f},
        {0x1100, 0x11ff},  {0x2000, 0x206f},   {0x20a0, 0x20ff},   {0x2190, 0x27bf}, {0x2e80, 0x2fdf},
        {0x3000, 0x30ff},  {0x4e00, 0x4e80},   {0xac00, 0xac80},   {0xfe00, 0xfe6f}, {0xff00, 0xffef},
        {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff}, {0x1f900, 0x1f9ff}, {0x20000, 0x20080}};
    int checked = 0;
    std::vector<std::string> diff;
    for (auto [lo, hi] : ranges) {
        for (uint32_t cp = lo; cp <= hi; ++cp) {
            const int w = wcwidth(wchar_t(cp));
            if (w < 0) continue;  // unassigned in glibc's table, or a control
            ++checked;
            if (codepoint_width(cp) != w) {
                char b[48];
                std::snprintf(b, sizeof b, "U+%04X ours %d wcwidth %d", cp, codepoint_width(cp), w);
                diff.push_back(b);
            }
        }
    }
    std::string all; for (const auto& d : diff) all += d + "; ";
    INFO(checked << " code points; differences: " << all);
    CHECK(checked > 6000);
    CHECK(diff.size() == 0);
    for (uint32_t cp : {0x202eu, 0x200bu, 0x2066u, 0xfeffu}) CHECK(codepoint_width(cp) == 0);
}

TEST_CASE("the screen shows a bidi control as '?' and counts it one column") {
    Screen scr(20, 1);
    const int n = scr.text(0, 0, "a\xe2\x80\xae" "b", 0xffffff, 0);
    CHECK(n == 3);
    CHECK(scr.at(1, 0).ch == '?');
    CHECK(scr.at(2, 0).ch == 'b');
}
}

TEST_SUITE("input parser") {
TEST_CASE("CSI parameters are clamped: no overflow, no unbounded buffer (F13)") {
    InputParser ip;
    std::vector<InputEvent> ev;
    ip.feed("\x1b[1;-2147483648O", ev);  // UBSan: the old parser computed INT_MIN - 1
    ip.feed("\x1b[99999999999999999999;2147483647A", ev);
    ip.feed("\x1b[<2147483647;2147483647;-5M", ev);
    ip.flush(ev);
    bool mouse_ok = false;
    for (const InputEvent& e : ev)
        if (e.type == InputEvent::mouse) mouse_ok = e.x == 65534 && e.y == 0;
    CHECK(mouse_ok);
    ev.clear();
    InputParser big;
    big.feed("\x1b[", ev);
    for (int i = 0; i < 10000; ++i) big.feed("1;", ev);  // a parameter string that goes on and on
    big.feed("q", ev);                                    // its final byte (ECMA-48: 0x40-0x7e ends a CSI)
    big.feed("j", ev);
    big.flush(ev);
    std::string keys;
    for (const InputEvent& e : ev)
        if (e.type == InputEvent::key && e.code < 0x80) keys += char(e.code);
    CHECK(keys == "j");  // the long CSI was dropped whole (no '1', ';' or 'q' as keys: 1 would sort) and typing works
    // The same cut anywhere: an over-long CSI split across reads, then a key in the same read as its end.
    ev.clear();
    InputParser split;
    split.feed("\x1b[" + std::string(100, '2'), ev);
    split.feed(std::string(50, ';') + "~x", ev);
    split.flush(ev);
    keys.clear();
    for (const InputEvent& e : ev)
        if (e.type == InputEvent::key && e.code < 0x80) keys += char(e.code);
    CHECK(keys == "x");
}
}
