// The screen, without a tty: render into a Screen, diff into bytes, parse input bytes. Linked into tests/unit.
#include <doctest/doctest.h>

#include "../iftop.hpp"
#include <set>
#include "frames.hpp"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <iterator>
#include <regex>
#include <unistd.h>

using namespace iftop;

namespace {
FlowTable& sample_table() {
    static FlowTable t;
    static bool init = false;
    if (!init) {
        init = true;
        using namespace testframes;
        const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {192, 0, 2, 7}, c[4] = {198, 51, 100, 9};
        t.set_origin(0);
        for (int s = 0; s < 12; ++s) {
            for (int k = 0; k < 10; ++k) {
                auto d1 = decode_frame(1, eth(0x0800, ipv4(a, b, 6, l4(40000, 443, 1000))).data(), 1034, 1034);
                auto d2 = decode_frame(1, eth(0x0800, ipv4(b, a, 6, l4(443, 40000, 200))).data(), 234, 234);
                auto d3 = decode_frame(1, eth(0x0800, ipv4(a, c, 17, l4(5353, 53, 60))).data(), 94, 94);
                t.add(d1, Micros(s) * 1000000 + k * 1000);
                t.add(d2, Micros(s) * 1000000 + k * 1000 + 1);
                if (s % 2 == 0) t.add(d3, Micros(s) * 1000000 + k * 1000 + 2);
            }
            t.tick(Micros(s + 1) * 1000000);
        }
    }
    return t;
}

ViewModel model(const ViewState& st, const FlowTable& t) {
    ViewModel vm;
    vm.rows = view_rows(t.sorted_flows(SortKey::total_bytes), st, {}, nullptr);
    vm.totals = t.totals();
    vm.peak_total = t.peak_total();
    vm.interface = "eth0";
    vm.clock = "12:00:00";
    return vm;
}

/// One key through apply_input, as the loop does (screen 24 rows, 8 rows per page).
InputAction press(ViewState& st, const ViewModel& vm, std::vector<FlowKey>& frozen, uint32_t code) {
    InputEvent e;
    e.code = code;
    return apply_input(e, st, vm, 24, 8, frozen);
}
/// One mouse press at (x, y).
InputAction click(ViewState& st, const ViewModel& vm, std::vector<FlowKey>& frozen, int button, int x, int y) {
    InputEvent e;
    e.type = InputEvent::mouse;
    e.button = button;
    e.x = x;
    e.y = y;
    return apply_input(e, st, vm, 24, 8, frozen);
}
}  // namespace

