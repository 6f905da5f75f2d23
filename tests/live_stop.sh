#!/bin/bash
# A stopped monitor must not move bytes (root only; skipped otherwise): a steady 257 kB/s UDP flow between two
# network namespaces this test creates, `./iftop --json` on the far end of the veth pair stopped with SIGSTOP for
# 8 s and continued. Packets that waited in the capture buffer count in the seconds they arrived: no snapshot's
# 2 s rate and no peak above 1.3x the steady rate, and every datagram the sender reports is counted. Then the
# screen in tmux, stopped with Ctrl-Z for 8 s and brought back with fg: its RX peak and 2 s rate likewise. Before
# the flow, the idle capture loop's wakeups are counted (voluntary context switches of its thread).
. "$(dirname "$0")/lib.sh"
need_built ./iftop
ls_skip() { skipped "stopped monitor: $1"; }
if [ "$(id -u)" != 0 ]; then ls_skip "needs root (network namespaces)"
elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then ls_skip "no 'ip netns' here"
else
    S=$(mktemp -d)
    SA=iftop-stop-a-$$ SB=iftop-stop-b-$$
    cleanup_live_stop() {
        [ -n "${ls_mon:-}" ] && { kill -CONT "$ls_mon" 2>/dev/null; kill "$ls_mon" 2>/dev/null; wait "$ls_mon" 2>/dev/null; }
        ip netns del "$SA" 2>/dev/null; ip netns del "$SB" 2>/dev/null; rm -rf "$S"; ls_mon=
    }
    at_exit cleanup_live_stop
    ip netns add "$SA" && ip netns add "$SB" &&
    ip -n "$SA" link add veth0 type veth peer name veth1 netns "$SB" &&
    ip -n "$SA" addr add 10.81.0.1/24 dev veth0 && ip -n "$SB" addr add 10.81.0.2/24 dev veth1 &&
    ip -n "$SA" link set veth0 up && ip -n "$SB" link set veth1 up
    if [ $? != 0 ]; then ls_skip "could not create namespaces/veth"; else
    # 250 datagrams/s of 1000 bytes (1028 IP bytes): 257 000 B/s. Paced on an absolute schedule; when the sender
    # itself falls behind (a loaded machine) it skips ahead instead of bursting, so no second ever carries more
    # than the steady rate. It prints how many datagrams it sent: the independent count.
    cat >"$S/send.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.81.0.1", 40100))
rate, secs, n = 250, float(sys.argv[1]), 0
start = time.monotonic(); t = start
while t < start + secs:
    now = time.monotonic()
    if now < t:
        time.sleep(t - now)
    elif now - t > 0.02:
        t = now                      # behind: skip ahead, never burst
    s.sendto(b"x" * 1000, ("10.81.0.2", 9100))
    n += 1
    t += 1.0 / rate
print(n)
PY
    # -Z: no attribution work, so the main thread's wakeups are the capture loop's own.
    ip netns exec "$SB" ./iftop --json -Z -n -i veth1 -f "udp port 9100" >"$S/json" 2>"$S/err" &
    ls_mon=$!
    # Idle first: the loop sleeps until the next second can close (one wakeup per tick), none per packet.
    sleep 1
    ls_cs() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$ls_mon/task/$ls_mon/status" 2>/dev/null; }
    ls_cs0=$(ls_cs); sleep 4; ls_cs1=$(ls_cs)
    if [ -n "$ls_cs0" ] && [ -n "$ls_cs1" ] && [ $((ls_cs1 - ls_cs0)) -le 10 ]; then
        ok "idle live capture: $((ls_cs1 - ls_cs0)) wakeups of the capture loop in 4 s (at most 10)"
    else bad "idle live capture: $((ls_cs1 - ls_cs0)) wakeups of the capture loop in 4 s (at most 10)"; fi
    ip netns exec "$SA" python3 "$S/send.py" 12 >"$S/sent" &
    ls_send=$!
    sleep 2
    kill -STOP "$ls_mon"
    sleep 8
    kill -CONT "$ls_mon"
    wait "$ls_send"
    sleep 1                          # the last datagrams are read (within 50 ms); then the final object
    kill -INT "$ls_mon"
    timeout 10 tail --pid="$ls_mon" -f /dev/null
    wait "$ls_mon"; ls_rc=$?; ls_mon=
    python3 - "$S/json" "$(cat "$S/sent")" <<'PY' && ok "stopped monitor (SIGSTOP 8 s): 2 s rates and peak within 1.3x of the steady rate, every datagram counted" || bad "stopped monitor (rc $ls_rc; $(head -c 300 "$S/err"))"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sent = int(sys.argv[2])
