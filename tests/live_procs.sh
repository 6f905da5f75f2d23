#!/bin/bash
# Live process attribution, as root, between two network namespaces that this test creates (skipped otherwise).
# In namespace A (where iftop listens on veth0): two TCP servers on different ports, a process listening on 7443
# while another one connects to B's 7443 (port-only matching would give that flow to the listener), and a UDP
# socket exchanging datagrams with B. Every flow in `./iftop --json -s N` must carry the pid of the process that
# owns it (each helper writes its own pid). Part 2 below covers what a first lookup misses.
. "$(dirname "$0")/lib.sh"
need_built ./iftop
lp_skip() { skipped "live attribution: $1"; }
if [ "$(id -u)" != 0 ]; then lp_skip "needs root (network namespaces)"
elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then lp_skip "no 'ip netns' here"
elif ! command -v python3 >/dev/null; then lp_skip "no python3"
else
    P=$(mktemp -d)
    PA=iftop-proc-a-$$ PB=iftop-proc-b-$$
    lp_pids=()
    cleanup_live_procs() {
        for p in "${lp_pids[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${lp_pids[@]}"; do wait "$p" 2>/dev/null; done
        ip netns del "$PA" 2>/dev/null; ip netns del "$PB" 2>/dev/null; rm -rf "$P"
    }
    at_exit cleanup_live_procs
    ip netns add "$PA" && ip netns add "$PB" &&
    ip -n "$PA" link add veth0 type veth peer name veth1 netns "$PB" &&
    ip -n "$PA" addr add 10.78.0.1/24 dev veth0 && ip -n "$PB" addr add 10.78.0.2/24 dev veth1 &&
    ip -n "$PA" link set veth0 up && ip -n "$PB" link set veth1 up &&
    ip -n "$PA" link set lo up && ip -n "$PB" link set lo up
    if [ $? != 0 ]; then lp_skip "could not create namespaces/veth"; else
    cat >"$P/role.py" <<'PY'
import os, socket, sys, threading, time
role, pidfile, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
open(pidfile, "w").write(str(os.getpid()))
end = time.time() + secs
def echo(c):
    c.settimeout(0.5)
    while time.time() < end:
        try:
            d = c.recv(4096)
        except socket.timeout:
            continue
        if not d:
            return
        c.sendall(d)
if role == "tcp-server":                    # host port
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[4], int(sys.argv[5]))); s.listen(16); s.settimeout(0.5)
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=echo, args=(c,), daemon=True).start()
elif role == "tcp-client":                  # host port
    for _ in range(50):
        try:
            c = socket.create_connection((sys.argv[4], int(sys.argv[5])), timeout=1); break
        except OSError:
            time.sleep(0.1)
    while time.time() < end:
        c.sendall(b"x" * 200); c.recv(4096); time.sleep(0.1)
elif role == "udp-echo":                    # host port
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[4], int(sys.argv[5]))); s.settimeout(0.5)
    while time.time() < end:
        try:
            d, a = s.recvfrom(4096); s.sendto(d, a)
        except socket.timeout:
            pass
elif role == "udp-client":                  # bind-host bind-port host port (unconnected socket)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[4], int(sys.argv[5]))); s.settimeout(0.5)
    while time.time() < end:
        s.sendto(b"u" * 120, (sys.argv[6], int(sys.argv[7])))
        try:
            s.recvfrom(4096)
        except socket.timeout:
            pass
        time.sleep(0.1)