TEST_SUITE("screen") {
TEST_CASE("80x24: iftop's layout as text") {
    Screen scr(80, 24);
    ViewState st;
    st.show_ports = true;
    st.port_names = false;
    render(scr, st, model(st, sample_table()));
    const std::string d = scr.dump();
    std::vector<std::string> lines;
    for (size_t p = 0, q; (q = d.find('\n', p)) != std::string::npos; p = q + 1) lines.push_back(d.substr(p, q - p));
    REQUIRE(lines.size() == 24);
    CHECK(lines[0].find("1.00Kb") != std::string::npos);                        // round log scale labels (K = 1024)
    CHECK(lines[2].rfind("10.0.0.1:40000", 0) == 0);                            // first flow: the biggest
    CHECK(lines[2].find("=>  192.0.2.7:443") != std::string::npos);
    CHECK(lines[2].find("  79.7Kb  79.7Kb  79.7Kb") != std::string::npos);      // 10 x 1020 B/s = 79.7 Kb
    CHECK(lines[3].find("<=") != std::string::npos);
    CHECK(lines[3].find("17.2Kb  17.2Kb  17.2Kb") != std::string::npos);        // 10 x 220 B/s
    CHECK(lines[4].find("10.0.0.1:5353") == 0);
    CHECK(lines[4].find("3.12Kb  3.12Kb  3.12Kb") != std::string::npos);        // 800 B/s every other second
    CHECK(lines[19].find("────") == 0);
    CHECK(lines[20].rfind("TX:", 0) == 0);
    CHECK(lines[20].find("cum:") != std::string::npos);
    CHECK(lines[22].rfind("TOTAL:", 0) == 0);
    CHECK(lines[21].find("25.8KB") != std::string::npos);                       // 12 s x 2200 B received
    CHECK(lines[23].find("eth0 │ 2 flows │ 12:00:00 │ sort 10s") != std::string::npos);
}

TEST_CASE("120x40 and a tiny 40x10 draw without garbage") {
    for (auto [w, h] : {std::pair<int, int>{120, 40}, {40, 10}, {20, 6}, {1, 1}}) {
        Screen scr(w, h);
        ViewState st;
        st.show_ports = true;
        render(scr, st, model(st, sample_table()));
        const std::string d = scr.dump();
        CHECK(std::count(d.begin(), d.end(), '\n') == h);
        CHECK(d.find('\x1b') == std::string::npos);
        CAPTURE(d);
        if (w >= 80) CHECK(d.find("10.0.0.1") != std::string::npos);
        if (w >= 40) {
            CHECK(d.find("79.7Kb") != std::string::npos);
            CHECK(d.find("TOTAL:") != std::string::npos);
        }
    }
}

TEST_CASE("the diff renderer: an unchanged frame costs nothing, one changed cell one move and one glyph") {
    Screen scr(200, 60);
    ViewState st;
    const ViewModel vm = model(st, sample_table());
    render(scr, st, vm);
    const std::string first = scr.present(ColorMode::truecolor);
    CHECK(first.size() > 1000);
    CHECK(first.rfind(seq::kSyncBegin, 0) == 0);
    render(scr, st, vm);
    CHECK(scr.present(ColorMode::truecolor).empty());
    scr.at(10, 5).ch = 'X';
    const std::string one = scr.present(ColorMode::truecolor);
    const std::string body = one.substr(std::strlen(seq::kSyncBegin), one.size() - std::strlen(seq::kSyncBegin) -
                                                                          std::strlen(seq::kSyncEnd) - std::strlen(seq::kSgrReset));
    CHECK(body.rfind("\x1b[6;11H", 0) == 0);  // one cursor move (1-based row;col)
    CHECK(body.back() == 'X');
    CHECK(std::count(body.begin(), body.end(), 'H') == 1);
    CHECK(body.size() < 60);
}

TEST_CASE("colour modes: truecolor, 256 and 16 colours, and monochrome that keeps selection and bars") {
    Screen scr(4, 1);
    scr.text(0, 0, "ab", 0xff0000, 0x0000ff);
    CHECK(scr.present(ColorMode::truecolor).find("38;2;255;0;0") != std::string::npos);
    scr.invalidate();
    CHECK(scr.present(ColorMode::c256).find("38;5;196") != std::string::npos);
    scr.invalidate();
    const std::string c16 = scr.present(ColorMode::c16);
    CHECK(c16.find(";91") != std::string::npos);
    CHECK(c16.find(";44") != std::string::npos);
    scr.invalidate();
    CHECK(scr.present(ColorMode::mono).find("38;") == std::string::npos);
    CHECK(detect_color_mode("1", "truecolor", "xterm-256color") == ColorMode::mono);
    CHECK(detect_color_mode("", "truecolor", "xterm") == ColorMode::truecolor);
    CHECK(detect_color_mode(nullptr, nullptr, "xterm-256color") == ColorMode::c256);
    CHECK(detect_color_mode(nullptr, nullptr, "linux") == ColorMode::c16);
    // Monochrome: the selected row and the bars are drawn with attributes.
    Screen m(80, 24);
    ViewState st;
    st.color = ColorMode::mono;
    render(m, st, model(st, sample_table()));
    CHECK((m.at(0, 2).attr & kUnderline) != 0);  // selected row
    CHECK((m.at(0, 4).attr & kReverse) != 0);    // a bar under the second flow
    const std::string out = m.present(ColorMode::mono);
    CHECK(out.find(";7") != std::string::npos);
    CHECK(out.find("38;") == std::string::npos);
}

TEST_CASE("outside text cannot inject escapes; wide glyphs never break the grid") {
    Screen scr(20, 2);
    scr.text(0, 0, "a\x1b]52;c;QUFB\x07\x1b[2J\xc2\x9b" "31m\xffz", 0xffffff, 0);
    const std::string out = scr.present(ColorMode::truecolor);
    CHECK(out.find("\x1b]") == std::string::npos);
    CHECK(out.find('\x07') == std::string::npos);
    CHECK(out.find("\x1b[2J") == std::string::npos);
    CHECK(out.find("\xc2\x9b") == std::string::npos);
    CHECK(scr.dump().substr(0, 20) == "a?]52;c;QUFB??[2J?31");
    Screen w(5, 1);
    CHECK(w.text(0, 0, "日本語", 0xffffff, 0) == 4);  // the third wide glyph does not fit in column 5
    CHECK(w.dump() == "日本 \n");
    ViewModel vm = model(ViewState{}, sample_table());
    vm.host_name = [](const IpAddr&) { return std::string("\x1b[31mevil\x9b\x1b]0;title\x07"); };
    Screen s2(80, 24);
    render(s2, ViewState{}, vm);
    const std::string o2 = s2.present(ColorMode::c256);
    CHECK(o2.find("\x1b[31m") == std::string::npos);
    CHECK(o2.find("\x1b]0") == std::string::npos);
    CHECK(o2.find('\x07') == std::string::npos);
}

TEST_CASE("every theme defines every role, names are unique and findable case-insensitively") {
    CHECK(themes().size() == 32);  // Default + the 31 of themes.inc
    std::set<std::string> names;
    for (const Theme& t : themes()) {
        names.insert(t.name);
        CHECK(find_theme(t.name) == &t);
        CHECK(t[Role::fg] != t[Role::bg]);
        CHECK(t[Role::bar_sent] != t[Role::bar_recv]);
    }
    CHECK(names.size() == themes().size());
    CHECK(find_theme("neonsprawl") != nullptr);
    CHECK(find_theme("IFTOPCOLOR") != nullptr);
    CHECK(find_theme("nope") == nullptr);
    CHECK(std::string(role_name(Role::spark)) == "spark");
}
}

TEST_SUITE("input") {
std::vector<InputEvent> parse_bytewise(const std::string& bytes) {
    InputParser p;
    std::vector<InputEvent> ev;
    for (char c : bytes) p.feed(std::string_view(&c, 1), ev);
    return ev;
}

TEST_CASE("keys, arrows and modifiers, fed one byte at a time") {
    auto ev = parse_bytewise("q\x1b[A\x1b[1;5B\x1bOP\x1b[5~\x1b[3;2~\t\r\x7f\x04" "é\x1b[Z\x1bx");
    REQUIRE(ev.size() == 14);
    CHECK(ev[0].code == 'q');
    CHECK(ev[1].code == uint32_t(Key::up));
    CHECK(ev[2].code == uint32_t(Key::down));
    CHECK(ev[2].ctrl);
    CHECK(ev[3].code == uint32_t(Key::f1));
    CHECK(ev[4].code == uint32_t(Key::page_up));
    CHECK(ev[5].code == uint32_t(Key::del));
    CHECK(ev[5].shift);
    CHECK(ev[6].code == uint32_t(Key::tab));
    CHECK(ev[7].code == uint32_t(Key::enter));
    CHECK(ev[8].code == uint32_t(Key::backspace));
    CHECK(ev[9].code == 'd');
    CHECK(ev[9].ctrl);
    CHECK(ev[10].code == 0xe9);
    CHECK(ev[11].code == uint32_t(Key::backtab));
    CHECK(ev[12].code == uint32_t(Key::escape));  // Esc then a key that forms no sequence: Esc, then the key
    CHECK(ev[13].code == 'x');
    CHECK(!ev[13].alt);
}

TEST_CASE("SGR mouse: press, release, wheel, modifiers, coordinates past 223, several in one read") {
    InputParser p;
    std::vector<InputEvent> ev;
    p.feed("\x1b[<0;5;3M\x1b[<0;5;3m\x1b[<64;1;1M\x1b[<65;300;400M\x1b[<18;10;2M\x1b[<35;7;8M", ev);
    REQUIRE(ev.size() == 6);
    CHECK(ev[0].type == InputEvent::mouse);
    CHECK((ev[0].button == 0 && ev[0].x == 4 && ev[0].y == 2 && ev[0].press));
    CHECK(!ev[1].press);
    CHECK(ev[2].button == 64);
    CHECK((ev[3].button == 65 && ev[3].x == 299 && ev[3].y == 399));
    CHECK((ev[4].button == 2 && ev[4].ctrl));
    CHECK(ev[5].motion);
}

TEST_CASE("a split sequence waits for more; a lone Esc needs the pause; garbage is dropped") {
    InputParser p;
    std::vector<InputEvent> ev;
    p.feed("\x1b[<0;5", ev);
    CHECK(ev.empty());
    CHECK(p.pending());
    p.feed(";3M", ev);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].type == InputEvent::mouse);
    ev.clear();
    p.feed("\x1b", ev);
    CHECK(ev.empty());
    p.flush(ev);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].code == uint32_t(Key::escape));
    ev.clear();
    p.feed("\xff\xfe" "a", ev);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].code == 'a');
    ev.clear();
    p.feed("\x1b[?1;2c" "b", ev);  // a device-attributes reply is not a key
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].code == 'b');
}
}

