#!/bin/bash
# The screen as a user meets it, in a real terminal (tmux): keys, an SGR mouse click, resize, and SIGTERM/SIGSEGV
# leaving a working terminal (cooked mode, main screen). Keys go only to an iftop this script started and saw
# running (its pid, written by the shell that execs it); it is stopped by that pid. Skipped without tmux.
. "$(dirname "$0")/lib.sh"
need_built ./iftop
if ! command -v tmux >/dev/null; then
    skipped "screen in tmux: tmux not installed (scripts/deps.sh test installs it)"
else
    X=$(mktemp -d)
    S=iftop-test-$$
    # The screen draws box glyphs in a UTF-8 locale and ASCII otherwise (a minimal server may have no LANG at all):
    # these checks are for the UTF-8 screen. C.UTF-8 is built into glibc (2.35 and later) and Debian's libc-bin.
    export LC_ALL=C.UTF-8
    python3 tests/mkpcap.py steady "$X/steady.pcap"
    tmux -L "$S" kill-server 2>/dev/null
    at_exit 'tmux -L "$S" kill-server 2>/dev/null; rm -rf "$X"'
    tmux -u -L "$S" new-session -d -x 100 -y 24 "bash --norc --noprofile"
    pid=
    # alive: the iftop this script started is still running (keys are sent to nothing else)
    alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
    tsend() { if alive; then tmux -L "$S" send-keys -t 0 "$@"; else return 1; fi; }
    tshot() { tmux -L "$S" capture-pane -p -t 0; }
    # start ARGS...: runs ./iftop ARGS in the pane through `sh -c 'echo $$ >pid; exec ./iftop ...'`, then waits until
    # that pid is iftop itself (the exec happened); the shell line's tail records the exit status and the tty modes.
    start() {
        rm -f "$X/pid" "$X/rc" "$X/stty"
        pid=
        tmux -L "$S" send-keys -t 0 "clear; cd $PWD && sh -c 'echo \$\$ > $X/pid; TERM=xterm-256color exec ./iftop $*'; echo DONE-\$? > $X/rc; stty -a > $X/stty" Enter
        local i p
        for i in $(seq 50); do
            p=$(cat "$X/pid" 2>/dev/null)
            if [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ "$(ps -o comm= -p "$p" 2>/dev/null)" = iftop ]; then pid=$p; return 0; fi
            sleep 0.1
        done
        bad "screen in tmux: ./iftop $* did not start: $(tshot | grep -v '^$' | tail -3)"
        return 1
    }
    start -r "$X/steady.pcap" --replay -P -n -N
    sleep 2.5
    tshot >"$X/screen1"
    if grep -q "10.0.0.1:40000 *=>  198.51.100.9:443" "$X/screen1" && grep -q "^TOTAL:" "$X/screen1" && grep -q "Flows │" "$X/screen1"
    then ok "screen in tmux: flows, totals and status bar drawn"; else bad "screen in tmux: $(head -5 "$X/screen1")"; fi
    tsend t; sleep 0.5
    tshot >"$X/screen2"
    tsend h; sleep 0.5
    tshot >>"$X/screen2"
    if grep -q "toggle DNS host resolution" "$X/screen2" && grep -q "<=>" "$X/screen2"; then ok "screen in tmux: t (one-line) and h (help)"
    else bad "screen in tmux: t and h"; fi
    tsend Escape; sleep 0.4
    tsend -l $'\x1b[<2;5;4M'; sleep 0.5   # right click on the second row: its details
    tshot >"$X/screen3"
    if grep -q "UDP 10.0.0.1:5000 => 192.0.2.7:53" "$X/screen3" && grep -q "last 40s" "$X/screen3"; then ok "screen in tmux: right click opens the details with a sparkline"
    else bad "screen in tmux: right click"; fi
    tmux -L "$S" resize-window -t 0 -x 60 -y 14; sleep 0.6
    tshot >"$X/screen4"
    if python3 -c "import sys; sys.exit(0 if max(len(l) for l in open(sys.argv[1], encoding='utf-8').read().splitlines()) <= 60 else 1)" "$X/screen4" &&
       grep -q "^TOTAL:" "$X/screen4" && grep -q "10.0.0.1" "$X/screen4"; then ok "screen in tmux: resize redraws at the new size"
    else bad "screen in tmux: resize"; fi
    alive && kill -TERM "$pid"; sleep 0.8
    if grep -q "DONE-0" "$X/rc" 2>/dev/null && grep -q " icanon" "$X/stty" && grep -q " echo" "$X/stty" && ! tmux -L "$S" capture-pane -p -e -t 0 | grep -q $'\x1b\[?1049h'
    then ok "screen in tmux: SIGTERM leaves a cooked terminal, exit 0"; else bad "screen in tmux: SIGTERM (rc $(cat "$X/rc" 2>/dev/null))"; fi
    start -r "$X/steady.pcap" --replay -n
    sleep 1
    alive && kill -SEGV "$pid"; sleep 0.8
    if grep -q "DONE-139" "$X/rc" 2>/dev/null && grep -q " icanon" "$X/stty" && grep -q " echo" "$X/stty"
    then ok "screen in tmux: SIGSEGV restores the terminal and dies of the signal"; else bad "screen in tmux: SIGSEGV (rc $(cat "$X/rc" 2>/dev/null))"; fi
fi
