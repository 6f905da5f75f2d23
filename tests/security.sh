#!/bin/bash
# The audit's findings F1-F4 and F15 replayed as a user allowed to run `sudo iftop` would try them: run as root
# with SUDO_USER/SUDO_UID/SUDO_GID set as sudo sets them, for a test user this file creates (and removes).
# Root files are copies made here, never the system's. Runs alone or under tests/run.sh; skipped without root.
. "$(dirname "$0")/lib.sh"
need_built ./iftop
sec_skip() { skipped "security: $1"; }
if [ "$(id -u)" != 0 ]; then sec_skip "needs root (a test user, files owned by root)"
elif ! command -v useradd >/dev/null || ! command -v tmux >/dev/null; then sec_skip "needs useradd and tmux"
else
    SX=$(mktemp -d)
    chmod 755 "$SX"
    SU=iftopsec$$
    SS=iftop-sec-$$
    NA=iftop-sec-a-$$ NB=iftop-sec-b-$$ sender=
    sec_cleanup() {
        [ -n "$sender" ] && kill "$sender" 2>/dev/null && wait "$sender" 2>/dev/null
        ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null
        tmux -L "$SS" kill-server 2>/dev/null
        userdel "$SU" 2>/dev/null
        rm -rf "$SX"
    }
    at_exit sec_cleanup
    if ! useradd -M -d "$SX/home" -s /bin/sh "$SU" 2>"$SX/useradd.err"; then sec_skip "useradd: $(cat "$SX/useradd.err")"; else
    SUID=$(id -u "$SU") SGID=$(id -g "$SU")
    mkdir -p "$SX/home" "$SX/work" "$SX/root"
    chown "$SU:$SGID" "$SX/home" "$SX/work"
    chmod 700 "$SX/root"
    python3 tests/mkpcap.py steady "$SX/steady.pcap"
    chmod 644 "$SX/steady.pcap"
    # Root's files the user must not be able to change or read through iftop.
    printf 'root:$6$secretsalt$hash:19000:0:99999:7:::\n' >"$SX/shadow"; chmod 600 "$SX/shadow"
    printf 'theme: AcidRain\n# root settings\n' >"$SX/rootrc"; chmod 644 "$SX/rootrc"   # parses, world-readable
    printf 'root ALL=(ALL) ALL\n' >"$SX/root/sudoers"; chmod 440 "$SX/root/sudoers"
    printf 'interface: topsecretvalue\nthis line does not parse\n' >"$SX/rootonly"; chmod 600 "$SX/rootonly"
    snap() { for f in "$SX/shadow" "$SX/rootrc" "$SX/root/sudoers" "$SX/rootonly"; do stat -c '%n %U %G %a %s %Y' "$f"; sha256sum <"$f"; done; }
    snap >"$SX/before"
    sudo_env=(env HOME=/root SUDO_USER="$SU" SUDO_UID="$SUID" SUDO_GID="$SGID")

    # F1, F3 on the command line: -c with a root-only file is opened as the user: refused, exit 2, nothing echoed.
    "${sudo_env[@]}" ./iftop -c "$SX/shadow" -r "$SX/steady.pcap" -t >"$SX/out" 2>"$SX/err"; rc=$?
    if [ $rc = 2 ] && [ "$(wc -l <"$SX/err")" = 1 ] && grep -q "Permission denied" "$SX/err" && ! grep -q secretsalt "$SX/out" "$SX/err"
    then ok "security F1: sudo iftop -c <root-only file> is read as the user: refused, exit 2, content not shown"
    else bad "security F1: -c root-only file (exit $rc: $(cat "$SX/err"))"; fi
    ln -s "$SX/rootonly" "$SX/home/.iftoprc"
    "${sudo_env[@]}" ./iftop -r "$SX/steady.pcap" -t >"$SX/out" 2>"$SX/err"; rc=$?
    if [ $rc = 0 ] && grep -q "iftoprc: cannot read .*Permission denied; ignoring it" "$SX/err" && ! grep -q topsecret "$SX/out" "$SX/err"
    then ok "security F3: ~/.iftoprc linked to a root-only file: not read, nothing of it shown"
    else bad "security F3: ~/.iftoprc link (exit $rc: $(cat "$SX/err"))"; fi
    rm -f "$SX/home/.iftoprc"
    cp "$SX/rootonly" "$SX/rootonly2"; chmod 644 "$SX/rootonly2"   # readable by all, not the user's: no echo
    "${sudo_env[@]}" ./iftop -c "$SX/rootonly2" -r "$SX/steady.pcap" -t >"$SX/out" 2>"$SX/err"; rc=$?
    if [ $rc = 0 ] && grep -q "line 2 does not parse (not shown" "$SX/err" && ! grep -q "topsecret\|this line" "$SX/out" "$SX/err"
    then ok "security F3: a config that is not the user's: a bad line is named by number only"
    else bad "security F3: no echo (exit $rc: $(cat "$SX/err"))"; fi

    # The screen under sudo, in tmux: toggles and export with links planted at every name the old code used.
    tmux -L "$SS" kill-server 2>/dev/null
    tmux -L "$SS" new-session -d -x 300 -y 24 "bash --norc --noprofile"
    ssend() { tmux -L "$SS" send-keys -t 0 "$@"; }
    sshot() { tmux -L "$SS" capture-pane -p -t 0; }
    wait_screen() { for _ in $(seq 50); do sshot | grep -q "$1" && return 0; sleep 0.1; done; return 1; }
    wait_gone() { for _ in $(seq 50); do pgrep -f "$1" >/dev/null || return 0; sleep 0.1; done; return 1; }
    run_screen() {  # ARGS...: iftop under sudo's environment in the work directory, on the screen
        ssend "clear; cd $SX/work && ${sudo_env[*]} $PWD/iftop -r $SX/steady.pcap --replay -n -N $*; echo DONE-\$? > $SX/rc; cd $PWD" Enter
        wait_screen "^TOTAL:"
    }
    # F1 on the screen: -c a root file that parses; a toggle must not touch it.
    run_screen -c "$SX/rootrc"
    ssend b; sleep 0.3; ssend T; sleep 0.3; ssend q
    wait_gone "iftop -r $SX/steady.pcap"
    snap >"$SX/after"
    if cmp -s "$SX/before" "$SX/after"; then ok "security F1: toggles with -c <root file> never write it"
    else bad "security F1: root file changed: $(diff "$SX/before" "$SX/after" | head -3)"; fi

    # F2: links at ~/.iftoprc.tmp.<pid> (the old temporary name) → a root file; a toggle saves the config as the user.
    run_screen
    pid=$(pgrep -f "iftop -r $SX/steady.pcap" | head -1)
    ln -s "$SX/root/sudoers" "$SX/home/.iftoprc.tmp.$pid"
    ssend b; sleep 0.2
    for _ in $(seq 30); do grep -q "show-bars: no" "$SX/home/.iftoprc" 2>/dev/null && break; sleep 0.1; done
    # F4: links planted at every export name of the next seconds, in the work directory and in $HOME.
    for s in $(seq 0 5); do
        n=iftop-export-$(date -d "+$s sec" +%Y%m%d-%H%M%S).txt
        ln -s "$SX/root/sudoers" "$SX/work/$n"; ln -s "$SX/root/sudoers" "$SX/home/$n"
    done
    ssend e; sleep 0.5
    sshot >"$SX/screen-export"
    ssend q
    wait_gone "iftop -r $SX/steady.pcap"
    snap >"$SX/after"
    exp=$(find "$SX/work" -name 'iftop-export-*.txt' -type f | head -1)
    if cmp -s "$SX/before" "$SX/after" && [ "$(stat -c '%U %a' "$SX/home/.iftoprc")" = "$SU 600" ] &&
       grep -q "show-bars: no" "$SX/home/.iftoprc" && [ -L "$SX/home/.iftoprc.tmp.$pid" ]
    then ok "security F2: a link at the old temporary name is ignored; ~/.iftoprc saved as the user, 0600"
    else bad "security F2: $(stat -c '%U %a' "$SX/home/.iftoprc" 2>&1) $(diff "$SX/before" "$SX/after" | head -3)"; fi
    if [ -n "$exp" ] && [ "$(stat -c '%U %a' "$exp")" = "$SU 600" ] && grep -q "198.51.100.9" "$exp" &&
       grep -qE "exported [0-9]+ flows to ./iftop-export-" "$SX/screen-export" && cmp -s "$SX/before" "$SX/after"
    then ok "security F4: export never follows planted links: a new name, the user's, 0600"
    else bad "security F4: export ($exp $(stat -c '%U %a' "$exp" 2>&1); $(grep -o 'export.*' "$SX/screen-export"))"; fi
    # F19: an export that cannot be written says why and leaves nothing behind.
    chmod 555 "$SX/work"; chmod 555 "$SX/home"
    run_screen
    ssend e; sleep 0.5
    sshot >"$SX/screen-export2"
    ssend q
    wait_gone "iftop -r $SX/steady.pcap"
    chmod 755 "$SX/work" "$SX/home"
    if grep -q "export failed: cannot create ./iftop-export-.*Permission denied" "$SX/screen-export2"
    then ok "security F19: a failed export names the real errno"
    else bad "security F19: $(grep -o 'export.*' "$SX/screen-export2")"; fi

    # F15: a live capture in a network namespace, as root and as root under sudo. Once the capture is open the
    # process keeps at most CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH (-Z: the first two),
    # runs as nobody (root) or as the user (sudo), with no_new_privs; and still finds the owner of a root process's
    # socket (attribution "full", the right pid).
    PX=$SX/live
    mkdir -p "$PX"
    if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then sec_skip "privilege drop: no 'ip netns'"
    elif ! { ip netns add "$NA" && ip netns add "$NB" && ip -n "$NA" link add veth0 type veth peer name veth1 netns "$NB" &&
             ip -n "$NA" addr add 10.77.0.1/24 dev veth0 && ip -n "$NB" addr add 10.77.0.2/24 dev veth1 &&
             ip -n "$NA" link set veth0 up && ip -n "$NB" link set veth1 up; }; then sec_skip "privilege drop: no veth"
    else
        ip netns exec "$NA" python3 -c '
