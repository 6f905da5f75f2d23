#!/bin/bash
# Command-line behaviour of ./iftop, as a user meets it: exit codes, one-line errors, files, stdin, pipes.
# Needs no root, tty or network. Runs alone (bash tests/cli.sh) or under tests/run.sh.
. "$(dirname "$0")/lib.sh"
need_built ./iftop tests/embed_example
T=$(mktemp -d)
at_exit 'rm -rf "$T"'
python3 tests/mkpcap.py steady "$T/steady.pcap"
python3 tests/mkpcap.py wifi "$T/wifi.pcap"
python3 tests/mkpcap.py cut "$T/cut.pcap"

# expect NAME RC PATTERN CMD...: exit status RC, stderr exactly one line matching PATTERN.
expect() {
    local name=$1 rc=$2 pat=$3; shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    local lines; lines=$(wc -l <"$T/err")
    if [ "$got" = "$rc" ] && [ "$lines" = 1 ] && grep -qE -- "$pat" "$T/err"; then ok "$name"
    else bad "$name (exit $got, want $rc; stderr: $(head -c 300 "$T/err"))"; fi
}

expect "unknown flag: exit 2, names it" 2 "unknown option '-Q'" ./iftop -Q
expect "unknown long flag" 2 "unknown option '--nope'" ./iftop --nope
expect "bad -F" 2 "-F '10.0.0.0': missing /mask" ./iftop -F 10.0.0.0
expect "bad -G" 2 "not an IPv6 address" ./iftop -G 10.0.0.0/8
expect "bad -s" 2 "needs a whole number" ./iftop -s never
expect "missing file: exit 1" 1 "cannot read $T/none.pcap: No such file" ./iftop -r "$T/none.pcap"
expect "not a capture file" 1 "is not a readable pcap or pcapng file" ./iftop -r tests/mkpcap.py
expect "unsupported link type names it" 1 "IEEE802_11.*not supported" ./iftop -r "$T/wifi.pcap"
expect "bad BPF: exit 2, names the filter" 2 "bad filter code 'tcp port'" ./iftop -r "$T/steady.pcap" -f "tcp port"
expect "empty stdin is not a capture, no spin" 1 "standard input" timeout 5 ./iftop -r - </dev/null
expect "unknown interface" 1 "no such interface 'nosuch0'|needs root" timeout 5 ./iftop -i nosuch0 -t -s 1
expect "bad config file: named with its line, ignored, not changed" 0 "bad.rc: line 2: use-bytes takes yes or no.*ignoring" \
    sh -c "printf 'interface: lo\nuse-bytes: perhaps\n' > $T/bad.rc; ./iftop -c $T/bad.rc -r $T/steady.pcap -t >/dev/null && printf 'interface: lo\nuse-bytes: perhaps\n' | cmp -s - $T/bad.rc"

if ./iftop -h | grep -q -- "--max-flows" && ./iftop -V | grep -q "^iftop 1"; then ok "-h and -V"; else bad "-h and -V"; fi

# JSON from a file: one snapshot per second of capture time, then a final object with every flow.
./iftop -r "$T/steady.pcap" --json >"$T/j" 2>"$T/err"
if [ $? = 0 ] && [ "$(wc -l <"$T/j")" = 5 ] && tail -1 "$T/j" | grep -q '"final":true' &&
   [ "$(head -4 "$T/j" | grep -c '"final":false')" = 4 ] && [ ! -s "$T/err" ]; then ok "--json -r: 4 snapshots + final"
else bad "--json -r: 4 snapshots + final ($(wc -l <"$T/j") lines; $(head -c 200 "$T/err"))"; fi
python3 - "$T/j" <<'PY' && ok "--json final numbers" || bad "--json final numbers"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
f = lines[-1]
flows = {(x["protocol"], x["src"], x["src_port"], x["dst"], x["dst_port"]): x for x in f["flows"]}
u = flows[("UDP", "10.0.0.1", 5000, "192.0.2.7", 53)]
t = flows[("TCP", "10.0.0.1", 40000, "198.51.100.9", 443)]
assert len(flows) == 2, flows
assert (u["sent_bytes"], u["recv_bytes"], u["sent_packets"], u["recv_packets"]) == (5000, 10000, 50, 50), u
assert (t["sent_bytes"], t["recv_bytes"], t["sent_packets"]) == (25000, 0, 50), t
# 5 s of steady traffic: 1000 B/s sent, 2000 B/s received on the UDP flow, in every window (warm-up included)
for w in ("2s", "10s", "40s"):
    assert abs(u["sent_" + w] - 1000) < 1e-9 and abs(u["recv_" + w] - 2000) < 1e-9, u