TEST_SUITE("view") {
TEST_CASE("keys change the view as iftop's do") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    auto key = [&](uint32_t c) { return press(st, vm, frozen, c) != InputAction::quit; };
    CHECK(key('t'));
    CHECK(st.line_mode == ViewState::one_line_both);
    key('p');
    CHECK(st.show_ports);
    key('1');
    CHECK(st.sort == SortKey::rate_2s);
    key('j');
    CHECK(st.selected == 1);
    key('P');
    CHECK(st.paused);
    key('/');
    CHECK(st.editing_filter);
    key('5');
    key('3');
    key(uint32_t(Key::enter));
    CHECK(st.filter == "53");
    CHECK(view_rows(sample_table().sorted_flows(SortKey::total_bytes), st, {}, nullptr).size() == 1);
    key('0');
    CHECK(st.filter.empty());
    key('c');  // the chooser previews as the cursor moves; Esc goes back, Enter keeps
    CHECK(st.chooser);
    key('j');
    CHECK(st.theme == 1);
    key(uint32_t(Key::escape));
    CHECK(st.theme == 0);
    key('c');
    key('j');
    key('j');
    key(uint32_t(Key::enter));
    CHECK(!st.chooser);
    CHECK(st.theme == 2);
    key('v');
    CHECK(st.bar_style == ViewState::gradient);
    CHECK(!key('q'));
}

TEST_CASE("s and d aggregate a side away; without ports flows collapse to host pairs") {
    ViewState st;
    auto rows = view_rows(sample_table().sorted_flows(SortKey::total_bytes), st, {}, nullptr);
    CHECK(rows.size() == 2);  // ports off: (10.0.0.1, 192.0.2.7) and (10.0.0.1, 198.51.100.9)
    st.hide_dst = true;
    rows = view_rows(sample_table().sorted_flows(SortKey::total_bytes), st, {}, nullptr);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].counts.bytes[0] == sample_table().totals().counts.bytes[0]);
}
}

TEST_SUITE("view") {
TEST_CASE("mouse: right click opens the details, middle click pins, the wheel scrolls") {
    ViewState st;
    st.show_ports = true;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    REQUIRE(vm.rows.size() == 2);
    auto mouse = [&](int button, int y) { return click(st, vm, frozen, button, 0, y); };
    mouse(2, 4);  // second flow's first line (rows start at y 2, two lines each)
    CHECK(st.selected == 1);
    CHECK(st.tooltip);
    Screen scr(100, 24);
    render(scr, st, vm);
    CHECK(scr.dump().find("UDP 10.0.0.1:5353 => 198.51.100.9:53") != std::string::npos);
    mouse(0, 2);
    CHECK(!st.tooltip);
    CHECK(st.selected == 0);
    mouse(1, 4);
    REQUIRE(st.pinned.size() == 1);
    CHECK(st.pinned[0] == vm.rows[1].key);
    auto rows = view_rows(sample_table().sorted_flows(SortKey::total_bytes), st, {}, nullptr);
    CHECK(rows[0].key == st.pinned[0]);  // the pinned flow floats to the top
    vm.rows = rows;
    render(scr, st, vm);
    CHECK(scr.dump().find("★ 10.0.0.1:5353") != std::string::npos);
    mouse(1, 2);
    CHECK(st.pinned.empty());
}

TEST_CASE("copy is OSC 52 with base64; the sparkline follows the values; export lists the rows") {
    CHECK(osc52_copy("hi") == "\x1b]52;c;aGk=\x07");
    CHECK(osc52_copy("abc") == "\x1b]52;c;YWJj\x07");
    CHECK(osc52_copy("a") == "\x1b]52;c;YQ==\x07");
    const uint64_t v[5] = {0, 1, 4, 7, 7};
    CHECK(sparkline(v, 5, false) == "▁▂▅██");
    CHECK(sparkline(v, 5, true) == " .=##");
    ViewState st;
    st.show_ports = true;
    const std::string t = export_table(model(st, sample_table()), false);
    CHECK(t.find("TCP 10.0.0.1:40000 => 192.0.2.7:443") != std::string::npos);
    CHECK(t.find("79.7Kb") != std::string::npos);
}

TEST_CASE("Tab cycles the views; without attribution the Processes view says so instead of an empty box") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    press(st, vm, frozen, uint32_t(Key::tab));
    CHECK(st.view == ViewState::processes);
    Screen scr(100, 24);
    render(scr, st, vm);
    CHECK(scr.dump().find("no process data: attribution is off") != std::string::npos);
    CHECK(scr.dump().find(" Flows Processes Publishers │ eth0") != std::string::npos);  // the tab strip
    CHECK((scr.at(7, 23).attr & kUnderline) != 0);                                      // Processes is the tab shown
    press(st, vm, frozen, uint32_t(Key::tab));
    CHECK(st.view == ViewState::publishers);
    press(st, vm, frozen, uint32_t(Key::tab));
    CHECK(st.view == ViewState::flows);
    press(st, vm, frozen, uint32_t(Key::backtab));  // Shift-Tab goes back
    CHECK(st.view == ViewState::publishers);
}
}