PY
    T=12
    PY1=$(python3 -c 'import sys; print(sys.executable)')  # the interpreter itself: a shim can take seconds
    run_in() { local ns=$1 name=$2; shift 2; ip netns exec "$ns" "$PY1" "$P/role.py" "$1" "$P/$name.pid" "$T" "${@:2}" & lp_pids+=($!); }
    run_in "$PA" srv1 tcp-server 10.78.0.1 7001
    run_in "$PA" srv2 tcp-server 10.78.0.1 7002
    run_in "$PA" listen7443 tcp-server 0.0.0.0 7443
    run_in "$PB" peer7443 tcp-server 10.78.0.2 7443
    run_in "$PB" udpecho udp-echo 10.78.0.2 7053
    sleep 0.7
    run_in "$PB" cli1 tcp-client 10.78.0.1 7001
    run_in "$PB" cli2 tcp-client 10.78.0.1 7002
    run_in "$PA" cli7443 tcp-client 10.78.0.2 7443
    run_in "$PA" udpa udp-client 10.78.0.1 7053 10.78.0.2 7053
    for _ in $(seq 100); do [ -s "$P/cli1.pid" ] && [ -s "$P/cli2.pid" ] && [ -s "$P/cli7443.pid" ] && [ -s "$P/udpa.pid" ] && break; sleep 0.1; done
    sleep 0.5
    ip netns exec "$PA" ./iftop -i veth0 --json -s 4 -n >"$P/json" 2>"$P/json.err"
    ip netns exec "$PA" ./iftop -i veth0 -t -s 3 -n -N -P --processes -L 20 >"$P/text" 2>"$P/text.err"
    ip netns exec "$PA" ./iftop -i veth0 --json -s 2 -Z >"$P/json_off" 2>/dev/null
    python3 - "$P" <<'PY' && ok "live attribution: every flow on the veth has the pid of its process (TCP servers, client vs listener on the same port, UDP)" || bad "live attribution ($(head -c 300 "$P/json.err"))"
import json, sys
d = sys.argv[1]
pid = lambda n: int(open("%s/%s.pid" % (d, n)).read())
snap = [json.loads(l) for l in open(d + "/json")][-1]
assert snap["final"] is True and snap["attribution"] == "full", snap["attribution"]
want = {}
for f in snap["flows"]:
    if f["src"] != "10.78.0.1":
        continue
    key = (f["protocol"], f["src_port"], f["dst_port"])
    if f["protocol"] == "TCP" and f["src_port"] == 7001: want[key] = ("srv1", f)
    elif f["protocol"] == "TCP" and f["src_port"] == 7002: want[key] = ("srv2", f)
    elif f["protocol"] == "TCP" and f["dst_port"] == 7443: want[key] = ("cli7443", f)
    elif f["protocol"] == "UDP" and f["src_port"] == 7053: want[key] = ("udpa", f)
names = sorted(n for n, _ in want.values())
assert names == ["cli7443", "srv1", "srv2", "udpa"], ("flows seen", names, snap["flows"])
for n, f in want.values():
    assert f["pid"] == pid(n), (n, pid(n), f)
    assert f["process"] == "python3", f
    assert f["sha256"] is None or len(f["sha256"]) == 64, f
    assert f["publisher"] is not None, f
assert pid("cli7443") != pid("listen7443")
print("pids ok:", {n: f["pid"] for n, f in want.values()})
PY
    python3 - "$P" <<'PY' && ok "live attribution: --processes shows [pid:name] in the text report; -Z gives attribution off" || bad "live attribution: text --processes / -Z"
import json, sys
d = sys.argv[1]
pid = lambda n: int(open("%s/%s.pid" % (d, n)).read())
text = open(d + "/text").read()
for n, port in (("srv1", 7001), ("srv2", 7002), ("udpa", 7053)):
    label = "10.78.0.1:%d [%d:python3]" % (port, pid(n))
    assert label in text, (label, text)
assert "[%d:python3]" % pid("cli7443") in text, text
off = [json.loads(l) for l in open(d + "/json_off")][-1]
assert off["attribution"] == "off" and all(f["pid"] is None for f in off["flows"]), off
PY
    fi
fi

