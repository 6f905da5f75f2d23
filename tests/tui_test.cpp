// The screen, without a tty: render into a Screen, diff into bytes, parse input bytes. Linked into tests/unit.
#include <doctest/doctest.h>

#include "../iftop.hpp"
#include <set>
#include "frames.hpp"

#include <fstream>
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
    CHECK(lines[0].find("0.98Kb") != std::string::npos);                        // log scale labels
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
    REQUIRE(ev.size() == 13);
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
    CHECK(ev[12].code == 'x');
    CHECK(ev[12].alt);
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
    CHECK(scr.dump().find("Processes │") != std::string::npos);
    press(st, vm, frozen, uint32_t(Key::tab));
    CHECK(st.view == ViewState::publishers);
    press(st, vm, frozen, uint32_t(Key::tab));
    CHECK(st.view == ViewState::flows);
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
    CHECK(scr.at(0, 2).bg == themes()[5][Role::sel_bg]);  // the screen behind previews it
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
    CHECK(segs[0].text == "Flows");
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
    CHECK(line1.find(" 2s") != std::string::npos);
    CHECK(line1.find(" 40s") != std::string::npos);
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