TEST_SUITE("view") {
TEST_CASE("alerts mark the flow and the theme chooser draws every theme") {
    ViewState st;
    st.show_ports = true;
    ViewModel vm = model(st, sample_table());
    st.alerting.push_back(vm.rows[0].key);
    st.flash = true;
    Screen scr(100, 30);
    render(scr, st, vm);
    const std::string d = scr.dump();
    CHECK(d.find("!=>") != std::string::npos);
    const Theme& th = themes()[0];
    CHECK(scr.at(0, 30 - 5).fg == th[Role::alert]);  // the separator above the totals blinks in the alert colour
    st.chooser = true;
    st.theme = 5;
    render(scr, st, vm);
    const std::string c = scr.dump();
    CHECK(c.find("> " + std::string(themes()[5].name)) != std::string::npos);
    CHECK(scr.at(20, 2).fg == themes()[5][Role::sel_fg]);  // the screen behind previews it
}
}

TEST_SUITE("config") {
TEST_CASE("config_set keeps comments and unknown keys, replaces known ones in place, writes atomically") {
    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/iftoprc-test-" +
                             std::to_string(getpid());
    {
        std::ofstream f(path);
        f << "# my settings\ninterface: eth0\nfrobnicate: 7\ntheme: AcidRain\n";
    }
    REQUIRE(config_set(path, {{"theme", "NeonSprawl"}, {"show-bars", "no"}}));
    std::ifstream f(path);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(text == "# my settings\ninterface: eth0\nfrobnicate: 7\ntheme: NeonSprawl\nshow-bars: no\n");
    Options o;
    REQUIRE(apply_config_text(text, o));
    CHECK(o.theme == "NeonSprawl");
    CHECK(!o.bars);
    std::remove(path.c_str());
}

TEST_CASE("pinned flows round-trip through the config text") {
    FlowKey a;
    a.proto = kProtoTcp;
    a.local = *IpAddr::parse("10.0.0.1");
    a.local_port = 40000;
    a.remote = *IpAddr::parse("192.0.2.7");
    a.remote_port = 443;
    FlowKey b = a;
    b.proto = 132;
    b.local = *IpAddr::parse("2001:db8::1");
    b.remote = *IpAddr::parse("::ffff:10.0.0.5");
    CHECK(flow_key_text(a) == "TCP 10.0.0.1:40000 192.0.2.7:443");
    CHECK(flow_key_text(b) == "132 [2001:db8::1]:40000 [::ffff:10.0.0.5]:443");
    Options o;
    REQUIRE(apply_config_text("pinned-flows: " + flow_key_text(a) + ", " + flow_key_text(b) + "\n", o));
    REQUIRE(o.pinned.size() == 2);
    CHECK(o.pinned[0] == a);
    CHECK(o.pinned[1] == b);
    CHECK(!apply_config_text("pinned-flows: TCP 10.0.0.1 nonsense\n", o));
    CHECK(!apply_config_text("theme: NoSuchTheme\n", o));
    CHECK(!parse_flow_key("TCP 10.0.0.1:1 ::1:2"));  // families differ
}
}

TEST_SUITE("view") {
TEST_CASE("status bar parts have tooltips: right click opens one, motion over a part arms the hover") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    const auto segs = status_segments(st, vm);
    REQUIRE(segs.size() >= 6);
    CHECK(segs[0].text == "Flows Processes Publishers");
    CHECK(status_segment_at(st, vm, 1) == 0);
    const int theme_x = 1 + int(segs[0].text.size() + segs[1].text.size() + segs[2].text.size() + segs[3].text.size() +
                                segs[4].text.size()) + 5 * 3;
    CHECK(status_segment_at(st, vm, theme_x) == 5);
    InputEvent e;
    e.type = InputEvent::mouse;
    e.button = 2;
    e.x = theme_x;
    e.y = 23;
    apply_input(e, st, vm, 24, 8, frozen);
    CHECK(st.status_tip == 5);
    Screen scr(100, 24);
    render(scr, st, vm);
    CHECK(scr.dump().find("c: theme chooser") != std::string::npos);
    e.button = 3;
    e.motion = true;
    e.x = 1;
    apply_input(e, st, vm, 24, 8, frozen);
    CHECK(st.hover_segment == 0);
    CHECK(st.status_tip == -1);
}
}

TEST_SUITE("view") {
TEST_CASE("x frames the screen and mouse rows still map through the frame") {
    ViewState st;
    st.border = true;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    Screen scr(80, 24);
    render(scr, st, vm);
    const std::string d = scr.dump();
    CHECK(d.rfind("╭───", 0) == 0);
    CHECK(d.find("│10.0.0.1") != std::string::npos);
    InputEvent e;
    e.type = InputEvent::mouse;
    e.button = 0;
    e.y = 5;  // the frame's row 5 is the inner row 4: the second flow
    apply_input(e, st, vm, 24, 8, frozen);
    CHECK(st.selected == 1);
}
}