# --- Part 2: what the first lookups miss (issue 9): short-lived sockets, owner changes, ping, containers, uid.
# Namespaces: A (iftop on veth0) and B as above; C, a "container" routed through A; a bridge host D with E and F
# bridged past it; every workload writes its own pid, which each flow is checked against.
lp2_skip() { skipped "live attribution (part 2): $1"; }
if [ "$(id -u)" != 0 ]; then lp2_skip "needs root (network namespaces)"
elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then lp2_skip "no 'ip netns' here"
elif ! command -v python3 >/dev/null || ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
    lp2_skip "no python3, unshare or setpriv"
else
    Q=$(mktemp -d)
    chmod 755 "$Q"
    QA=iftop-p2a-$$ QB=iftop-p2b-$$ QC=iftop-p2c-$$ QD=iftop-p2d-$$ QE=iftop-p2e-$$ QF=iftop-p2f-$$
    q_pids=()
    CG=""
    cleanup_p2() {
        for p in "${q_pids[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${q_pids[@]}"; do wait "$p" 2>/dev/null; done
        for n in "$QA" "$QB" "$QC" "$QD" "$QE" "$QF"; do ip netns del "$n" 2>/dev/null; done
        [ -n "$CG" ] && { rmdir "$CG" 2>/dev/null; rmdir "$(dirname "$CG")" 2>/dev/null; }
        rm -rf "$Q"
    }
    at_exit cleanup_p2
    nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
    setup_p2() {
        for n in "$QA" "$QB" "$QC" "$QD" "$QE" "$QF"; do ip netns add "$n" && ip -n "$n" link set lo up || return 1; done
        # A <-> B: 10.81.0.0/24 and fd81::/64; C behind A: 10.82.0.0/24, A routes
        ip -n "$QA" link add veth0 type veth peer name veth1 netns "$QB" &&
        ip -n "$QA" link add vethc type veth peer name eth0 netns "$QC" &&
        ip -n "$QA" addr add 10.81.0.1/24 dev veth0 && ip -n "$QB" addr add 10.81.0.2/24 dev veth1 &&
        ip -n "$QA" addr add fd81::1/64 dev veth0 nodad && ip -n "$QB" addr add fd81::2/64 dev veth1 nodad &&
        ip -n "$QA" addr add 10.82.0.1/24 dev vethc && ip -n "$QC" addr add 10.82.0.2/24 dev eth0 &&
        for l in "$QA veth0" "$QA vethc" "$QB veth1" "$QC eth0"; do set -- $l; ip -n "$1" link set "$2" up || return 1; done &&
        ip -n "$QB" route add 10.82.0.0/24 via 10.81.0.1 && ip -n "$QC" route add default via 10.82.0.1 &&
        nsx "$QA" sysctl -qw net.ipv4.ip_forward=1 &&
        nsx "$QA" sysctl -qw net.ipv4.ping_group_range="0 2147483647" &&
        # D bridges E and F (10.83.0.0/24); D has no address on the bridge
        ip -n "$QD" link add br0 type bridge &&
        ip -n "$QD" link add vpe type veth peer name eth0 netns "$QE" &&
        ip -n "$QD" link add vpf type veth peer name eth0 netns "$QF" &&
        ip -n "$QD" link set vpe master br0 && ip -n "$QD" link set vpf master br0 &&
        for l in "$QD br0" "$QD vpe" "$QD vpf" "$QE eth0" "$QF eth0"; do set -- $l; ip -n "$1" link set "$2" up || return 1; done &&
        ip -n "$QE" addr add 10.83.0.2/24 dev eth0 && ip -n "$QF" addr add 10.83.0.3/24 dev eth0
    }
    if ! setup_p2 2>"$Q/setup.err"; then lp2_skip "could not create namespaces ($(head -c 200 "$Q/setup.err"))"; else
    cat >"$Q/r.py" <<'PY'
import os, socket, sys, time, struct
role, pidfile, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
def mark(path=pidfile):
    with open(path + ".tmp", "w") as f: f.write(str(os.getpid()))
    os.rename(path + ".tmp", path)