tot = f["totals"]
assert tot["sent_bytes"] == 30000 and tot["recv_bytes"] == 10000 and tot["sent_packets"] == 100, tot
assert f["capture"]["packets"] == 150 and f["capture"]["ip_packets"] == 150
assert lines[0]["timestamp"] == 1700000001.0 and lines[0]["flows"][0]["sent_2s"] > 0
PY

# --final-only: just the final object (the same line --json ends with), or just the final -t report
./iftop -r "$T/steady.pcap" --json --final-only >"$T/fo" 2>"$T/err"
if [ $? = 0 ] && [ "$(wc -l <"$T/fo")" = 1 ] && ./iftop -r "$T/steady.pcap" --json | tail -1 | cmp -s - "$T/fo" &&
   grep -q '"final":true' "$T/fo" && [ ! -s "$T/err" ]; then ok "--json --final-only: one line, the final object"
else bad "--json --final-only ($(wc -l <"$T/fo") lines; $(head -c 200 "$T/err"))"; fi
n=$(./iftop -r "$T/steady.pcap" -t --final-only -s 3 | grep -c '^=====')
r=$(./iftop -r "$T/steady.pcap" -t --final-only -s 3 | grep '^Cumulative' | tr -s ' ')
if [ "$n" = 1 ] && [ "$r" = "$(./iftop -r "$T/steady.pcap" -t -s 3 | grep '^Cumulative' | tr -s ' ')" ]; then ok "-t --final-only: one report"
else bad "-t --final-only: $n reports"; fi
expect "--final-only without --json or -t" 2 "final-only needs --json or -t" ./iftop -r "$T/steady.pcap" --final-only

# Intermediate snapshots of a file list what a live one would: the flows seen in the last 40 s (a flow quiet since
# 1.5 s is listed up to the tick at 41 s, not from 42 s on); the final object lists every flow with its counts.
python3 tests/mkpcap.py window "$T/window.pcap"
./iftop -r "$T/window.pcap" --json >"$T/w" 2>"$T/err"
python3 - "$T/w" <<'PY' && ok "--json -r: snapshots list the flows of the last 40 s, the final one every flow" || bad "--json -r: snapshot flow lists"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[-1]["final"] and not any(l["final"] for l in lines[:-1])
quiet = lambda l: [f for f in l["flows"] if f["src_port"] == 1000]
for k, l in enumerate(lines[:-1], start=1):
    assert l["timestamp"] == 1700000000 + k, (k, l["timestamp"])
    assert len(quiet(l)) == (1 if k <= 41 else 0), (k, l["flows"])
    assert any(f["src_port"] == 2000 for f in l["flows"]), k
    assert l["totals"]["sent_packets"] == (1 if k < 2 else 2) + min(k, 60), (k, l["totals"])
q = quiet(lines[-1])
assert len(q) == 1 and q[0]["sent_packets"] == 2 and q[0]["sent_bytes"] == 200, q
assert lines[-1]["totals"]["sent_packets"] == 62 and len(lines[-1]["flows"]) == 2
PY

# stdin gives the same result as the file
cat "$T/steady.pcap" | ./iftop -r - --json | tail -1 | sed 's/"interface":"[^"]*"//' >"$T/a"
./iftop -r "$T/steady.pcap" --json | tail -1 | sed 's/"interface":"[^"]*"//' >"$T/b"
if cmp -s "$T/a" "$T/b"; then ok "-r - reads standard input"; else bad "-r - reads standard input"; fi

# -s N with a file stops after N seconds of capture time
n=$(./iftop -r "$T/steady.pcap" --json -s 2 | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["capture"]["packets"])')
if [ "$n" = 60 ]; then ok "-s 2 -r: 2 s of capture"; else bad "-s 2 -r: 2 s of capture (packets=$n)"; fi