import os, socket, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.0.1", 7123))
end = time.time() + 40
while time.time() < end:
    s.sendto(b"p" * 300, ("10.77.0.2", 7124)); time.sleep(0.05)' "$PX/sender.pid" &
        sender=$!
        for _ in $(seq 50); do [ -s "$PX/sender.pid" ] && break; sleep 0.1; done
        spid=$(cat "$PX/sender.pid")
        # check_drop LABEL WANT_UID WANT_CAPS VAR=VALUE...: iftop's /proc status once it has dropped, and its JSON.
        check_drop() {
            local label=$1 want_uid=$2 want_caps=$3; shift 3
            ip netns exec "$NA" env "$@" ./iftop -i veth0 --json -s 3 -n $extra >"$PX/json" 2>"$PX/err" &
            local ipid=$! st=""   # ip netns exec and env exec: this is iftop's pid
            for _ in $(seq 40); do
                st=$(cat /proc/"$ipid"/status 2>/dev/null)
                echo "$st" | grep -q "^Uid:[[:space:]]*$want_uid[[:space:]]" && break
                sleep 0.05
            done
            wait "$ipid"; local rc=$?
            local eff prm nnp
            eff=$(echo "$st" | awk '/^CapEff/{print $2}')
            prm=$(echo "$st" | awk '/^CapPrm/{print $2}')
            nnp=$(echo "$st" | awk '/^NoNewPrivs/{print $2}')
            if [ $rc = 0 ] && echo "$st" | grep -qE "^Uid:\s+$want_uid\s+$want_uid\s+$want_uid\s+$want_uid\$" &&
               [ "$eff" = "$want_caps" ] && [ "$prm" = "$want_caps" ] && [ "$nnp" = 1 ] &&
               python3 - "$PX/json" "$spid" "$want_caps" <<'PY'
import json, sys
snap = [json.loads(l) for l in open(sys.argv[1])][-1]
if sys.argv[3] == "0000000000003000":
    assert snap["attribution"] == "off", snap["attribution"]
else:
    assert snap["attribution"] == "full", snap["attribution"]
    f = [f for f in snap["flows"] if f["src_port"] == 7123]
    assert f and f[0]["pid"] == int(sys.argv[2]) and f[0]["process"] == "python3", snap["flows"]
PY
            then ok "security F15: $label: uid $want_uid, CapEff=CapPrm=$want_caps, no_new_privs; attribution as expected"
            else bad "security F15: $label (rc $rc, $(echo "$st" | grep -E '^(Uid|CapEff|CapPrm|NoNewPrivs)' | tr '\n\t' '  '); $(head -c 200 "$PX/err"))"; fi
        }
        # CAP_DAC_READ_SEARCH 2, CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_SYS_PTRACE 19
        nobody_uid=$(id -u nobody 2>/dev/null || echo 65534)
        extra=
        check_drop "root → nobody" "$nobody_uid" 0000000000083004 SUDO_UID= SUDO_GID=
        check_drop "root under sudo → the user" "$SUID" 0000000000083004 SUDO_USER="$SU" SUDO_UID="$SUID" SUDO_GID="$SGID"
        extra=-Z
        check_drop "root under sudo, -Z → the capture's capabilities only" "$SUID" 0000000000003000 SUDO_USER="$SU" SUDO_UID="$SUID" SUDO_GID="$SGID"
        kill "$sender" 2>/dev/null; wait "$sender" 2>/dev/null; sender=
    fi
    fi
fi