end = time.time() + secs
args = sys.argv[4:]
if role == "udp-short":                     # host port: a new socket per query, every 100 ms (a DNS client)
    mark()
    n = 0
    while time.time() < end:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
        s.sendto(b"q" * 60, (args[0], int(args[1])))
        try: s.recv(4096); n += 1
        except socket.timeout: pass
        s.close(); time.sleep(0.1)
elif role == "tcp-short":                   # host port: 20 connections per second, 10 KB each, then close
    mark()
    while time.time() < end:
        t0 = time.time()
        try:
            c = socket.create_connection((args[0], int(args[1])), timeout=1)
            c.sendall(b"h" * 10240); c.shutdown(socket.SHUT_WR)
            while c.recv(4096): pass
            c.close()
        except OSError:
            pass
        time.sleep(max(0, 0.05 - (time.time() - t0)))
elif role == "udp-reply":                   # host port reply-bytes delay-ms: answers each query
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((args[0], int(args[1]))); s.settimeout(0.5)
    mark()
    while time.time() < end:
        try:
            d, a = s.recvfrom(4096)
        except socket.timeout:
            continue
        time.sleep(int(args[3]) / 1000.0); s.sendto(b"r" * int(args[2]), a)
elif role == "tcp-sink":                    # host port delay-ms: reads to EOF, answers "ok" after a delay
    import threading
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args[0], int(args[1]))); s.listen(64); s.settimeout(0.5)
    mark()
    def serve(c):
        try:
            c.settimeout(2)
            while c.recv(65536): pass
            time.sleep(int(args[2]) / 1000.0); c.sendall(b"ok"); c.close()
        except OSError:
            pass
    while time.time() < end:
        try: c, _ = s.accept()
        except socket.timeout: continue
        threading.Thread(target=serve, args=(c,), daemon=True).start()
elif role == "daemonize":                   # host port child-pidfile: connects, sends, forks; the parent exits
    c = socket.create_connection((args[0], int(args[1])), timeout=2)
    mark()
    c.sendall(b"p" * 100000); time.sleep(0.3)
    pid = os.fork()
    if pid:
        time.sleep(0.5)                     # the parent sends nothing more and exits: the child holds the socket
        os._exit(0)
    mark(args[2])
    while time.time() < end:
        c.sendall(b"d" * 150000); time.sleep(0.05)
    os._exit(0)
elif role == "pingsock":                        # family host count: ICMP echo through a ping socket (id = its port)
    fam = socket.AF_INET if args[0] == "4" else socket.AF_INET6
    proto = socket.IPPROTO_ICMP if args[0] == "4" else socket.IPPROTO_ICMPV6
    s = socket.socket(fam, socket.SOCK_DGRAM, proto); s.settimeout(0.5)
    mark()
    typ = 8 if args[0] == "4" else 128
    seq = 0
    while time.time() < end:
        seq += 1
        s.sendto(struct.pack("!BBHHH", typ, 0, 0, 0, seq) + b"i" * 200, (args[1], 0))
        try: s.recv(4096)
        except socket.timeout: pass
        time.sleep(0.1)
elif role == "stream":                      # host port comm: a steady TCP flow under a chosen name
    if os.environ.get("GO"): mark()
    while os.environ.get("GO") and not os.path.exists(os.environ["GO"]):
        time.sleep(0.02)                    # started, then moved into its cgroup, then go
    if len(args) > 2:
        with open("/proc/self/comm", "w") as f: f.write(args[2])
    for _ in range(50):
        try:
            c = socket.create_connection((args[0], int(args[1])), timeout=1); break
        except OSError:
            time.sleep(0.1)
    mark()
    while time.time() < end:
        c.sendall(b"s" * 2000); time.sleep(0.05)
elif role == "udp-stream":                  # host port: a steady unconnected UDP sender
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mark()
    while time.time() < end:
        s.sendto(b"v" * 500, (args[0], int(args[1]))); time.sleep(0.05)