TEST_SUITE("view") {
TEST_CASE("i asks for the interface list; the chooser moves and asks to switch on Enter") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    auto key = [&](uint32_t c) { return press(st, vm, frozen, c); };
    CHECK(key('i') == InputAction::list_interfaces);
    st.interfaces = {"eth0", "any", "lo"};
    CHECK(key(uint32_t(Key::down)) == InputAction::none);
    CHECK(st.interface_sel == 1);
    Screen scr(80, 24);
    render(scr, st, vm);
    CHECK(scr.dump().find("> any") != std::string::npos);
    CHECK(key(uint32_t(Key::enter)) == InputAction::switch_interface);
    key(uint32_t(Key::escape));
    CHECK(st.interfaces.empty());
}
}

TEST_SUITE("view") {
TEST_CASE("column titles on the scale line: a click sorts by that column, a second click reverses") {
    ViewState st;
    st.screen_w = 80;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    Screen scr(80, 24);
    render(scr, st, vm);
    const std::string line1 = scr.dump().substr(scr.dump().find('\n') + 1, 400);
    CHECK(line1.find("2s") != std::string::npos);
    CHECK(line1.find("40s") != std::string::npos);
    auto title = [&](int x) { click(st, vm, frozen, 0, x, 1); };
    title(80 - 24 + 3);  // the 2 s column
    CHECK(st.sort == SortKey::rate_2s);
    title(80 - 24 + 3);
    CHECK(st.reverse);
    title(80 - 2);  // the 40 s column
    CHECK(st.sort == SortKey::rate_40s);
    CHECK(!st.reverse);
    title(2);
    CHECK(st.sort == SortKey::source);
}
}

namespace {
std::vector<std::string> screen_lines(const Screen& scr) {
    const std::string d = scr.dump();
    std::vector<std::string> lines;
    for (size_t p = 0, q; (q = d.find('\n', p)) != std::string::npos; p = q + 1) lines.push_back(d.substr(p, q - p));
    return lines;
}
int cols_of(const std::string& s) {  // columns of UTF-8 text (the tests' own count, every glyph here is narrow)
    int n = 0;
    for (unsigned char c : s) n += (c & 0xc0) != 0x80;
    return n;
}
FlowView v6_flow() {
    FlowView f;
    f.key.proto = kProtoTcp;
    f.key.local = *IpAddr::parse("2001:db8::31");
    f.key.local_port = 22;
    f.key.remote = *IpAddr::parse("fd77::1");
    f.key.remote_port = 40964;
    f.rates.v[0][1] = 1000;
    return f;
}
}  // namespace

TEST_SUITE("commands") {
TEST_CASE("one command table: every key dispatches, has help, and help fits in 80 columns") {
    std::set<uint32_t> keys;
    for (const Command& c : commands()) {
        CAPTURE(c.label);
        CHECK(std::strlen(c.help) > 0);
        for (uint32_t k : c.keys) {
            if (!k) continue;
            CHECK(keys.insert(k).second);  // no key bound twice
        }
    }
    const std::vector<std::string> help = help_lines();
    std::string all;
    for (const std::string& l : help) {
        CAPTURE(l);
        CHECK(cols_of(l) <= 76);  // inside the frame of an 80-column box: never cut
        all += l + "\n";
    }
    for (const char* must : {" v ", " f ", " R ", " Z ", " 0 ", "Ctrl-D", "Ctrl-U", " i ", " C ", " H ", "interface chooser",
                             "theme chooser"})
        CHECK(all.find(must) != std::string::npos);
    CHECK(all.find("next theme") == std::string::npos);
    // The help on screen: framed, titled, and j scrolls it instead of moving the selection behind.
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    press(st, vm, frozen, 'h');
    REQUIRE(st.help);
    press(st, vm, frozen, 'j');
    CHECK(st.selected == 0);
    CHECK(st.help_scroll == 1);
    Screen scr(80, 24);
    render(scr, st, vm);
    const auto lines = screen_lines(scr);
    CHECK(lines[0].rfind("╭─ iftop.hpp", 0) == 0);
    CHECK(lines[0].find("help") != std::string::npos);
    CHECK(lines[23].rfind("╰", 0) == 0);
    CHECK(scr.dump().find(" n           host names (DNS) on or off") != std::string::npos);
    press(st, vm, frozen, uint32_t(Key::escape));
    CHECK(!st.help);
}

TEST_CASE("the README's key table is the command table's") {
    std::ifstream f("README.md");
    REQUIRE(f);
    std::string readme((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const std::string table = key_table_markdown();
    CAPTURE(table);
    CHECK(readme.find(table) != std::string::npos);
}

TEST_CASE("every toggle says what it did; settings are saved under the table's config keys") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    for (char k : std::string("sdpSDtTLZ0nNbBvgxHRoPr123<>U")) {
        st.message.clear();
        press(st, vm, frozen, uint32_t(k));
        CAPTURE(k);
        CHECK(!st.message.empty());
    }
    st = ViewState{};
    press(st, vm, frozen, 'S');
    CHECK(st.message == "Port display SOURCE ONLY");
    press(st, vm, frozen, 'F');
    CHECK(st.message.rfind("pinned ", 0) == 0);
    const auto items = config_items(st);
    std::map<std::string, std::string> m(items.begin(), items.end());
    CHECK(m["port-display"] == "source-only");
    CHECK(m["pinned-flows"].find("10.0.0.1") != std::string::npos);
    CHECK(m.count("hover-tooltips") == 1);
    CHECK(m.count("theme") == 1);
}

TEST_CASE("Ctrl-C quits from every mode; Esc then a key at once is two keys") {
    ViewModel vm = model(ViewState{}, sample_table());
    std::vector<FlowKey> frozen;
    for (char mode : std::string("lfchC")) {
        ViewState st;
        press(st, vm, frozen, uint32_t(mode));
        InputEvent e;
        e.code = 'c';
        e.ctrl = true;
        CAPTURE(mode);
        CHECK(apply_input(e, st, vm, 24, 8, frozen) == InputAction::quit);
    }
    InputParser p;
    std::vector<InputEvent> ev;
    p.feed("c\x1bi", ev);  // c, Esc, i typed fast: the chooser opens, closes, and i asks for interfaces
    REQUIRE(ev.size() == 3);
    ViewState st;
    CHECK(apply_input(ev[0], st, vm, 24, 8, frozen) == InputAction::none);
    CHECK(st.chooser);
    apply_input(ev[1], st, vm, 24, 8, frozen);
    CHECK(!st.chooser);
    CHECK(apply_input(ev[2], st, vm, 24, 8, frozen) == InputAction::list_interfaces);
}

TEST_CASE("the line editors edit: arrows, Home/End, Delete, Ctrl-A/E/K; the cursor stays visible") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    press(st, vm, frozen, 'l');
    for (char c : std::string("10.0.0.1")) press(st, vm, frozen, uint32_t(c));
    press(st, vm, frozen, uint32_t(Key::home));
    press(st, vm, frozen, uint32_t(Key::del));
    press(st, vm, frozen, uint32_t(Key::del));
    press(st, vm, frozen, '9');
    CHECK(st.filter == "9.0.0.1");
    press(st, vm, frozen, uint32_t(Key::right));
    press(st, vm, frozen, uint32_t(Key::left));
    InputEvent e;
    e.ctrl = true;
    e.code = 'e';
    apply_input(e, st, vm, 24, 8, frozen);
    press(st, vm, frozen, uint32_t(Key::left));
    press(st, vm, frozen, uint32_t(Key::backspace));
    CHECK(st.filter == "9.0.01");
    e.code = 'a';
    apply_input(e, st, vm, 24, 8, frozen);
    press(st, vm, frozen, uint32_t(Key::right));
    e.code = 'k';
    apply_input(e, st, vm, 24, 8, frozen);
    CHECK(st.filter == "9");
    press(st, vm, frozen, uint32_t(Key::escape));
    // A long filter code: the cursor (a reversed cell) stays on screen, the cut start is marked.
    press(st, vm, frozen, 'f');
    for (int i = 0; i < 150; ++i) press(st, vm, frozen, uint32_t('a' + i % 26));
    Screen scr(80, 24);
    render(scr, st, vm);
    int rev = -1;
    for (int x = 0; x < 80; ++x)
        if (scr.at(x, 23).attr & kReverse) rev = x;
    CHECK(rev > 10);
    CHECK(rev < 80);
    CHECK(screen_lines(scr)[23].find("filter code: …") != std::string::npos);
    press(st, vm, frozen, uint32_t(Key::escape));  // Esc puts the old filter code back
    CHECK(st.bpf.empty());
    CHECK(!st.editing_bpf);
}
}

