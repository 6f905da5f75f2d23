/* iftop.hpp — real-time bandwidth monitor, as one C++17 header.

   An iftop 1.0pre4 clone: packets in, exact per-flow numbers out.

   QUICK START (embedding)
       // in exactly one .cpp file:
       #define IFTOP_IMPLEMENTATION
       #include "iftop.hpp"
       // link with -lpcap

       auto src = iftop::open_file("trace.pcap", "");
       if (!src) { std::fprintf(stderr, "%s\n", src.error().message.c_str()); return 1; }
       iftop::Engine engine;                            // iftop::AccountingConfig sets -F/-G, -l, --max-flows
       engine.run_offline(**src);                       // decode + account every frame
       engine.finish();
       for (const iftop::FlowView& f : engine.table().sorted_flows(iftop::SortKey::total_bytes, 10))
           std::printf("%s\n", iftop::flow_label(f).c_str());

   (make test compiles and runs this block and the README's, as they stand: tests/doc_examples.py.)
   Without libpcap: define IFTOP_NO_PCAP (everything but open_file/open_live, which then return an error, builds
   and links without -lpcap) and feed frames through a PacketSource of your own: tests/nopcap_example.cpp.

   Other translation units include the header without the macro and see declarations only. The public half
   includes C++ standard headers only; libpcap, POSIX and Linux headers stay in the implementation half.

   CONFIG MACROS (define before including)
       IFTOP_IMPLEMENTATION        compile the implementation into this translation unit
       IFTOP_NO_PCAP               build without libpcap: the program brings its own PacketSource
       IFTOP_DEFAULT_MAX_FLOWS     flow-table cap when --max-flows is not given (100000)
       IFTOP_SNAPLEN               bytes captured per packet live (256: headers only, lengths come from the IP header)
       IFTOP_BATCH_MS              live: while packets flow, the loop reads the capture buffer at most every N ms (50)
       IFTOP_IPFIX_PEN             Private Enterprise Number of the IPFIX process-id element (32473, RFC 5612's;
                                   set your organisation's own: see README "Many hosts")

   SECTIONS (the same numbers in both halves; search for "[6]" to jump between declaration and definition)
       [1] config macros  [2] std includes  [3] errors  [4] core types  [5] capture/decoding  [6] accounting
       [7] processes  [8] themes  [9] screen  [10] view  [11] input  [12] terminal  [13] application

   The accounting rules (what is a flow, which side is local, how many bytes a packet has) are written out in
   tests/ACCOUNTING.md; tests/tshark_flows.py checks them against tshark independently.

   PROCESS ATTRIBUTION ([7]): iftop::FlowAttribution, updated once per tick, maps each flow to its process
   (sock_diag or /proc/net, then an incremental inode→pid map over /proc/<pid>/fd; lsof where /proc is unusable),
   hashes executables and finds their packages on a worker thread; group_by_process()/group_by_publisher() sum it.
*/
#ifndef IFTOP_HPP_INCLUDED
#define IFTOP_HPP_INCLUDED

/* ========================================================================================================== */
/* [1] config macros — defaults an embedder may override; nothing else lives here                             */
/* ========================================================================================================== */
#define IFTOP_VERSION "1.0.0"
#ifndef IFTOP_DEFAULT_MAX_FLOWS
#define IFTOP_DEFAULT_MAX_FLOWS 100000
#endif
#ifndef IFTOP_SNAPLEN
#define IFTOP_SNAPLEN 256
#endif
#ifndef IFTOP_BATCH_MS
#define IFTOP_BATCH_MS 50
#endif
#ifndef IFTOP_IPFIX_PEN
#define IFTOP_IPFIX_PEN 32473
#endif

/* ========================================================================================================== */
/* [2] std includes — C++ standard headers only, never a platform header in the public half                   */
/* ========================================================================================================== */
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace iftop {

/* ========================================================================================================== */
/* [3] errors — values, never exceptions; library code never exits the process                                */
/* ========================================================================================================== */

/// What went wrong, specific enough for a caller to act on.
enum class Errc {
    ok = 0,
    usage,                 ///< bad flag or argument (exit status 2)
    permission_denied,     ///< capture needs root or CAP_NET_RAW
    no_such_device,        ///< the interface does not exist
    no_default_interface,  ///< no interface given and none found
    bad_filter,            ///< BPF does not compile
    bad_net,               ///< -F/-G value is not a network
    file_open,             ///< file missing or unreadable
    bad_file,              ///< not a pcap/pcapng file, or corrupt
    unsupported_linktype,  ///< link type the decoder does not read
    io,                    ///< read/write failure (EPIPE included)
    capture,               ///< any other libpcap failure
};

/// An error: a code and one line for a human (names the problem and, where there is one, the fix).
struct Error {
    Errc code = Errc::ok;
    std::string message;
};

/// Either a value or an Error. `if (r)` tests for a value; `*r`/`r->` reach it; `r.error()` the Error.
template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}
    explicit operator bool() const { return v_.index() == 0; }
    T& operator*() { return std::get<0>(v_); }
    const T& operator*() const { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

/// Exit status for an error: 2 for a bad argument (flag, net, filter code), 1 for what goes wrong at run time.
int exit_status(const Error& e);

/* ========================================================================================================== */
/* [4] core types — addresses, networks, flow keys; plain values with no I/O                                  */
/* ========================================================================================================== */

/// An IPv4 or IPv6 address. IPv4 lives in the first 4 bytes; unused bytes are zero so keys compare bytewise.
struct IpAddr {
    uint8_t family = 0;  ///< 4 or 6; 0 = unset
    uint8_t bytes[16] = {};

    static IpAddr v4(const uint8_t* p);
    static IpAddr v6(const uint8_t* p);
    /// Parses dotted quad or RFC 4291 text; nullopt when it is neither.
    static std::optional<IpAddr> parse(std::string_view text);
    std::string to_string() const;  ///< "10.0.0.1", "2001:db8::1" (RFC 5952 compressed)
    bool is_link_local6() const { return family == 6 && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }
    bool operator==(const IpAddr& o) const { return family == o.family && std::memcmp(bytes, o.bytes, 16) == 0; }
    bool operator!=(const IpAddr& o) const { return !(*this == o); }
    bool operator<(const IpAddr& o) const;
};

/// A network: address and mask of the same family. contains() is false across families.
struct Net {
    IpAddr addr;
    IpAddr mask;
    bool contains(const IpAddr& a) const;
    /// -F syntax: "10.0.0.0/24" or "10.0.0.0/255.255.255.0".
    static Result<Net> parse4(std::string_view text);
    /// -G syntax: "2001:db8::/32" or "2001:db8::/ffff:ffff::".
    static Result<Net> parse6(std::string_view text);
};

/// IANA protocol numbers the tool names.
enum : uint8_t { kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp6 = 58 };

/// "TCP", "UDP", "ICMP", "ICMPv6" or the number as text.
std::string protocol_name(uint8_t proto);

/// A flow: (protocol, local ip, local port, remote ip, remote port). Ports are 0 for protocols without ports.
struct FlowKey {
    uint8_t proto = 0;
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
    IpAddr local;
    IpAddr remote;
    bool operator==(const FlowKey& o) const {
        return proto == o.proto && local_port == o.local_port && remote_port == o.remote_port && local == o.local &&
               remote == o.remote;
    }
};

/// Microseconds: packet (capture) timestamps, offline and live. Tests pass their own.
using Micros = int64_t;
constexpr Micros kMicrosPerSecond = 1000000;

/* ========================================================================================================== */
/* [5] capture/decoding — frames in, decoded IP facts out; the decoder is pure, sources own their handles     */
/* ========================================================================================================== */

/// Why a frame was not counted. Names (skip_name) appear in --json "skipped".
enum class Skip : uint8_t {
    non_ip,                ///< not IPv4/IPv6 (ARP, LLC, unknown ethertype or address family)
    truncated,             ///< captured bytes end before the headers needed
    malformed,             ///< headers that contradict themselves (version, IHL, total length)
    unsupported_linktype,  ///< a link type the decoder does not read
    link_local,            ///< IPv6 link-local, dropped unless -l (as iftop)
    outside_net,           ///< with -F/-G: neither or both ends inside the net (as iftop)
    count_
};
constexpr size_t kSkipReasons = static_cast<size_t>(Skip::count_);
const char* skip_name(Skip s);

/// One captured frame. `data` holds `caplen` bytes; `wirelen` is what was on the wire.
struct Frame {
    int linktype = 1;
    const uint8_t* data = nullptr;
    uint32_t caplen = 0;
    uint32_t wirelen = 0;
    Micros ts = 0;
};

/// Where a frame stands among IP fragments.
enum class FragKind : uint8_t { none, first, later };

/// What the decoder reads from a frame (see tests/ACCOUNTING.md).
struct Decoded {
    bool ok = false;  ///< false: skipped for `skip`
    Skip skip = Skip::non_ip;
    uint8_t proto = 0;  ///< transport protocol after IPv6 extension headers
    uint16_t sport = 0, dport = 0;
    uint32_t bytes = 0;  ///< the outermost IP header's length (see ACCOUNTING.md for the fallbacks)
    IpAddr src, dst;
    FragKind frag = FragKind::none;
    uint8_t frag_proto = 0;  ///< protocol in the fragment key (IPv4 protocol, IPv6 fragment header's next header)
    uint32_t frag_id = 0;
    /// ICMP/ICMPv6 echo (RFC 792, RFC 4443 §4): 1 request, 2 reply, 0 anything else; `echo_id` is its identifier,
    /// which a ping socket uses as its port. Not part of the flow key (ports stay 0): attribution reads it.
    uint8_t echo = 0;
    uint16_t echo_id = 0;
};

/// Decodes one frame of `linktype`. Pure: no state, no allocation; safe on any bytes.
Decoded decode_frame(int linktype, const uint8_t* data, uint32_t caplen, uint32_t wirelen);
/// The same, into `out` (the hot path: no copy of the result).
void decode_frame_into(Decoded& out, int linktype, const uint8_t* data, uint32_t caplen, uint32_t wirelen);

/// Link types decode_frame reads, and the name libpcap gives a link type.
bool linktype_supported(int linktype);
std::string linktype_name(int linktype);

/// Counters a live source reports; files report zeros.
struct CaptureStats {
    uint64_t dropped = 0;     ///< dropped by the kernel (ps_drop + ps_ifdrop)
    bool available = false;   ///< the source can count drops
};

/// Receives frames from a source. One virtual call per frame.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void on_frame(const Frame& f) = 0;
};

/// A source of frames: a live interface, a file, or memory.
class PacketSource {
public:
    virtual ~PacketSource() = default;
    /// Delivers up to `max` frames (<= 0: all that are ready) to `sink`. Returns how many; 0 with at_end()
    /// false means nothing was ready (live). Errors are read failures mid-file or a vanished interface.
    virtual Result<int> dispatch(FrameSink& sink, int max) = 0;
    virtual bool at_end() const = 0;           ///< no more frames will come (end of file)
    virtual int linktype() const = 0;
    virtual int selectable_fd() const { return -1; }  ///< fd to poll for readiness, -1 if none
    /// Live: the longest between a frame's timestamp and the moment dispatch can deliver it, so a second is
    /// only closed once frames stamped in it can all have been read. 0 for files.
    virtual Micros delivery_delay() const { return 0; }
    /// The longest a loop may sleep in poll() before calling dispatch() again even if the fd is not readable
    /// (pcap_get_required_select_timeout); -1 when the fd's readiness is enough.
    virtual Micros max_poll_wait() const { return -1; }
    virtual bool live() const { return false; }
    virtual CaptureStats stats() { return {}; }
    virtual std::string name() const = 0;      ///< interface name or file path
    /// Replaces the BPF filter while capturing (iftop's f). Errors: bad_filter, or not supported by this source.
    virtual Result<bool> set_filter(const std::string& bpf) {
        (void)bpf;
        return Error{Errc::bad_filter, "this source cannot change its filter"};
    }
};

/// A source fed from memory (tests, embedding). Frames are copied in and delivered in order.
class MemorySource : public PacketSource {
public:
    explicit MemorySource(int linktype = 1) : linktype_(linktype) {}
    void add(Micros ts, std::vector<uint8_t> bytes, uint32_t wirelen = 0);  ///< wirelen 0 = bytes.size()
    Result<int> dispatch(FrameSink& sink, int max) override;
    bool at_end() const override { return next_ >= frames_.size(); }
    int linktype() const override { return linktype_; }
    std::string name() const override { return "memory"; }

private:
    struct Stored { Micros ts; uint32_t wirelen; std::vector<uint8_t> bytes; };
    int linktype_;
    std::vector<Stored> frames_;
    size_t next_ = 0;
};

/// Options for a live capture.
struct LiveOptions {
    std::string interface;  ///< "" = the interface of the default route
    std::string bpf;        ///< filter code; "" = all
    bool promiscuous = false;
    int snaplen = IFTOP_SNAPLEN;
    int buffer_bytes = 8 << 20;
};

/// Opens a live capture: non-blocking, every frame readable as soon as the kernel has it (the loop, not the
/// kernel, decides when to read a batch: see LiveClock in [13]). Errors name the fix (root, setcap,
/// --list-interfaces).
Result<std::unique_ptr<PacketSource>> open_live(const LiveOptions& opt);
/// Opens a pcap or pcapng file ("-" = standard input) with an optional BPF filter.
Result<std::unique_ptr<PacketSource>> open_file(const std::string& path, const std::string& bpf);
/// The interface of the default route (from /proc/net/route), else the first up, non-loopback interface.
Result<std::string> default_interface();

/// An interface as --list-interfaces shows it.
struct InterfaceInfo {
    std::string name, description;
    std::vector<std::string> addresses;
    bool up = false, loopback = false;
};
Result<std::vector<InterfaceInfo>> list_interfaces();
/// Addresses of `interface` ("any" or "" = every interface), for deciding the local side live.
std::vector<IpAddr> local_addresses(const std::string& interface);

/* ========================================================================================================== */
/* [6] accounting — flows, true 2/10/40 s averages, totals, bounded table; never touches I/O                  */
/* ========================================================================================================== */

constexpr int kHistorySeconds = 40;          ///< one bucket per second, the longest window
constexpr int kWindows[3] = {2, 10, 40};     ///< the three averaging windows, seconds

/// Bytes per second over the 2 s, 10 s and 40 s windows, sent [0] and received [1].
struct Rates {
    double v[2][3] = {{0, 0, 0}, {0, 0, 0}};
    double sent(int w) const { return v[0][w]; }
    double recv(int w) const { return v[1][w]; }
    double total(int w) const { return v[0][w] + v[1][w]; }
};

/// Bytes and packets in each direction; [0] sent (local→remote), [1] received.
struct Counts {
    uint64_t bytes[2] = {0, 0};
    uint64_t packets[2] = {0, 0};
};

/// One flow as outputs see it: key, counts, rates and peaks at the last tick.
struct FlowView {
    FlowKey key;
    Counts counts;
    Rates rates;
    double peak[2] = {0, 0};  ///< highest 2 s average seen, bytes/s
    Micros first_seen = 0, last_seen = 0;
};

/// Sort orders (iftop's -o and its keys 1 2 3 < >).
enum class SortKey : uint8_t { rate_2s, rate_10s, rate_40s, source, destination, total_bytes };

/// How the table decides the local side.
struct AccountingConfig {
    std::optional<Net> net4, net6;     ///< -F / -G: direction by the net boundary, filter as iftop
    std::vector<IpAddr> local_addrs;   ///< live: addresses of the capture interface
    bool count_link_local = false;     ///< -l
    size_t max_flows = IFTOP_DEFAULT_MAX_FLOWS;
    int idle_expiry_seconds = 0;       ///< 0 = never expire (offline); iftop live: 40
};

/// Capture-level counters for the "capture" object.
struct CaptureCounts {
    uint64_t packets = 0;     ///< frames seen
    uint64_t ip_packets = 0;  ///< frames counted into flows
    uint64_t skipped[kSkipReasons] = {};
    uint64_t evicted_flows = 0;
    uint64_t dropped = 0;     ///< kernel drops (live)
};

/// Told about each flow when the table creates it (never per packet): process attribution's fast path.
/// Called on the thread that feeds the table; must not block.
class NewFlowSink {
public:
    virtual ~NewFlowSink() = default;
    /// `echo_id`: the identifier of a local ICMP echo (request sent or reply received by this side), else 0.
    /// An ICMP flow is announced again when it shows a new local echo identifier.
    virtual void on_new_flow(const FlowKey& key, uint16_t echo_id) = 0;
};

/// The flow table: per-packet accounting in O(1), rates computed once per tick.
/// Time is whatever the caller passes (packet time offline, a monotonic clock live). Not thread-safe.
class FlowTable {
public:
    explicit FlowTable(AccountingConfig cfg = {});
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    /// Counts one decoded frame at time `now` (fragments joined, local side decided). O(1) amortised.
    void add(const Decoded& d, Micros now);
    /// The same for `n` frames in order; prefetches their table slots first, so a burst over a table larger
    /// than the CPU caches waits for memory once per batch instead of once per packet.
    void add_batch(const Decoded* d, const Micros* now, size_t n);
    /// Counts a skipped frame.
    void skip(Skip why) { ++capture_.packets; ++capture_.skipped[static_cast<size_t>(why)]; }
    /// Closes every whole second up to `now`: rates, peaks and expiry are brought up to date.
    void tick(Micros now);
    /// The time origin: seconds are counted from here. Set by the first add/tick if not set.
    void set_origin(Micros t);
    /// Forgets every flow, total and counter (a new capture), keeping the configuration but the local addresses.
    void reset(std::vector<IpAddr> local_addrs);
    /// Called with each flow the table is about to forget (evicted by the cap, expired when idle, or dropped by
    /// reset), its counts final and its rates not computed, and the table's time: exports hear of every byte
    /// before it is gone. Runs inside add() when a flood evicts, so it must be quick and must not touch the table.
    using ForgetFn = std::function<void(const FlowView& flow, Micros now)>;
    void on_forget(ForgetFn fn) { on_forget_ = std::move(fn); }
    bool has_origin() const;

    size_t size() const;
    /// Flows sorted by `key` (descending for rates), at most `limit` (0 = all). Rates as of the last tick.
    std::vector<FlowView> sorted_flows(SortKey key, size_t limit = 0) const;
    /// Every flow in table order, without copying the table: for outputs that do not need an order. With
    /// `seen_since`, only the flows whose last packet came at or after it. With `rates` false the rates are left
    /// zero (the exports need counts only; rates cost a walk of each flow's history).
    void for_each_flow(const std::function<void(const FlowView&)>& fn,
                       Micros seen_since = std::numeric_limits<Micros>::min(), bool rates = true) const;
    /// Bytes per closed second of one flow in direction `dir` (0 sent, 1 received), oldest first: the last
    /// kHistorySeconds seconds, for a sparkline. False when the flow is not in the table.
    bool history(const FlowKey& key, int dir, std::array<uint64_t, kHistorySeconds>& out) const;
    FlowView totals() const;              ///< all traffic counted, evicted flows included
    double peak_total() const;            ///< highest 2 s average of sent+received
    const CaptureCounts& capture() const { return capture_; }
    CaptureCounts& capture() { return capture_; }
    Micros last_tick() const;             ///< the time of the last closed second boundary
    const AccountingConfig& config() const { return cfg_; }
    /// Tells `sink` (nullptr: nobody) about every flow created from now on; kept across reset().
    void set_new_flow_sink(NewFlowSink* sink) { new_flow_ = sink; }
    bool announces_new_flows() const { return new_flow_ != nullptr; }

private:
    void add_hashed(const Decoded& d, Micros now, uint64_t hash);
    void evict(Micros now);
    void remove_marked(const std::vector<char>& victim, Micros now);
    struct Impl;
    std::unique_ptr<Impl> impl_;
    AccountingConfig cfg_;
    CaptureCounts capture_;
    NewFlowSink* new_flow_ = nullptr;
    ForgetFn on_forget_;
};

/// Sorts flows in place: rates descending (ties: more bytes first), names ascending.
void sort_flows(std::vector<FlowView>& flows, SortKey key);

/// Decodes frames into a FlowTable: the glue every output uses. Owns no source.
class Engine : public FrameSink {
public:
    explicit Engine(AccountingConfig cfg = {});
    /// Called after each closed second with the tick's index (1, 2, ...) and time; return false to stop.
    using TickFn = std::function<bool(int64_t index, Micros at)>;
    void on_tick(TickFn fn) { on_tick_ = std::move(fn); }
    /// Decodes and accounts one frame at its timestamp (plus the live shift), which drives the ticks, offline
    /// and live alike. The time rule (README "Time"): a timestamp before the open second counts in the open
    /// second (never in a closed one); live, one after the loop's present (see run_live) counts at the present.
    void on_frame(const Frame& f) override;
    /// Moves time to `now`: closes every whole second before it, calling the tick function for each
    /// (a gap longer than the 40 s window is crossed in one step after 40 ticks).
    void advance(Micros now);
    /// Live: reads every frame `src` has ready, each accounted by its capture timestamp, then closes every second
    /// that ended before `now - src.delivery_delay()` (by then any frame stamped in it has been delivered).
    /// `now` is the capture clock's present on the engine's time axis (the wall clock plus shift()); frames
    /// stamped after it count at it. A stopped or late reader thus delays the ticks and never moves bytes to
    /// another second. Errors are capture failures.
    Result<int> run_live(PacketSource& src, Micros now);
    /// Live: added to every frame's timestamp so that time stays continuous when the system clock is stepped
    /// (the loop measures the step, see LiveClock in [13]). 0 offline.
    void set_shift(Micros shift) { shift_ = shift; }
    Micros shift() const { return shift_; }
    /// Live: when the next second can close on the engine's time axis (its end plus the source's delivery
    /// delay): a loop sleeps until then when no frame comes.
    Micros next_close(const PacketSource& src) const { return next_tick_ + src.delivery_delay(); }
    /// End of input: closes the second holding the last frame, so a file's tail counts as a whole second.
    void finish();
    /// Reads a source to its end as fast as possible (offline). Errors are read failures mid-file; what was read
    /// before one stays counted.
    Result<bool> run_offline(PacketSource& src);
    bool stopped() const { return stopped_; }
    int64_t ticks() const { return ticks_; }
    /// Accounts frames still waiting in the batch. Every call that reads or ticks the table does this first.
    void flush();
    /// Starts over for a new capture (the interface chooser): an empty table, ticks from zero.
    void reset(std::vector<IpAddr> local_addrs) {
        npending_ = 0;
        table_.reset(std::move(local_addrs));
        next_tick_ = ticks_ = 0;
        stopped_ = false;
    }
    FlowTable& table() { flush(); return table_; }
    const FlowTable& table() const { return table_; }  ///< call flush() first when frames were fed directly

private:
    static constexpr size_t kBatch = 64;
    FlowTable table_;
    TickFn on_tick_;
    std::array<Decoded, kBatch> pending_;
    std::array<Micros, kBatch> pending_at_;
    size_t npending_ = 0;
    Micros shift_ = 0;
    Micros limit_ = std::numeric_limits<Micros>::max();  ///< live: the loop's present (frames after it count at it)
    Micros next_tick_ = 0;
    int64_t ticks_ = 0;
    bool stopped_ = false;
};

/// "host:port => host:port" in plain text, for examples and logs.
/// One endpoint as every output writes it (screen, -t, export, labels): "host:port", "[v6 literal]:port", or the
/// host alone when `port` is empty; fitted into `cols` columns (0: no limit) by cutting the host, marked with …
/// (or ~ when `ascii`) and never inside a UTF-8 sequence, so no cut text reads as a different valid address.
std::string format_endpoint(std::string_view host, std::string_view port, int cols = 0, bool ascii = false);
std::string flow_label(const FlowView& f);

/* ========================================================================================================== */
/* [7] processes — which program owns a flow: /proc/net and lsof parsing, the incremental inode→pid resolver,  */
/*     SHA-256 and package owners of executables. New flows are looked up on a worker as soon as the table     */
/*     creates them, the rest once per tick; never per packet                                                   */
/* ========================================================================================================== */

/// A process as attribution shows it. Every string is sanitized (detail::printable): names are hostile input.
/// A process is (pid, start_time): a pid reused by a new program is another ProcessInfo.
struct ProcessInfo {
    int pid = 0;
    uint64_t start_time = 0;  ///< /proc/<pid>/stat field 22, clock ticks after boot (0: unknown, lsof)
    std::string name;         ///< /proc/<pid>/comm (lsof: the command)
    std::string cmdline;      ///< /proc/<pid>/cmdline, NUL separators shown as spaces
    std::string exe;          ///< the exe link's target; may end in " (deleted)"; "" when unreadable
    std::string container;    ///< container name from /proc/<pid>/cgroup (container_of_cgroup); "" on the host
};
/// The name outputs show: "name", or "name@container" for a process in a container.
std::string process_label(const ProcessInfo& p);

/// Field 22 (starttime) of /proc/<pid>/stat, and the comm in parentheses (which may itself hold ") ");
/// false when the text does not parse.
bool parse_proc_stat(std::string_view stat, uint64_t& start_time, std::string* comm = nullptr);
/// The container a process runs in, from its /proc/<pid>/cgroup text (cgroup v1 or v2): docker, podman/libpod,
/// containerd and CRI-O (Kubernetes pods: the pod's uid), systemd-nspawn machines, LXC/LXD. Ids are cut to 12
/// characters as docker shows them. "" when the path names no container.
std::string container_of_cgroup(std::string_view cgroup);
/// IPv4 addresses of a network namespace from its /proc/<pid>/net/fib_trie ("/32 host LOCAL" entries).
std::vector<IpAddr> parse_fib_trie_local(std::string_view text);
/// IPv6 addresses from /proc/<pid>/net/if_inet6 (32 hex digits first on each line).
std::vector<IpAddr> parse_if_inet6(std::string_view text);

/// How complete attribution is: off (-Z, or a capture file), partial (some processes could not be read,
/// usually another user's without root), full.
enum class Attribution : uint8_t { off, partial, full };
const char* attribution_name(Attribution a);  ///< "off", "partial", "full"

/// One socket from /proc/net/{tcp,tcp6,udp,udp6} or from lsof. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
/// are stored as IPv4 so they match IPv4 flows; the wildcard address is all zeros of its family.
struct SocketRow {
    uint8_t proto = 0;  ///< kProtoTcp, kProtoUdp, or kProtoIcmp/kProtoIcmp6 (ping sockets: the port is the echo id)
    IpAddr local, remote;
    uint16_t local_port = 0, remote_port = 0;
    uint64_t inode = 0;      ///< socket inode (0 for time-wait and lsof rows)
    bool listening = false;  ///< TCP LISTEN
    bool wildcard6 = false;  ///< bound to :: (an IPv6 socket that also takes IPv4 unless IPV6_V6ONLY)
    uint32_t uid = 0;        ///< the socket's owner (the uid column)
};

/// Parses the text of /proc/net/tcp|udp|icmp (family 4) or tcp6|udp6|icmp6 (family 6): the kernel prints each
/// 32-bit word of an address in host byte order as %08X and ports as %04X (net/ipv4/tcp_ipv4.c,
/// net/ipv6/tcp_ipv6.c; ping sockets in net/ipv4/ping.c print their echo identifier as the local port).
/// Lines that do not parse are skipped.
std::vector<SocketRow> parse_proc_net(std::string_view text, uint8_t proto, int family);

/// One network file of one process from `lsof -n -P -F pcnPt`.
struct LsofSocket {
    int pid = 0;
    std::string command;  ///< sanitized
    SocketRow row;        ///< inode 0
};
/// Parses `lsof -n -P -F pcnPt` output (one field per line: p pid, c command, f fd, t type, P protocol, n name);
/// keeps TCP and UDP files of type IPv4/IPv6. Anything else is skipped.
std::vector<LsofSocket> parse_lsof(std::string_view text);

/// SHA-256 (FIPS 180-4), incremental.
class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t n);
    std::array<uint8_t, 32> finish();  ///< the digest; the object must not be updated afterwards
    static std::string hex(const std::array<uint8_t, 32>& d);
    static std::string of(std::string_view data);  ///< lowercase hex digest of `data`

private:
    void block(const uint8_t* p);
    uint32_t h_[8];
    uint8_t buf_[64];
    size_t len_ = 0;
    uint64_t total_ = 0;
};
/// Lowercase hex SHA-256 of a file's content; errors name the path.
Result<std::string> sha256_file(const std::string& path);

/// Which package owns a file: the dpkg database (`<dpkg_info>/*.list`, read once on the first question) or,
/// when an rpm database exists, `rpm -qf`. Handles usrmerge (/bin/x is /usr/bin/x) and " (deleted)".
/// Not thread-safe; slow on the first call (reads the whole database): keep it off the UI path.
class PublisherIndex {
public:
    explicit PublisherIndex(std::string dpkg_info = "/var/lib/dpkg/info", std::string rpm_db = "/var/lib/rpm");
    /// The package name, or "unpackaged".
    std::string package_of(std::string_view path);
    size_t indexed_files() const { return files_.size(); }

private:
    void build();
    std::string dpkg_info_, rpm_db_;
    bool built_ = false, rpm_ = false;
    std::unordered_map<std::string, std::string> files_;  ///< path → package (dpkg)
    std::unordered_map<std::string, std::string> rpm_cache_;
};

/// Socket inode → pid over a procfs tree (`proc_root` is a parameter so tests build a fake one).
/// Incremental: the inode→pid map is kept; /proc is walked only when a flow's socket inode is unknown —
/// first the pids not seen before, then the pids that recently owned new sockets, then the pids whose number of
/// open fds changed (stat of /proc/<pid>/fd, Linux 6.2+) or whose sockets closed, and only then everything, at most
/// once per `full_walk_interval`. A match found in the cache is confirmed with one readlink. Vanished pids are
/// forgotten.
/// When /proc/net cannot be read, `lsof -n -P -F pcnPt -i` is the fallback. Not thread-safe.
class ProcessResolver {
public:
    struct Config {
        std::string proc_root = "/proc";
        Micros full_walk_interval = kMicrosPerSecond;
        bool allow_lsof = true;  ///< fall back to lsof when <proc_root>/net is unusable
        /// With the real /proc: ask the kernel for each flow's socket (NETLINK_SOCK_DIAG, one exact lookup, the
        /// same exact-then-listener match the kernel uses for packets) instead of reading the /proc/net tables,
        /// which cost hundreds of ms per read with tens of thousands of sockets.
        bool sock_diag = true;
        /// Flows of processes in other network namespaces (containers): their sockets through
        /// /proc/<pid>/net/*, which needs no setns and so works after the privilege drop.
        bool other_namespaces = true;
    };
    struct Stats {
        uint64_t net_reads = 0;       ///< times the socket tables were read
        uint64_t full_walks = 0;      ///< walks of every /proc/<pid>/fd
        uint64_t new_pid_walks = 0;   ///< readdir of /proc for pids not seen before
        uint64_t targeted_walks = 0;  ///< re-walks of recently active pids
        uint64_t changed_walks = 0;   ///< passes re-walking only pids whose fd count changed or that lost sockets
        uint64_t fd_dirs_read = 0;    ///< /proc/<pid>/fd directories read
        uint64_t unreadable = 0;      ///< fd directories that could not be read (EACCES, ...)
        uint64_t lsof_runs = 0;
        uint64_t diag_queries = 0;    ///< sock_diag lookups (one per flow looked up)
        uint64_t ns_reads = 0;        ///< socket tables of another network namespace read
        uint64_t fast_lookups = 0;    ///< first lookups of new flows (the cheap walks only)
        uint64_t identity_checks = 0; ///< /proc/<pid>/stat reads confirming a process is still the same one
        uint64_t forwarded = 0;       ///< lookups skipped: neither end is an address here (routed, bridged)
    };
    /// The socket a lookup found: inode 0 when none, uid -1 when unknown.
    struct Socket { uint64_t inode = 0; int64_t uid = -1; };
    explicit ProcessResolver(Config cfg);
    ProcessResolver() : ProcessResolver(Config{}) {}
    ~ProcessResolver();
    ProcessResolver(const ProcessResolver&) = delete;
    ProcessResolver& operator=(const ProcessResolver&) = delete;

    /// The owner of flow `k` at time `now`, or nullptr when no process owns it (yet). Exact 5-tuple first, then the
    /// listening TCP or unconnected UDP socket on the local address (or the wildcard address) and port.
    std::shared_ptr<const ProcessInfo> lookup(const FlowKey& k, Micros now, uint64_t* inode = nullptr);
    /// The same, with the echo identifier of an ICMP flow (its ping socket's port; 0: not an echo) and the socket
    /// found. `fast`: the first lookup of a new flow, racing the socket's close — only the cheap walks (new
    /// processes, recent owners, changed fd counts, each at most every 20 ms), never the full walk.
    /// Which end: a flow whose local address belongs to this namespace is this namespace's socket; otherwise the
    /// local end is looked for in every namespace, then the remote end (both ends on this host: the local end).
    std::shared_ptr<const ProcessInfo> lookup(const FlowKey& k, Micros now, Socket& sock, uint16_t echo_id,
                                              bool fast);
    /// Process `pid` exited (or its pid was reused): forgets it and its sockets.
    void forget_process(int pid);
    /// Whether `p` still runs as p.pid: 0 yes; 1 gone, or the pid reused (another start time); 2 it exec'd
    /// (another comm): its ProcessInfo is read again by the next lookup. One read of /proc/<pid>/stat.
    int check_process(const ProcessInfo& p);
    /// Process `pid` was just created (fork): the next lookup that misses reads its fds first.
    void hint_new(int pid);
    /// Whether socket `inode`, found by an earlier lookup, is still open in its process (one readlink). When it is
    /// not, the process may have reused the fd number for a new socket: it is re-read first on the next miss.
    bool still_open(uint64_t inode);
    /// Full while every fd directory could be read; partial otherwise; off when neither /proc nor lsof works.
    Attribution level() const;
    const Stats& stats() const;
    /// The exe path to open for hashing a process's executable (/proc/<pid>/exe works for deleted files too).
    std::string exe_open_path(int pid) const;
    /// Hint: a flow owned by `pid` ended, so it may have closed a socket and reused the fd number for a new one
    /// (which keeps its fd count): its fds are re-read the next time an unknown socket is looked for.
    void hint_closed(int pid);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Facts about an executable, computed once per (device, inode, mtime) off the UI path.
struct ExeFacts {
    std::string sha256;     ///< "" when unreadable
    std::string publisher;  ///< package or "unpackaged"
};

/// Who owns a flow, as outputs show it.
struct FlowOwner {
    std::shared_ptr<const ProcessInfo> proc;  ///< nullptr: unknown
    std::shared_ptr<const ExeFacts> exe;      ///< nullptr: not known (yet)
    int64_t uid = -1;                         ///< the socket's uid when its socket was found; -1: unknown
    std::string user;                         ///< uid's name from the passwd database, else the number
};
/// "[pid:name]", "[pid:name@container]", "[user]" when only the socket's uid is known, "" when nothing is.
std::string owner_label(const FlowOwner& o);

/// Per-flow attribution cache: `update` once per tick looks up new flows and retries unknown ones (backing off
/// to 30 s for flows no process owns, such as forwarded traffic); executables are hashed and their packages
/// looked up on a worker thread. Outputs read `owner()` without doing I/O. Not thread-safe (the worker is internal).
class FlowAttribution {
public:
    struct Config {
        ProcessResolver::Config resolver;
        std::string dpkg_info = "/var/lib/dpkg/info", rpm_db = "/var/lib/rpm";
        bool exe_facts = true;   ///< hash executables and find their packages
        bool background = true;  ///< on a worker thread (false: synchronously inside update, for tests)
    };
    explicit FlowAttribution(Config cfg);
    ~FlowAttribution();
    FlowAttribution(const FlowAttribution&) = delete;
    FlowAttribution& operator=(const FlowAttribution&) = delete;

    /// Brings attribution up to date for the flows in `t` at time `now`; forgets flows that left the table.
    void update(const FlowTable& t, Micros now);
    /// The cached owner of a flow; nullptr when the flow was never looked up.
    const FlowOwner* owner(const FlowKey& k) const;
    Attribution level() const;
    ProcessResolver& resolver();
    /// Waits up to `ms` for queued executables to be hashed, then takes their results (before a final report).
    void settle(int ms);
    /// Where the table announces new flows (FlowTable::set_new_flow_sink). Never blocks: a bounded queue; a flow
    /// that finds it full is counted in stats().queue_overflow and left to the per-tick pass.
    NewFlowSink* new_flow_sink();
    /// Starts the lookup worker, which looks up new flows at once (while short-lived sockets still exist) and
    /// listens to the kernel's process events (fork/exec/exit). Call it after dropping privileges: a thread
    /// started before would keep them. Without start() (or with background false) update() drains the queue.
    void start();
    struct Stats {
        uint64_t queued = 0;          ///< new flows handed to the worker
        uint64_t queue_overflow = 0;  ///< new flows dropped because the queue was full
        uint64_t fast_found = 0;      ///< new flows whose owner the first lookup found
        uint64_t proc_events = 0;     ///< fork/exec/exit events from the process connector
        uint64_t owner_changes = 0;   ///< flows moved to another process (exit, exec, pid reuse)
        bool proc_connector = false;  ///< the process connector is listening (else exits are polled per tick)
    };
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// One row of the Processes or Publishers view: flows grouped by process (or package), totals and rates summed.
struct OwnerGroup {
    int pid = 0;              ///< processes view; 0 for "unknown" and for publisher rows
    uint64_t start_time = 0;  ///< processes view: with pid, the process (a reused pid is another row)
    std::string name;         ///< process label (process_label), package, "unknown" or "unpackaged"
    std::string publisher;    ///< processes view: the package of its executable when known
    size_t flows = 0;
    Counts counts;
    Rates rates;
};
/// Groups flows per process (unknown flows in one "unknown" row, never dropped), by total bytes descending.
std::vector<OwnerGroup> group_by_process(const std::vector<FlowView>& flows, const FlowAttribution& attr);
/// Groups flows per publisher package ("unknown" when the process or its package is not known yet).
std::vector<OwnerGroup> group_by_publisher(const std::vector<FlowView>& flows, const FlowAttribution& attr);


/* ========================================================================================================== */
/* [8] themes — colour roles (one X-macro) and palettes; data only                                            */
/* ========================================================================================================== */

/// Every colour role a theme defines, in themes.inc column order. Adding one breaks the build until every theme
/// row in themes.inc has it.
#define IFTOP_COLOR_ROLES(X)                                                                                   \
    X(bg) X(fg) X(muted) X(header_bg) X(header_fg) X(scale) X(border) X(host_local) X(host_remote) X(arrow)     \
    X(rate_2s) X(rate_10s) X(rate_40s) X(bar_sent) X(bar_recv) X(bar_low) X(bar_high) X(sel_bg) X(sel_fg)       \
    X(status_bg) X(status_fg) X(accent) X(pinned) X(alert) X(tooltip_bg) X(tooltip_fg) X(spark)

/// A colour role: an index into Theme::colors.
enum class Role : uint8_t {
#define IFTOP_DETAIL_ROLE_ENUM(n) n,
    IFTOP_COLOR_ROLES(IFTOP_DETAIL_ROLE_ENUM)
#undef IFTOP_DETAIL_ROLE_ENUM
    count_
};
constexpr size_t kRoles = static_cast<size_t>(Role::count_);

/// 24-bit colour as 0xRRGGBB.
using Rgb = uint32_t;

/// A named palette: one colour per role.
struct Theme {
    const char* name;
    const char* description;
    Rgb colors[kRoles];
    Rgb operator[](Role r) const { return colors[static_cast<size_t>(r)]; }
};

/// All themes: the 31 of themes.inc (when it is next to the header) after the built-in "Default".
const std::vector<Theme>& themes();
/// A theme by name, case-insensitive; nullptr if there is none.
const Theme* find_theme(std::string_view name);
/// The role names, for --list-colors and tests.
const char* role_name(Role r);

/* ========================================================================================================== */
/* [9] screen — a cell grid with front/back buffers diffed into escape sequences; never writes to an fd       */
/* ========================================================================================================== */

/// How many colours the terminal shows. mono draws with reverse video and bold only.
enum class ColorMode : uint8_t { mono, c16, c256, truecolor };

/// Picks the colour mode from the environment (NO_COLOR, COLORTERM, TERM), as terminals advertise it.
ColorMode detect_color_mode(const char* no_color, const char* colorterm, const char* term);

/// Text attributes.
enum Attr : uint8_t { kBold = 1, kReverse = 2, kUnderline = 4, kDim = 8 };

/// What one cell shows: a code point (0 = the right half of a wide glyph), colours and attributes.
struct Cell {
    uint32_t ch = ' ';
    Rgb fg = 0xd0d0d0, bg = 0x000000;
    uint8_t attr = 0;
    bool operator==(const Cell& o) const { return ch == o.ch && fg == o.fg && bg == o.bg && attr == o.attr; }
    bool operator!=(const Cell& o) const { return !(*this == o); }
};

/// Columns a code point takes on a terminal: 0 (combining), 1, or 2 (East Asian wide, emoji).
int codepoint_width(uint32_t cp);

/// A cell grid. Draw into the back buffer; present() returns the bytes that turn the terminal's current
/// contents (the front buffer) into it, and makes them the new front. Not thread-safe; no I/O.
class Screen {
public:
    Screen(int width, int height);
    int width() const { return w_; }
    int height() const { return h_; }
    /// New size: everything is redrawn on the next present().
    void resize(int width, int height);
    void clear(Rgb bg, Rgb fg);
    /// Draws UTF-8 text at (x, y), clipped to `max_cols` (and the screen). Control bytes, escape sequences and
    /// invalid UTF-8 become '?'; wide glyphs take two cells and never hang over the edge. Returns columns used.
    int text(int x, int y, std::string_view utf8, Rgb fg, Rgb bg, uint8_t attr = 0, int max_cols = 1 << 30);
    /// Sets the background of [x, x+n) on row y, keeping the glyphs (bars are drawn under the text this way).
    void fill_bg(int x, int y, int n, Rgb bg, uint8_t attr_or = 0);
    Cell& at(int x, int y) { return back_[size_t(y) * size_t(w_) + size_t(x)]; }
    const Cell& at(int x, int y) const { return back_[size_t(y) * size_t(w_) + size_t(x)]; }
    /// The bytes for the terminal: only changed cells, minimal cursor moves and SGR changes, inside
    /// synchronized-output brackets (?2026). Empty when nothing changed.
    std::string present(ColorMode mode);
    /// Forget what the terminal shows (after a resume or an external redraw): the next present() repaints all.
    void invalidate();
    /// The back buffer as plain text, one line per row (trailing spaces kept), for tests and --dump.
    std::string dump() const;

private:
    int w_, h_;
    std::vector<Cell> front_, back_;
    bool full_ = true;
};

/* ========================================================================================================== */
/* [10] view — iftop's screen drawn into a Screen from flows and a ViewState; no I/O, no clock                */
/* ========================================================================================================== */

/// A theme made on the screen (C): a name and one colour per role, saved in ~/.iftoprc as
/// `custom-theme: NAME = #rrggbb #rrggbb ...` (kRoles colours in IFTOP_COLOR_ROLES order).
struct CustomTheme {
    std::string name;
    std::array<Rgb, kRoles> colors{};
};

/// What the screen saves in ~/.iftoprc: set from the file and the command line at start, changed by the keys of
/// the command table (each command names the key it saves).
struct ViewSettings {
    enum LineMode : uint8_t { two_line, one_line_both, one_line_sent, one_line_recv };
    LineMode line_mode = two_line;   ///< t
    bool bars = true;                ///< b (iftop): bars on or off
    enum BarStyle : uint8_t { solid, gradient, thin, ascii_bar };
    BarStyle bar_style = solid;      ///< v: solid, gradient (bar_low → bar_high), thin, ascii (reverse video)
    int bar_window = 1;              ///< B: which average the bars show (0 2s, 1 10s, 2 40s)
    bool log_scale = true;           ///< L
    double max_bandwidth = 0;        ///< -m, bits/s; 0 = follow the peak
    bool bytes = false;              ///< -B
    bool show_ports = false;         ///< p / -P
    bool show_src_port = true, show_dst_port = true;  ///< S, D
    bool hide_src = false, hide_dst = false;          ///< s, d: aggregate that side away
    bool dns = true, port_names = true;               ///< n, N
    bool cumulative = false;         ///< T
    SortKey sort = SortKey::rate_10s;
    bool reverse = false;            ///< r
    bool status_bar = true;          ///< g
    bool border = false;             ///< x: a frame around the whole screen
    bool show_processes = true;      ///< Z: the [pid:name] column (-Z hides it)
    bool hover_tips = true;          ///< H: status-bar tooltips on hover (a right click always opens one)
    size_t theme = 0;                ///< index into themes(), then into `custom_themes`
    std::vector<CustomTheme> custom_themes;  ///< C: themes made on the screen
    std::vector<FlowKey> pinned;     ///< F or a middle click: these float to the top, marked ★
    uint64_t alert_threshold = 0;    ///< bits/s; a flow whose 2 s rate crosses it is marked, the border flashes
    int refresh = 1;                 ///< R: redraw every 1, 2, 5 or 10 s
};

/// What is open and selected now: never saved.
struct ViewUi {
    enum View : uint8_t { flows, processes, publishers };
    View view = flows;               ///< Tab cycles; Enter on a process or publisher drills into its flows
    bool drilled = false;            ///< the flows view shows only the flows of `drill_pid` / `drill_name`
    bool drill_publisher = false;    ///< drill_name is a publisher (else a process, by pid)
    int drill_pid = 0;
    std::string drill_name;
    View drill_from = processes;     ///< where Esc returns to
    int scroll = 0;                  ///< first row shown
    int selected = 0;                ///< selected row (index into the rows shown)
    bool paused = false;             ///< P
    bool frozen = false;             ///< o
    bool help = false;               ///< h, ?: modal; j/k scroll it
    int help_scroll = 0;
    bool chooser = false;            ///< c: the theme chooser, previewing the theme under the cursor
    size_t chooser_from = 0;         ///< the theme to go back to on Esc
    std::vector<std::string> interfaces;  ///< i: the interface chooser's list (empty: closed)
    int interface_sel = 0;
    bool tooltip = false;            ///< Enter or a right click: the selected flow's details and sparkline
    int tooltip_x = 0, tooltip_y = 0;
    int status_tip = -1;             ///< the status-bar segment whose tooltip is shown (hover ~1 s or right click)
    int hover_segment = -1;          ///< the segment under the pointer (motion reports), for the hover delay
    std::string filter;              ///< l or /: case-insensitive match on what the rows show
    bool editing_filter = false;
    bool editing_bpf = false;        ///< f (iftop): edit the capture's filter code; Enter applies it
    std::string bpf;                 ///< the filter code being edited / in force
    size_t cursor = 0;               ///< the line editors' cursor, a byte offset at a code point boundary
    std::string edit_undo;           ///< f: the filter code before the edit (Esc puts it back)
    /// C: the theme editor. Changes show live; Esc puts the theme back, Enter names and saves it.
    struct Editor {
        bool open = false;
        bool naming = false;         ///< typing the name (in `name`, with `cursor`)
        size_t from = 0;             ///< the theme that was shown before
        int role = 0;                ///< the colour slot being edited
        int channel = 0;             ///< 0 red, 1 green, 2 blue
        std::string name;
        CustomTheme colors;          ///< the palette being edited (drawn live)
    } editor;
    std::string message;             ///< one-line status message
};

/// Facts the loop sets: the terminal's abilities and size, alerts now.
struct ViewEnv {
    bool ascii = false;              ///< --ascii or a non-UTF-8 locale
    ColorMode color = ColorMode::truecolor;  ///< mono: bars and selection by attributes alone
    int screen_w = 80;               ///< the terminal's width, for clicks on the column titles
    std::vector<FlowKey> alerting;   ///< flows over the threshold now
    bool flash = false;              ///< the border in the alert colour (the loop blinks it after a crossing)
};

/// Everything render() and the commands read, by lifetime: saved settings, transient UI state, the loop's facts.
struct ViewState : ViewSettings, ViewUi, ViewEnv {};

/// The theme `st` shows: a built-in one, a custom one, or the one being edited. Valid while `st` lives.
Theme current_theme(const ViewState& st);
/// Built-in and custom themes together.
size_t theme_count(const ViewState& st);
/// The name of theme `i` (built-in or custom).
std::string theme_name(const ViewState& st, size_t i);

/// What one frame shows.
struct ViewModel {
    std::vector<FlowView> rows;      ///< already aggregated and sorted
    FlowView totals;
    double peak_total = 0;
    std::string interface;
    std::string clock;               ///< "12:34:56"
    std::function<std::string(const IpAddr&)> host_name;      ///< empty: numeric
    std::function<std::string(uint16_t, uint8_t)> port_name;  ///< empty: numeric
    std::function<const FlowOwner*(const FlowKey&)> owner;    ///< empty: no attribution
    std::vector<OwnerGroup> groups;  ///< the Processes or Publishers rows, when that view is shown
    /// Bytes per second of a flow over the last 40 s (for the tooltip's sparkline); empty: none.
    std::function<bool(const FlowKey&, int, std::array<uint64_t, kHistorySeconds>&)> history;
    std::string attribution = "off"; ///< "full", "partial" or "off", for the status bar
    bool ended = false;              ///< the capture file was read to its end: the clock has stopped
    SortKey sorted_by = SortKey::rate_10s;  ///< the order the rows are in (a sort chosen while paused is pending)
    bool sorted_reverse = false;
};

/// The flows a drill-down shows: those of the process (by pid) or publisher chosen in `st`.
std::vector<FlowView> drill_filter(std::vector<FlowView> flows, const ViewState& st, const ViewModel& vm);

/// Every flow of the table, unsorted (view_rows sorts).
std::vector<FlowView> all_flows(const FlowTable& t);

/// Builds the rows: aggregation (s, d, p), the screen filter (on the text the rows show: `host_name` and
/// `port_name` as on screen), the sort (or the frozen order).
std::vector<FlowView> view_rows(const std::vector<FlowView>& flows, const ViewState& st,
                                const std::function<std::string(const IpAddr&)>& host_name,
                                std::vector<FlowKey>* frozen_order,
                                const std::function<std::string(uint16_t, uint8_t)>& port_name = {});

/// The smallest screen drawn; below it render() shows one line saying the terminal is too small.
constexpr int kMinScreenW = 30, kMinScreenH = 8;

/// Draws one frame. Returns the number of flow rows that fit (for paging).
int render(Screen& scr, const ViewState& st, const ViewModel& vm);

/// One part of the status bar and what its tooltip says.
struct StatusSegment {
    std::string text, tip;
};
/// The status bar's parts, in order (drawn separated by " │ " after one space); pure, so input and drawing agree.
std::vector<StatusSegment> status_segments(const ViewState& st, const ViewModel& vm);
/// The segment at column x of the status bar, or -1.
int status_segment_at(const ViewState& st, const ViewModel& vm, int x);
/// The view whose tab is at column x of the status bar (its first part is the tab strip), or -1.
int view_tab_at(const ViewState& st, int x);

/// Which row (index into vm.rows) is drawn at screen line y, or -1.
int row_at(const ViewState& st, const ViewModel& vm, int screen_height, int y);

/// The rows as a plain text table (what e writes): aligned columns, the date, the totals.
std::string export_table(const ViewModel& vm, bool bytes, const std::string& date = std::string());
/// OSC 52 "set clipboard" for `text` (xterm ctlseqs: works over SSH, no X server needed).
std::string osc52_copy(std::string_view text);
/// A sparkline of `values` in block glyphs (or ASCII), one column per value.
std::string sparkline(const uint64_t* values, size_t n, bool ascii);
/// The round tick values (in the unit shown: bits, or bytes with -B) of the scale up to `top`: iftop's
/// 10, 100, 1K, 10K, ... with K = 1024 on the log scale, fifths of the top on the linear one.
std::vector<double> scale_ticks(double top, bool log_scale);

/* ========================================================================================================== */
/* [11] input — terminal bytes to key and mouse events, the command table, what each event does; no I/O      */
/* ========================================================================================================== */

/// Keys that are not characters.
enum class Key : uint32_t {
    none = 0, up = 0x110000, down, left, right, home, end, page_up, page_down, insert, del, f1, f2, f3, f4,
    enter, tab, backtab, backspace, escape
};

/// One input event.
struct InputEvent {
    enum Type : uint8_t { key, mouse } type = key;
    uint32_t code = 0;   ///< a Unicode code point or a Key value
    bool ctrl = false, alt = false, shift = false;
    // mouse (SGR 1006): button 0 left, 1 middle, 2 right, 3 none (motion), 64/65 wheel up/down
    int button = 0;
    int x = 0, y = 0;    ///< 0-based cell
    bool press = true;   ///< false on release
    bool motion = false;
};

/// Turns terminal bytes into events. Feed any split of the byte stream; a sequence cut short waits for more.
/// A lone Esc is only known after a pause: call flush() when no byte came for ~30 ms.
class InputParser {
public:
    void feed(std::string_view bytes, std::vector<InputEvent>& out);
    void flush(std::vector<InputEvent>& out);  ///< emits a pending lone Esc (or Alt-less leftovers)
    bool pending() const { return !buf_.empty(); }

private:
    /// Parses one event from the front of buf_: >0 bytes used, 0 = need more, <0 = -(bytes) to drop.
    int parse_one(std::vector<InputEvent>& out, bool final);
    std::string buf_;
    bool skip_csi_ = false;  ///< inside an over-long CSI that was dropped: its bytes up to the final one are not keys
};

/// What the loop must do after an input event.
enum class InputAction : uint8_t {
    none, quit, suspend, copy, export_flows, apply_filter, list_interfaces, switch_interface, save_theme
};

/// A key code for Ctrl + a letter in the command table (InputEvent code 'c' with ctrl set).
constexpr uint32_t ctrl_key(char c) { return 0x40000000u | uint32_t(c); }

struct CommandContext;

/// One command of the screen. The key dispatch, the help screen, the status messages, ~/.iftoprc persistence and
/// the README's key table all come from this one table.
struct Command {
    std::array<uint32_t, 3> keys;    ///< key codes: code points, Key values, ctrl_key('d'); 0 = unused
    const char* label;               ///< the keys as help and the README write them
    const char* group;               ///< the help's heading
    const char* help;                ///< what it does (at most 62 columns: help never cuts at 80 columns)
    const char* mouse;               ///< the mouse binding that does the same, or nullptr
    const char* config;              ///< the ~/.iftoprc key it changes, or nullptr
    InputAction (*run)(CommandContext&);
    std::string (*says)(const ViewState&);       ///< the status message after it ran, or nullptr
    std::string (*saved)(const ViewSettings&);   ///< the value `config` saves, or nullptr
};
/// The screen's commands, in the help's order.
const std::vector<Command>& commands();
/// The command a key runs, or nullptr.
const Command* find_command(const InputEvent& e);
/// The help screen's lines, from the command table.
std::vector<std::string> help_lines();
/// The README's key table rows ("| `n` | ... |"), from the command table.
std::string key_table_markdown();
/// The screen's settings as ~/.iftoprc lines, one per config key of the command table, in table order.
std::vector<std::pair<std::string, std::string>> config_items(const ViewSettings& st);
/// Applies the screen's own ~/.iftoprc keys (hover-tooltips, refresh, bar-average, custom-theme, theme of a custom
/// theme) to `st`; other keys are left to apply_config_text. Unknown values are skipped.
void apply_screen_config(std::string_view text, ViewSettings& st);

/// Applies one key or mouse event (the command table, the per-mode handlers: help, editors, choosers) to the view.
/// `page_rows` is what render() returned; `frozen` keeps the order for o.
InputAction apply_input(const InputEvent& e, ViewState& st, const ViewModel& vm, int screen_h, int page_rows,
                        std::vector<FlowKey>& frozen);

/* ========================================================================================================== */
/* [12] terminal — raw mode, alternate screen, mouse, signals; the only section that touches the tty          */
/* ========================================================================================================== */

/// The escape sequences the tool sends, named once (xterm ctlseqs).
namespace seq {
constexpr const char* kAltScreenOn = "\x1b[?1049h";
constexpr const char* kAltScreenOff = "\x1b[?1049l";
constexpr const char* kCursorHide = "\x1b[?25l";
constexpr const char* kCursorShow = "\x1b[?25h";
constexpr const char* kMouseOn = "\x1b[?1000h\x1b[?1006h";    ///< clicks and wheel, SGR coordinates
constexpr const char* kMouseOff = "\x1b[?1003l\x1b[?1000l\x1b[?1006l";
constexpr const char* kMouseMotionOn = "\x1b[?1003h";          ///< all motion: only while hover matters
constexpr const char* kMouseMotionOff = "\x1b[?1003l";
constexpr const char* kSyncBegin = "\x1b[?2026h";
constexpr const char* kSyncEnd = "\x1b[?2026l";
constexpr const char* kSgrReset = "\x1b[0m";
constexpr const char* kClear = "\x1b[2J";
constexpr const char* kBell = "\x07";
}  // namespace seq

/* ========================================================================================================== */
/* [13] application — options, text report, NDJSON, the whole tool as iftop::run                             */
/* ========================================================================================================== */

/// Everything the command line and ~/.iftoprc can set.
struct Options {
    // iftop 1.0pre4
    bool help = false, version = false;
    bool dns = true;              ///< -n turns off
    bool port_names = true;       ///< -N turns off
    bool promiscuous = false;     ///< -p
    bool show_ports = false;      ///< -P
    bool link_local = false;      ///< -l
    bool bars = true;             ///< -b turns off
    bool bytes = false;           ///< -B
    bool text = false;            ///< -t
    std::string interface;        ///< -i
    std::string bpf;              ///< -f
    std::string net4, net6;       ///< -F, -G
    std::string config_file;      ///< -c
    double max_bandwidth = 0;     ///< -m, bits/s; 0 = automatic
    int seconds = 0;              ///< -s N: one report after N seconds, then exit
    int lines = 10;               ///< -L N
    SortKey sort = SortKey::rate_10s;  ///< -o (iftop sorts by the 10 s column by default)
    // iftoprs additions
    bool json = false;            ///< --json
    bool list_interfaces = false; ///< --list-interfaces
    bool no_processes = false;    ///< -Z
    bool processes = false;       ///< --processes: [pid:name] after the local host in text mode
    bool hide_ports = false;      ///< --hide-ports
    std::string completions;      ///< --completions bash|zsh|fish
    // new here
    std::string read_file;        ///< -r FILE ("-" = stdin)
    bool replay = false;          ///< --replay: play -r at recorded speed
    bool final_only = false;      ///< --final-only: with --json or -t, only the final object or report
    size_t max_flows = IFTOP_DEFAULT_MAX_FLOWS;  ///< --max-flows
    std::string theme = "Default";  ///< --theme NAME
    bool list_colors = false;     ///< --list-colors
    bool no_mouse = false;        ///< --no-mouse
    std::string color = "auto";   ///< --color auto|always|never
    bool ascii = false;           ///< --ascii
    std::string user;             ///< --user NAME: who to become once the capture is open ("" = the sudo user, else nobody)
    std::vector<std::string> ipfix;   ///< --ipfix HOST:PORT, repeatable: IPFIX collectors ([14])
    int ipfix_active_timeout = 60;    ///< --ipfix-active-timeout SECONDS
    int ipfix_inactive_timeout = 15;  ///< --ipfix-inactive-timeout SECONDS
    int ipfix_template_refresh = 60;  ///< --ipfix-template-refresh SECONDS
    std::string prometheus;           ///< --prometheus FILE: node_exporter textfile ([14])
    // the screen's settings from ~/.iftoprc (iftop's keys and new ones); saved back when toggled on the screen
    std::string line_display = "two-line";  ///< two-line, one-line-both, one-line-sent, one-line-received
    bool show_totals = false;     ///< cumulative column
    bool log_scale = true;
    bool hide_source = false, hide_destination = false;
    bool mouse = true;            ///< config "mouse: no" = --no-mouse
    std::vector<FlowKey> pinned;  ///< "pinned-flows: TCP 10.0.0.1:40000 192.0.2.7:443, ..."
    std::string bar_style = "solid";  ///< solid, gradient, thin, ascii
    double alert_threshold = 0;   ///< bits/s ("alert-threshold: 10M"); 0 = off
    std::string config_path;      ///< the file the screen saves toggles to ("" = none)
    bool config_writable = false; ///< false when the file did not parse: it is never overwritten
    std::string config_text;      ///< the file as read (when it parsed), for the screen's own keys (apply_screen_config)
};

/// "TCP 10.0.0.1:40000 192.0.2.7:443" (IPv6 in brackets), the config file's form of a flow key.
std::string flow_key_text(const FlowKey& k);
/// The inverse of flow_key_text; nullopt for anything else.
std::optional<FlowKey> parse_flow_key(std::string_view text);
/// Sets `key: value` lines in the config file at `path`, keeping every other line (comments, unknown keys) as it
/// was. Atomic (temporary file and rename); under sudo the file stays the invoking user's.
Result<bool> config_set(const std::string& path, const std::vector<std::pair<std::string, std::string>>& items);

/// Parses argv (argv[0] skipped). Usage errors come back as Errc::usage with the message to print.
Result<Options> parse_args(int argc, const char* const* argv);
/// The same, on top of `base` (e.g. what the config file set): the command line wins.
Result<Options> parse_args_onto(int argc, const char* const* argv, Options base);
/// Applies a ~/.iftoprc-format text (iftop's `key: value` lines) to `opt`. Returns the first bad line as an Error.
Result<bool> apply_config_text(std::string_view text, Options& opt);
/// The -h text.
std::string usage_text();
/// Shell completion script for "bash", "zsh" or "fish"; empty if the shell is unknown.
std::string completion_script(std::string_view shell);

/// iftop's number format: "512b", "1.83Kb", "75.7Mb" (1024-based; bits unless `bytes`).
std::string format_rate(double bytes_per_second, bool bytes);
/// iftop's cumulative format, always bytes: "780B", "1.39KB".
std::string format_bytes(double bytes);

/// How hosts and ports are shown in the text report.
struct TextStyle {
    bool show_ports = false, bytes = false;
    int lines = 10;
    SortKey sort = SortKey::rate_10s;
    std::function<std::string(const IpAddr&)> host_name;            ///< empty: numeric
    std::function<std::string(uint16_t, uint8_t)> port_name;        ///< empty: numeric
    const FlowAttribution* owners = nullptr;  ///< set: "[pid:name]" after the local host (--processes)
};
/// One iftop -t report (the block from the "#" header to the "====" line).
std::string text_report(const FlowTable& t, const TextStyle& st);
struct ExportStatus;  // [14]
/// One NDJSON snapshot line (ends in '\n'). Rates in bytes per second whatever the display flags say.
/// An intermediate snapshot lists the flows seen within the last 40 s (what a live table holds); the final
/// object (`final_object`) every flow in the table.
/// With `owners`, each flow carries its pid, process, publisher and sha256 (null when unknown) and the snapshot its
/// "attribution" level; without, they are null and the level is "off". With `exports`, an "export" object says
/// how the IPFIX and Prometheus exports are doing (records, send failures, last errors).
std::string json_snapshot(const FlowTable& t, std::string_view interface, Micros timestamp, bool final_object,
                          const FlowAttribution* owners = nullptr, const ExportStatus* exports = nullptr);
/// The same line handed to `sink` in pieces of about 64 KiB, so a snapshot of a big table needs no big buffer.
/// Stops early and returns false when the sink returns false (e.g. the reader went away).
bool write_json_snapshot(const FlowTable& t, std::string_view interface, Micros timestamp, bool final_object,
                         const std::function<bool(std::string_view)>& sink, const FlowAttribution* owners = nullptr,
                         const ExportStatus* exports = nullptr);

/// Runs the whole tool with these options; returns the process exit status. Never calls exit().
int run(const Options& opt);
/// main(): parse, config, run. Prints errors to stderr.
int main(int argc, const char* const* argv);

/* ========================================================================================================== */
/* [14] export — flow records to IPFIX collectors (RFC 7011 over UDP) and totals to a Prometheus textfile;     */
/*      fed once per tick and as the table forgets flows; never blocks the packet path, never fatal at run time */
/* ========================================================================================================== */

/// A collector address: "host:port", "192.0.2.1:4739" or "[2001:db8::1]:4739".
struct Endpoint {
    std::string host;
    uint16_t port = 0;
};
/// Parses "HOST:PORT" (IPv6 literals in brackets). Errors (Errc::usage) say what is wrong with the text.
Result<Endpoint> parse_endpoint(std::string_view text);

/// Processes with their own iftop_process_bytes_total series; the others are summed in process="other".
constexpr size_t kPrometheusProcesses = 20;

/// What the exports are told at start.
struct ExportConfig {
    std::vector<std::string> ipfix;  ///< --ipfix collectors, "HOST:PORT" each; empty = no IPFIX
    int active_timeout = 60;         ///< seconds: a flow still active is reported after this long (--ipfix-active-timeout)
    int inactive_timeout = 15;       ///< seconds without a packet before a flow is reported (--ipfix-inactive-timeout)
    int template_refresh = 60;       ///< seconds between re-sent templates (RFC 7011 §8.4: UDP collectors restart)
    std::string prometheus;          ///< --prometheus FILE; "" = no textfile
    std::string interface;           ///< the capture interface or file: interfaceName, the "interface" label
    uint32_t if_index = 0;           ///< its ifIndex (0 for a file); also the IPFIX Observation Domain ID
    Micros epoch_offset = 0;         ///< table time + this = Unix time in µs (0 when the table runs on packet time)
    bool fast_offline = false;       ///< -r as fast as possible: the textfile at most once per second of real time
};

/// How one IPFIX collector is doing.
struct CollectorStatus {
    std::string address;         ///< as given on the command line
    uint64_t messages = 0;       ///< IPFIX messages the kernel took
    uint64_t send_failures = 0;  ///< messages that could not be sent (collector down, ICMP unreachable, full buffer)
    std::string last_error;      ///< of the last failed send; "" when none failed
};
/// How the exports are doing, for --json and the screen.
struct ExportStatus {
    std::vector<CollectorStatus> collectors;
    uint64_t records = 0;                 ///< IPFIX data records built (the sequence number counts them)
    uint64_t octets = 0, packets = 0;     ///< their octetDeltaCount and packetDeltaCount, summed
    std::string prometheus;               ///< the textfile; "" when off
    uint64_t prometheus_writes = 0, prometheus_failures = 0;
    std::string prometheus_error;         ///< of the last failed write; "" when none failed
};

/// Both exports. IPFIX: one record per flow and direction (sent = local→remote) when a flow has been idle for
/// the inactive timeout, has been active for the active timeout, leaves the table, or at finish(); each record
/// carries the counts since the flow's previous record, so over a run they add up to the table's totals.
/// Prometheus: the textfile replaced atomically at every tick. Time is the table's (packet time with -r).
/// Not thread-safe; no call blocks (sockets are non-blocking; a failed send is counted, never retried).
class Exporter {
public:
    /// Resolves the collectors and opens one UDP socket each. Errors (Errc::usage: exit status 2) name the
    /// collector and what is wrong: bad syntax, bad port, a host that does not resolve.
    static Result<std::unique_ptr<Exporter>> open(const ExportConfig& cfg);
    ~Exporter();
    Exporter(const Exporter&) = delete;
    Exporter& operator=(const Exporter&) = delete;

    /// Hooks `t`'s forget observer, so flows evicted or expired are exported before they are gone. `owners`
    /// (may be null) names their processes; it must outlive the table's use of the hook.
    void attach(FlowTable& t, const FlowAttribution* owners);
    /// Once per closed second: flows past a timeout are exported, templates re-sent when due, the textfile
    /// rewritten.
    void tick(const FlowTable& t, Micros now, const FlowAttribution* owners);
    /// End of the run: every flow's remaining counts are exported and the textfile written a last time.
    void finish(const FlowTable& t, Micros now, const FlowAttribution* owners);
    /// The capture moved to another interface (the screen's i): later records carry its index, in messages of
    /// its Observation Domain (templates sent for it first; each domain keeps its own sequence numbers).
    void set_interface(const std::string& name, uint32_t if_index);
    ExportStatus status() const;
    /// One line about a failure that is new since the last call (a collector that starts failing, a textfile
    /// that cannot be written), for the screen's status line or stderr; "" when nothing changed.
    std::string take_news();

private:
    Exporter() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace iftop

#endif  // IFTOP_HPP_INCLUDED

/* ========================================================================================================== */
/* ================================ IMPLEMENTATION (one translation unit) ================================== */
/* ========================================================================================================== */
#if defined(IFTOP_IMPLEMENTATION) && !defined(IFTOP_IMPLEMENTATION_DONE)
#define IFTOP_IMPLEMENTATION_DONE

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <charconv>
#include <fstream>
#include <mutex>
#include <new>
#include <locale>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_set>

#ifndef IFTOP_NO_PCAP
#include <pcap/pcap.h>
#endif
#if defined(__GLIBC__)
#include <stdio_ext.h>
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#if defined(__linux__)
#include <linux/capability.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/eventfd.h>
#endif
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

namespace iftop {
namespace detail {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint32_t rd32le(const uint8_t* p) {
    return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}

/// Parses a whole decimal number; false on anything else (std::from_chars, never stoi).
template <class T>
bool parse_number(std::string_view s, T& out) {
    if (s.empty()) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Parses a whole non-negative decimal ("10", "1.5", ".5"; no sign, exponent, space or locale's comma) into `out`.
/// std::from_chars for double is missing from libc++ and strtod follows LC_NUMERIC, so the text is checked here and
/// converted by a stream imbued with the classic locale (correctly rounded, as strtod).
inline bool parse_decimal(std::string_view s, double& out) {
    size_t digits = 0, dots = 0;
    for (char c : s) {
        if (c >= '0' && c <= '9') ++digits;
        else if (c == '.' && ++dots == 1) continue;
        else return false;
    }
    if (digits == 0) return false;
    std::istringstream in{std::string(s)};
    in.imbue(std::locale::classic());
    double v = 0;
    if (!(in >> v) || in.peek() != std::char_traits<char>::eof()) return false;
    out = v;
    return true;
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

inline Error make_error(Errc c, std::string msg) { return Error{c, std::move(msg)}; }

struct CpRange { uint32_t lo, hi; };
inline bool in_ranges(uint32_t cp, const CpRange* r, size_t n) {
    size_t a = 0, b = n;  // binary search over sorted, disjoint ranges
    while (a < b) {
        const size_t m = (a + b) / 2;
        if (cp > r[m].hi) a = m + 1;
        else if (cp < r[m].lo) b = m;
        else return true;
    }
    return false;
}
/// Format characters (Unicode category Cf, plus the line/paragraph separators): bidi overrides, embeddings and
/// isolates (U+202A-202E, U+2066-2069), marks (U+200E/F, U+061C), zero-width spaces and joiners, tags. Terminals
/// give them no column, and they reorder or hide text (Trojan Source), so outside text never carries them.
inline const CpRange kFormatChars[] = {
    {0x00ad, 0x00ad}, {0x0600, 0x0605}, {0x061c, 0x061c}, {0x06dd, 0x06dd}, {0x070f, 0x070f}, {0x0890, 0x0891},
    {0x08e2, 0x08e2}, {0x180e, 0x180e}, {0x200b, 0x200f}, {0x2028, 0x202e}, {0x2060, 0x2064}, {0x2066, 0x206f},
    {0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f},
    {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f}};
/// Keeps only what can be shown safely on a line: printable ASCII and well-formed UTF-8 (RFC 3629) that is not a
/// C1 control nor a format character (bidi controls, zero-width characters: kFormatChars); everything else (ESC,
/// BEL, C1, U+202E, broken sequences) becomes '?', so a name can neither move the cursor nor reorder the line.
inline std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = byte(i);
        if (c >= 0x20 && c < 0x7f) { out += static_cast<char>(c); continue; }
        const int n = (c >= 0xc2 && c <= 0xdf) ? 1 : (c >= 0xe0 && c <= 0xef) ? 2 : (c >= 0xf0 && c <= 0xf4) ? 3 : 0;
        bool ok = n > 0 && i + n < s.size();
        for (int k = 1; ok && k <= n; ++k) ok = (byte(i + k) & 0xc0) == 0x80;
        if (ok) {
            const unsigned char c1 = byte(i + 1);
            if ((c == 0xc2 && c1 < 0xa0) || (c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) ||
                (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
                ok = false;  // C1 controls, overlong forms, surrogates, beyond U+10FFFF
        }
        if (!ok) { out += '?'; continue; }  // one '?' per byte of a broken sequence
        uint32_t cp = c & (0x3f >> n);
        for (int k = 1; k <= n; ++k) cp = (cp << 6) | (byte(i + size_t(k)) & 0x3f);
        if (in_ranges(cp, kFormatChars, std::size(kFormatChars))) out += '?';  // one '?' for the whole character
        else out.append(s.substr(i, size_t(n) + 1));
        i += size_t(n);
    }
    return out;
}

inline std::string errno_text(int e) { return std::strerror(e); }

/// write(2) until done, through EINTR and short writes. False with errno set on failure.
inline bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { if (n == 0) errno = EIO; return false; }
        data.remove_prefix(size_t(n));
    }
    return true;
}

/// The directory part of a path ("." when there is none), for temporary files created beside their target.
inline std::string dir_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

/// THE safe file writer (one for the whole tool: config, export, exporters' text files). Replaces `path` with
/// `content` atomically: a temporary file made by mkstemp (O_CREAT|O_EXCL, so never through a link planted at its
/// name) in the target's own directory, written, fsync'ed, renamed over the target (rename(2) replaces a directory
/// entry and never follows a link at the target), then the directory is fsync'ed. An existing target must be a
/// regular file owned by this process's effective uid: a symbolic link, a device, a FIFO or someone else's file is
/// refused (lstat). A new file gets `mode`; an existing one keeps its permission bits. No chown: the caller already
/// runs as the user the file belongs to (see the privilege drop in [13]). Errors name the path and the real errno.
inline Result<bool> write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0600) {
    const auto fail = [&](const std::string& why) { return make_error(Errc::io, "cannot write " + path + ": " + why); };
    if (path.empty()) return fail("empty file name");
    struct stat st {};
    unsigned perm = mode & 0777;
    if (::lstat(path.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode)) return fail("it is a symbolic link (refusing to write through it)");
        if (!S_ISREG(st.st_mode)) return fail("not a regular file");
        if (st.st_uid != ::geteuid()) return fail("the file belongs to uid " + std::to_string(st.st_uid) + ", not to uid " +
                                                   std::to_string(::geteuid()) + " (refusing to replace it)");
        perm = unsigned(st.st_mode) & 0777;
    } else if (errno != ENOENT) {
        return fail(errno_text(errno));
    }
    const size_t slash = path.rfind('/');
    std::string tmpl = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." +
                       path.substr(slash == std::string::npos ? 0 : slash + 1) + ".XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    const int fd = ::mkstemp(name.data());  // O_RDWR|O_CREAT|O_EXCL, mode 0600
    if (fd < 0) return fail(errno_text(errno));
    const std::string tmp(name.data());
    bool ok = ::fchmod(fd, mode_t(perm)) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
    int err = ok ? 0 : errno;
    if (::close(fd) != 0 && ok) { ok = false; err = errno; }
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) { ok = false; err = errno; }
    if (!ok) {
        ::unlink(tmp.c_str());
        return fail(errno_text(err));
    }
    const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { ::fsync(dfd); ::close(dfd); }  // the rename itself on disk; best effort (some fs refuse)
    return true;
}

/// Creates a NEW file `dir/stem.ext` (or `dir/stem-2.ext`, `-3`, ... when the name is taken) with `content`, with
/// O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file, never through a link planted at any of the names. A failed
/// write removes the file it created. Returns the path written, or an Error naming the real errno.
inline Result<std::string> create_file_unique(const std::string& dir, const std::string& stem, const std::string& ext,
                                              std::string_view content, unsigned mode = 0600) {
    for (int n = 1; n <= 1000; ++n) {
        const std::string path = dir + "/" + stem + (n == 1 ? std::string() : "-" + std::to_string(n)) + ext;
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                              mode_t(mode & 0777));
        if (fd < 0) {
            if (errno == EEXIST) continue;  // the name is taken (a file, or a link someone planted): the next one
            return make_error(Errc::io, "cannot create " + path + ": " + errno_text(errno));
        }
        bool ok = write_all(fd, content) && ::fsync(fd) == 0;
        int err = ok ? 0 : errno;
        if (::close(fd) != 0 && ok) { ok = false; err = errno; }
        if (!ok) {
            ::unlink(path.c_str());  // ours: created with O_EXCL above
            return make_error(Errc::io, "cannot write " + path + ": " + errno_text(err));
        }
        return path;
    }
    return make_error(Errc::io, "cannot create " + dir + "/" + stem + ext + ": 1000 files of that name exist");
}

/// What read_file_capped saw: whether the file was there, its owner, the errno of a failed open.
struct FileFacts {
    bool exists = false;
    long long uid = -1;
    int open_errno = 0;
};

/// Reads a small regular file whole: opened without blocking (a FIFO never hangs), checked to be a regular file
/// (a device such as /dev/zero is refused), at most `cap` bytes; with `no_follow` a symbolic link is refused.
/// `facts` (optional) receives its owner.
inline Result<std::string> read_file_capped(const std::string& path, size_t cap, FileFacts* facts = nullptr,
                                            bool no_follow = false) {
    const auto fail = [&](const std::string& why) { return make_error(Errc::file_open, "cannot read " + path + ": " + why); };
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (no_follow ? O_NOFOLLOW : 0));
    if (fd < 0) {
        const int e = errno;
        if (facts) { facts->open_errno = e; facts->exists = e != ENOENT; }
        return fail(e == ELOOP && no_follow ? "it is a symbolic link" : errno_text(e));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) { const int e = errno; ::close(fd); return fail(errno_text(e)); }
    if (facts) { facts->exists = true; facts->uid = (long long)st.st_uid; }
    if (!S_ISREG(st.st_mode)) { ::close(fd); return fail("not a regular file"); }
    if (uint64_t(st.st_size) > cap) { ::close(fd); return fail("larger than " + std::to_string(cap) + " bytes"); }
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { const int e = errno; ::close(fd); return fail(errno_text(e)); }
        if (n == 0) break;
        out.append(buf, size_t(n));
        if (out.size() > cap) { ::close(fd); return fail("larger than " + std::to_string(cap) + " bytes"); }
    }
    ::close(fd);
    return out;
}

}  // namespace detail

/* ---------------------------------------------------------------------------------------------------------- */
/* [3] errors                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */
int exit_status(const Error& e) {
    return e.code == Errc::usage || e.code == Errc::bad_net || e.code == Errc::bad_filter ? 2 : 1;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [4] core types                                                                                              */
/* ---------------------------------------------------------------------------------------------------------- */
IpAddr IpAddr::v4(const uint8_t* p) {
    IpAddr a;
    a.family = 4;
    std::memcpy(a.bytes, p, 4);
    return a;
}
IpAddr IpAddr::v6(const uint8_t* p) {
    IpAddr a;
    a.family = 6;
    std::memcpy(a.bytes, p, 16);
    return a;
}
std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    std::string s(text);
    uint8_t buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4(buf);
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6(buf);
    return std::nullopt;
}
std::string IpAddr::to_string() const {
    char buf[INET6_ADDRSTRLEN] = "";
    if (family == 4) inet_ntop(AF_INET, bytes, buf, sizeof buf);
    else if (family == 6) inet_ntop(AF_INET6, bytes, buf, sizeof buf);
    return buf;
}
bool IpAddr::operator<(const IpAddr& o) const {
    if (family != o.family) return family < o.family;
    return std::memcmp(bytes, o.bytes, 16) < 0;
}

bool Net::contains(const IpAddr& a) const {
    if (a.family != addr.family) return false;
    for (int i = 0; i < 16; ++i)
        if ((a.bytes[i] & mask.bytes[i]) != (addr.bytes[i] & mask.bytes[i])) return false;
    return true;
}

namespace detail {
inline Result<Net> parse_net(std::string_view text, int family) {
    const char* flag = family == 4 ? "-F" : "-G";
    const char* example = family == 4 ? "10.0.0.0/24 or 10.0.0.0/255.255.255.0" : "2001:db8::/32";
    auto bad = [&](const char* why) {
        return make_error(Errc::bad_net, std::string(flag) + " '" + std::string(text) + "': " + why + " (expected e.g. " +
                                             example + ")");
    };
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) return bad("missing /mask");
    auto a = IpAddr::parse(text.substr(0, slash));
    if (!a || a->family != family) return bad(family == 4 ? "not an IPv4 address" : "not an IPv6 address");
    std::string_view m = text.substr(slash + 1);
    Net n;
    n.addr = *a;
    n.mask.family = static_cast<uint8_t>(family);
    int bits = 0;
    const int maxbits = family == 4 ? 32 : 128;
    if (parse_number(m, bits)) {
        if (bits < 0 || bits > maxbits) return bad("prefix length out of range");
        for (int i = 0; i < bits; ++i) n.mask.bytes[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    } else {
        auto mk = IpAddr::parse(m);
        if (!mk || mk->family != family) return bad("mask is neither a prefix length nor an address");
        n.mask = *mk;
    }
    return n;
}
}  // namespace detail

Result<Net> Net::parse4(std::string_view text) { return detail::parse_net(text, 4); }
Result<Net> Net::parse6(std::string_view text) { return detail::parse_net(text, 6); }

std::string protocol_name(uint8_t proto) {
    switch (proto) {
    case kProtoTcp: return "TCP";
    case kProtoUdp: return "UDP";
    case kProtoIcmp: return "ICMP";
    case kProtoIcmp6: return "ICMPv6";
    default: return std::to_string(proto);
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [5] capture/decoding                                                                                        */
/* ---------------------------------------------------------------------------------------------------------- */
const char* skip_name(Skip s) {
    switch (s) {
    case Skip::non_ip: return "non_ip";
    case Skip::truncated: return "truncated";
    case Skip::malformed: return "malformed";
    case Skip::unsupported_linktype: return "unsupported_linktype";
    case Skip::link_local: return "link_local";
    case Skip::outside_net: return "outside_net";
    case Skip::count_: break;
    }
    return "unknown";
}

namespace detail {
// pcap-linktype(7) numbers. DLT_RAW is 12 on most systems and 14 on OpenBSD; LINKTYPE_RAW in files is 101.
enum : int {
    kLtNull = 0, kLtEthernet = 1, kLtRaw12 = 12, kLtRaw14 = 14, kLtRaw = 101, kLtLoop = 108,
    kLtSll = 113, kLtIpv4 = 228, kLtIpv6 = 229, kLtSll2 = 276
};
constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd;

inline bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

inline void set_skip(Decoded& d, Skip why) {
    d.ok = false;
    d.skip = why;
}
/// Not enough captured bytes: truncated if the capture cut the frame, malformed if the frame itself is short.
inline void set_short(Decoded& d, uint32_t caplen, uint32_t wirelen) {
    set_skip(d, caplen < wirelen ? Skip::truncated : Skip::malformed);
}

/// Ports from a TCP/UDP header at `off`, when the 4 bytes are captured and inside the datagram (ACCOUNTING.md).
inline void read_ports(Decoded& d, const uint8_t* ip, uint32_t cap, uint32_t off) {
    if (d.proto == kProtoIcmp || d.proto == kProtoIcmp6) {  // type, code, checksum, identifier, sequence
        if (uint64_t(off) + 6 > cap || uint64_t(off) + 6 > d.bytes) return;
        const uint8_t type = ip[off];
        const uint8_t req = d.proto == kProtoIcmp ? 8 : 128, rep = d.proto == kProtoIcmp ? 0 : 129;
        if (type == req || type == rep) {
            d.echo = type == req ? 1 : 2;
            d.echo_id = rd16(ip + off + 4);
        }
        return;
    }
    if (d.proto != kProtoTcp && d.proto != kProtoUdp) return;
    if (uint64_t(off) + 4 > cap || uint64_t(off) + 4 > d.bytes) return;
    d.sport = rd16(ip + off);
    d.dport = rd16(ip + off + 2);
}

/// IPv4 (RFC 791). `cap` = captured bytes from the IP header on, `avail` = wire bytes from the IP header on.
inline void decode_ipv4(Decoded& d, const uint8_t* ip, uint32_t cap, uint32_t avail, uint32_t caplen, uint32_t wirelen) {
    if (cap < 20) return set_short(d, caplen, wirelen);
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < 20) return set_skip(d, Skip::malformed);
    const uint32_t tl = rd16(ip + 2);
    if (tl != 0 && tl < ihl) return set_skip(d, Skip::malformed);
    d.ok = true;
    d.bytes = (tl == 0 || tl > avail) ? avail : tl;  // 0: TSO/BIG TCP; larger than the frame: trust the frame
    d.proto = ip[9];
    d.src = IpAddr::v4(ip + 12);
    d.dst = IpAddr::v4(ip + 16);
    const uint16_t frag = rd16(ip + 6);
    const bool more = (frag & 0x2000) != 0;
    const uint16_t offset = frag & 0x1fff;
    d.frag_id = rd16(ip + 4);
    d.frag_proto = d.proto;
    if (offset != 0) {
        d.frag = FragKind::later;  // ports come from the fragment map
        return;
    }
    read_ports(d, ip, cap, ihl);
    if (more) d.frag = FragKind::first;
}

/// IPv6 (RFC 8200 §4): walk hop-by-hop, routing, fragment, destination options and AH (RFC 4302) headers.
inline void decode_ipv6(Decoded& d, const uint8_t* ip, uint32_t cap, uint32_t avail, uint32_t caplen, uint32_t wirelen) {
    if (cap < 40) return set_short(d, caplen, wirelen);
    if ((ip[0] >> 4) != 6) return set_skip(d, Skip::malformed);
    const uint32_t pl = rd16(ip + 4);
    d.ok = true;
    d.bytes = (pl == 0 || pl + 40 > avail) ? avail : pl + 40;  // 0: jumbogram (RFC 2675) or BIG TCP
    d.src = IpAddr::v6(ip + 8);
    d.dst = IpAddr::v6(ip + 24);
    uint8_t nh = ip[6];
    uint32_t off = 40;
    bool first_fragment = false, cut = false;
    for (;;) {
        uint32_t len = 0;
        if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
            if (uint64_t(off) + 2 > cap || uint64_t(off) + 2 > d.bytes) { cut = true; break; }
            len = nh == 51 ? (ip[off + 1] + 2u) * 4u : (ip[off + 1] + 1u) * 8u;
        } else if (nh == 44) {
            len = 8;
        } else {
            break;
        }
        if (uint64_t(off) + len > cap || uint64_t(off) + len > d.bytes) { cut = true; break; }
        if (nh == 44) {
            const uint8_t fnh = ip[off];
            const uint16_t offset = rd16(ip + off + 2) >> 3;
            const bool more = (ip[off + 3] & 1) != 0;
            d.frag_proto = fnh;
            d.frag_id = rd32(ip + off + 4);
            if (offset != 0) {
                d.proto = fnh;
                d.frag = FragKind::later;
                return;
            }
            first_fragment = more;
            nh = fnh;
            off += 8;
            continue;
        }
        nh = ip[off];
        off += len;
    }
    if (cut && nh != 44 && off < cap && off < d.bytes) {
        // A header cut by the capture (or running past the packet) whose next-header byte could still be read:
        // the protocol is the last next-header value read, as tshark shows it (old 68-byte captures with VLAN
        // tags cut hop-by-hop headers this way); no ports. A cut fragment header stays 44: without its offset it
        // cannot say whether it starts the datagram.
        d.proto = ip[off];
    } else {
        d.proto = nh;
        read_ports(d, ip, cap, off);
    }
    if (first_fragment) d.frag = FragKind::first;
}
}  // namespace detail

void decode_frame_into(Decoded& d, int linktype, const uint8_t* data, uint32_t caplen, uint32_t wirelen) {
    using namespace detail;
    d = Decoded{};
    if (wirelen < caplen) wirelen = caplen;  // a writer that got this wrong: the bytes we hold are real
    uint32_t link = 0;
    int version = 0;  // 4, 6, or 0 = take it from the first nibble
    uint16_t ethertype = 0;
    bool has_ethertype = false;
    switch (linktype) {
    case kLtEthernet:
        if (caplen < 14) return set_short(d, caplen, wirelen);
        ethertype = rd16(data + 12);
        link = 14;
        has_ethertype = true;
        break;
    case kLtSll:
        if (caplen < 16) return set_short(d, caplen, wirelen);
        ethertype = rd16(data + 14);
        link = 16;
        has_ethertype = true;
        break;
    case kLtSll2:
        if (caplen < 20) return set_short(d, caplen, wirelen);
        ethertype = rd16(data);
        link = 20;
        has_ethertype = true;
        break;
    case kLtRaw12: case kLtRaw14: case kLtRaw:
        if (caplen < 1) return set_short(d, caplen, wirelen);
        version = data[0] >> 4;
        if (version != 4 && version != 6) return set_skip(d, Skip::non_ip);
        break;
    case kLtIpv4: version = 4; break;
    case kLtIpv6: version = 6; break;
    case kLtNull: case kLtLoop: {
        if (caplen < 4) return set_short(d, caplen, wirelen);
        uint32_t af = linktype == kLtLoop ? rd32(data) : rd32le(data);
        if (linktype == kLtNull && af > 0xffff) af = rd32(data);  // written by a big-endian host
        link = 4;
        if (af == 2) version = 4;
        else if (af == 10 || af == 23 || af == 24 || af == 28 || af == 30) version = 6;
        else return set_skip(d, Skip::non_ip);
        break;
    }
    default: return set_skip(d, Skip::unsupported_linktype);
    }
    if (has_ethertype) {
        while (is_vlan_tpid(ethertype)) {  // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag
            if (caplen < link + 4) return set_short(d, caplen, wirelen);
            ethertype = rd16(data + link + 2);
            link += 4;
        }
        if (ethertype == kEthIpv4) version = 4;
        else if (ethertype == kEthIpv6) version = 6;
        else return set_skip(d, Skip::non_ip);
    }
    const uint8_t* ip = data + link;
    const uint32_t cap = caplen - link;
    const uint32_t avail = wirelen - link;
    if (version == 4) decode_ipv4(d, ip, cap, avail, caplen, wirelen);
    else decode_ipv6(d, ip, cap, avail, caplen, wirelen);
}

Decoded decode_frame(int linktype, const uint8_t* data, uint32_t caplen, uint32_t wirelen) {
    Decoded d;
    decode_frame_into(d, linktype, data, caplen, wirelen);
    return d;
}

bool linktype_supported(int lt) {
    using namespace detail;
    switch (lt) {
    case kLtNull: case kLtEthernet: case kLtRaw12: case kLtRaw14: case kLtRaw: case kLtLoop:
    case kLtSll: case kLtIpv4: case kLtIpv6: case kLtSll2: return true;
    default: return false;
    }
}

std::string linktype_name(int lt) {
#ifndef IFTOP_NO_PCAP
    const char* n = pcap_datalink_val_to_name(lt);
#else
    // libpcap's names (pcap_datalink_val_to_name) for the link types a capture most often has
    static const std::pair<int, const char*> names[] = {
        {0, "NULL"}, {1, "EN10MB"}, {6, "IEEE802"}, {8, "SLIP"}, {9, "PPP"}, {10, "FDDI"}, {12, "RAW"},
        {14, "RAW"}, {50, "PPP_HDLC"}, {51, "PPP_ETHER"}, {101, "RAW"}, {104, "C_HDLC"}, {105, "IEEE802_11"},
        {107, "FRELAY"}, {108, "LOOP"}, {113, "LINUX_SLL"}, {119, "PRISM_HEADER"}, {127, "IEEE802_11_RADIO"},
        {129, "ARCNET_LINUX"}, {163, "IEEE802_11_RADIO_AVS"}, {178, "JUNIPER_ETHER"}, {192, "PPI"},
        {195, "IEEE802_15_4"}, {201, "BLUETOOTH_HCI_H4_WITH_PHDR"}, {220, "USB_LINUX_MMAPPED"}, {228, "IPV4"},
        {229, "IPV6"}, {239, "NFLOG"}, {258, "PKTAP"}, {276, "LINUX_SLL2"}};
    const char* n = nullptr;
    for (const auto& e : names)
        if (e.first == lt) n = e.second;
#endif
    return n ? std::string(n) : "linktype " + std::to_string(lt);
}

void MemorySource::add(Micros ts, std::vector<uint8_t> bytes, uint32_t wirelen) {
    uint32_t w = wirelen ? wirelen : static_cast<uint32_t>(bytes.size());
    frames_.push_back(Stored{ts, w, std::move(bytes)});
}

Result<int> MemorySource::dispatch(FrameSink& sink, int max) {
    int n = 0;
    while (next_ < frames_.size() && (max <= 0 || n < max)) {
        const Stored& s = frames_[next_++];
        Frame f;
        f.linktype = linktype_;
        f.data = s.bytes.data();
        f.caplen = static_cast<uint32_t>(s.bytes.size());
        f.wirelen = s.wirelen;
        f.ts = s.ts;
        sink.on_frame(f);
        ++n;
    }
    return n;
}

#ifndef IFTOP_NO_PCAP
namespace detail {
inline Result<bool> set_filter(pcap_t* p, const std::string& bpf, bpf_u_int32 netmask);

/// A libpcap handle, live or offline. The only place pcap_t lives.
class PcapSource final : public PacketSource {
public:
    PcapSource(pcap_t* p, std::string name, bool live) : p_(p), name_(std::move(name)), live_(live) {
        linktype_ = pcap_datalink(p_);
        nano_ = pcap_get_tstamp_precision(p_) == PCAP_TSTAMP_PRECISION_NANO;
        fd_ = live_ ? pcap_get_selectable_fd(p_) : -1;
    }
    ~PcapSource() override { pcap_close(p_); }
    /// A classic pcap savefile (regular file, version 2.4+, no filter): records are parsed in place from 1 MiB
    /// reads of the same stream libpcap opened, instead of two freads and a copy per packet. Anything unusual
    /// (a record longer than the snapshot length, a truncated record, a read error) hands the stream back to
    /// libpcap at that record's offset, so errors and odd files behave exactly as libpcap has them.
    void read_in_place(FILE* f, bool swapped, bool nano_file) {
        file_ = f;
        off_ = ftello(f);
        if (off_ < 0) return;
        swapped_ = swapped;
        nano_file_ = nano_file;
        snapshot_ = uint32_t(std::max(0, pcap_snapshot(p_)));
        buf_.resize(1 << 20);
        fast_ = true;
    }
    Result<int> dispatch(FrameSink& sink, int max) override {
        if (end_) return 0;
        if (fast_) {
            Result<int> r = dispatch_in_place(sink, max);
            // Handed back to libpcap before any frame: libpcap reads on from that record now (a count of 0 from a
            // file means its end, so it must not be returned for a record libpcap has still to read or refuse).
            if (fast_ || end_ || *r > 0) return r;
        }
        Ctx ctx{&sink, linktype_, nano_};
        int r = pcap_dispatch(p_, max <= 0 ? -1 : max, &PcapSource::callback, reinterpret_cast<u_char*>(&ctx));
        if (r == PCAP_ERROR_BREAK) { end_ = !live_; return 0; }
        if (r == PCAP_ERROR) {
            std::string msg = pcap_geterr(p_);
            end_ = true;
            if (live_) return make_error(Errc::capture, "capture on " + name_ + " failed: " + msg);
            return make_error(Errc::bad_file, name_ + ": " + msg);
        }
        if (r == 0 && !live_) end_ = true;  // pcap_dispatch on a savefile: 0 = end of file
        return r;
    }
    bool at_end() const override { return end_; }
    int linktype() const override { return linktype_; }
    int selectable_fd() const override { return fd_; }
    // The kernel stamps a frame when the stack queues it and writes it into the ring when the receive softirq
    // runs, normally microseconds later; 20 ms covers a softirq deferred to ksoftirqd on a busy machine.
    Micros delivery_delay() const override { return live_ ? 20000 : 0; }
    Micros max_poll_wait() const override {
        // Non-NULL only where poll() cannot be trusted to wake for a retired block (Linux before 3.19; other
        // systems without a selectable fd): then dispatch() must be called at least this often.
        const struct timeval* tv = live_ ? pcap_get_required_select_timeout(p_) : nullptr;
        return tv ? Micros(tv->tv_sec) * kMicrosPerSecond + tv->tv_usec : -1;
    }
    bool live() const override { return live_; }
    CaptureStats stats() override {
        CaptureStats s;
        struct pcap_stat ps {};
        if (live_ && pcap_stats(p_, &ps) == 0) {
            s.available = true;
            s.dropped = uint64_t(ps.ps_drop) + uint64_t(ps.ps_ifdrop);
        }
        return s;
    }
    std::string name() const override { return name_; }
    Result<bool> set_filter(const std::string& bpf) override {
        if (fast_) hand_back();  // libpcap applies filters
        return detail::set_filter(p_, bpf.empty() ? std::string(" ") : bpf, PCAP_NETMASK_UNKNOWN);  // " ": accept all
    }

private:
    size_t avail() const { return len_ - pos_; }
    void fill(size_t need) {
        if (pos_) {
            std::memmove(buf_.data(), buf_.data() + pos_, avail());
            len_ -= pos_;
            pos_ = 0;
        }
        while (len_ < need && !eof_) {
            const size_t got = std::fread(buf_.data() + len_, 1, buf_.size() - len_, file_);
            len_ += got;
            if (got == 0) eof_ = true;  // end of file or a read error: libpcap tells which
        }
    }
    uint32_t u32(const uint8_t* b) const {
        uint32_t v;
        std::memcpy(&v, b, 4);
        return swapped_ ? __builtin_bswap32(v) : v;
    }
    void hand_back() {
        // libpcap reads the stream from where it is: put it at the first record not delivered.
        fast_ = false;
        clearerr(file_);
        if (fseeko(file_, off_, SEEK_SET) != 0) end_ = true;
        buf_ = std::vector<uint8_t>();
    }
    Result<int> dispatch_in_place(FrameSink& sink, int max) {
        int n = 0;
        Frame f;
        f.linktype = linktype_;
        while (max <= 0 || n < max) {
            if (avail() < 16) fill(16);
            if (avail() == 0 && eof_) { end_ = true; return n; }  // a clean end at a record boundary
            if (avail() < 16) { hand_back(); return n; }
            const uint8_t* h = buf_.data() + pos_;
            const uint32_t caplen = u32(h + 8);
            if (caplen > snapshot_) { hand_back(); return n; }
            if (avail() < 16 + size_t(caplen)) fill(16 + size_t(caplen));
            if (avail() < 16 + size_t(caplen)) { hand_back(); return n; }
            h = buf_.data() + pos_;
            const uint32_t frac = u32(h + 4);
            // As libpcap 1.10 reads them: a file in this host's byte order has signed 32-bit fields, a swapped one
            // is read as unsigned (so a stamp past 2038 differs between the two; we follow libpcap, not the spec).
            const Micros sec = swapped_ ? Micros(u32(h)) : Micros(int32_t(u32(h)));
            const Micros sub = swapped_ ? Micros(frac) : Micros(int32_t(frac));
            f.ts = frame_time(sec, nano_file_ ? sub / 1000 : sub);
            f.caplen = caplen;
            f.wirelen = u32(h + 12);
            f.data = h + 16;
            pos_ += 16 + size_t(caplen);
            off_ += 16 + off_t(caplen);
            ++n;
            sink.on_frame(f);
        }
        return n;
    }

    struct Ctx { FrameSink* sink; int linktype; bool nano; };
    static void callback(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
        auto* c = reinterpret_cast<Ctx*>(user);
        Frame f;
        f.linktype = c->linktype;
        f.data = bytes;
        f.caplen = h->caplen;
        f.wirelen = h->len;
        f.ts = frame_time(int64_t(h->ts.tv_sec), int64_t(h->ts.tv_usec) / (c->nano ? 1000 : 1));
        c->sink->on_frame(f);
    }
    static Micros frame_time(int64_t sec, int64_t sub_us) {
        // A pcapng timestamp can be anything up to 2^64 units (F9): clamp the seconds to ±2^62 µs, far from the
        // int64 limits, so that no arithmetic on a capture time can overflow.
        constexpr int64_t kMaxSec = (int64_t(1) << 62) / kMicrosPerSecond;
        return Micros(std::clamp<int64_t>(sec, -kMaxSec, kMaxSec)) * kMicrosPerSecond +
               std::clamp<int64_t>(sub_us, -kMicrosPerSecond * 4096, kMicrosPerSecond * 4096);
    }
    pcap_t* p_;
    std::string name_;
    bool live_;
    int fd_ = -1;
    int linktype_ = 0;
    bool nano_ = false;
    bool end_ = false;
    // reading in place (read_in_place)
    bool fast_ = false, swapped_ = false, nano_file_ = false, eof_ = false;
    FILE* file_ = nullptr;
    off_t off_ = 0;  ///< file offset of buf_[pos_]
    uint32_t snapshot_ = 0;
    std::vector<uint8_t> buf_;
    size_t pos_ = 0, len_ = 0;
};

inline Error filter_error(pcap_t* p, const std::string& bpf) {
    return make_error(Errc::bad_filter, "bad filter code '" + bpf + "': " + pcap_geterr(p) +
                                            " (see pcap-filter(7); e.g. -f 'tcp port 443')");
}

inline Result<bool> set_filter(pcap_t* p, const std::string& bpf, bpf_u_int32 netmask) {
    if (bpf.empty()) return true;
    struct bpf_program prog {};
    if (pcap_compile(p, &prog, bpf.c_str(), 1, netmask) != 0) return filter_error(p, bpf);
    int r = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (r != 0) return filter_error(p, bpf);
    return true;
}
}  // namespace detail

Result<std::unique_ptr<PacketSource>> open_file(const std::string& path, const std::string& bpf) {
    using namespace detail;
    char err[PCAP_ERRBUF_SIZE] = "";
    if (path != "-") {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return make_error(Errc::file_open, "cannot read " + path + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode)) return make_error(Errc::file_open, "cannot read " + path + ": is a directory");
    }
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!p) {
        std::string e = err;
        if (e.find("No such file") != std::string::npos || e.find("Permission denied") != std::string::npos)
            return make_error(Errc::file_open, "cannot read " + (path == "-" ? std::string("standard input") : path) +
                                                   ": " + e);
        return make_error(Errc::bad_file, (path == "-" ? std::string("standard input") : path) +
                                              " is not a readable pcap or pcapng file: " + e);
    }
#if defined(__GLIBC__)
    // libpcap reads a savefile with one fread per header and per packet; only this thread touches the FILE, so
    // glibc's per-call stream lock is pure overhead (a tenth of the time on small packets).
    if (FILE* f = pcap_file(p)) __fsetlocking(f, FSETLOCKING_BYCALLER);
#endif
    const int lt = pcap_datalink(p);
    if (!linktype_supported(lt)) {
        pcap_close(p);
        return make_error(Errc::unsupported_linktype,
                          path + ": link type " + linktype_name(lt) + " (" + std::to_string(lt) +
                              ") is not supported; iftop reads Ethernet (with VLAN tags), Linux cooked (SLL, SLL2), "
                              "raw IP and BSD loopback captures");
    }
    auto f = set_filter(p, bpf, PCAP_NETMASK_UNKNOWN);
    if (!f) { pcap_close(p); return f.error(); }
    auto src = std::make_unique<PcapSource>(p, path == "-" ? "stdin" : path, false);
    // A classic pcap file (magic, version 2.4+; pcap-savefile(5)) without a filter is read in place. pread
    // leaves the stream where libpcap put it, after the 24-byte file header.
    FILE* file = pcap_file(p);
    uint8_t hdr[24];
    struct stat st {};
    if (bpf.empty() && file && fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) &&
        ::pread(fileno(file), hdr, sizeof hdr, 0) == ssize_t(sizeof hdr)) {
        uint32_t magic;
        uint16_t major, minor;
        std::memcpy(&magic, hdr, 4);
        std::memcpy(&major, hdr + 4, 2);
        std::memcpy(&minor, hdr + 6, 2);
        const bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
        if (swapped) { major = __builtin_bswap16(major); minor = __builtin_bswap16(minor); }
        const bool micro = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1, nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        if ((micro || nano) && major == 2 && minor >= 4) src->read_in_place(file, swapped, nano);
    }
    return std::unique_ptr<PacketSource>(std::move(src));
}

Result<std::unique_ptr<PacketSource>> open_live(const LiveOptions& opt) {
    using namespace detail;
    std::string dev = opt.interface;
    if (dev.empty()) {
        auto d = default_interface();
        if (!d) return d.error();
        dev = *d;
    }
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_create(dev.c_str(), err);
    if (!p) return make_error(Errc::capture, "cannot capture on " + dev + ": " + err);
    pcap_set_snaplen(p, opt.snaplen);
    pcap_set_promisc(p, opt.promiscuous ? 1 : 0);
    // Immediate mode (TPACKET_V2 on Linux: one ring slot per packet) and a loop that batches by itself. Without
    // it libpcap uses TPACKET_V3, where the kernel hands over 256 KiB blocks when full or when the buffer timeout
    // retires them: batched, but every timeout spends a whole block however few packets it holds, so with a
    // 50 ms timeout an 8 MiB buffer holds 1.6 s of a quiet link and a monitor stopped for 8 s (Ctrl-Z, a paused
    // container) loses most of what came meanwhile; and the reader cannot know when a block will come, so a
    // second could only be closed a timeout or two late. With slots per packet the same buffer holds ~25 000
    // packets whatever their pace, a read at time T has every packet stamped before T, and the loop decides
    // when to read: it watches the fd only when idle and, while packets flow, reads a batch at most every
    // IFTOP_BATCH_MS (LiveClock): no wakeup per packet. Accounting goes by each packet's own timestamp, so a
    // late read never moves a byte to another second (Engine::run_live).
    pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, opt.buffer_bytes);
    pcap_set_timeout(p, 100);
    // Microsecond stamps where the platform offers a choice (the accounting is in microseconds anyway).
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);
    int r = pcap_activate(p);
    if (r < 0) {
        std::string detail_msg = pcap_geterr(p);
        pcap_close(p);
        if (r == PCAP_ERROR_PERM_DENIED || detail_msg.find("ermission") != std::string::npos ||
            detail_msg.find("Operation not permitted") != std::string::npos)
            return make_error(Errc::permission_denied,
                              "capturing on " + dev + " needs root or CAP_NET_RAW: run with sudo, or once: "
                              "sudo setcap cap_net_raw,cap_net_admin+ep ./iftop");
        if (r == PCAP_ERROR_NO_SUCH_DEVICE)
            return make_error(Errc::no_such_device,
                              "no such interface '" + dev + "' (see ./iftop --list-interfaces)");
        if (r == PCAP_ERROR_IFACE_NOT_UP)
            return make_error(Errc::no_such_device, "interface " + dev + " is down (ip link set " + dev + " up)");
        return make_error(Errc::capture, "cannot capture on " + dev + ": " + detail_msg);
    }
    const int lt = pcap_datalink(p);
    if (!linktype_supported(lt)) {
        pcap_close(p);
        return make_error(Errc::unsupported_linktype, "interface " + dev + " has link type " + linktype_name(lt) +
                                                          ", which iftop does not decode; try -i any");
    }
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    if (pcap_lookupnet(dev.c_str(), &net, &mask, err) != 0) mask = PCAP_NETMASK_UNKNOWN;
    auto f = set_filter(p, opt.bpf, mask);
    if (!f) { pcap_close(p); return f.error(); }
    if (pcap_setnonblock(p, 1, err) != 0) {
        pcap_close(p);
        return make_error(Errc::capture, "cannot capture on " + dev + ": " + err);
    }
    return std::unique_ptr<PacketSource>(new PcapSource(p, dev, true));
}
#else   // IFTOP_NO_PCAP: the program brings its own packet source (a PacketSource subclass, or MemorySource)
namespace detail {
inline Error no_pcap(const std::string& what) {
    return make_error(Errc::capture, what + ": this program was built with IFTOP_NO_PCAP (no libpcap); feed frames "
                                            "through a PacketSource of its own");
}
}  // namespace detail
Result<std::unique_ptr<PacketSource>> open_file(const std::string& path, const std::string&) {
    return detail::no_pcap("cannot read " + path);
}
Result<std::unique_ptr<PacketSource>> open_live(const LiveOptions& opt) {
    return detail::no_pcap("cannot capture on " + (opt.interface.empty() ? std::string("the default interface") : opt.interface));
}
#endif

Result<std::string> default_interface() {
    // /proc/net/route: the row whose Destination is 00000000 is the default route (proc(5)).
    std::ifstream route("/proc/net/route");
    std::string line;
    std::getline(route, line);  // header
    while (std::getline(route, line)) {
        std::istringstream ss(line);
        std::string iface, dest;
        if (ss >> iface >> dest && dest == "00000000") return iface;
    }
#ifndef IFTOP_NO_PCAP
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t* all = nullptr;
    if (pcap_findalldevs(&all, err) == 0) {
        std::string found;
        for (pcap_if_t* d = all; d; d = d->next) {
            if ((d->flags & PCAP_IF_LOOPBACK) || !(d->flags & PCAP_IF_UP)) continue;
            if (std::strcmp(d->name, "any") == 0 || !d->addresses) continue;
            found = d->name;
            break;
        }
        pcap_freealldevs(all);
        if (!found.empty()) return found;
    }
#else
    if (auto all = list_interfaces())
        for (const InterfaceInfo& i : *all)
            if (i.up && !i.loopback && !i.addresses.empty()) return i.name;
#endif
    return detail::make_error(Errc::no_default_interface,
                              "no default route and no interface up: name one with -i (see ./iftop --list-interfaces)");
}

Result<std::vector<InterfaceInfo>> list_interfaces() {
#ifdef IFTOP_NO_PCAP
    // Without libpcap: the system's own list (getifaddrs), one entry per interface, in the order it gives them.
    struct ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) != 0) return detail::make_error(Errc::capture, std::string("cannot list interfaces: ") + std::strerror(errno));
    std::vector<InterfaceInfo> out;
    for (struct ifaddrs* a = ifa; a; a = a->ifa_next) {
        auto it = std::find_if(out.begin(), out.end(), [&](const InterfaceInfo& i) { return i.name == a->ifa_name; });
        if (it == out.end()) {
            out.push_back(InterfaceInfo{});
            it = out.end() - 1;
            it->name = a->ifa_name;
            it->up = (a->ifa_flags & IFF_UP) != 0;
            it->loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
        }
        if (!a->ifa_addr) continue;
        if (a->ifa_addr->sa_family == AF_INET)
            it->addresses.push_back(IpAddr::v4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)).to_string());
        else if (a->ifa_addr->sa_family == AF_INET6)
            it->addresses.push_back(IpAddr::v6(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr)).to_string());
    }
    freeifaddrs(ifa);
    return out;
#else
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t* all = nullptr;
    if (pcap_findalldevs(&all, err) != 0) return detail::make_error(Errc::capture, std::string("cannot list interfaces: ") + err);
    std::vector<InterfaceInfo> out;
    for (pcap_if_t* d = all; d; d = d->next) {
        InterfaceInfo i;
        i.name = d->name;
        i.description = d->description ? d->description : "";
        i.up = (d->flags & PCAP_IF_UP) != 0;
        i.loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
        for (pcap_addr_t* a = d->addresses; a; a = a->next) {
            if (!a->addr) continue;
            if (a->addr->sa_family == AF_INET)
                i.addresses.push_back(IpAddr::v4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(a->addr)->sin_addr)).to_string());
            else if (a->addr->sa_family == AF_INET6)
                i.addresses.push_back(IpAddr::v6(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in6*>(a->addr)->sin6_addr)).to_string());
        }
        out.push_back(std::move(i));
    }
    pcap_freealldevs(all);
    return out;
#endif
}

std::vector<IpAddr> local_addresses(const std::string& interface) {
    std::vector<IpAddr> out;
    struct ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) != 0) return out;
    const bool all = interface.empty() || interface == "any";
    for (struct ifaddrs* i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || (!all && interface != i->ifa_name)) continue;
        if (i->ifa_addr->sa_family == AF_INET)
            out.push_back(IpAddr::v4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)));
        else if (i->ifa_addr->sa_family == AF_INET6)
            out.push_back(IpAddr::v6(reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr)));
    }
    freeifaddrs(ifa);
    return out;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [6] accounting                                                                                              */
/* ---------------------------------------------------------------------------------------------------------- */
namespace detail {

/// Bytes in each one-second bucket for the last kHistorySeconds seconds. uint32 per bucket keeps a flow's cold
/// part small; a bucket saturates at 4 GiB in one second in one direction (34 Gbit/s in a single flow).
struct History {
    int64_t newest = -1;  ///< the second the newest bucket belongs to; older buckets cover the 39 before it
    uint32_t b[2][kHistorySeconds] = {};

    void add(int64_t sec, int dir, uint64_t bytes) {
        if (sec > newest) {
            const int64_t from = std::max<int64_t>(newest + 1, sec - kHistorySeconds + 1);
            for (int64_t s = from; s <= sec; ++s) b[0][s % kHistorySeconds] = b[1][s % kHistorySeconds] = 0;
            newest = sec;
        }
        uint32_t& slot = b[dir][sec % kHistorySeconds];
        slot = bytes > uint64_t(UINT32_MAX - slot) ? UINT32_MAX : uint32_t(slot + bytes);
    }
    uint64_t at(int64_t sec, int dir) const {
        if (sec > newest || sec <= newest - kHistorySeconds || sec < 0) return 0;
        return b[dir][sec % kHistorySeconds];
    }
    /// Sum over the `w` seconds before `end` (seconds end-w .. end-1).
    uint64_t sum(int64_t end, int w, int dir) const {
        uint64_t s = 0;
        for (int64_t t = end - w; t < end; ++t) s += at(t, dir);
        return s;
    }
};

/// Zero-filled anonymous memory for a large table, committed page by page as it is first touched. With `huge`
/// (Linux) the range is 2 MiB-aligned and advised for transparent huge pages: one fault and one TLB entry per
/// 2 MiB instead of 512 of each. That matters on virtual machines, where a 4 KiB fault costs microseconds and a
/// 50 000-flow table touches ~20 MB in its first seconds. Returns nullptr when the system has no memory to map.
constexpr size_t kHugePage = size_t(2) << 20;  ///< x86-64's and arm64's (4 KiB granule) transparent huge page

inline void* map_zeroed(size_t bytes, bool huge) {
    constexpr size_t kHuge = kHugePage;
    const size_t len = huge ? bytes + kHuge : bytes;
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    if (!huge) return p;
    // Trim the mapping to an aligned start, so the whole range can be backed by huge pages.
    const uintptr_t start = reinterpret_cast<uintptr_t>(p), aligned = (start + kHuge - 1) & ~uintptr_t(kHuge - 1);
    if (aligned > start) ::munmap(p, aligned - start);
    if (const uintptr_t end = start + len, want = aligned + bytes; end > want)
        ::munmap(reinterpret_cast<void*>(want), end - want);
#if defined(MADV_HUGEPAGE)
    ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // a hint: refused or THP off is fine
#endif
    return reinterpret_cast<void*>(aligned);
}

/// A fixed-size array of zeros in mapped memory (map_zeroed): small pages while it is under 1 MiB, else rounded up
/// to whole 2 MiB huge pages (at most half of the last one unused). Reset replaces it with a new zeroed array.
template <class T>
class MappedArray {
    static_assert(std::is_trivial<T>::value, "the array starts as zero bytes");

public:
    MappedArray() = default;
    MappedArray(const MappedArray&) = delete;
    MappedArray& operator=(const MappedArray&) = delete;
    ~MappedArray() { release(); }

    void reset(size_t n) {
        release();
        constexpr size_t kHuge = kHugePage;
        const bool huge = n * sizeof(T) >= kHuge / 2;
        bytes_ = huge ? (n * sizeof(T) + kHuge - 1) / kHuge * kHuge : n * sizeof(T);
        p_ = static_cast<T*>(map_zeroed(bytes_, huge));
        if (!p_) throw std::bad_alloc();
        n_ = n;
    }
    size_t size() const { return n_; }
    T& operator[](size_t i) { return p_[i]; }
    const T& operator[](size_t i) const { return p_[i]; }

private:
    void release() {
        if (p_) ::munmap(p_, bytes_);
        p_ = nullptr;
        n_ = bytes_ = 0;
    }
    T* p_ = nullptr;
    size_t n_ = 0, bytes_ = 0;
};

/// A vector in chunks: growth never copies or doubles the memory, and finding an element is one lookup in a small
/// array. Chunks are mapped, not allocated (map_zeroed): the first holds 128 KiB in small pages, so a table of a
/// few flows costs a few pages; every later one is 2 MiB in a huge page. T must be trivially destructible (chunks
/// are unmapped without destructors).
template <class T>
class ChunkedVector {
    static_assert(std::is_trivially_destructible<T>::value, "chunks are unmapped without running destructors");
    static constexpr size_t kFirstBytes = size_t(128) << 10, kChunkBytes = kHugePage;
    static constexpr size_t kFirst = kFirstBytes / sizeof(T), kChunk = kChunkBytes / sizeof(T);

    struct Unmap {
        size_t bytes;
        void operator()(T* p) const { ::munmap(p, bytes); }
    };
    static size_t chunk_of(size_t i) { return i < kFirst ? 0 : 1 + (i - kFirst) / kChunk; }

public:
    ChunkedVector() = default;
    ChunkedVector(const ChunkedVector&) = delete;
    ChunkedVector& operator=(const ChunkedVector&) = delete;

    size_t size() const { return size_; }
    T& operator[](size_t i) {
        return i < kFirst ? chunks_[0].get()[i] : chunks_[1 + (i - kFirst) / kChunk].get()[(i - kFirst) % kChunk];
    }
    const T& operator[](size_t i) const { return const_cast<ChunkedVector&>(*this)[i]; }
    T& back() { return (*this)[size_ - 1]; }
    T& emplace_back() {
        if (chunk_of(size_) >= chunks_.size()) {
            const bool first = chunks_.empty();
            const size_t bytes = first ? kFirstBytes : kChunkBytes;
            void* p = map_zeroed(bytes, !first);
            if (!p) throw std::bad_alloc();
            chunks_.emplace_back(static_cast<T*>(p), Unmap{bytes});
        }
        T* t = &(*this)[size_++];
        return *::new (static_cast<void*>(t)) T{};
    }
    void pop_back() {
        --size_;
        // Keep one spare chunk so a table hovering at a chunk boundary does not map on every flow.
        while (chunks_.size() > chunk_of(size_) + 2) chunks_.pop_back();
    }

private:
    std::vector<std::unique_ptr<T, Unmap>> chunks_;
    size_t size_ = 0;
};

/// What every packet of a flow touches: one 64-byte cache line. The packet path writes only here; the counts of
/// the second being filled are folded into the flow's ColdFlow once per second (or sooner, before a 32-bit
/// accumulator could overflow). A 50 000-flow table is then ~3 MB of hot lines, which stays in the CPU caches.
struct alignas(64) HotFlow {
    FlowKey key;
    uint32_t acc_bytes[2] = {0, 0};    ///< this second's bytes, per direction
    uint32_t acc_packets[2] = {0, 0};  ///< this second's packets, per direction
    Micros last_seen = 0;
};
static_assert(sizeof(HotFlow) == 64, "a flow's hot part is one cache line");

/// What a flow needs once per second (rates, peaks) or once per report.
struct ColdFlow {
    Counts counts;  ///< cumulative, up to the last fold (add the hot accumulators for "now")
    History hist;
    double peak[2] = {0, 0};
    Micros first_seen = 0;
};

inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

inline uint64_t hash_endpoint(const IpAddr& a, uint16_t port) {
    uint64_t w0, w1;
    std::memcpy(&w0, a.bytes, 8);
    std::memcpy(&w1, a.bytes + 8, 8);
    return mix64(w0 ^ (w1 * 0x9e3779b97f4a7c15ULL) ^ (uint64_t(port) << 48 | uint64_t(a.family) << 40));
}

/// Symmetric in its two endpoints (a sum), so both directions of a flow land in the same slot without ordering them.
inline uint64_t hash_flow(uint8_t proto, const IpAddr& s, uint16_t sp, const IpAddr& d, uint16_t dp) {
    return mix64(hash_endpoint(s, sp) + hash_endpoint(d, dp) + proto);
}

/// Fragment map: (src, dst, protocol, id) of a first fragment → its protocol and ports. Bounded; entries older
/// than 60 s are dropped (RFC 791's reassembly timeout is 15 s; Linux's 30 s).
class FragmentMap {
public:
    struct Val { uint8_t proto; uint16_t sport, dport; Micros seen; };
    void put(const Decoded& d, Micros now) {
        if (map_.size() >= kCap) prune(now);
        if (map_.size() >= kCap) map_.clear();
        map_[key(d)] = Val{d.proto, d.sport, d.dport, now};
    }
    const Val* find(const Decoded& d) const {
        auto it = map_.find(key(d));
        return it == map_.end() ? nullptr : &it->second;
    }
    void prune(Micros now) {
        for (auto it = map_.begin(); it != map_.end();)
            it = (now - it->second.seen > 60 * kMicrosPerSecond) ? map_.erase(it) : std::next(it);
    }

private:
    static constexpr size_t kCap = 65536;
    static std::string key(const Decoded& d) {
        std::string k(38, '\0');
        k[0] = static_cast<char>(d.src.family);
        k[1] = static_cast<char>(d.frag_proto);
        std::memcpy(&k[2], d.src.bytes, 16);
        std::memcpy(&k[18], d.dst.bytes, 16);
        std::memcpy(&k[34], &d.frag_id, 4);
        return k;
    }
    std::unordered_map<std::string, Val> map_;
};

inline Rates rates_of(const History& h, int64_t end) {
    Rates r;
    if (end <= 0) return r;
    // One walk back from the newest closed second fills all three windows.
    uint64_t sum[2][3] = {};
    const int64_t from = std::max<int64_t>({end - kHistorySeconds, h.newest - kHistorySeconds + 1, 0});
    for (int64_t t = std::min<int64_t>(end - 1, h.newest); t >= from; --t) {
        const int64_t age = end - 1 - t;  // 0 = the newest closed second
        for (int dir = 0; dir < 2; ++dir) {
            const uint64_t b = h.b[dir][t % kHistorySeconds];
            sum[dir][2] += b;
            if (age < kWindows[1]) sum[dir][1] += b;
            if (age < kWindows[0]) sum[dir][0] += b;
        }
    }
    for (int w = 0; w < 3; ++w) {
        const double div = double(std::min<int64_t>(kWindows[w], end));  // iftop's warm-up: the time covered so far
        for (int dir = 0; dir < 2; ++dir) r.v[dir][w] = double(sum[dir][w]) / div;
    }
    return r;
}

}  // namespace detail

struct FlowTable::Impl {
    detail::ChunkedVector<detail::HotFlow> hot;    // index i: the same flow in both
    detail::ChunkedVector<detail::ColdFlow> cold;
    detail::MappedArray<uint64_t> slots;  // open addressing, linear probing: hash tag << 32 | (index + 1); 0 = empty
    size_t mask = 0;
    detail::FragmentMap frags;
    std::array<uint64_t, 256> echo_told{};  // (flow index, echo id) pairs the new-flow sink already heard about
    detail::History totals_hist;
    Counts totals;
    uint64_t totals_acc[2] = {0, 0};
    double peak[2] = {0, 0};
    double peak_total = 0;
    Micros origin = 0;
    bool has_origin = false;
    int64_t cur_sec = 0;  // the second the accumulators are filling (relative to origin)
    int64_t closed = 0;   // seconds 0..closed-1 are complete

    int64_t second_of(Micros t) const {
        const Micros d = t - origin;
        return d < 0 ? 0 : d / kMicrosPerSecond;
    }
    static uint64_t slot_value(uint64_t h, size_t index) { return (h >> 32 << 32) | uint64_t(index + 1); }

    void rebuild_index() {
        size_t cap = 1024;
        while (cap < hot.size() * 2 + 2) cap <<= 1;
        slots.reset(cap);
        mask = cap - 1;
        for (size_t i = 0; i < hot.size(); ++i) {
            const FlowKey& k = hot[i].key;
            const uint64_t h = detail::hash_flow(k.proto, k.local, k.local_port, k.remote, k.remote_port);
            size_t pos = h & mask;
            while (slots[pos]) pos = (pos + 1) & mask;
            slots[pos] = slot_value(h, i);
        }
    }

    /// Index of this packet's flow and whether it goes local→remote (dir 0); -1 if absent (pos = where to insert).
    long find(const Decoded& d, uint64_t h, size_t& pos, int& dir) const {
        pos = h & mask;
        while (uint64_t s = slots[pos]) {
            if ((s >> 32) == (h >> 32)) {  // the tag spares a trip to the record
                const size_t i = uint32_t(s) - 1;
                const FlowKey& k = hot[i].key;
                if (k.proto == d.proto && k.local.family == d.src.family) {
                    if (k.local_port == d.sport && k.remote_port == d.dport && k.local == d.src && k.remote == d.dst) {
                        dir = 0;
                        return long(i);
                    }
                    if (k.local_port == d.dport && k.remote_port == d.sport && k.local == d.dst && k.remote == d.src) {
                        dir = 1;
                        return long(i);
                    }
                }
            }
            pos = (pos + 1) & mask;
        }
        return -1;
    }

    /// Moves one flow's counts of second `cur_sec` into its cold part.
    void fold_one(size_t i) {
        detail::HotFlow& h = hot[i];
        detail::ColdFlow& c = cold[i];
        for (int dir = 0; dir < 2; ++dir) {
            if (!h.acc_packets[dir]) continue;
            c.hist.add(cur_sec, dir, h.acc_bytes[dir]);
            c.counts.bytes[dir] += h.acc_bytes[dir];
            c.counts.packets[dir] += h.acc_packets[dir];
            h.acc_bytes[dir] = h.acc_packets[dir] = 0;
        }
    }
    /// Moves every flow's counts of second `cur_sec` into its cold part. Once per second of packet time.
    void fold() {
        for (size_t i = 0; i < hot.size(); ++i) {
            const detail::HotFlow& h = hot[i];
            if (h.acc_packets[0] | h.acc_packets[1]) fold_one(i);
        }
        for (int dir = 0; dir < 2; ++dir) {
            if (totals_acc[dir]) totals_hist.add(cur_sec, dir, totals_acc[dir]);
            totals_acc[dir] = 0;
        }
    }
    void move_to_second(int64_t sec) {
        if (sec <= cur_sec) return;
        fold();
        cur_sec = sec;
    }
    /// Flow `i` as outputs see it: counts up to now (the second being filled included); rates only when asked.
    void view(size_t i, FlowView& v, bool with_rates) const {
        const detail::HotFlow& h = hot[i];
        const detail::ColdFlow& c = cold[i];
        v.key = h.key;
        v.counts = c.counts;
        for (int d = 0; d < 2; ++d) {
            v.counts.bytes[d] += h.acc_bytes[d];
            v.counts.packets[d] += h.acc_packets[d];
        }
        v.rates = with_rates ? detail::rates_of(c.hist, closed) : Rates{};
        v.peak[0] = c.peak[0];
        v.peak[1] = c.peak[1];
        v.first_seen = c.first_seen;
        v.last_seen = h.last_seen;
    }
};

FlowTable::FlowTable(AccountingConfig cfg) : impl_(new Impl), cfg_(std::move(cfg)) {
    if (cfg_.max_flows == 0) cfg_.max_flows = 1;
    impl_->rebuild_index();
}
FlowTable::~FlowTable() = default;

void FlowTable::reset(std::vector<IpAddr> local_addrs) {
    if (on_forget_) {
        FlowView v;
        for (size_t i = 0; i < impl_->hot.size(); ++i) {
            impl_->view(i, v, false);
            on_forget_(v, last_tick());
        }
    }
    impl_.reset(new Impl);
    impl_->rebuild_index();
    capture_ = CaptureCounts{};
    cfg_.local_addrs = std::move(local_addrs);
}

void FlowTable::set_origin(Micros t) {
    impl_->origin = t;
    impl_->has_origin = true;
}
bool FlowTable::has_origin() const { return impl_->has_origin; }
size_t FlowTable::size() const { return impl_->hot.size(); }
Micros FlowTable::last_tick() const { return impl_->origin + impl_->closed * kMicrosPerSecond; }
double FlowTable::peak_total() const { return impl_->peak_total; }

void FlowTable::add(const Decoded& d, Micros now) {
    add_hashed(d, now, d.ok ? detail::hash_flow(d.proto, d.src, d.sport, d.dst, d.dport) : 0);
}

void FlowTable::add_hashed(const Decoded& din, Micros now, uint64_t h) {
    Impl& m = *impl_;
    if (!din.ok) { skip(din.skip); return; }
    if (!m.has_origin) set_origin(now);
    // Later fragments join the first fragment's flow; one that arrives first is counted with ports 0.
    Decoded joined;
    const Decoded* dp = &din;
    if (din.frag == FragKind::later) {
        if (const auto* v = m.frags.find(din)) {
            joined = din;
            joined.proto = v->proto;
            joined.sport = v->sport;
            joined.dport = v->dport;
            dp = &joined;
            h = detail::hash_flow(joined.proto, joined.src, joined.sport, joined.dst, joined.dport);
        }
    } else if (din.frag == FragKind::first) {
        m.frags.put(din, now);
    }
    const Decoded& d = *dp;
    if (!cfg_.count_link_local && (d.src.is_link_local6() || d.dst.is_link_local6())) { skip(Skip::link_local); return; }
    // With -F/-G the net boundary decides direction; traffic that does not cross it is not counted (as iftop).
    int forced_dir = -1;
    if (cfg_.net4 || cfg_.net6) {
        const std::optional<Net>& net = d.src.family == 4 ? cfg_.net4 : cfg_.net6;
        const bool si = net && net->contains(d.src), di = net && net->contains(d.dst);
        if (si == di) { skip(Skip::outside_net); return; }
        forced_dir = si ? 0 : 1;
    }
    ++capture_.packets;
    ++capture_.ip_packets;
    // A timestamp that went backwards is counted in the current second.
    m.move_to_second(m.second_of(now));

    size_t pos = 0;
    int dir = 0;
    long i = m.find(d, h, pos, dir);
    if (i < 0) {
        if (m.hot.size() >= cfg_.max_flows) {
            evict(now);
            m.find(d, h, pos, dir);  // the index was rebuilt: find the insert slot again
        }
        // Local side: the net when given; else an address of the capture interface; else the first sender.
        bool src_local = true;
        if (forced_dir >= 0) {
            src_local = forced_dir == 0;
        } else if (!cfg_.local_addrs.empty()) {
            const auto& la = cfg_.local_addrs;
            const bool s = std::find(la.begin(), la.end(), d.src) != la.end();
            const bool t = std::find(la.begin(), la.end(), d.dst) != la.end();
            if (!s && t) src_local = false;
        }
        detail::HotFlow& r = m.hot.emplace_back();
        m.cold.emplace_back().first_seen = now;
        r.key.proto = d.proto;
        r.key.local = src_local ? d.src : d.dst;
        r.key.remote = src_local ? d.dst : d.src;
        r.key.local_port = src_local ? d.sport : d.dport;
        r.key.remote_port = src_local ? d.dport : d.sport;
        dir = src_local ? 0 : 1;
        i = long(m.hot.size() - 1);
        m.slots[pos] = Impl::slot_value(h, size_t(i));
        if (m.hot.size() * 2 + 2 > m.slots.size()) m.rebuild_index();
        if (new_flow_ && !(d.echo && (d.echo == 1) == (dir == 0))) new_flow_->on_new_flow(r.key, 0);
    }
    // ICMP echo on this side: the identifier reaches attribution when the flow starts and when it changes (the
    // flow may have started with a neighbour advertisement, or a new ping run reuses it). ICMP only, O(1).
    if (d.echo && new_flow_ && (d.echo == 1) == (dir == 0)) {
        const uint64_t tag = uint64_t(i) << 17 | uint64_t(d.echo_id) << 1 | 1;
        uint64_t& told = m.echo_told[(size_t(i) * 31 + d.echo_id) & 255];
        if (told != tag) {
            told = tag;
            new_flow_->on_new_flow(m.hot[size_t(i)].key, d.echo_id);
        }
    }
    detail::HotFlow& r = m.hot[size_t(i)];
    if (r.acc_bytes[dir] > UINT32_MAX - d.bytes) m.fold_one(size_t(i));  // > 4 GiB in a second: fold early
    r.acc_bytes[dir] += d.bytes;
    r.acc_packets[dir] += 1;
    r.last_seen = now;
    m.totals.bytes[dir] += d.bytes;
    m.totals.packets[dir] += 1;
    m.totals_acc[dir] += d.bytes;
}

void FlowTable::add_batch(const Decoded* d, const Micros* now, size_t n) {
    // A software pipeline: frame i+2D has its index slot prefetched, frame i+D the flow that slot points to,
    // while frame i is accounted. A table larger than the CPU caches then costs one memory latency per batch of
    // frames in flight, not one or two per packet. Prefetches are hints: add_hashed() checks everything again.
    Impl& m = *impl_;
    constexpr size_t D = 8, R = 32;  // R > 2*D: the ring of hashes in flight
    uint64_t h[R];
    for (size_t i = 0; i < n + 2 * D; ++i) {
        if (i < n) {
            const Decoded& x = d[i];
            h[i % R] = x.ok ? detail::hash_flow(x.proto, x.src, x.sport, x.dst, x.dport) : 0;
            __builtin_prefetch(&m.slots[h[i % R] & m.mask]);
        }
        if (i >= D && i - D < n && d[i - D].ok) {
            const uint64_t hh = h[(i - D) % R];
            const uint64_t s = m.slots[hh & m.mask];
            if (s && (s >> 32) == (hh >> 32) && uint32_t(s) <= m.hot.size()) {
                const detail::HotFlow* r = &m.hot[uint32_t(s) - 1];
                __builtin_prefetch(r);
                __builtin_prefetch(reinterpret_cast<const char*>(r) + 64);
            }
        }
        if (i >= 2 * D) add_hashed(d[i - 2 * D], now[i - 2 * D], h[(i - 2 * D) % R]);
    }
}

void FlowTable::evict(Micros now) {
    // Evict a batch (1/16 of the cap) in one pass so a flood costs O(1) per new flow: idle flows first
    // (nothing for the longest window), then the smallest. Their bytes stay in the totals.
    Impl& m = *impl_;
    const size_t n = m.hot.size();
    const size_t batch = std::max<size_t>(1, std::min(n, cfg_.max_flows / 16));
    std::vector<std::pair<uint64_t, uint32_t>> score(n);
    const Micros idle_after = Micros(kHistorySeconds) * kMicrosPerSecond;
    for (size_t i = 0; i < n; ++i) {
        const auto& r = m.hot[i];
        const auto& c = m.cold[i];
        const uint64_t total = c.counts.bytes[0] + c.counts.bytes[1] + r.acc_bytes[0] + r.acc_bytes[1];
        const bool idle = now - r.last_seen >= idle_after;
        score[i] = {(idle ? 0 : (uint64_t(1) << 63)) | std::min<uint64_t>(total, (uint64_t(1) << 63) - 1),
                    static_cast<uint32_t>(i)};
    }
    std::nth_element(score.begin(), score.begin() + static_cast<long>(batch - 1), score.end());
    std::vector<char> victim(n, 0);
    for (size_t i = 0; i < batch; ++i) victim[score[i].second] = 1;
    remove_marked(victim, now);
    capture_.evicted_flows += batch;
}

void FlowTable::remove_marked(const std::vector<char>& victim, Micros now) {
    Impl& m = *impl_;
    m.echo_told.fill(0);  // flow indices move
    if (on_forget_) {
        FlowView v;
        for (size_t i = 0; i < victim.size(); ++i)
            if (victim[i]) {
                m.view(i, v, false);
                on_forget_(v, now);
            }
    }
    // Swap-remove from the highest index down: every index above the current one is already settled.
    for (size_t i = victim.size(); i-- > 0;) {
        if (!victim[i]) continue;
        const size_t last = m.hot.size() - 1;
        if (i != last) {
            m.hot[i] = m.hot[last];
            m.cold[i] = m.cold[last];
        }
        m.hot.pop_back();
        m.cold.pop_back();
    }
    m.rebuild_index();
}

void FlowTable::tick(Micros now) {
    Impl& m = *impl_;
    if (!m.has_origin) set_origin(now);
    const int64_t target = m.second_of(now);  // close seconds 0 .. target-1
    m.move_to_second(target);                 // folds the seconds being closed into the histories
    // Peaks are the highest 2 s average at each closed second. Once the 2 s window holds no traffic at all
    // (totals see every packet) no peak can rise, so a long idle gap is skipped in one step.
    while (m.closed < target) {
        const int64_t end = m.closed + 1;
        if (end - kWindows[0] > m.totals_hist.newest) { m.closed = target; break; }
        // Seconds older than the histories reach read as zero: jump to where they start, so an add() far
        // ahead of the last tick (an embedder's first tick after a long gap) costs O(flows), not O(gap × flows).
        if (const int64_t reach = m.totals_hist.newest - kHistorySeconds + 1; end - 1 < reach) {
            m.closed = std::min(target, reach);
            continue;
        }
        m.closed = end;
        const double div = double(std::min<int64_t>(kWindows[0], end));
        double t[2];
        for (int dir = 0; dir < 2; ++dir) {
            t[dir] = double(m.totals_hist.sum(end, kWindows[0], dir)) / div;
            m.peak[dir] = std::max(m.peak[dir], t[dir]);
        }
        m.peak_total = std::max(m.peak_total, t[0] + t[1]);
        for (size_t i = 0; i < m.cold.size(); ++i) {
            detail::ColdFlow& c = m.cold[i];
            if (c.hist.newest < end - kWindows[0]) continue;
            for (int dir = 0; dir < 2; ++dir)
                c.peak[dir] = std::max(c.peak[dir], double(c.hist.sum(end, kWindows[0], dir)) / div);
        }
    }
    if (cfg_.idle_expiry_seconds > 0) {
        const Micros limit = Micros(cfg_.idle_expiry_seconds) * kMicrosPerSecond;
        std::vector<char> victim(m.hot.size(), 0);
        bool any = false;
        for (size_t i = 0; i < m.hot.size(); ++i)
            if (now - m.hot[i].last_seen >= limit) { victim[i] = 1; any = true; }
        if (any) remove_marked(victim, now);
    }
    m.frags.prune(now);
}

FlowView FlowTable::totals() const {
    FlowView v;
    v.counts = impl_->totals;
    v.rates = detail::rates_of(impl_->totals_hist, impl_->closed);
    v.peak[0] = impl_->peak[0];
    v.peak[1] = impl_->peak[1];
    return v;
}

bool FlowTable::history(const FlowKey& key, int dir, std::array<uint64_t, kHistorySeconds>& out) const {
    const Impl& m = *impl_;
    const uint64_t h = detail::hash_flow(key.proto, key.local, key.local_port, key.remote, key.remote_port);
    for (size_t pos = h & m.mask; m.slots[pos]; pos = (pos + 1) & m.mask) {
        const size_t i = uint32_t(m.slots[pos]) - 1;
        if ((m.slots[pos] >> 32) != (h >> 32) || !(m.hot[i].key == key)) continue;
        for (int k = 0; k < kHistorySeconds; ++k) out[size_t(k)] = m.cold[i].hist.at(m.closed - kHistorySeconds + k, dir & 1);
        return true;
    }
    return false;
}

void FlowTable::for_each_flow(const std::function<void(const FlowView&)>& fn, Micros seen_since, bool rates) const {
    const Impl& m = *impl_;
    FlowView v;
    for (size_t i = 0; i < m.hot.size(); ++i) {
        if (m.hot[i].last_seen < seen_since) continue;
        m.view(i, v, rates);
        fn(v);
    }
}

std::vector<FlowView> FlowTable::sorted_flows(SortKey key, size_t limit) const {
    std::vector<FlowView> out;
    out.reserve(size());
    for_each_flow([&](const FlowView& v) { out.push_back(v); });
    sort_flows(out, key);
    if (limit && out.size() > limit) out.resize(limit);
    return out;
}

void sort_flows(std::vector<FlowView>& flows, SortKey key) {
    auto by_rate = [](int w) {
        return [w](const FlowView& a, const FlowView& b) {
            const double x = a.rates.total(w), y = b.rates.total(w);
            if (x != y) return x > y;
            return a.counts.bytes[0] + a.counts.bytes[1] > b.counts.bytes[0] + b.counts.bytes[1];
        };
    };
    switch (key) {
    case SortKey::rate_2s: std::stable_sort(flows.begin(), flows.end(), by_rate(0)); break;
    case SortKey::rate_10s: std::stable_sort(flows.begin(), flows.end(), by_rate(1)); break;
    case SortKey::rate_40s: std::stable_sort(flows.begin(), flows.end(), by_rate(2)); break;
    case SortKey::source:
        std::stable_sort(flows.begin(), flows.end(), [](const FlowView& a, const FlowView& b) {
            return a.key.local < b.key.local || (a.key.local == b.key.local && a.key.local_port < b.key.local_port);
        });
        break;
    case SortKey::destination:
        std::stable_sort(flows.begin(), flows.end(), [](const FlowView& a, const FlowView& b) {
            return a.key.remote < b.key.remote || (a.key.remote == b.key.remote && a.key.remote_port < b.key.remote_port);
        });
        break;
    case SortKey::total_bytes:
        std::stable_sort(flows.begin(), flows.end(), [](const FlowView& a, const FlowView& b) {
            return a.counts.bytes[0] + a.counts.bytes[1] > b.counts.bytes[0] + b.counts.bytes[1];
        });
        break;
    }
}

Engine::Engine(AccountingConfig cfg) : table_(std::move(cfg)) {}

void Engine::on_frame(const Frame& f) {
    if (stopped_) return;
    Micros now = f.ts + shift_;
    if (now > limit_) now = limit_;  // live: stamped after the present (a clock stepped back under a full buffer)
    advance(now);
    if (stopped_) return;  // the tick that this frame crossed asked to stop: the frame belongs after the report
    // Before the open second (timestamps out of order across CPUs, a clock stepped back, a file's reordering):
    // it counts in the open second, stamped at its start; a closed second is never reopened and nothing is lost.
    const Micros open = next_tick_ - kMicrosPerSecond;
    if (now < open) now = open;
    decode_frame_into(pending_[npending_], f.linktype, f.data, f.caplen, f.wirelen);
    pending_at_[npending_] = now;
    if (++npending_ == kBatch) flush();
}

Result<int> Engine::run_live(PacketSource& src, Micros now) {
    // Frames first, then the clock: a second closes only after the buffer was drained up to its end, so the
    // frames that waited in the buffer (a stopped process, a slow terminal) land in the seconds they arrived.
    // One dispatch reads every block that is ready (libpcap hands back all of them for a count of -1), so a
    // wakeup costs one call however many packets it brings.
    limit_ = now;
    Result<int> r = src.dispatch(*this, 0);
    limit_ = std::numeric_limits<Micros>::max();
    flush();
    if (!stopped_) advance(now - src.delivery_delay());
    return r;
}

void Engine::flush() {
    if (npending_ == 0) return;
    table_.add_batch(pending_.data(), pending_at_.data(), npending_);
    npending_ = 0;
}

void Engine::advance(Micros now) {
    if (table_.has_origin() && next_tick_ != 0 && now < next_tick_) return;  // the common case: same second
    flush();
    if (!table_.has_origin()) {
        table_.set_origin(now);
        next_tick_ = now + kMicrosPerSecond;
        return;
    }
    if (next_tick_ == 0) next_tick_ = table_.last_tick() + kMicrosPerSecond;
    int in_a_row = 0;
    while (!stopped_ && now >= next_tick_) {
        if (++in_a_row > kHistorySeconds) {
            // Past the longest window every rate is zero: jump to the last boundary instead of ticking through
            // hours of silence (a capture file with a gap, or a clock that jumped).
            const Micros skipped_ticks = (now - next_tick_) / kMicrosPerSecond;
            next_tick_ += skipped_ticks * kMicrosPerSecond;
            ticks_ += skipped_ticks;
        }
        table_.tick(next_tick_);
        ++ticks_;
        const Micros at = next_tick_;
        next_tick_ += kMicrosPerSecond;
        if (on_tick_ && !on_tick_(ticks_, at)) stopped_ = true;
    }
}

void Engine::finish() {
    flush();
    if (!table_.has_origin() || stopped_) return;
    if (next_tick_ == 0) next_tick_ = table_.last_tick() + kMicrosPerSecond;
    table_.tick(next_tick_);  // the last partial second counts as a whole one; no tick callback: the caller reports
}

Result<bool> Engine::run_offline(PacketSource& src) {
    while (!stopped_ && !src.at_end()) {
        auto r = src.dispatch(*this, 4096);
        if (!r) { flush(); return r.error(); }
    }
    flush();
    return true;
}

std::string flow_label(const FlowView& f) {
    auto ep = [&](const IpAddr& a, uint16_t p) {
        std::string s = a.family == 6 ? "[" + a.to_string() + "]" : a.to_string();
        return f.key.local_port || f.key.remote_port ? s + ":" + std::to_string(p) : s;
    };
    // Protocol 0 is an aggregated row (ports off on the screen): it has no protocol to name.
    return (f.key.proto ? protocol_name(f.key.proto) + " " : std::string()) + ep(f.key.local, f.key.local_port) +
           " => " + ep(f.key.remote, f.key.remote_port);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [7] processes — procfs and lsof parsing, the incremental resolver, SHA-256, publishers; no packet-path work */
/* ---------------------------------------------------------------------------------------------------------- */
const char* attribution_name(Attribution a) {
    switch (a) {
    case Attribution::off: return "off";
    case Attribution::partial: return "partial";
    case Attribution::full: return "full";
    }
    return "off";
}

namespace detail {

inline bool parse_hex32(std::string_view s, uint32_t& v) {
    if (s.empty() || s.size() > 8) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// "0100007F:1F90" (IPv4) or 32 hex digits + ":port" (IPv6). Each 8-digit group is one 32-bit word as the kernel
/// holds it in memory (network byte order bytes read as a host-order integer), so copying the integer's bytes
/// back gives the address bytes on either endianness. IPv4-mapped IPv6 becomes IPv4.
inline bool parse_proc_endpoint(std::string_view s, int family, IpAddr& a, uint16_t& port) {
    const size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view hex = s.substr(0, colon);
    uint32_t p = 0;
    if (!parse_hex32(s.substr(colon + 1), p) || p > 0xffff) return false;
    port = uint16_t(p);
    const size_t words = family == 4 ? 1 : 4;
    if (hex.size() != words * 8) return false;
    uint8_t b[16] = {};
    for (size_t i = 0; i < words; ++i) {
        uint32_t w = 0;
        if (!parse_hex32(hex.substr(i * 8, 8), w)) return false;
        std::memcpy(b + 4 * i, &w, 4);
    }
    if (family == 4) { a = IpAddr::v4(b); return true; }
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a = std::memcmp(b, mapped, 12) == 0 ? IpAddr::v4(b + 12) : IpAddr::v6(b);
    return true;
}

inline bool is_zero_addr(const IpAddr& a) {
    for (uint8_t b : a.bytes) if (b) return false;
    return true;
}

/// Splits on runs of spaces and tabs.
inline size_t split_fields(std::string_view line, std::string_view* out, size_t max) {
    size_t n = 0, i = 0;
    while (i < line.size() && n < max) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const size_t b = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > b) out[n++] = line.substr(b, i - b);
    }
    return n;
}

template <class Fn>
inline void for_each_line(std::string_view text, Fn fn) {
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        fn(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

/// Reads a whole (proc) file with read(2): procfs files report size 0, so no stat-and-read-once.
inline bool slurp(const std::string& path, std::string& out, size_t cap = size_t(1) << 28) {
    out.clear();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { const bool ok = n == 0; ::close(fd); return ok; }
        out.append(buf, size_t(n));
        if (out.size() >= cap) { ::close(fd); return true; }
    }
}

struct FlowKeyHash {
    size_t operator()(const FlowKey& k) const {
        return size_t(hash_flow(k.proto, k.local, k.local_port, k.remote, k.remote_port) * 31 + k.local_port);
    }
};

inline bool is_icmp(uint8_t proto) { return proto == kProtoIcmp || proto == kProtoIcmp6; }

/// Sockets by full pair, and listening/unconnected sockets by local address and port.
struct SocketIndex {
    struct Ref { uint64_t inode = 0; uint32_t uid = 0; };
    std::unordered_map<FlowKey, Ref, FlowKeyHash> exact, local;
    void clear() { exact.clear(); local.clear(); }
    void add(const SocketRow& r) {
        FlowKey k;
        k.proto = r.proto;
        k.local = r.local;
        k.local_port = r.local_port;
        const Ref ref{r.inode, r.uid};
        // ping sockets are usually not connected: they take replies to their identifier from anyone
        if (r.listening ||
            ((r.proto == kProtoUdp || is_icmp(r.proto)) && r.remote_port == 0 && is_zero_addr(r.remote))) {
            local.emplace(k, ref);  // the first of several SO_REUSEPORT sockets stands for all of them
            return;
        }
        k.remote = r.remote;
        k.remote_port = r.remote_port;
        exact.emplace(k, ref);
    }
    /// Exact pair; else the socket on the flow's local address and port; else on the wildcard address of the flow's
    /// family; else (IPv4 flows) on "::", which takes IPv4 too on a dual-stack socket. `exact_only`: the first
    /// step only. `wildcard_ok` false: not the wildcard steps (another namespace whose addresses are not the flow's).
    Ref find(const FlowKey& f, bool exact_only = false, bool wildcard_ok = true) const {
        if (auto it = exact.find(f); it != exact.end()) return it->second;
        if (exact_only) return {};
        FlowKey k;
        k.proto = f.proto;
        k.local = f.local;
        k.local_port = f.local_port;
        if (auto it = local.find(k); it != local.end()) return it->second;
        if (!wildcard_ok) return {};
        k.local = IpAddr{};
        k.local.family = f.local.family;
        if (auto it = local.find(k); it != local.end()) return it->second;
        if (f.local.family == 4) {
            k.local.family = 6;
            if (auto it = local.find(k); it != local.end()) return it->second;
        }
        return {};
    }
};

inline std::string trim_copy(std::string_view s) { return std::string(trim(s)); }

}  // namespace detail

std::vector<SocketRow> parse_proc_net(std::string_view text, uint8_t proto, int family) {
    using namespace detail;
    std::vector<SocketRow> rows;
    for_each_line(text, [&](std::string_view line) {
        std::string_view f[12];
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
        if (split_fields(line, f, 12) < 10 || f[0].back() != ':') return;
        SocketRow r;
        r.proto = proto;
        uint32_t st = 0;
        if (!parse_proc_endpoint(f[1], family, r.local, r.local_port) ||
            !parse_proc_endpoint(f[2], family, r.remote, r.remote_port) || !parse_hex32(f[3], st) ||
            !parse_number(f[7], r.uid) || !parse_number(f[9], r.inode) || r.inode == 0)
            return;
        r.listening = proto == kProtoTcp && st == 0x0A;  // TCP_LISTEN in include/net/tcp_states.h
        r.wildcard6 = r.local.family == 6 && is_zero_addr(r.local);
        rows.push_back(r);
    });
    return rows;
}

std::string process_label(const ProcessInfo& p) {
    return p.container.empty() ? p.name : p.name + "@" + p.container;
}

bool parse_proc_stat(std::string_view stat, uint64_t& start_time, std::string* comm) {
    // "pid (comm) state ppid ..." (proc(5)): comm may hold spaces and ')', so fields count from the last ')'
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
    std::string_view f[21];
    // after ')': field 3 (state) is f[0], field 22 (starttime) is f[19]
    if (detail::split_fields(stat.substr(close + 1), f, 21) < 20) return false;
    if (!detail::parse_number(f[19], start_time)) return false;
    if (comm) *comm = detail::printable(stat.substr(open + 1, close - open - 1));
    return true;
}

namespace detail {
/// The first `n` characters of a container id (docker shows 12).
inline std::string short_id(std::string_view id, size_t n = 12) {
    for (char c : id) if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-' && c != '_') return printable(id);
    return std::string(id.substr(0, std::min(n, id.size())));
}
/// `s` after `prefix` and before `suffix` when it has both, else "".
inline std::string_view between(std::string_view s, std::string_view prefix, std::string_view suffix) {
    if (s.size() < prefix.size() + suffix.size() || s.substr(0, prefix.size()) != prefix ||
        s.substr(s.size() - suffix.size()) != suffix)
        return {};
    return s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
}
/// The container named by one cgroup path, "" when none.
inline std::string container_of_path(std::string_view path) {
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < path.size()) {
        const size_t j = path.find('/', i);
        const std::string_view part = path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
        if (!part.empty()) parts.push_back(part);
        if (j == std::string_view::npos) break;
        i = j + 1;
    }
    // innermost first: a container inside a pod, a docker inside an nspawn machine
    for (size_t n = parts.size(); n-- > 0;) {
        const std::string_view p = parts[n];
        std::string_view id;
        if (!(id = between(p, "docker-", ".scope")).empty()) return short_id(id);       // docker, systemd driver
        if (!(id = between(p, "libpod-", ".scope")).empty()) return short_id(id);       // podman
        if (!(id = between(p, "libpod-", "")).empty() && id.find('.') == std::string_view::npos &&
            id != "conmon")
            return short_id(id);                                                           // podman, cgroupfs
        if (!(id = between(p, "cri-containerd-", ".scope")).empty()) continue;          // the pod names it
        if (!(id = between(p, "crio-", ".scope")).empty()) continue;
        if (!(id = between(p, "machine-", ".scope")).empty()) {                          // systemd-nspawn, libvirt
            std::string m;  // systemd escapes '-' in unit names as \x2d
            for (size_t k = 0; k < id.size(); ++k) {
                if (id.substr(k, 4) == "\\x2d") { m += '-'; k += 3; }
                else m += id[k];
            }
            return printable(m);
        }
        if (!(id = between(p, "systemd-nspawn@", ".service")).empty()) return printable(id);
        if (p.size() > 3 && p.substr(0, 3) == "pod" && n > 0 &&
            path.find("kubepods") != std::string_view::npos) {                          // /kubepods/burstable/pod<uid>
            return "pod-" + short_id(p.substr(3));
        }
        if (p.find("kubepods") != std::string_view::npos) {                              // kubepods-burstable-pod<uid>.slice
            const size_t at = p.rfind("-pod");
            if (at != std::string_view::npos) {
                std::string_view uid = p.substr(at + 4);
                if (uid.size() > 6 && uid.substr(uid.size() - 6) == ".slice") uid.remove_suffix(6);
                return "pod-" + short_id(uid);
            }
        }
        if (n > 0 && (parts[n - 1] == "docker" || parts[n - 1] == "libpod_parent")) return short_id(p);  // cgroupfs driver
        if (n > 0 && (parts[n - 1] == "lxc" || parts[n - 1] == "lxc.payload")) return printable(p);      // LXC
        if (p.size() > 12 && p.substr(0, 12) == "lxc.payload.") return printable(p.substr(12));         // LXC 4+
    }
    return {};
}
}  // namespace detail

std::string container_of_cgroup(std::string_view cgroup) {
    // one "hierarchy-ID:controllers:path" line per hierarchy (cgroups(7)); v2 is the "0::" line
    std::string best;
    detail::for_each_line(cgroup, [&](std::string_view line) {
        const size_t a = line.find(':');
        if (a == std::string_view::npos) return;
        const size_t b = line.find(':', a + 1);
        if (b == std::string_view::npos) return;
        if (best.empty()) best = detail::container_of_path(line.substr(b + 1));
    });
    return best;
}

namespace detail {
/// The /32 entries of one kind in /proc/net/fib_trie: "  |-- 10.0.0.1" then, among its leaf lines,
/// "     /32 host LOCAL" or "/32 link BROADCAST" (net/ipv4/fib_trie.c fib_trie_seq_show).
inline std::vector<IpAddr> fib_trie_entries(std::string_view text, std::string_view kind) {
    std::vector<IpAddr> out;
    std::optional<IpAddr> last;
    for_each_line(text, [&](std::string_view line) {
        const std::string_view t = trim(line);
        if (t.substr(0, 4) == "|-- ") { last = IpAddr::parse(trim(t.substr(4))); return; }
        if (last && last->family == 4 && t == kind && std::find(out.begin(), out.end(), *last) == out.end())
            out.push_back(*last);
    });
    return out;
}
}  // namespace detail

std::vector<IpAddr> parse_fib_trie_local(std::string_view text) {
    return detail::fib_trie_entries(text, "/32 host LOCAL");
}

std::vector<IpAddr> parse_if_inet6(std::string_view text) {
    std::vector<IpAddr> out;
    detail::for_each_line(text, [&](std::string_view line) {
        std::string_view f[1];
        if (detail::split_fields(line, f, 1) < 1 || f[0].size() != 32) return;
        uint8_t b[16];
        for (size_t i = 0; i < 16; ++i) {
            uint32_t v = 0;
            if (!detail::parse_hex32(f[0].substr(2 * i, 2), v)) return;
            b[i] = uint8_t(v);
        }
        out.push_back(IpAddr::v6(b));
    });
    return out;
}

namespace detail {
/// lsof's NAME for an internet file: "10.0.0.1:5000->10.0.0.2:80", "*:53", "[::1]:22", "[::]:443->[::1]:5".
inline bool parse_lsof_endpoint(std::string_view s, int family, IpAddr& a, uint16_t& port) {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view host = s.substr(0, colon), p = s.substr(colon + 1);
    if (p == "*") port = 0;
    else if (!parse_number(p, port)) return false;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "*") {
        a = IpAddr{};
        a.family = uint8_t(family);
        return true;
    }
    auto ip = IpAddr::parse(host);
    if (!ip) return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a = ip->family == 6 && std::memcmp(ip->bytes, mapped, 12) == 0 ? IpAddr::v4(ip->bytes + 12) : *ip;
    return true;
}
}  // namespace detail

std::vector<LsofSocket> parse_lsof(std::string_view text) {
    using namespace detail;
    std::vector<LsofSocket> out;
    int pid = 0;
    std::string command;
    // Per file: lsof prints a file's fields in a fixed order with the name last (lsof(8) "OUTPUT FOR OTHER
    // PROGRAMS"); 'f' is only there when asked for, so a file ends at its 'n' (or at the next f/p).
    struct File { bool open = false; int family = 0; uint8_t proto = 0; std::string name; } file;
    auto flush = [&] {
        if (!file.open || !file.family || !file.proto || file.name.empty() || pid <= 0) { file = File{}; return; }
        LsofSocket s;
        s.pid = pid;
        s.command = command;
        s.row.proto = file.proto;
        std::string_view n = file.name;
        if (const size_t sp = n.find(' '); sp != std::string_view::npos) n = n.substr(0, sp);  // " (LISTEN)" if -T
        const size_t arrow = n.find("->");
        bool ok = parse_lsof_endpoint(n.substr(0, arrow), file.family, s.row.local, s.row.local_port);
        if (ok && arrow != std::string_view::npos)
            ok = parse_lsof_endpoint(n.substr(arrow + 2), file.family, s.row.remote, s.row.remote_port);
        else if (ok) {
            s.row.remote = IpAddr{};
            s.row.remote.family = s.row.local.family;
            s.row.listening = file.proto == kProtoTcp;  // lsof shows no peer only for listening TCP sockets
        }
        s.row.wildcard6 = s.row.local.family == 6 && is_zero_addr(s.row.local);
        if (ok) out.push_back(std::move(s));
        file = File{};
    };
    for_each_line(text, [&](std::string_view line) {
        if (line.empty()) return;
        const char tag = line[0];
        const std::string_view v = line.substr(1);
        switch (tag) {
        case 'p': flush(); pid = 0; parse_number(v, pid); command.clear(); break;
        case 'c': command = printable(v); break;
        case 'f': flush(); file.open = true; break;
        case 't': file.open = true; file.family = v == "IPv4" ? 4 : v == "IPv6" ? 6 : 0; break;
        case 'P': file.proto = v == "TCP" ? kProtoTcp : v == "UDP" ? kProtoUdp : 0; break;
        case 'n': file.open = true; file.name = std::string(v); flush(); break;
        default: break;  // g (pgid), R (ppid), T (TCP info), ...
        }
    });
    flush();
    return out;
}

/* SHA-256 as FIPS 180-4 §6.2 describes it. */
namespace detail {
constexpr uint32_t kSha256K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
}  // namespace detail

Sha256::Sha256()
    : h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}, buf_{} {}

void Sha256::block(const uint8_t* p) {
    using detail::rotr;
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) w[i] = detail::rd32(p + 4 * i);
    for (int i = 16; i < 64; ++i) {
        const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int i = 0; i < 64; ++i) {
        const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + detail::kSha256K[i] + w[i];
        const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h_[0] += a; h_[1] += b; h_[2] += c; h_[3] += d; h_[4] += e; h_[5] += f; h_[6] += g; h_[7] += h;
}

void Sha256::update(const void* data, size_t n) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    total_ += n;
    if (len_) {
        const size_t take = std::min(n, 64 - len_);
        std::memcpy(buf_ + len_, p, take);
        len_ += take; p += take; n -= take;
        if (len_ < 64) return;
        block(buf_);
        len_ = 0;
    }
    for (; n >= 64; p += 64, n -= 64) block(p);
    std::memcpy(buf_, p, n);
    len_ = n;
}

std::array<uint8_t, 32> Sha256::finish() {
    const uint64_t bits = total_ * 8;
    const uint8_t pad = 0x80;
    update(&pad, 1);
    const uint8_t zero[64] = {};
    update(zero, (len_ <= 56 ? 56 - len_ : 120 - len_));
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = uint8_t(bits >> (56 - 8 * i));
    update(len, 8);
    std::array<uint8_t, 32> d{};
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) d[size_t(4 * i + j)] = uint8_t(h_[i] >> (24 - 8 * j));
    return d;
}

std::string Sha256::hex(const std::array<uint8_t, 32>& d) {
    static const char digits[] = "0123456789abcdef";
    std::string s(64, '0');
    for (size_t i = 0; i < 32; ++i) { s[2 * i] = digits[d[i] >> 4]; s[2 * i + 1] = digits[d[i] & 15]; }
    return s;
}

std::string Sha256::of(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return hex(h.finish());
}

Result<std::string> sha256_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return detail::make_error(Errc::file_open, path + ": " + std::strerror(errno));
    Sha256 h;
    std::vector<uint8_t> buf(1 << 16);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { const int e = errno; ::close(fd); return detail::make_error(Errc::io, path + ": " + std::strerror(e)); }
        if (n == 0) break;
        h.update(buf.data(), size_t(n));
    }
    ::close(fd);
    return Sha256::hex(h.finish());
}

/* Publishers: dpkg's database is one "<package>.list" file per package listing the paths it installed. */
PublisherIndex::PublisherIndex(std::string dpkg_info, std::string rpm_db)
    : dpkg_info_(std::move(dpkg_info)), rpm_db_(std::move(rpm_db)) {}

void PublisherIndex::build() {
    built_ = true;
    struct stat st {};
    rpm_ = !rpm_db_.empty() && ::stat(rpm_db_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    DIR* d = opendir(dpkg_info_.c_str());
    if (!d) return;
    std::string text;
    while (const dirent* e = readdir(d)) {
        const std::string_view n = e->d_name;
        if (n.size() <= 5 || n.substr(n.size() - 5) != ".list") continue;
        if (!detail::slurp(dpkg_info_ + "/" + std::string(n), text)) continue;
        const std::string pkg = detail::printable(n.substr(0, n.size() - 5));
        detail::for_each_line(text, [&](std::string_view line) {
            if (line.size() > 1 && line[0] == '/') files_.emplace(std::string(line), pkg);
        });
    }
    closedir(d);
}

namespace detail {
/// The names a file may have in a package database under usrmerge: /bin, /sbin and /lib are links into /usr.
inline std::vector<std::string> usrmerge_aliases(std::string_view p) {
    std::vector<std::string> v{std::string(p)};
    for (const char* top : {"/bin/", "/sbin/", "/lib/", "/lib64/", "/lib32/", "/libx32/"}) {
        const std::string t = top, u = "/usr" + t;
        if (p.substr(0, t.size()) == t) v.push_back("/usr" + std::string(p));
        else if (p.substr(0, u.size()) == u) v.push_back(std::string(p.substr(4)));
    }
    // /usr/sbin/x may be packaged as /usr/bin/x's sibling in /sbin on merged-bin systems and the other way round
    if (p.substr(0, 10) == "/usr/sbin/") v.push_back("/usr/bin/" + std::string(p.substr(10)));
    return v;
}

/// pipe(2) with both ends close-on-exec. pipe2 sets the flag atomically where it exists (Linux, the BSDs); macOS
/// has only pipe + fcntl, which leaves a short window in which a fork elsewhere may inherit the fds.
inline bool cloexec_pipe(int fds[2]) {
#if defined(__APPLE__)
    if (pipe(fds) != 0) return false;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return true;
#else
    return pipe2(fds, O_CLOEXEC) == 0;
#endif
}

/// A file's modification time as "seconds.nanoseconds" (st_mtim in POSIX 2008; macOS calls it st_mtimespec).
inline std::string mtime_text(const struct stat& st) {
#if defined(__APPLE__)
    const struct timespec& t = st.st_mtimespec;
#else
    const struct timespec& t = st.st_mtim;
#endif
    return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

/// Runs argv without a shell; returns standard output (at most `cap` bytes) and whether it exited 0.
inline bool run_capture(const std::vector<std::string>& argv, std::string& out, size_t cap = 1 << 20) {
    out.clear();
    // argv is built before fork: the child of a threaded program may only make async-signal-safe calls
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    int fds[2];
    if (!cloexec_pipe(fds)) return false;
    const pid_t pid = fork();
    if (pid < 0) { ::close(fds[0]); ::close(fds[1]); return false; }
    if (pid == 0) {
        dup2(fds[1], 1);
        const int null = ::open("/dev/null", O_RDWR);
        if (null >= 0) { dup2(null, 0); dup2(null, 2); }
        execvp(a[0], a.data());
        _exit(127);
    }
    ::close(fds[1]);
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (out.size() < cap) out.append(buf, size_t(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
}  // namespace detail

std::string PublisherIndex::package_of(std::string_view path) {
    if (!built_) build();
    constexpr std::string_view deleted = " (deleted)";
    if (path.size() > deleted.size() && path.substr(path.size() - deleted.size()) == deleted)
        path.remove_suffix(deleted.size());  // an upgraded or removed binary: its path still names the package
    if (path.empty() || path[0] != '/') return "unpackaged";
    const auto names = detail::usrmerge_aliases(path);
    for (const auto& n : names)
        if (auto it = files_.find(n); it != files_.end()) return it->second;
    if (rpm_) {
        if (auto it = rpm_cache_.find(std::string(path)); it != rpm_cache_.end()) return it->second;
        std::string out, pkg = "unpackaged";
        for (const auto& n : names) {
            if (detail::run_capture({"rpm", "-qf", "--qf", "%{NAME}\n", "--", n}, out)) {
                pkg = detail::printable(detail::trim(out.substr(0, out.find('\n'))));
                break;
            }
        }
        if (pkg.empty()) pkg = "unpackaged";
        rpm_cache_.emplace(std::string(path), pkg);
        return pkg;
    }
    return "unpackaged";
}

/* The resolver. */
struct ProcessResolver::Impl {
    struct Owner { int pid; int fd; Micros checked; };
    struct Pid {
        std::shared_ptr<ProcessInfo> info;  // read on first use
        std::vector<uint64_t> inodes;       // sockets seen at the last walk of this pid
        int64_t fds = -1;                   // open fds at the last walk (-1: not read)
        uint64_t ns = 0;                    // its network namespace (inode of /proc/<pid>/ns/net; 0 unread)
        Micros info_checked = INT64_MIN;    // when its identity (start time) was last confirmed
        bool unreadable = false;
        bool suspect = false;               // one of its sockets closed since: it may have opened another
    };
    /// Another network namespace (a container): its sockets are read through one of its processes' /proc/<pid>/net.
    struct NetNs {
        int pid = 0;                  // a process in it; 0: find another
        detail::SocketIndex sockets;
        std::vector<IpAddr> addrs;    // its own addresses: a wildcard socket there takes only these
        Micros read_at = INT64_MIN;
    };
    Config cfg;
    Stats stats;
    detail::SocketIndex sockets, icmp;           // ours: TCP/UDP tables (without sock_diag) and ping sockets
    std::unordered_map<uint64_t, Owner> owners;  // inode → pid and fd
    std::unordered_map<int, Pid> pids;           // every pid seen by a walk
    std::unordered_map<uint64_t, NetNs> netns;   // other network namespaces, by namespace inode
    std::vector<IpAddr> self_addrs;              // the addresses of our own namespace
    std::vector<IpAddr> self_bcast;              // and its subnet broadcast addresses (forwarded())
    Micros addrs_at = INT64_MIN;                 // when forwarded() last re-read them
    uint64_t self_ns = 0;
    std::deque<int> recent;                      // pids that lately owned a socket a flow needed
    std::vector<int> born;                       // pids created since the last walk (process events)
    std::deque<std::pair<int, Micros>> young;    // pids first seen lately: a new program's sockets come soon
    size_t unreadable_pids = 0;
    Micros net_at = INT64_MIN, icmp_at = INT64_MIN, new_pid_at = INT64_MIN, suspect_at = INT64_MIN,
           targeted_at = INT64_MIN, changed_at = INT64_MIN, full_at = INT64_MIN, self_at = INT64_MIN,
           fast_full_at = INT64_MIN;
    std::unordered_set<uint64_t> live_inodes;  // inodes in the socket tables at the last read
    bool lsof_mode = false, usable = true;
    bool no_net_tables = false;  // <proc_root>/net is missing or unreadable: sock_diag or lsof must do
    bool lsof_empty = false;  // lsof ran and listed no socket at all: it cannot see (F16)
    // Sockets that exist (the kernel named their inode) but that no process in a full walk of /proc holds:
    // processes hidden from us (hidepid, another pid namespace). Attribution is partial while any is recent.
    std::unordered_map<uint64_t, Micros> unowned;
    Micros last_now = INT64_MIN;
    int diag_fd = -1;
    uint64_t lsof_next_inode = 1;
    std::string text, link;
    static constexpr Micros kFastEvery = 20000;    // the fast path's walks, at most this often
    static constexpr Micros kNsFastEvery = 50000;  // another namespace's tables on the fast path

    std::string pid_path(int pid) const { return cfg.proc_root + "/" + std::to_string(pid); }
    /// Whether `every` has passed since `at` (INT64_MIN: never done).
    static bool due(Micros at, Micros now, Micros every) { return at == INT64_MIN || now - at >= every; }

    /// The inode of a namespace link ("net:[4026531993]"); 0 when unreadable.
    static uint64_t ns_inode(const std::string& path) {
        char buf[64];
        const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
        if (n < 7 || std::memcmp(buf, "net:[", 5) != 0 || buf[n - 1] != ']') return 0;
        uint64_t v = 0;
        return detail::parse_number(std::string_view(buf + 5, size_t(n) - 6), v) ? v : 0;
    }

    /// Reads socket tables under `dir` ("<proc>/net" or "<proc>/<pid>/net") into `idx`.
    void read_tables(const std::string& dir, detail::SocketIndex& idx, bool icmp_only,
                     std::unordered_set<uint64_t>* live, std::vector<IpAddr>* addrs) {
        static const struct { const char* file; uint8_t proto; int family; } files[] = {
            {"icmp", kProtoIcmp, 4}, {"icmp6", kProtoIcmp6, 6}, {"tcp", kProtoTcp, 4},
            {"tcp6", kProtoTcp, 6},  {"udp", kProtoUdp, 4},     {"udp6", kProtoUdp, 6}};
        idx.clear();
        for (const auto& f : files) {
            if (icmp_only && !detail::is_icmp(f.proto)) break;
            if (!detail::slurp(dir + "/" + f.file, text)) continue;
            for (const SocketRow& r : parse_proc_net(text, f.proto, f.family)) {
                idx.add(r);
                if (live) live->insert(r.inode);
                if (addrs && !detail::is_zero_addr(r.local) &&
                    std::find(addrs->begin(), addrs->end(), r.local) == addrs->end())
                    addrs->push_back(r.local);
            }
        }
    }

    /// The addresses of the namespace whose /proc net directory is `dir`.
    std::vector<IpAddr> read_addrs(const std::string& dir) {
        std::vector<IpAddr> a;
        if (detail::slurp(dir + "/fib_trie", text)) a = parse_fib_trie_local(text);
        if (detail::slurp(dir + "/if_inet6", text))
            for (const IpAddr& x : parse_if_inet6(text)) a.push_back(x);
        return a;
    }

    void read_net(Micros now) {
        net_at = now;
        ++stats.net_reads;
        sockets.clear();
        if (lsof_mode) { read_lsof(); return; }
        live_inodes.clear();
        read_tables(cfg.proc_root + "/net", sockets, false, &live_inodes, nullptr);
        // A process whose socket closed is a suspect: close-then-open reuses the fd number and keeps the fd
        // count, so the count alone would not show its new socket.
        for (auto it = owners.begin(); it != owners.end();) {
            if (live_inodes.count(it->first)) { ++it; continue; }
            if (auto p = pids.find(it->second.pid); p != pids.end()) p->second.suspect = true;
            it = owners.erase(it);
        }
    }

    /// Re-walks only the pids whose fd count changed since their last walk, or that lost a socket.
    /// With `by_count` false, only the suspects (pids whose flows ended or whose cached socket was gone).
    void walk_changed(Micros now, bool by_count) {
        std::vector<int> todo;
        struct stat st {};
        for (auto& kv : pids) {
            if (kv.second.unreadable) continue;
            bool again = kv.second.suspect;
            if (!again && by_count) {
                const std::string dir = pid_path(kv.first) + "/fd";
                // st_size of /proc/<pid>/fd is the number of open fds since Linux 6.2; 0 on older kernels,
                // where only the full walk can find a socket opened by a process already seen
                if (::stat(dir.c_str(), &st) != 0) again = true;  // gone (forgotten by the walk) or unreadable
                else again = st.st_size > 0 && st.st_size != kv.second.fds;
            }
            if (again) todo.push_back(kv.first);
        }
        for (int pid : todo) walk_pid(pid, now);
    }

    void read_lsof() {
        ++stats.lsof_runs;
        std::string out;
        detail::run_capture({"lsof", "-n", "-P", "-w", "-F", "pcnPt", "-i"}, out, size_t(1) << 26);
        owners.clear();
        pids.clear();  // lsof's answer is the whole truth at this moment: pids that exited are gone from it
        std::vector<LsofSocket> found = parse_lsof(out);
        lsof_empty = found.empty();
        for (LsofSocket& s : found) {
            s.row.inode = lsof_next_inode++;  // lsof gives no inode: a private one ties the row to its pid
            sockets.add(s.row);
            owners[s.row.inode] = Owner{s.pid, -1, net_at};
            Pid& p = pids[s.pid];
            if (!p.info) {
                p.info = std::make_shared<ProcessInfo>();
                p.info->pid = s.pid;
                p.info->name = s.command;
            }
        }
    }

    void forget(int pid) {
        auto it = pids.find(pid);
        if (it == pids.end()) return;
        for (uint64_t ino : it->second.inodes) {
            auto o = owners.find(ino);
            if (o != owners.end() && o->second.pid == pid) owners.erase(o);
        }
        if (it->second.unreadable) --unreadable_pids;
        const uint64_t ns = it->second.ns;
        pids.erase(it);
        recent.erase(std::remove(recent.begin(), recent.end(), pid), recent.end());
        if (auto n = netns.find(ns); n != netns.end() && n->second.pid == pid) {
            n->second.pid = 0;  // another process of the namespace speaks for it, else it is gone
            for (const auto& kv : pids)
                if (kv.second.ns == ns) { n->second.pid = kv.first; break; }
            if (!n->second.pid) netns.erase(n);
        }
    }

    void set_unreadable(Pid& p, bool u) {
        if (p.unreadable != u) unreadable_pids += u ? 1 : size_t(-1);
        p.unreadable = u;
    }

    /// Notes the network namespace of a pid the first time it is walked.
    void note_ns(int pid, Pid& p) {
        if (p.ns || !cfg.other_namespaces || !self_ns) return;
        p.ns = ns_inode(pid_path(pid) + "/ns/net");
        if (!p.ns || p.ns == self_ns) return;
        NetNs& n = netns[p.ns];
        if (!n.pid) n.pid = pid;
    }

    /// Reads /proc/<pid>/fd: every "socket:[N]" link goes into the inode map.
    void walk_pid(int pid, Micros now) {
        const std::string dir = pid_path(pid) + "/fd";
        DIR* d = opendir(dir.c_str());
        if (!d) {
            if (errno == ENOENT) { forget(pid); return; }  // exited mid-scan: normal
            ++stats.unreadable;
            Pid& p = pids[pid];
            set_unreadable(p, true);  // EACCES (another user's process without root), or not a directory
            note_ns(pid, p);
            return;
        }
        ++stats.fd_dirs_read;
        Pid& p = pids[pid];
        set_unreadable(p, false);
        note_ns(pid, p);
        p.suspect = false;
        p.fds = 0;
        for (uint64_t ino : p.inodes) {  // sockets closed since the last walk must not keep an owner
            auto o = owners.find(ino);
            if (o != owners.end() && o->second.pid == pid) owners.erase(o);
        }
        p.inodes.clear();
        char buf[64];
        while (const dirent* e = readdir(d)) {
            int fd = 0;
            if (!detail::parse_number(std::string_view(e->d_name), fd)) continue;
            ++p.fds;
            const ssize_t n = readlinkat(dirfd(d), e->d_name, buf, sizeof buf - 1);
            if (n < 9 || std::memcmp(buf, "socket:[", 8) != 0 || buf[n - 1] != ']') continue;
            uint64_t ino = 0;
            if (!detail::parse_number(std::string_view(buf + 8, size_t(n) - 9), ino)) continue;
            owners[ino] = Owner{pid, fd, now};
            p.inodes.push_back(ino);
        }
        closedir(d);
    }

    /// readdir(/proc): walks the pids in `which` (all, or only those not seen before) and forgets vanished pids.
    void walk(bool all, Micros now) {
        DIR* d = opendir(cfg.proc_root.c_str());
        if (!d) return;
        std::vector<int> present;
        while (const dirent* e = readdir(d)) {
            int pid = 0;
            if (detail::parse_number(std::string_view(e->d_name), pid) && pid > 0) present.push_back(pid);
        }
        closedir(d);
        std::sort(present.begin(), present.end());
        std::vector<int> gone;
        for (const auto& kv : pids)
            if (!std::binary_search(present.begin(), present.end(), kv.first)) gone.push_back(kv.first);
        for (int pid : gone) forget(pid);
        for (int pid : present) {
            if (pids.count(pid) && !all) continue;
            const bool fresh = !pids.count(pid);
            walk_pid(pid, now);
            if (fresh && pids.count(pid)) {
                young.emplace_back(pid, now);
                if (young.size() > 32) young.pop_front();
            }
        }
        born.clear();
    }

    void note_recent(int pid) {  // most recently useful first
        if (!recent.empty() && recent.front() == pid) return;
        recent.erase(std::remove(recent.begin(), recent.end(), pid), recent.end());
        recent.push_front(pid);
        if (recent.size() > 16) recent.pop_back();
    }

    /// The owner of `ino` if known; a mapping not made at `now` is confirmed with one readlink first (the fd may
    /// have been closed and its number reused), and the process's identity with its start time.
    std::shared_ptr<const ProcessInfo> owner_of(uint64_t ino, Micros now, bool& stale) {
        auto it = owners.find(ino);
        if (it == owners.end()) return nullptr;
        Owner& o = it->second;
        if (!lsof_mode && o.checked != now) {
            const std::string p = pid_path(o.pid) + "/fd/" + std::to_string(o.fd);
            char buf[64];
            const ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
            const std::string want = "socket:[" + std::to_string(ino) + "]";
            if (n != ssize_t(want.size()) || std::memcmp(buf, want.data(), want.size()) != 0) {
                if (auto p = pids.find(o.pid); p != pids.end()) p->second.suspect = true;
                owners.erase(it);
                stale = true;
                return nullptr;
            }
            o.checked = now;
        }
        Pid& p = pids[o.pid];
        if (!lsof_mode && p.info && p.info_checked != now) {
            // the pid may belong to another process since its info was read (exit, then pid reuse)
            uint64_t start = 0;
            std::string comm;
            ++stats.identity_checks;
            if (!detail::slurp(pid_path(o.pid) + "/stat", text, 4096) || !parse_proc_stat(text, start, &comm) ||
                start != p.info->start_time || comm != p.info->name)
                p.info.reset();
        }
        if (!p.info) p.info = read_info(o.pid);
        p.info_checked = now;
        return p.info;
    }

    std::shared_ptr<ProcessInfo> read_info(int pid) {
        auto info = std::make_shared<ProcessInfo>();
        info->pid = pid;
        const std::string base = pid_path(pid);
        if (detail::slurp(base + "/stat", text, 4096)) parse_proc_stat(text, info->start_time);
        if (detail::slurp(base + "/comm", text, 4096)) info->name = detail::printable(detail::trim(text));
        if (detail::slurp(base + "/cmdline", text, 65536)) {
            for (char& c : text) if (c == '\0') c = ' ';
            info->cmdline = detail::printable(detail::trim(text));
        }
        if (detail::slurp(base + "/cgroup", text, 65536)) info->container = container_of_cgroup(text);
        char buf[4096];
        const ssize_t n = readlink((base + "/exe").c_str(), buf, sizeof buf);
        if (n > 0) info->exe = detail::printable(std::string_view(buf, size_t(n)));
        if (info->name.empty()) info->name = std::to_string(pid);
        return info;
    }

#if defined(__linux__)
    /// One sock_diag request for the socket a flow belongs to (linux/inet_diag.h; the kernel's
    /// inet_diag_find_one_icsk and udp_dump_one). TCP wants id.src = the local end; UDP's lookup takes them the other
    /// way round ("src and dst are swapped for historical reasons", net/ipv4/udp_diag.c). inode 0: no socket (or a
    /// TIME_WAIT one); false: sock_diag does not work here. `exact`: the socket has a peer (not a listener).
    bool diag_lookup(const FlowKey& k, detail::SocketIndex::Ref& ref, bool& exact) {
        ref = {};
        exact = false;
        if (k.proto != kProtoTcp && k.proto != kProtoUdp) return true;
        ++stats.diag_queries;
        struct { nlmsghdr h; inet_diag_req_v2 r; } req;
        std::memset(&req, 0, sizeof req);
        req.h.nlmsg_len = sizeof req;
        req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        req.h.nlmsg_flags = NLM_F_REQUEST;
        req.h.nlmsg_seq = uint32_t(stats.diag_queries);
        req.r.sdiag_family = k.local.family == 4 ? AF_INET : AF_INET6;
        req.r.sdiag_protocol = k.proto;
        req.r.idiag_states = ~0u;
        const bool tcp = k.proto == kProtoTcp;
        const IpAddr& src = tcp ? k.local : k.remote;
        const IpAddr& dst = tcp ? k.remote : k.local;
        req.r.id.idiag_sport = htons(tcp ? k.local_port : k.remote_port);
        req.r.id.idiag_dport = htons(tcp ? k.remote_port : k.local_port);
        std::memcpy(req.r.id.idiag_src, src.bytes, k.local.family == 4 ? 4 : 16);
        std::memcpy(req.r.id.idiag_dst, dst.bytes, k.local.family == 4 ? 4 : 16);
        req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
        sockaddr_nl sa {};
        sa.nl_family = AF_NETLINK;
        if (sendto(diag_fd, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return false;
        alignas(nlmsghdr) char buf[8192];
        for (;;) {
            const ssize_t n = recv(diag_fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < ssize_t(sizeof(nlmsghdr))) return false;
            const nlmsghdr* h = reinterpret_cast<const nlmsghdr*>(buf);
            if (h->nlmsg_seq != req.h.nlmsg_seq) continue;  // a late answer to an earlier question
            if (h->nlmsg_type == NLMSG_ERROR) {
                const int err = reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
                return err == -ENOENT;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
                return false;
            const inet_diag_msg* m = reinterpret_cast<const inet_diag_msg*>(NLMSG_DATA(h));
            ref.inode = m->idiag_inode;
            ref.uid = m->idiag_uid;
            exact = m->id.idiag_dport != 0;
            return true;
        }
    }
#endif

    static bool has_addr(const std::vector<IpAddr>& v, const IpAddr& a) {
        return std::find(v.begin(), v.end(), a) != v.end();
    }

    /// Our own namespace: sock_diag, else the (cached) /proc/net tables; ping sockets from /proc/net/icmp{,6}.
    detail::SocketIndex::Ref find_own(const FlowKey& k, Micros now, bool fast, bool exact_only) {
        if (detail::is_icmp(k.proto)) {
            if (icmp_at != now && (!fast || due(icmp_at, now, kFastEvery / 4))) {
                icmp_at = now;
                read_tables(cfg.proc_root + "/net", icmp, true, nullptr, nullptr);
            }
            return icmp.find(k, exact_only);
        }
#if defined(__linux__)
        if (diag_fd >= 0) {
            detail::SocketIndex::Ref ref;
            bool exact = false;
            if (diag_lookup(k, ref, exact)) return !exact_only || exact ? ref : detail::SocketIndex::Ref{};
            ::close(diag_fd);  // not supported here (old kernel, seccomp): the tables from now on
            diag_fd = -1;
            if (no_net_tables) {  // and there are none: lsof is what is left
                std::string out;
                lsof_mode = cfg.allow_lsof && detail::run_capture({"lsof", "-v"}, out);
                usable = lsof_mode;
                if (!usable) return {};
            }
        }
#endif
        auto ref = sockets.find(k, exact_only);
        if (!ref.inode && net_at < now && (!fast || due(net_at, now, kFastEvery))) {
            read_net(now);
            ref = sockets.find(k, exact_only);
        }
        return ref;
    }

    /// Other namespaces, through /proc/<pid>/net of one of their processes.
    detail::SocketIndex::Ref find_other(const FlowKey& k, Micros now, bool fast, bool exact_only) {
        for (auto& kv : netns) {
            NetNs& n = kv.second;
            if (!n.pid) continue;
            if (n.read_at != now && (!fast || due(n.read_at, now, kNsFastEvery))) {
                n.read_at = now;
                ++stats.ns_reads;
                const std::string dir = pid_path(n.pid) + "/net";
                n.addrs = read_addrs(dir);
                read_tables(dir, n.sockets, false, nullptr, &n.addrs);
            }
            auto ref = n.sockets.find(k, exact_only, has_addr(n.addrs, k.local));
            if (ref.inode) return ref;
        }
        return {};
    }

    /// Our namespace's addresses and subnet broadcast addresses, read again.
    void read_self_addrs(Micros now) {
        self_at = now;
        self_addrs = read_addrs(cfg.proc_root + "/net");
        if (detail::slurp(cfg.proc_root + "/net/fib_trie", text))
            self_bcast = detail::fib_trie_entries(text, "/32 link BROADCAST");
    }
    /// Processes not seen by a walk yet (and the network namespaces they bring).
    void walk_new_pids(Micros now) {
        new_pid_at = now;
        ++stats.new_pid_walks;
        walk(false, now);
    }
    /// Addresses a host answers for whatever its address list says: loopback, multicast, limited broadcast.
    static bool always_here(const IpAddr& a) {
        static const uint8_t kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        if (a.family == 4)
            return a.bytes[0] == 127 || (a.bytes[0] & 0xf0) == 224 ||
                   (a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 && a.bytes[3] == 255);
        return a.bytes[0] == 0xff || std::memcmp(a.bytes, kLoop6, 16) == 0;
    }
    bool known_here(const IpAddr& a) const {
        if (always_here(a) || detail::is_zero_addr(a) || has_addr(self_addrs, a) || has_addr(self_bcast, a))
            return true;
        for (const auto& kv : netns)
            if (has_addr(kv.second.addrs, a)) return true;
        return false;
    }
    /// Forwarded traffic (a router, a bridge, a mirror port): neither end is an address of this host or of a
    /// network namespace it knows, so no socket here can own the flow, and looking would cost two sock_diag round
    /// trips (and perhaps other namespaces' tables) per flow and per retry. When a flow looks forwarded the lists
    /// are re-read, at most once a second: an address just added, a container just started (its namespace found
    /// by the walk for new pids, its addresses read at once). Proves nothing in lsof mode or when our own address
    /// list could not be read. Not found this way: sockets of a transparent proxy (IP_TRANSPARENT), which hold
    /// addresses that are not the host's.
    bool forwarded(const FlowKey& k, Micros now) {
        if (lsof_mode) return false;
        if (known_here(k.local) || known_here(k.remote)) return false;
        if (due(addrs_at, now, kMicrosPerSecond)) {
            addrs_at = now;
            read_self_addrs(now);
            if (cfg.other_namespaces && self_ns) {
                walk_new_pids(now);
                for (auto& kv : netns)
                    if (kv.second.pid && kv.second.addrs.empty())
                        kv.second.addrs = read_addrs(pid_path(kv.second.pid) + "/net");
            }
            if (known_here(k.local) || known_here(k.remote)) return false;
        }
        if (self_addrs.empty()) return false;
        ++stats.forwarded;
        return true;
    }

    /// The socket of a flow (see lookup's comment for which end).
    detail::SocketIndex::Ref find_socket(const FlowKey& k0, uint16_t echo_id, Micros now, bool fast) {
        FlowKey k = k0;
        if (detail::is_icmp(k.proto)) {
            if (!echo_id) return {};  // not an echo: no socket to find
            k.local_port = echo_id;
            k.remote_port = 0;
        }
        if (forwarded(k, now)) return {};
        if (lsof_mode || !cfg.other_namespaces || !self_ns) return find_own(k, now, fast, false);
        if (self_at == INT64_MIN || (!fast && due(self_at, now, 10 * kMicrosPerSecond))) read_self_addrs(now);
        if (has_addr(self_addrs, k.local)) return find_own(k, now, fast, false);
        if (auto r = find_own(k, now, fast, false); r.inode) return r;
        if (fast ? due(new_pid_at, now, kFastEvery) : new_pid_at < now)
            walk_new_pids(now);  // namespaces of processes not seen yet (a container just started)
        if (auto r = find_other(k, now, fast, false); r.inode) return r;
        if (detail::is_icmp(k.proto)) return {};
        // neither namespace has the local end: the remote end's socket, if one of ours holds it
        FlowKey rev = k;
        std::swap(rev.local, rev.remote);
        std::swap(rev.local_port, rev.remote_port);
        if (auto r = find_own(rev, now, fast, true); r.inode) return r;
        return find_other(rev, now, fast, true);
    }

    std::shared_ptr<const ProcessInfo> walked(uint64_t ino, Micros now, bool& stale) {
        auto p = owner_of(ino, now, stale);
        if (p) note_recent(p->pid);
        return p;
    }

    /// The fast path's walks: new processes, then recent owners, suspects, changed fd counts; each at most every
    /// kFastEvery, so a burst of new flows costs a bounded amount.
    std::shared_ptr<const ProcessInfo> walk_fast(uint64_t ino, Micros now, bool& stale) {
        if (!born.empty()) {
            const std::vector<int> b = std::move(born);
            born.clear();
            for (int pid : b) walk_pid(pid, now);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (!recent.empty()) {  // most recent first, one at a time: the socket is racing its close
            const std::deque<int> r = recent;
            for (int pid : r) {
                walk_pid(pid, now);
                if (owners.count(ino)) return walked(ino, now, stale);
            }
        }
        // pids first seen in the last seconds: a program that just started (its fd count alone can hide a
        // socket opened after one closed)
        while (!young.empty() && (young.front().second > now || now - young.front().second > 3 * kMicrosPerSecond))
            young.pop_front();
        if (!young.empty()) {
            std::vector<int> y;
            for (const auto& yp : young)
                if (std::find(recent.begin(), recent.end(), yp.first) == recent.end()) y.push_back(yp.first);
            for (int pid : y) walk_pid(pid, now);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (due(new_pid_at, now, kFastEvery)) {
            walk_new_pids(now);
            walk_changed(now, false);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (due(changed_at, now, 5 * kFastEvery)) {
            changed_at = now;
            ++stats.changed_walks;
            walk_changed(now, true);
            if (auto p = walked(ino, now, stale)) return p;
        }
        // A process that opens and closes sockets keeps its fd count: only reading everything finds it, once;
        // then it is a recent owner. Within the per-tick pass's budget, and at most every 10 s from here, so
        // steady churn costs no more than it did.
        if (due(full_at, now, cfg.full_walk_interval) && due(fast_full_at, now, 10 * kMicrosPerSecond)) {
            full_at = fast_full_at = now;
            ++stats.full_walks;
            walk(true, now);
            if (auto p = walked(ino, now, stale)) return p;
        }
        return nullptr;
    }

    std::shared_ptr<const ProcessInfo> lookup(const FlowKey& k, uint16_t echo_id, Micros now, Socket& sock,
                                              bool fast) {
        auto p = lookup_inner(k, echo_id, now, sock, fast);
        const uint64_t ino = sock.inode;
        last_now = now;
        // a full walk of the per-tick pass that did not find a live socket's process: it is hidden from us (a
        // short-lived socket missed by the fast path is no evidence: it may just have closed)
        if (ino && !lsof_mode && !fast) {
            if (p) unowned.erase(ino);
            else if (full_at == now && unowned.size() < 4096) unowned[ino] = now;
        }
        for (auto it = unowned.begin(); it != unowned.end();)
            it = now - it->second > 30 * kMicrosPerSecond ? unowned.erase(it) : std::next(it);
        return p;
    }

    std::shared_ptr<const ProcessInfo> lookup_inner(const FlowKey& k, uint16_t echo_id, Micros now, Socket& sock,
                                                    bool fast) {
        sock = Socket{};
        if (!usable) return nullptr;
        if (fast) ++stats.fast_lookups;
        auto ref = find_socket(k, echo_id, now, fast);
        sock.inode = ref.inode;
        if (!ref.inode) return nullptr;  // no socket on this host has the pair: forwarded, or already closed
        if (!lsof_mode) sock.uid = ref.uid;
        const uint64_t ino = ref.inode;
        bool stale = false;
        if (auto p = owner_of(ino, now, stale)) return p;
        if (lsof_mode) return nullptr;
        if (fast) return walk_fast(ino, now, stale);
        if (stale && diag_fd < 0 && net_at < now && !detail::is_icmp(k.proto)) {
            // the cached tables are out of date: read them again
            read_net(now);
            ref = find_socket(k, echo_id, now, fast);
            sock.inode = ref.inode;
            if (!ref.inode) return nullptr;
            if (auto p = owner_of(ref.inode, now, stale)) return p;
        }
        // The inode is new. Cheapest first: processes started since the last walk, processes whose flows ended
        // (close-then-open reuses fd numbers), processes that lately opened sockets (servers accepting, clients
        // connecting), processes whose fd count changed, then everything at most once per interval.
        if (new_pid_at < now) {
            walk_new_pids(now);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (suspect_at < now) {
            suspect_at = now;
            walk_changed(now, false);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (targeted_at < now && !recent.empty()) {
            targeted_at = now;
            ++stats.targeted_walks;
            const std::deque<int> r = recent;
            for (int pid : r) walk_pid(pid, now);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (changed_at < now) {
            changed_at = now;
            ++stats.changed_walks;
            walk_changed(now, true);
            if (auto p = walked(ino, now, stale)) return p;
        }
        if (full_at == INT64_MIN || now - full_at >= cfg.full_walk_interval) {
            full_at = now;
            ++stats.full_walks;
            walk(true, now);
            if (auto p = walked(ino, now, stale)) return p;
        }
        return nullptr;
    }
};

ProcessResolver::ProcessResolver(Config cfg) : impl_(std::make_unique<Impl>()) {
    impl_->cfg = std::move(cfg);
    const std::string net = impl_->cfg.proc_root + "/net/tcp";
    impl_->no_net_tables = access(net.c_str(), R_OK) != 0;
#if defined(__linux__)
    // sock_diag needs no /proc/net: a /proc that hides its socket tables (some sandboxes) still has /proc/PID/fd,
    // which is all the rest needs (F16).
    if (impl_->cfg.sock_diag && impl_->cfg.proc_root == "/proc" && access("/proc/self/fd", R_OK) == 0)
        impl_->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
#endif
    if (impl_->no_net_tables && impl_->diag_fd < 0) {
        // /proc is not mounted or hides the socket tables (some sandboxes, macOS): lsof is the fallback
        std::string out;
        impl_->lsof_mode = impl_->cfg.allow_lsof && detail::run_capture({"lsof", "-v"}, out);
        impl_->usable = impl_->lsof_mode;
    }
    if (impl_->usable && !impl_->lsof_mode) impl_->self_ns = Impl::ns_inode(impl_->cfg.proc_root + "/self/ns/net");
}
ProcessResolver::~ProcessResolver() {
    if (impl_->diag_fd >= 0) ::close(impl_->diag_fd);
}
void ProcessResolver::hint_closed(int pid) {
    if (auto p = impl_->pids.find(pid); p != impl_->pids.end()) p->second.suspect = true;
}
void ProcessResolver::hint_new(int pid) {
    Impl& m = *impl_;
    if (m.born.size() < 256 && std::find(m.born.begin(), m.born.end(), pid) == m.born.end()) m.born.push_back(pid);
}
void ProcessResolver::forget_process(int pid) { impl_->forget(pid); }
int ProcessResolver::check_process(const ProcessInfo& p) {
    Impl& m = *impl_;
    if (m.lsof_mode) return 0;
    uint64_t start = 0;
    std::string comm;
    ++m.stats.identity_checks;
    if (!detail::slurp(m.pid_path(p.pid) + "/stat", m.text, 4096) || !parse_proc_stat(m.text, start, &comm) ||
        start != p.start_time)
        return 1;
    if (comm != p.name) {
        if (auto it = m.pids.find(p.pid); it != m.pids.end()) it->second.info.reset();
        return 2;
    }
    return 0;
}

std::shared_ptr<const ProcessInfo> ProcessResolver::lookup(const FlowKey& k, Micros now, uint64_t* inode) {
    Socket s;
    auto p = impl_->lookup(k, 0, now, s, false);
    if (inode) *inode = s.inode;
    return p;
}
std::shared_ptr<const ProcessInfo> ProcessResolver::lookup(const FlowKey& k, Micros now, Socket& sock,
                                                           uint16_t echo_id, bool fast) {
    return impl_->lookup(k, echo_id, now, sock, fast);
}
bool ProcessResolver::still_open(uint64_t inode) {
    Impl& m = *impl_;
    if (m.lsof_mode) return true;
    auto it = m.owners.find(inode);
    if (it == m.owners.end()) return false;
    const std::string p = m.pid_path(it->second.pid) + "/fd/" + std::to_string(it->second.fd);
    const std::string want = "socket:[" + std::to_string(inode) + "]";
    char buf[64];
    const ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
    if (n == ssize_t(want.size()) && std::memcmp(buf, want.data(), want.size()) == 0) return true;
    if (auto pid = m.pids.find(it->second.pid); pid != m.pids.end()) pid->second.suspect = true;
    m.owners.erase(it);
    return false;
}
Attribution ProcessResolver::level() const {
    const Impl& m = *impl_;
    if (!m.usable) return Attribution::off;
    // Partial whenever something could not be seen: an fd directory we may not read, sockets no visible process
    // holds (hidepid, another pid namespace), or an lsof that lists nothing.
    bool hidden = false;
    for (const auto& kv : m.unowned) hidden = hidden || m.last_now - kv.second <= 30 * kMicrosPerSecond;
    return m.unreadable_pids || hidden || (m.lsof_mode && m.lsof_empty) ? Attribution::partial : Attribution::full;
}
const ProcessResolver::Stats& ProcessResolver::stats() const { return impl_->stats; }
std::string ProcessResolver::exe_open_path(int pid) const { return impl_->pid_path(pid) + "/exe"; }

/* Per-flow cache, the lookup worker and the executable worker. */
namespace detail {
/// The monotonic clock the live loop uses, in µs (the worker's lookups are timed on it).
inline Micros attribution_clock() {
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Micros(ts.tv_sec) * kMicrosPerSecond + ts.tv_nsec / 1000;
}
}  // namespace detail

struct FlowAttribution::Impl : NewFlowSink {
    struct Entry {
        FlowOwner owner;
        uint64_t inode = 0;  // its socket, once known
        Micros retry_at = 0;
        int tries = 0;
        uint32_t gen = 0;
        uint16_t echo_id = 0;     // ICMP: the local echo identifier (its ping socket's port)
        bool closed = false;      // its socket was seen closed
        bool owner_gone = false;  // its process exited and no other holds the socket: the owner stays as it was
    };
    /// An executable to hash: `fd` is open on it (opened while its process was alive and still itself: a pid
    /// reused before the hash is taken would otherwise hash the new program), -1 when none.
    struct Job { std::string key, open_path, exe; int fd = -1; };
    // Shared with the worker thread, which is detached: hashing a big file must never hold up quitting.
    struct Shared {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<Job> jobs;
        std::vector<std::pair<std::string, std::shared_ptr<const ExeFacts>>> done;
        bool stop = false, started = false;
        size_t busy = 0;
        PublisherIndex publishers;
        Shared(std::string dpkg, std::string rpm) : publishers(std::move(dpkg), std::move(rpm)) {}
    };
    struct PidExe { std::weak_ptr<const ProcessInfo> proc; std::string key; };
    /// What the first lookup of a new flow found, waiting for update() to take it.
    struct Fast {
        std::shared_ptr<const ProcessInfo> proc;
        uint64_t inode = 0;
        int64_t uid = -1;
        uint16_t echo_id = 0;
        Micros at = 0;
    };
    struct QItem { FlowKey key; uint16_t echo_id; };
    static constexpr size_t kQueue = 4096;

    Config cfg;
    ProcessResolver resolver;  // guarded by mu once the lookup worker runs
    std::unordered_map<FlowKey, Entry, detail::FlowKeyHash> flows;
    std::unordered_map<std::string, std::shared_ptr<const ExeFacts>> facts;  // (dev, inode, mtime) → facts
    std::unordered_set<std::string> pending;
    std::unordered_map<std::string, PidExe> pid_exe;  // by process: "pid:start_time"
    static std::string proc_key(const ProcessInfo& p) { return std::to_string(p.pid) + ":" + std::to_string(p.start_time); }
    std::unordered_map<int64_t, std::string> users;  // uid → name
    std::shared_ptr<Shared> shared;
    uint32_t gen = 0;
    Micros last_update = INT64_MIN;

    // The new-flow queue: one producer (the thread feeding the table), one consumer (the worker or update()).
    std::unique_ptr<QItem[]> ring{new QItem[kQueue]};
    std::atomic<uint64_t> head{0}, tail{0}, queued{0}, overflow{0};
    std::atomic<bool> sleeping{false}, stop{false};
    // update()'s clock minus the monotonic clock: the worker's lookups are timed on update()'s axis (live, the
    // table's time is the packets' wall-clock stamps), so the resolver's intervals and the answers' ages agree
    std::atomic<Micros> clock_offset{0};
    int wake_fd = -1, cn_fd = -1;
    std::thread lookup_thread;
    // Guarded by mu: the resolver, what the worker found, and process events.
    mutable std::mutex mu;
    std::unordered_map<FlowKey, Fast, detail::FlowKeyHash> fast;
    std::unordered_set<int> changed;  // pids that exited or exec'd (process connector)
    Micros last_event = INT64_MIN;    // when the connector last spoke
    bool events_lost = false;         // the connector overran: check every owner
    Stats st;

    explicit Impl(Config c) : cfg(std::move(c)), resolver(cfg.resolver),
                              shared(std::make_shared<Shared>(cfg.dpkg_info, cfg.rpm_db)) {}
    ~Impl() override {
        stop = true;
        if (wake_fd >= 0) { const uint64_t one = 1; (void)!::write(wake_fd, &one, sizeof one); }
        if (lookup_thread.joinable()) lookup_thread.join();
        if (wake_fd >= 0) ::close(wake_fd);
        if (cn_fd >= 0) ::close(cn_fd);
    }

    /// The packet path: O(1), never blocks; a full queue counts the flow and leaves it to the per-tick pass.
    void on_new_flow(const FlowKey& key, uint16_t echo_id) override {
        const uint64_t h = head.load(std::memory_order_relaxed);
        if (h - tail.load(std::memory_order_acquire) >= kQueue) {
            overflow.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        ring[h % kQueue] = QItem{key, echo_id};
        head.store(h + 1);  // seq_cst, paired with the worker's sleeping flag: no lost wake-up
        queued.fetch_add(1, std::memory_order_relaxed);
        if (wake_fd >= 0 && sleeping.load() && sleeping.exchange(false)) {
            const uint64_t one = 1;
            (void)!::write(wake_fd, &one, sizeof one);  // an eventfd: never blocks short of 2^64 wake-ups
        }
    }

    /// Looks up every queued flow at `now` (the fast path's walks only).
    void drain(Micros now) {
        for (;;) {
            const uint64_t t = tail.load(std::memory_order_relaxed);
            if (t == head.load(std::memory_order_acquire)) return;
            const QItem it = ring[t % kQueue];
            tail.store(t + 1, std::memory_order_release);
            std::lock_guard<std::mutex> g(mu);
            ProcessResolver::Socket s;
            Fast& f = fast[it.key];
            f.proc = resolver.lookup(it.key, now, s, it.echo_id, true);
            f.inode = s.inode;
            f.uid = s.uid;
            f.echo_id = it.echo_id;
            f.at = now;
            if (f.proc) ++st.fast_found;
        }
    }

#if defined(__linux__)
    /// The kernel's process events (drivers/connector/cn_proc.c): needs CAP_NET_ADMIN and the initial network
    /// namespace; elsewhere it stays silent and owners are polled each tick instead.
    void open_connector() {
        cn_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
        if (cn_fd < 0) return;
        sockaddr_nl sa {};
        sa.nl_family = AF_NETLINK;
        sa.nl_groups = CN_IDX_PROC;
        sa.nl_pid = 0;
        alignas(nlmsghdr) char buf[NLMSG_SPACE(sizeof(cn_msg) + sizeof(uint32_t))] = {};
        nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buf);
        h->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(uint32_t));
        h->nlmsg_type = NLMSG_DONE;
        cn_msg* c = static_cast<cn_msg*>(NLMSG_DATA(h));
        c->id.idx = CN_IDX_PROC;
        c->id.val = CN_VAL_PROC;
        c->len = sizeof(uint32_t);
        const uint32_t op = PROC_CN_MCAST_LISTEN;
        std::memcpy(c->data, &op, sizeof op);
        if (bind(cn_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || send(cn_fd, buf, h->nlmsg_len, 0) < 0) {
            ::close(cn_fd);
            cn_fd = -1;
        }
    }

    void read_events(Micros now) {
        alignas(nlmsghdr) char buf[16384];
        for (;;) {
            const ssize_t n = recv(cn_fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                if (errno == ENOBUFS) { std::lock_guard<std::mutex> g(mu); events_lost = true; continue; }
                return;
            }
            std::lock_guard<std::mutex> g(mu);
            // netlink(7) messages one after another, each NLMSG_ALIGNed; bounds checked by hand (NLMSG_OK mixes
            // signed and unsigned)
            for (size_t off = 0, next = 0; off + sizeof(nlmsghdr) <= size_t(n); off = next) {
                nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buf + off);
                if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > size_t(n) - off) break;
                next = off + NLMSG_ALIGN(h->nlmsg_len);
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_event))) continue;
                const cn_msg* c = static_cast<const cn_msg*>(NLMSG_DATA(h));
                if (c->id.idx != CN_IDX_PROC || c->id.val != CN_VAL_PROC) continue;
                proc_event ev;
                std::memcpy(&ev, c->data, sizeof ev);
                ++st.proc_events;
                last_event = now;
                switch (ev.what) {
                case proc_event::PROC_EVENT_FORK:
                    if (ev.event_data.fork.child_pid == ev.event_data.fork.child_tgid)  // a process, not a thread
                        resolver.hint_new(int(ev.event_data.fork.child_tgid));
                    break;
                case proc_event::PROC_EVENT_EXEC: changed.insert(int(ev.event_data.exec.process_tgid)); break;
                case proc_event::PROC_EVENT_EXIT:
                    if (ev.event_data.exit.process_pid == ev.event_data.exit.process_tgid)
                        changed.insert(int(ev.event_data.exit.process_tgid));
                    break;
                default: break;
                }
            }
        }
    }
#else
    void open_connector() {}
    void read_events(Micros) {}
#endif

    void lookup_loop() {
        pollfd fds[2] = {{wake_fd, POLLIN, 0}, {cn_fd, POLLIN, 0}};
        while (!stop) {
            drain(detail::attribution_clock() + clock_offset.load());
            if (cn_fd >= 0) read_events(detail::attribution_clock() + clock_offset.load());
            sleeping = true;  // seq_cst, paired with head in on_new_flow
            if (head.load() != tail.load(std::memory_order_relaxed)) { sleeping = false; continue; }
            poll(fds, cn_fd >= 0 ? 2 : 1, 1000);
            sleeping = false;
            if (fds[0].revents & POLLIN) { uint64_t v; (void)!::read(wake_fd, &v, sizeof v); }
        }
    }

    static std::shared_ptr<const ExeFacts> compute(const Job& j, PublisherIndex& pub) {
        auto f = std::make_shared<ExeFacts>();
        if (j.fd >= 0) {
            if (auto h = sha256_file("/proc/self/fd/" + std::to_string(j.fd))) f->sha256 = *h;
            ::close(j.fd);
        } else if (auto h = sha256_file(j.open_path)) {
            f->sha256 = *h;
        }
        f->publisher = pub.package_of(j.exe);
        return f;
    }

    static void worker(std::shared_ptr<Shared> sh) {
        std::unique_lock<std::mutex> g(sh->mu);
        for (;;) {
            sh->cv.wait(g, [&] { return sh->stop || !sh->jobs.empty(); });
            if (sh->stop) return;
            Job j = std::move(sh->jobs.front());
            sh->jobs.pop_front();
            ++sh->busy;
            g.unlock();
            auto f = compute(j, sh->publishers);  // the publisher index is only touched by this thread
            g.lock();
            --sh->busy;
            sh->done.emplace_back(j.key, std::move(f));
            sh->cv.notify_all();
        }
    }

    void collect() {
        std::lock_guard<std::mutex> g(shared->mu);
        for (auto& d : shared->done) { pending.erase(d.first); facts[d.first] = std::move(d.second); }
        shared->done.clear();
    }

    const std::string& user_name(int64_t uid) {
        auto it = users.find(uid);
        if (it != users.end()) return it->second;
        std::string name = std::to_string(uid);
        passwd pw {};
        passwd* res = nullptr;
        std::vector<char> buf(16384);
        if (getpwuid_r(uid_t(uid), &pw, buf.data(), buf.size(), &res) == 0 && res && res->pw_name)
            name = detail::printable(res->pw_name);
        return users.emplace(uid, std::move(name)).first->second;
    }

    void set_uid(Entry& e, int64_t uid) {
        if (uid < 0 || e.owner.uid == uid) return;
        e.owner.uid = uid;
        e.owner.user = user_name(uid);
    }

    /// The key of a process's executable: (device, inode, mtime) of the file /proc/<pid>/exe points to.
    void attach_exe(Entry& e) {
        const ProcessInfo& p = *e.owner.proc;
        PidExe& pe = pid_exe[proc_key(p)];
        int fd = -1;
        if (pe.proc.lock() != e.owner.proc) {
            pe.proc = e.owner.proc;
            pe.key.clear();
            struct stat st {};
            const std::string open_path = resolver.exe_open_path(p.pid);
            fd = p.exe.empty() ? -1 : ::open(open_path.c_str(), O_RDONLY | O_CLOEXEC);
            // the file is the process's only if the pid still runs it (same start time) once it is open
            uint64_t start = 0;
            std::string stat_text;
            if (fd >= 0 && (::fstat(fd, &st) != 0 || (p.start_time &&
                            (!detail::slurp(open_path.substr(0, open_path.size() - 4) + "/stat",
                                            stat_text, 4096) ||
                             !parse_proc_stat(stat_text, start) || start != p.start_time)))) {
                ::close(fd);
                fd = -1;
            }
            if (fd >= 0)
                pe.key = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + detail::mtime_text(st);
        }
        auto drop = [&] { if (fd >= 0) ::close(fd); };
        if (pe.key.empty()) return drop();  // no executable to read (kernel thread, gone, or not ours to read)
        if (auto it = facts.find(pe.key); it != facts.end()) { e.owner.exe = it->second; return drop(); }
        if (pending.count(pe.key) || fd < 0) return drop();
        Job j{pe.key, resolver.exe_open_path(p.pid), p.exe, fd};
        if (!cfg.background) {
            facts[pe.key] = e.owner.exe = compute(j, shared->publishers);
            return;
        }
        pending.insert(pe.key);
        std::lock_guard<std::mutex> g(shared->mu);
        if (!shared->started) {
            shared->started = true;
            std::thread(worker, shared).detach();
        }
        shared->jobs.push_back(std::move(j));
        shared->cv.notify_one();
    }

    /// Owners whose process exited or exec'd: their flows go to the process that holds the socket now (a daemon's
    /// child after fork and exit), or to the new program; a flow whose socket no one holds keeps its owner.
    /// With process events only the pids they named are checked; without, every owner, once per tick.
    void recheck_owners(Micros now) {
        const bool by_events = cn_fd >= 0 && last_event != INT64_MIN && now - last_event < 5 * kMicrosPerSecond &&
                               !events_lost;
        std::unordered_map<const ProcessInfo*, int> verdict;  // each process checked once
        for (auto& kv : flows) {
            Entry& e = kv.second;
            if (!e.owner.proc || e.owner_gone || e.closed) continue;
            const ProcessInfo* p = e.owner.proc.get();
            if (by_events && !changed.count(p->pid)) continue;
            auto v = verdict.find(p);
            if (v == verdict.end()) {
                int r = resolver.check_process(*p);
                if (r == 1) resolver.forget_process(p->pid);  // a reused pid is walked again as a new process
                v = verdict.emplace(p, r).first;
            }
            if (v->second == 0) continue;
            ProcessResolver::Socket s;
            auto now_owner = resolver.lookup(kv.first, now, s, e.echo_id, false);
            if (now_owner && now_owner != e.owner.proc) {
                e.owner.proc = now_owner;
                e.owner.exe.reset();
                e.inode = s.inode;
                set_uid(e, s.uid);
                ++st.owner_changes;
                if (cfg.exe_facts) attach_exe(e);
            } else if (!now_owner && !s.inode) {
                e.owner_gone = true;  // the socket is gone with its process: the bytes were its
            }
        }
        changed.clear();
        events_lost = false;
    }
};

FlowAttribution::FlowAttribution(Config cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {
#if defined(__linux__)
    // Opened here, before any privilege drop; the connector keeps working with CAP_NET_ADMIN.
    if (impl_->cfg.background && impl_->cfg.resolver.proc_root == "/proc" && impl_->resolver.level() != Attribution::off)
        impl_->open_connector();
#endif
}
FlowAttribution::~FlowAttribution() {
    std::lock_guard<std::mutex> g(impl_->shared->mu);
    impl_->shared->stop = true;
    impl_->shared->cv.notify_all();
}

NewFlowSink* FlowAttribution::new_flow_sink() { return impl_.get(); }

void FlowAttribution::start() {
    Impl& m = *impl_;
    if (!m.cfg.background || m.lookup_thread.joinable() || m.resolver.level() == Attribution::off) return;
#if defined(__linux__)
    m.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m.wake_fd < 0) return;  // update() drains the queue instead
    m.lookup_thread = std::thread([&m] { m.lookup_loop(); });
#endif
}

FlowAttribution::Stats FlowAttribution::stats() const {
    std::lock_guard<std::mutex> g(impl_->mu);
    Stats s = impl_->st;
    s.queued = impl_->queued.load();
    s.queue_overflow = impl_->overflow.load();
    s.proc_connector = impl_->cn_fd >= 0;
    return s;
}

void FlowAttribution::update(const FlowTable& t, Micros now) {
    Impl& m = *impl_;
    const bool worker = m.lookup_thread.joinable();
    m.clock_offset = now - detail::attribution_clock();
    if (m.cn_fd >= 0 && !worker) m.read_events(now);
    // The worker shares the resolver: the lock is held for the cheap parts and taken per lookup after, so a
    // slow walk here never makes it wait long for a short-lived socket.
    std::unique_lock<std::mutex> lock(m.mu);
    const uint32_t gen = ++m.gen;
    m.collect();
    struct Seen { const FlowKey* key; Impl::Entry* e; };  // element pointers survive rehashing
    std::vector<Seen> seen;
    seen.reserve(t.size());
    const Micros quiet = now - kMicrosPerSecond;
    t.for_each_flow([&](const FlowView& f) {  // keys and last packet times only: no rates
        auto it = m.flows.try_emplace(f.key).first;
        Impl::Entry& e = it->second;
        e.gen = gen;
        if (e.closed && f.last_seen >= quiet) {  // the same pair, a new socket
            const uint16_t echo = e.echo_id;
            e = Impl::Entry{};
            e.gen = gen;
            e.echo_id = echo;
        }
        // A flow that went quiet since the last update may have closed: one readlink tells, and a closed socket
        // marks its process for re-reading (it may have reused the fd number for one of the new flows' sockets).
        // The flow stays in the table (and keeps its owner) until it expires, as iftop shows it.
        if (e.owner.proc && e.inode && !e.closed && f.last_seen < quiet &&
            (m.last_update == INT64_MIN || f.last_seen >= m.last_update - kMicrosPerSecond))
            e.closed = !m.resolver.still_open(e.inode);
        seen.push_back({&it->first, &e});
    }, std::numeric_limits<Micros>::min(), false);
    // Flows that ended first: their processes may have reused the fd numbers for the new flows' sockets.
    for (auto it = m.flows.begin(); it != m.flows.end();) {
        if (it->second.gen == gen) { ++it; continue; }
        if (it->second.owner.proc && !it->second.closed) m.resolver.hint_closed(it->second.owner.proc->pid);
        it = m.flows.erase(it);
    }
    if (!worker) {  // no worker: the queue of new flows is looked up here, before the per-tick pass
        lock.unlock();
        m.drain(now);
        lock.lock();
    }
    std::vector<std::pair<const FlowKey*, Impl::Entry*>> todo;
    for (const Seen& sf : seen) {
        Impl::Entry& e = *sf.e;
        if (!m.fast.empty()) {  // what the first lookup found while the socket was there
            auto fi = m.fast.find(*sf.key);
            // an owned flow takes it only for a new echo identifier (another ping run on the same pair)
            if (fi != m.fast.end() && e.owner.proc && !(fi->second.echo_id && fi->second.echo_id != e.echo_id)) {
                m.fast.erase(fi);
            } else if (fi != m.fast.end()) {
                if (fi->second.echo_id && fi->second.echo_id != e.echo_id) {
                    e.echo_id = fi->second.echo_id;
                    e.retry_at = e.tries = 0;  // a new identifier: look it up now
                }
                if (fi->second.proc && fi->second.proc != e.owner.proc) {
                    if (e.owner.proc) { ++m.st.owner_changes; e.owner.exe.reset(); }
                    e.owner.proc = fi->second.proc;
                    e.inode = fi->second.inode;
                }
                m.set_uid(e, fi->second.uid);
                m.fast.erase(fi);
            }
        }
        if (!e.owner.proc && e.retry_at <= now) todo.emplace_back(sf.key, &e);
        else if (e.owner.proc && !e.owner.exe && m.cfg.exe_facts) m.attach_exe(e);
    }
    m.last_update = now;
    for (auto it = m.fast.begin(); it != m.fast.end();) {  // answers for flows the table never kept
        if (now - it->second.at > 10 * kMicrosPerSecond || it->second.at > now + 10 * kMicrosPerSecond) it = m.fast.erase(it);
        else ++it;
    }
    m.recheck_owners(now);
    lock.unlock();
    for (auto& [key, e] : todo) {
        ProcessResolver::Socket s;
        lock.lock();
        e->owner.proc = m.resolver.lookup(*key, now, s, e->echo_id, false);
        lock.unlock();
        if (s.inode) e->inode = s.inode;
        m.set_uid(*e, s.uid);
        if (!e->owner.proc) {
            // Unknown: retry each second at first (a socket may show up late), then back off to 30 s so that
            // forwarded traffic, which no local process will ever own, costs nothing.
            ++e->tries;
            e->retry_at = now + std::min<Micros>(30 * kMicrosPerSecond, kMicrosPerSecond << std::min(e->tries - 1, 5));
        } else if (m.cfg.exe_facts) {
            m.attach_exe(*e);
        }
    }
    for (auto it = m.pid_exe.begin(); it != m.pid_exe.end();) {
        if (it->second.proc.expired()) it = m.pid_exe.erase(it);
        else ++it;
    }
}

const FlowOwner* FlowAttribution::owner(const FlowKey& k) const {
    auto it = impl_->flows.find(k);
    return it == impl_->flows.end() ? nullptr : &it->second.owner;
}
Attribution FlowAttribution::level() const {
    std::lock_guard<std::mutex> g(impl_->mu);
    return impl_->resolver.level();
}
ProcessResolver& FlowAttribution::resolver() { return impl_->resolver; }

void FlowAttribution::settle(int ms) {
    {
        std::unique_lock<std::mutex> g(impl_->shared->mu);
        impl_->shared->cv.wait_for(g, std::chrono::milliseconds(ms),
                                   [&] { return impl_->shared->jobs.empty() && impl_->shared->busy == 0; });
    }
    impl_->collect();
    for (auto& kv : impl_->flows) {
        Impl::Entry& e = kv.second;
        if (e.owner.proc && !e.owner.exe) {
            auto pe = impl_->pid_exe.find(Impl::proc_key(*e.owner.proc));
            if (pe == impl_->pid_exe.end()) continue;
            if (auto f = impl_->facts.find(pe->second.key); f != impl_->facts.end()) e.owner.exe = f->second;
        }
    }
}

std::string owner_label(const FlowOwner& o) {
    if (o.proc) return "[" + std::to_string(o.proc->pid) + ":" + process_label(*o.proc) + "]";
    if (o.uid >= 0) return "[" + o.user + "]";
    return {};
}

namespace detail {
template <class KeyFn>
std::vector<OwnerGroup> group_flows(const std::vector<FlowView>& flows, KeyFn key) {
    std::vector<OwnerGroup> out;
    std::unordered_map<std::string, size_t> at;
    for (const FlowView& f : flows) {
        OwnerGroup g;
        const std::string k = key(f, g);
        auto it = at.find(k);
        if (it == at.end()) { it = at.emplace(k, out.size()).first; out.push_back(std::move(g)); }
        OwnerGroup& o = out[it->second];
        ++o.flows;
        for (int d = 0; d < 2; ++d) {
            o.counts.bytes[d] += f.counts.bytes[d];
            o.counts.packets[d] += f.counts.packets[d];
            for (int w = 0; w < 3; ++w) o.rates.v[d][w] += f.rates.v[d][w];
        }
    }
    std::sort(out.begin(), out.end(), [](const OwnerGroup& a, const OwnerGroup& b) {
        const uint64_t ta = a.counts.bytes[0] + a.counts.bytes[1], tb = b.counts.bytes[0] + b.counts.bytes[1];
        if (ta != tb) return ta > tb;
        if (a.name != b.name) return a.name < b.name;
        return a.pid < b.pid;
    });
    return out;
}
}  // namespace detail

std::vector<OwnerGroup> group_by_process(const std::vector<FlowView>& flows, const FlowAttribution& attr) {
    return detail::group_flows(flows, [&](const FlowView& f, OwnerGroup& g) -> std::string {
        const FlowOwner* o = attr.owner(f.key);
        if (!o || !o->proc) {
            if (o && o->uid >= 0) { g.name = "[" + o->user + "]"; return "u" + std::to_string(o->uid); }
            g.name = "unknown";
            return "0";
        }
        g.pid = o->proc->pid;
        g.start_time = o->proc->start_time;
        g.name = process_label(*o->proc);
        if (o->exe) g.publisher = o->exe->publisher;
        return std::to_string(g.pid) + "/" + std::to_string(g.start_time);
    });
}

std::vector<OwnerGroup> group_by_publisher(const std::vector<FlowView>& flows, const FlowAttribution& attr) {
    return detail::group_flows(flows, [&](const FlowView& f, OwnerGroup& g) -> std::string {
        const FlowOwner* o = attr.owner(f.key);
        g.name = o && o->exe ? o->exe->publisher : "unknown";
        return g.name;
    });
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [8] themes                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */
namespace detail {
#define IFTOP_THEME(name, desc, ...) Theme{#name, desc, {__VA_ARGS__}},
inline const std::vector<Theme>& theme_table() {
    static const std::vector<Theme> t = {
        // Default: works when the header is used alone (no themes.inc beside it).
        Theme{"Default", "iftop.hpp's own: calm blue on black",
              {0x000000, 0xd0d0d0, 0x808080, 0x000000, 0xe0e0e0, 0x6c8ebf, 0x4a4a4a, 0xe6e6e6, 0xcfd8e3, 0x808080,
               0xffffff, 0xd7d7d7, 0xb0b0b0, 0x1f4e79, 0x3b2f63, 0x1f4e79, 0x8a2be2, 0x005f87, 0xffffff, 0x1c1c1c,
               0xd0d0d0, 0x5fafff, 0xffd700, 0xff5f5f, 0x262626, 0xeeeeee, 0x5fafff}},
#if defined(__has_include)
#if __has_include("themes.inc")
#include "themes.inc"
#endif
#endif
    };
    return t;
}
#undef IFTOP_THEME
}  // namespace detail

const std::vector<Theme>& themes() { return detail::theme_table(); }

const Theme* find_theme(std::string_view name) {
    for (const Theme& t : themes()) {
        const std::string_view n = t.name;
        if (n.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < n.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(n[i])) == std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return &t;
    }
    return nullptr;
}

const char* role_name(Role r) {
    static const char* const names[] = {
#define IFTOP_DETAIL_ROLE_NAME(n) #n,
        IFTOP_COLOR_ROLES(IFTOP_DETAIL_ROLE_NAME)
#undef IFTOP_DETAIL_ROLE_NAME
    };
    const size_t i = static_cast<size_t>(r);
    return i < kRoles ? names[i] : "?";
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [9] screen                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */
ColorMode detect_color_mode(const char* no_color, const char* colorterm, const char* term) {
    if (no_color && *no_color) return ColorMode::mono;  // https://no-color.org: present and not empty
    const std::string ct = colorterm ? colorterm : "", t = term ? term : "";
    if (ct == "truecolor" || ct == "24bit") return ColorMode::truecolor;
    if (t == "dumb" || t.rfind("vt", 0) == 0) return ColorMode::mono;  // vt100/vt220: no colour
    if (t.find("256color") != std::string::npos || t.find("direct") != std::string::npos) return ColorMode::c256;
    return ColorMode::c16;
}

namespace detail {
/// Zero-width combining marks (Mn, Me) of the scripts that matter, and Hangul medial/final jamo, as glibc's wcwidth.
inline const CpRange kZeroWidth[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x05bf, 0x05bf}, {0x05c1, 0x05c2}, {0x05c4, 0x05c5},
    {0x05c7, 0x05c7}, {0x0610, 0x061a}, {0x064b, 0x065f}, {0x0670, 0x0670}, {0x06d6, 0x06dc}, {0x06df, 0x06e4},
    {0x06e7, 0x06e8}, {0x06ea, 0x06ed}, {0x0711, 0x0711}, {0x0730, 0x074a}, {0x07a6, 0x07b0}, {0x07eb, 0x07f3},
    {0x07fd, 0x07fd}, {0x0816, 0x0819}, {0x081b, 0x0823}, {0x0825, 0x0827}, {0x0829, 0x082d}, {0x0859, 0x085b},
    {0x0898, 0x089f}, {0x08ca, 0x08e1}, {0x08e3, 0x0902}, {0x093a, 0x093a}, {0x093c, 0x093c}, {0x0941, 0x0948},
    {0x094d, 0x094d}, {0x0951, 0x0957}, {0x0962, 0x0963}, {0x0981, 0x0981}, {0x09bc, 0x09bc}, {0x09c1, 0x09c4},
    {0x09cd, 0x09cd}, {0x09e2, 0x09e3}, {0x09fe, 0x09fe}, {0x0a01, 0x0a02}, {0x0a3c, 0x0a3c}, {0x0a41, 0x0a42},
    {0x0a47, 0x0a48}, {0x0a4b, 0x0a4d}, {0x0a51, 0x0a51}, {0x0a70, 0x0a71}, {0x0a75, 0x0a75}, {0x0a81, 0x0a82},
    {0x0abc, 0x0abc}, {0x0ac1, 0x0ac5}, {0x0ac7, 0x0ac8}, {0x0acd, 0x0acd}, {0x0ae2, 0x0ae3}, {0x0afa, 0x0aff},
    {0x0b01, 0x0b01}, {0x0b3c, 0x0b3c}, {0x0b3f, 0x0b3f}, {0x0b41, 0x0b44}, {0x0b4d, 0x0b4d}, {0x0b55, 0x0b56},
    {0x0b62, 0x0b63}, {0x0b82, 0x0b82}, {0x0bc0, 0x0bc0}, {0x0bcd, 0x0bcd}, {0x0c00, 0x0c00}, {0x0c04, 0x0c04},
    {0x0c3c, 0x0c3c}, {0x0c3e, 0x0c40}, {0x0c46, 0x0c48}, {0x0c4a, 0x0c4d}, {0x0c55, 0x0c56}, {0x0c62, 0x0c63},
    {0x0c81, 0x0c81}, {0x0cbc, 0x0cbc}, {0x0cbf, 0x0cbf}, {0x0cc6, 0x0cc6}, {0x0ccc, 0x0ccd}, {0x0ce2, 0x0ce3},
    {0x0d00, 0x0d01}, {0x0d3b, 0x0d3c}, {0x0d41, 0x0d44}, {0x0d4d, 0x0d4d}, {0x0d62, 0x0d63}, {0x0d81, 0x0d81},
    {0x0dca, 0x0dca}, {0x0dd2, 0x0dd4}, {0x0dd6, 0x0dd6}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e},
    {0x0eb1, 0x0eb1}, {0x0eb4, 0x0ebc}, {0x0ec8, 0x0ece}, {0x0f18, 0x0f19}, {0x0f35, 0x0f35}, {0x0f37, 0x0f37},
    {0x0f39, 0x0f39}, {0x0f71, 0x0f7e}, {0x0f80, 0x0f84}, {0x0f86, 0x0f87}, {0x0f8d, 0x0f97}, {0x0f99, 0x0fbc},
    {0x0fc6, 0x0fc6}, {0x102d, 0x1030}, {0x1032, 0x1037}, {0x1039, 0x103a}, {0x103d, 0x103e}, {0x1058, 0x1059},
    {0x105e, 0x1060}, {0x1071, 0x1074}, {0x1082, 0x1082}, {0x1085, 0x1086}, {0x108d, 0x108d}, {0x109d, 0x109d},
    {0x1160, 0x11ff}, {0x135d, 0x135f}, {0x1712, 0x1714}, {0x1732, 0x1733}, {0x1752, 0x1753}, {0x1772, 0x1773},
    {0x17b4, 0x17b5}, {0x17b7, 0x17bd}, {0x17c6, 0x17c6}, {0x17c9, 0x17d3}, {0x17dd, 0x17dd}, {0x180b, 0x180d},
    {0x180f, 0x180f}, {0x1885, 0x1886}, {0x18a9, 0x18a9}, {0x1920, 0x1922}, {0x1927, 0x1928}, {0x1932, 0x1932},
    {0x1939, 0x193b}, {0x1a17, 0x1a18}, {0x1a1b, 0x1a1b}, {0x1a56, 0x1a56}, {0x1a58, 0x1a5e}, {0x1a60, 0x1a60},
    {0x1a62, 0x1a62}, {0x1a65, 0x1a6c}, {0x1a73, 0x1a7c}, {0x1a7f, 0x1a7f}, {0x1ab0, 0x1aff}, {0x1b00, 0x1b03},
    {0x1b34, 0x1b34}, {0x1b36, 0x1b3a}, {0x1b3c, 0x1b3c}, {0x1b42, 0x1b42}, {0x1b6b, 0x1b73}, {0x1b80, 0x1b81},
    {0x1ba2, 0x1ba5}, {0x1ba8, 0x1ba9}, {0x1bab, 0x1bad}, {0x1be6, 0x1be6}, {0x1be8, 0x1be9}, {0x1bed, 0x1bed},
    {0x1bef, 0x1bf1}, {0x1c2c, 0x1c33}, {0x1c36, 0x1c37}, {0x1cd0, 0x1cd2}, {0x1cd4, 0x1ce0}, {0x1ce2, 0x1ce8},
    {0x1ced, 0x1ced}, {0x1cf4, 0x1cf4}, {0x1cf8, 0x1cf9}, {0x1dc0, 0x1dff}, {0x20d0, 0x20f0}, {0x2cef, 0x2cf1},
    {0x2d7f, 0x2d7f}, {0x2de0, 0x2dff}, {0x302a, 0x302d}, {0x3099, 0x309a}, {0xa66f, 0xa672}, {0xa674, 0xa67d},
    {0xa69e, 0xa69f}, {0xa6f0, 0xa6f1}, {0xa802, 0xa802}, {0xa806, 0xa806}, {0xa80b, 0xa80b}, {0xa825, 0xa826},
    {0xa82c, 0xa82c}, {0xa8c4, 0xa8c5}, {0xa8e0, 0xa8f1}, {0xa8ff, 0xa8ff}, {0xa926, 0xa92d}, {0xa947, 0xa951},
    {0xa980, 0xa982}, {0xa9b3, 0xa9b3}, {0xa9b6, 0xa9b9}, {0xa9bc, 0xa9bd}, {0xa9e5, 0xa9e5}, {0xaa29, 0xaa2e},
    {0xaa31, 0xaa32}, {0xaa35, 0xaa36}, {0xaa43, 0xaa43}, {0xaa4c, 0xaa4c}, {0xaa7c, 0xaa7c}, {0xaab0, 0xaab0},
    {0xaab2, 0xaab4}, {0xaab7, 0xaab8}, {0xaabe, 0xaabf}, {0xaac1, 0xaac1}, {0xaaec, 0xaaed}, {0xaaf6, 0xaaf6},
    {0xabe5, 0xabe5}, {0xabe8, 0xabe8}, {0xabed, 0xabed}, {0xd7b0, 0xd7ff}, {0xfb1e, 0xfb1e}, {0xfe00, 0xfe0f},
    {0xfe20, 0xfe2f}, {0x101fd, 0x101fd}, {0x1d167, 0x1d169}, {0x1d17b, 0x1d182}, {0x1d185, 0x1d18b},
    {0x1d1aa, 0x1d1ad}, {0xe0100, 0xe01ef}};
/// East Asian Wide and Fullwidth (UAX #11) and emoji with default emoji presentation: two columns, as wcwidth.
inline const CpRange kWide[] = {
    {0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec}, {0x23f0, 0x23f0}, {0x23f3, 0x23f3},
    {0x25fd, 0x25fe}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267f, 0x267f}, {0x2693, 0x2693}, {0x26a1, 0x26a1},
    {0x26aa, 0x26ab}, {0x26bd, 0x26be}, {0x26c4, 0x26c5}, {0x26ce, 0x26ce}, {0x26d4, 0x26d4}, {0x26ea, 0x26ea},
    {0x26f2, 0x26f3}, {0x26f5, 0x26f5}, {0x26fa, 0x26fa}, {0x26fd, 0x26fd}, {0x2705, 0x2705}, {0x270a, 0x270b},
    {0x2728, 0x2728}, {0x274c, 0x274c}, {0x274e, 0x274e}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27b0, 0x27b0}, {0x27bf, 0x27bf}, {0x2b1b, 0x2b1c}, {0x2b50, 0x2b50}, {0x2b55, 0x2b55}, {0x2e80, 0x2e99},
    {0x2e9b, 0x2ef3}, {0x2f00, 0x2fd5}, {0x2ff0, 0x2ffb}, {0x3000, 0x3029}, {0x302e, 0x303e}, {0x3041, 0x3096},
    {0x309b, 0x30ff}, {0x3105, 0x312f}, {0x3131, 0x318e}, {0x3190, 0x31e3}, {0x31f0, 0x321e}, {0x3220, 0x3247},
    {0x3250, 0x4dbf}, {0x4e00, 0xa48c}, {0xa490, 0xa4c6}, {0xa960, 0xa97c}, {0xac00, 0xd7a3}, {0xf900, 0xfaff},
    {0xfe10, 0xfe19}, {0xfe30, 0xfe52}, {0xfe54, 0xfe66}, {0xfe68, 0xfe6b}, {0xff01, 0xff60}, {0xffe0, 0xffe6},
    {0x16fe0, 0x16fe4}, {0x16ff0, 0x16ff1}, {0x17000, 0x187f7}, {0x18800, 0x18cd5}, {0x18d00, 0x18d08},
    {0x1b000, 0x1b122}, {0x1b150, 0x1b152}, {0x1b164, 0x1b167}, {0x1b170, 0x1b2fb}, {0x1f004, 0x1f004},
    {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f202}, {0x1f210, 0x1f23b},
    {0x1f240, 0x1f248}, {0x1f250, 0x1f251}, {0x1f260, 0x1f265}, {0x1f300, 0x1f320}, {0x1f32d, 0x1f335},
    {0x1f337, 0x1f37c}, {0x1f37e, 0x1f393}, {0x1f3a0, 0x1f3ca}, {0x1f3cf, 0x1f3d3}, {0x1f3e0, 0x1f3f0},
    {0x1f3f4, 0x1f3f4}, {0x1f3f8, 0x1f43e}, {0x1f440, 0x1f440}, {0x1f442, 0x1f4fc}, {0x1f4ff, 0x1f53d},
    {0x1f54b, 0x1f54e}, {0x1f550, 0x1f567}, {0x1f57a, 0x1f57a}, {0x1f595, 0x1f596}, {0x1f5a4, 0x1f5a4},
    {0x1f5fb, 0x1f64f}, {0x1f680, 0x1f6c5}, {0x1f6cc, 0x1f6cc}, {0x1f6d0, 0x1f6d2}, {0x1f6d5, 0x1f6d7},
    {0x1f6dc, 0x1f6df}, {0x1f6eb, 0x1f6ec}, {0x1f6f4, 0x1f6fc}, {0x1f7e0, 0x1f7eb}, {0x1f7f0, 0x1f7f0},
    {0x1f90c, 0x1f93a}, {0x1f93c, 0x1f945}, {0x1f947, 0x1f9ff}, {0x1fa70, 0x1fa7c}, {0x1fa80, 0x1fa88},
    {0x1fa90, 0x1fabd}, {0x1fabf, 0x1fac5}, {0x1face, 0x1fadb}, {0x1fae0, 0x1fae8}, {0x1faf0, 0x1faf8},
    {0x20000, 0x2fffd}, {0x30000, 0x3fffd}};
}  // namespace detail

int codepoint_width(uint32_t cp) {
    using namespace detail;
    if (cp == 0) return 0;
    if (cp < 0x300) return 1;  // the common case, before any search (controls are the caller's business)
    // Prepended concatenation marks (Arabic number signs and the like) are format characters with a glyph: one column.
    const bool prepended = (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06dd || cp == 0x070f || cp == 0x0890 ||
                           cp == 0x0891 || cp == 0x08e2 || cp == 0x110bd || cp == 0x110cd;
    if ((!prepended && in_ranges(cp, kFormatChars, std::size(kFormatChars))) || in_ranges(cp, kZeroWidth, std::size(kZeroWidth)))
        return 0;
    return in_ranges(cp, kWide, std::size(kWide)) ? 2 : 1;
}

namespace detail {
/// Decodes one UTF-8 code point at s[i]; returns bytes used (>= 1) and sets cp, or cp = 0xfffd when invalid.
inline int utf8_next(std::string_view s, size_t i, uint32_t& cp) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) { cp = c; return 1; }
    const int n = (c >= 0xc2 && c <= 0xdf) ? 1 : (c >= 0xe0 && c <= 0xef) ? 2 : (c >= 0xf0 && c <= 0xf4) ? 3 : 0;
    if (n == 0 || i + size_t(n) >= s.size()) { cp = 0xfffd; return 1; }
    uint32_t v = c & (0x3f >> n);
    for (int k = 1; k <= n; ++k) {
        if ((b(i + size_t(k)) & 0xc0) != 0x80) { cp = 0xfffd; return 1; }
        v = (v << 6) | (b(i + size_t(k)) & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid (RFC 3629 §3).
    if ((n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        cp = 0xfffd;
        return 1;
    }
    cp = v;
    return n + 1;
}

inline void put_utf8(std::string& o, uint32_t cp) {
    if (cp < 0x80) o += char(cp);
    else if (cp < 0x800) { o += char(0xc0 | (cp >> 6)); o += char(0x80 | (cp & 0x3f)); }
    else if (cp < 0x10000) { o += char(0xe0 | (cp >> 12)); o += char(0x80 | ((cp >> 6) & 0x3f)); o += char(0x80 | (cp & 0x3f)); }
    else { o += char(0xf0 | (cp >> 18)); o += char(0x80 | ((cp >> 12) & 0x3f)); o += char(0x80 | ((cp >> 6) & 0x3f)); o += char(0x80 | (cp & 0x3f)); }
}

inline void put_uint(std::string& o, unsigned v) {
    char b[12];
    o.append(b, std::to_chars(b, b + sizeof b, v).ptr);
}

/// The xterm 256-colour index nearest to an RGB colour (6x6x6 cube or the grey ramp).
inline int nearest_256(Rgb c) {
    const int r = int(c >> 16 & 0xff), g = int(c >> 8 & 0xff), b = int(c & 0xff);
    auto cube = [](int v) { return v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40; };
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    const int ri = cube(r), gi = cube(g), bi = cube(b);
    const int cr = level[ri], cg = level[gi], cb = level[bi];
    const int grey = (r + g + b) / 3;
    const int gi2 = grey > 238 ? 23 : grey < 8 ? 0 : (grey - 8) / 10;
    const int gv = 8 + gi2 * 10;
    const auto d = [&](int x, int y, int z) { return (r - x) * (r - x) + (g - y) * (g - y) + (b - z) * (b - z); };
    return d(gv, gv, gv) < d(cr, cg, cb) ? 232 + gi2 : 16 + 36 * ri + 6 * gi + bi;
}

/// The nearest of the 16 ANSI colours (xterm's default palette): 0-7 normal, 8-15 bright.
inline int nearest_16(Rgb c) {
    static const int pal[16][3] = {{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205},
                                   {0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0}, {0, 255, 0},
                                   {255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    const int r = int(c >> 16 & 0xff), g = int(c >> 8 & 0xff), b = int(c & 0xff);
    int best = 0, bd = 1 << 30;
    for (int i = 0; i < 16; ++i) {
        const int d = (r - pal[i][0]) * (r - pal[i][0]) + (g - pal[i][1]) * (g - pal[i][1]) + (b - pal[i][2]) * (b - pal[i][2]);
        if (d < bd) { bd = d; best = i; }
    }
    return best;
}

inline void sgr_color(std::string& o, Rgb c, bool fg, ColorMode mode) {
    if (mode == ColorMode::truecolor) {
        o += fg ? ";38;2;" : ";48;2;";
        put_uint(o, c >> 16 & 0xff); o += ';';
        put_uint(o, c >> 8 & 0xff); o += ';';
        put_uint(o, c & 0xff);
    } else if (mode == ColorMode::c256) {
        o += fg ? ";38;5;" : ";48;5;";
        put_uint(o, unsigned(nearest_256(c)));
    } else if (mode == ColorMode::c16) {
        const int n = nearest_16(c);
        o += ';';
        put_uint(o, unsigned((fg ? (n < 8 ? 30 : 90) : (n < 8 ? 40 : 100)) + (n & 7)));
    }
}
}  // namespace detail

Screen::Screen(int width, int height) { resize(width, height); }

void Screen::resize(int width, int height) {
    w_ = std::max(1, width);
    h_ = std::max(1, height);
    back_.assign(size_t(w_) * size_t(h_), Cell{});
    front_.assign(back_.size(), Cell{});
    full_ = true;
}

void Screen::clear(Rgb bg, Rgb fg) {
    Cell c;
    c.bg = bg;
    c.fg = fg;
    std::fill(back_.begin(), back_.end(), c);
}

void Screen::invalidate() { full_ = true; }

int Screen::text(int x, int y, std::string_view s, Rgb fg, Rgb bg, uint8_t attr, int max_cols) {
    if (y < 0 || y >= h_ || x >= w_) return 0;
    const int limit = std::min(w_, x + std::max(0, max_cols));
    int col = x;
    for (size_t i = 0; i < s.size() && col < limit;) {
        uint32_t cp = 0;
        i += size_t(detail::utf8_next(s, i, cp));
        // Outside text is hostile: C0/C1 controls (ESC, BEL, CSI as U+009B) never reach the terminal.
        // Format characters (bidi overrides, zero-width spaces) would reorder or hide text: shown as '?' too.
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffd ||
            (cp >= 0xad && detail::in_ranges(cp, detail::kFormatChars, std::size(detail::kFormatChars))))
            cp = '?';
        int wcp = codepoint_width(cp);
        if (wcp == 0) continue;  // combining marks would attach to the wrong cell after a diff: drop them
        if (col + wcp > limit) { if (wcp == 2 && col < limit && col >= 0) { Cell& c = at(col, y); c = Cell{' ', fg, bg, attr}; } break; }
        if (col >= 0) {
            at(col, y) = Cell{cp, fg, bg, attr};
            if (wcp == 2) at(col + 1, y) = Cell{0, fg, bg, attr};
        }
        col += wcp;
    }
    return col - x;
}

void Screen::fill_bg(int x, int y, int n, Rgb bg, uint8_t attr_or) {
    if (y < 0 || y >= h_) return;
    for (int i = std::max(0, x); i < std::min(w_, x + n); ++i) {
        at(i, y).bg = bg;
        at(i, y).attr |= attr_or;
    }
}

std::string Screen::present(ColorMode mode) {
    std::string o;
    int cx = -1, cy = -1;  // where the terminal cursor is, -1 unknown
    bool have_style = false;
    Cell style;
    auto move = [&](int x, int y) {
        if (x == cx && y == cy) return;
        o += "\x1b[";
        detail::put_uint(o, unsigned(y + 1));
        if (x > 0) { o += ';'; detail::put_uint(o, unsigned(x + 1)); }
        o += 'H';
        cx = x;
        cy = y;
    };
    for (int y = 0; y < h_; ++y) {
        for (int x = 0; x < w_; ++x) {
            const size_t i = size_t(y) * size_t(w_) + size_t(x);
            const Cell& c = back_[i];
            if (!full_ && c == front_[i]) continue;
            if (c.ch == 0) { front_[i] = c; continue; }  // the right half of a wide glyph: drawn with its left half
            move(x, y);
            uint8_t attr = c.attr;
            if (!have_style || style.fg != c.fg || style.bg != c.bg || style.attr != attr) {
                o += "\x1b[0";
                if (attr & kBold) o += ";1";
                if (attr & kDim) o += ";2";
                if (attr & kUnderline) o += ";4";
                if (attr & kReverse) o += ";7";
                detail::sgr_color(o, c.fg, true, mode);
                detail::sgr_color(o, c.bg, false, mode);
                o += 'm';
                style = c;
                have_style = true;
            }
            detail::put_utf8(o, c.ch);
            const int wcp = codepoint_width(c.ch);
            cx += wcp;
            if (wcp == 2 && x + 1 < w_) front_[i + 1] = back_[i + 1];
            front_[i] = c;
            if (cx >= w_) cx = -1;  // the cursor's place after the last column differs between terminals
        }
    }
    full_ = false;
    if (o.empty()) return o;
    return std::string(seq::kSyncBegin) + o + seq::kSgrReset + seq::kSyncEnd;
}

std::string Screen::dump() const {
    std::string o;
    for (int y = 0; y < h_; ++y) {
        for (int x = 0; x < w_; ++x) {
            const uint32_t ch = at(x, y).ch;
            if (ch) detail::put_utf8(o, ch);
        }
        o += '\n';
    }
    return o;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [10] view                                                                                                   */
/* ---------------------------------------------------------------------------------------------------------- */
namespace detail {

inline std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Columns `s` takes on screen (invalid bytes count as one '?').
inline int text_cols(std::string_view s) {
    int n = 0;
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        i += size_t(utf8_next(s, i, cp));
        n += cp < 0x20 ? 1 : codepoint_width(cp);
    }
    return n;
}

/// The first `cols` columns of `s`, never splitting a code point.
inline std::string cut_cols(std::string_view s, int cols) {
    int n = 0;
    size_t i = 0;
    while (i < s.size()) {
        uint32_t cp = 0;
        const int len = utf8_next(s, i, cp);
        const int wcp = cp < 0x20 ? 1 : codepoint_width(cp);
        if (n + wcp > cols) break;
        n += wcp;
        i += size_t(len);
    }
    return std::string(s.substr(0, i));
}

/// `s` in at most `cols` columns: whole, or cut and marked with … (~ in ASCII) so a cut is never mistaken for
/// the whole text.
inline std::string fit(std::string_view s, int cols, bool ascii) {
    if (cols <= 0) return std::string();
    if (text_cols(s) <= cols) return std::string(s);
    return cut_cols(s, cols - 1) + (ascii ? "~" : "…");
}

/// Pads `s` with spaces to `cols` columns.
inline std::string pad_cols(std::string s, int cols) {
    const int n = text_cols(s);
    if (n < cols) s.append(size_t(cols - n), ' ');
    return s;
}

}  // namespace detail

std::string format_endpoint(std::string_view host, std::string_view port, int cols, bool ascii) {
    using namespace detail;
    // RFC 3986 §3.2.2 (and iftop): an IPv6 literal with a port goes in brackets, or "2001:db8::31:22" reads as
    // another address.
    const bool v6 = !port.empty() && host.find(':') != std::string_view::npos;
    const std::string open = v6 ? "[" : "", close = v6 ? "]" : "";
    const std::string p = port.empty() ? std::string() : close + ":" + std::string(port);
    std::string whole = open + std::string(host) + (port.empty() ? close : p);
    // Bytes are never fewer than columns (UTF-8 takes 2-4 bytes for a 1-2 column glyph): short text fits as is.
    if (cols <= 0 || whole.size() <= size_t(cols) || text_cols(whole) <= cols) return whole;
    const int room = cols - text_cols(open) - text_cols(p) - 1;  // one column for the mark
    if (room >= 1) return open + cut_cols(host, room) + (ascii ? "~" : "…") + p;
    return fit(whole, cols, ascii);
}

namespace detail {

/// "host:port" fitted into `cols` columns as the rows show it; a long host is cut (marked) so the port stays.
inline std::string endpoint_text(const IpAddr& a, uint16_t port, uint8_t proto, bool hidden, bool show_port,
                                 const ViewModel& vm, int cols, bool ascii) {
    std::string h;
    if (hidden) h = "*";
    else {
        std::string n = vm.host_name ? vm.host_name(a) : std::string();
        h = n.empty() ? a.to_string() : n;
    }
    std::string p;
    if (show_port && port) p = vm.port_name ? vm.port_name(port, proto) : std::to_string(port);
    return format_endpoint(h, p, cols, ascii);
}

/// The text a row is known by in details, copies and alerts: flow_label, with * for a side aggregated away.
inline std::string row_label(const FlowView& f, const ViewState& st) {
    std::string l = flow_label(f);
    if (!st.hide_src && !st.hide_dst) return l;
    const auto ep = [&](const IpAddr& a, uint16_t p, bool hidden) {
        if (hidden) return std::string("*");
        const bool ports = f.key.local_port || f.key.remote_port;
        return format_endpoint(a.to_string(), ports ? std::to_string(p) : std::string());
    };
    return (f.key.proto ? protocol_name(f.key.proto) + " " : std::string()) + ep(f.key.local, f.key.local_port, st.hide_src) +
           " => " + ep(f.key.remote, f.key.remote_port, st.hide_dst);
}

/// x position of a rate (bits/s) on the bar scale of width w. `unit` is 8 when the scale is in bytes (-B): the log
/// scale then starts at 10 B, as its first label says.
inline int scale_x(double bits, double max_bits, bool log_scale, int w, double unit = 1) {
    bits /= unit;
    max_bits /= unit;
    if (bits <= 0 || max_bits <= 0) return 0;
    double f;
    if (log_scale) {
        if (bits < 10) return 0;
        f = (std::log10(bits) - 1) / std::max(1e-9, std::log10(max_bits) - 1);  // iftop's log scale starts at 10 b
    } else {
        f = bits / max_bits;
    }
    return int(std::lround(std::clamp(f, 0.0, 1.0) * w));
}

/// The scale's top in bits/s: -m when given, else the smallest round step (10 K, 100 K, 1 M, ... with K = 1024,
/// in the unit shown) above the peak.
inline double scale_max(const ViewState& st, const ViewModel& vm) {
    if (st.max_bandwidth > 0) return st.max_bandwidth;
    const double unit = st.bytes ? 8 : 1;
    const double peak = std::max(vm.peak_total, vm.totals.rates.total(0)) * 8 / unit;
    const std::vector<double> steps = scale_ticks(1e12, true);
    for (double m : steps)
        if (m >= 10240 && m >= peak) return m * unit;
    return steps.back() * unit;
}

inline std::string rate_text(double bytes_per_s, bool bytes) { return format_rate(bytes_per_s, bytes); }

inline void right(Screen& s, int x_end, int y, const std::string& t, Rgb fg, Rgb bg, uint8_t attr = 0) {
    s.text(x_end - text_cols(t), y, t, fg, bg, attr);
}

/// One of two glyphs: the Unicode one, or its ASCII stand-in (--ascii, a non-UTF-8 locale).
inline const char* glyph(const ViewState& st, const char* unicode, const char* ascii) { return st.ascii ? ascii : unicode; }

}  // namespace detail

std::vector<double> scale_ticks(double top, bool log_scale) {
    std::vector<double> v;
    if (!log_scale) {
        for (int i = 1; i <= 5; ++i) v.push_back(top * i / 5);
        return v;
    }
    // iftop's log scale: 10, 100, then 1, 10, 100 of each 1024-based unit (1.00Kb, 10.0Kb, 100Kb, 1.00Mb, ...).
    for (double unit = 1; unit <= 1024.0 * 1024 * 1024 * 1024 && v.size() < 40; unit *= 1024)
        for (double m : {1.0, 10.0, 100.0}) {
            const double x = m * unit;
            if (x < 10) continue;
            if (x > top * 1.0001) return v;
            v.push_back(x);
        }
    return v;
}

Theme current_theme(const ViewState& st) {
    const std::vector<Theme>& b = themes();
    const auto custom = [&](const CustomTheme& c) {
        Theme t{c.name.c_str(), "made with C (theme editor)", {}};
        std::copy(c.colors.begin(), c.colors.end(), t.colors);
        return t;
    };
    if (st.editor.open) return custom(st.editor.colors);
    if (st.theme < b.size()) return b[st.theme];
    if (st.theme - b.size() < st.custom_themes.size()) return custom(st.custom_themes[st.theme - b.size()]);
    return b[0];
}

size_t theme_count(const ViewState& st) { return themes().size() + st.custom_themes.size(); }

std::string theme_name(const ViewState& st, size_t i) {
    if (i < themes().size()) return themes()[i].name;
    if (i - themes().size() < st.custom_themes.size()) return st.custom_themes[i - themes().size()].name;
    return themes()[0].name;
}

std::vector<FlowView> all_flows(const FlowTable& t) {
    std::vector<FlowView> v;
    v.reserve(t.size());
    t.for_each_flow([&](const FlowView& f) { v.push_back(f); });
    return v;
}

namespace detail {
/// s/d hide a side, p/S/D drop ports (and the protocol with them): rows summed as iftop sums them.
inline std::vector<FlowView> aggregate_rows(const std::vector<FlowView>& flows, const ViewState& st) {
    const bool whole = st.show_ports && st.show_src_port && st.show_dst_port && !st.hide_src && !st.hide_dst;
    if (whole) return flows;  // nothing to merge: every flow is its own row
    std::vector<FlowView> out;
    std::unordered_map<FlowKey, size_t, FlowKeyHash> at;
    at.reserve(flows.size());
    for (FlowView f : flows) {
        if (st.hide_src) { std::memset(f.key.local.bytes, 0, 16); f.key.local_port = 0; }
        if (st.hide_dst) { std::memset(f.key.remote.bytes, 0, 16); f.key.remote_port = 0; }
        if (!st.show_ports || !st.show_src_port) f.key.local_port = 0;
        if (!st.show_ports || !st.show_dst_port) f.key.remote_port = 0;
        if (!st.show_ports) f.key.proto = 0;
        auto it = at.find(f.key);
        if (it == at.end()) { at.emplace(f.key, out.size()); out.push_back(f); continue; }
        FlowView& v = out[it->second];
        for (int d = 0; d < 2; ++d) {
            v.counts.bytes[d] += f.counts.bytes[d];
            v.counts.packets[d] += f.counts.packets[d];
            v.peak[d] = std::max(v.peak[d], f.peak[d]);
            for (int w = 0; w < 3; ++w) v.rates.v[d][w] += f.rates.v[d][w];
        }
        v.last_seen = std::max(v.last_seen, f.last_seen);
    }
    return out;
}

/// The screen filter matches what a row shows (names or numbers as they are on screen, the port as a name or a
/// number, ":443" as written) and the numeric forms too, case-insensitively.
inline bool filter_match(const FlowView& f, const std::string& needle, const ViewState& st,
                         const std::function<std::string(const IpAddr&)>& host_name,
                         const std::function<std::string(uint16_t, uint8_t)>& port_name) {
    std::string hay;
    const auto side = [&](const IpAddr& a, uint16_t port, bool hidden) {
        if (hidden) { hay += "* "; return; }
        const std::string num = a.to_string(), name = host_name ? host_name(a) : std::string();
        const std::string p = port ? std::to_string(port) : std::string();
        const std::string pn = port && port_name ? port_name(port, f.key.proto) : p;
        hay += format_endpoint(num, p) + " " + format_endpoint(num, pn) + " ";
        if (!name.empty()) hay += format_endpoint(name, p) + " " + format_endpoint(name, pn) + " ";
    };
    side(f.key.local, f.key.local_port, st.hide_src);
    side(f.key.remote, f.key.remote_port, st.hide_dst);
    if (f.key.proto) hay += protocol_name(f.key.proto);
    return lower(hay).find(needle) != std::string::npos;
}
}  // namespace detail

std::vector<FlowView> view_rows(const std::vector<FlowView>& flows, const ViewState& st,
                                const std::function<std::string(const IpAddr&)>& host_name,
                                std::vector<FlowKey>* frozen_order,
                                const std::function<std::string(uint16_t, uint8_t)>& port_name) {
    std::vector<FlowView> out = detail::aggregate_rows(flows, st);
    if (!st.filter.empty()) {
        const std::string needle = detail::lower(st.filter);
        std::vector<FlowView> kept;
        for (const FlowView& f : out)
            if (detail::filter_match(f, needle, st, host_name, port_name)) kept.push_back(f);
        out.swap(kept);
    }
    if (st.frozen && frozen_order && !frozen_order->empty()) {
        // o: the order on screen stays; flows that were not on screen then stay off it (as iftop).
        std::unordered_map<FlowKey, size_t, detail::FlowKeyHash> at;
        for (size_t i = 0; i < out.size(); ++i) at.emplace(out[i].key, i);
        std::vector<FlowView> ordered;
        for (const FlowKey& k : *frozen_order) {
            auto it = at.find(k);
            if (it != at.end()) ordered.push_back(out[it->second]);
        }
        return ordered;
    }
    sort_flows(out, st.sort);
    if (st.reverse) std::reverse(out.begin(), out.end());
    if (!st.pinned.empty())  // pinned flows float to the top, in sort order among themselves
        std::stable_partition(out.begin(), out.end(), [&](const FlowView& f) {
            return std::find(st.pinned.begin(), st.pinned.end(), f.key) != st.pinned.end();
        });
    if (frozen_order) {
        frozen_order->clear();
        for (const FlowView& f : out) frozen_order->push_back(f.key);
    }
    return out;
}

std::string export_table(const ViewModel& vm, bool bytes, const std::string& date) {
    using namespace detail;
    std::vector<std::string> labels;
    int lw = 4;
    for (const FlowView& f : vm.rows) {
        labels.push_back(printable(flow_label(f)));
        lw = std::max(lw, text_cols(labels.back()));
    }
    const auto row = [&](const std::string& label, const std::array<std::string, 8>& c) {
        std::string l = pad_cols(label, lw);
        for (size_t i = 0; i < c.size(); ++i) l += std::string(size_t(std::max(1, (i < 6 ? 9 : 11) - int(c[i].size()))), ' ') + c[i];
        return l + "\n";
    };
    const auto rates = [&](const Rates& r, const Counts& c) {
        return std::array<std::string, 8>{format_rate(r.v[0][0], bytes), format_rate(r.v[0][1], bytes),
                                          format_rate(r.v[0][2], bytes), format_rate(r.v[1][0], bytes),
                                          format_rate(r.v[1][1], bytes), format_rate(r.v[1][2], bytes),
                                          format_bytes(double(c.bytes[0])), format_bytes(double(c.bytes[1]))};
    };
    std::string o = "# iftop.hpp export " + (date.empty() ? vm.clock : date) + " on " + printable(vm.interface) + ", " +
                    std::to_string(vm.rows.size()) + " rows\n";
    o += row("flow", {"sent 2s", "10s", "40s", "recv 2s", "10s", "40s", "sent", "received"});
    for (size_t i = 0; i < vm.rows.size(); ++i) o += row(labels[i], rates(vm.rows[i].rates, vm.rows[i].counts));
    o += row("total", rates(vm.totals.rates, vm.totals.counts));
    o += "# peak sent " + format_rate(vm.totals.peak[0], bytes) + ", received " + format_rate(vm.totals.peak[1], bytes) +
         ", total " + format_rate(vm.peak_total, bytes) + "\n";
    return o;
}

std::string osc52_copy(std::string_view text) {
    static const char* const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string o = "\x1b]52;c;";
    size_t i = 0;
    for (; i + 2 < text.size(); i += 3) {
        const uint32_t v = uint32_t(uint8_t(text[i])) << 16 | uint32_t(uint8_t(text[i + 1])) << 8 | uint8_t(text[i + 2]);
        for (int k = 18; k >= 0; k -= 6) o += b64[v >> k & 63];
    }
    if (i < text.size()) {  // RFC 4648 padding
        uint32_t v = uint32_t(uint8_t(text[i])) << 16;
        if (i + 1 < text.size()) v |= uint32_t(uint8_t(text[i + 1])) << 8;
        o += b64[v >> 18 & 63];
        o += b64[v >> 12 & 63];
        o += i + 1 < text.size() ? b64[v >> 6 & 63] : '=';
        o += '=';
    }
    return o + "\x07";
}

std::string sparkline(const uint64_t* v, size_t n, bool ascii) {
    static const char* const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char ascii_levels[] = " .:-=+*#";
    uint64_t mx = 0;
    for (size_t i = 0; i < n; ++i) mx = std::max(mx, v[i]);
    std::string o;
    for (size_t i = 0; i < n; ++i) {
        const int level = mx ? int((v[i] * 7 + mx - 1) / mx) : 0;
        if (ascii) o += ascii_levels[level];
        else o += blocks[level];
    }
    return o;
}

namespace detail {
inline Rgb mix(Rgb a, Rgb b, double t) {
    auto ch = [&](int sh) {
        return Rgb(std::lround(double(a >> sh & 0xff) * (1 - t) + double(b >> sh & 0xff) * t)) << sh;
    };
    return ch(16) | ch(8) | ch(0);
}

/// Two colours a reader cannot tell apart (sum of channel differences under 90).
inline bool near_color(Rgb a, Rgb b) {
    int d = 0;
    for (int sh : {16, 8, 0}) d += std::abs(int(a >> sh & 0xff) - int(b >> sh & 0xff));
    return d < 90;
}

/// A bar under the text of row y, `len` cells long, in the chosen style. Monochrome (and the ascii style) use
/// reverse video, as iftop draws its bars. On the selected row the bar stays visible against the selection.
inline void draw_bar(Screen& scr, const ViewState& st, const Theme& th, int y, int len, Rgb color, bool selected) {
    if (st.color == ColorMode::mono || st.bar_style == ViewState::ascii_bar) {
        scr.fill_bg(0, y, len, color, kReverse);
        return;
    }
    const Rgb bg = selected ? th[Role::sel_bg] : th[Role::bg];
    for (int x = 0; x < std::min(len, scr.width()); ++x) {
        Rgb c = color;
        if (st.bar_style == ViewState::gradient) c = mix(th[Role::bar_low], th[Role::bar_high], double(x) / std::max(1, scr.width() - 1));
        else if (st.bar_style == ViewState::thin) c = mix(bg, color, 0.45);
        if (selected && near_color(c, bg)) c = mix(c, th[Role::sel_fg], 0.45);
        scr.fill_bg(x, y, 1, c);
    }
}

/// The selection: the row's colours, bold (and underlined in monochrome, where colour says nothing).
inline void draw_selection(Screen& scr, const ViewState& st, const Theme& th, int y) {
    for (int x = 0; x < scr.width(); ++x) {
        Cell& c = scr.at(x, y);
        c.bg = th[Role::sel_bg];
        c.fg = th[Role::sel_fg];
        c.attr |= st.color == ColorMode::mono ? uint8_t(kBold | kUnderline) : uint8_t(kBold);
    }
}

inline const char* const* view_names() {
    static const char* const n[] = {"Flows", "Processes", "Publishers"};
    return n;
}

/// The sort as the status bar names it; a sort chosen while paused is pending until the display resumes.
inline std::string sort_text(const ViewState& st, const ViewModel& vm) {
    static const char* const names[] = {"2s", "10s", "40s", "source", "destination", "total"};
    std::string s = std::string("sort ") + names[static_cast<int>(st.sort)] + (st.reverse ? glyph(st, " ↑", " ^") : "");
    if (st.paused && (st.sort != vm.sorted_by || st.reverse != vm.sorted_reverse)) s += " (pending)";
    return s;
}
}  // namespace detail

std::vector<StatusSegment> status_segments(const ViewState& st, const ViewModel& vm) {
    using namespace detail;
    const Theme th = current_theme(st);
    std::vector<StatusSegment> v;
    v.push_back({"Flows Processes Publishers", "the views (Tab, or click one); Enter drills into a process or package, Esc goes back"});
    // What the user just did, and that the display is paused, come first: they must not be cut off.
    if (!st.message.empty()) v.push_back({st.message, st.message});
    if (st.paused) v.push_back({"PAUSED", "P resumes the display (capture goes on)"});
    const size_t slash = vm.interface.rfind('/');  // a capture file: its name (the tooltip has the path)
    v.push_back({slash == std::string::npos ? vm.interface : vm.interface.substr(slash + 1), "capturing on " + vm.interface});
    v.push_back({std::to_string(vm.rows.size()) + " flows", "rows shown now (after the filter and the s/d/p grouping)"});
    if (vm.ended) v.push_back({vm.clock + " end of file", "the capture file was read to its end: the clock has stopped; q quits"});
    else v.push_back({vm.clock, "time of the last update; R changes how often (now every " + std::to_string(st.refresh) + " s)"});
    v.push_back({sort_text(st, vm), st.paused ? "the display is paused: the new order applies when P resumes it"
                                              : "1 2 3: by the 2 s, 10 s, 40 s column; < >: by name; r reverses; o freezes the order"});
    v.push_back({th.name, std::string(th.description) + " (c: theme chooser, C: theme editor)"});
    if (st.drilled)
        v.push_back({"only " + (st.drill_publisher ? st.drill_name : st.drill_name + " (" + std::to_string(st.drill_pid) + ")"),
                     "showing the flows of one process or package; Esc shows all"});
    if (vm.attribution == "partial")
        v.push_back({"processes: partial", "other users' processes cannot be read: run as root, or setcap "
                                           "cap_sys_ptrace,cap_dac_read_search+ep ./iftop"});
    if (st.frozen) v.push_back({"order frozen", "o unfreezes; flows not on screen when frozen stay off it"});
    if (!st.filter.empty() && !st.editing_filter) v.push_back({"filter: " + st.filter, "screen filter (l or /); 0 clears it"});
    return v;
}

int status_segment_at(const ViewState& st, const ViewModel& vm, int x) {
    if (st.editing_filter || st.editing_bpf) return -1;  // the bar is the line editor then
    int sx = 1;
    const std::vector<StatusSegment> segs = status_segments(st, vm);
    for (size_t i = 0; i < segs.size(); ++i) {
        const int n = detail::text_cols(segs[i].text);
        if (x >= sx && x < sx + n) return int(i);
        sx += n + 3;
    }
    return -1;
}

int view_tab_at(const ViewState& st, int x) {
    if (st.editing_filter || st.editing_bpf) return -1;
    int sx = 1;
    for (int i = 0; i < 3; ++i) {
        const int n = int(std::strlen(detail::view_names()[i]));
        if (x >= sx && x < sx + n) return i;
        sx += n + 1;
    }
    return -1;
}

std::vector<FlowView> drill_filter(std::vector<FlowView> flows, const ViewState& st, const ViewModel& vm) {
    if (!st.drilled || !vm.owner) return flows;
    std::vector<FlowView> out;
    for (const FlowView& f : flows) {
        const FlowOwner* o = vm.owner(f.key);
        const bool keep = st.drill_publisher ? (o && o->exe ? o->exe->publisher : std::string("unknown")) == st.drill_name
                                             : (o && o->proc ? o->proc->pid : 0) == st.drill_pid;
        if (keep) out.push_back(f);
    }
    return out;
}

namespace detail {
inline int lines_per_row(const ViewState& st) { return st.line_mode == ViewState::two_line ? 2 : 1; }
inline bool bottom_line(const ViewState& st) { return st.status_bar || st.editing_filter || st.editing_bpf; }
inline int list_top() { return 2; }
inline int list_bottom(const ViewState& st, int h) { return h - 4 - (bottom_line(st) ? 1 : 0); }  // exclusive

/// Where the flow columns are at width w: one place for drawing and for clicks on the column titles.
struct Columns {
    int proc_w, rates_x, host_w, arrow_x, dst_x;
    int rate_end(int wnd) const { return rates_x + proc_w + 8 * (wnd + 1); }  ///< right edge of a rate column
};
inline Columns columns(const ViewState& st, const ViewModel& vm, int w) {
    Columns c;
    c.proc_w = vm.owner && st.show_processes && w >= 100 ? 20 : 0;
    c.rates_x = w - 24 - (st.cumulative ? 8 : 0) - c.proc_w;
    c.host_w = std::max(4, (c.rates_x - 1 - 4) / 2);
    c.arrow_x = c.host_w + 1;
    c.dst_x = c.arrow_x + 4;
    return c;
}
}  // namespace detail

int row_at(const ViewState& st, const ViewModel& vm, int h, int y) {
    const int top = detail::list_top() + (st.view == ViewState::flows ? 0 : 1), bottom = detail::list_bottom(st, h);
    if (y < top || y >= bottom) return -1;
    const int per = st.view == ViewState::flows ? detail::lines_per_row(st) : 1;
    const int idx = st.scroll + (y - top) / per;
    const size_t n = st.view == ViewState::flows ? vm.rows.size() : vm.groups.size();
    return idx < int(n) ? idx : -1;
}

namespace detail {
/// Panel: the scale. Round labels over tick marks (a label that would touch the one before is left out), and in
/// the Flows view the column titles on the tick line, kept clear of the ticks.
inline void draw_scale(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th, double max_bits) {
    const int w = scr.width();
    const Rgb bg = th[Role::bg];
    const double unit = st.bytes ? 8 : 1;  // -B: the scale in bytes, as iftop labels it
    scr.fill_bg(0, 0, w, th[Role::header_bg]);
    for (int x = 0; x < w; ++x) scr.text(x, 1, glyph(st, "─", "-"), th[Role::scale], bg);
    std::vector<int> ticks;
    int free_x = 0;
    for (double m : scale_ticks(max_bits / unit, st.log_scale)) {
        const int x = std::min(w - 1, scale_x(m * unit, max_bits, st.log_scale, w - 1, unit));
        const std::string label = format_rate(m * unit / 8, st.bytes);
        const int n = text_cols(label), lx = std::clamp(x - n / 2, 0, std::max(0, w - n));
        if (lx >= free_x) {
            scr.text(lx, 0, label, th[Role::header_fg], th[Role::header_bg]);
            free_x = lx + n + 1;
        }
        scr.text(x, 1, glyph(st, "┴", "+"), th[Role::scale], bg);
        ticks.push_back(x);
    }
    if (st.view != ViewState::flows) return;
    const Columns cols = columns(st, vm, w);
    const auto title = [&](int x_end, int room, const std::string& t, bool on) {
        // The title's cells and one on each side must be free of ticks: move left within the column, else skip.
        const int n = text_cols(t);
        for (int x1 = x_end; x1 - n >= x_end - room; --x1) {
            bool clear = true;
            for (int tx : ticks) clear = clear && (tx < x1 - n - 1 || tx > x1);
            if (!clear) continue;
            scr.text(x1 - n, 1, t, on ? th[Role::accent] : th[Role::header_fg], bg, on ? uint8_t(kBold) : uint8_t(0));
            return;
        }
    };
    static const char* const titles[] = {"2s", "10s", "40s"};
    for (int wnd = 0; wnd < 3; ++wnd) title(cols.rate_end(wnd), 7, titles[wnd], static_cast<int>(st.sort) == wnd);
    if (st.cumulative) title(w, 7, "cum", false);
}

/// One flow: one or two lines of hosts, arrows, rates, the cumulative column, the bar, the selection.
inline void draw_flow_row(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th, const Columns& cols,
                          const FlowView& f, int y, bool sel, double max_bits) {
    const int w = scr.width(), per = lines_per_row(st);
    const Rgb bg = th[Role::bg];
    static const std::array<Role, 3> rate_roles{Role::rate_2s, Role::rate_10s, Role::rate_40s};
    const bool alert = std::find(st.alerting.begin(), st.alerting.end(), f.key) != st.alerting.end();
    for (int line = 0; line < per; ++line) {
        // dir: which direction this line shows; -1 = both (one-line total)
        const int dir = st.line_mode == ViewState::one_line_both ? -1 : st.line_mode == ViewState::one_line_sent ? 0
                      : st.line_mode == ViewState::one_line_recv ? 1 : line;
        const int yy = y + line;
        if (line == 0) {
            const bool pin = std::find(st.pinned.begin(), st.pinned.end(), f.key) != st.pinned.end();
            const int px = pin ? scr.text(0, yy, glyph(st, "★", "*"), th[Role::pinned], bg, kBold) + 1 : 0;
            scr.text(px, yy, endpoint_text(f.key.local, f.key.local_port, f.key.proto, st.hide_src,
                                           st.show_ports && st.show_src_port, vm, cols.host_w - px, st.ascii),
                     th[Role::host_local], bg);
            scr.text(cols.dst_x, yy, endpoint_text(f.key.remote, f.key.remote_port, f.key.proto, st.hide_dst,
                                                   st.show_ports && st.show_dst_port, vm, cols.rates_x - 1 - cols.dst_x, st.ascii),
                     th[Role::host_remote], bg);
            if (cols.proc_w) {  // [pid:name]; aggregated rows (s, d) may mix processes
                const FlowOwner* o = vm.owner(f.key);
                const std::string p = o ? owner_label(*o) : "";
                scr.text(cols.rates_x, yy, fit(p, cols.proc_w - 1, st.ascii), th[Role::accent], bg);
            }
            if (alert) scr.text(cols.arrow_x - 1, yy, "!", th[Role::alert], bg, kBold);
        }
        scr.text(cols.arrow_x, yy, dir == 0 ? "=>" : dir == 1 ? "<=" : "<=>", alert ? th[Role::alert] : th[Role::arrow], bg,
                 alert ? uint8_t(kBold) : uint8_t(0));
        for (int wnd = 0; wnd < 3; ++wnd)
            right(scr, cols.rate_end(wnd), yy, rate_text(dir < 0 ? f.rates.total(wnd) : f.rates.v[dir][wnd], st.bytes),
                  th[rate_roles[size_t(wnd)]], bg);
        if (st.cumulative)
            right(scr, w, yy, format_bytes(dir < 0 ? double(f.counts.bytes[0] + f.counts.bytes[1]) : double(f.counts.bytes[dir])),
                  th[Role::muted], bg);
        if (sel) draw_selection(scr, st, th, yy);
        if (st.bars) {
            const double v = dir < 0 ? f.rates.total(st.bar_window) : f.rates.v[dir][st.bar_window];
            draw_bar(scr, st, th, yy, scale_x(v * 8, max_bits, st.log_scale, w, st.bytes ? 8 : 1), dir == 1 ? th[Role::bar_recv] : th[Role::bar_sent], sel);
        }
    }
}

/// Panel: the flow rows. Returns how many fit.
inline int draw_flows(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th, double max_bits) {
    const Columns cols = columns(st, vm, scr.width());
    const int top = list_top(), per = lines_per_row(st);
    const int visible = std::max(0, (list_bottom(st, scr.height()) - top) / per);
    if (vm.rows.empty() && visible > 0)
        scr.text(2, top + (visible > 1 ? 1 : 0), st.filter.empty() ? "no flows yet" : "no flow matches the filter '" + st.filter + "'",
                 th[Role::muted], th[Role::bg], 0, scr.width() - 4);
    for (int i = 0; i < visible && st.scroll + i < int(vm.rows.size()); ++i) {
        const int idx = st.scroll + i;
        draw_flow_row(scr, st, vm, th, cols, vm.rows[size_t(idx)], top + i * per, idx == st.selected, max_bits);
    }
    return std::max(1, visible);
}

/// Panel: the Processes or Publishers view: one line per group with its flows, sent and received (10 s), the
/// 2/10/40 s totals and the bytes so far; a bar for the chosen average.
inline int draw_groups(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th, double max_bits) {
    const int w = scr.width(), top = list_top(), bottom = list_bottom(st, scr.height());
    const Rgb bg = th[Role::bg], hf = th[Role::header_fg];
    const bool procs = st.view == ViewState::processes, split = w >= 72;
    const int rates_x = w - 24 - 9, flows_x = rates_x - (split ? 16 : 0) - 1;
    scr.text(0, top, procs ? "    PID PROCESS" : "PUBLISHER", hf, bg, kBold);
    right(scr, flows_x, top, "FLOWS", hf, bg, kBold);
    if (split) { right(scr, rates_x - 8, top, "SENT", hf, bg, kBold); right(scr, rates_x, top, "RECV", hf, bg, kBold); }
    static const char* const titles[] = {"2s", "10s", "40s"};
    for (int wnd = 0; wnd < 3; ++wnd) right(scr, rates_x + 8 * (wnd + 1), top, titles[wnd], hf, bg, kBold);
    right(scr, w, top, "TOTAL", hf, bg, kBold);
    if (vm.groups.empty()) {
        const std::string msg = vm.owner ? "no flows yet" :
            "no process data: attribution is off (-Z, a capture file, or neither /proc nor lsof is readable)";
        scr.text(2, top + 2, fit(msg, w - 4, st.ascii), th[Role::muted], bg);
        return 1;
    }
    const int visible = std::max(0, bottom - top - 1);
    for (int i = 0; i < visible && st.scroll + i < int(vm.groups.size()); ++i) {
        const int idx = st.scroll + i, y = top + 1 + i;
        const OwnerGroup& g = vm.groups[size_t(idx)];
        std::string label = g.name;
        if (procs) {
            char pid[16];
            std::snprintf(pid, sizeof pid, "%7d ", g.pid);
            label = (g.pid ? std::string(pid) : std::string("      - ")) + g.name;
            if (!g.publisher.empty()) label += "  (" + g.publisher + ")";
        }
        scr.text(0, y, fit(label, flows_x - 7, st.ascii), th[Role::host_local], bg);
        right(scr, flows_x, y, std::to_string(g.flows), th[Role::muted], bg);
        if (split) {
            right(scr, rates_x - 8, y, format_rate(g.rates.sent(1), st.bytes), th[Role::host_local], bg);
            right(scr, rates_x, y, format_rate(g.rates.recv(1), st.bytes), th[Role::host_remote], bg);
        }
        for (int wnd = 0; wnd < 3; ++wnd)
            right(scr, rates_x + 8 * (wnd + 1), y, format_rate(g.rates.total(wnd), st.bytes),
                  th[wnd == 0 ? Role::rate_2s : wnd == 1 ? Role::rate_10s : Role::rate_40s], bg);
        right(scr, w, y, format_bytes(double(g.counts.bytes[0] + g.counts.bytes[1])), th[Role::fg], bg);
        if (idx == st.selected) draw_selection(scr, st, th, y);
        if (st.bars)
            draw_bar(scr, st, th, y, scale_x(g.rates.total(st.bar_window) * 8, max_bits, st.log_scale, w, st.bytes ? 8 : 1), th[Role::bar_sent],
                     idx == st.selected);
    }
    return std::max(1, visible);
}

/// Panel: iftop's totals block (TX, RX, TOTAL with cum, peak and the rates under the rate columns). A narrow
/// screen keeps the rates and drops peak, then cum, so nothing is drawn over anything else.
inline void draw_totals(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th) {
    const int w = scr.width(), ty = list_bottom(st, scr.height());
    const Rgb bg = th[Role::bg];
    const Columns cols = columns(st, vm, w);
    static const std::array<Role, 3> rate_roles{Role::rate_2s, Role::rate_10s, Role::rate_40s};
    for (int x = 0; x < w; ++x) scr.text(x, ty, glyph(st, "─", "-"), st.flash ? th[Role::alert] : th[Role::border], bg);
    static const char* const names[3] = {"TX:", "RX:", "TOTAL:"};
    const int peak_x = 24, first_rate = cols.rate_end(0) - 8;  // iftop's columns: cum at 7, peak at 24
    const bool show_cum = first_rate >= 23, show_peak = first_rate >= peak_x + 16;
    for (int r = 0; r < 3; ++r) {
        const int y = ty + 1 + r;
        scr.text(0, y, names[r], th[Role::fg], bg, kBold);
        const double cum = r < 2 ? double(vm.totals.counts.bytes[r]) : double(vm.totals.counts.bytes[0] + vm.totals.counts.bytes[1]);
        const double peak = r < 2 ? vm.totals.peak[r] : vm.peak_total;
        if (r == 0) {
            if (show_cum) scr.text(7, y, "cum:", th[Role::muted], bg);
            if (show_peak) scr.text(peak_x, y, "peak:", th[Role::muted], bg);
            if (show_peak && first_rate - 6 >= peak_x + 16) scr.text(first_rate - 6, y, "rates:", th[Role::muted], bg);
        }
        if (show_cum) right(scr, 21, y, format_bytes(cum), th[Role::fg], bg);
        if (show_peak) right(scr, peak_x + 15, y, rate_text(peak, st.bytes), th[Role::fg], bg);
        for (int wnd = 0; wnd < 3; ++wnd) {
            const double v = r < 2 ? vm.totals.rates.v[r][wnd] : vm.totals.rates.total(wnd);
            right(scr, cols.rate_end(wnd), y, rate_text(v, st.bytes), th[rate_roles[size_t(wnd)]], bg);
        }
    }
}

/// The last `cols` columns of `s`, never splitting a code point.
inline std::string tail_cols(const std::string& s, int cols) {
    size_t i = 0;
    while (i < s.size() && text_cols(std::string_view(s).substr(i)) > cols) {
        uint32_t cp = 0;
        i += size_t(utf8_next(s, i, cp));
    }
    return s.substr(i);
}

/// Panel: the line editor (l, /, f) in place of the status bar: the cursor is a reversed cell that stays in view
/// however long the text is (the start is cut, marked, when it does not fit).
inline void draw_editor_line(Screen& scr, const ViewState& st, const Theme& th, int y) {
    const int w = scr.width();
    const Rgb sb = th[Role::status_bg], sf = th[Role::status_fg];
    const std::string& text = st.editing_bpf ? st.bpf : st.filter;
    const size_t cur = std::min(st.cursor, text.size());
    scr.fill_bg(0, y, w, sb);
    int x = 1 + scr.text(1, y, st.editing_bpf ? "filter code: " : "filter: ", th[Role::accent], sb, kBold);
    const std::string hint = st.editing_bpf ? "  Enter applies, Esc cancels" : "  Enter keeps, Esc clears";
    const int avail = w - x - 1 - (w - x > 60 ? text_cols(hint) : 0);
    std::string before = text.substr(0, cur);
    if (text_cols(before) > avail - 1) before = glyph(st, "…", "~") + tail_cols(before, avail - 2);
    x += scr.text(x, y, before, sf, sb);
    uint32_t cp = ' ';
    const int len = cur < text.size() ? utf8_next(text, cur, cp) : 0;
    const int cw = scr.text(x, y, cp == ' ' ? std::string(" ") : text.substr(cur, size_t(len)), sb, sf, kReverse);
    x += std::max(1, cw);
    const std::string after = cur < text.size() ? text.substr(cur + size_t(len)) : std::string();
    x += scr.text(x, y, fit(after, w - x - 1 - (w - x > 60 ? text_cols(hint) : 0), st.ascii), sf, sb);
    if (w - x > text_cols(hint)) scr.text(x, y, hint, th[Role::muted], sb);
}

/// Panel: the status bar: the view tabs, then the parts, the last one cut with a mark; "h: help" on the right.
inline void draw_status_bar(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th) {
    const int w = scr.width(), y = scr.height() - 1;
    if (st.editing_filter || st.editing_bpf) { draw_editor_line(scr, st, th, y); return; }
    if (!st.status_bar) return;
    const Rgb sb = th[Role::status_bg];
    scr.fill_bg(0, y, w, sb);
    const std::string hint = "h: help ";
    const int limit = w - int(hint.size()) - 1;
    const std::vector<StatusSegment> segs = status_segments(st, vm);
    int x = 1;
    for (int v = 0; v < 3; ++v) {  // the tab strip
        const bool on = v == int(st.view);
        x += scr.text(x, y, view_names()[v], on ? th[Role::accent] : th[Role::muted], sb, on ? uint8_t(kBold | kUnderline) : uint8_t(0),
                      limit - x) + 1;
    }
    --x;
    for (size_t i = 1; i < segs.size() && x + 3 < limit; ++i) {
        x += scr.text(x, y, glyph(st, " │ ", " | "), th[Role::muted], sb, 0, limit - x);
        x += scr.text(x, y, fit(segs[i].text, limit - x, st.ascii), int(i) == st.status_tip ? th[Role::accent] : th[Role::status_fg], sb);
    }
    scr.text(w - int(hint.size()), y, hint, th[Role::accent], sb, kBold);
}
}  // namespace detail

namespace detail {
/// The inside of a box drawn by draw_box.
struct Box {
    int x, y, w, h;
};

/// One overlay helper for help, details, choosers, editors and tooltips: a frame over a cleared area with a title
/// in it. Clipped to the screen; returns the area inside the frame (with a column of margin each side).
inline Box draw_box(Screen& scr, const ViewState& st, const Theme& th, int x0, int y0, int bw, int bh, const std::string& title) {
    bw = std::min(bw, scr.width());
    bh = std::min(bh, scr.height());
    x0 = std::clamp(x0, 0, scr.width() - bw);
    y0 = std::clamp(y0, 0, scr.height() - bh);
    const Rgb fg = th[Role::tooltip_fg], bg = th[Role::tooltip_bg], fc = th[Role::border] == bg ? th[Role::muted] : th[Role::border];
    for (int y = y0; y < y0 + bh; ++y)
        for (int x = x0; x < x0 + bw; ++x) scr.at(x, y) = Cell{' ', fg, bg, 0};
    for (int x = x0 + 1; x < x0 + bw - 1; ++x) {
        scr.text(x, y0, glyph(st, "─", "-"), fc, bg);
        scr.text(x, y0 + bh - 1, glyph(st, "─", "-"), fc, bg);
    }
    for (int y = y0 + 1; y < y0 + bh - 1; ++y) {
        scr.text(x0, y, glyph(st, "│", "|"), fc, bg);
        scr.text(x0 + bw - 1, y, glyph(st, "│", "|"), fc, bg);
    }
    scr.text(x0, y0, glyph(st, "╭", "+"), fc, bg);
    scr.text(x0 + bw - 1, y0, glyph(st, "╮", "+"), fc, bg);
    scr.text(x0, y0 + bh - 1, glyph(st, "╰", "+"), fc, bg);
    scr.text(x0 + bw - 1, y0 + bh - 1, glyph(st, "╯", "+"), fc, bg);
    if (!title.empty() && bw > 6) scr.text(x0 + 2, y0, fit(" " + title + " ", bw - 4, st.ascii), th[Role::accent], bg, kBold);
    return {x0 + 2, y0 + 1, std::max(0, bw - 4), std::max(0, bh - 2)};
}

/// A box sized to `lines` (and the title) near (x, y), the lines inside, each cut with a mark.
inline Box draw_text_box(Screen& scr, const ViewState& st, const Theme& th, int x, int y, const std::string& title,
                         const std::vector<std::string>& lines) {
    int bw = text_cols(title) + 6;
    for (const std::string& l : lines) bw = std::max(bw, text_cols(l) + 4);
    const Box b = draw_box(scr, st, th, x, y, bw, int(lines.size()) + 2, title);
    for (int i = 0; i < b.h && i < int(lines.size()); ++i)
        scr.text(b.x, b.y + i, fit(lines[size_t(i)], b.w, st.ascii), th[Role::tooltip_fg], th[Role::tooltip_bg]);
    return b;
}

/// Overlay: the selected flow's details (Enter or a right click): rates, peaks, totals, process, sparkline.
inline void draw_details(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th) {
    const FlowView& f = vm.rows[size_t(st.selected)];
    std::vector<std::string> lines;
    if (vm.owner) {
        const FlowOwner* o = vm.owner(f.key);
        if (o && o->proc) {
            lines.push_back("process   " + std::to_string(o->proc->pid) + " " + process_label(*o->proc) +
                            (o->proc->cmdline.empty() ? "" : "  " + o->proc->cmdline));
            if (o->exe)
                lines.push_back("package   " + o->exe->publisher +
                                (o->exe->sha256.empty() ? "" : "  sha256 " + o->exe->sha256.substr(0, 16) + glyph(st, "…", "...")));
        } else {
            lines.push_back("process   unknown");
        }
    }
    for (int d = 0; d < 2; ++d)
        lines.push_back(std::string(d ? "received" : "sent    ") + "  2s " + format_rate(f.rates.v[d][0], st.bytes) +
                        "  10s " + format_rate(f.rates.v[d][1], st.bytes) + "  40s " + format_rate(f.rates.v[d][2], st.bytes) +
                        "  peak " + format_rate(f.peak[d], st.bytes) + "  total " + format_bytes(double(f.counts.bytes[d])) +
                        " in " + std::to_string(f.counts.packets[d]) + " packets");
    std::array<uint64_t, kHistorySeconds> hs{}, hr{};
    const bool spark = vm.history && vm.history(f.key, 0, hs) && vm.history(f.key, 1, hr);
    if (spark) {
        for (int k = 0; k < kHistorySeconds; ++k) hs[size_t(k)] += hr[size_t(k)];
        lines.push_back("last 40s  " + sparkline(hs.data(), hs.size(), st.ascii));
    }
    const Box b = draw_text_box(scr, st, th, st.tooltip_x, st.tooltip_y + 1, row_label(f, st), lines);
    if (spark && int(lines.size()) <= b.h)
        scr.text(b.x + 10, b.y + int(lines.size()) - 1, sparkline(hs.data(), hs.size(), st.ascii), th[Role::spark], th[Role::tooltip_bg]);
}

/// Overlay: a status-bar part's tooltip, just above the bar.
inline void draw_status_tip(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th) {
    const std::vector<StatusSegment> segs = status_segments(st, vm);
    if (st.status_tip < 0 || st.status_tip >= int(segs.size())) return;
    int sx = 1;
    for (int i = 0; i < st.status_tip; ++i) sx += text_cols(segs[size_t(i)].text) + 3;
    draw_text_box(scr, st, th, sx - 2, scr.height() - 4, "", {segs[size_t(st.status_tip)].tip});
}

/// Overlay: a list to choose from (themes, interfaces), the chosen line marked; scrolled to keep it in view.
inline Box draw_chooser(Screen& scr, const ViewState& st, const Theme& th, int x0, int bw, const std::string& title,
                        int n, int sel, int swatch, const std::function<std::string(int)>& name) {
    const int bh = std::min(scr.height() - 1, n + 2);
    const Box b = draw_box(scr, st, th, x0, (scr.height() - bh) / 2, bw, bh, title);
    const int first = std::clamp(sel - b.h / 2, 0, std::max(0, n - b.h));
    for (int i = 0; i < b.h && first + i < n; ++i) {
        const bool cur = first + i == sel;
        scr.text(b.x + swatch, b.y + i, fit((cur ? "> " : "  ") + name(first + i), b.w - swatch, st.ascii),
                 cur ? th[Role::accent] : th[Role::tooltip_fg], th[Role::tooltip_bg], cur ? uint8_t(kBold) : uint8_t(0));
    }
    return b;
}

/// The first theme the chooser shows at row 0, for clicks (the same arithmetic as draw_chooser).
inline int chooser_first(int screen_h, int n, int sel) {
    const int inner = std::min(screen_h - 1, n + 2) - 2;
    return std::clamp(sel - inner / 2, 0, std::max(0, n - inner));
}

/// Overlay: the theme chooser: every theme with swatches of its colours; the screen behind previews it.
inline void draw_theme_chooser(Screen& scr, const ViewState& st, const Theme& th) {
    const int n = int(theme_count(st)), bw = std::min(scr.width(), 46);
    const Box b = draw_chooser(scr, st, th, scr.width() - bw - 1, bw, glyph(st, "themes: ↑↓ preview, Enter keep, Esc back",
                               "themes: up/down preview, Enter keep, Esc back"), n, int(st.theme), 10,
                               [&](int i) { return theme_name(st, size_t(i)); });
    const int first = chooser_first(scr.height(), n, int(st.theme));
    for (int i = 0; i < b.h && first + i < n; ++i) {
        ViewState t;
        t.theme = size_t(first + i);
        t.custom_themes = st.custom_themes;
        const Theme tt = current_theme(t);
        int x = b.x;
        for (Role r : {Role::bg, Role::fg, Role::host_local, Role::host_remote, Role::bar_sent, Role::bar_recv,
                       Role::bar_high, Role::accent, Role::alert})
            x += scr.text(x, b.y + i, glyph(st, "█", "#"), tt[r], th[Role::tooltip_bg]);
    }
}

/// Overlay: the theme editor: each colour slot with its swatch and value; the slot and channel being changed.
inline void draw_theme_editor(Screen& scr, const ViewState& st, const Theme& th) {
    const ViewUi::Editor& ed = st.editor;
    const int bw = std::min(scr.width(), 50), n = int(kRoles);
    const Box b = draw_chooser(scr, st, th, scr.width() - bw - 1, bw,
                               ed.naming ? "name it: Enter saves, Esc back" : "theme editor: Enter names, Esc undoes",
                               n, ed.role, 3, [&](int i) {
                                   char hex[16];
                                   std::snprintf(hex, sizeof hex, "#%06x", unsigned(ed.colors.colors[size_t(i)]));
                                   return pad_cols(role_name(Role(i)), 12) + hex;
                               });
    const int first = chooser_first(scr.height(), n, ed.role);
    for (int i = 0; i < b.h && first + i < n; ++i)
        scr.text(b.x, b.y + i, glyph(st, "██", "##"), ed.colors.colors[size_t(first + i)], th[Role::tooltip_bg]);
    const int sel_y = b.y + ed.role - first, hex_x = b.x + 3 + 2 + 12 + 1 + 2 * ed.channel;
    if (sel_y >= b.y && sel_y < b.y + b.h && hex_x + 1 < b.x + b.w) scr.fill_bg(hex_x, sel_y, 2, th[Role::tooltip_bg], uint8_t(kReverse | kUnderline));
    const std::string foot = ed.naming ? "name: " + ed.name + glyph(st, "▏", "_")
                                       : glyph(st, "↑↓ slot  ←→ channel  +/- change  PgUp/PgDn ×16", "up/down slot, left/right channel, +/- change");
    if (b.y + b.h < scr.height()) scr.text(b.x, b.y + b.h, fit(" " + foot + " ", b.w, st.ascii), th[Role::accent], th[Role::tooltip_bg]);
}

/// Overlay: the help, from the command table; modal, scrolled with j/k.
inline void draw_help(Screen& scr, const ViewState& st, const Theme& th) {
    const std::vector<std::string> lines = help_lines();
    const int bw = std::min(scr.width(), std::max(80, scr.width() * 2 / 3)), bh = std::min(scr.height(), int(lines.size()) + 2);
    const Box b = draw_box(scr, st, th, (scr.width() - bw) / 2, (scr.height() - bh) / 2, bw, bh,
                           std::string("iftop.hpp " IFTOP_VERSION " help: ") +
                               (int(lines.size()) > bh - 2 ? glyph(st, "↑↓ scroll, ", "up/down scroll, ") : "") + "Esc closes");
    const int first = std::clamp(st.help_scroll, 0, std::max(0, int(lines.size()) - b.h));
    for (int i = 0; i < b.h && first + i < int(lines.size()); ++i) {
        const std::string& l = lines[size_t(first + i)];
        const bool heading = !l.empty() && l[0] != ' ';
        scr.text(b.x, b.y + i, fit(l, b.w, st.ascii), heading ? th[Role::accent] : th[Role::tooltip_fg], th[Role::tooltip_bg],
                 heading ? uint8_t(kBold) : uint8_t(0));
    }
}

/// Overlays over the panels, the modal one last.
inline void draw_overlays(Screen& scr, const ViewState& st, const ViewModel& vm, const Theme& th) {
    if (st.status_tip >= 0 && st.status_bar && !st.editing_filter && !st.editing_bpf) draw_status_tip(scr, st, vm, th);
    if (st.tooltip && st.view == ViewState::flows && st.selected < int(vm.rows.size())) draw_details(scr, st, vm, th);
    if (st.chooser) draw_theme_chooser(scr, st, th);
    if (st.editor.open) draw_theme_editor(scr, st, th);
    if (!st.interfaces.empty())
        draw_chooser(scr, st, th, (scr.width() - 40) / 2, 40, glyph(st, "capture on: ↑↓, Enter, Esc", "capture on: up/down, Enter, Esc"),
                     int(st.interfaces.size()), st.interface_sel, 0, [&](int i) { return st.interfaces[size_t(i)]; });
    if (st.help) draw_help(scr, st, th);
}

/// x: the screen drawn one cell in, then framed (the frame blinks with alerts like the separator).
inline int render_framed(Screen& scr, const ViewState& st, const ViewModel& vm) {
    Screen inner(scr.width() - 2, scr.height() - 2);
    ViewState in = st;
    in.border = false;
    const int rows = render(inner, in, vm);
    const Theme th = current_theme(st);
    const Rgb fc = st.flash ? th[Role::alert] : th[Role::border], bg = th[Role::bg];
    scr.clear(bg, fc);
    for (int y = 0; y < inner.height(); ++y)
        for (int x = 0; x < inner.width(); ++x) scr.at(x + 1, y + 1) = inner.at(x, y);
    const int w = scr.width(), h = scr.height();
    for (int x = 1; x < w - 1; ++x) { scr.text(x, 0, glyph(st, "─", "-"), fc, bg); scr.text(x, h - 1, glyph(st, "─", "-"), fc, bg); }
    for (int y = 1; y < h - 1; ++y) { scr.text(0, y, glyph(st, "│", "|"), fc, bg); scr.text(w - 1, y, glyph(st, "│", "|"), fc, bg); }
    scr.text(0, 0, glyph(st, "╭", "+"), fc, bg);
    scr.text(w - 1, 0, glyph(st, "╮", "+"), fc, bg);
    scr.text(0, h - 1, glyph(st, "╰", "+"), fc, bg);
    scr.text(w - 1, h - 1, glyph(st, "╯", "+"), fc, bg);
    return rows;
}
}  // namespace detail

int render(Screen& scr, const ViewState& st, const ViewModel& vm) {
    using namespace detail;
    if (st.border && scr.width() > kMinScreenW + 2 && scr.height() > kMinScreenH + 2) return render_framed(scr, st, vm);
    const Theme th = current_theme(st);
    const int w = scr.width(), h = scr.height();
    scr.clear(th[Role::bg], th[Role::fg]);
    if (w < kMinScreenW || h < kMinScreenH) {  // one line that says so, instead of panels drawn over each other
        scr.text(0, 0, fit("terminal too small (" + std::to_string(w) + "x" + std::to_string(h) + "): " +
                               std::to_string(kMinScreenW) + "x" + std::to_string(kMinScreenH) + " needed; q quits", w, st.ascii),
                 th[Role::alert], th[Role::bg], kBold);
        return 1;
    }
    const double max_bits = scale_max(st, vm);
    draw_scale(scr, st, vm, th, max_bits);
    const int rows = st.view == ViewState::flows ? draw_flows(scr, st, vm, th, max_bits) : draw_groups(scr, st, vm, th, max_bits);
    draw_totals(scr, st, vm, th);
    draw_status_bar(scr, st, vm, th);
    draw_overlays(scr, st, vm, th);
    if (st.ascii)  // what came from outside (names) in a terminal that cannot show it; our own words are ASCII already
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                if (scr.at(x, y).ch >= 0x80) scr.at(x, y).ch = '?';
    return rows;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [11] input                                                                                                  */
/* ---------------------------------------------------------------------------------------------------------- */
void InputParser::feed(std::string_view bytes, std::vector<InputEvent>& out) {
    buf_.append(bytes.data(), bytes.size());
    while (!buf_.empty()) {
        const int n = parse_one(out, false);
        if (n == 0) break;
        buf_.erase(0, size_t(n < 0 ? -n : n));
    }
    if (buf_.size() > 64) buf_.clear();  // nothing legitimate is this long: garbage, not a sequence
}

void InputParser::flush(std::vector<InputEvent>& out) {
    while (!buf_.empty()) {
        const int n = parse_one(out, true);
        buf_.erase(0, size_t(n <= 0 ? (n < 0 ? -n : 1) : n));
    }
}

int InputParser::parse_one(std::vector<InputEvent>& out, bool final) {
    const std::string& b = buf_;
    const auto key = [&](uint32_t code, bool ctrl = false, bool alt = false, bool shift = false) {
        InputEvent e;
        e.code = code;
        e.ctrl = ctrl;
        e.alt = alt;
        e.shift = shift;
        out.push_back(e);
    };
    if (skip_csi_) {  // the rest of a dropped CSI: its parameter and intermediate bytes, then its final byte
        size_t i = 0;
        auto param = [&](size_t k) { const auto u = static_cast<unsigned char>(b[k]); return u >= 0x20 && u <= 0x3f; };
        while (i < b.size() && param(i)) ++i;
        if (i == b.size()) return -int(i);  // still inside it
        const unsigned char fin = static_cast<unsigned char>(b[i]);
        skip_csi_ = false;
        if (fin >= 0x40 && fin <= 0x7e) ++i;  // its final byte; anything else (Esc, a control) is read as itself
        return i ? -int(i) : parse_one(out, final);
    }
    const unsigned char c = static_cast<unsigned char>(b[0]);
    if (c != 0x1b) {
        if (c == '\r' || c == '\n') { key(uint32_t(Key::enter)); return 1; }
        if (c == '\t') { key(uint32_t(Key::tab)); return 1; }
        if (c == 0x7f || c == 0x08) { key(uint32_t(Key::backspace)); return 1; }
        if (c < 0x20) { key(uint32_t('a' + c - 1), true); return 1; }  // Ctrl-A .. Ctrl-Z
        uint32_t cp = 0;
        if (c >= 0x80) {
            const int need = (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 1;
            if (int(b.size()) < need && !final) return 0;
        }
        const int n = detail::utf8_next(b, 0, cp);
        if (cp == 0xfffd) return -n;  // not a key: drop the byte
        key(cp);
        return n;
    }
    // ESC: a lone Esc, Alt+key, CSI (ESC [) or SS3 (ESC O).
    if (b.size() == 1) {
        if (!final) return 0;
        key(uint32_t(Key::escape));
        return 1;
    }
    const unsigned char c1 = static_cast<unsigned char>(b[1]);
    if (c1 == 'O') {  // SS3: F1-F4 and application-mode arrows
        if (b.size() < 3) { if (!final) return 0; key(uint32_t(Key::escape)); return 1; }
        if (std::string_view("ABCDHFPQRS").find(b[2]) == std::string_view::npos) { key(uint32_t(Key::escape)); return 1; }
        switch (b[2]) {
        case 'A': key(uint32_t(Key::up)); break;
        case 'B': key(uint32_t(Key::down)); break;
        case 'C': key(uint32_t(Key::right)); break;
        case 'D': key(uint32_t(Key::left)); break;
        case 'H': key(uint32_t(Key::home)); break;
        case 'F': key(uint32_t(Key::end)); break;
        case 'P': key(uint32_t(Key::f1)); break;
        case 'Q': key(uint32_t(Key::f2)); break;
        case 'R': key(uint32_t(Key::f3)); break;
        case 'S': key(uint32_t(Key::f4)); break;
        default: break;
        }
        return 3;
    }
    if (c1 != '[') {
        // Esc followed at once by a key that forms no sequence is Esc, then that key: fast typing, pasted input and
        // SSH bursts deliver "Esc i" in one read (no command is bound to Alt, so nothing is lost).
        key(uint32_t(Key::escape));
        return 1;
    }
    // CSI: ESC [ parameters (0x30-0x3f) intermediates (0x20-0x2f) final (0x40-0x7e). ECMA-48 §5.4.
    size_t i = 2;
    while (i < b.size() && static_cast<unsigned char>(b[i]) >= 0x20 && static_cast<unsigned char>(b[i]) <= 0x3f) ++i;
    constexpr size_t kMaxCsi = 64;  // real keys and mouse reports are under 20 bytes
    if (i > kMaxCsi) {  // an endless parameter string is dropped, never buffered without limit, and what is left
        skip_csi_ = true;  // of it (more parameters, the final byte) is not read as keys
        return -int(i);
    }
    if (i >= b.size()) {
        if (!final) return 0;
        key(uint32_t(Key::escape));
        return 1;
    }
    const unsigned char fin = static_cast<unsigned char>(b[i]);
    const int used = int(i + 1);
    if (fin < 0x40 || fin > 0x7e) return -used;  // malformed: drop it
    const std::string params = b.substr(2, i - 2);
    // Split numeric parameters on ';', each clamped to 0..65535: only digits count (a '-' or any other byte makes
    // the parameter 0), so `ESC[1;-2147483648O` cannot overflow the arithmetic below (F13).
    std::vector<int> p;
    {
        size_t start = params.empty() || params[0] != '<' ? 0 : 1;
        while (start <= params.size()) {
            size_t semi = params.find(';', start);
            if (semi == std::string::npos) semi = params.size();
            int v = 0;
            for (size_t k = start; k < semi; ++k) {
                const char ch = params[k];
                if (ch < '0' || ch > '9') { v = 0; break; }
                v = std::min(65535, v * 10 + (ch - '0'));
            }
            p.push_back(v);
            start = semi + 1;
        }
    }
    if (!params.empty() && params[0] == '<' && (fin == 'M' || fin == 'm')) {  // SGR mouse (xterm 1006)
        if (p.size() < 3) return -used;
        InputEvent e;
        e.type = InputEvent::mouse;
        const int cb = p[0];
        e.shift = cb & 4;
        e.alt = cb & 8;
        e.ctrl = cb & 16;
        e.motion = cb & 32;
        e.button = (cb & 64) ? 64 + (cb & 3) : (cb & 3);
        e.x = std::max(0, p[1] - 1);
        e.y = std::max(0, p[2] - 1);
        e.press = fin == 'M';
        out.push_back(e);
        return used;
    }
    const int mod = p.size() >= 2 ? p[1] - 1 : 0;  // xterm modifier parameter: 1 + (shift 1, alt 2, ctrl 4)
    const bool shift = mod & 1, alt = mod & 2, ctrl = mod & 4;
    switch (fin) {
    case 'A': key(uint32_t(Key::up), ctrl, alt, shift); break;
    case 'B': key(uint32_t(Key::down), ctrl, alt, shift); break;
    case 'C': key(uint32_t(Key::right), ctrl, alt, shift); break;
    case 'D': key(uint32_t(Key::left), ctrl, alt, shift); break;
    case 'H': key(uint32_t(Key::home), ctrl, alt, shift); break;
    case 'F': key(uint32_t(Key::end), ctrl, alt, shift); break;
    case 'Z': key(uint32_t(Key::backtab)); break;
    case '~':
        switch (p.empty() ? 0 : p[0]) {
        case 1: case 7: key(uint32_t(Key::home), ctrl, alt, shift); break;
        case 4: case 8: key(uint32_t(Key::end), ctrl, alt, shift); break;
        case 2: key(uint32_t(Key::insert)); break;
        case 3: key(uint32_t(Key::del), ctrl, alt, shift); break;
        case 5: key(uint32_t(Key::page_up), ctrl, alt, shift); break;
        case 6: key(uint32_t(Key::page_down), ctrl, alt, shift); break;
        case 11: key(uint32_t(Key::f1)); break;
        case 12: key(uint32_t(Key::f2)); break;
        case 13: key(uint32_t(Key::f3)); break;
        case 14: key(uint32_t(Key::f4)); break;
        default: break;
        }
        break;
    default: break;  // other CSI replies (focus, device attributes): consumed, not keys
    }
    return used;
}


/// What a command's code sees: the view, the rows, the page, the frozen order.
struct CommandContext {
    ViewState& st;
    const ViewModel& vm;
    int screen_h, page_rows;
    std::vector<FlowKey>& frozen;
    int row_count() const { return int(st.view == ViewState::flows ? vm.rows.size() : vm.groups.size()); }
    void clamp_sel() {
        const int n = row_count();
        st.selected = std::clamp(st.selected, 0, std::max(0, n - 1));
        if (st.selected < st.scroll) st.scroll = st.selected;
        if (st.selected >= st.scroll + page_rows) st.scroll = st.selected - page_rows + 1;
        st.scroll = std::clamp(st.scroll, 0, std::max(0, n - page_rows));
    }
    void move(int by) { st.selected += by; clamp_sel(); }
    void switch_view(int v) {
        st.view = ViewState::View(v);
        st.drilled = false;
        st.selected = st.scroll = 0;
    }
    void set_sort(SortKey k) { st.sort = k; }
    void toggle_pin(size_t row) {
        if (st.view != ViewState::flows || row >= st_rows()) return;
        const FlowKey& k = vm.rows[row].key;
        auto it = std::find(st.pinned.begin(), st.pinned.end(), k);
        const bool pin = it == st.pinned.end();
        if (pin) st.pinned.push_back(k);
        else st.pinned.erase(it);
        st.message = (pin ? "pinned " : "unpinned ") + detail::row_label(vm.rows[row], st);
    }
    size_t st_rows() const { return vm.rows.size(); }
};

namespace detail {
inline std::string on_off(bool b, const char* what) { return std::string(what) + (b ? " on" : " off"); }
inline std::string yes_no(bool b) { return b ? "yes" : "no"; }
inline const char* port_display(const ViewSettings& s) {
    return !s.show_ports ? "off" : s.show_src_port && s.show_dst_port ? "on" : s.show_src_port ? "source-only" : "destination-only";
}
inline std::string port_display_says(const ViewState& s) {  // iftop's words
    const std::string v = port_display(s);
    return v == "off" ? "Port display OFF" : v == "on" ? "Port display ON" : v == "source-only" ? "Port display SOURCE ONLY" : "Port display DEST ONLY";
}
inline const char* sort_config(SortKey k) {
    static const char* const n[] = {"2s", "10s", "40s", "source", "destination", "10s"};
    return n[static_cast<int>(k)];
}
inline std::string sort_says(const ViewState& s) {
    static const char* const n[] = {"the 2s average", "the 10s average", "the 40s average", "source name", "destination name", "total"};
    return std::string("sort by ") + n[static_cast<int>(s.sort)] + (s.reverse ? ", reversed" : "") +
           (s.paused ? " (pending: applies when P resumes the display)" : "");
}
inline const char* bar_style_name(ViewSettings::BarStyle b) {
    static const char* const n[] = {"solid", "gradient", "thin", "ascii"};
    return n[b];
}
inline const char* line_mode_name(ViewSettings::LineMode m) {
    static const char* const n[] = {"two-line", "one-line-both", "one-line-sent", "one-line-received"};
    return n[m];
}
inline const char* window_name(int w) { return w == 0 ? "2s" : w == 1 ? "10s" : "40s"; }

/// custom-themes: NAME=#rrggbb ... ; NAME=... (`theme:` names the one in use).
inline std::string custom_themes_text(const ViewSettings& s) {
    std::string o;
    for (size_t i = 0; i < s.custom_themes.size(); ++i) {
        const CustomTheme& c = s.custom_themes[i];
        if (!o.empty()) o += "; ";
        o += c.name + "=";
        for (size_t r = 0; r < kRoles; ++r) {
            char hex[10];
            std::snprintf(hex, sizeof hex, "%s#%06x", r ? " " : "", unsigned(c.colors[r] & 0xffffff));
            o += hex;
        }
    }
    return o;
}

/// A theme name as typed: control and separator characters (; = # :) dropped, at most 32 columns, trimmed.
inline std::string clean_theme_name(std::string_view typed) {
    std::string s;
    for (size_t i = 0; i < typed.size();) {
        uint32_t cp = 0;
        const int n = utf8_next(typed, i, cp);
        if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) && cp != 0xfffd && cp != ';' && cp != '=' && cp != '#' &&
            cp != ':' && codepoint_width(cp) > 0)
            s.append(typed.substr(i, size_t(n)));
        i += size_t(n);
    }
    s = cut_cols(trim(s), 32);
    return std::string(trim(s));
}
}  // namespace detail

namespace detail {
/// The command table's "Host display" rows.
inline std::vector<Command> host_commands() {
    using C = CommandContext;
    using S = const ViewState&;
    using V = const ViewSettings&;
    using A = InputAction;
    return {
        {{'n'}, "`n`", "Host display", "host names (DNS) on or off", nullptr, "dns-resolution",
         [](C& c) { c.st.dns = !c.st.dns; return A::none; }, [](S s) { return on_off(s.dns, "DNS resolution"); },
         [](V s) { return yes_no(s.dns); }},
        {{'s'}, "`s`", "Host display", "hide (aggregate) the source host, or show it", nullptr, "hide-source",
         [](C& c) { c.st.hide_src = !c.st.hide_src; c.st.selected = c.st.scroll = 0; return A::none; },
         [](S s) { return std::string(s.hide_src ? "source host hidden (aggregated)" : "source host shown"); },
         [](V s) { return yes_no(s.hide_src); }},
        {{'d'}, "`d`", "Host display", "hide (aggregate) the destination host, or show it", nullptr, "hide-destination",
         [](C& c) { c.st.hide_dst = !c.st.hide_dst; c.st.selected = c.st.scroll = 0; return A::none; },
         [](S s) { return std::string(s.hide_dst ? "destination host hidden (aggregated)" : "destination host shown"); },
         [](V s) { return yes_no(s.hide_dst); }},
        {{'t'}, "`t`", "Host display", "lines: two per flow, one (total), sent only, received only", nullptr, "line-display",
         [](C& c) { c.st.line_mode = ViewState::LineMode((c.st.line_mode + 1) % 4); c.clamp_sel(); return A::none; },
         [](S s) {
             static const char* const m[] = {"two lines per flow", "one line per flow (sent and received)",
                                             "one line per flow (sent)", "one line per flow (received)"};
             return std::string(m[s.line_mode]);
         },
         [](V s) { return std::string(line_mode_name(s.line_mode)); }},
    };
}

/// The command table's "Port display" rows.
inline std::vector<Command> port_commands() {
    using C = CommandContext;
    using S = const ViewState&;
    using V = const ViewSettings&;
    using A = InputAction;
    return {
        {{'N'}, "`N`", "Port display", "port names (services) or numbers", nullptr, "port-resolution",
         [](C& c) { c.st.port_names = !c.st.port_names; return A::none; }, [](S s) { return on_off(s.port_names, "port names"); },
         [](V s) { return yes_no(s.port_names); }},
        {{'S'}, "`S`", "Port display", "source port on or off", nullptr, "port-display",
         [](C& c) {
             if (!c.st.show_ports) { c.st.show_ports = c.st.show_src_port = true; c.st.show_dst_port = false; }
             else c.st.show_src_port = !c.st.show_src_port;
             if (!c.st.show_src_port && !c.st.show_dst_port) c.st.show_ports = false, c.st.show_src_port = c.st.show_dst_port = true;
             return A::none;
         },
         port_display_says, [](V s) { return std::string(port_display(s)); }},
        {{'D'}, "`D`", "Port display", "destination port on or off", nullptr, "port-display",
         [](C& c) {
             if (!c.st.show_ports) { c.st.show_ports = c.st.show_dst_port = true; c.st.show_src_port = false; }
             else c.st.show_dst_port = !c.st.show_dst_port;
             if (!c.st.show_src_port && !c.st.show_dst_port) c.st.show_ports = false, c.st.show_src_port = c.st.show_dst_port = true;
             return A::none;
         },
         port_display_says, [](V s) { return std::string(port_display(s)); }},
        {{'p'}, "`p`", "Port display", "all ports on or off (off: one row per host pair)", nullptr, "port-display",
         [](C& c) { c.st.show_ports = !c.st.show_ports; c.st.show_src_port = c.st.show_dst_port = true; c.st.selected = c.st.scroll = 0; return A::none; },
         port_display_says, [](V s) { return std::string(port_display(s)); }},
    };
}

/// The command table's "Sorting" rows.
inline std::vector<Command> sort_commands() {
    using C = CommandContext;
    using S = const ViewState&;
    using V = const ViewSettings&;
    using A = InputAction;
    return {
        {{'1'}, "`1`", "Sorting", "sort by the 2 s column", "click the 2s title", "sort",
         [](C& c) { c.set_sort(SortKey::rate_2s); return A::none; }, sort_says, [](V s) { return std::string(sort_config(s.sort)); }},
        {{'2'}, "`2`", "Sorting", "sort by the 10 s column", "click the 10s title", "sort",
         [](C& c) { c.set_sort(SortKey::rate_10s); return A::none; }, sort_says, [](V s) { return std::string(sort_config(s.sort)); }},
        {{'3'}, "`3`", "Sorting", "sort by the 40 s column", "click the 40s title", "sort",
         [](C& c) { c.set_sort(SortKey::rate_40s); return A::none; }, sort_says, [](V s) { return std::string(sort_config(s.sort)); }},
        {{'<'}, "`<`", "Sorting", "sort by source name", "click over the source hosts", "sort",
         [](C& c) { c.set_sort(SortKey::source); return A::none; }, sort_says, [](V s) { return std::string(sort_config(s.sort)); }},
        {{'>'}, "`>`", "Sorting", "sort by destination name", "click over the destinations", "sort",
         [](C& c) { c.set_sort(SortKey::destination); return A::none; }, sort_says, [](V s) { return std::string(sort_config(s.sort)); }},
        {{'r'}, "`r`", "Sorting", "reverse the sort", "click the sorted title again", nullptr,
         [](C& c) { c.st.reverse = !c.st.reverse; return A::none; }, sort_says, nullptr},
        {{'o'}, "`o`", "Sorting", "freeze the order (flows not shown then stay off)", nullptr, nullptr,
         [](C& c) { c.st.frozen = !c.st.frozen; if (!c.st.frozen) c.frozen.clear(); return A::none; },
         [](S s) { return std::string(s.frozen ? "order frozen" : "order follows the sort"); }, nullptr},
    };
}

/// The command table's "Display" rows.
inline std::vector<Command> display_commands() {
    using C = CommandContext;
    using S = const ViewState&;
    using V = const ViewSettings&;
    using A = InputAction;
    return {
        {{'P'}, "`P`", "Display", "pause the display (capture goes on)", nullptr, nullptr,
         [](C& c) { c.st.paused = !c.st.paused; return A::none; },
         [](S s) { return std::string(s.paused ? "display paused (capture goes on)" : "display resumed"); }, nullptr},
        {{'b'}, "`b`", "Display", "bars on or off", nullptr, "show-bars",
         [](C& c) { c.st.bars = !c.st.bars; return A::none; }, [](S s) { return on_off(s.bars, "bars"); },
         [](V s) { return yes_no(s.bars); }},
        {{'B'}, "`B`", "Display", "bars show the 2 s, 10 s or 40 s average", nullptr, "bar-average",
         [](C& c) { c.st.bar_window = (c.st.bar_window + 1) % 3; return A::none; },
         [](S s) { return std::string("bars show the ") + window_name(s.bar_window) + " average"; },
         [](V s) { return std::string(window_name(s.bar_window)); }},
        {{'v'}, "`v`", "Display", "bar style: solid, gradient, thin, ascii", nullptr, "bar-style",
         [](C& c) { c.st.bar_style = ViewState::BarStyle((c.st.bar_style + 1) % 4); c.st.bars = true; return A::none; },
         [](S s) { return std::string("bar style: ") + bar_style_name(s.bar_style); },
         [](V s) { return std::string(bar_style_name(s.bar_style)); }},
        {{'T'}, "`T`", "Display", "cumulative column on or off", nullptr, "show-totals",
         [](C& c) { c.st.cumulative = !c.st.cumulative; return A::none; }, [](S s) { return on_off(s.cumulative, "cumulative column"); },
         [](V s) { return yes_no(s.cumulative); }},
        {{'L'}, "`L`", "Display", "logarithmic or linear scale (-m fixes its top)", nullptr, "log-scale",
         [](C& c) { c.st.log_scale = !c.st.log_scale; return A::none; },
         [](S s) { return std::string(s.log_scale ? "logarithmic scale" : "linear scale"); }, [](V s) { return yes_no(s.log_scale); }},
        {{'Z'}, "`Z`", "Display", "the [pid:name] column on or off (100+ columns)", nullptr, "process-column",
         [](C& c) { c.st.show_processes = !c.st.show_processes; return A::none; },
         [](S s) { return on_off(s.show_processes, "process column"); }, [](V s) { return yes_no(s.show_processes); }},
        {{'g'}, "`g`", "Display", "status bar on or off", nullptr, "status-bar",
         [](C& c) { c.st.status_bar = !c.st.status_bar; return A::none; }, [](S s) { return on_off(s.status_bar, "status bar"); },
         [](V s) { return yes_no(s.status_bar); }},
        {{'x'}, "`x`", "Display", "a frame around the screen", nullptr, "border",
         [](C& c) { c.st.border = !c.st.border; return A::none; }, [](S s) { return on_off(s.border, "frame"); },
         [](V s) { return yes_no(s.border); }},
        {{'H'}, "`H`", "Display", "status-bar tooltips on hover on or off", "rest on a status part", "hover-tooltips",
         [](C& c) { c.st.hover_tips = !c.st.hover_tips; c.st.status_tip = -1; return A::none; },
         [](S s) { return on_off(s.hover_tips, "hover tooltips"); }, [](V s) { return yes_no(s.hover_tips); }},
        {{'R'}, "`R`", "Display", "redraw every 1, 2, 5 or 10 s", nullptr, "refresh",
         [](C& c) { c.st.refresh = c.st.refresh == 1 ? 2 : c.st.refresh == 2 ? 5 : c.st.refresh == 5 ? 10 : 1; return A::none; },
         [](S s) { return "refresh every " + std::to_string(s.refresh) + " s"; }, [](V s) { return std::to_string(s.refresh); }},
        {{'c'}, "`c`", "Display", "theme chooser: previews live, Enter keeps, Esc goes back", "click a name", "theme",
         [](C& c) { c.st.chooser = true; c.st.chooser_from = c.st.theme; return A::none; }, nullptr,
         [](V s) {  // a custom theme by its name: custom-themes defines it
             const size_t custom = s.theme - themes().size();  // wraps to huge for a built-in theme
             if (custom < s.custom_themes.size()) return s.custom_themes[custom].name;
             return std::string(s.theme < themes().size() ? themes()[s.theme].name : themes()[0].name);
         }},
        {{'C'}, "`C`", "Display", "theme editor: change colours live, name and save the theme", nullptr, "custom-themes",
         [](C& c) {
             ViewUi::Editor& e = c.st.editor;
             const Theme t = current_theme(c.st);
             e = ViewUi::Editor{};
             e.open = true;
             e.from = c.st.theme;
             e.name = c.st.theme >= themes().size() ? t.name : std::string(t.name) + " custom";
             e.colors.name = e.name;
             std::copy(t.colors, t.colors + kRoles, e.colors.colors.begin());
             return A::none;
         },
         nullptr, custom_themes_text},
    };
}

/// The command table's "Views" rows.
inline std::vector<Command> view_commands() {
    using C = CommandContext;
    using S = const ViewState&;
    using V = const ViewSettings&;
    using A = InputAction;
    return {
        {{uint32_t(Key::tab)}, "`Tab`", "Views", "next view: Flows, Processes, Publishers", "click a tab in the status bar",
         nullptr, [](C& c) { c.switch_view((c.st.view + 1) % 3); return A::none; }, nullptr, nullptr},
        {{uint32_t(Key::backtab)}, "`Shift-Tab`", "Views", "previous view", nullptr, nullptr,
         [](C& c) { c.switch_view((c.st.view + 2) % 3); return A::none; }, nullptr, nullptr},
        {{uint32_t(Key::enter)}, "`Enter`", "Views", "details of the flow, or the flows of a process or package",
         "right click a row", nullptr,
         [](C& c) {
             ViewState& st = c.st;
             if (st.view == ViewState::flows && st.selected < int(c.vm.rows.size())) {
                 st.tooltip = true;
                 st.tooltip_x = 2;
                 st.tooltip_y = 2 + (st.selected - st.scroll) * lines_per_row(st);
             } else if (st.view != ViewState::flows && st.selected < int(c.vm.groups.size())) {
                 const OwnerGroup& g = c.vm.groups[size_t(st.selected)];
                 st.drill_from = st.view;
                 st.drill_publisher = st.view == ViewState::publishers;
                 st.drill_pid = g.pid;
                 st.drill_name = g.name;
                 st.drilled = true;
                 st.view = ViewState::flows;
                 st.selected = st.scroll = 0;
             }
             return A::none;
         },
         nullptr, nullptr},
        {{uint32_t(Key::escape)}, "`Esc`", "Views", "close the details, or leave a drill-down", nullptr, nullptr,
         [](C& c) {
             ViewState& st = c.st;
             if (st.tooltip) st.tooltip = false;
             else if (st.drilled) { st.drilled = false; st.view = st.drill_from; st.selected = st.scroll = 0; }
             return A::none;
         },
         nullptr, nullptr},
        {{'F'}, "`F`", "Views", "pin the selected flow to the top, or unpin it", "middle click a row", "pinned-flows",
         [](C& c) { c.toggle_pin(size_t(std::max(0, c.st.selected))); return A::none; }, nullptr,
         [](V s) {
             std::string pins;
             for (const FlowKey& k : s.pinned) pins += (pins.empty() ? "" : ", ") + flow_key_text(k);
             return pins;
         }},
        {{'U'}, "`U`", "Views", "unpin all flows", nullptr, "pinned-flows",
         [](C& c) { c.st.pinned.clear(); return A::none; }, [](S) { return std::string("pins cleared"); },
         [](V s) {
             std::string pins;
             for (const FlowKey& k : s.pinned) pins += (pins.empty() ? "" : ", ") + flow_key_text(k);
             return pins;
         }},
        {{'l', '/'}, "`l` `/`", "Views", "screen filter on what the rows show (Esc clears)", nullptr, nullptr,
         [](C& c) { c.st.editing_filter = true; c.st.cursor = c.st.filter.size(); return A::none; }, nullptr, nullptr},
        {{'0'}, "`0`", "Views", "clear the screen filter", nullptr, nullptr,
         [](C& c) { c.st.filter.clear(); c.st.selected = c.st.scroll = 0; return A::none; },
         [](S) { return std::string("screen filter cleared"); }, nullptr},
        {{'f'}, "`f`", "Views", "edit the capture filter code (BPF) live", nullptr, nullptr,
         [](C& c) { c.st.editing_bpf = true; c.st.edit_undo = c.st.bpf; c.st.cursor = c.st.bpf.size(); return A::none; }, nullptr, nullptr},
        {{'i'}, "`i`", "Views", "interface chooser: capture switches live", nullptr, nullptr,
         [](C&) { return A::list_interfaces; }, nullptr, nullptr},
        {{'y'}, "`y`", "Views", "copy the selected flow (OSC 52: works over SSH)", nullptr, nullptr,
         [](C&) { return A::copy; }, nullptr, nullptr},
        {{'e'}, "`e`", "Views", "export the rows to ./iftop-export-DATE.txt", nullptr, nullptr,
         [](C&) { return A::export_flows; }, nullptr, nullptr},
    };
}

/// The command table's "Moving" rows (and the ones after it in the help, for "Moving": "General").
inline std::vector<Command> moving_commands() {
    using C = CommandContext;
    using A = InputAction;
    constexpr uint32_t up = uint32_t(Key::up), down = uint32_t(Key::down), pgup = uint32_t(Key::page_up),
                       pgdn = uint32_t(Key::page_down), home = uint32_t(Key::home), end = uint32_t(Key::end);
    return {
        {{'j', down}, "`j` `↓`", "Moving", "next row", "wheel down", nullptr, [](C& c) { c.move(1); return A::none; }, nullptr, nullptr},
        {{'k', up}, "`k` `↑`", "Moving", "previous row", "wheel up", nullptr, [](C& c) { c.move(-1); return A::none; }, nullptr, nullptr},
        {{pgdn}, "`PgDn`", "Moving", "next page", nullptr, nullptr, [](C& c) { c.move(c.page_rows); return A::none; }, nullptr, nullptr},
        {{pgup}, "`PgUp`", "Moving", "previous page", nullptr, nullptr, [](C& c) { c.move(-c.page_rows); return A::none; }, nullptr, nullptr},
        {{ctrl_key('d')}, "`Ctrl-D`", "Moving", "half a page down", nullptr, nullptr,
         [](C& c) { c.move(c.page_rows / 2); return A::none; }, nullptr, nullptr},
        {{ctrl_key('u')}, "`Ctrl-U`", "Moving", "half a page up", nullptr, nullptr,
         [](C& c) { c.move(-(c.page_rows / 2)); return A::none; }, nullptr, nullptr},
        {{home}, "`Home`", "Moving", "first row", nullptr, nullptr, [](C& c) { c.st.selected = 0; c.clamp_sel(); return A::none; }, nullptr, nullptr},
        {{'G', end}, "`G` `End`", "Moving", "last row", nullptr, nullptr,
         [](C& c) { c.st.selected = c.row_count() - 1; c.clamp_sel(); return A::none; }, nullptr, nullptr},
        {{0}, "click", "Moving", "select a row", "left click", nullptr, nullptr, nullptr, nullptr},
        {{'h', '?'}, "`h` `?`", "General", "this help (j/k scroll it, Esc closes it)", nullptr, nullptr,
         [](C& c) { c.st.help = true; c.st.help_scroll = 0; return A::none; }, nullptr, nullptr},
        {{'q'}, "`q`", "General", "quit", nullptr, nullptr, [](C&) { return A::quit; }, nullptr, nullptr},
        {{ctrl_key('c')}, "`Ctrl-C`", "General", "quit, from every mode (editors and choosers too)", nullptr, nullptr,
         [](C&) { return A::quit; }, nullptr, nullptr},
        {{ctrl_key('z')}, "`Ctrl-Z`", "General", "suspend; fg takes the screen back", nullptr, nullptr,
         [](C&) { return A::suspend; }, nullptr, nullptr},
    };
}

}  // namespace detail

const std::vector<Command>& commands() {
    static const std::vector<Command> table = [] {
        std::vector<Command> t;
        for (Command& c : detail::host_commands()) t.push_back(c);
        for (Command& c : detail::port_commands()) t.push_back(c);
        for (Command& c : detail::sort_commands()) t.push_back(c);
        for (Command& c : detail::display_commands()) t.push_back(c);
        for (Command& c : detail::view_commands()) t.push_back(c);
        for (Command& c : detail::moving_commands()) t.push_back(c);
        return t;
    }();
    return table;
}

const Command* find_command(const InputEvent& e) {
    if (e.type != InputEvent::key || e.alt || e.code == 0) return nullptr;
    const uint32_t code = e.ctrl ? ctrl_key(char(e.code)) : e.code;
    for (const Command& c : commands())
        if (c.run && std::find(c.keys.begin(), c.keys.end(), code) != c.keys.end()) return &c;
    return nullptr;
}

namespace detail {
/// A label without the README's backticks.
inline std::string plain_label(const char* label) {
    std::string s;
    for (const char* p = label; *p; ++p)
        if (*p != '`') s += *p;
    return s;
}
}  // namespace detail

std::vector<std::string> help_lines() {
    using namespace detail;
    std::vector<std::string> out;
    std::string group;
    for (const Command& c : commands()) {
        if (!c.run) continue;
        if (group != c.group) {
            if (!out.empty()) out.push_back("");
            out.push_back(group = c.group);
        }
        out.push_back(" " + pad_cols(plain_label(c.label), 11) + " " + c.help);
    }
    out.push_back("");
    out.push_back("Mouse");
    for (const Command& c : commands())
        if (c.mouse) out.push_back(" " + pad_cols(c.mouse, 30) + " " + (c.run ? "as " + plain_label(c.label) : std::string(c.help)));
    out.push_back(" " + pad_cols("right click a status part", 30) + " its tooltip");
    return out;
}

std::string key_table_markdown() {
    std::string o = "| key | action | mouse | saved as |\n|---|---|---|---|\n";
    for (const Command& c : commands())
        o += std::string("| ") + c.label + " | " + c.help + " | " + (c.mouse ? c.mouse : "") + " | " +
             (c.config ? std::string("`") + c.config + "`" : std::string()) + " |\n";
    return o;
}

namespace detail {
/// The value of `custom-themes:` (NAME=#rrggbb ... ; ...); a damaged entry is skipped, the others kept. `active`,
/// when given, gets 1 + the index of the entry marked '*' (as files written before `theme:` named custom themes).
inline std::vector<CustomTheme> parse_custom_themes(std::string_view val, size_t* active) {
    std::vector<CustomTheme> out;
    for (std::string_view rest = val; !rest.empty();) {
        const size_t semi = rest.find(';');
        std::string_view item = trim(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        const bool star = !item.empty() && item[0] == '*';
        if (star) item.remove_prefix(1);
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos) continue;
        CustomTheme t;
        t.name = clean_theme_name(item.substr(0, eq));
        std::string_view cols = item.substr(eq + 1);
        size_t r = 0;
        for (; r < kRoles; ++r) {
            cols = trim(cols);
            uint32_t v = 0;
            if (cols.size() < 7 || cols[0] != '#') break;
            auto res = std::from_chars(cols.data() + 1, cols.data() + 7, v, 16);
            if (res.ec != std::errc() || res.ptr != cols.data() + 7) break;
            t.colors[r] = v;
            cols.remove_prefix(7);
        }
        if (r != kRoles || t.name.empty()) continue;
        out.push_back(t);
        if (star && active) *active = out.size();
    }
    return out;
}

/// Whether a config text's `custom-themes:` defines a theme of this name (case-insensitive), for `theme:`.
inline bool config_defines_theme(std::string_view text, std::string_view name) {
    bool found = false;
    for_each_line(text, [&](std::string_view line) {
        line = trim(line);
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "custom-themes") return;
        for (const CustomTheme& t : parse_custom_themes(trim(line.substr(colon + 1)), nullptr))
            found = found || lower(t.name) == lower(clean_theme_name(name));
    });
    return found;
}
}  // namespace detail

std::vector<std::pair<std::string, std::string>> config_items(const ViewSettings& st) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Command& c : commands()) {
        if (!c.config || !c.saved) continue;
        bool seen = false;
        for (const auto& kv : out) seen = seen || kv.first == c.config;
        if (!seen) out.emplace_back(c.config, c.saved(st));
    }
    return out;
}

void apply_screen_config(std::string_view text, ViewSettings& st) {
    using namespace detail;
    std::string theme_named;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        const std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        const size_t colon = line.find(':');
        if (line.empty() || line[0] == '#' || colon == std::string_view::npos) continue;
        const std::string_view key = trim(line.substr(0, colon)), val = trim(line.substr(colon + 1));
        const bool yes = val == "yes" || val == "on" || val == "true";
        int n = 0;
        if (key == "hover-tooltips") st.hover_tips = yes;
        else if (key == "status-bar") st.status_bar = yes;
        else if (key == "border") st.border = yes;
        else if (key == "process-column") st.show_processes = yes;
        else if (key == "refresh" && parse_number(val, n) && (n == 1 || n == 2 || n == 5 || n == 10)) st.refresh = n;
        else if (key == "bar-average") st.bar_window = val == "2s" ? 0 : val == "40s" ? 2 : 1;
        else if (key == "port-display" && st.show_ports) {
            st.show_src_port = val != "destination-only";
            st.show_dst_port = val != "source-only";
        } else if (key == "custom-themes") {
            size_t active = 0;
            st.custom_themes = parse_custom_themes(val, &active);
            if (active) st.theme = themes().size() + active - 1;  // files before `theme:` could name one
        } else if (key == "theme") {
            theme_named = std::string(val);
        }
    }
    // `theme:` names a built-in theme (the command line has applied it) or one of the file's custom themes.
    for (size_t i = 0; !theme_named.empty() && !find_theme(theme_named) && i < st.custom_themes.size(); ++i)
        if (lower(st.custom_themes[i].name) == lower(clean_theme_name(theme_named))) st.theme = themes().size() + i;
}

namespace detail {
/// The line editors' keys: Left/Right/Home/End/Delete/Backspace, Ctrl-A/E/K/U/W, typed text at the cursor (UTF-8
/// whole code points; `ascii_only` for filter code). False when the key is not an edit.
inline bool edit_line(std::string& s, size_t& cur, const InputEvent& e, size_t max_bytes, bool ascii_only) {
    cur = std::min(cur, s.size());
    const uint32_t c = e.code;
    const auto prev = [&](size_t i) { do --i; while (i > 0 && (uint8_t(s[i]) & 0xc0) == 0x80); return i; };
    const auto next = [&](size_t i) { do ++i; while (i < s.size() && (uint8_t(s[i]) & 0xc0) == 0x80); return i; };
    if (c == uint32_t(Key::left)) { if (cur > 0) cur = prev(cur); }
    else if (c == uint32_t(Key::right)) { if (cur < s.size()) cur = next(cur); }
    else if (c == uint32_t(Key::home) || (e.ctrl && c == 'a')) cur = 0;
    else if (c == uint32_t(Key::end) || (e.ctrl && c == 'e')) cur = s.size();
    else if (c == uint32_t(Key::backspace)) { if (cur > 0) { const size_t p = prev(cur); s.erase(p, cur - p); cur = p; } }
    else if (c == uint32_t(Key::del)) { if (cur < s.size()) s.erase(cur, next(cur) - cur); }
    else if (e.ctrl && c == 'k') s.erase(cur);
    else if (e.ctrl && c == 'u') { s.erase(0, cur); cur = 0; }
    else if (e.ctrl && c == 'w') {
        size_t p = cur;
        while (p > 0 && s[p - 1] == ' ') --p;
        while (p > 0 && s[p - 1] != ' ') --p;
        s.erase(p, cur - p);
        cur = p;
    } else if (!e.ctrl && !e.alt && c >= 0x20 && c != 0x7f && c < (ascii_only ? 0x7fu : 0x110000u) && !(c >= 0x80 && c < 0xa0)) {
        std::string u;
        put_utf8(u, c);
        if (s.size() + u.size() > max_bytes) return true;
        s.insert(cur, u);
        cur += u.size();
    } else {
        return false;
    }
    return true;
}

/// Keys while the help is open: it scrolls; nothing behind it moves.
inline InputAction on_key_help(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const int n = int(help_lines().size()), inner = std::min(cx.screen_h, n + 2) - 2, most = std::max(0, n - inner);
    const uint32_t k = e.code;
    if (k == 'j' || k == uint32_t(Key::down)) ++st.help_scroll;
    else if (k == 'k' || k == uint32_t(Key::up)) --st.help_scroll;
    else if (k == uint32_t(Key::page_down) || k == ' ') st.help_scroll += inner;
    else if (k == uint32_t(Key::page_up)) st.help_scroll -= inner;
    else if (k == uint32_t(Key::home)) st.help_scroll = 0;
    else if (k == uint32_t(Key::end) || k == 'G') st.help_scroll = most;
    else if (k == uint32_t(Key::escape) || k == 'h' || k == '?' || k == uint32_t(Key::enter)) st.help = false;
    else if (k == 'q') return InputAction::quit;
    st.help_scroll = std::clamp(st.help_scroll, 0, most);
    return InputAction::none;
}

/// Keys in the l// and f line editors.
inline InputAction on_key_line_editor(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const uint32_t c = e.code;
    if (st.editing_bpf) {  // the loop applies it on Enter
        if (c == uint32_t(Key::enter)) { st.editing_bpf = false; return InputAction::apply_filter; }
        if (c == uint32_t(Key::escape)) { st.editing_bpf = false; st.bpf = st.edit_undo; st.message = "filter code unchanged"; }
        else edit_line(st.bpf, st.cursor, e, 1024, true);
        return InputAction::none;
    }
    if (c == uint32_t(Key::enter)) st.editing_filter = false;
    else if (c == uint32_t(Key::escape)) { st.editing_filter = false; st.filter.clear(); }
    else if (!edit_line(st.filter, st.cursor, e, 256, false)) return InputAction::none;
    st.scroll = st.selected = 0;
    return InputAction::none;
}

/// Keys in the theme chooser: the screen previews the theme under the cursor.
inline InputAction on_key_theme_chooser(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const size_t n = theme_count(st);
    const uint32_t k = e.code;
    if (k == uint32_t(Key::up) || k == 'k') st.theme = (st.theme + n - 1) % n;
    else if (k == uint32_t(Key::down) || k == 'j') st.theme = (st.theme + 1) % n;
    else if (k == uint32_t(Key::enter) || k == 'c') { st.chooser = false; st.message = "theme " + theme_name(st, st.theme); }
    else if (k == uint32_t(Key::escape) || k == 'q') { st.chooser = false; st.theme = st.chooser_from; }
    return InputAction::none;
}

/// Saves the edited palette as a custom theme (replacing one of the same name) and shows it.
inline void save_edited_theme(ViewState& st) {
    ViewUi::Editor& ed = st.editor;
    std::string name = clean_theme_name(ed.name);
    if (name.empty()) name = "Custom";
    if (find_theme(name)) name += " custom";  // a built-in keeps its name
    ed.colors.name = name;
    size_t i = 0;
    while (i < st.custom_themes.size() && lower(st.custom_themes[i].name) != lower(name)) ++i;
    if (i == st.custom_themes.size()) st.custom_themes.push_back(ed.colors);
    else st.custom_themes[i] = ed.colors;
    st.theme = themes().size() + i;
    ed.open = false;
    st.message = "theme " + name + " saved";
}

/// Keys in the theme editor: ↑↓ slot, ←→ channel, +/- by 1, PgUp/PgDn by 16; Enter names it, Enter again saves.
inline InputAction on_key_theme_editor(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    ViewUi::Editor& ed = st.editor;
    const uint32_t k = e.code;
    if (ed.naming) {
        if (k == uint32_t(Key::enter)) save_edited_theme(st);
        else if (k == uint32_t(Key::escape)) ed.naming = false;
        else edit_line(ed.name, st.cursor, e, 128, false);
        return InputAction::none;
    }
    Rgb& c = ed.colors.colors[size_t(ed.role)];
    const int shift = 16 - 8 * ed.channel;
    const auto bump = [&](int by) {
        const int v = std::clamp(int(c >> shift & 0xff) + by, 0, 255);
        c = (c & ~(Rgb(0xff) << shift)) | (Rgb(v) << shift);
    };
    if (k == uint32_t(Key::up) || k == 'k') ed.role = (ed.role + int(kRoles) - 1) % int(kRoles);
    else if (k == uint32_t(Key::down) || k == 'j') ed.role = (ed.role + 1) % int(kRoles);
    else if (k == uint32_t(Key::left) || k == 'h') ed.channel = (ed.channel + 2) % 3;
    else if (k == uint32_t(Key::right) || k == 'l') ed.channel = (ed.channel + 1) % 3;
    else if (k == '+' || k == '=') bump(1);
    else if (k == '-') bump(-1);
    else if (k == uint32_t(Key::page_up)) bump(16);
    else if (k == uint32_t(Key::page_down)) bump(-16);
    else if (k == uint32_t(Key::enter)) { ed.naming = true; st.cursor = ed.name.size(); }
    else if (k == uint32_t(Key::escape) || k == 'q') { ed.open = false; st.theme = ed.from; st.message = "theme unchanged"; }
    return InputAction::none;
}

/// Keys in the interface chooser.
inline InputAction on_key_interfaces(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const int n = int(st.interfaces.size());
    const uint32_t k = e.code;
    if (k == uint32_t(Key::up) || k == 'k') st.interface_sel = (st.interface_sel + n - 1) % n;
    else if (k == uint32_t(Key::down) || k == 'j') st.interface_sel = (st.interface_sel + 1) % n;
    else if (k == uint32_t(Key::enter)) return InputAction::switch_interface;
    else if (k == uint32_t(Key::escape) || k == 'q' || k == 'i') st.interfaces.clear();
    return InputAction::none;
}

/// Keys outside every overlay: the command table.
inline InputAction on_key_command(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    st.message.clear();
    if (e.code != uint32_t(Key::escape)) st.tooltip = false;
    const Command* c = find_command(e);
    if (!c) return InputAction::none;
    const InputAction a = c->run(cx);
    if (c->says) st.message = c->says(st);
    return a;
}

/// The mouse in the theme chooser: the wheel previews, a click on a name picks it, a click elsewhere keeps the
/// theme shown.
inline InputAction on_mouse_chooser(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const size_t n = theme_count(st);
    if (e.button == 64) st.theme = (st.theme + n - 1) % n;
    else if (e.button == 65) st.theme = (st.theme + 1) % n;
    else if (e.button == 0 && e.press) {
        const int w = st.screen_w - (st.border ? 2 : 0), bw = std::min(w, 46), x0 = std::clamp(w - bw - 1, 0, w - bw);
        const int bh = std::min(cx.screen_h - 1, int(n) + 2), y0 = (cx.screen_h - bh) / 2;
        const int row = e.y - (y0 + 1);
        if (e.x > x0 && e.x < x0 + bw - 1 && row >= 0 && row < bh - 2)
            st.theme = size_t(std::min(int(n) - 1, chooser_first(cx.screen_h, int(n), int(st.theme)) + row));
        st.chooser = false;
        st.message = "theme " + theme_name(st, st.theme);
    }
    return InputAction::none;
}

/// Pointer motion (all-motion reports, only while the status bar is shown): the hover delay runs in the loop.
inline InputAction on_mouse_motion(CommandContext& cx, const InputEvent& e, bool on_status) {
    ViewState& st = cx.st;
    st.hover_segment = on_status && st.hover_tips ? status_segment_at(st, cx.vm, e.x) : -1;
    if (st.hover_segment != st.status_tip) st.status_tip = -1;
    return InputAction::none;
}

/// A click on the status bar: a tab switches the view, a right click opens (or closes) a part's tooltip.
inline InputAction on_mouse_status(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    if (e.button == 2) {
        const int seg = status_segment_at(st, cx.vm, e.x);
        st.status_tip = seg == st.status_tip ? -1 : seg;
        return InputAction::none;
    }
    st.status_tip = -1;
    const int tab = view_tab_at(st, e.x);
    if (e.button == 0 && tab >= 0 && tab != int(st.view)) cx.switch_view(tab);
    return InputAction::none;
}

/// A left click on the scale line: a column title sorts by it (again: reverses).
inline void on_click_titles(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const Columns c = columns(st, cx.vm, st.screen_w - (st.border ? 2 : 0));
    SortKey k = e.x < c.arrow_x ? SortKey::source : e.x < c.rates_x ? SortKey::destination : st.sort;
    for (int wnd = 0; wnd < 3; ++wnd)
        if (e.x >= c.rate_end(wnd) - 8 && e.x < c.rate_end(wnd)) k = SortKey(wnd);
    if (k == st.sort) st.reverse = !st.reverse;
    else { st.sort = k; st.reverse = false; }
    st.message = sort_says(st);
}

/// The mouse outside the choosers: select, details, pin, scroll, sort, tabs and status tooltips.
inline InputAction on_mouse(CommandContext& cx, const InputEvent& e) {
    ViewState& st = cx.st;
    const bool on_status = st.status_bar && e.y == cx.screen_h - 1;
    if (e.motion) return e.press ? on_mouse_motion(cx, e, on_status) : InputAction::none;
    if (!e.press) return InputAction::none;
    st.hover_segment = -1;  // a click ends the hover: what it opens or closes stays so
    if (st.help) { if (e.button == 0) st.help = false; return InputAction::none; }
    if (on_status) return on_mouse_status(cx, e);
    st.status_tip = -1;
    if (e.button == 64 || e.button == 65) {  // the wheel scrolls the page; the selection stays on it
        const int n = cx.row_count();
        st.scroll = std::clamp(st.scroll + (e.button == 64 ? -3 : 3), 0, std::max(0, n - cx.page_rows));
        st.selected = std::clamp(st.selected, st.scroll, st.scroll + cx.page_rows - 1);
        cx.clamp_sel();
        return InputAction::none;
    }
    if (e.button == 0 && e.y == 1 && st.view == ViewState::flows) { on_click_titles(cx, e); return InputAction::none; }
    const int r = row_at(st, cx.vm, cx.screen_h, e.y);
    if (e.button == 0) {
        st.tooltip = false;
        if (r >= 0) st.selected = r;
    } else if (e.button == 2 && r >= 0) {  // right click: the details of that row
        st.selected = r;
        st.tooltip = st.view == ViewState::flows;
        st.tooltip_x = e.x;
        st.tooltip_y = e.y;
    } else if (e.button == 1 && r >= 0 && st.view == ViewState::flows) {  // middle click: pin or unpin that row
        st.selected = r;
        st.tooltip = false;
        cx.toggle_pin(size_t(r));
    }
    return InputAction::none;
}
}  // namespace detail

InputAction apply_input(const InputEvent& ev, ViewState& st, const ViewModel& vm, int screen_h, int page_rows,
                        std::vector<FlowKey>& frozen) {
    using namespace detail;
    InputEvent e = ev;
    if (st.border && e.type == InputEvent::mouse) {  // x: the screen is drawn one cell in
        e.x -= 1;
        e.y -= 1;
        screen_h -= 2;
    }
    CommandContext cx{st, vm, screen_h, page_rows, frozen};
    if (e.type == InputEvent::key && e.ctrl && e.code == 'c') return InputAction::quit;  // from every mode (README)
    if (e.type == InputEvent::key && e.ctrl && e.code == 'z') return InputAction::suspend;
    if (e.type == InputEvent::mouse) {
        if (st.chooser) return on_mouse_chooser(cx, e);
        if (st.editor.open || !st.interfaces.empty() || st.editing_bpf || st.editing_filter) return InputAction::none;
        return on_mouse(cx, e);
    }
    if (!st.interfaces.empty()) return on_key_interfaces(cx, e);
    if (st.editor.open) return on_key_theme_editor(cx, e);
    if (st.chooser) return on_key_theme_chooser(cx, e);
    if (st.editing_bpf || st.editing_filter) return on_key_line_editor(cx, e);
    if (st.help) return on_key_help(cx, e);
    return on_key_command(cx, e);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* [12] terminal                                                                                               */
/* ---------------------------------------------------------------------------------------------------------- */
namespace detail {

/// What a signal handler needs to put the terminal back: set up before raw mode, read-only afterwards, so the
/// handlers touch only async-signal-safe calls (write, tcsetattr, signal, raise).
struct TermRestore {
    int fd = -1;
    bool active = false;
    struct termios saved {};
    char restore[160] = {};
    size_t restore_len = 0;
    int wake_fd = -1;  // self-pipe write end
};
inline TermRestore g_term;
inline volatile sig_atomic_t g_tui_signal = 0;

inline void term_restore_now() {
    if (!g_term.active) return;
    ssize_t r = ::write(g_term.fd, g_term.restore, g_term.restore_len);
    (void)r;
    tcsetattr(g_term.fd, TCSAFLUSH, &g_term.saved);
}

extern "C" inline void tui_on_fatal(int sig) {
    // A crash: give the user their terminal back, then die of the same signal (core dump and status intact).
    term_restore_now();
    g_term.active = false;
    signal(sig, SIG_DFL);
    raise(sig);
}

extern "C" inline void tui_on_signal(int sig) {
    g_tui_signal = sig;
    if (g_term.wake_fd >= 0) { const char c = 's'; ssize_t r = ::write(g_term.wake_fd, &c, 1); (void)r; }
}

/// The terminal in raw mode on the alternate screen. Restores everything in the destructor and from signals.
class Terminal {
public:
    ~Terminal() { leave(); if (pipe_[0] >= 0) { ::close(pipe_[0]); ::close(pipe_[1]); } if (own_fd_) ::close(fd_); }

    static Result<std::unique_ptr<Terminal>> open(bool mouse) {
        std::unique_ptr<Terminal> t(new Terminal);
        t->fd_ = isatty(0) && isatty(1) ? 1 : ::open("/dev/tty", O_RDWR | O_CLOEXEC);
        t->in_fd_ = t->fd_ == 1 ? 0 : t->fd_;
        t->own_fd_ = t->fd_ != 1;
        if (t->fd_ < 0 || tcgetattr(t->fd_, &g_term.saved) != 0)
            return make_error(Errc::io, "no terminal for the interactive screen: use -t or --json");
        if (pipe(t->pipe_) != 0) return make_error(Errc::io, std::string("pipe: ") + std::strerror(errno));
        for (int p : t->pipe_) fcntl(p, F_SETFL, fcntl(p, F_GETFL) | O_NONBLOCK);
        t->mouse_ = mouse;
        g_term.fd = t->fd_;
        g_term.wake_fd = t->pipe_[1];
        std::string r = std::string(seq::kSgrReset) + (mouse ? seq::kMouseOff : "") + seq::kCursorShow +
                        seq::kAltScreenOff;
        std::memcpy(g_term.restore, r.data(), std::min(r.size(), sizeof g_term.restore));
        g_term.restore_len = std::min(r.size(), sizeof g_term.restore);
        struct sigaction sa {};
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = tui_on_fatal;
        for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(s, &sa, nullptr);
        sa.sa_handler = tui_on_signal;
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCONT}) sigaction(s, &sa, nullptr);
        t->enter();
        return t;
    }

    /// Raw mode (termios(3)): no echo, no line buffering (ICANON), no signals from ^C/^Z/^\ (ISIG: they arrive as
    /// bytes and are handled as keys), no ^S/^Q flow control (IXON), no CR→NL (ICRNL), no output post-processing
    /// (OPOST: we send \r\n ourselves), 8-bit chars; read() returns what is there (VMIN 0, VTIME 0).
    void enter() {
        struct termios raw = g_term.saved;
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
        raw.c_oflag &= ~tcflag_t(OPOST);
        raw.c_cflag |= CS8;
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tcsetattr(fd_, TCSAFLUSH, &raw);
        g_term.active = true;
        write(std::string(seq::kAltScreenOn) + seq::kCursorHide + seq::kClear + (mouse_ ? seq::kMouseOn : ""));
    }
    void leave() {
        term_restore_now();
        g_term.active = false;
    }
    /// Ctrl-Z: give the terminal back, stop, and take it again when the shell resumes us. The whole process group
    /// stops, as the terminal's own Ctrl-Z would stop it (raw mode reads the key instead): a wrapper that started
    /// the tool (`sh -c`, a script) must stop too, or the shell waiting for it never sees the job stop and hangs.
    void suspend() {
        leave();
        signal(SIGTSTP, SIG_DFL);
        kill(0, SIGTSTP);  // this process too: stops here until SIGCONT
        enter();
    }
    void set_mouse(bool on) {
        mouse_ = on;
        write(on ? seq::kMouseOn : seq::kMouseOff);
    }
    bool write(const std::string& s) {
        size_t done = 0;
        while (done < s.size()) {
            ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += size_t(n);
        }
        return true;
    }
    std::pair<int, int> size() const {
        struct winsize ws {};
        if (ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) return {ws.ws_col, ws.ws_row};
        return {80, 24};
    }
    int in_fd() const { return in_fd_; }
    int wake_fd() const { return pipe_[0]; }
    void drain_wake() { char b[64]; while (::read(pipe_[0], b, sizeof b) > 0) {} }

private:
    Terminal() = default;
    int fd_ = -1, in_fd_ = -1;
    bool own_fd_ = false, mouse_ = true;
    int pipe_[2] = {-1, -1};
};

}  // namespace detail

/* ---------------------------------------------------------------------------------------------------------- */
/* [13] application — options, names, text report, NDJSON, the run loop; the only section that writes output  */
/* ---------------------------------------------------------------------------------------------------------- */
namespace detail {

/// One command-line option. The table below is the single source for parsing, -h and the shell completions.
struct OptSpec {
    char short_name;        ///< 0 = long only
    const char* long_name;  ///< nullptr = short only
    const char* arg;        ///< nullptr = a flag
    const char* help;
    const char* values;     ///< completion candidates ("" = free text, "FILE", "IFACE")
};

inline const std::vector<OptSpec>& option_table() {
    static const std::vector<OptSpec> t = {
        {'h', "help", nullptr, "print this summary and exit", ""},
        {'n', "no-dns", nullptr, "don't do hostname lookups", ""},
        {'N', "no-port-names", nullptr, "don't convert port numbers to services", ""},
        {'p', "promiscuous", nullptr, "run in promiscuous mode (show traffic between other hosts on the same segment)", ""},
        {'b', "no-bars", nullptr, "don't display a bar graph of traffic", ""},
        {'B', "bytes", nullptr, "display bandwidth in bytes", ""},
        {'i', "interface", "IF", "listen on the named interface (default: the one of the default route; 'any' = all)", "IFACE"},
        {'f', "filter", "BPF", "use filter code to select packets to count (pcap-filter(7), e.g. 'tcp port 443')", ""},
        {'F', "net-filter", "NET/MASK", "show traffic flows in/out of an IPv4 network (10.0.0.0/24 or /255.255.255.0)", ""},
        {'G', "net-filter6", "NET6/LEN", "show traffic flows in/out of an IPv6 network (2001:db8::/32)", ""},
        {'l', "link-local", nullptr, "display and count link-local IPv6 traffic (default: off)", ""},
        {'P', "show-ports", nullptr, "show ports as well as hosts", ""},
        {'m', "max-bandwidth", "LIMIT", "sets the upper limit for the bandwidth scale (bits/s; K, M, G suffixes)", ""},
        {'c', "config", "FILE", "config file (default ~/.iftoprc)", "FILE"},
        {'t', "text", nullptr, "text output mode: print reports to standard output, no screen", ""},
        {'s', "seconds", "N", "print one report after N seconds, then quit", ""},
        {'L', "lines", "N", "number of lines to print in text mode (default 10)", ""},
        {'o', "sort", "ORDER", "sort by 2s, 10s (default), 40s, source or destination", "2s 10s 40s source destination"},
        {'Z', "no-processes", nullptr, "don't show owning processes (no attribution work at all)", ""},
        {0, "processes", nullptr, "text mode: show [pid:name] of the owning process after the local host", ""},
        {0, "hide-ports", nullptr, "never show ports (overrides -P)", ""},
        {0, "json", nullptr, "print one NDJSON snapshot per second instead of a screen", ""},
        {0, "list-interfaces", nullptr, "list capture interfaces and exit", ""},
        {0, "completions", "SHELL", "print a completion script for bash, zsh or fish", "bash zsh fish"},
        {'V', "version", nullptr, "print the version and exit", ""},
        {'r', "read", "FILE", "read packets from a pcap/pcapng file ('-' = standard input) as fast as possible", "FILE"},
        {0, "replay", nullptr, "with -r: play the file at its recorded speed", ""},
        {0, "final-only", nullptr, "with --json or -t: print only the final object or report (e.g. a file's totals)", ""},
        {0, "theme", "NAME", "colour theme (see --list-colors; case-insensitive)", "THEME"},
        {0, "list-colors", nullptr, "list the themes with colour swatches and exit", ""},
        {0, "no-mouse", nullptr, "don't capture the mouse (the terminal's own selection works)", ""},
        {0, "color", "WHEN", "auto (default; honours NO_COLOR), always or never", "auto always never"},
        {0, "ascii", nullptr, "draw with ASCII only (no box or block glyphs)", ""},
        {0, "user", "NAME", "once the capture is open, run as NAME (default: the user who ran sudo, else nobody)", ""},
        {0, "max-flows", "N", "cap on flows kept in memory (default " "100000" "); idle and smallest go first", ""},
        {0, "ipfix", "HOST:PORT", "send flow records to an IPFIX collector over UDP (repeatable; [v6]:port)", ""},
        {0, "ipfix-active-timeout", "SECONDS", "IPFIX: report a flow that is still active after this long (default 60)", ""},
        {0, "ipfix-inactive-timeout", "SECONDS", "IPFIX: report a flow once it has been idle this long (default 15)", ""},
        {0, "ipfix-template-refresh", "SECONDS", "IPFIX: send the templates again this often (default 60)", ""},
        {0, "prometheus", "FILE", "write totals, rates and capture counters to a node_exporter textfile every second", "FILE"},
    };
    return t;
}

inline Error usage_error(const std::string& msg) {
    return make_error(Errc::usage, msg + " (see ./iftop -h)");
}

/// The largest rate -m, max-bandwidth and alert-threshold accept: 1000000G (about 1.07 Pb/s), far above any link.
constexpr double kMaxBandwidth = 1e6 * 1024.0 * 1024 * 1024;  // "1000000G" (K/M/G are 1024-based)

/// "10M", "1.5G", "100k", "2000000" → bits per second, at most kMaxBandwidth.
inline bool parse_bandwidth(std::string_view s, double& out) {
    s = trim(s);
    if (s.empty()) return false;
    double mult = 1;
    const char c = s.back();
    if (c == 'k' || c == 'K') mult = 1024;  // iftop's K/M/G are 1024-based, as its scale and rates
    else if (c == 'm' || c == 'M') mult = 1024.0 * 1024;
    else if (c == 'g' || c == 'G') mult = 1024.0 * 1024 * 1024;
    if (mult != 1) s.remove_suffix(1);
    double v = 0;
    if (!parse_decimal(s, v) || !std::isfinite(v)) return false;
    if (v * mult > kMaxBandwidth) return false;  // 1e300G would make every scale and cast meaningless (F5, F14)
    out = v * mult;
    return true;
}

inline bool parse_sort(std::string_view v, SortKey& k) {
    if (v == "2s") k = SortKey::rate_2s;
    else if (v == "10s") k = SortKey::rate_10s;
    else if (v == "40s") k = SortKey::rate_40s;
    else if (v == "source") k = SortKey::source;
    else if (v == "destination") k = SortKey::destination;
    else return false;
    return true;
}

/// Applies one option (by its table entry) to `o`.
inline Result<bool> apply_option(const OptSpec& spec, const std::string& val, Options& o) {
    std::string name = spec.short_name ? std::string("-") + spec.short_name : std::string();
    if (spec.long_name) name += (name.empty() ? "--" : "/--") + std::string(spec.long_name);
    auto need_int = [&](int lo, int hi, int& out) -> Result<bool> {
        if (!parse_number(std::string_view(val), out) || out < lo || out > hi)
            return usage_error(name + " needs a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                               ", not '" + val + "'");
        return true;
    };
    const std::string key = spec.long_name ? spec.long_name : "";
    if (key == "help") o.help = true;
    else if (key == "no-dns") o.dns = false;
    else if (key == "no-port-names") o.port_names = false;
    else if (key == "promiscuous") o.promiscuous = true;
    else if (key == "no-bars") o.bars = false;
    else if (key == "bytes") o.bytes = true;
    else if (key == "interface") {
        if (val.empty()) return usage_error(name + " needs an interface name, not ''");
        o.interface = val;
    }
    else if (key == "filter") o.bpf = val;
    else if (key == "net-filter") {
        auto n = Net::parse4(val);
        if (!n) return make_error(Errc::usage, n.error().message);
        o.net4 = val;
    } else if (key == "net-filter6") {
        auto n = Net::parse6(val);
        if (!n) return make_error(Errc::usage, n.error().message);
        o.net6 = val;
    } else if (key == "link-local") o.link_local = true;
    else if (key == "show-ports") o.show_ports = true;
    else if (key == "max-bandwidth") {
        if (!parse_bandwidth(val, o.max_bandwidth))
            return usage_error(name + " needs a bandwidth like 10M, 1G or 500K (at most 1000000G), not '" + val + "'");
    } else if (key == "config") {
        if (val.empty()) return usage_error(name + " needs a file name, not ''");
        o.config_file = val;
    }
    else if (key == "text") o.text = true;
    else if (key == "seconds") return need_int(1, 86400 * 365, o.seconds);
    else if (key == "lines") return need_int(1, 1000000, o.lines);
    else if (key == "sort") {
        if (!parse_sort(val, o.sort)) return usage_error(name + " takes 2s, 10s, 40s, source or destination, not '" + val + "'");
    } else if (key == "no-processes") o.no_processes = true;
    else if (key == "processes") o.processes = true;
    else if (key == "hide-ports") o.hide_ports = true;
    else if (key == "json") o.json = true;
    else if (key == "list-interfaces") o.list_interfaces = true;
    else if (key == "completions") {
        if (val != "bash" && val != "zsh" && val != "fish") return usage_error("--completions takes bash, zsh or fish");
        o.completions = val;
    } else if (key == "version") o.version = true;
    else if (key == "read") {
        if (val.empty()) return usage_error(name + " needs a file name ('-' for standard input), not ''");
        o.read_file = val;
    }
    else if (key == "replay") o.replay = true;
    else if (key == "final-only") o.final_only = true;
    else if (key == "theme") {
        if (!find_theme(val)) {
            std::string names;
            for (const Theme& t : themes()) names += (names.empty() ? "" : ", ") + std::string(t.name);
            return usage_error("unknown theme '" + val + "'; themes: " + names);
        }
        o.theme = val;
    } else if (key == "list-colors") o.list_colors = true;
    else if (key == "no-mouse") o.no_mouse = true;
    else if (key == "color") {
        if (val != "auto" && val != "always" && val != "never") return usage_error("--color takes auto, always or never");
        o.color = val;
    } else if (key == "ascii") o.ascii = true;
    else if (key == "user") {
        if (val.empty()) return usage_error(name + " needs a user name, not ''");
        o.user = val;
    }
    else if (key == "max-flows") {
        int n = 0;
        auto r = need_int(1, 100000000, n);
        if (!r) return r;
        o.max_flows = static_cast<size_t>(n);
    } else if (key == "ipfix") {
        auto ep = parse_endpoint(val);
        if (!ep) return usage_error("--ipfix " + ep.error().message);
        o.ipfix.push_back(val);
    } else if (key == "ipfix-active-timeout") return need_int(1, 86400, o.ipfix_active_timeout);
    else if (key == "ipfix-inactive-timeout") return need_int(1, 86400, o.ipfix_inactive_timeout);
    else if (key == "ipfix-template-refresh") return need_int(1, 86400, o.ipfix_template_refresh);
    else if (key == "prometheus") {
        if (val.empty()) return usage_error("--prometheus needs a file name (a .prom file in node_exporter's textfile directory)");
        o.prometheus = val;
    }
    return true;
}

/// The config file's size limit: ~/.iftoprc is a few hundred bytes; this stops /dev/zero-like surprises.
constexpr size_t kConfigMax = size_t(1) << 20;

/// Who ran the tool, whose files (config, exports) the tool reads and writes, and whom it becomes after the
/// capture is open. Under sudo: SUDO_UID/SUDO_GID (sudo sets both; SUDO_USER alone, as su -p or a stale
/// environment leaves it, is not trusted). As root without them: the owner of the controlling terminal when that
/// is not root (su, doas). Otherwise the real uid.
struct Invoker {
    unsigned uid = 0, gid = 0;
    std::string name, home;
    bool via_sudo = false;  ///< found through SUDO_UID/SUDO_GID or the terminal, not the real uid
};

inline Invoker invoking_user() {
    Invoker who;
    who.uid = unsigned(getuid());
    who.gid = unsigned(getgid());
    if (who.uid == 0) {
        unsigned u = 0, g = 0;
        const char* su = std::getenv("SUDO_UID");
        const char* sg = std::getenv("SUDO_GID");
        if (su && sg && parse_number(std::string_view(su), u) && parse_number(std::string_view(sg), g) && u != 0) {
            who.uid = u;
            who.gid = g;
            who.via_sudo = true;
        } else {
            const int fd = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
            struct stat st {};
            if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_uid != 0) {
                if (const struct passwd* pw = getpwuid(st.st_uid)) {
                    who.uid = unsigned(pw->pw_uid);
                    who.gid = unsigned(pw->pw_gid);
                    who.via_sudo = true;
                }
            }
            if (fd >= 0) ::close(fd);
        }
    }
    if (const struct passwd* pw = getpwuid(uid_t(who.uid))) {
        who.name = pw->pw_name;
        who.home = pw->pw_dir;
    }
    // Our own HOME when we are that user (tests and sandboxes point it elsewhere); never when we act for another.
    if (!who.via_sudo)
        if (const char* h = std::getenv("HOME"); h && *h) who.home = h;
    if (who.home.empty()) who.home = ".";
    return who;
}

inline std::string home_dir() { return invoking_user().home; }

/// Capabilities the tool keeps after the privilege drop (bit numbers of linux/capability.h).
enum class Keep : unsigned { nothing = 0, capture = 1, attribution = 2 };

/// What the privilege drop did, for the tests and the README's promise: the uid/gid it now runs as, the
/// capabilities left (a mask of bit numbers) and whether it changed anything.
struct DropResult {
    unsigned uid = 0, gid = 0;
    uint64_t caps = 0;
    std::string user;
};

#if defined(__linux__)
inline bool cap_get(uint64_t& eff, uint64_t& perm) {
    __user_cap_header_struct h {};
    __user_cap_data_struct d[2] {};
    h.version = _LINUX_CAPABILITY_VERSION_3;
    if (syscall(SYS_capget, &h, d) != 0) return false;
    eff = uint64_t(d[0].effective) | uint64_t(d[1].effective) << 32;
    perm = uint64_t(d[0].permitted) | uint64_t(d[1].permitted) << 32;
    return true;
}
inline bool cap_set(uint64_t caps) {  // effective = permitted = caps, inheritable = none (this thread)
    __user_cap_header_struct h {};
    __user_cap_data_struct d[2] {};
    h.version = _LINUX_CAPABILITY_VERSION_3;
    for (int i = 0; i < 2; ++i) d[i].effective = d[i].permitted = uint32_t(caps >> (32 * i));
    return syscall(SYS_capset, &h, d) == 0;
}
inline int thread_count() {
    auto r = read_file_capped("/proc/self/status", 1 << 16);
    if (!r) return 1;
    const size_t p = r->find("\nThreads:");
    int n = 1;
    if (p != std::string::npos) parse_number(trim(std::string_view(*r).substr(p + 9, r->find('\n', p + 1) - p - 9)), n);
    return n;
}
#endif

/// The privilege drop, once the capture is open (tcpdump's -Z, with capabilities). As root: become `user` (the
/// --user option), else the invoking user under sudo, else nobody; groups set; PR_SET_KEEPCAPS across the uid
/// change so that only the kept capabilities survive in the permitted and effective sets (CAP_NET_RAW and
/// CAP_NET_ADMIN to re-open and re-filter live captures; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read other
/// users' /proc/PID/fd for attribution); the bounding set is cut to the same, ambient and inheritable cleared;
/// PR_SET_NO_NEW_PRIVS. Not root (a setcap'd binary or a plain user): keeps what it was given of that set and
/// nothing else. Must run before any thread starts: capset(2) changes only the calling thread, so it refuses in a
/// threaded process. Linux only; elsewhere only the uid change.
inline Result<DropResult> drop_privileges(const Invoker& who, const std::string& user, unsigned keep) {
    DropResult out;
    const auto fail = [](const std::string& why) {
        return make_error(Errc::capture, "cannot drop privileges: " + why + " (iftop will not run as root)");
    };
    uint64_t want = 0;
#if defined(__linux__)
    if (keep & unsigned(Keep::capture)) want |= 1ull << CAP_NET_RAW | 1ull << CAP_NET_ADMIN;
    if (keep & unsigned(Keep::attribution)) want |= 1ull << CAP_SYS_PTRACE | 1ull << CAP_DAC_READ_SEARCH;
    if (const int n = thread_count(); n != 1)
        return fail(std::to_string(n) + " threads are running (the drop must come before any thread starts)");
#endif
    const bool root = geteuid() == 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    std::string name;
    if (root) {
        if (!user.empty() || who.uid == 0) {
            const std::string n = user.empty() ? "nobody" : user;
            const struct passwd* pw = getpwnam(n.c_str());
            if (!pw && !user.empty()) return fail("no user named '" + printable(user) + "'");
            uid = pw ? pw->pw_uid : 65534;
            gid = pw ? pw->pw_gid : 65534;
            name = n;
        } else {
            uid = uid_t(who.uid);
            gid = gid_t(who.gid);
            name = who.name.empty() ? std::to_string(who.uid) : who.name;
        }
    }
#if defined(__linux__)
    uint64_t eff = 0, perm = 0;
    if (!cap_get(eff, perm)) return fail(std::string("capget: ") + errno_text(errno));
    want &= perm;  // a setcap'd binary keeps only what it was given
    if (root || perm) {
        // The bounding set first, while CAP_SETPCAP is still ours: nothing outside `want` can come back by exec.
        for (int c = 0; c <= 63; ++c) {
            if (want >> c & 1) continue;
            if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0) break;  // past the last capability this kernel knows
            if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EPERM) return fail(std::string("PR_CAPBSET_DROP: ") + errno_text(errno));
        }
    }
    if (root && uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail(std::string("PR_SET_KEEPCAPS: ") + errno_text(errno));
#endif
    if (root) {
        std::vector<gid_t> groups(64);
        int n = int(groups.size());
#if defined(__APPLE__)
        // macOS declares getgrouplist with int group ids (the same 32 bits as gid_t)
        auto* gl = reinterpret_cast<int*>(groups.data());
        const int base = int(gid);
#else
        auto* gl = groups.data();
        const gid_t base = gid;
#endif
        if (!name.empty() && getgrouplist(name.c_str(), base, gl, &n) < 0) {
            groups.resize(size_t(n));
#if defined(__APPLE__)
            gl = reinterpret_cast<int*>(groups.data());
#else
            gl = groups.data();
#endif
            if (getgrouplist(name.c_str(), base, gl, &n) < 0) n = 0;
        }
        if (n <= 0) { groups.assign(1, gid); n = 1; }
        groups.resize(size_t(n));
        if (setgroups(groups.size(), groups.data()) != 0) return fail(std::string("setgroups: ") + errno_text(errno));
#if defined(__APPLE__)
        // no setres[ug]id on macOS; as root, setgid/setuid set the real, effective and saved ids together (POSIX)
        if (setgid(gid) != 0) return fail("setgid(" + std::to_string(gid) + "): " + errno_text(errno));
        if (setuid(uid) != 0) return fail("setuid(" + std::to_string(uid) + "): " + errno_text(errno));
#else
        if (setresgid(gid, gid, gid) != 0) return fail("setresgid(" + std::to_string(gid) + "): " + errno_text(errno));
        if (setresuid(uid, uid, uid) != 0) return fail("setresuid(" + std::to_string(uid) + "): " + errno_text(errno));
#endif
        if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) return fail("uid 0 could be regained");
    }
#if defined(__linux__)
    if (!cap_set(want)) return fail(std::string("capset: ") + errno_text(errno));
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
#if defined(PR_CAP_AMBIENT)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);  // EINVAL before Linux 4.3: nothing to clear then
#endif
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(std::string("PR_SET_NO_NEW_PRIVS: ") + errno_text(errno));
    if (!cap_get(eff, perm)) return fail(std::string("capget: ") + errno_text(errno));
    if ((eff | perm) & ~want) return fail("capabilities beyond the kept set remain");
    out.caps = eff;
#endif
    out.uid = unsigned(geteuid());
    out.gid = unsigned(getegid());
    out.user = name;
    return out;
}

/// Reads the config file with the invoking user's file permissions: under sudo the file-system uid, gid and groups
/// are the user's for the open (Linux setfsuid), so a ~/.iftoprc linked to a root-only file is refused as the user
/// would be refused. Capped at kConfigMax, regular files only, never blocks.
inline Result<std::string> read_config_file(const std::string& path, const Invoker& who, FileFacts& facts) {
#if defined(__linux__)
    if (geteuid() == 0 && who.uid != 0) {
        std::vector<gid_t> saved(size_t(std::max(0, getgroups(0, nullptr))));
        if (!saved.empty() && getgroups(int(saved.size()), saved.data()) < 0) saved.clear();
        std::vector<gid_t> groups(64);
        int n = int(groups.size());
        if (!who.name.empty() && getgrouplist(who.name.c_str(), gid_t(who.gid), groups.data(), &n) < 0) {
            groups.resize(size_t(n));
            if (getgrouplist(who.name.c_str(), gid_t(who.gid), groups.data(), &n) < 0) n = 0;
        }
        if (who.name.empty()) { groups[0] = gid_t(who.gid); n = 1; }
        groups.resize(size_t(std::max(n, 0)));
        const bool as_user = setgroups(groups.size(), groups.data()) == 0;
        if (as_user) {
            setfsgid(gid_t(who.gid));
            setfsuid(uid_t(who.uid));
        }
        auto r = as_user ? read_file_capped(path, kConfigMax, &facts)
                         : Result<std::string>(make_error(Errc::file_open, "cannot read " + path + " as uid " +
                                                                               std::to_string(who.uid)));
        setfsuid(0);
        setfsgid(0);
        setgroups(saved.size(), saved.data());
        return r;
    }
#else
    (void)who;
#endif
    return read_file_capped(path, kConfigMax, &facts);
}
}  // namespace detail

Result<Options> parse_args_onto(int argc, const char* const* argv, Options o) {
    using namespace detail;
    const auto& table = option_table();
    bool only_operands = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (only_operands || a.size() < 2 || a[0] != '-')
            return usage_error("unexpected argument '" + a + "'");
        if (a == "--") { only_operands = true; continue; }
        if (a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2), val;
            bool has_val = false;
            if (size_t eq = name.find('='); eq != std::string::npos) { val = name.substr(eq + 1); name.resize(eq); has_val = true; }
            const OptSpec* spec = nullptr;
            for (const auto& s : table)
                if (s.long_name && name == s.long_name) spec = &s;
            if (!spec) return usage_error("unknown option '--" + name + "'");
            if (spec->arg && !has_val) {
                if (i + 1 >= argc) return usage_error("--" + name + " needs a value (" + spec->arg + ")");
                val = argv[++i];
            } else if (!spec->arg && has_val) {
                return usage_error("--" + name + " takes no value");
            }
            auto r = apply_option(*spec, val, o);
            if (!r) return r.error();
            continue;
        }
        // Short options cluster as getopt allows: -nNP, -i eth0, -ieth0.
        for (size_t j = 1; j < a.size(); ++j) {
            const OptSpec* spec = nullptr;
            for (const auto& s : table)
                if (s.short_name && s.short_name == a[j]) spec = &s;
            if (!spec) return usage_error(std::string("unknown option '-") + a[j] + "'");
            std::string val;
            if (spec->arg) {
                if (j + 1 < a.size()) val = a.substr(j + 1);
                else if (i + 1 < argc) val = argv[++i];
                else return usage_error(std::string("-") + a[j] + " needs a value (" + spec->arg + ")");
                auto r = apply_option(*spec, val, o);
                if (!r) return r.error();
                break;
            }
            auto r = apply_option(*spec, val, o);
            if (!r) return r.error();
        }
    }
    if (o.replay && o.read_file.empty()) return usage_error("--replay needs -r FILE");
    if (o.json && o.text) return usage_error("-t and --json are two different outputs; choose one");
    if (o.final_only && !o.json && !o.text) return usage_error("--final-only needs --json or -t (it has no screen)");
    return o;
}

Result<Options> parse_args(int argc, const char* const* argv) { return parse_args_onto(argc, argv, Options{}); }

Result<bool> apply_config_text(std::string_view text, Options& o) {
    using namespace detail;
    const std::string_view whole = text;
    int lineno = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        size_t colon = line.find(':');
        auto bad = [&](const std::string& why) {
            return make_error(Errc::usage, "line " + std::to_string(lineno) + ": " + why);
        };
        if (colon == std::string_view::npos) return bad("expected 'key: value', got '" + std::string(line) + "'");
        const std::string key(trim(line.substr(0, colon)));
        const std::string val(trim(line.substr(colon + 1)));
        auto yesno = [&](bool& out) -> Result<bool> {
            if (val == "yes" || val == "true" || val == "on") out = true;
            else if (val == "no" || val == "false" || val == "off") out = false;
            else return bad(key + " takes yes or no, not '" + val + "'");
            return true;
        };
        Result<bool> r = true;
        if (key == "interface") o.interface = val;
        else if (key == "dns-resolution") r = yesno(o.dns);
        else if (key == "port-resolution") r = yesno(o.port_names);
        else if (key == "filter-code") o.bpf = val;
        else if (key == "show-bars") r = yesno(o.bars);
        else if (key == "promiscuous") r = yesno(o.promiscuous);
        else if (key == "link-local") r = yesno(o.link_local);
        else if (key == "use-bytes") r = yesno(o.bytes);
        else if (key == "port-display") {
            if (val == "off") o.show_ports = false;
            else if (val == "on" || val == "source-only" || val == "destination-only") o.show_ports = true;
            else r = bad("port-display takes off, source-only, destination-only or on");
        } else if (key == "sort") {
            if (!parse_sort(val, o.sort)) r = bad("sort takes 2s, 10s, 40s, source or destination");
        } else if (key == "max-bandwidth") {
            if (!parse_bandwidth(val, o.max_bandwidth)) r = bad("max-bandwidth takes a rate like 10M (at most 1000000G)");
        } else if (key == "net-filter") {
            if (!Net::parse4(val)) r = bad("net-filter is not a network: '" + val + "'");
            else o.net4 = val;
        } else if (key == "line-display") {
            if (val != "two-line" && val != "one-line-both" && val != "one-line-sent" && val != "one-line-received")
                r = bad("line-display takes two-line, one-line-both, one-line-sent or one-line-received");
            else o.line_display = val;
        } else if (key == "show-totals") r = yesno(o.show_totals);
        else if (key == "log-scale") r = yesno(o.log_scale);
        else if (key == "hide-source") r = yesno(o.hide_source);
        else if (key == "hide-destination") r = yesno(o.hide_destination);
        else if (key == "mouse") r = yesno(o.mouse);
        else if (key == "bar-style") {
            if (val != "solid" && val != "gradient" && val != "thin" && val != "ascii") r = bad("bar-style takes solid, gradient, thin or ascii");
            else o.bar_style = val;
        } else if (key == "alert-threshold") {
            if (!parse_bandwidth(val, o.alert_threshold)) r = bad("alert-threshold takes a rate in bits/s like 10M (at most 1000000G)");
        }
        else if (key == "theme") {
            if (find_theme(val)) o.theme = val;
            else if (!config_defines_theme(whole, val)) r = bad("unknown theme '" + val + "' (see --list-colors)");
            // else: one of this file's custom themes, which the screen applies (apply_screen_config)
        } else if (key == "pinned-flows") {
            o.pinned.clear();
            std::string_view rest = val;
            while (!rest.empty()) {
                const size_t comma = rest.find(',');
                const std::string_view item = trim(rest.substr(0, comma));
                rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
                if (item.empty()) continue;
                auto k = parse_flow_key(item);
                if (!k) { r = bad("pinned-flows: not a flow: '" + std::string(item) + "'"); break; }
                o.pinned.push_back(*k);
            }
        } else if (key == "net-filter6") {
            if (!Net::parse6(val)) r = bad("net-filter6 is not a network: '" + val + "'");
            else o.net6 = val;
        }
        // Other keys (the screen's: line-display, show-totals, log-scale, hide-source, theme, ...) belong to the
        // interactive screen and are kept in the file untouched.
        if (!r) return r;
    }
    return true;
}

std::string flow_key_text(const FlowKey& k) {
    auto ep = [](const IpAddr& a, uint16_t p) {
        return (a.family == 6 ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(p);
    };
    return protocol_name(k.proto) + " " + ep(k.local, k.local_port) + " " + ep(k.remote, k.remote_port);
}

std::optional<FlowKey> parse_flow_key(std::string_view text) {
    using namespace detail;
    text = trim(text);
    const size_t s1 = text.find(' ');
    if (s1 == std::string_view::npos) return std::nullopt;
    const size_t s2 = text.find(' ', s1 + 1);
    if (s2 == std::string_view::npos) return std::nullopt;
    FlowKey k;
    const std::string_view proto = text.substr(0, s1);
    int pn = 0;
    if (proto == "TCP") k.proto = kProtoTcp;
    else if (proto == "UDP") k.proto = kProtoUdp;
    else if (proto == "ICMP") k.proto = kProtoIcmp;
    else if (proto == "ICMPv6") k.proto = kProtoIcmp6;
    else if (parse_number(proto, pn) && pn >= 0 && pn < 256) k.proto = uint8_t(pn);
    else return std::nullopt;
    auto endpoint = [](std::string_view e, IpAddr& a, uint16_t& port) {
        const size_t colon = e.rfind(':');
        if (colon == std::string_view::npos) return false;
        std::string_view host = e.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        auto ip = IpAddr::parse(host);
        int p = 0;
        if (!ip || !parse_number(e.substr(colon + 1), p) || p < 0 || p > 65535) return false;
        a = *ip;
        port = uint16_t(p);
        return true;
    };
    if (!endpoint(text.substr(s1 + 1, s2 - s1 - 1), k.local, k.local_port) ||
        !endpoint(trim(text.substr(s2 + 1)), k.remote, k.remote_port) || k.local.family != k.remote.family)
        return std::nullopt;
    return k;
}

Result<bool> config_set(const std::string& path, const std::vector<std::pair<std::string, std::string>>& items) {
    using namespace detail;
    std::string old;
    FileFacts facts;
    auto cur = read_file_capped(path, kConfigMax, &facts, true);  // a link is refused here and by the writer
    if (cur) old = std::move(*cur);
    else if (facts.exists) return make_error(Errc::io, "cannot save settings: " + cur.error().message);
    std::vector<std::string> lines;
    for (size_t p = 0; p < old.size();) {
        size_t nl = old.find('\n', p);
        if (nl == std::string::npos) nl = old.size();
        lines.push_back(old.substr(p, nl - p));
        p = nl + 1;
    }
    for (const auto& [key, value] : items) {
        bool found = false;
        for (std::string& l : lines) {
            const std::string_view t = trim(l);
            if (t.empty() || t[0] == '#') continue;
            const size_t colon = t.find(':');
            if (colon != std::string_view::npos && trim(t.substr(0, colon)) == key) { l = key + ": " + value; found = true; }
        }
        if (!found) lines.push_back(key + ": " + value);
    }
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    auto w = write_file_atomic(path, text, 0600);
    if (!w) return make_error(Errc::io, "cannot save settings: " + w.error().message);
    return true;
}

std::string usage_text() {
    std::string s = "iftop " IFTOP_VERSION " — display bandwidth usage on an interface by host\n\n"
                    "Synopsis: iftop -h | [-nNpblBPtZV] [-i interface] [-f filter code] [-F net/mask] [-G net6/mask6]\n"
                    "                [-m limit] [-c config] [-s N] [-L N] [-o order] [-r file [--replay]] [--json]\n\n";
    for (const auto& o : detail::option_table()) {
        std::string left = "   ";
        left += o.short_name ? std::string("-") + o.short_name : std::string("  ");
        if (o.long_name) left += std::string(o.short_name ? ", " : "  ") + "--" + o.long_name;
        if (o.arg) left += std::string(" ") + o.arg;
        if (left.size() < 32) left.resize(32, ' ');
        else left += "  ";
        s += left + o.help + "\n";
    }
    s += "\nExit status: 0 ok, 1 runtime error (capture, file), 2 usage error.\n";
    return s;
}

std::string completion_script(std::string_view shell) {
    const auto& t = detail::option_table();
    // An option's candidates: its fixed words, or the theme names; FILE and IFACE are completed by each shell's way.
    auto words_of = [](const detail::OptSpec& o) {
        std::string v = o.values;
        if (v != "THEME") return v;
        v.clear();
        for (const Theme& th : themes()) v += (v.empty() ? "" : " ") + std::string(th.name);
        return v;
    };
    // Interfaces: Linux lists them in /sys/class/net, the BSDs and macOS with ifconfig -l.
    const std::string ifaces = "$(ls /sys/class/net 2>/dev/null || ifconfig -l 2>/dev/null) any";
    std::string out;
    if (shell == "bash") {
        std::string words;
        for (const auto& o : t) {
            if (o.short_name) words += std::string(" -") + o.short_name;
            if (o.long_name) words += std::string(" --") + o.long_name;
        }
        out = "# bash completion for iftop\n_iftop() {\n    local cur prev\n    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
              "    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n    case \"$prev\" in\n";
        for (const auto& o : t) {
            if (!o.arg) continue;
            std::string pat;
            if (o.short_name) pat += std::string("-") + o.short_name;
            if (o.long_name) pat += std::string(pat.empty() ? "" : "|") + "--" + o.long_name;
            const std::string v = words_of(o);
            if (v == "FILE") out += "        " + pat + ") COMPREPLY=( $(compgen -f -- \"$cur\") ); return ;;\n";
            else if (v == "IFACE") out += "        " + pat + ") COMPREPLY=( $(compgen -W \"" + ifaces + "\" -- \"$cur\") ); return ;;\n";
            else if (!v.empty()) out += "        " + pat + ") COMPREPLY=( $(compgen -W \"" + v + "\" -- \"$cur\") ); return ;;\n";
            else out += "        " + pat + ") return ;;\n";
        }
        out += "    esac\n    COMPREPLY=( $(compgen -W \"" + words.substr(1) + "\" -- \"$cur\") )\n}\ncomplete -F _iftop iftop\n";
    } else if (shell == "zsh") {
        out = "#compdef iftop\n_arguments \\\n";
        for (const auto& o : t) {
            std::string help = o.help;
            for (auto& c : help) if (c == '[' || c == ']' || c == '\'' || c == ':') c = ' ';
            std::string action;
            if (o.arg) {
                const std::string v = words_of(o);
                action = v == "FILE" ? ":file:_files" : v == "IFACE" ? ":interface:_net_interfaces"
                        : !v.empty() ? ":" + std::string(o.arg) + ":(" + v + ")" : ":" + std::string(o.arg) + ": ";
            }
            if (o.short_name && o.long_name)
                out += "  '(-" + std::string(1, o.short_name) + " --" + o.long_name + ")'{-" + std::string(1, o.short_name) +
                       ",--" + o.long_name + "}'[" + help + "]" + action + "' \\\n";
            else if (o.long_name)
                out += "  '--" + std::string(o.long_name) + "[" + help + "]" + action + "' \\\n";
        }
        out += "  && return 0\n";
    } else if (shell == "fish") {
        out = "# fish completion for iftop\n";
        for (const auto& o : t) {
            std::string help = o.help;
            for (auto& c : help) if (c == '\'') c = ' ';
            out += "complete -c iftop";
            if (o.short_name) out += std::string(" -s ") + o.short_name;
            if (o.long_name) out += std::string(" -l ") + o.long_name;
            if (o.arg) {
                const std::string v = words_of(o);
                if (v == "FILE") out += " -r -F";
                else if (v == "IFACE") out += " -x -a '(ls /sys/class/net 2>/dev/null; or ifconfig -l 2>/dev/null) any'";
                else if (!v.empty()) out += " -x -a '" + v + "'";
                else out += " -x";
            }
            out += " -d '" + help + "'\n";
        }
    }
    return out;
}

std::string format_rate(double n, bool bytes) {
    // iftop's readable_size(): 1024-based, three significant figures, b/Kb/Mb/Gb or B/KB/MB/GB.
    static const char* const bit_units[] = {"b", "Kb", "Mb", "Gb"};
    static const char* const byte_units[] = {"B", "KB", "MB", "GB"};
    const char* const* unit = bytes ? byte_units : bit_units;
    if (!bytes) n *= 8;
    char buf[64];
    double size = 1;
    for (int i = 0;; ++i) {
        if (n < size * 1000 || i >= 3) { std::snprintf(buf, sizeof buf, "%4.0f%s", n / size, unit[i]); break; }
        size *= 1024;
        if (n < size * 10) { std::snprintf(buf, sizeof buf, "%4.2f%s", n / size, unit[i + 1]); break; }
        if (n < size * 100) { std::snprintf(buf, sizeof buf, "%4.1f%s", n / size, unit[i + 1]); break; }
    }
    return std::string(detail::trim(buf));
}

std::string format_bytes(double bytes) { return format_rate(bytes, true); }

namespace detail {


inline std::string host_port(const std::string& host, uint16_t port, uint8_t proto, bool show_port,
                             const TextStyle& st, size_t width, const std::string& suffix = std::string()) {
    std::string p;
    if (show_port && port) p = st.port_name ? st.port_name(port, proto) : std::to_string(port);
    // The process label stays visible like the port: the host is cut first, marked with ~ (the report is ASCII).
    return format_endpoint(host, p, std::max(1, int(width) - text_cols(suffix)), true) + suffix;
}

inline void pad_right(std::string& s, size_t w) { if (s.size() < w) s.append(w - s.size(), ' '); }
inline std::string col(const std::string& v) {  // iftop's " %10s"
    std::string s = " ";
    if (v.size() < 10) s.append(10 - v.size(), ' ');
    return s + v;
}

}  // namespace detail

std::string text_report(const FlowTable& t, const TextStyle& st) {
    using namespace detail;
    // Layout of iftop 1.0pre4's tui.c: 92 columns; "%4d " index, 40-column host, " =>", four " %10s" columns.
    const std::string dash(92, '-');
    // The screen's row builder: host pairs when ports are off (protocol and ports zeroed, as iftop), then the sort.
    ViewState vs;
    vs.show_ports = st.show_ports;
    vs.sort = st.sort;
    const std::vector<FlowView> flows = view_rows(all_flows(t), vs, {}, nullptr);
    std::string out = "   # Host name (port/service if enabled)            last 2s   last 10s   last 40s cumulative\n";
    out += dash + "\n";
    auto name = [&](const IpAddr& a) {
        std::string n = st.host_name ? st.host_name(a) : std::string();
        return printable(n.empty() ? a.to_string() : n);
    };
    // --processes: a host-pair row (no -P) shows the owner of its biggest flow; "+" when others own some of it.
    std::unordered_map<FlowKey, std::pair<const ProcessInfo*, bool>, FlowKeyHash> owner_of_row;
    if (st.owners) {
        std::vector<FlowView> all = t.sorted_flows(SortKey::total_bytes);
        for (const FlowView& f : all) {
            FlowKey row = f.key;
            if (!st.show_ports) { row.proto = 0; row.local_port = row.remote_port = 0; }
            const FlowOwner* o = st.owners->owner(f.key);
            const ProcessInfo* p = o && o->proc ? o->proc.get() : nullptr;
            auto ins = owner_of_row.emplace(row, std::make_pair(p, false));
            if (!ins.second && ins.first->second.first != p) {
                if (!ins.first->second.first) ins.first->second.first = p;
                else if (p) ins.first->second.second = true;
            }
        }
    }
    auto owner_label = [&](const FlowKey& k) -> std::string {
        auto it = owner_of_row.find(k);
        if (it == owner_of_row.end() || !it->second.first) return "";
        const ProcessInfo& p = *it->second.first;
        return " [" + std::to_string(p.pid) + ":" + process_label(p) + (it->second.second ? "+" : "") + "]";
    };
    int idx = 0;
    for (const FlowView& f : flows) {
        if (idx >= st.lines) break;
        ++idx;
        char num[16];
        std::snprintf(num, sizeof num, "%4d ", idx);
        for (int dir = 0; dir < 2; ++dir) {
            const IpAddr& a = dir == 0 ? f.key.local : f.key.remote;
            const uint16_t port = dir == 0 ? f.key.local_port : f.key.remote_port;
            std::string line = dir == 0 ? num : "     ";
            std::string host = dir == 0 && st.owners ? host_port(name(a), port, f.key.proto, st.show_ports, st, 39,
                                                                 owner_label(f.key))
                                                     : host_port(name(a), port, f.key.proto, st.show_ports, st, 39);
            host = pad_cols(host, 40);
            line += host + (dir == 0 ? " =>" : " <=");
            for (int w = 0; w < 3; ++w) line += col(format_rate(f.rates.v[dir][w], st.bytes));
            line += col(format_bytes(double(f.counts.bytes[dir])));
            out += line + "\n";
        }
    }
    out += dash + "\n";
    const FlowView tot = t.totals();
    auto label = [](const char* s) { std::string l = s; pad_right(l, 48); return l; };
    std::string l1 = label("Total send rate:"), l2 = label("Total receive rate:"), l3 = label("Total send and receive rate:");
    for (int w = 0; w < 3; ++w) {
        l1 += col(format_rate(tot.rates.sent(w), st.bytes));
        l2 += col(format_rate(tot.rates.recv(w), st.bytes));
        l3 += col(format_rate(tot.rates.total(w), st.bytes));
    }
    out += l1 + "\n" + l2 + "\n" + l3 + "\n" + dash + "\n";
    out += label("Peak rate (sent/received/total):") + col(format_rate(tot.peak[0], st.bytes)) +
           col(format_rate(tot.peak[1], st.bytes)) + col(format_rate(t.peak_total(), st.bytes)) + "\n";
    out += label("Cumulative (sent/received/total):") + col(format_bytes(double(tot.counts.bytes[0]))) +
           col(format_bytes(double(tot.counts.bytes[1]))) +
           col(format_bytes(double(tot.counts.bytes[0] + tot.counts.bytes[1]))) + "\n";
    out += std::string(92, '=') + "\n\n";
    return out;
}

namespace detail {

/// An append buffer for NDJSON: capacity is checked once per item, the bytes are written directly. A snapshot of
/// 100 000 flows is ~30 MB; this keeps it to a few tens of ms.
class JsonOut {
public:
    explicit JsonOut(size_t reserve, const std::function<bool(std::string_view)>* sink = nullptr) : sink_(sink) {
        s_.resize(reserve);
    }
    /// With a sink: hands over what is buffered once it passes `at` bytes. False once the sink said stop.
    bool spill(size_t at = 0) {
        if (!sink_ || !ok_ || len_ < at) return ok_;
        ok_ = (*sink_)(std::string_view(s_.data(), len_));
        len_ = 0;
        return ok_;
    }
    void need(size_t n) {
        if (len_ + n > s_.size()) s_.resize(std::max(s_.size() * 2, len_ + n));
    }
    template <size_t N>
    void lit(const char (&t)[N]) { need(N - 1); std::memcpy(&s_[len_], t, N - 1); len_ += N - 1; }
    void ch(char c) { need(1); s_[len_++] = c; }
    void u64(uint64_t v) {
        need(24);
        len_ = size_t(std::to_chars(&s_[len_], &s_[len_] + 24, v).ptr - s_.data());
    }
    void num(double v) {
        need(48);
        char* b = &s_[len_];
        if (!std::isfinite(v)) { *b = '0'; ++len_; return; }
        const double r = std::round(v);
        if (r == v && std::fabs(v) < 9e15) {  // whole numbers (most rates) print as integers
            len_ = size_t(std::to_chars(b, b + 48, int64_t(r)).ptr - s_.data());
            return;
        }
        // Rates are averages over whole seconds: three decimals (a thousandth of a byte per second) say all of it.
        // Integer arithmetic: libstdc++'s fixed-precision to_chars goes through printf.
        if (std::fabs(v) >= 9e12) {
            len_ = size_t(std::to_chars(b, b + 48, v).ptr - s_.data());
            return;
        }
        const int64_t milli = int64_t(std::llround(v * 1000));
        char* p = b;
        uint64_t m = uint64_t(milli < 0 ? -milli : milli);
        if (milli < 0) *p++ = '-';
        p = std::to_chars(p, b + 48, m / 1000).ptr;
        if (unsigned frac = unsigned(m % 1000)) {
            *p++ = '.';
            const char d[3] = {char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10)};
            int keep = d[2] != '0' ? 3 : d[1] != '0' ? 2 : 1;
            for (int i = 0; i < keep; ++i) *p++ = d[i];
        }
        len_ = size_t(p - s_.data());
    }
    void str(std::string_view t) {
        need(t.size() * 6 + 2);
        char* p = &s_[len_];
        *p++ = '"';
        for (unsigned char c : t) {
            if (c == '"' || c == '\\') { *p++ = '\\'; *p++ = char(c); }
            else if (c < 0x20 || c == 0x7f) { p += std::snprintf(p, 7, "\\u%04x", c); }
            else *p++ = char(c);
        }
        *p++ = '"';
        len_ = size_t(p - s_.data());
    }
    void addr(const IpAddr& a) {
        need(INET6_ADDRSTRLEN + 2);
        char* p = &s_[len_];
        *p++ = '"';
        if (a.family == 4) {
            for (int i = 0; i < 4; ++i) {
                if (i) *p++ = '.';
                p = std::to_chars(p, p + 3, unsigned(a.bytes[i])).ptr;
            }
        } else {
            p = format_ipv6(a.bytes, p);
        }
        *p++ = '"';
        len_ = size_t(p - s_.data());
    }
    /// inet_ntop(3)'s text without its sprintf: RFC 5952 (longest run of two or more zero groups becomes "::",
    /// the first one on a tie, lowercase hex), and glibc's dotted quad for ::a.b.c.d and ::ffff:a.b.c.d.
    static char* format_ipv6(const uint8_t* b, char* p) {
        uint16_t w[8];
        for (int i = 0; i < 8; ++i) w[i] = uint16_t(b[2 * i] << 8 | b[2 * i + 1]);
        int best = -1, best_len = 0;
        for (int i = 0; i < 8;) {
            if (w[i] != 0) { ++i; continue; }
            int j = i;
            while (j < 8 && w[j] == 0) ++j;
            if (j - i > best_len) { best = i; best_len = j - i; }
            i = j;
        }
        if (best_len < 2) best = -1;
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < 8; ++i) {
            if (i == best) {
                *p++ = ':';
                if (best + best_len == 8) *p++ = ':';
                i += best_len - 1;
                continue;
            }
            if (i) *p++ = ':';
            if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
                for (int k = 12; k < 16; ++k) {
                    if (k > 12) *p++ = '.';
                    p = std::to_chars(p, p + 3, unsigned(b[k])).ptr;
                }
                break;
            }
            bool started = false;
            for (int shift = 12; shift >= 0; shift -= 4) {
                const unsigned nib = (w[i] >> shift) & 0xf;
                if (nib || started || shift == 0) { *p++ = hex[nib]; started = true; }
            }
        }
        return p;
    }
    std::string take() { s_.resize(len_); return std::move(s_); }

private:
    std::string s_;
    size_t len_ = 0;
    const std::function<bool(std::string_view)>* sink_;
    bool ok_ = true;
};

inline void json_counts_rates(JsonOut& o, const Counts& c, const Rates& r) {
    o.lit("\"sent_bytes\":"); o.u64(c.bytes[0]);
    o.lit(",\"recv_bytes\":"); o.u64(c.bytes[1]);
    o.lit(",\"sent_packets\":"); o.u64(c.packets[0]);
    o.lit(",\"recv_packets\":"); o.u64(c.packets[1]);
    o.lit(",\"sent_2s\":"); o.num(r.v[0][0]);
    o.lit(",\"sent_10s\":"); o.num(r.v[0][1]);
    o.lit(",\"sent_40s\":"); o.num(r.v[0][2]);
    o.lit(",\"recv_2s\":"); o.num(r.v[1][0]);
    o.lit(",\"recv_10s\":"); o.num(r.v[1][1]);
    o.lit(",\"recv_40s\":"); o.num(r.v[1][2]);
}
}  // namespace detail

namespace detail {
/// "export": how IPFIX and the Prometheus textfile are doing (null for an export that is off).
inline void json_export_status(JsonOut& o, const ExportStatus& e) {
    const auto str_or_null = [&](const std::string& v) { if (v.empty()) o.lit("null"); else o.str(v); };
    o.lit(",\"export\":{\"ipfix\":");
    if (e.collectors.empty()) {
        o.lit("null");
    } else {
        o.lit("{\"records\":"); o.u64(e.records);
        o.lit(",\"octets\":"); o.u64(e.octets);
        o.lit(",\"packets\":"); o.u64(e.packets);
        o.lit(",\"collectors\":[");
        for (size_t i = 0; i < e.collectors.size(); ++i) {
            const CollectorStatus& c = e.collectors[i];
            if (i) o.ch(',');
            o.lit("{\"address\":"); o.str(c.address);
            o.lit(",\"messages\":"); o.u64(c.messages);
            o.lit(",\"send_failures\":"); o.u64(c.send_failures);
            o.lit(",\"last_error\":"); str_or_null(c.last_error);
            o.ch('}');
        }
        o.lit("]}");
    }
    o.lit(",\"prometheus\":");
    if (e.prometheus.empty()) {
        o.lit("null");
    } else {
        o.lit("{\"file\":"); o.str(e.prometheus);
        o.lit(",\"writes\":"); o.u64(e.prometheus_writes);
        o.lit(",\"failures\":"); o.u64(e.prometheus_failures);
        o.lit(",\"last_error\":"); str_or_null(e.prometheus_error);
        o.ch('}');
    }
    o.ch('}');
}

inline void json_snapshot_into(JsonOut& o, const FlowTable& t, std::string_view interface, Micros timestamp,
                               bool final_object, const FlowAttribution* owners, const ExportStatus* exports) {
    o.lit("{\"timestamp\":");
    char ts[48];
    const int n = std::snprintf(ts, sizeof ts, "%" PRId64 ".%06" PRId64, timestamp / kMicrosPerSecond,
                                (timestamp % kMicrosPerSecond + kMicrosPerSecond) % kMicrosPerSecond);
    for (int i = 0; i < n; ++i) o.ch(ts[i]);
    if (final_object) o.lit(",\"final\":true,\"interface\":");
    else o.lit(",\"final\":false,\"interface\":");
    o.str(interface);
    o.lit(",\"attribution\":");
    o.str(attribution_name(owners ? owners->level() : Attribution::off));
    const FlowView tot = t.totals();
    o.lit(",\"totals\":{");
    json_counts_rates(o, tot.counts, tot.rates);
    o.lit(",\"peak_sent\":"); o.num(tot.peak[0]);
    o.lit(",\"peak_recv\":"); o.num(tot.peak[1]);
    o.lit(",\"peak_total\":"); o.num(t.peak_total());
    const CaptureCounts& c = t.capture();
    o.lit("},\"capture\":{\"packets\":"); o.u64(c.packets);
    o.lit(",\"ip_packets\":"); o.u64(c.ip_packets);
    o.lit(",\"skipped\":{");
    for (size_t i = 0; i < kSkipReasons; ++i) {
        if (i) o.ch(',');
        o.str(skip_name(static_cast<Skip>(i)));
        o.ch(':');
        o.u64(c.skipped[i]);
    }
    o.lit("},\"dropped\":"); o.u64(c.dropped);
    o.lit(",\"evicted_flows\":"); o.u64(c.evicted_flows);
    o.lit(",\"flows\":"); o.u64(t.size());
    o.ch('}');
    if (exports) json_export_status(o, *exports);
    o.lit(",\"flows\":[");
    bool first = true;
    // An intermediate snapshot lists what a live one would: the flows seen within the longest window (live, idle
    // flows leave the table after it). A file's table keeps every flow for the final object's totals; listing
    // them all every second would write the whole table once per second of capture.
    const Micros seen_since = final_object ? std::numeric_limits<Micros>::min()
                                           : t.last_tick() - Micros(kHistorySeconds) * kMicrosPerSecond + 1;
    t.for_each_flow([&](const FlowView& f) {  // table order: consumers sort as they need
        if (!first) o.ch(',');
        first = false;
        o.lit("{\"protocol\":");
        switch (f.key.proto) {
        case kProtoTcp: o.lit("\"TCP\""); break;
        case kProtoUdp: o.lit("\"UDP\""); break;
        default: o.str(protocol_name(f.key.proto));
        }
        o.lit(",\"src\":"); o.addr(f.key.local);
        o.lit(",\"src_port\":"); o.u64(f.key.local_port);
        o.lit(",\"dst\":"); o.addr(f.key.remote);
        o.lit(",\"dst_port\":"); o.u64(f.key.remote_port);
        o.ch(',');
        json_counts_rates(o, f.counts, f.rates);
        const FlowOwner* w = owners ? owners->owner(f.key) : nullptr;
        if (w && w->proc) {
            o.lit(",\"pid\":"); o.u64(uint64_t(w->proc->pid));
            o.lit(",\"process\":"); o.str(w->proc->name);
            o.lit(",\"container\":");
            if (w->proc->container.empty()) o.lit("null");
            else o.str(w->proc->container);
        } else {
            o.lit(",\"pid\":null,\"process\":null,\"container\":null");
        }
        o.lit(",\"uid\":");
        if (w && w->uid >= 0) o.u64(uint64_t(w->uid));
        else o.lit("null");
        if (w && w->exe) {
            o.lit(",\"publisher\":"); o.str(w->exe->publisher);
            o.lit(",\"sha256\":");
            if (w->exe->sha256.empty()) o.lit("null");
            else o.str(w->exe->sha256);
        } else {
            o.lit(",\"publisher\":null,\"sha256\":null");
        }
        o.ch('}');
        o.spill(64 * 1024);
    }, seen_since);
    o.lit("]}\n");
}
}  // namespace detail

std::string json_snapshot(const FlowTable& t, std::string_view interface, Micros timestamp, bool final_object,
                          const FlowAttribution* owners, const ExportStatus* exports) {
    detail::JsonOut o(4096 + t.size() * 360);
    detail::json_snapshot_into(o, t, interface, timestamp, final_object, owners, exports);
    return o.take();
}

bool write_json_snapshot(const FlowTable& t, std::string_view interface, Micros timestamp, bool final_object,
                         const std::function<bool(std::string_view)>& sink, const FlowAttribution* owners,
                         const ExportStatus* exports) {
    detail::JsonOut o(80 * 1024, &sink);
    detail::json_snapshot_into(o, t, interface, timestamp, final_object, owners, exports);
    return o.spill();
}

namespace detail {

/// Reverse DNS off the main loop: one worker thread, a bounded queue and a bounded cache. The loop asks for a
/// name and gets the address until the answer is in. The worker is detached: getnameinfo cannot be cancelled,
/// and a slow resolver must never hold up quitting.
class Resolver {
public:
    Resolver() : st_(std::make_shared<State>()) {}
    ~Resolver() {
        std::lock_guard<std::mutex> g(st_->mu);
        st_->stop = true;
        st_->cv.notify_all();
    }
    /// The name if known, "" if not (yet); asks for it once.
    std::string name(const IpAddr& a) {
        std::lock_guard<std::mutex> g(st_->mu);
        const std::string k = key(a);
        auto it = st_->cache.find(k);
        if (it != st_->cache.end()) return it->second;
        if (st_->queued.count(k) || st_->queue.size() >= kQueueMax) return "";
        if (!st_->started) {
            st_->started = true;
            std::thread(worker, st_).detach();
        }
        st_->queued.insert(k);
        st_->queue.push_back(a);
        st_->cv.notify_one();
        return "";
    }
    /// Waits up to `ms` for the queue to drain (used once before a final report).
    void settle(int ms) {
        std::unique_lock<std::mutex> g(st_->mu);
        st_->cv.wait_for(g, std::chrono::milliseconds(ms), [&] { return st_->queued.empty(); });
    }

private:
    static constexpr size_t kQueueMax = 1024, kCacheMax = 16384;
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<IpAddr> queue;
        std::unordered_set<std::string> queued;
        std::unordered_map<std::string, std::string> cache;
        bool stop = false, started = false;
    };
    static std::string key(const IpAddr& a) { return std::string(reinterpret_cast<const char*>(a.bytes), 16) + char(a.family); }
    static void worker(std::shared_ptr<State> st) {
        std::unique_lock<std::mutex> g(st->mu);
        for (;;) {
            st->cv.wait(g, [&] { return st->stop || !st->queue.empty(); });
            if (st->stop) return;
            IpAddr a = st->queue.front();
            st->queue.pop_front();
            g.unlock();
            std::string name = lookup(a);
            g.lock();
            if (st->cache.size() >= kCacheMax) st->cache.clear();
            st->cache[key(a)] = name.empty() ? a.to_string() : printable(name);
            st->queued.erase(key(a));
            st->cv.notify_all();
        }
    }
    static std::string lookup(const IpAddr& a) {
        char host[NI_MAXHOST] = "";
        if (a.family == 4) {
            sockaddr_in sa {};
            sa.sin_family = AF_INET;
            std::memcpy(&sa.sin_addr, a.bytes, 4);
            if (getnameinfo(reinterpret_cast<sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0, NI_NAMEREQD) != 0) return "";
        } else {
            sockaddr_in6 sa {};
            sa.sin6_family = AF_INET6;
            std::memcpy(&sa.sin6_addr, a.bytes, 16);
            if (getnameinfo(reinterpret_cast<sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0, NI_NAMEREQD) != 0) return "";
        }
        return host;
    }
    std::shared_ptr<State> st_;
};

/// Port → service name from /etc/services (getservbyport_r), cached. Main thread only.
class Services {
public:
    std::string name(uint16_t port, uint8_t proto) {
        const uint32_t k = (uint32_t(proto) << 16) | port;
        auto it = cache_.find(k);
        if (it != cache_.end()) return it->second;
        std::string out = std::to_string(port);
        struct servent se {}, *res = nullptr;
        char buf[1024];
        const char* p = proto == kProtoUdp ? "udp" : "tcp";
        if (getservbyport_r(htons(port), p, &se, buf, sizeof buf, &res) == 0 && res && res->s_name)
            out = printable(res->s_name);
        cache_.emplace(k, out);
        return out;
    }

private:
    std::unordered_map<uint32_t, std::string> cache_;
};

/// Standard output that notices a closed reader: EPIPE ends the program quietly (SIGPIPE is ignored).
class Out {
public:
    bool write(std::string_view s) {
        if (closed_) return false;
        size_t done = 0;
        while (done < s.size()) {
            ssize_t n = ::write(1, s.data() + done, s.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { closed_ = true; return false; }
            done += static_cast<size_t>(n);
        }
        return true;
    }
    bool closed() const { return closed_; }

private:
    bool closed_ = false;
};

inline volatile sig_atomic_t g_stop_signal = 0;
extern "C" inline void on_stop_signal(int sig) { g_stop_signal = sig; }

inline Micros mono_now() {
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Micros(ts.tv_sec) * kMicrosPerSecond + ts.tv_nsec / 1000;
}
inline Micros wall_now() {
    timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return Micros(ts.tv_sec) * kMicrosPerSecond + ts.tv_nsec / 1000;
}

/// The live loops' clock (the text/JSON loop and the screen share it). Live packets carry the kernel's
/// CLOCK_REALTIME stamps, so the engine's time axis is the wall clock plus Engine::shift(). The wall clock can be
/// stepped (settimeofday, an NTP step); CLOCK_BOOTTIME cannot (and, unlike CLOCK_MONOTONIC, it keeps counting
/// through a suspend, which is real time passing). Each reading compares the two clocks' progress since the
/// previous one: a difference of more than a second is a step (a slew moves them apart by at most 0.5 ms/s), and
/// the shift absorbs it, so the axis stays continuous: no burst of empty seconds after a step forward, no second
/// reopened after a step back. Frames stamped before the step then fall outside the open second and are held
/// inside it by the engine's time rule (README "Time"): each is still counted, near the second of the step.
class LiveClock {
public:
    explicit LiveClock(Engine& e) : engine_(e), offset_(wall_now() - boot_now()) { last_read_ = now(); }
    /// The present on the engine's axis, after absorbing any step since the last reading (logically const:
    /// reading the clock; the step bookkeeping is mutable).
    Micros now() const {
        const Micros wall = wall_now(), offset = wall - boot_now();
        if (offset - offset_ > kMicrosPerSecond || offset_ - offset > kMicrosPerSecond)
            engine_.set_shift(engine_.shift() - (offset - offset_));
        offset_ = offset;
        return wall + engine_.shift();
    }
    /// Reads every frame the source has ready (Engine::run_live at the present) and paces the next read. After a
    /// batch the loop leaves the capture fd alone for IFTOP_BATCH_MS, so the next batch gathers in the kernel's
    /// buffer (a readable fd would wake it for nearly every packet); less when packets come so fast that a
    /// batch would pass kBatchTarget (a sixth of the default buffer's slots). After an empty read it watches
    /// the fd again, so an idle link wakes the loop only for its ticks.
    Result<int> read(PacketSource& src) {
        const Micros t = now();
        Result<int> r = engine_.run_live(src, t);
        const Micros elapsed = std::max<Micros>(1, t - last_read_);
        last_read_ = t;
        if (!r || *r <= 0) { gather_until_ = 0; return r; }
        // With attribution, a quiet link is not batched: a new flow must reach the lookup worker while its socket
        // (a DNS query, a health check) still exists. Quiet: under 64 frames per batch time over the last second
        // (this second's count so far and the previous one's). Not this read's size, which reading eagerly makes
        // small however busy the link; not the rate since the last read either, which one burst (a 10 KB reply)
        // makes high on a quiet link.
        if (t - second_start_ >= kMicrosPerSecond) {
            prev_second_ = t - second_start_ < 2 * kMicrosPerSecond ? this_second_ : 0;
            this_second_ = 0;
            second_start_ = t;
        }
        this_second_ += uint64_t(*r);
        const uint64_t quiet_below = 64 * 1000 / std::max(1, IFTOP_BATCH_MS);
        if (engine_.table().announces_new_flows() && std::max(prev_second_, this_second_) < quiet_below) {
            gather_until_ = 0;
            return r;
        }
        const double per_us = double(*r) / double(elapsed);
        gather_until_ = t + std::min<Micros>(Micros(IFTOP_BATCH_MS) * 1000, Micros(kBatchTarget / per_us));
        return r;
    }
    /// Whether the loop should wake when the capture fd becomes readable (false while a batch gathers).
    bool watch_fd(Micros now) const { return now >= gather_until_; }
    /// Milliseconds a loop may sleep at `now` (rounded up, at most `cap_ms`): until the next second can close,
    /// the gathering batch is due, or the source requires a read (pcap_get_required_select_timeout).
    int wait_ms(const PacketSource& src, Micros now, int cap_ms) const {
        Micros wait = std::max<Micros>(0, engine_.next_close(src) - now);
        if (now < gather_until_) wait = std::min(wait, gather_until_ - now);
        const Micros required = src.max_poll_wait();
        if (required >= 0) wait = std::min(wait, required);
        return int(std::min<Micros>(wait / 1000 + 1, cap_ms));  // + 1: wake just past the deadline, not before
    }
    /// Add to a time on the engine's axis to get the wall-clock time as the clock reads now.
    Micros to_wall() const { return -engine_.shift(); }

private:
    static Micros boot_now() {
        timespec ts {};
#ifdef CLOCK_BOOTTIME
        clock_gettime(CLOCK_BOOTTIME, &ts);
#else
        clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
        return Micros(ts.tv_sec) * kMicrosPerSecond + ts.tv_nsec / 1000;
    }
    static constexpr double kBatchTarget = 4096;
    Engine& engine_;
    mutable Micros offset_;
    Micros last_read_ = 0, gather_until_ = 0;
    Micros second_start_ = 0;                     // frames read in this second (from second_start_) and the last
    uint64_t this_second_ = 0, prev_second_ = 0;
};

/// iftop -t's preamble (on stderr, as iftop prints it) for a live interface.
inline void print_interface_banner(const std::string& dev) {
    std::string v4, v6;
    for (const IpAddr& a : local_addresses(dev)) {
        if (a.family == 4 && v4.empty()) v4 = a.to_string();
        if (a.family == 6 && v6.empty() && !a.is_link_local6()) v6 = a.to_string();
    }
    std::fprintf(stderr, "interface: %s\n", printable(dev).c_str());
    if (!v4.empty()) std::fprintf(stderr, "IP address is: %s\n", v4.c_str());
    if (!v6.empty()) std::fprintf(stderr, "IPv6 address is: %s\n", v6.c_str());
    if (auto r = read_file_capped("/sys/class/net/" + dev + "/address", 4096)) {
        const std::string mac(trim(*r));
        if (!mac.empty()) std::fprintf(stderr, "MAC address is: %s\n", printable(mac).c_str());
    }
}

}  // namespace detail

namespace detail {

/// --replay: releases a file's frames when the clock reaches their recorded offset, and keeps ticking through
/// quiet stretches, so a capture plays as it happened. One frame is held (copied) until its time comes.
class Replayer : FrameSink {
public:
    /// Feeds every frame whose time has come. Returns how long to wait for the next one (µs), or -1 at the end
    /// of the file (or on a read error, then in `error`).
    Micros pump(PacketSource& src, Engine& engine) {
        for (;;) {
            if (!has_ && !src.at_end()) {
                auto r = src.dispatch(*this, 1);
                if (!r) { error = r.error(); return -1; }
            }
            if (!has_) return -1;
            if (!started_) { file0_ = f_.ts; wall0_ = mono_now(); started_ = true; }
            const Micros vnow = file0_ + (mono_now() - wall0_);
            if (f_.ts > vnow) { engine.advance(vnow); return f_.ts - vnow; }
            engine.on_frame(f_);
            has_ = false;
        }
    }
    /// Add to a capture time to get wall-clock time (valid once the first frame was read).
    Micros wall_offset() const { return started_ ? wall_now() - (file0_ + (mono_now() - wall0_)) : 0; }
    std::optional<Error> error;

private:
    void on_frame(const Frame& fr) override {
        bytes_.assign(fr.data, fr.data + fr.caplen);
        f_ = fr;
        f_.data = bytes_.data();
        has_ = true;
    }
    Frame f_;
    std::vector<uint8_t> bytes_;
    bool has_ = false, started_ = false;
    Micros file0_ = 0, wall0_ = 0;
};

/// The interactive screen's loop: loop state (terminal, capture, timers, input, what was saved) kept apart from
/// the view's settings and UI state; setup, one step per wake-up, teardown by the Terminal's destructor.
class TuiLoop {
public:
    TuiLoop(const Options& opt, PacketSource& src, Engine& engine, Resolver& resolver, Services& services,
            FlowAttribution* owners, Exporter* exports)
        : opt_(opt), cur_(&src), engine_(engine), resolver_(resolver), services_(services), owners_(owners),
          exports_(exports) {}

    int run() {
        auto t = Terminal::open(mouse_on());
        if (!t) {
            std::fprintf(stderr, "iftop: %s\n", printable(t.error().message).c_str());
            return 1;
        }
        term_ = std::move(*t);
        setup();
        while (step()) {}
        term_.reset();  // the terminal back first, so the error lands in the shell's scrollback
        // A file that could not be read to its end: the screen said so; the exit status says it too (1, as -t and
        // --json do), so a script never takes a partial picture for a whole one.
        if (read_error_.empty()) return 0;
        std::fprintf(stderr, "iftop: %s; the screen showed what was read before it\n", printable(read_error_).c_str());
        return 1;
    }

private:
    bool mouse_on() const { return !opt_.no_mouse && opt_.mouse; }

    /// The settings from the command line and the file (the command line has already won over the file).
    void init_settings() {
        st_.bars = opt_.bars;
        st_.bytes = opt_.bytes;
        st_.show_ports = opt_.show_ports && !opt_.hide_ports;
        st_.sort = opt_.sort;
        st_.dns = opt_.dns;
        st_.port_names = opt_.port_names;
        st_.max_bandwidth = opt_.max_bandwidth;
        st_.bpf = opt_.bpf;
        if (const Theme* th = find_theme(opt_.theme)) st_.theme = size_t(th - themes().data());
        st_.line_mode = opt_.line_display == "one-line-both" ? ViewState::one_line_both
                        : opt_.line_display == "one-line-sent" ? ViewState::one_line_sent
                        : opt_.line_display == "one-line-received" ? ViewState::one_line_recv : ViewState::two_line;
        st_.cumulative = opt_.show_totals;
        st_.log_scale = opt_.log_scale;
        st_.hide_src = opt_.hide_source;
        st_.hide_dst = opt_.hide_destination;
        st_.pinned = opt_.pinned;
        st_.bar_style = opt_.bar_style == "gradient" ? ViewState::gradient : opt_.bar_style == "thin" ? ViewState::thin
                        : opt_.bar_style == "ascii" ? ViewState::ascii_bar : ViewState::solid;
        st_.alert_threshold = uint64_t(opt_.alert_threshold);
        st_.show_processes = !opt_.no_processes;
        apply_screen_config(opt_.config_text, st_);  // empty when the file did not parse: it is ignored whole
        // The terminal's abilities: a non-UTF-8 locale cannot show box and block glyphs (ASCII, as --ascii).
        const char* loc = std::getenv("LC_ALL");
        if (!loc || !*loc) loc = std::getenv("LC_CTYPE");
        if (!loc || !*loc) loc = std::getenv("LANG");
        const std::string l = lower(loc ? loc : "");
        st_.ascii = opt_.ascii || (l.find("utf-8") == std::string::npos && l.find("utf8") == std::string::npos);
        st_.color = opt_.color == "never" ? ColorMode::mono
                    : detect_color_mode(opt_.color == "always" ? nullptr : std::getenv("NO_COLOR"), std::getenv("COLORTERM"),
                                        std::getenv("TERM"));
        if (opt_.color == "always" && st_.color == ColorMode::mono) st_.color = ColorMode::c256;
        saved_ = config_items(st_);
    }

    void init_model() {
        vm_.interface = cur_->name();
        vm_.host_name = [this](const IpAddr& a) { return st_.dns ? resolver_.name(a) : std::string(); };
        vm_.port_name = [this](uint16_t p, uint8_t proto) { return st_.port_names ? services_.name(p, proto) : std::to_string(p); };
        if (owners_) vm_.owner = [this](const FlowKey& k) { return owners_->owner(k); };
        vm_.history = [this](const FlowKey& k, int dir, std::array<uint64_t, kHistorySeconds>& out) {
            return engine_.table().history(k, dir, out);
        };
        vm_.sorted_by = st_.sort;
        engine_.on_tick([this](int64_t index, Micros at) {
            if (owners_) owners_->update(engine_.table(), at);  // new flows looked up once per tick, never per packet
            if (index % st_.refresh == 0) ticked_ = true;       // R: the screen follows every 1, 2, 5 or 10 s
            if (exports_) {                                     // [14]: IPFIX timeouts, the textfile; failures say so once
                const CaptureStats cs = cur_->stats();
                if (cs.available) engine_.table().capture().dropped = cs.dropped;
                exports_->tick(engine_.table(), at, owners_);
                std::string news = exports_->take_news();
                if (!news.empty()) { st_.message = std::move(news); ticked_ = true; }
            }
            return true;
        });
    }

    void setup() {
        auto [w, h] = term_->size();
        scr_.resize(w, h);
        init_settings();
        init_model();
        st_.screen_w = scr_.width();
        live_ = cur_->live();
        replay_done_ = !opt_.replay;
        if (!live_ && !opt_.replay) {  // a file, as fast as possible: the screen then shows where it ended
            auto r = engine_.run_offline(*cur_);
            engine_.finish();
            if (!r) {
                read_error_ = r.error().message;
                vm_.interface += " (read error: " + read_error_ + ")";
            }
            vm_.ended = true;
        }
        if (live_) restart_clock();
    }

    void restart_clock() {  // live: packets count by their capture timestamps (Engine::run_live, LiveClock)
        const Micros start = clock_.now();
        engine_.table().set_origin(start);
        engine_.advance(start);
    }

    /// How long poll may sleep: the next tick, the Esc pause, the hover delay, the next replayed frame.
    Micros next_wait(Micros now) const {
        Micros wait = kMicrosPerSecond / 4;
        if (live_) wait = std::min<Micros>(wait, Micros(clock_.wait_ms(*cur_, clock_.now(), 1000)) * 1000);
        if (parser_.pending()) wait = std::min<Micros>(wait, 30000);
        if (st_.hover_segment >= 0 && st_.status_tip != st_.hover_segment)
            wait = std::min(wait, std::max<Micros>(0, hover_since_ + kMicrosPerSecond - now));
        if (!replay_done_) wait = std::min(wait, replay_wait_);
        return wait;
    }

    /// A signal through the self-pipe: stop, resume after Ctrl-Z/fg, or a resize. False: stop.
    bool on_signal() {
        term_->drain_wake();
        const int sig = g_tui_signal;
        g_tui_signal = 0;
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) return false;
        if (sig == SIGCONT) { term_->enter(); scr_.invalidate(); motion_on_ = false; }
        auto [nw, nh] = term_->size();  // SIGWINCH (or anything): a resize redraws at once
        if (nw != scr_.width() || nh != scr_.height()) scr_.resize(nw, nh);
        st_.screen_w = scr_.width();
        dirty_ = true;
        return true;
    }

    /// Waits for the terminal, a signal or the capture; turns input bytes into events. False: stop.
    bool wait_and_read() {
        pollfd fds[3] = {{term_->in_fd(), POLLIN, 0}, {term_->wake_fd(), POLLIN, 0}, {cur_->selectable_fd(), POLLIN, 0}};
        const int nfds = live_ && cur_->selectable_fd() >= 0 && clock_.watch_fd(clock_.now()) ? 3 : 2;
        poll(fds, nfds_t(nfds), int(next_wait(mono_now()) / 1000) + 1);
        if ((fds[1].revents & POLLIN) && !on_signal()) return false;
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            char buf[512];
            const ssize_t n = ::read(term_->in_fd(), buf, sizeof buf);
            if (n > 0) { parser_.feed(std::string_view(buf, size_t(n)), events_); esc_since_ = mono_now(); }
            else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return false;  // the terminal went away
        } else if (parser_.pending() && mono_now() - esc_since_ > 25000) {
            parser_.flush(events_);  // a lone Esc is only known after a pause
        }
        return true;
    }

    void list_interfaces_action() {
        if (!live_) { st_.message = "reading a file: there is no interface to switch to"; return; }
        auto l = list_interfaces();
        if (!l) { st_.message = l.error().message; return; }
        st_.interfaces.clear();
        for (const auto& i : *l) if (i.up) st_.interfaces.push_back(i.name);
        st_.interface_sel = 0;
        for (size_t k = 0; k < st_.interfaces.size(); ++k)
            if (st_.interfaces[k] == cur_->name()) st_.interface_sel = int(k);
        if (st_.interfaces.empty()) st_.message = "no interface is up";
    }

    void switch_interface_action() {
        if (st_.interfaces.empty()) return;
        LiveOptions lo;
        lo.interface = st_.interfaces[size_t(st_.interface_sel)];
        lo.bpf = st_.bpf;
        lo.promiscuous = opt_.promiscuous;
        st_.interfaces.clear();
        auto n = open_live(lo);
        if (!n) { st_.message = n.error().message; return; }
        // A new capture: a fresh table (flows of two interfaces are not one picture), the new local addresses.
        switched_ = std::move(*n);
        cur_ = switched_.get();
        engine_.reset(local_addresses(cur_->name()));  // the old flows are exported as they are forgotten
        if (exports_) exports_->set_interface(cur_->name(), if_nametoindex(cur_->name().c_str()));
        restart_clock();
        vm_.interface = cur_->name();
        st_.selected = st_.scroll = 0;
        st_.message = "capturing on " + cur_->name();
        have_snapshot_ = false;
    }

    void export_action() {
        char name[80], date[32];
        const time_t tt = time(nullptr);
        struct tm tmv {};
        localtime_r(&tt, &tmv);
        std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tmv);
        std::strftime(name, sizeof name, "iftop-export-%Y%m%d-%H%M%S", &tmv);
        const std::string text = export_table(vm_, st_.bytes, date);
        // A new file, never an existing name or a link planted at one; in . or else the user's home.
        std::string why;
        for (const std::string& dir : {std::string("."), home_dir()}) {
            auto r = create_file_unique(dir, name, ".txt", text, 0600);
            if (r) { st_.message = "exported " + std::to_string(vm_.rows.size()) + " flows to " + *r; return; }
            why += (why.empty() ? "" : "; ") + r.error().message;
        }
        st_.message = "export failed: " + printable(why);
    }

    void run_action(InputAction a) {
        switch (a) {
        case InputAction::suspend: term_->suspend(); scr_.invalidate(); break;
        case InputAction::list_interfaces: list_interfaces_action(); break;
        case InputAction::switch_interface: switch_interface_action(); break;
        case InputAction::apply_filter: {
            auto r = cur_->set_filter(st_.bpf);
            st_.message = r ? (st_.bpf.empty() ? "filter code cleared" : "filter code: " + st_.bpf) : r.error().message;
            break;
        }
        case InputAction::copy:
            if (st_.view == ViewState::flows && st_.selected < int(vm_.rows.size())) {
                const std::string line = row_label(vm_.rows[size_t(st_.selected)], st_);
                term_->write(osc52_copy(line));
                st_.message = "copied " + line;
            }
            break;
        case InputAction::export_flows: export_action(); break;
        default: break;
        }
    }

    /// Toggles are saved as they change: only the keys that changed (what the command line set is not written
    /// back), never a preview, never into a file that did not parse.
    void save_changes() {
        if (!opt_.config_writable || opt_.config_path.empty() || st_.chooser || st_.editor.open) return;
        auto now_items = config_items(st_);
        std::vector<std::pair<std::string, std::string>> changed;
        for (size_t i = 0; i < now_items.size(); ++i)
            if (i >= saved_.size() || now_items[i] != saved_[i]) changed.push_back(now_items[i]);
        if (changed.empty()) return;
        auto r = config_set(opt_.config_path, changed);
        // A failure is said once (not over every later toggle's own message); a new failure is said again.
        const std::string err = r ? std::string() : r.error().message;
        if (!err.empty() && err != save_error_) st_.message = err;
        save_error_ = err;
        saved_ = now_items;
    }

    /// Every event through apply_input, then what the loop must do. False: quit.
    bool handle_events() {
        bool go = true;
        for (const InputEvent& e : events_) {
            const InputAction a = apply_input(e, st_, vm_, scr_.height(), page_rows_, frozen_);
            if (a == InputAction::quit) { go = false; break; }
            run_action(a);
        }
        if (!events_.empty()) {
            dirty_ = ticked_ = true;  // re-aggregate: the keys may change grouping, sort or filter
            save_changes();
        }
        events_.clear();
        return go;
    }

    /// A status-bar part's tooltip after the pointer rests on it for about a second; motion reports only while
    /// the status bar is shown.
    void update_hover() {
        if (st_.hover_segment != last_hover_) {
            last_hover_ = st_.hover_segment;
            hover_since_ = mono_now();
        } else if (st_.hover_segment >= 0 && st_.status_tip != st_.hover_segment && mono_now() - hover_since_ >= kMicrosPerSecond) {
            st_.status_tip = st_.hover_segment;
            dirty_ = true;
        }
        const bool want = mouse_on() && st_.status_bar && st_.hover_tips;
        if (want != motion_on_) {
            motion_on_ = want;
            term_->write(want ? seq::kMouseMotionOn : seq::kMouseMotionOff);
        }
    }

    /// Packets in: live, what the capture has; --replay, the frames whose time has come.
    void pump_capture() {
        if (live_) {
            auto r = clock_.read(*cur_);
            if (!r) { st_.message = r.error().message; dirty_ = true; }
        } else if (!replay_done_) {
            replay_wait_ = replay_.pump(*cur_, engine_);
            if (replay_wait_ < 0) {
                replay_done_ = true;
                engine_.finish();
                ticked_ = true;
                vm_.ended = true;  // the status bar's clock says "end of file"
                if (replay_.error) st_.message = read_error_ = replay_.error->message;
            }
        }
    }

    /// A flow whose 2 s rate crosses the threshold: marked, the border blinks, one bell per crossing.
    void check_alerts() {
        if (!st_.alert_threshold) return;
        std::vector<FlowKey> now_over;
        for (const FlowView& f : vm_.rows) {
            if (f.rates.total(0) * 8 < double(st_.alert_threshold)) continue;
            now_over.push_back(f.key);
            if (std::find(st_.alerting.begin(), st_.alerting.end(), f.key) == st_.alerting.end()) {
                term_->write(seq::kBell);
                st_.message = "alert: " + row_label(f, st_) + " over " + format_rate(double(st_.alert_threshold) / 8, false);
                flash_ticks_ = 6;
            }
        }
        st_.alerting = std::move(now_over);
    }

    /// The rows and groups from the table, or, while paused, from the flows as they were when P was pressed (so
    /// every view stays frozen and a new sort waits, shown as pending).
    void rebuild_model() {
        if (!st_.paused || !have_snapshot_) {
            snapshot_ = all_flows(engine_.table());
            have_snapshot_ = true;
            vm_.totals = engine_.table().totals();
            vm_.peak_total = engine_.table().peak_total();
            vm_.sorted_by = st_.sort;
            vm_.sorted_reverse = st_.reverse;
            if (owners_) vm_.attribution = attribution_name(owners_->level());
        }
        vm_.groups.clear();
        if (owners_ && st_.view == ViewState::processes) vm_.groups = group_by_process(snapshot_, *owners_);
        if (owners_ && st_.view == ViewState::publishers) vm_.groups = group_by_publisher(snapshot_, *owners_);
        const SortKey sort = st_.sort;
        const bool reverse = st_.reverse;
        st_.sort = vm_.sorted_by;
        st_.reverse = vm_.sorted_reverse;
        vm_.rows = view_rows(drill_filter(snapshot_, st_, vm_), st_, vm_.host_name, &frozen_, vm_.port_name);
        st_.sort = sort;
        st_.reverse = reverse;
        if (!st_.paused) {
            check_alerts();
            st_.flash = flash_ticks_ > 0 && flash_ticks_-- % 2 == 0;
        }
        if (!vm_.ended || vm_.clock.empty()) {  // at the end of a file the clock stops
            const time_t tt = time(nullptr);
            char clk[16];
            struct tm tmv {};
            localtime_r(&tt, &tmv);
            std::strftime(clk, sizeof clk, "%H:%M:%S", &tmv);
            vm_.clock = clk;
        }
        dirty_ = true;
    }

    /// One wake-up: input, actions, capture, model, frame. False: stop.
    bool step() {
        if (!wait_and_read()) return false;
        if (!handle_events()) return false;
        update_hover();
        pump_capture();
        if (ticked_) {
            ticked_ = false;
            rebuild_model();
        }
        if (dirty_) {
            dirty_ = false;
            page_rows_ = std::max(1, render(scr_, st_, vm_));
            if (!term_->write(scr_.present(st_.color))) return false;
        }
        return true;
    }

    const Options& opt_;
    PacketSource* cur_;                         // i switches capture: the new source is owned here
    std::unique_ptr<PacketSource> switched_;
    Engine& engine_;
    LiveClock clock_{engine_};                  // live: the capture clock and the batch pacing
    Resolver& resolver_;
    Services& services_;
    FlowAttribution* owners_;
    Exporter* exports_;                         // [14], or null
    std::unique_ptr<Terminal> term_;
    Screen scr_{80, 24};
    ViewState st_;
    ViewModel vm_;
    std::vector<std::pair<std::string, std::string>> saved_;  // ~/.iftoprc as last written
    std::string save_error_;                    // the last failure to save it (said once)
    std::string read_error_;                    // the file or --replay read error that ended the input (exit 1)
    std::vector<FlowKey> frozen_;
    std::vector<FlowView> snapshot_;            // the flows the screen shows (kept while paused)
    bool have_snapshot_ = false;
    InputParser parser_;
    std::vector<InputEvent> events_;
    bool live_ = false, ticked_ = true, dirty_ = true;
    Replayer replay_;
    bool replay_done_ = true;
    Micros replay_wait_ = 0, esc_since_ = 0, hover_since_ = 0;
    int page_rows_ = 1, flash_ticks_ = 0, last_hover_ = -1;
    bool motion_on_ = false;  // ?1003h: only while the status bar (whose parts have hover tooltips) is shown
};

/// The interactive screen.
inline int run_tui(const Options& opt, PacketSource& src, Engine& engine, Resolver& resolver, Services& services,
                   FlowAttribution* owners, Exporter* exports) {
    return TuiLoop(opt, src, engine, resolver, services, owners, exports).run();
}

/// The screen as run() starts it: after the drop the screen saves settings as the user it now is; said once (it
/// shows after the screen closes) when that user cannot write the file, e.g. root's own ~/.iftoprc once running as
/// nobody. The exports get every flow's last counts when the screen closes.
inline int run_screen(const Options& opt, PacketSource& src, Engine& engine, Resolver& resolver, Services& services,
                      FlowAttribution* owners, Exporter* exports) {
    Options screen_opt = opt;
    if (opt.config_writable && !opt.config_path.empty()) {
        struct stat cst {};
        const bool can = ::lstat(opt.config_path.c_str(), &cst) == 0
                             ? S_ISREG(cst.st_mode) && cst.st_uid == ::geteuid()
                             : errno == ENOENT && ::access(dir_of(opt.config_path).c_str(), W_OK | X_OK) == 0;
        if (!can) {
            screen_opt.config_writable = false;
            std::fprintf(stderr, "iftop: settings changed on the screen were not saved: uid %u cannot write %s "
                                 "(--user sets who iftop runs as)\n", unsigned(::geteuid()),
                         printable(opt.config_path).c_str());
        }
    }
    const int rc = run_tui(screen_opt, src, engine, resolver, services, owners, exports);
    if (exports) {
        engine.finish();
        exports->finish(engine.table(), engine.table().last_tick(), owners);
    }
    return rc;
}

}  // namespace detail

namespace detail {
/// The screen when standard output is a terminal that can draw it; text reports (-t) when it is a pipe, a file, or
/// TERM=dumb (no cursor addressing: said once on stderr).
inline bool wants_screen(const Options& opt) {
    if (opt.text || opt.json || !isatty(1)) return false;
    const char* term = std::getenv("TERM");
    if (!term || std::string_view(term) != "dumb") return true;
    std::fprintf(stderr, "iftop: TERM=dumb cannot draw the screen: text reports instead (as -t)\n");
    return false;
}

/// SIGINT, SIGTERM and SIGHUP end the text and JSON loops cleanly (the final report is still written), and so
/// does SIGALRM (armed only by -s on a file); a reader that goes away (SIGPIPE) shows as a failed write instead.
/// No SA_RESTART: the signal also interrupts a read blocked on a quiet pipe.
inline void install_stop_signals() {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM}) sigaction(sig, &sa, nullptr);
}

/// iftop -t's report settings from the options; names through the resolver and the services table when asked.
inline TextStyle text_style(const Options& opt, Resolver& resolver, Services& services) {
    TextStyle style;
    style.show_ports = opt.show_ports && !opt.hide_ports;
    style.bytes = opt.bytes;
    style.lines = opt.lines;
    style.sort = opt.sort;
    if (opt.dns) style.host_name = [&resolver](const IpAddr& a) { return resolver.name(a); };
    if (opt.port_names) style.port_name = [&services](uint16_t p, uint8_t proto) { return services.name(p, proto); };
    return style;
}

/// Attribution: live only (a file's flows are not this host's sockets), off with -Z; text mode only when asked.
inline std::unique_ptr<FlowAttribution> start_attribution(const Options& opt, bool live, bool interactive) {
    if (!live || opt.no_processes || !(opt.json || opt.processes || interactive)) return nullptr;
    auto owners = std::make_unique<FlowAttribution>(FlowAttribution::Config{});
    if (owners->level() == Attribution::off)
        std::fprintf(stderr, "iftop: process attribution is off: neither /proc/net nor lsof can be read\n");
    // The lookup worker starts here, after the captures are open and privileges dropped (it runs with what the
    // process keeps); the caller hands new_flow_sink() to its table.
    owners->start();
    return owners;
}

/// [14] exports, beside the screen, -t or --json (null when none is asked for). The table's time is the packets'
/// own stamps, live (wall clock, see LiveClock) and offline alike, so no offset is added.
inline Result<std::unique_ptr<Exporter>> start_exports(const Options& opt, const std::string& iface, bool live,
                                                       Engine& engine, const FlowAttribution* owners) {
    if (opt.ipfix.empty() && opt.prometheus.empty()) return std::unique_ptr<Exporter>();
    ExportConfig ec;
    ec.ipfix = opt.ipfix;
    ec.prometheus = opt.prometheus;
    ec.active_timeout = opt.ipfix_active_timeout;
    ec.inactive_timeout = opt.ipfix_inactive_timeout;
    ec.template_refresh = opt.ipfix_template_refresh;
    ec.interface = iface;
    ec.if_index = live ? if_nametoindex(iface.c_str()) : 0;
    ec.epoch_offset = 0;  // live time is the packets' wall-clock stamps too (LiveClock shifts it only on a step)
    ec.fast_offline = !opt.read_file.empty() && !opt.replay;
    auto e = Exporter::open(ec);
    if (!e) return e.error();
    (*e)->attach(engine.table(), owners);
    return std::move(*e);
}

/// The commands that print something and exit (-h, -V, --completions, --list-colors, --list-interfaces): their exit
/// status, or nullopt when none was asked for.
inline std::optional<int> run_info_command(const Options& opt) {
    if (opt.help) { std::fputs(usage_text().c_str(), stdout); return 0; }
    if (opt.version) {
#ifndef IFTOP_NO_PCAP
        std::printf("iftop " IFTOP_VERSION " (iftop.hpp; %s)\n", pcap_lib_version());
#else
        std::printf("iftop " IFTOP_VERSION " (iftop.hpp; built without libpcap)\n");
#endif
        return 0;
    }
    if (!opt.completions.empty()) { std::fputs(completion_script(opt.completions).c_str(), stdout); return 0; }
    if (opt.list_colors) {
        // Swatches in 24-bit colour when standard output is a terminal that may show colour.
        const bool swatch = isatty(1) && opt.color != "never" && !(std::getenv("NO_COLOR") && *std::getenv("NO_COLOR") && opt.color != "always");
        for (const Theme& t : themes()) {
            std::string line = std::string(t.name);
            line.resize(14, ' ');
            if (swatch) {
                for (Role r : {Role::bg, Role::fg, Role::host_local, Role::host_remote, Role::bar_sent, Role::bar_recv,
                               Role::bar_low, Role::bar_high, Role::sel_bg, Role::status_bg, Role::accent, Role::alert}) {
                    char b[40];
                    std::snprintf(b, sizeof b, "\x1b[48;2;%u;%u;%um  ", t[r] >> 16 & 0xff, t[r] >> 8 & 0xff, t[r] & 0xff);
                    line += b;
                }
                line += "\x1b[0m ";
            }
            line += t.description;
            std::puts(line.c_str());
        }
        return 0;
    }
    if (opt.list_interfaces) {
        auto l = list_interfaces();
        if (!l) { std::fprintf(stderr, "iftop: %s\n", printable(l.error().message).c_str()); return 1; }
        for (const auto& i : *l) {
            std::string addrs;
            for (const auto& a : i.addresses) addrs += (addrs.empty() ? "" : " ") + a;
            // Interface names come from the kernel but are chosen by whoever made them (F18): printable only.
            std::printf("%-16s %-4s%s %s\n", printable(i.name).c_str(), i.up ? "up" : "down", i.loopback ? " loopback" : "",
                        printable(addrs).c_str());
        }
        return 0;
    }
    return std::nullopt;
}

/// The run's capture loop for -t and --json: a file as fast as it reads, --replay at recorded speed, or live in
/// batches accounted by their timestamps. Returns the read error that ended it, if any; wall_offset follows the
/// loop (add it to a tick time to get wall-clock time).
inline Result<bool> run_capture_loop(const Options& opt, PacketSource& source, Engine& engine, Out& out,
                                     Micros& wall_offset) {
    Result<bool> status = true;
    if (!opt.read_file.empty() && !opt.replay) {
        // As fast as it reads, with the stop signals honoured between batches: a stream of records whose time
        // never advances (F6) never ticks, so the tick callback alone would never see them. With -s, SIGALRM
        // ends a stream whose capture time has not advanced for N seconds of wall time (re-armed on every tick);
        // it also interrupts a read blocked on a quiet pipe (no SA_RESTART).
        if (opt.seconds) alarm(unsigned(opt.seconds));  // SIGALRM's handler: install_stop_signals
        while (!engine.stopped() && !source.at_end() && !g_stop_signal) {
            auto r = source.dispatch(engine, 4096);
            if (!r) {
                if (!g_stop_signal) status = r.error();  // a read cut short by our own signal is no file error
                break;
            }
        }
        if (opt.seconds) alarm(0);
    } else if (!opt.read_file.empty()) {
        // --replay: frames are released when the wall clock reaches their recorded offset; ticks keep coming
        // through quiet stretches, so the output looks as it did live.
        Replayer replay;
        while (!engine.stopped() && !g_stop_signal && !out.closed()) {
            const Micros wait = replay.pump(source, engine);
            wall_offset = replay.wall_offset();
            if (wait < 0) {
                if (replay.error) status = *replay.error;
                break;
            }
            usleep(static_cast<useconds_t>(std::min(wait, Micros(200000))));
        }
    } else {
        // One wakeup per batch of packets (or per second when the link is idle): sleep until the next second can
        // close, the gathering batch is due, or (idle) a packet comes; then account the batch by its timestamps.
        const int fd = source.selectable_fd();
        LiveClock clock(engine);
        const Micros start = clock.now();
        engine.table().set_origin(start);
        engine.advance(start);
        while (!engine.stopped() && !g_stop_signal && !out.closed()) {
            const Micros now = clock.now();
            const int timeout_ms = clock.wait_ms(source, now, fd >= 0 ? 1000 : IFTOP_BATCH_MS);
            pollfd p {fd, POLLIN, 0};
            poll(&p, fd >= 0 && clock.watch_fd(now) ? 1 : 0, timeout_ms);  // 0 fds: a plain sleep
            wall_offset = clock.to_wall();
            auto r = clock.read(source);
            if (!r) { status = r.error(); break; }
        }
    }
    return status;
}
}  // namespace detail

int run(const Options& opt) {
    using namespace detail;
    if (auto done = run_info_command(opt)) return *done;

    AccountingConfig acfg;
    acfg.count_link_local = opt.link_local;
    acfg.max_flows = opt.max_flows;
    if (!opt.net4.empty()) { auto n = Net::parse4(opt.net4); if (!n) { std::fprintf(stderr, "iftop: %s\n", printable(n.error().message).c_str()); return 2; } acfg.net4 = *n; }
    if (!opt.net6.empty()) { auto n = Net::parse6(opt.net6); if (!n) { std::fprintf(stderr, "iftop: %s\n", printable(n.error().message).c_str()); return 2; } acfg.net6 = *n; }

    const bool offline = !opt.read_file.empty();
    std::unique_ptr<PacketSource> src;
    if (offline) {
        auto s = open_file(opt.read_file, opt.bpf);
        if (!s) { std::fprintf(stderr, "iftop: %s\n", printable(s.error().message).c_str()); return exit_status(s.error()); }
        src = std::move(*s);
    } else {
        LiveOptions lo;
        lo.interface = opt.interface;
        lo.bpf = opt.bpf;
        lo.promiscuous = opt.promiscuous;
        auto s = open_live(lo);
        if (!s) { std::fprintf(stderr, "iftop: %s\n", printable(s.error().message).c_str()); return exit_status(s.error()); }
        src = std::move(*s);
        acfg.local_addrs = local_addresses(src->name());
        acfg.idle_expiry_seconds = kHistorySeconds;
    }
    // Root only for opening the capture: from here on the tool runs as the user (see drop_privileges), with
    // nothing but the capabilities a live capture and attribution still need. No thread exists yet.
    {
        const unsigned keep = offline ? 0u : unsigned(Keep::capture) | (opt.no_processes ? 0u : unsigned(Keep::attribution));
        auto d = drop_privileges(invoking_user(), opt.user, keep);
        if (!d) { std::fprintf(stderr, "iftop: %s\n", printable(d.error().message).c_str()); return 1; }
    }
    const bool interactive = wants_screen(opt);
    const bool text = !interactive && (opt.text || !opt.json);
    install_stop_signals();

    Engine engine(acfg);
    Out out;
    Resolver resolver;
    Services services;
    TextStyle style = text_style(opt, resolver, services);
    const std::string iface = src->name();
    const bool live = src->live();
    std::unique_ptr<FlowAttribution> owners = start_attribution(opt, live, interactive);
    if (owners) engine.table().set_new_flow_sink(owners->new_flow_sink());  // new flows are looked up at once
    if (owners && opt.processes) style.owners = owners.get();
    bool told_partial = false;

    auto started = start_exports(opt, iface, live, engine, owners.get());
    if (!started) { std::fprintf(stderr, "iftop: %s\n", printable(started.error().message).c_str()); return exit_status(started.error()); }
    std::unique_ptr<Exporter> exports = std::move(*started);
    auto tell_export_news = [&] {
        if (!exports) return;
        const std::string news = exports->take_news();
        if (!news.empty()) std::fprintf(stderr, "iftop: %s\n", news.c_str());
    };

    if (interactive) return run_screen(opt, *src, engine, resolver, services, owners.get(), exports.get());

    // Offline the capture clock is the packets' time; live (and --replay) the JSON timestamp is the wall clock.
    Micros wall_offset = 0;  // add to a tick time to get wall-clock time
    auto update_drops = [&] {
        CaptureStats s = src->stats();
        if (s.available) engine.table().capture().dropped = s.dropped;
    };
    auto emit = [&](Micros at, bool final_object) -> bool {
        update_drops();
        if (owners && final_object) {  // ticks update it; the final object also waits briefly for hashes
            owners->update(engine.table(), at);
            owners->settle(1000);
        }
        if (opt.json) {
            ExportStatus es;
            if (exports) es = exports->status();
            return write_json_snapshot(engine.table(), iface, at + wall_offset, final_object,
                                       [&](std::string_view piece) { return out.write(piece); }, owners.get(),
                                       exports ? &es : nullptr);
        }
        if (final_object && opt.dns) {
            for (const FlowView& f : engine.table().sorted_flows(opt.sort, size_t(opt.lines))) { resolver.name(f.key.local); resolver.name(f.key.remote); }
            resolver.settle(1000);
        }
        return out.write(text_report(engine.table(), style));
    };
    engine.on_tick([&](int64_t index, Micros at) -> bool {
        if (g_stop_signal) return false;
        if (offline && !opt.replay && opt.seconds) alarm(unsigned(opt.seconds));  // capture time moved: re-arm
        if (owners) {
            owners->update(engine.table(), at);  // new flows looked up once per tick, unknown ones retried
            if (!told_partial && owners->level() == Attribution::partial) {
                told_partial = true;  // said once; --json carries it in every snapshot
                std::fprintf(stderr, "iftop: process attribution is partial: other users' processes cannot be read "
                                     "(run as root, or setcap cap_sys_ptrace,cap_dac_read_search+ep ./iftop)\n");
            }
        }
        if (exports) {
            update_drops();
            exports->tick(engine.table(), at, owners.get());
            tell_export_news();
        }
        if (opt.seconds && index >= opt.seconds) return false;  // the final report is written by the caller
        if (opt.json) return opt.final_only || emit(at, false);
        // Text: iftop prints a report every 2 s live; offline one report at the end of the file.
        if (text && (live || opt.replay) && !opt.seconds && !opt.final_only && index % 2 == 0) return emit(at, false);
        if (opt.dns && text)
            for (const FlowView& f : engine.table().sorted_flows(opt.sort, size_t(opt.lines))) { resolver.name(f.key.local); resolver.name(f.key.remote); }
        return true;
    });
    if (text && live) {
        print_interface_banner(iface);
        out.write("Listening on " + printable(iface) + "\n");
    }

    Result<bool> status = run_capture_loop(opt, *src, engine, out, wall_offset);
    engine.finish();
    const Micros at = engine.table().has_origin() ? engine.table().last_tick() : wall_now() - wall_offset;
    if (exports) {  // every flow's last counts leave before the final report, which then shows them sent
        exports->finish(engine.table(), at, owners.get());
        tell_export_news();
    }
    if (out.closed()) return 0;  // the reader went away (| head): quietly done
    if (!status) {
        if (live) { std::fprintf(stderr, "iftop: %s\n", printable(status.error().message).c_str()); return 1; }
        // A file that could not be read to its end: what was read is reported, and the exit status says it (1, as
        // tcpdump), so a script never takes a partial count for a whole one.
        std::fprintf(stderr, "iftop: %s; reporting what was read before it\n", printable(status.error().message).c_str());
    }
    if (offline || opt.seconds || opt.json || opt.final_only) emit(at, true);
    return status ? 0 : 1;
}

int main(int argc, const char* const* argv) {
    using namespace detail;
    // The command line wins over the config file, so read it first only to find -c, then apply both in order.
    auto first = parse_args(argc, argv);
    if (!first) { std::fprintf(stderr, "iftop: %s\n", printable(first.error().message).c_str()); return exit_status(first.error()); }
    // The config is the invoking user's (under sudo too), read with that user's permissions, a regular file of at
    // most kConfigMax bytes. It is written back only when it is that user's own file; and when it is not, nothing of
    // its content is echoed (a line that does not parse is named by number only).
    const Invoker who = invoking_user();
    const bool named = !first->config_file.empty();
    const std::string cfg = named ? first->config_file : who.home + "/.iftoprc";
    Options base;
    base.config_path = cfg;
    base.config_writable = true;
    FileFacts facts;
    auto text = read_config_file(cfg, who, facts);
    if (text) {
        const bool own = facts.uid == (long long)who.uid;
        Options parsed;
        auto r = apply_config_text(*text, parsed);
        if (r) {
            base = parsed;
            base.config_path = cfg;
            base.config_writable = own;
            base.config_text = *text;
        } else {
            // Reported once; the file is ignored and never overwritten, so nothing in it is lost.
            std::string why = r.error().message;
            if (!own) why = why.substr(0, why.find(':')) + " does not parse (not shown: the file is not uid " +
                            std::to_string(who.uid) + "'s)";
            std::fprintf(stderr, "iftop: %s: %s; ignoring the file (it will not be changed)\n", printable(cfg).c_str(),
                         printable(why).c_str());
            base.config_writable = false;
        }
    } else if (named) {
        std::fprintf(stderr, "iftop: config file: %s\n", printable(text.error().message).c_str());
        return 2;
    } else if (facts.exists) {
        std::fprintf(stderr, "iftop: ~/.iftoprc: %s; ignoring it (it will not be changed)\n",
                     printable(text.error().message).c_str());
        base.config_writable = false;
    }
    auto opt = parse_args_onto(argc, argv, base);
    if (!opt) { std::fprintf(stderr, "iftop: %s\n", printable(opt.error().message).c_str()); return exit_status(opt.error()); }
    return run(*opt);
}


/* ---------------------------------------------------------------------------------------------------------- */
/* [14] export — IPFIX encoding and sockets, the Prometheus textfile; fed by the run loop, never per packet     */
/* ---------------------------------------------------------------------------------------------------------- */

Result<Endpoint> parse_endpoint(std::string_view text) {
    using namespace detail;
    const std::string shown(text);
    Endpoint e;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {  // [v6]:port, as in a URL (RFC 3986 §3.2.2)
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return make_error(Errc::usage, "'" + shown + "' is not HOST:PORT (an IPv6 address goes in brackets: [2001:db8::1]:4739)");
        e.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return make_error(Errc::usage, "'" + shown + "' has no port: HOST:PORT, e.g. collector.example:4739");
        if (text.find(':') != colon)
            return make_error(Errc::usage, "'" + shown + "': an IPv6 address goes in brackets: [2001:db8::1]:4739");
        e.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    if (e.host.empty()) return make_error(Errc::usage, "'" + shown + "' has no host");
    unsigned p = 0;
    if (!parse_number(port, p) || p == 0 || p > 65535)
        return make_error(Errc::usage, "'" + shown + "': the port must be a number from 1 to 65535");
    e.port = uint16_t(p);
    return e;
}

namespace detail {

// IANA "IPFIX Information Elements" registry (https://www.iana.org/assignments/ipfix): the elements iftop sends.
enum IpfixElement : uint16_t {
    kIeOctetDeltaCount = 1,
    kIePacketDeltaCount = 2,
    kIeProtocolIdentifier = 4,
    kIeSourceTransportPort = 7,
    kIeSourceIPv4Address = 8,
    kIeIngressInterface = 10,
    kIeDestinationTransportPort = 11,
    kIeDestinationIPv4Address = 12,
    kIeEgressInterface = 14,
    kIeSourceIPv6Address = 27,
    kIeDestinationIPv6Address = 28,
    kIeFlowDirection = 61,  // 0 ingress (received), 1 egress (sent)
    kIeInterfaceName = 82,
    kIeApplicationName = 96,  // the process name: see README "Many hosts" for why this element
    kIeFlowStartMilliseconds = 152,
    kIeFlowEndMilliseconds = 153,
};
constexpr uint16_t kIeProcessId = 1;       // enterprise-specific (under IFTOP_IPFIX_PEN): the owning pid, unsigned32
constexpr uint16_t kIpfixVarLen = 0xffff;  // RFC 7011 §7: a variable-length element
constexpr uint16_t kTemplateV4 = 256, kTemplateV6 = 257;  // RFC 7011 §3.4.1: data template IDs start at 256

struct IpfixField {
    uint16_t id, length;
    bool enterprise;
};
/// The template of each family, in record order; ipfix_record() writes exactly these fields.
inline const std::vector<IpfixField>& ipfix_template(int family) {
    static const auto make = [](bool v6) {
        std::vector<IpfixField> f = {
            {v6 ? kIeSourceIPv6Address : kIeSourceIPv4Address, uint16_t(v6 ? 16 : 4), false},
            {v6 ? kIeDestinationIPv6Address : kIeDestinationIPv4Address, uint16_t(v6 ? 16 : 4), false},
            {kIeSourceTransportPort, 2, false},   {kIeDestinationTransportPort, 2, false},
            {kIeProtocolIdentifier, 1, false},    {kIeFlowDirection, 1, false},
            {kIeOctetDeltaCount, 8, false},       {kIePacketDeltaCount, 8, false},
            {kIeFlowStartMilliseconds, 8, false}, {kIeFlowEndMilliseconds, 8, false},
            {kIeIngressInterface, 4, false},      {kIeEgressInterface, 4, false},
            {kIeInterfaceName, kIpfixVarLen, false}, {kIeApplicationName, kIpfixVarLen, false},
            {kIeProcessId, 4, true},
        };
        return f;
    };
    static const std::vector<IpfixField> v4 = make(false), v6 = make(true);
    return family == 6 ? v6 : v4;
}

/// One data record: one direction of one flow over one reporting period.
struct IpfixRecord {
    IpAddr src, dst;
    uint16_t sport = 0, dport = 0;
    uint8_t proto = 0;
    uint8_t direction = 0;  ///< flowDirection: 0 ingress (received), 1 egress (sent)
    uint64_t octets = 0, packets = 0;
    uint64_t start_ms = 0, end_ms = 0;
    uint32_t ingress = 0, egress = 0;
    std::string_view interface, process;
    uint32_t pid = 0;
};

inline void put16(std::string& b, uint16_t v) { b += char(v >> 8); b += char(v & 0xff); }
inline void put32(std::string& b, uint32_t v) { put16(b, uint16_t(v >> 16)); put16(b, uint16_t(v & 0xffff)); }
inline void put64(std::string& b, uint64_t v) { put32(b, uint32_t(v >> 32)); put32(b, uint32_t(v & 0xffffffffu)); }
inline void set16(std::string& b, size_t at, uint16_t v) { b[at] = char(v >> 8); b[at + 1] = char(v & 0xff); }
inline void set32(std::string& b, size_t at, uint32_t v) { set16(b, at, uint16_t(v >> 16)); set16(b, at + 2, uint16_t(v & 0xffff)); }

/// A string for a variable-length element: at most 64 bytes, cut at a UTF-8 character boundary.
inline std::string_view ipfix_text(std::string_view s) {
    if (s.size() <= 64) return s;
    size_t n = 64;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
    return s.substr(0, n);
}
/// RFC 7011 §7: a length octet, or 255 and two length octets from 255 on.
inline void put_varlen(std::string& b, std::string_view s) {
    if (s.size() < 255) b += char(s.size());
    else { b += char(255); put16(b, uint16_t(s.size())); }
    b.append(s);
}
inline size_t ipfix_record_size(const IpfixRecord& r) {
    const auto var = [](std::string_view s) { return (s.size() < 255 ? 1 : 3) + s.size(); };
    return (r.src.family == 6 ? 32 : 8) + 2 + 2 + 1 + 1 + 8 * 4 + 4 + 4 + var(r.interface) + var(r.process) + 4;
}
inline void ipfix_record(std::string& b, const IpfixRecord& r) {
    b.append(reinterpret_cast<const char*>(r.src.bytes), r.src.family == 6 ? 16 : 4);
    b.append(reinterpret_cast<const char*>(r.dst.bytes), r.dst.family == 6 ? 16 : 4);
    put16(b, r.sport);
    put16(b, r.dport);
    b += char(r.proto);
    b += char(r.direction);
    put64(b, r.octets);
    put64(b, r.packets);
    put64(b, r.start_ms);
    put64(b, r.end_ms);
    put32(b, r.ingress);
    put32(b, r.egress);
    put_varlen(b, r.interface);
    put_varlen(b, r.process);
    put32(b, r.pid);
}

/// Builds IPFIX messages (RFC 7011 §3): a 16-byte header, then sets. Records are appended to the message under
/// construction; a message is handed to `send` when the next record would not fit in `max_size` bytes, or on
/// flush(). The sequence number of a message is the number of data records in all earlier messages (§3.1).
class IpfixEncoder {
public:
    using SendFn = std::function<void(std::string_view message, uint32_t records)>;
    IpfixEncoder(uint32_t domain, size_t max_size, SendFn send)
        : domain_(domain), max_(std::max<size_t>(max_size, kMinSize)), send_(std::move(send)) {}
    void set_max_size(size_t n) {
        flush(last_time_);
        max_ = std::max<size_t>(n, kMinSize);
    }
    size_t max_size() const { return max_; }
    /// Sends both templates in a message of their own (they precede the data they describe: §8).
    void send_templates(uint32_t export_time) {
        flush(export_time);
        begin(export_time);
        const size_t set = msg_.size();
        put16(msg_, 2);  // Template Set
        put16(msg_, 0);
        for (int family : {4, 6}) {
            const auto& fields = ipfix_template(family);
            put16(msg_, family == 6 ? kTemplateV6 : kTemplateV4);
            put16(msg_, uint16_t(fields.size()));
            for (const IpfixField& f : fields) {
                put16(msg_, uint16_t(f.id | (f.enterprise ? 0x8000 : 0)));
                put16(msg_, f.length);
                if (f.enterprise) put32(msg_, IFTOP_IPFIX_PEN);
            }
        }
        set16(msg_, set + 2, uint16_t(msg_.size() - set));
        emit();
    }
    void add(const IpfixRecord& r, uint32_t export_time) {
        const uint16_t tid = r.src.family == 6 ? kTemplateV6 : kTemplateV4;
        const size_t need = ipfix_record_size(r) + (tid == set_id_ ? 0 : 4);
        if (!msg_.empty() && msg_.size() + need > max_) flush(export_time);
        if (msg_.empty()) begin(export_time);
        if (tid != set_id_) {
            close_set();
            set_at_ = msg_.size();
            set_id_ = tid;
            put16(msg_, tid);
            put16(msg_, 0);
        }
        ipfix_record(msg_, r);
        ++records_;
    }
    void flush(uint32_t export_time) {
        if (msg_.empty()) return;
        set32(msg_, 4, export_time);  // the time the message leaves, not the time it was started
        emit();
    }
    /// Another Observation Domain (the capture moved to another interface): what was gathered leaves under the old
    /// one; the new one keeps its own sequence numbers (§3.1 counts per domain) and gets the templates before any
    /// record of its own (templates are scoped to their domain, §8). Going back resumes that domain's count.
    void set_domain(uint32_t domain, uint32_t export_time) {
        if (domain == domain_) return;
        flush(export_time);
        sequences_[domain_] = sequence_;
        domain_ = domain;
        const auto it = sequences_.find(domain);
        sequence_ = it == sequences_.end() ? 0 : it->second;
        send_templates(export_time);
    }
    uint32_t domain() const { return domain_; }
    uint32_t sequence() const { return sequence_; }            ///< of the current domain
    uint32_t last_export_time() const { return last_time_; }  ///< of the last message begun

private:
    static constexpr size_t kMinSize = 256;  // the two templates need 160 bytes; a record of IPv6 at most 238
    void begin(uint32_t export_time) {
        last_time_ = export_time;
        msg_.clear();
        put16(msg_, 10);  // version: IPFIX
        put16(msg_, 0);   // length, set on emit
        put32(msg_, export_time);
        put32(msg_, sequence_);
        put32(msg_, domain_);
        set_id_ = 0;
        records_ = 0;
    }
    void close_set() {
        if (set_id_) set16(msg_, set_at_ + 2, uint16_t(msg_.size() - set_at_));
        set_id_ = 0;
    }
    void emit() {
        close_set();
        set16(msg_, 2, uint16_t(msg_.size()));
        send_(msg_, records_);
        sequence_ += records_;  // modulo 2^32 (§3.1): uint32_t wraps
        records_ = 0;
        msg_.clear();
    }
    uint32_t domain_;
    size_t max_;
    SendFn send_;
    std::string msg_;
    size_t set_at_ = 0;
    uint16_t set_id_ = 0;
    uint32_t records_ = 0, sequence_ = 0, last_time_ = 0;
    std::unordered_map<uint32_t, uint32_t> sequences_;  // domains left, and their sequence numbers
};

/// One collector: a connected, non-blocking UDP socket. Connected, so an ICMP port or host unreachable for an
/// earlier datagram comes back as the error of a later send (ECONNREFUSED, EHOSTUNREACH) and is counted.
struct Collector {
    CollectorStatus status;
    int fd = -1;
    int family = 0;
    ~Collector() { if (fd >= 0) ::close(fd); }
    /// The largest IPFIX message for this path: the path MTU the kernel knows for the connected socket minus the
    /// IP and UDP headers; RFC 7011 §10.3.3's 512-byte packet when the MTU is unknown.
    size_t max_message() const {
        const size_t headers = (family == AF_INET6 ? 40 : 20) + 8;
        size_t mtu = 512;
#if defined(__linux__)
        int v = 0;
        socklen_t len = sizeof v;
        const int r = family == AF_INET6 ? getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &v, &len)
                                         : getsockopt(fd, IPPROTO_IP, IP_MTU, &v, &len);
        if (r == 0 && v >= 576) mtu = size_t(v);
#endif
        return std::min<size_t>(mtu, 65535 + headers) - headers;
    }
    void send(std::string_view msg) {
        const ssize_t n = ::send(fd, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == ssize_t(msg.size())) { ++status.messages; return; }
        ++status.send_failures;
        status.last_error = n < 0 ? std::strerror(errno) : "short send";
    }
};

inline Result<std::unique_ptr<Collector>> open_collector(const std::string& text) {
    auto ep = parse_endpoint(text);
    if (!ep) return make_error(Errc::usage, "--ipfix " + ep.error().message);
    addrinfo hints {};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(ep->port);
    const int gai = getaddrinfo(ep->host.c_str(), port.c_str(), &hints, &res);
    if (gai != 0 || !res)
        return make_error(Errc::usage, "--ipfix " + text + ": cannot resolve '" + ep->host + "': " + gai_strerror(gai));
    auto c = std::make_unique<Collector>();
    c->status.address = text;
    std::string why;
    for (addrinfo* a = res; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) { why = std::strerror(errno); continue; }
        if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) { why = std::strerror(errno); ::close(fd); continue; }
        int buf = 1 << 20;  // room for a burst of evictions; the kernel caps it at net.core.wmem_max
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        c->fd = fd;
        c->family = a->ai_family;
        break;
    }
    freeaddrinfo(res);
    if (c->fd < 0) return make_error(Errc::usage, "--ipfix " + text + ": " + why);
    return c;
}

/// What the IPFIX export remembers per flow: the counts already reported, and where the unreported ones start.
struct IpfixFlowState {
    uint64_t bytes[2] = {0, 0}, packets[2] = {0, 0};
    Micros period_start = -1;  ///< first packet not yet reported (a lower bound); -1: none at the last look
};

/// A label value in the Prometheus text format: backslash, double quote and line feed escaped.
inline void prom_label(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
}
/// A sample value: the number format of --json, so the textfile and the NDJSON agree digit for digit.
inline void prom_value(std::string& out, double v) {
    JsonOut o(48);
    o.num(v);
    out += o.take();
}

/// Bytes per process for iftop_process_bytes_total, kept as counters: each flow's bytes are credited, as they
/// are counted, to the process that owns it then ("unknown" while none does), so a process's count never goes
/// down when its flows leave the table or are attributed late. The kPrometheusProcesses processes with the most
/// bytes get their own series when a place is free, and keep it. A process promoted later than the write that
/// first showed its bytes leaves what "other" already showed of it in "other": every series only grows, and all
/// of them add up to the totals.
struct ProcessCounters {
    struct Pair { uint64_t v[2] = {0, 0}; };
    std::unordered_map<FlowKey, Pair, FlowKeyHash> credited;  // per flow: bytes already credited
    std::unordered_map<std::string, Pair> bytes;              // per process name: bytes credited so far
    std::unordered_map<std::string, Pair> named;              // processes with their own series: bytes left in other
    std::unordered_map<std::string, Pair> shown;              // the others: their bytes as the last rows() summed them
    static constexpr size_t kNamesMax = 10000;                // names beyond this are credited to "other" at once

    static std::string owner_name(const FlowView& f, const FlowAttribution& owners) {
        const FlowOwner* w = owners.owner(f.key);
        return w && w->proc ? w->proc->name : std::string("unknown");
    }
    /// Credits what `f` counted since the last call to `process` ("unknown": no process owns it).
    void credit(const FlowView& f, std::string name) {
        Pair& c = credited[f.key];
        if (name != "unknown" && !named.count(name) && !bytes.count(name) && bytes.size() >= kNamesMax) name = "other";
        Pair& b = bytes[name];
        for (int d = 0; d < 2; ++d) {
            if (f.counts.bytes[d] < c.v[d]) c.v[d] = 0;  // a table that started over
            b.v[d] += f.counts.bytes[d] - c.v[d];
            c.v[d] = f.counts.bytes[d];
        }
    }
    void forget(const FlowView& f, std::string process) {
        credit(f, std::move(process));
        credited.erase(f.key);
    }
    /// Rows: (process label, bytes sent, bytes received), the promoted processes first.
    std::vector<std::pair<std::string, Pair>> rows() {
        std::vector<std::pair<std::string, uint64_t>> order;  // candidates for a free place, most bytes first
        for (const auto& [name, b] : bytes)
            if (!named.count(name) && name != "other" && name != "unknown") order.emplace_back(name, b.v[0] + b.v[1]);
        std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
        for (size_t i = 0; i < order.size() && named.size() < kPrometheusProcesses; ++i) {
            auto it = shown.find(order[i].first);
            named[order[i].first] = it == shown.end() ? Pair{} : it->second;
            if (it != shown.end()) shown.erase(it);
        }
        std::vector<std::pair<std::string, Pair>> out;
        Pair other, unknown;
        for (const auto& [name, b] : bytes) {
            auto it = named.find(name);
            Pair& sink = name == "unknown" ? unknown : other;
            for (int d = 0; d < 2; ++d) {
                if (it != named.end()) sink.v[d] += it->second.v[d];  // what it had before its promotion
                else sink.v[d] += b.v[d];
            }
            if (it != named.end()) {
                Pair own;
                for (int d = 0; d < 2; ++d) own.v[d] = b.v[d] - it->second.v[d];
                out.emplace_back(name, own);
            } else if (name != "unknown" && name != "other") {
                shown[name] = b;
            }
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        out.emplace_back("other", other);
        out.emplace_back("unknown", unknown);
        return out;
    }
};

}  // namespace detail

struct Exporter::Impl {
    ExportConfig cfg;
    std::string news;
    // IPFIX
    std::vector<std::unique_ptr<detail::Collector>> collectors;
    std::unique_ptr<detail::IpfixEncoder> encoder;
    std::unordered_map<FlowKey, detail::IpfixFlowState, detail::FlowKeyHash> flows;
    Micros last_scan = -1;       // table time of the previous tick
    Micros templates_at = 0;     // table time the templates were last sent
    uint64_t records = 0, octets = 0, packets = 0;
    // Prometheus
    detail::ProcessCounters procs;
    uint64_t prom_writes = 0, prom_failures = 0;
    std::string prom_error;
    bool prom_failing = false;
    Micros prom_written_at = -1;  // monotonic time of the last write (-r as fast as possible: one a second)
    std::vector<uint64_t> failures_seen;  // per collector, at the previous tick
    std::vector<Micros> failed_at;        // per collector: table time of the last tick with a failed send; -1 never

    uint32_t export_time(Micros now) const { return uint32_t(std::max<Micros>(0, now + cfg.epoch_offset) / kMicrosPerSecond); }
    uint64_t ms(Micros t) const { return uint64_t(std::max<Micros>(0, t + cfg.epoch_offset) / 1000); }

    /// Reports the counts of `f` not reported yet: one record per direction that has packets.
    void report(const FlowView& f, detail::IpfixFlowState& st, Micros period_start, Micros now,
                const FlowAttribution* owners) {
        const FlowOwner* w = owners ? owners->owner(f.key) : nullptr;
        const ProcessInfo* proc = w && w->proc ? w->proc.get() : nullptr;
        for (int dir = 0; dir < 2; ++dir) {
            if (f.counts.packets[dir] < st.packets[dir] || f.counts.bytes[dir] < st.bytes[dir]) {
                st.packets[dir] = st.bytes[dir] = 0;  // counts went down: a table that started over
            }
            const uint64_t p = f.counts.packets[dir] - st.packets[dir];
            if (!p) continue;
            detail::IpfixRecord r;
            const bool sent = dir == 0;
            r.src = sent ? f.key.local : f.key.remote;
            r.dst = sent ? f.key.remote : f.key.local;
            r.sport = sent ? f.key.local_port : f.key.remote_port;
            r.dport = sent ? f.key.remote_port : f.key.local_port;
            r.proto = f.key.proto;
            r.direction = sent ? 1 : 0;
            r.octets = f.counts.bytes[dir] - st.bytes[dir];
            r.packets = p;
            r.start_ms = ms(std::min(period_start, f.last_seen));
            r.end_ms = ms(f.last_seen);
            (sent ? r.egress : r.ingress) = cfg.if_index;
            r.interface = detail::ipfix_text(cfg.interface);
            if (proc) {
                r.process = detail::ipfix_text(proc->name);
                r.pid = uint32_t(proc->pid);
            }
            encoder->add(r, export_time(now));
            ++records;
            octets += r.octets;
            packets += r.packets;
            st.packets[dir] = f.counts.packets[dir];
            st.bytes[dir] = f.counts.bytes[dir];
        }
        st.period_start = -1;
    }
    /// The period start of counts that are pending now but were not at the previous look: the flow's first packet
    /// for a flow not seen before, else the previous tick (its new packets arrived after it).
    Micros period_start_of(const FlowView& f, const detail::IpfixFlowState& st, bool fresh) const {
        if (st.period_start >= 0) return st.period_start;
        return fresh || last_scan < 0 ? f.first_seen : std::max(last_scan, f.first_seen);
    }
    static bool pending(const FlowView& f, const detail::IpfixFlowState& st) {
        return f.counts.packets[0] != st.packets[0] || f.counts.packets[1] != st.packets[1];
    }
    void forget(const FlowView& f, Micros now, const FlowAttribution* owners) {
        if (!cfg.prometheus.empty() && owners) procs.forget(f, detail::ProcessCounters::owner_name(f, *owners));
        if (!encoder) return;
        auto it = flows.find(f.key);
        detail::IpfixFlowState fresh_state;
        detail::IpfixFlowState& st = it == flows.end() ? fresh_state : it->second;
        if (pending(f, st)) report(f, st, period_start_of(f, st, it == flows.end()), now, owners);
        if (it != flows.end()) flows.erase(it);
    }
    void scan(const FlowTable& t, Micros now, const FlowAttribution* owners, bool all) {
        const Micros active = Micros(cfg.active_timeout) * kMicrosPerSecond;
        const Micros inactive = Micros(cfg.inactive_timeout) * kMicrosPerSecond;
        t.for_each_flow([&](const FlowView& f) {  // counts only: no rates
            auto [it, fresh] = flows.try_emplace(f.key);
            detail::IpfixFlowState& st = it->second;
            if (!pending(f, st)) { st.period_start = -1; return; }
            st.period_start = period_start_of(f, st, fresh);
            if (all || now - f.last_seen >= inactive || now - st.period_start >= active)
                report(f, st, st.period_start, now, owners);
        }, std::numeric_limits<Micros>::min(), false);
        last_scan = now;
    }
    void send(std::string_view msg) {
        if (cfg.fast_offline) pace(msg.size() * collectors.size());
        for (auto& c : collectors) c->send(msg);
    }
    // -r as fast as possible could hand a whole capture's records to the kernel in milliseconds, more than a
    // collector's socket buffer holds (UDP has no flow control: the loss would only show as sequence gaps at the
    // collector). Reading a file, messages leave at most kOfflineRate bytes a second (a token bucket, 64 KiB of
    // burst); a live capture never waits.
    static constexpr double kOfflineRate = 2e6;
    static constexpr double kOfflineBurst = 65536;
    double tokens = kOfflineBurst;
    Micros tokens_at = -1;
    void pace(size_t n) {
        const Micros now = detail::mono_now();
        if (tokens_at >= 0) tokens = std::min(kOfflineBurst, tokens + double(now - tokens_at) * kOfflineRate / 1e6);
        tokens_at = now;
        tokens -= double(n);
        if (tokens < 0) {
            const Micros wait = Micros(-tokens * 1e6 / kOfflineRate);
            usleep(useconds_t(wait));
            tokens_at += wait;
            tokens = 0;
        }
    }

    /// The textfile's content: node_exporter's textfile collector reads it (Prometheus text format 0.0.4).
    std::string prometheus_text(const FlowTable& t, const FlowAttribution* owners) {
        std::string o;
        o.reserve(4096);
        std::string iface;
        detail::prom_label(iface, cfg.interface);
        const char* const dirs[2] = {"sent", "received"};
        const auto head = [&](const char* name, const char* type, const char* help) {
            o += "# HELP "; o += name; o += ' '; o += help; o += "\n# TYPE "; o += name; o += ' '; o += type; o += '\n';
        };
        const auto sample = [&](const char* name, std::string_view labels, double v) {
            o += name; o += "{interface=\""; o += iface; o += '"';
            if (!labels.empty()) { o += ','; o += labels; }
            o += "} ";
            detail::prom_value(o, v);
            o += '\n';
        };
        const FlowView tot = t.totals();
        head("iftop_bytes_total", "counter", "Bytes counted (IP header length, as iftop counts), by direction: sent is local to remote.");
        for (int d = 0; d < 2; ++d) sample("iftop_bytes_total", std::string("direction=\"") + dirs[d] + '"', double(tot.counts.bytes[d]));
        head("iftop_packets_total", "counter", "Packets counted, by direction.");
        for (int d = 0; d < 2; ++d) sample("iftop_packets_total", std::string("direction=\"") + dirs[d] + '"', double(tot.counts.packets[d]));
        head("iftop_rate_bytes_per_second", "gauge", "Average rate over the last 2, 10 or 40 seconds, bytes per second.");
        for (int d = 0; d < 2; ++d)
            for (int w = 0; w < 3; ++w)
                sample("iftop_rate_bytes_per_second",
                       std::string("direction=\"") + dirs[d] + "\",window=\"" + std::to_string(kWindows[w]) + "s\"",
                       tot.rates.v[d][w]);
        if (owners) {
            head("iftop_process_bytes_total", "counter",
                 "Bytes of the flows a process owns, for the 20 processes with the most bytes; the others are summed in "
                 "process=\"other\", flows with no known process in process=\"unknown\".");
            for (const auto& [name, b] : procs.rows()) {
                std::string l = "process=\"";
                detail::prom_label(l, name);
                for (int d = 0; d < 2; ++d) sample("iftop_process_bytes_total", l + "\",direction=\"" + dirs[d] + '"', double(b.v[d]));
            }
        }
        const CaptureCounts& c = t.capture();
        head("iftop_capture_packets_total", "counter", "Frames the capture delivered, counted or not.");
        sample("iftop_capture_packets_total", "", double(c.packets));
        head("iftop_capture_skipped_total", "counter", "Frames not counted, by reason (see tests/ACCOUNTING.md).");
        for (size_t i = 0; i < kSkipReasons; ++i)
            sample("iftop_capture_skipped_total", std::string("reason=\"") + skip_name(Skip(i)) + '"', double(c.skipped[i]));
        head("iftop_capture_dropped_total", "counter", "Packets the kernel dropped before the capture saw them.");
        sample("iftop_capture_dropped_total", "", double(c.dropped));
        head("iftop_flows", "gauge", "Flows in the table.");
        sample("iftop_flows", "", double(t.size()));
        head("iftop_flows_evicted_total", "counter", "Flows evicted by the --max-flows cap (their bytes stay in the totals).");
        sample("iftop_flows_evicted_total", "", double(c.evicted_flows));
        if (!collectors.empty()) {
            head("iftop_ipfix_records_total", "counter", "IPFIX data records sent to every collector.");
            sample("iftop_ipfix_records_total", "", double(records));
            head("iftop_ipfix_messages_total", "counter", "IPFIX messages the kernel took, per collector.");
            for (const auto& col : collectors) {
                std::string l = "collector=\"";
                detail::prom_label(l, col->status.address);
                sample("iftop_ipfix_messages_total", l + '"', double(col->status.messages));
            }
            head("iftop_ipfix_send_failures_total", "counter", "IPFIX messages that could not be sent, per collector.");
            for (const auto& col : collectors) {
                std::string l = "collector=\"";
                detail::prom_label(l, col->status.address);
                sample("iftop_ipfix_send_failures_total", l + '"', double(col->status.send_failures));
            }
        }
        return o;
    }
    void write_prometheus(const FlowTable& t, const FlowAttribution* owners) {
        auto r = detail::write_file_atomic(cfg.prometheus, prometheus_text(t, owners), 0644);
        if (r) {
            ++prom_writes;
            prom_failing = false;
            return;
        }
        ++prom_failures;
        prom_error = r.error().message;
        if (!prom_failing) news = "Prometheus textfile: " + prom_error + " (tried again every second)";
        prom_failing = true;
    }
    void refresh_templates(Micros now) {
        size_t m = 65535;
        for (const auto& c : collectors) m = std::min(m, c->max_message());
        if (m != encoder->max_size()) encoder->set_max_size(m);  // the path MTU changed (or is known now)
        encoder->send_templates(export_time(now));
        templates_at = now;
    }
    /// A collector's first failure is news, and a failure after a minute without any (a collector that is down
    /// makes about every other send fail: a connected UDP socket reports each ICMP unreachable once).
    void check_news(Micros now) {
        for (size_t i = 0; i < collectors.size(); ++i) {
            const CollectorStatus& s = collectors[i]->status;
            if (s.send_failures == failures_seen[i]) continue;
            if (failed_at[i] < 0 || now - failed_at[i] >= 60 * kMicrosPerSecond)
                news = "IPFIX to " + s.address + ": " + s.last_error + " (" + std::to_string(s.send_failures) +
                       " messages not sent so far; sending goes on)";
            failed_at[i] = now;
            failures_seen[i] = s.send_failures;
        }
    }
};

Result<std::unique_ptr<Exporter>> Exporter::open(const ExportConfig& cfg) {
    std::unique_ptr<Exporter> e(new Exporter);
    e->impl_.reset(new Impl);
    Impl& m = *e->impl_;
    m.cfg = cfg;
    for (const std::string& c : cfg.ipfix) {
        auto col = detail::open_collector(c);
        if (!col) return col.error();
        m.collectors.push_back(std::move(*col));
    }
    if (!cfg.prometheus.empty()) {  // a textfile that cannot be written is a bad argument: say so now, not later
        auto w = detail::write_file_atomic(cfg.prometheus, "", 0644);
        if (!w) return detail::make_error(Errc::usage, "--prometheus " + w.error().message);
    }
    m.failures_seen.assign(m.collectors.size(), 0);
    m.failed_at.assign(m.collectors.size(), -1);
    if (!m.collectors.empty()) {
        Impl* mp = &m;
        m.encoder = std::make_unique<detail::IpfixEncoder>(cfg.if_index, 512,
                                                           [mp](std::string_view msg, uint32_t) { mp->send(msg); });
    }
    return e;
}

Exporter::~Exporter() = default;

void Exporter::attach(FlowTable& t, const FlowAttribution* owners) {
    Impl* m = impl_.get();
    t.on_forget([m, owners](const FlowView& f, Micros now) { m->forget(f, now, owners); });
}

void Exporter::tick(const FlowTable& t, Micros now, const FlowAttribution* owners) {
    Impl& m = *impl_;
    if (m.encoder) {
        if (m.last_scan < 0 || now - m.templates_at >= Micros(m.cfg.template_refresh) * kMicrosPerSecond)
            m.refresh_templates(now);
        m.scan(t, now, owners, false);
        m.encoder->flush(m.export_time(now));  // what this tick reported leaves now, not with the next batch
        m.check_news(now);
    }
    if (!m.cfg.prometheus.empty()) {
        if (owners) t.for_each_flow([&](const FlowView& f) { m.procs.credit(f, detail::ProcessCounters::owner_name(f, *owners)); },
                                  std::numeric_limits<Micros>::min(), false);
        // Reading a file as fast as possible, a second of capture time passes in microseconds: the file is
        // rewritten at most once a second of real time (and at the end), not thousands of times.
        const Micros real = detail::mono_now();
        if (!m.cfg.fast_offline || m.prom_written_at < 0 || real - m.prom_written_at >= kMicrosPerSecond) {
            m.write_prometheus(t, owners);
            m.prom_written_at = real;
        }
    }
}

void Exporter::finish(const FlowTable& t, Micros now, const FlowAttribution* owners) {
    Impl& m = *impl_;
    if (m.encoder) {
        if (m.last_scan < 0) m.refresh_templates(now);
        m.scan(t, now, owners, true);
        m.encoder->flush(m.export_time(now));
        m.check_news(now);
    }
    if (!m.cfg.prometheus.empty()) {
        if (owners) t.for_each_flow([&](const FlowView& f) { m.procs.credit(f, detail::ProcessCounters::owner_name(f, *owners)); },
                                  std::numeric_limits<Micros>::min(), false);
        m.write_prometheus(t, owners);
    }
}

void Exporter::set_interface(const std::string& name, uint32_t if_index) {
    impl_->cfg.interface = name;
    impl_->cfg.if_index = if_index;  // the ingress/egress interface of the records from now on
    // The Observation Domain is the interface too; its templates leave at once, stamped with the time of the last
    // message (the switch happens between ticks, and the next tick's messages carry the time again).
    if (impl_->encoder) impl_->encoder->set_domain(if_index, impl_->encoder->last_export_time());
}

ExportStatus Exporter::status() const {
    const Impl& m = *impl_;
    ExportStatus s;
    for (const auto& c : m.collectors) s.collectors.push_back(c->status);
    s.records = m.records;
    s.octets = m.octets;
    s.packets = m.packets;
    s.prometheus = m.cfg.prometheus;
    s.prometheus_writes = m.prom_writes;
    s.prometheus_failures = m.prom_failures;
    s.prometheus_error = m.prom_error;
    return s;
}

std::string Exporter::take_news() {
    std::string n;
    n.swap(impl_->news);
    return n;
}

}  // namespace iftop

#endif  // IFTOP_IMPLEMENTATION