PY
    T2=6
    PYX=$(python3 -c 'import sys; print(sys.executable)')  # not a shim: workloads must start at once
    bg() { local ns=$1 name=$2 role=$3; shift 3; ip netns exec "$ns" "$PYX" "$Q/r.py" "$role" "$Q/$name.pid" "$T2" "$@" & q_pids+=($!); }
    wait_files() { local i f; for i in $(seq 150); do for f in "$@"; do [ -s "$f" ] || { sleep 0.1; continue 2; }; done; return 0; done; return 1; }
    # a docker-style cgroup for the container's process (cgroup v2, else the v1 pids hierarchy)
    CID=$(printf 'fe%062x' $$)
    for base in /sys/fs/cgroup /sys/fs/cgroup/pids; do
        [ -f "$base/cgroup.procs" ] || continue
        mkdir -p "$base/iftop-test-$$/docker-$CID.scope" 2>/dev/null && { CG="$base/iftop-test-$$/docker-$CID.scope"; break; }
    done
    # servers in B (and F); the UDP server and the TCP sink answer after 20 ms, as a server on the Internet would
    # (a socket that closes before the capture hands its first packet over cannot be looked up)
    T2=30  # servers outlive the workloads (stopped at the end)
    bg "$QB" srv_udp udp-reply 0.0.0.0 7153 300 20
    bg "$QB" srv_tcp tcp-sink 0.0.0.0 7180 20
    bg "$QB" srv_dmn tcp-sink 0.0.0.0 7190 0
    bg "$QB" srv_ctr tcp-sink 0.0.0.0 7181 0
    bg "$QB" srv_uid tcp-sink 0.0.0.0 7195 0
    bg "$QF" srv_br tcp-sink 0.0.0.0 7182 0
    bg "$QB" srv_r1 tcp-sink 0.0.0.0 7201 0
    bg "$QB" srv_r2 tcp-sink 0.0.0.0 7202 0
    wait_files "$Q"/srv_{udp,tcp,dmn,ctr,uid,br,r1,r2}.pid
    T2=6
    # pid reuse, in a pid namespace of its own where ns_last_pid hands A's pid to B, another program (a copy of
    # the interpreter with a byte appended: another name and hash); iftop runs in there too, to see those pids
    PYHOME=$(python3 -c 'import sys; print(sys.prefix)')
    cp "$(readlink -f "$PYX")" "$Q/pyreuse" && printf 'x' >>"$Q/pyreuse"
    cat >"$Q/reuse.sh" <<'SH'