TEST_SUITE("wrong") {
TEST_CASE("IPv6 with a port is [addr]:port on the screen, in -t and in labels; cuts are marked, never mid UTF-8") {
    CHECK(format_endpoint("fd77::1", "40964") == "[fd77::1]:40964");
    CHECK(format_endpoint("2001:db8::31", "ssh") == "[2001:db8::31]:ssh");
    CHECK(format_endpoint("fd77::1", "") == "fd77::1");
    CHECK(format_endpoint("10.77.0.1", "42916", 10) == "10.…:42916");
    CHECK(format_endpoint("10.77.0.1", "42916", 10, true) == "10.~:42916");
    CHECK(format_endpoint("10.77.0.1", "42916", 5) == "10.7…");  // no room for the port: the whole cut, marked
    CHECK(format_endpoint("2001:db8:aaaa:bbbb:cccc:dddd::1", "65535", 24) == "[2001:db8:aaaa:b…]:65535");
    CHECK(format_endpoint("日本語日本語.example", "443", 10) == "日本…:443");  // 4 columns of host, the mark, the port
    CHECK(format_endpoint("host", "65535", 4) == "hos…");
    FlowView f = v6_flow();
    CHECK(flow_label(f) == "TCP [2001:db8::31]:22 => [fd77::1]:40964");
    ViewState st;
    st.show_ports = true;
    ViewModel vm;
    vm.rows = {f};
    vm.port_name = [](uint16_t p, uint8_t) { return p == 22 ? std::string("ssh") : std::to_string(p); };
    Screen scr(100, 24);
    render(scr, st, vm);
    CHECK(scr.dump().find("[2001:db8::31]:ssh") != std::string::npos);
    CHECK(scr.dump().find("[fd77::1]:40964") != std::string::npos);
    // At 40 columns an endpoint cut to fit is marked: never a bare ":4000" that reads as a port.
    ViewState s4;
    s4.show_ports = true;
    Screen narrow(40, 12);
    render(narrow, s4, model(s4, sample_table()));
    const std::string row = screen_lines(narrow)[2];
    CAPTURE(row);
    CHECK(row.rfind("10.0…", 0) == 0);
    CHECK(row.find(":4000") == std::string::npos);
    Screen wide(50, 12);
    render(wide, s4, model(s4, sample_table()));
    CHECK(screen_lines(wide)[2].rfind("10.…:40000", 0) == 0);  // wider: the port whole, the host cut
}

TEST_CASE("-B labels the scale in bytes; -m is 1024-based (5M tops at 5.00Mb)") {
    ViewState st;
    st.bytes = true;
    Screen scr(100, 24);
    render(scr, st, model(st, sample_table()));
    const std::string top = screen_lines(scr)[0];
    CAPTURE(top);
    CHECK(top.find("KB") != std::string::npos);
    CHECK(top.find("Kb") == std::string::npos);
    CHECK(top.rfind("10B", 0) == 0);  // the byte scale starts at 10 B, at the left edge
    const char* argv[] = {"iftop", "-m", "5M"};
    auto o = parse_args(3, argv);
    REQUIRE(o);
    CHECK(o->max_bandwidth == 5.0 * 1024 * 1024);
    ViewState lin;
    lin.log_scale = false;
    lin.max_bandwidth = o->max_bandwidth;
    render(scr, lin, model(lin, sample_table()));
    CHECK(screen_lines(scr)[0].find("5.00Mb") != std::string::npos);
    CHECK(format_rate(1024.0 * 1024 / 8, false) == "1.00Mb");
}

TEST_CASE("the screen filter matches what the rows show: service names, :443, names") {
    ViewState st;
    st.show_ports = true;
    const auto flows = sample_table().sorted_flows(SortKey::total_bytes);
    const auto svc = [](uint16_t p, uint8_t) { return p == 443 ? std::string("https") : p == 53 ? std::string("domain") : std::to_string(p); };
    for (const char* needle : {"https", ":443", "domain", ":53", "192.0.2.7:https", "HTTPS"}) {
        st.filter = needle;
        CAPTURE(needle);
        CHECK(view_rows(flows, st, {}, nullptr, svc).size() == 1);
    }
    st.filter = "ftp";
    CHECK(view_rows(flows, st, {}, nullptr, svc).empty());
}

TEST_CASE("a sort chosen while paused shows as pending; the end of a file is said and the clock stops") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    press(st, vm, frozen, 'P');
    press(st, vm, frozen, '1');
    CHECK(st.message.find("pending") != std::string::npos);
    st.message.clear();
    Screen scr(120, 24);
    render(scr, st, vm);
    CHECK(screen_lines(scr)[23].find("sort 2s (pending)") != std::string::npos);
    vm.ended = true;
    render(scr, st, vm);
    CHECK(screen_lines(scr)[23].find("12:00:00 end of file") != std::string::npos);
}
}

