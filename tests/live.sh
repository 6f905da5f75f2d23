#!/bin/bash
# Live capture on a veth pair between two network namespaces that this test creates (root only; skipped otherwise).
# Traffic goes only between the two namespaces. Debian's iftop watches the same interface at the same time, and
# the two text reports are compared line for line where they must agree: layout, units, rounding, cumulative
# bytes exactly.
. "$(dirname "$0")/lib.sh"
need_built ./iftop
live_skip() { skipped "live capture: $1"; }
if [ "$(id -u)" != 0 ]; then live_skip "needs root (network namespaces)"
elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then live_skip "no 'ip netns' here"
else
    L=$(mktemp -d)
    NA=iftop-test-a-$$ NB=iftop-test-b-$$
    cleanup_live() { ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null; rm -rf "$L"; }
    at_exit cleanup_live
    ip netns add "$NA" && ip netns add "$NB" &&
    ip -n "$NA" link add veth0 type veth peer name veth1 netns "$NB" &&
    ip -n "$NA" addr add 10.77.0.1/24 dev veth0 && ip -n "$NB" addr add 10.77.0.2/24 dev veth1 &&
    ip netns exec "$NA" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 &&
    ip -n "$NA" link set veth0 up && ip -n "$NB" link set veth1 up &&
    ip -n "$NA" link set lo up && ip -n "$NB" link set lo up
    if [ $? != 0 ]; then live_skip "could not create namespaces/veth"; else
    # B answers every UDP datagram on 9000 and 9001 with one of a fixed size; A sends known sizes.
    cat >"$L/peer.py" <<'PY'
import socket, sys, time, select
if sys.argv[1] == "server":
    socks = []
    for port in (9000, 9001):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.0.2", port)); socks.append(s)
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            data, addr = s.recvfrom(65535)
            s.sendto(b"r" * (300 if s.getsockname()[1] == 9000 else 700), addr)
elif sys.argv[1] == "wake":
    # Debian's iftop only looks at its -s clock when a packet passes its filter; link-local packets pass the
    # filter but neither program counts them (without -l), so they wake it without touching the numbers.
    w = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        try:
            w.sendto(b"w", ("ff02::1%veth0", 9999))
        except OSError:
            pass
        time.sleep(0.2)
else:
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("10.77.0.1", 40001))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("10.77.0.1", 40002))
    for i in range(int(sys.argv[2])):
        a.sendto(b"q" * 1000, ("10.77.0.2", 9000))
        b.sendto(b"q" * 200, ("10.77.0.2", 9001))
        time.sleep(0.05)
PY
    ip netns exec "$NB" python3 "$L/peer.py" server 9 &
    srv=$!
    sleep 0.5
    have_iftop=0; command -v iftop >/dev/null && have_iftop=1
    ip netns exec "$NA" ./iftop -t -s 6 -i veth0 -n -N -P -L 20 -f udp >"$L/ours" 2>"$L/ours.err" &
    ours=$!
    if [ $have_iftop = 1 ]; then ip netns exec "$NA" iftop -t -s 6 -i veth0 -n -N -P -L 20 -f udp >"$L/theirs" 2>"$L/theirs.err" & theirs=$!; fi
    ip netns exec "$NA" ./iftop --json -s 6 -i veth0 >"$L/json" 2>"$L/json.err" &
    js=$!
    sleep 1.2
    ip netns exec "$NA" python3 "$L/peer.py" wake 9 &
    wake=$!
    ip netns exec "$NA" python3 "$L/peer.py" client 40
    wait $ours $js
    [ $have_iftop = 1 ] && { timeout 10 tail --pid=$theirs -f /dev/null; kill $theirs 2>/dev/null; wait $theirs; }
    kill $wake 2>/dev/null; wait $wake 2>/dev/null
    kill $srv 2>/dev/null; wait $srv 2>/dev/null
    # Independent expectation: 40 datagrams each way per flow; IP bytes = payload + 28.
    python3 - "$L/json" <<'PY' && ok "live veth: JSON counts exact, local side = interface address" || bad "live veth: JSON counts ($(head -c 300 "$L/json.err"))"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])][-1]
assert f["final"] is True
flows = {(x["protocol"], x["src"], x["src_port"], x["dst"], x["dst_port"]): x for x in f["flows"]}
a = flows[("UDP", "10.77.0.1", 40001, "10.77.0.2", 9000)]
b = flows[("UDP", "10.77.0.1", 40002, "10.77.0.2", 9001)]
assert (a["sent_packets"], a["sent_bytes"], a["recv_packets"], a["recv_bytes"]) == (40, 40 * 1028, 40, 40 * 328), a
assert (b["sent_packets"], b["sent_bytes"], b["recv_packets"], b["recv_bytes"]) == (40, 40 * 228, 40, 40 * 728), b
PY
    if [ $have_iftop = 0 ]; then live_skip "Debian's iftop not installed: text comparison not run"
    else
        # Layout: every line that is not a row of numbers must be identical; rows must have the same shape.
        python3 - "$L/ours" "$L/theirs" <<'PY' && ok "live veth: -t report matches Debian iftop line for line (layout, units, cumulative)" || bad "live veth: -t vs Debian iftop"
import re, sys
ours = open(sys.argv[1]).read().splitlines()
theirs = open(sys.argv[2]).read().splitlines()
def show():
    print("--- ours"); print("\n".join(ours)); print("--- Debian iftop"); print("\n".join(theirs))
if len(ours) != len(theirs):
    show(); sys.exit(1)
num = re.compile(r"\s+\d+(\.\d+)?[KMG]?[bB]")
for o, t in zip(ours, theirs):
    if o == t:
        continue
    # rates may differ by timing (the two programs' seconds are not aligned); the shape may not
    so, st = num.sub(" N", o), num.sub(" N", t)
    if so != st or len(o) != len(t):
        print("layout differs:\n  ours:   %r\n  theirs: %r" % (o, t)); show(); sys.exit(1)
    # the cumulative column (last) and the Cumulative line are counts, not timing: they must be equal
    if o.startswith("Cumulative") or re.match(r"^\s+\d* +\S+\s+(=>|<=)", o):
        if o.split()[-1] != t.split()[-1]:
            print("cumulative differs:\n  ours:   %r\n  theirs: %r" % (o, t)); show(); sys.exit(1)
PY
        cp "$L/ours" "${TMPDIR:-/tmp}/iftop-live-ours.txt"; cp "$L/theirs" "${TMPDIR:-/tmp}/iftop-live-theirs.txt"
    fi
    fi
fi
