#!/bin/bash
# Every bad input of the audit (F5-F11, F14, F18): one clear line on stderr, exit 2 (usage) or 1 (run time), within
# a second, and no sanitizer report (the ASan/UBSan build runs each). Runs alone or under tests/run.sh; no root.
. "$(dirname "$0")/lib.sh"
need_built ./iftop tests/iftop-asan
B=$(mktemp -d)
at_exit 'rm -rf "$B"'
python3 tests/mkpcap.py steady "$B/steady.pcap"
python3 tests/mkpcap.py cut "$B/cut.pcap"
python3 tests/mkpcap.py cutshort "$B/cutshort.pcap"
mkfifo "$B/fifo"
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99

# quick NAME RC PATTERN CMD...: exit RC, exactly one stderr line matching PATTERN, done within 1 s, for both the
# normal and the sanitizer build (CMD's first word "IFTOP" is replaced by each).
quick() {
    local name=$1 rc=$2 pat=$3; shift 3
    local bin why=""
    for bin in ./iftop tests/iftop-asan; do
        [ -x "$bin" ] || continue
        local t0; t0=$(date +%s%N)
        "${@/#IFTOP/$bin}" >"$B/out" 2>"$B/err" </dev/null
        local got=$? ms=$((($(date +%s%N) - t0) / 1000000))
        local lines; lines=$(wc -l <"$B/err")
        # a second for the tool; the sanitizer build starts slower by design: three
        local limit=1000; [ "$bin" = tests/iftop-asan ] && limit=3000
        if [ "$got" != "$rc" ] || [ "$lines" != 1 ] || ! grep -qE -- "$pat" "$B/err" || [ $ms -gt $limit ] ||
           grep -qE 'Sanitizer|runtime error' "$B/err"; then
            why="$why [$bin: exit $got (want $rc), $ms ms, stderr: $(head -c 200 "$B/err" | tr '\n\033' '|E')]"
        fi
    done
    if [ -z "$why" ]; then ok "bad input: $name"; else bad "bad input: $name$why"; fi
}

quick "-m 1e300G (F5)" 2 "-m/--max-bandwidth needs a bandwidth .*at most 1000000G.*'1e300G'" IFTOP -m 1e300G -r "$B/steady.pcap"
printf 'max-bandwidth: 1e300G\n' >"$B/rc1"
quick "max-bandwidth: 1e300G in the config (F5)" 0 "line 1: max-bandwidth takes a rate" IFTOP -c "$B/rc1" -r "$B/steady.pcap" -t
printf 'alert-threshold: 1e30\n' >"$B/rc2"
quick "alert-threshold: 1e30 (F14)" 0 "line 1: alert-threshold takes a rate" IFTOP -c "$B/rc2" -r "$B/steady.pcap" -t
quick "-r '' (F10)" 2 "-r/--read needs a file name" IFTOP -r ""
quick "-i '' (F10)" 2 "-i/--interface needs an interface name" IFTOP -i ""
quick "-c '' (F10)" 2 "-c/--config needs a file name" IFTOP -c "" -r "$B/steady.pcap"
quick "-c /dev/zero (F7)" 2 "cannot read /dev/zero: not a regular file" IFTOP -c /dev/zero -r "$B/steady.pcap"
quick "-c a FIFO (F7)" 2 "fifo: not a regular file" IFTOP -c "$B/fifo" -r "$B/steady.pcap"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$B/big"
quick "-c a 2 MB file (F7)" 2 "larger than 1048576 bytes" IFTOP -c "$B/big" -r "$B/steady.pcap"
quick "-i with an escape sequence in the name (F18)" 1 "no such interface '\?\]0;pwn\?'|needs root" IFTOP -i $'\e]0;pwn\a' -t -s 1
if ! grep -q $'\e' "$B/err"; then ok "bad input: no escape byte reaches the terminal in an error (F18)"
else bad "bad input: an escape byte in the error (F18)"; fi
quick "a file cut mid-record: report, one line, exit 1 (F11)" 1 "truncated.*reporting what was read" IFTOP -r "$B/cut.pcap" --json
quick "--replay of a file cut mid-record: the same" 1 "truncated.*reporting what was read" IFTOP -r "$B/cutshort.pcap" --replay --json

