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
    if grep -q "10.0.0.1:40000 *=>  198.51.100.9:443" "$X/screen1" && grep -q "^TOTAL:" "$X/screen1" && grep -q "Flows Processes Publishers │" "$X/screen1"
    then ok "screen in tmux: flows, totals and status bar drawn"; else bad "screen in tmux: $(head -5 "$X/screen1")"; fi
    tsend t; sleep 0.5
    tshot >"$X/screen2"
    tsend h; sleep 0.5
    tshot >>"$X/screen2"
    if grep -q "host names (DNS) on or off" "$X/screen2" && grep -q "<=>" "$X/screen2"; then ok "screen in tmux: t (one-line) and h (help)"
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
    # A file cut mid-record: the screen shows what was read and says so; q then exits 1 with the error on stderr
    # (after the terminal is back, so it stays in the scrollback), as -t and --json do. Both ways of reading.
    python3 tests/mkpcap.py cutshort "$X/cut.pcap"
    for how in "" "--replay"; do
        start -r "$X/cut.pcap" $how -n -N
        for _ in $(seq 60); do tshot | grep -q "truncated\|read error" && break; sleep 0.1; done
        tsend q; for _ in $(seq 30); do [ -s "$X/rc" ] && break; sleep 0.1; done
        if grep -q "DONE-1$" "$X/rc" 2>/dev/null && tmux -L "$S" capture-pane -p -J -t 0 | grep -q "^iftop: .*truncated.*the screen showed what was read before it"
        then ok "screen in tmux: a file cut mid-record ${how:-read at once}: shown, then exit 1 with the error"
        else bad "screen in tmux: cut file ${how:-read at once}: rc $(cat "$X/rc" 2>/dev/null) :: $(tshot | grep -v '^ *$' | tail -3 | tr '\n' '|')"; fi
    done
fi