Q=$1 PYX=$2 PYHOME=$3
./iftop -i veth0 --json -s 60 -n -f "port 7201 or port 7202" >"$Q/r.json" 2>"$Q/r.err" & I=$!
for i in $(seq 100); do [ -s "$Q/r.json" ] && break; sleep 0.1; done
"$PYX" "$Q/r.py" stream "$Q/reuseA.pid" 2.5 10.81.0.2 7201
echo $(($(cat "$Q/reuseA.pid") - 1)) >/proc/sys/kernel/ns_last_pid
PYTHONHOME=$PYHOME "$Q/pyreuse" "$Q/r.py" stream "$Q/reuseB.pid" 2.5 10.81.0.2 7202
sleep 1.2; kill -TERM $I; wait $I
SH
    ip netns exec "$QA" unshare --pid --fork --mount-proc bash "$Q/reuse.sh" "$Q" "$PYX" "$PYHOME" & q_pids+=($!); ir=$!
    # iftop in A (routes C's traffic), in D (bridges E and F), and in A unprivileged: nobody with only
    # cap_net_raw,cap_net_admin (the workload on port 7195 runs as uid 4242). They run until stopped.
    ip netns exec "$QA" ./iftop -i veth0 --json -s 60 -n >"$Q/a.json" 2>"$Q/a.err" & ia=$!
    ip netns exec "$QD" ./iftop -i vpe --json -s 60 -n >"$Q/d.json" 2>"$Q/d.err" & id=$!
    ip netns exec "$QA" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_raw,+net_admin \
        --ambient-caps=-all,+net_raw,+net_admin ./iftop -i veth0 --json -s 60 -n -f "port 7195" >"$Q/u.json" 2>"$Q/u.err" & iu=$!
    q_pids+=($ia $id $iu)
    wait_files "$Q/a.json" "$Q/d.json" "$Q/u.json"  # a first snapshot: capturing
    w=()
    bgw() { bg "$@"; w+=($!); }
    bgw "$QA" udp_short udp-short 10.81.0.2 7153
    bgw "$QA" tcp_short tcp-short 10.81.0.2 7180
    bgw "$QA" dmn daemonize 10.81.0.2 7190 "$Q/dmn_child.pid"
    bgw "$QA" ping4 pingsock 4 10.81.0.2
    bgw "$QA" ping6 pingsock 6 fd81::2
    UPY=/usr/bin/python3; [ -x "$UPY" ] || UPY=$PYX
    mkdir -m 1777 "$Q/u"
    ip netns exec "$QA" setpriv --reuid=4242 --regid=4242 --clear-groups "$UPY" "$Q/r.py" stream "$Q/u/uidw.pid" "$T2" 10.81.0.2 7195 & q_pids+=($!); w+=($!)
    # the container: its process joins the docker-style cgroup (the netns has its own /sys: from out here)
    ip netns exec "$QC" env GO="$Q/ctr.go" "$PYX" "$Q/r.py" stream "$Q/ctr.pid" "$T2" 10.81.0.2 7181 & q_pids+=($!); w+=($!)
    wait_files "$Q/ctr.pid"; [ -n "$CG" ] && { cat "$Q/ctr.pid" >"$CG/cgroup.procs" || CG=""; }
    touch "$Q/ctr.go"
    ip netns exec "$QE" "$PYX" "$Q/r.py" stream "$Q/br.pid" "$T2" 10.83.0.3 7182 & q_pids+=($!); w+=($!)
    wait "${w[@]}"
    while kill -0 "$(cat "$Q/dmn_child.pid" 2>/dev/null)" 2>/dev/null; do sleep 0.1; done
    sleep 1.2
    kill -TERM $ia $id $iu; wait $ia $id $iu $ir
    python3 - "$Q" "$CID" "$CG" <<'PY' && ok "live attribution: short-lived UDP and TCP (>= 80% of bytes), fork+exit daemon moves to the child, ping v4/v6, a container routed and one bridged past the monitor (>= 90%), uid when unprivileged; no byte to a wrong process" || bad "live attribution part 2 ($(head -c 300 "$Q/a.err"))"
import json, sys
d, cid, cg = sys.argv[1], sys.argv[2], sys.argv[3]
pid = lambda n: int(open("%s/%s.pid" % (d, n)).read())
def snaps(name):
    return [json.loads(l) for l in open("%s/%s.json" % (d, name))]
a, br, un, ru = snaps("a"), snaps("d"), snaps("u"), snaps("r")
fa = a[-1]["flows"]
tot = lambda f: f["sent_bytes"] + f["recv_bytes"]
report, errors = [], []
def share(label, flows, want, need):
    flows = list(flows)
    all_b = sum(tot(f) for f in flows)
    good = sum(tot(f) for f in flows if f["pid"] == want)
    wrong = [f for f in flows if f["pid"] not in (None, want)]
    frac = good / all_b if all_b else 0
    report.append("%s %.1f%% of %d bytes in %d flows" % (label, 100 * frac, all_b, len(flows)))
    if not flows or frac < need: errors.append("%s: %.3f < %.2f" % (label, frac, need))
    if wrong: errors.append("%s: wrong pid %s" % (label, wrong[:2]))