TEST_SUITE("rough") {
TEST_CASE("log scale ticks are round and labels never touch; titles keep clear of ticks") {
    CHECK(scale_ticks(1024.0 * 1024, true) == std::vector<double>{10, 100, 1024, 10240, 102400, 1048576});
    for (int w : {30, 40, 57, 80, 99, 100, 133, 200}) {
        for (bool cum : {false, true}) {
            ViewState st;
            st.cumulative = cum;
            Screen scr(w, 24);
            render(scr, st, model(st, sample_table()));
            const auto lines = screen_lines(scr);
            CAPTURE(lines[0]);
            CAPTURE(lines[1]);
            // Every label on line 0 is one whole rate, separated by spaces.
            std::istringstream in(lines[0]);
            for (std::string tok; in >> tok;) CHECK(std::regex_match(tok, std::regex("[0-9.]+[KMG]?b")));
            // A title on line 1 never has a tick in it or beside it.
            const std::u32string l1 = [&] {
                std::u32string u;
                for (int x = 0; x < w; ++x) u += char32_t(scr.at(x, 1).ch);
                return u;
            }();
            for (int x = 0; x < w; ++x) {
                const bool letter = l1[size_t(x)] != U'─' && l1[size_t(x)] != U'┴' && l1[size_t(x)] != U' ';
                if (!letter) continue;
                if (x > 0) CHECK(l1[size_t(x - 1)] != U'┴');
                if (x + 1 < w) CHECK(l1[size_t(x + 1)] != U'┴');
            }
            if (cum && w >= 57) CHECK(lines[1].find("cum") != std::string::npos);
        }
    }
}

TEST_CASE("small terminals: totals never overwrite each other; below the minimum one line says so") {
    ViewState st;
    Screen scr(40, 10);
    render(scr, st, model(st, sample_table()));
    for (const std::string& l : screen_lines(scr)) {
        CAPTURE(l);
        CHECK(!std::regex_search(l, std::regex("[0-9]b[0-9]|Kb[0-9]|Mb[0-9]|[a-z]:[0-9]")));
    }
    Screen tiny(20, 6);
    render(tiny, st, model(st, sample_table()));
    const auto t = screen_lines(tiny);
    CHECK(t[0].rfind("terminal too small", 0) == 0);
    CHECK(t[0].find("…") != std::string::npos);
    for (size_t i = 1; i < t.size(); ++i) CHECK(t[i] == std::string(20, ' '));
}

TEST_CASE("details are framed over a cleared area; an aggregated row shows *; the selection keeps its bars") {
    ViewState st;
    st.hide_src = true;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    press(st, vm, frozen, uint32_t(Key::enter));
    REQUIRE(st.tooltip);
    Screen scr(100, 24);
    render(scr, st, vm);
    const auto lines = screen_lines(scr);
    CHECK(scr.dump().find("* => 192.0.2.7") != std::string::npos);
    CHECK(scr.dump().find("0.0.0.0") == std::string::npos);
    CHECK(lines[3].find("╭") != std::string::npos);
    // The selected flow (row 0, both lines) keeps a visible bar on each of its lines.
    ViewState s2;
    s2.bar_window = 0;
    Screen sel(100, 24);
    ViewModel v2 = model(s2, sample_table());
    render(sel, s2, v2);
    const Theme& th = themes()[0];
    for (int y : {2, 3}) {
        CAPTURE(y);
        CHECK(sel.at(0, y).bg != th[Role::sel_bg]);  // the bar's cells
        CHECK(sel.at(99, y).bg == th[Role::sel_bg]); // past the bar: the selection
    }
}

TEST_CASE("messages are cut with a mark; the theme chooser takes a click; ASCII words in a non-UTF-8 locale") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    st.message = "bad filter code 'port nonsense (((': unknown port 'nonsense' and a lot more text to cut here";
    Screen scr(80, 24);
    render(scr, st, vm);
    CHECK(screen_lines(scr)[23].find("… h: help") != std::string::npos);
    st.message.clear();
    press(st, vm, frozen, 'c');
    st.screen_w = 80;
    const int n = int(themes().size()), bh = std::min(23, n + 2), y0 = (24 - bh) / 2;
    click(st, vm, frozen, 0, 80 - 46 - 1 + 5, y0 + 1 + 3);  // the fourth name shown
    CHECK(!st.chooser);
    CHECK(st.theme == 3);
    ViewState a;
    a.ascii = true;
    a.chooser = true;
    a.tooltip = true;
    render(scr, a, vm);
    CHECK(scr.dump().find('?') == std::string::npos);
    CHECK(scr.dump().find("up/down") != std::string::npos);
    CHECK(detect_color_mode(nullptr, nullptr, "vt100") == ColorMode::mono);
}

