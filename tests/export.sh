#!/bin/bash
# The exports ([14]) against the real collectors: nfdump's nfcapd on 127.0.0.1 (a free port, its own directory,
# stopped by its pid with SIGTERM, which writes out its file) reads back what --ipfix sent, and `nfdump` must report
# per direction exactly what ./iftop's own final --json object says; a collector of our own (tests/ipfix_check.py)
# decodes the wire format independently. Sourced by tests/run.sh.
X=$(mktemp -d)
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
        $PY -c 'import socket, struct, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(struct.pack(">HHIII", 10, 16, 0, 0, int(sys.argv[2])), ("127.0.0.1", int(sys.argv[1])))' "$NFPORT" "$domain"
        for _ in $(seq 100); do grep -q "Observation domain $domain from" "$NFDIR.log" && break; sleep 0.1; done
        kill -TERM "$nf_pid" 2>/dev/null && wait "$nf_pid" 2>/dev/null
    fi
    nf_pid=
}
cleanup_export() { stop_nfcapd; rm -rf "$X"; }
trap cleanup_export RETURN

if ! command -v nfcapd >/dev/null || ! command -v nfdump >/dev/null; then
    echo "skip IPFIX against nfcapd: nfdump not installed (make deps)"
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