# F6: records whose time never advances, for ever. -s 1 ends it after 1 s of wall time; SIGINT/SIGTERM/SIGHUP end
# it at once, with the report.
for sig in INT TERM HUP; do
    (head -c 24 "$B/steady.pcap"; cat /dev/zero) | ./iftop -r - --json >"$B/z" 2>"$B/zerr" &
    zp=$!
    sleep 0.3
    kill -"$sig" $zp 2>/dev/null   # $! of a background pipeline is its last command: iftop
    t0=$(date +%s%N)
    for _ in $(seq 30); do kill -0 $zp 2>/dev/null || break; sleep 0.05; done
    ms=$((($(date +%s%N) - t0) / 1000000))
    if ! kill -0 $zp 2>/dev/null && tail -1 "$B/z" | grep -q '"final":true'; then ok "bad input: a stream whose time never advances ends on SIG$sig, with the report ($ms ms) (F6)"
    else bad "bad input: SIG$sig on a stream whose time never advances (F6)"; kill -9 $zp 2>/dev/null; fi
    wait $zp 2>/dev/null
done
t0=$(date +%s%N)
(head -c 24 "$B/steady.pcap"; cat /dev/zero) | timeout 10 ./iftop -r - --json -s 1 >"$B/z" 2>"$B/zerr"
rc=${PIPESTATUS[1]}
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" = 0 ] && [ $ms -lt 2500 ] && tail -1 "$B/z" | grep -q '"final":true'; then ok "bad input: -s 1 with -r ends a stream whose time never advances after 1 s of wall time ($ms ms) (F6)"
else bad "bad input: -s 1 on a frozen stream (exit $rc, $ms ms)"; fi
mkfifo "$B/quiet"
(head -c 24 "$B/steady.pcap"; sleep 8) >"$B/quiet" &
qp=$!
t0=$(date +%s%N)
timeout 10 ./iftop -r "$B/quiet" -t -s 1 >"$B/z" 2>"$B/zerr"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
kill $qp 2>/dev/null; wait $qp 2>/dev/null
if [ "$rc" = 0 ] && [ $ms -lt 2500 ] && grep -q "^Total send rate" "$B/z"; then ok "bad input: -s 1 with -r ends a quiet pipe after 1 s ($ms ms) (F6)"
else bad "bad input: -s 1 on a quiet pipe (exit $rc, $ms ms)"; fi

# F9: a pcapng whose timestamps are beyond the int64 microsecond range: read, counted, no overflow (UBSan build).
python3 - "$B/far.pcapng" <<'PY'
import struct, sys
def block(t, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)
shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
idb = block(1, struct.pack("<HHI", 1, 0, 65535))     # Ethernet, microsecond resolution
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([192, 0, 2, 7])) + struct.pack("!HHHH", 1000, 53, 8, 0)
frame = bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + ip
out = shb + idb
for ts in (1700000000 * 10**6, 0xFFFFFFFFFFFFFFF0, 1700000001 * 10**6):
    out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)
open(sys.argv[1], "wb").write(out)
PY
for bin in ./iftop tests/iftop-asan; do
    [ -x "$bin" ] || continue
    "$bin" -r "$B/far.pcapng" --json >"$B/far.json" 2>"$B/far.err"; rc=$?
    if [ $rc = 0 ] && ! grep -qE 'Sanitizer|runtime error' "$B/far.err" &&
       python3 -c "import json,sys; f=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert f['capture']['packets']==3 and f['totals']['sent_bytes']==84, f" "$B/far.json"
    then ok "bad input: pcapng timestamps beyond the int64 us range are clamped, all 3 packets counted ($bin) (F9)"
    else bad "bad input: far pcapng timestamps ($bin: exit $rc $(head -c 300 "$B/far.err"))"; fi
done
unset ASAN_OPTIONS UBSAN_OPTIONS
