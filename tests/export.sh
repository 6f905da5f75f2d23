#!/bin/bash
# The exports ([14]) against the real collectors: nfdump's nfcapd on 127.0.0.1 (a free port, its own directory,
# stopped by its pid with SIGTERM, which writes out its file) reads back what --ipfix sent, and `nfdump` must report
# per direction exactly what ./iftop's own final --json object says; a collector of our own (tests/ipfix_check.py)
# decodes the wire format independently.
. "$(dirname "$0")/lib.sh"
need_built ./iftop
X=$(mktemp -d)
# As root, iftop becomes another user once its capture is open (the sudo user, else nobody) and writes the textfile
# as that user: the textfile directories are open to every user (sticky), and $X can be passed through.
chmod 711 "$X"
writable_dir() { mkdir -p "$1" && chmod 1777 "$1"; }
PY=/usr/bin/python3; [ -x $PY ] || PY=python3  # Debian's: a version manager's shim can take seconds to start
nf_pid=
start_nfcapd() {  # $1: directory; sets NFDIR, NFPORT, nf_pid
    NFDIR=$1
    mkdir -p "$1"
    NFPORT=$($PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ${NETNS_EXEC:-} nfcapd -b 127.0.0.1 -p "$NFPORT" -w "$1" -t 3600 >"$1.log" 2>&1 &
    nf_pid=$!
    for _ in $(seq 50); do grep -q 'Startup' "$1.log" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
stop_nfcapd() {  # SIGTERM makes nfcapd write its file out and exit, but not read what is queued
    # on its socket first: an empty IPFIX message from another Observation Domain goes in behind iftop's, and the
    # log line nfcapd writes for that new exporter says it has read everything before it.
    if [ -n "$nf_pid" ]; then
        domain=$((900000 + RANDOM))
        ${NETNS_EXEC:-} $PY -c 'import socket, struct, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(struct.pack(">HHIII", 10, 16, 0, 0, int(sys.argv[2])), ("127.0.0.1", int(sys.argv[1])))' "$NFPORT" "$domain"
        for _ in $(seq 100); do grep -q "Observation domain $domain from" "$NFDIR.log" && break; sleep 0.1; done
        kill -TERM "$nf_pid" 2>/dev/null && wait "$nf_pid" 2>/dev/null
    fi
    nf_pid=
}
ne_pid=
cleanup_export() {
    stop_nfcapd
    [ -n "$ne_pid" ] && kill "$ne_pid" 2>/dev/null && wait "$ne_pid" 2>/dev/null
    [ -n "${NA:-}" ] && ip netns del "$NA" 2>/dev/null; [ -n "${NB:-}" ] && ip netns del "$NB" 2>/dev/null
    rm -rf "$X"
}
at_exit cleanup_export

if ! command -v nfcapd >/dev/null || ! command -v nfdump >/dev/null; then
    skipped "IPFIX against nfcapd: nfdump not installed (make deps)"
else
    # Every generated capture (every protocol, link type, fragment and IPv6 case of tests/ACCOUNTING.md).
    $PY tests/gen_cases.py "$X/cases" >/dev/null 2>&1
    n=0 failed=
    for f in "$X"/cases/*.pcap "$X"/cases/*.pcapng; do
        name=$(basename "${f%.*}")
        start_nfcapd "$X/nf-$name" || { failed="$failed $name(nfcapd did not start)"; continue; }
        ./iftop -r "$f" -l --json --ipfix "127.0.0.1:$NFPORT" >"$X/$name.json" 2>"$X/$name.err"
        stop_nfcapd
        if ! $PY tests/ipfix_check.py compare "$X/$name.json" "$X/nf-$name" >"$X/$name.cmp" 2>&1; then
            failed="$failed $name"; cat "$X/$name.cmp" | head -5
        fi
        n=$((n + 1))
    done
    if [ -z "$failed" ] && [ $n -gt 20 ]; then ok "IPFIX -r: nfdump reads back every flow direction of $n generated captures exactly as --json counts them, no sequence errors"
    else bad "IPFIX -r against nfcapd:$failed"; fi

    # Timeouts follow capture time with -r.
    $PY tests/mkpcap.py timeouts "$X/timeouts.pcap"
    start_nfcapd "$X/nf-to" &&
    ./iftop -r "$X/timeouts.pcap" --json --ipfix "127.0.0.1:$NFPORT" --ipfix-active-timeout 60 --ipfix-inactive-timeout 15 >"$X/to.json" 2>"$X/to.err"
    stop_nfcapd
    if r=$($PY tests/ipfix_check.py timeouts "$X/nf-to" 2>&1) && $PY tests/ipfix_check.py compare "$X/to.json" "$X/nf-to" >/dev/null 2>&1
    then ok "IPFIX timeouts on capture time: $r"; else bad "IPFIX timeouts: $r"; fi

    # --max-flows: flows evicted are exported before they are forgotten, so the totals still add up.
    $PY tests/mkpcap.py many "$X/many.pcap"
    start_nfcapd "$X/nf-many" &&
    ./iftop -r "$X/many.pcap" --json --max-flows 64 --ipfix "127.0.0.1:$NFPORT" >"$X/many.json" 2>"$X/many.err"
    stop_nfcapd
    ev=$(tail -1 "$X/many.json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["capture"]["evicted_flows"])' 2>/dev/null)
    if r=$($PY tests/ipfix_check.py compare "$X/many.json" "$X/nf-many" --totals 2>&1) && [ "${ev:-0}" -gt 400 ]
    then ok "IPFIX with --max-flows 64: $ev flows evicted, nfdump's totals equal --json's ($r)"; else bad "IPFIX --max-flows: evicted ${ev:-?}; $r"; fi

    # Two collectors at once (repeatable --ipfix): nfcapd and our own reader of the wire format.
    start_nfcapd "$X/nf-two"
    $PY tests/ipfix_check.py receive "$X/own.port" "$X/own.bin" & own=$!
    for _ in $(seq 50); do [ -s "$X/own.port" ] && break; sleep 0.1; done
    ./iftop -r "$X/many.pcap" --json --ipfix "127.0.0.1:$NFPORT" --ipfix "127.0.0.1:$(cat "$X/own.port")" >"$X/two.json" 2>"$X/two.err"
    stop_nfcapd; kill -TERM $own; wait $own
    if r=$($PY tests/ipfix_check.py parse "$X/own.bin" 2>&1) && $PY tests/ipfix_check.py compare "$X/two.json" "$X/nf-two" >/dev/null 2>&1 &&
       [ "$(echo "$r" | awk '{print $8, $10}')" = "$(tail -1 "$X/two.json" | $PY -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["sent_bytes"]+t["recv_bytes"], t["sent_packets"]+t["recv_packets"])')" ]
    then ok "IPFIX to two collectors: nfcapd exact, our own RFC 7011 reader: $r"; else bad "IPFIX to two collectors: $r"; fi
fi

# Bad destinations: one clear line and exit status 2 at start; a collector that is down is counted, not fatal.
$PY tests/mkpcap.py steady "$X/steady.pcap"
./iftop -r "$X/steady.pcap" --json --ipfix no-such-host.invalid:4739 >/dev/null 2>"$X/bad1"; rc1=$?
./iftop -r "$X/steady.pcap" --json --ipfix 127.0.0.1:70000 >/dev/null 2>"$X/bad2"; rc2=$?
./iftop -r "$X/steady.pcap" --json --ipfix 2001:db8::1:4739 >/dev/null 2>"$X/bad3"; rc3=$?
if [ $rc1 = 2 ] && [ $rc2 = 2 ] && [ $rc3 = 2 ] && grep -q "cannot resolve 'no-such-host.invalid'" "$X/bad1" &&
   grep -q 'port must be a number from 1 to 65535' "$X/bad2" && grep -q 'brackets' "$X/bad3" &&
   [ "$(cat "$X/bad1" "$X/bad2" "$X/bad3" | wc -l)" = 3 ]
then ok "IPFIX bad collectors: unresolvable host, bad port, unbracketed IPv6: one line each, exit 2"
else bad "IPFIX bad collectors: exits $rc1 $rc2 $rc3: $(cat "$X/bad1" "$X/bad2" "$X/bad3")"; fi
# Nothing listens on this port: ICMP port unreachable comes back; sends fail, are counted, the run completes.
DOWN=$($PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 20 ./iftop -r "$X/many.pcap" --json --ipfix "127.0.0.1:$DOWN" --ipfix-active-timeout 1 >"$X/down.json" 2>"$X/down.err"; rcd=$?
if [ $rcd = 0 ] && tail -1 "$X/down.json" | $PY -c '
import json, sys
d = json.load(sys.stdin)
c = d["export"]["ipfix"]["collectors"][0]
assert d["final"] and d["totals"]["sent_packets"] == 1800, d["totals"]
assert c["send_failures"] > 0 and c["last_error"] == "Connection refused", c' && grep -q 'IPFIX to 127.0.0.1:.*Connection refused' "$X/down.err"
then ok "IPFIX collector down: ICMP unreachable counted as send failures in --json and said once on stderr; the run completes"
else bad "IPFIX collector down: exit $rcd; $(tail -c 300 "$X/down.json"); $(cat "$X/down.err")"; fi

# --prometheus: promtool accepts the textfile; node_exporter's textfile collector serves the totals --json reports.
serve_textfiles() {  # $1: textfile directory; sets NEPORT, ne_pid (node_exporter on 127.0.0.1, textfile collector only)
    NEPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    prometheus-node-exporter --web.listen-address="127.0.0.1:$NEPORT" --collector.disable-defaults \
        --collector.textfile --collector.textfile.directory="$1" >"$1.ne.log" 2>&1 &
    ne_pid=$!
}
prom_matches_json() {  # $1: node_exporter port, $2: final NDJSON, $3: interface label; node_exporter's numbers = --json's
    $PY - "$1" "$2" "$3" <<'PY'
import json, re, sys, time, urllib.request
port, final, iface = sys.argv[1], [json.loads(l) for l in open(sys.argv[2]) if l.strip()][-1], sys.argv[3]
text = None
for _ in range(100):
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5).read().decode()
        if "iftop_bytes_total" in text:
            break
    except OSError:
        pass
    time.sleep(0.1)
assert text and "iftop_bytes_total" in text, "node_exporter did not serve the textfile: %r" % (text or "")[-300:]
assert "node_textfile_scrape_error 0" in text, "textfile scrape error"
esc = iface.replace("\\", "\\\\").replace('"', '\\"')
def value(name, labels):
    want = '%s{%s}' % (name, ",".join('%s="%s"' % kv for kv in sorted(labels.items())))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            m = re.match(r'(\w+)\{(.*)\} (\S+)$', line)
            got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
            if got == labels:
                return float(m.group(3))
    raise SystemExit("no %s in:\n%s" % (want, text))
t, c = final["totals"], final["capture"]
checks = [("iftop_bytes_total", {"direction": "sent"}, t["sent_bytes"]), ("iftop_bytes_total", {"direction": "received"}, t["recv_bytes"]),
          ("iftop_packets_total", {"direction": "sent"}, t["sent_packets"]), ("iftop_packets_total", {"direction": "received"}, t["recv_packets"]),
          ("iftop_capture_packets_total", {}, c["packets"]), ("iftop_flows", {}, c["flows"]), ("iftop_flows_evicted_total", {}, c["evicted_flows"])]
checks += [("iftop_capture_skipped_total", {"reason": r}, n) for r, n in c["skipped"].items()]
checks += [("iftop_rate_bytes_per_second", {"direction": d, "window": w}, t["%s_%s" % (k, w)]) for d, k in (("sent", "sent"), ("received", "recv")) for w in ("2s", "10s", "40s")]
for name, labels, want in checks:
    labels = dict(labels, interface=esc)
    got = value(name, labels)
    assert abs(got - want) < 1e-9, "%s%r: node_exporter %r, --json %r" % (name, labels, got, want)
print("%d samples equal" % len(checks))
PY
}
if ! command -v promtool >/dev/null || ! command -v prometheus-node-exporter >/dev/null; then
    skipped "Prometheus textfile: prometheus / prometheus-node-exporter not installed (make deps)"
else
    writable_dir "$X/textfiles"
    weird="$X/we\"ird\\name.pcap"  # a label value that needs escaping: a double quote and a backslash
    cp "$X/many.pcap" "$weird"
    ./iftop -r "$weird" --json --max-flows 100 --prometheus "$X/textfiles/iftop.prom" >"$X/prom.json" 2>"$X/prom.err"; rcp=$?
    if [ $rcp = 0 ] && promtool check metrics <"$X/textfiles/iftop.prom" >"$X/promtool.out" 2>&1 && [ ! -s "$X/promtool.out" ]
    then ok "Prometheus textfile: promtool check metrics accepts it (no lint messages)"
    else bad "Prometheus textfile: iftop exit $rcp, promtool: $(cat "$X/promtool.out" "$X/prom.err")"; fi
    serve_textfiles "$X/textfiles"
    if r=$(prom_matches_json "$NEPORT" "$X/prom.json" "$weird" 2>&1)
    then ok "Prometheus via node_exporter's textfile collector: $r with the final --json (escaped label, evictions)"
    else bad "Prometheus via node_exporter: $r"; fi
    kill "$ne_pid" 2>/dev/null; wait "$ne_pid" 2>/dev/null; ne_pid=
    ./iftop -r "$X/steady.pcap" --json --prometheus "$X/no-such-dir/iftop.prom" >/dev/null 2>"$X/prombad"; rcb=$?
    if [ $rcb = 2 ] && [ "$(wc -l <"$X/prombad")" = 1 ] && grep -q 'no-such-dir/iftop.prom: No such file or directory' "$X/prombad"
    then ok "Prometheus textfile in a missing directory: one line, exit 2"
    else bad "Prometheus bad path: exit $rcb: $(cat "$X/prombad")"; fi
fi

# Live, on a veth pair between two namespaces of our own (root only): TCP, UDP and ICMP between them, captured on
# A's veth0 with --json, both exports on, a collector in A (nfcapd and our own reader, on A's loopback, whose MTU is
# set to 1280) and a reader polling the textfile every 0.25 s.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    skipped "live exports: needs root and ip netns"
elif ! command -v nfcapd >/dev/null || ! command -v promtool >/dev/null || ! command -v prometheus-node-exporter >/dev/null; then
    skipped "live exports: nfdump / prometheus / prometheus-node-exporter not installed (make deps)"
else
    NA=iftop-exp-a-$$ NB=iftop-exp-b-$$
    if ip netns add "$NA" && ip netns add "$NB" &&
       ip -n "$NA" link add veth0 type veth peer name veth1 netns "$NB" &&
       ip -n "$NA" addr add 10.78.0.1/24 dev veth0 && ip -n "$NB" addr add 10.78.0.2/24 dev veth1 &&
       ip -n "$NA" link set veth0 up && ip -n "$NB" link set veth1 up &&
       ip -n "$NA" link set lo up mtu 1280 && ip -n "$NB" link set lo up; then
        cat >"$X/peer.py" <<'PY'
import os, socket, sys, threading, time
if sys.argv[1] == "server":                   # in B: UDP echo on 9100, TCP sink on 9200
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.78.0.2", 9100))
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("10.78.0.2", 9200)); t.listen(4)
    def tcp():
        c, _ = t.accept()
        while c.recv(65536):
            pass
        c.close()
    threading.Thread(target=tcp, daemon=True).start()
    u.settimeout(0.2)
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        try:
            d, a = u.recvfrom(65535)
            u.sendto(b"r" * 300, a)
        except socket.timeout:
            pass
elif sys.argv[1] == "icmp-echo":                   # in A: 3 ICMP echo requests (B's kernel answers), a raw socket
    def csum(b):
        s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    for seq in range(3):
        body = b"\x08\x00\x00\x00" + (77).to_bytes(2, "big") + seq.to_bytes(2, "big") + b"p" * 56
        r.sendto(body[:2] + csum(body).to_bytes(2, "big") + body[4:], ("10.78.0.2", 0))
        time.sleep(0.2)
else:                                         # in A: 30 UDP requests, 200 one-packet UDP flows, 64 KiB over TCP
    print(os.getpid(), flush=True)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.78.0.1", 41000))
    for i in range(30):
        u.sendto(b"q" * 700, ("10.78.0.2", 9100)); time.sleep(0.03)
    keep = []                                 # open until the end: attribution looks a flow up at the next tick
    for i in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.78.0.1", 42000 + i))
        s.sendto(b"x" * (50 + i), ("10.78.0.2", 9999)); keep.append(s)
    c = socket.create_connection(("10.78.0.2", 9200)); c.sendall(b"t" * 65536)
    time.sleep(2)
    c.close()
PY
        NETNS_EXEC="ip netns exec $NA"
        start_nfcapd "$X/nf-live"
        ip netns exec "$NA" $PY tests/ipfix_check.py receive "$X/live-own.port" "$X/live-own.bin" & own=$!
        for _ in $(seq 50); do [ -s "$X/live-own.port" ] && break; sleep 0.1; done
        ip netns exec "$NB" $PY "$X/peer.py" server 12 & srv=$!
        writable_dir "$X/live-tf"
        ip netns exec "$NA" ./iftop -i veth0 --json -s 8 --prometheus "$X/live-tf/iftop.prom" \
            --ipfix "127.0.0.1:$NFPORT" --ipfix "127.0.0.1:$(cat "$X/live-own.port")" >"$X/live.json" 2>"$X/live.err" & ift=$!
        # The reader: every 0.25 s, the whole file or nothing (it must never see a half-written one).
        $PY - "$X/live-tf/iftop.prom" "$X/poll.out" <<'PY' & poll=$!
import os, re, sys, time
path, out = sys.argv[1], sys.argv[2]
line = re.compile(r'^(# (HELP|TYPE) \w+ .+|\w+\{(\w+="([^"\\]|\\.)*",?)*\} [-+0-9.e]+)$')
reads = partial = 0
seen = set()
end = time.time() + 9
while time.time() < end:
    try:
        text = open(path).read()
    except FileNotFoundError:
        text = None
    if text:
        reads += 1
        lines = text.split("\n")
        if lines[-1] != "" or not all(line.match(l) for l in lines[:-1]) or "iftop_flows_evicted_total{" not in text:
            partial += 1
        seen.add(text)
    time.sleep(0.25)
open(out, "w").write("%d %d %d\n" % (reads, partial, len(seen)))
PY
        sleep 1.5
        ip netns exec "$NA" $PY "$X/peer.py" icmp-echo
        ip netns exec "$NA" $PY "$X/peer.py" client >"$X/client.out"
        client_pid=$(head -1 "$X/client.out")
        wait $ift; rci=$?
        wait $poll
        stop_nfcapd; kill -TERM $own; wait $own; kill $srv 2>/dev/null; wait $srv 2>/dev/null
        if [ $rci = 0 ] && r=$($PY tests/ipfix_check.py compare "$X/live.json" "$X/nf-live" 2>&1)
        then ok "live veth IPFIX: nfdump reads back TCP, UDP and ICMP per direction exactly as the final --json ($r)"
        else bad "live veth IPFIX: exit $rci; $r; $(head -3 "$X/live.err")"; fi
        if r=$($PY tests/ipfix_check.py parse "$X/live-own.bin" --max-size 1252 --min-largest 600 --pid "$client_pid" --process python3 2>&1)
        then ok "live veth IPFIX, own reader: messages within the 1280-byte path MTU, pid $client_pid and its name travel: $r"
        else bad "live veth IPFIX, own reader: $r"; fi
        read -r reads partial distinct <"$X/poll.out"
        if [ "${partial:-1}" = 0 ] && [ "${reads:-0}" -ge 20 ] && [ "${distinct:-0}" -ge 5 ]
        then ok "live textfile: read $reads times every 0.25 s, never partial, $distinct different contents (rewritten every second)"
        else bad "live textfile: $reads reads, $partial partial, $distinct distinct"; fi
        serve_textfiles "$X/live-tf"
        if promtool check metrics <"$X/live-tf/iftop.prom" >"$X/live-promtool" 2>&1 && [ ! -s "$X/live-promtool" ] &&
           r=$(prom_matches_json "$NEPORT" "$X/live.json" veth0 2>&1) &&
           $PY - "$X/live.json" "$X/live-tf/iftop.prom" "$client_pid" <<'PY'
import json, re, sys
final = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
text = open(sys.argv[2]).read()
mine = [f for f in final["flows"] if f["pid"] == int(sys.argv[3])]
assert len(mine) >= 202 and all(f["process"] == "python3" for f in mine), [(f["pid"], f["process"]) for f in final["flows"]]
assert any(f["protocol"] == "ICMP" and f["sent_packets"] == 3 and f["recv_packets"] >= 3 for f in final["flows"])  # echo replies, and port unreachables for 9999
sent = sum(f["sent_bytes"] for f in final["flows"] if f["process"] == "python3")
recv = sum(f["recv_bytes"] for f in final["flows"] if f["process"] == "python3")
got = {d: float(re.search(r'iftop_process_bytes_total\{interface="veth0",process="python3",direction="%s"\} (\S+)' % d, text).group(1)) for d in ("sent", "received")}
assert got == {"sent": sent, "received": recv}, (got, sent, recv)
PY
        then ok "live textfile: promtool clean; node_exporter serves totals equal to the final --json ($r); python3's process counter equals its flows' bytes"
        else bad "live textfile: $(cat "$X/live-promtool") $r"; fi
        kill "$ne_pid" 2>/dev/null; wait "$ne_pid" 2>/dev/null; ne_pid=
        readme=$(sed -n '/^## Many hosts/,/^## Embedding/p' README.md | grep -o '`iftop_[a-z_]*`' | tr -d '`' | sort -u)
        file=$(sed -n 's/^# TYPE \(iftop_[a-z_]*\) .*/\1/p' "$X/live-tf/iftop.prom" | sort -u)
        if [ -n "$file" ] && [ "$readme" = "$file" ]; then ok "live textfile: its metrics are exactly the README's list ($(echo $file | wc -w))"
        else bad "README metric list vs textfile: $(diff <(echo "$readme") <(echo "$file") | tr '\n' ' ')"; fi
        unset NETNS_EXEC
    else
        skipped "live exports: could not create namespaces/veth"
    fi
fi

# The README's sample alert rule is one Prometheus loads.
if command -v promtool >/dev/null; then
    sed -n '/^```yaml$/,/^```$/p' README.md | sed '1d;$d' >"$X/rules.yml"
    if grep -q iftop_rate_bytes_per_second "$X/rules.yml" && promtool check rules "$X/rules.yml" >"$X/rules.out" 2>&1
    then ok "README's alert rule on iftop_rate_bytes_per_second: promtool check rules accepts it"
    else bad "README's alert rule: $(cat "$X/rules.out")"; fi
fi
