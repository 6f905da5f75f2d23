#!/bin/bash
# Live process attribution, as root, between two network namespaces that this test creates (skipped otherwise).
# In namespace A (where iftop listens on veth0): two TCP servers on different ports, a process listening on 7443
# while another one connects to B's 7443 (port-only matching would give that flow to the listener), and a UDP
# socket exchanging datagrams with B. Every flow in `./iftop --json -s N` must carry the pid of the process that
# owns it (each helper writes its own pid).
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
    run_in() { local ns=$1 name=$2; shift 2; ip netns exec "$ns" python3 "$P/role.py" "$1" "$P/$name.pid" "$T" "${@:2}" & lp_pids+=($!); }
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