# text mode from a file: iftop's report, once, at the end
./iftop -r "$T/steady.pcap" -t -n -N -P >"$T/t" 2>"$T/err"
if [ "$(grep -c '^====' "$T/t")" = 1 ] && grep -q '^   1 10.0.0.1:40000                           =>     39.1Kb     39.1Kb     39.1Kb     24.4KB$' "$T/t" &&
   grep -q '^Cumulative (sent/received/total):                    29.3KB     9.77KB     39.1KB$' "$T/t"; then ok "-t -r report"
else bad "-t -r report: $(cat "$T/t" "$T/err" | head -20)"; fi

# a closed pipe ends the program quietly
python3 - "$T/many.pcap" <<'PY'
import struct, sys
out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
for i in range(20000):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 1, i >> 8 & 255, i & 255])) + struct.pack("!HHHH", 1000, 53, 8, 0)
    out += struct.pack("<IIII", 1700000000 + i // 100, 0, len(ip), len(ip)) + ip
open(sys.argv[1], "wb").write(out)
PY
set -o pipefail
./iftop -r "$T/many.pcap" --json 2>"$T/err" | head -c 100 >/dev/null
rc=$?
set +o pipefail
if [ $rc = 0 ] && [ ! -s "$T/err" ]; then ok "closed pipe: quiet exit 0"; else bad "closed pipe: quiet exit 0 (rc=$rc $(head -c 200 "$T/err"))"; fi

# a file cut mid-record: everything before the cut is reported, the cut is named in one line, exit 1 (as tcpdump)
./iftop -r "$T/cut.pcap" --json >"$T/j" 2>"$T/err"
rc=$?
p=$(tail -1 "$T/j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["capture"]["packets"])')
if [ $rc = 1 ] && [ "$p" = 149 ] && grep -q "truncated.*reporting what was read" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ]; then ok "truncated file: report + one warning line, exit 1"
else bad "truncated file: report + warning (rc=$rc packets=$p $(head -c 200 "$T/err"))"; fi

# --replay plays at recorded speed (the file spans 4.92 s) and counts the same
start=$(date +%s.%N)
./iftop -r "$T/steady.pcap" --replay --json | tail -1 | sed 's/"interface":"[^"]*"//;s/"timestamp":[0-9.]*//' >"$T/a"
el=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || python3 -c "print($(date +%s.%N) - $start)")
./iftop -r "$T/steady.pcap" --json | tail -1 | sed 's/"interface":"[^"]*"//;s/"timestamp":[0-9.]*//' >"$T/b"
if python3 -c "import sys; sys.exit(0 if 4.5 < $el < 7.5 else 1)" && cmp -s "$T/a" "$T/b"; then ok "--replay: recorded speed, same numbers ($el s)"
else bad "--replay: recorded speed, same numbers ($el s; $(diff "$T/a" "$T/b" | head -c 300))"; fi

# completions are valid shell
if ./iftop --completions bash | bash -n && ./iftop --completions bash | grep -q -- "--net-filter6"; then ok "bash completion"; else bad "bash completion"; fi

# the embedding example uses the core API alone
./tests/embed_example "$T/steady.pcap" >"$T/e"
if grep -q "^TCP 10.0.0.1:40000 => 198.51.100.9:443  sent 25000 B in 50 packets" "$T/e" && grep -q "^total 40000 bytes, 150 packets, 2 flows" "$T/e"; then ok "embedding example"
else bad "embedding example: $(cat "$T/e")"; fi

# attribution fields: present in every flow, null for a capture file (its flows are not this host's sockets)
python3 - "$T/steady.pcap" <<'PY' && ok "--json -r: attribution off, pid/process/publisher/sha256 null" || bad "--json -r: attribution fields"
import json, subprocess, sys
f = json.loads(subprocess.run(["./iftop", "-r", sys.argv[1], "--json"], capture_output=True, text=True).stdout.splitlines()[-1])
assert f["attribution"] == "off", f["attribution"]
for x in f["flows"]:
    assert all(k in x and x[k] is None for k in ("pid", "process", "container", "uid", "publisher", "sha256")), x
PY
./iftop -r "$T/steady.pcap" -t -n -N -P --processes >"$T/tp" 2>&1
./iftop -r "$T/steady.pcap" -t -n -N -P >"$T/t" 2>&1
if cmp -s "$T/tp" "$T/t" && ./iftop -h | grep -q -- "--processes"; then ok "--processes: listed in -h; no labels for a file"
else bad "--processes with -r: $(diff "$T/tp" "$T/t" | head -5)"; fi