share("short UDP", (f for f in fa if f["protocol"] == "UDP" and f["dst_port"] == 7153 and f["src"] == "10.81.0.1"), pid("udp_short"), 0.80)
share("short TCP", (f for f in fa if f["protocol"] == "TCP" and f["dst_port"] == 7180 and f["src"] == "10.81.0.1"), pid("tcp_short"), 0.80)
share("ping4", (f for f in fa if f["protocol"] == "ICMP" and f["dst"] == "10.81.0.2"), pid("ping4"), 0.99)
share("ping6", (f for f in fa if f["protocol"] == "ICMPv6" and f["dst"] == "fd81::2"), pid("ping6"), 0.99)
share("routed container", (f for f in fa if f["protocol"] == "TCP" and f["dst_port"] == 7181), pid("ctr"), 0.90)
share("bridged container", (f for f in br[-1]["flows"] if f["protocol"] == "TCP" and 7182 in (f["src_port"], f["dst_port"])), pid("br"), 0.90)
ctr = [f for f in fa if f["protocol"] == "TCP" and f["dst_port"] == 7181]
if cg and ctr and ctr[0]["container"] != cid[:12]: errors.append("container name %r, want %r" % (ctr[0]["container"], cid[:12]))
# the daemon: the parent, then (within 2 s of its exit) the child, and nobody else
parent, child = pid("dmn"), pid("dmn_child")
seq = []
for s in a:
    for f in s["flows"]:
        if f["protocol"] == "TCP" and f["dst_port"] == 7190: seq.append(f["pid"])
if not seq or seq[-1] != child or any(p not in (None, parent, child) for p in seq):
    errors.append("daemon: parent %d child %d, snapshots %s" % (parent, child, seq))
report.append("daemon pids per snapshot %s (parent %d, child %d)" % (seq, parent, child))
# unprivileged: the other user's flow has no process but its uid
uf = [f for f in un[-1]["flows"] if f["protocol"] == "TCP" and f["dst_port"] == 7195]
if not uf or any(f["uid"] != 4242 or f["pid"] is not None for f in uf) or un[-1]["attribution"] != "partial":
    errors.append("unprivileged: %s attribution %s" % (uf, un[-1]["attribution"]))
# pid reuse: B got A's pid; each flow shows its own program
ra, rb = pid("reuseA"), pid("reuseB")
f1 = [f for f in ru[-1]["flows"] if f["protocol"] == "TCP" and f["dst_port"] == 7201]
f2 = [f for f in ru[-1]["flows"] if f["protocol"] == "TCP" and f["dst_port"] == 7202]
if ra != rb: errors.append("pid reuse: B got pid %d, not A's %d" % (rb, ra))
elif not f1 or not f2 or any(f["pid"] != ra for f in f1 + f2): errors.append("pid reuse: flows %s %s" % (f1, f2))
elif f2[0]["process"] != "pyreuse" or f1[0]["process"] == "pyreuse" or f1[0]["sha256"] == f2[0]["sha256"]:
    errors.append("pid reuse: A and B are not told apart: %s / %s" % (f1[0], f2[0]))
report.append("pid reuse %d: %s %s / %s %s" % (ra, f1[0]["process"] if f1 else None, (f1[0]["sha256"] or "")[:8] if f1 else None,
                                              f2[0]["process"] if f2 else None, (f2[0]["sha256"] or "")[:8] if f2 else None))
print("; ".join(report), file=sys.stderr)
if errors:
    for name, sn in (("a", a), ("d", br), ("u", un)):
        print(name, len(sn), sn[-1]["attribution"] if sn else None)
        for f in (sn[-1]["flows"] if sn else []):
            print("  ", f["protocol"], f["src"], f["src_port"], f["dst"], f["dst_port"], tot(f), f["pid"], f["process"], f["container"], f["uid"])
    print("\n".join(errors)); sys.exit(1)
PY
    fi
fi