# The screen's commands and rough edges, one check per item (issue 11). Each run: its own pid (exec), started
# before keys are sent, stopped by that pid; waits poll the pane instead of sleeping on luck.
if command -v tmux >/dev/null; then
    K=$(mktemp -d)
    KS=iftop-keys-$$
    chmod 777 "$K"  # as root the tool runs as nobody once the capture is open: it saves ~/.iftoprc and exports here
    at_exit 'tmux -L "$KS" kill-server 2>/dev/null; rm -rf "$K"'
    python3 tests/mkpcap.py steady "$K/steady.pcap"
    python3 tests/mkpcap.py v6 "$K/v6.pcap"
    tmux -L "$KS" kill-server 2>/dev/null
    tmux -L "$KS" new-session -d -x 100 -y 24 "bash --norc --noprofile"
    kpid=
    # ts KEYS: keys only to the iftop this block started and saw running
    ts() { if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then tmux -L "$KS" send-keys -t 0 "$@"; else return 1; fi; }
    shot() { tmux -L "$KS" capture-pane -p -t 0; }
    # waitfor PATTERN [tries]: the pane shows PATTERN (grep -E) within tries x 0.1 s
    waitfor() { for _ in $(seq "${2:-40}"); do shot | grep -qE -- "$1" && return 0; sleep 0.1; done; return 1; }
    # start ENV-AND-ARGS: the tool in the pane (cwd $K, HOME $K), its pid in $K/pid; waits until it drew a screen
    start() {
        rm -f "$K/pid" "$K/rc" "$K/.iftoprc"  # each run starts from no saved settings
        kpid=
        tmux -L "$KS" send-keys -t 0 "clear; cd $K && HOME=$K sh -c 'echo \$\$ > $K/pid; exec env $1'; echo RC-\$? > $K/rc; cd $PWD" Enter
        local p
        for _ in $(seq 50); do
            p=$(cat "$K/pid" 2>/dev/null)
            if [ -n "$p" ] && [ "$(ps -o comm= -p "$p" 2>/dev/null)" = iftop ] && shot | grep -q "h: help\|too small"; then kpid=$p; return 0; fi
            sleep 0.1
        done
        bad "screen keys in tmux: $1 did not start: $(shot | grep -v '^$' | tail -3)"
        return 1
    }
    stop() { [ -n "$kpid" ] && kill -TERM "$kpid" 2>/dev/null; for _ in $(seq 30); do [ -s "$K/rc" ] && break; sleep 0.1; done; kpid=; }
    check() { if eval "$2"; then ok "screen keys in tmux: $1"; else bad "screen keys in tmux: $1 :: $(shot | grep -v '^ *$' | tail -4 | tr '\n' '|')"; fi; }
    IF="$PWD/iftop"
    REPLAY="TERM=xterm-256color LC_ALL=C.UTF-8 $IF -r $K/steady.pcap --replay -n"

    start "TERM=xterm-256color LC_ALL=C.UTF-8 $IF -r $K/v6.pcap --replay -P -n"
    check "IPv6 with a port is [addr]:port on the screen" "waitfor '\\[2001:db8::31\\]:ssh +=> +\\[fd77::1\\]:40964'"
    check "the tab strip names the three views" "waitfor ' Flows Processes Publishers │'"
    ts h; check "help: framed, titled, lists every key" "waitfor '╭─ iftop.hpp .* help: .*Esc closes' && shot | grep -q '│  n           host names'"
    ts j Escape Enter
    check "help is modal: j with help open did not move the selection (Enter details the first flow)" "waitfor '╭─ TCP \\[2001:db8::31\\]:22 => \\[fd77::1\\]:40964'"
    ts Escape; tmux -L "$KS" resize-window -t 0 -x 60 -y 14
    check "a host cut to fit is marked (60 columns)" "waitfor '^\\[2001:db8…\\]:ssh'"
    tmux -L "$KS" resize-window -t 0 -x 20 -y 6
    check "below the minimum size one line says the terminal is too small" "waitfor '^terminal too small'"
    tmux -L "$KS" resize-window -t 0 -x 100 -y 24
    ts '/'; ts -l 'xx.0.0'; ts Home Delete Delete; ts -l '10'; ts End; ts -l '.1'
    check "the filter editor edits (Home, Delete, End, typing)" "waitfor 'filter: 10\\.0\\.0\\.1 '"
    ts C-c; sleep 0.3
    check "Ctrl-C quits from the filter editor" "for _ in \$(seq 30); do [ -s $K/rc ] && break; sleep 0.1; done; grep -q RC-0 $K/rc"
    "$IF" -r "$K/v6.pcap" -t -P -n -N >"$K/v6.txt" 2>/dev/null
    check "-t writes [addr]:port and marks a cut host with ~" "grep -q '\\[fd77::1\\]:40964' $K/v6.txt && grep -q '\\[2001:db8:1111:2222:3333:4444:5~\\]:65534' $K/v6.txt"

    start "$REPLAY -P"
    waitfor '=>'; ts P
    check "P pauses" "waitfor 'PAUSED'"
    a=$(shot | sed -n 3,6p); sleep 1.3; b=$(shot | sed -n 3,6p)
    check "pause freezes the rows" "[ \"\$a\" = \"\$b\" ]"
    ts Tab Tab Tab
    check "pause freezes every view (Tab round trip: the same rows)" "sleep 0.3; [ \"\$(shot | sed -n 3,6p)\" = \"\$a\" ]"
    ts 1
    check "a sort chosen while paused shows as pending" "waitfor 'sort 2s \\(pending\\)|sort by the 2s average \\(pending'"
    ts P
    check "log scale ticks are round" "waitfor '^10b +100b +1\\.00Kb +10\\.0Kb +100Kb'"
    check "column titles on the scale line keep clear of the ticks" "! shot | sed -n 2p | grep -qE '┴[0-9a-z]|[0-9a-z]┴'"
    ts T; check "T says what it did and titles the cumulative column" "waitfor 'cumulative column on' && shot | sed -n 2p | grep -q 'cum'"
    for kv in "s=source host hidden" "d=destination host hidden" "p=Port display OFF" "S=Port display SOURCE ONLY" \
              "D=Port display ON" "t=one line per flow .sent and received." "L=linear scale" "Z=process column off" \
              "F=pinned " "0=screen filter cleared"; do
        ts "${kv%%=*}"
        check "${kv%%=*} says what it did" "waitfor '^ Flows Processes Publishers │ ${kv#*=}'"
    done
    ts Enter
    check "the details of an aggregated row name the hidden sides *" "waitfor '╭─ .*\\* => \\*'"
    ts Escape
    ts z  # no command: clears the message, so the clock's part of the status bar shows whole
    check "the end of a replay is said" "waitfor 'end of file' 80"
    c1=$(shot | tail -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}'); sleep 1.2; c2=$(shot | tail -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}')
    check "at the end of a replay the clock stops" "[ -n \"\$c1\" ] && [ \"\$c1\" = \"\$c2\" ]"
    ts f; ts -l 'port nonsense (((' ; ts Enter
    check "a long message is cut with a mark" "waitfor '… h: help'"
    ts -l $'c\x1bi'
    check "Esc then a key at once: the chooser closes and the key runs" "waitfor 'no interface to switch to'"
    ts c; sleep 0.2
    tmux -L "$KS" send-keys -t 0 -l $'\x1b[<0;60;12M'; sleep 0.3
    check "a click on a theme name picks it" "waitfor 'theme [A-Za-z]+' && ! shot | grep -q 'Enter keep'"
    ts e
    check "export: a unique file with the date, aligned columns and totals" "waitfor 'exported' && f=\$(ls $K/iftop-export-*.txt | head -1) && grep -q '^# iftop.hpp export 20[0-9-]* [0-9:]* on' \$f && grep -q '^total ' \$f && [ \$(sed 1d \$f | grep -v '^#' | awk '{print length}' | sort -u | wc -l) = 1 ]"
    ts e; check "a second export does not overwrite the first" "waitfor 'exported .*-2\\.txt|exported' && [ \$(ls $K/iftop-export-*.txt | wc -l) = 2 ]"
    ts H; check "H turns hover tooltips off" "waitfor 'hover tooltips off'"
    ts C; ts +; ts Escape
    check "theme editor: Esc puts the theme back" "waitfor 'theme unchanged'"
    ts C; ts +; ts Enter; ts C-u; ts -l 'Ünï テーマ'; ts Enter
    check "theme editor: a non-ASCII name is saved as a custom theme in ~/.iftoprc" "waitfor 'theme Ünï テーマ saved' && grep -q '^custom-themes: Ünï テーマ=#' $K/.iftoprc && grep -q '^theme: Ünï テーマ$' $K/.iftoprc"
    ts c; check "custom themes are listed in the chooser" "waitfor '> Ünï テーマ'"
    ts Escape
    tmux -L "$KS" send-keys -t 0 -l $'\x1b[<0;9;24M'
    check "a click on a tab switches the view" "waitfor 'PID PROCESS'"
    stop
    check "the screen stops on SIGTERM by its pid" "grep -q RC-0 $K/rc"

    start "$REPLAY -B"
    check "-B labels the scale in bytes" "waitfor '^10B +100B +1\\.00KB'"
    stop
    start "TERM=xterm-256color LC_ALL=C.UTF-8 $IF -r $K/steady.pcap --replay -n -P"
    ts -l '/https'; ts Enter
    check "the filter matches service names as the rows show them" "waitfor ':https' && shot | grep -c '=>' | grep -qx 1"
    stop
    start "TERM=xterm LC_ALL=C $IF -r $K/steady.pcap --replay -n"
    ts c
    check "LANG=C: ASCII words in the chooser" "waitfor 'themes: up/down preview' && ! shot | grep -q '??'"
    stop
    start "TERM=vt100 LC_ALL=C.UTF-8 $IF -r $K/steady.pcap --replay -n"
    check "TERM=vt100: no colour" "! tmux -L $KS capture-pane -p -e -t 0 | grep -qE '\\[(3[0-7]|9[0-7]|38);'"
    stop
    rm -f "$K/rc"
    tmux -L "$KS" send-keys -t 0 "clear; TERM=dumb $IF -r $K/steady.pcap -n -L 2; echo RC-\$? > $K/rc" Enter
    check "TERM=dumb: text reports with a one-line note" "waitfor 'TERM=dumb cannot draw the screen' && waitfor 'Host name \\(port/service'"
fi