steady = 250 * 1028.0
final = lines[-1]
assert final["final"] is True, "no final object"
flows = [f for f in final["flows"] if f["dst"] == "10.81.0.1" and f["dst_port"] == 40100 and f["src_port"] == 9100]
assert len(flows) == 1, final["flows"]
f = flows[0]
assert (f["recv_packets"], f["recv_bytes"]) == (sent, sent * 1028), ("counted", f["recv_packets"], "sent", sent)
assert final["capture"]["dropped"] == 0, final["capture"]
worst = max(l["totals"]["recv_2s"] for l in lines)
peak = final["totals"]["peak_recv"]
print("steady %.0f B/s; highest 2 s rate %.0f (%.2fx), peak %.0f (%.2fx), %d snapshots, %d datagrams" %
      (steady, worst, worst / steady, peak, peak / steady, len(lines), sent))
assert worst <= 1.3 * steady and peak <= 1.3 * steady
# Every second while the flow ran, the stopped ones included, shows it (its packets counted where they arrived).
counts = [l["totals"]["recv_packets"] for l in lines]
first = next(i for i, c in enumerate(counts) if c > 0)
last = next(i for i, c in enumerate(counts) if c == counts[-1])
mid = [l["totals"]["recv_2s"] for l in lines[first + 2:last]]
assert len(mid) >= 10 and min(mid) >= 0.5 * steady, mid
PY
    # The screen, stopped the way a user stops it: Ctrl-Z in a terminal (tmux), 8 s, fg. Its RX line after fg:
    # the peak and the 2 s rate stay at the steady rate (the packets that waited count in their own seconds).
    if ! command -v tmux >/dev/null; then skipped "stopped screen: tmux not installed"; else
        T=iftop-stop-$$
        at_exit "tmux -L $T kill-server 2>/dev/null"
        tmux -u -L "$T" new-session -d -x 120 -y 30 "bash --norc --noprofile"
        tmux -L "$T" send-keys -t 0 "cd $PWD && LC_ALL=C.UTF-8 TERM=xterm-256color ip netns exec $SB ./iftop -Z -n -N -P -i veth1 -f 'udp port 9100'" Enter
        sleep 1
        tmux -L "$T" capture-pane -p -t 0 >"$S/started"
        ip netns exec "$SA" python3 "$S/send.py" 15 >"$S/sent2" &
        ls_send=$!
        sleep 3
        tmux -L "$T" send-keys -t 0 C-z
        sleep 8
        tmux -L "$T" capture-pane -p -t 0 >"$S/stopped"
        tmux -L "$T" send-keys -t 0 fg Enter
        sleep 2.5
        tmux -L "$T" capture-pane -p -t 0 >"$S/screen"
        wait "$ls_send"
        tmux -L "$T" send-keys -t 0 q
        sleep 1
        tmux -L "$T" display -p -t 0 '#{alternate_on}' >"$S/alt"
        tmux -L "$T" kill-server 2>/dev/null
        python3 - "$S/screen" "$S/stopped" "$S/alt" <<'PY' && ok "stopped screen (Ctrl-Z 8 s, fg): RX peak and 2 s rate within 1.3x of the steady rate" || bad "stopped screen: $(grep -E '^(RX|TOTAL):' "$S/screen" | tr '\n' '|') :: $(grep -v '^ *$' "$S/started" | tail -3 | tr '\n' '|')"
import re, sys
screen, stopped, alt = (open(p, encoding="utf-8").read() for p in sys.argv[1:4])
assert "Stopped" in stopped, "Ctrl-Z did not stop it: " + stopped[-300:]
assert alt.strip() == "0", "q did not leave the screen"
rx = next(l for l in screen.splitlines() if l.startswith("RX:"))
unit = {"b": 1, "Kb": 1024, "Mb": 1024 ** 2, "Gb": 1024 ** 3}
vals = [float(n) * unit[u] / 8 for n, u in re.findall(r"([0-9.]+)(b|Kb|Mb|Gb)\b", rx)]  # peak, 2 s, 10 s, 40 s in B/s
assert len(vals) == 4, rx
steady = 250 * 1028.0
peak, r2 = vals[0], vals[1]
print("steady %.0f B/s; screen after fg: peak %.0f (%.2fx), 2 s %.0f (%.2fx)" % (steady, peak, peak / steady, r2, r2 / steady))
assert 0.7 * steady <= peak <= 1.3 * steady and 0.7 * steady <= r2 <= 1.3 * steady, rx
PY
    fi
    fi
fi