TEST_CASE("export: aligned columns for any label width, the date, totals") {
    ViewState st;
    st.show_ports = true;
    ViewModel vm = model(st, sample_table());
    vm.rows.push_back(v6_flow());
    const std::string t = export_table(vm, false, "2026-12-01 12:00:00");
    std::vector<std::string> lines;
    std::istringstream in(t);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    CHECK(lines[0].find("2026-12-01 12:00:00") != std::string::npos);
    size_t width = 0;
    for (size_t i = 1; i + 1 < lines.size(); ++i) {
        CAPTURE(lines[i]);
        if (!width) width = lines[i].size();
        CHECK(lines[i].size() == width);  // ASCII labels: bytes are columns
    }
    CHECK(t.find("\ntotal ") != std::string::npos);
    CHECK(t.find("[fd77::1]:40964") != std::string::npos);
}
}

TEST_SUITE("parity") {
TEST_CASE("theme editor: live edit, a non-ASCII name, saved as a custom theme, listed in the chooser; Esc restores") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    st.theme = 2;
    press(st, vm, frozen, 'C');
    REQUIRE(st.editor.open);
    const Rgb before = current_theme(st)[Role::bg];
    press(st, vm, frozen, '+');  // slot 0 (bg), red channel + 1
    CHECK(current_theme(st)[Role::bg] == before + 0x010000);
    press(st, vm, frozen, uint32_t(Key::escape));
    CHECK(!st.editor.open);
    CHECK(st.theme == 2);
    CHECK(current_theme(st)[Role::bg] == before);
    press(st, vm, frozen, 'C');
    press(st, vm, frozen, uint32_t(Key::down));
    press(st, vm, frozen, uint32_t(Key::page_down));
    press(st, vm, frozen, uint32_t(Key::enter));
    REQUIRE(st.editor.naming);
    InputEvent e;
    e.ctrl = true;
    e.code = 'u';
    apply_input(e, st, vm, 24, 8, frozen);
    for (uint32_t cp : {0x00dcu, uint32_t('n'), 0x30c6u, 0x30fcu, 0x30deu, uint32_t(';'), 0x1bu}) press(st, vm, frozen, cp);
    Screen scr(100, 30);
    render(scr, st, vm);
    press(st, vm, frozen, uint32_t(Key::enter));
    REQUIRE(st.custom_themes.size() == 1);
    CHECK(st.custom_themes[0].name == "Ünテーマ");
    CHECK(st.theme == themes().size());
    CHECK(theme_name(st, st.theme) == "Ünテーマ");
    const auto items = config_items(st);
    std::map<std::string, std::string> m(items.begin(), items.end());
    CHECK(m["custom-themes"].rfind("Ünテーマ=#", 0) == 0);
    CHECK(m["theme"] == "Ünテーマ");  // the theme in use by its own name, not the default's
    // Read back, whichever line comes first; the config reader takes the name because the file defines it.
    for (const std::string& text : {"theme: " + m["theme"] + "\ncustom-themes: " + m["custom-themes"] + "\nhover-tooltips: no\n",
                                    "custom-themes: " + m["custom-themes"] + "\ntheme: ÜNテーマ\nhover-tooltips: no\n"}) {
        ViewSettings back;
        apply_screen_config(text, back);
        REQUIRE(back.custom_themes.size() == 1);
        CHECK(back.custom_themes[0].colors == st.custom_themes[0].colors);
        CHECK(back.theme == themes().size());
        CHECK(!back.hover_tips);
        Options o;
        CHECK(apply_config_text(text, o));
    }
    {  // a file from before: the theme in use marked '*' in custom-themes, `theme:` the default
        ViewSettings old;
        apply_screen_config("theme: Default\ncustom-themes: a=" + m["custom-themes"].substr(m["custom-themes"].find('=') + 1) +
                                "; *" + m["custom-themes"] + "\n", old);
        REQUIRE(old.custom_themes.size() == 2);
        CHECK(old.theme == themes().size() + 1);
    }
    Options o;
    CHECK(!apply_config_text("theme: Nonesuch\ncustom-themes: " + m["custom-themes"] + "\n", o));  // not defined: an error
    press(st, vm, frozen, 'c');
    render(scr, st, vm);
    CHECK(scr.dump().find("> Ünテーマ") != std::string::npos);
}

TEST_CASE("H turns hover tooltips off; the tab strip switches views; Processes split sent and received") {
    ViewState st;
    std::vector<FlowKey> frozen;
    ViewModel vm = model(st, sample_table());
    press(st, vm, frozen, 'H');
    CHECK(!st.hover_tips);
    InputEvent e;
    e.type = InputEvent::mouse;
    e.button = 3;
    e.motion = true;
    e.x = 1;
    e.y = 23;
    apply_input(e, st, vm, 24, 8, frozen);
    CHECK(st.hover_segment == -1);
    click(st, vm, frozen, 0, 1 + 6 + 10 + 2, 23);  // "Publishers" in the tab strip
    CHECK(st.view == ViewState::publishers);
    click(st, vm, frozen, 0, 1 + 6 + 2, 23);
    CHECK(st.view == ViewState::processes);
    OwnerGroup g;
    g.pid = 42;
    g.name = "curl";
    g.flows = 2;
    g.rates.v[0][1] = 1000;
    g.rates.v[1][1] = 3000;
    vm.groups = {g};
    vm.owner = [](const FlowKey&) { return static_cast<const FlowOwner*>(nullptr); };
    Screen scr(100, 24);
    render(scr, st, vm);
    const auto lines = screen_lines(scr);
    CAPTURE(lines[2]);
    CAPTURE(lines[3]);
    CHECK(lines[2].find("SENT") != std::string::npos);
    CHECK(lines[2].find("RECV") != std::string::npos);
    CHECK(lines[3].find("7.81Kb  23.4Kb") != std::string::npos);  // 1000 B/s sent, 3000 B/s received
}
}
