#!/bin/bash
# The screen as a user meets it, in a real terminal (tmux): keys, an SGR mouse click, resize, and SIGTERM/SIGSEGV
# leaving a working terminal (cooked mode, main screen). Sourced by tests/run.sh; skipped without tmux.
if ! command -v tmux >/dev/null; then
    echo "skip screen in tmux: tmux not installed"
else
    X=$(mktemp -d)
    S=iftop-test-$$
    python3 tests/mkpcap.py steady "$X/steady.pcap"
    tmux -L "$S" kill-server 2>/dev/null
    tmux -L "$S" new-session -d -x 100 -y 24 "bash --norc --noprofile"
    tsend() { tmux -L "$S" send-keys -t 0 "$@"; }
    tshot() { tmux -L "$S" capture-pane -p -t 0; }
    tsend "cd $PWD && TERM=xterm-256color ./iftop -r $X/steady.pcap --replay -P -n -N; echo DONE-\$? > $X/rc; stty -a > $X/stty" Enter
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
    pkill -TERM -f "iftop -r $X/steady.pcap --replay" ; sleep 0.8
    if grep -q "DONE-0" "$X/rc" 2>/dev/null && grep -q " icanon" "$X/stty" && grep -q " echo" "$X/stty" && ! tmux -L "$S" capture-pane -p -e -t 0 | grep -q $'\x1b\[?1049h'
    then ok "screen in tmux: SIGTERM leaves a cooked terminal, exit 0"; else bad "screen in tmux: SIGTERM (rc $(cat "$X/rc" 2>/dev/null))"; fi
    rm -f "$X/rc" "$X/stty"
    tsend "clear; ./iftop -r $X/steady.pcap --replay -n; echo DONE-\$? > $X/rc; stty -a > $X/stty" Enter
    sleep 1.5
    pgrep -f "iftop -r $X/steady.pcap --replay" >/dev/null || echo "     (the second run did not start: $(tshot | grep -v '^$' | tail -2))"
    pkill -SEGV -f "iftop -r $X/steady.pcap --replay"; sleep 0.8
    if grep -q "DONE-139" "$X/rc" 2>/dev/null && grep -q " icanon" "$X/stty" && grep -q " echo" "$X/stty"
    then ok "screen in tmux: SIGSEGV restores the terminal and dies of the signal"; else bad "screen in tmux: SIGSEGV (rc $(cat "$X/rc" 2>/dev/null))"; fi
    tmux -L "$S" kill-server 2>/dev/null
    rm -rf "$X"
fi

# The screen's commands and rough edges, one check per item (issue 11). Each run: its own pid (exec), started
# before keys are sent, stopped by that pid; waits poll the pane instead of sleeping on luck.
if command -v tmux >/dev/null; then
    X=$(mktemp -d)
    S=iftop-keys-$$
    python3 tests/mkpcap.py steady "$X/steady.pcap"
    python3 tests/mkpcap.py v6 "$X/v6.pcap"
    tmux -L "$S" kill-server 2>/dev/null
    tmux -L "$S" new-session -d -x 100 -y 24 "bash --norc --noprofile"
    ts() { tmux -L "$S" send-keys -t 0 "$@"; }
    shot() { tmux -L "$S" capture-pane -p -t 0; }
    # waitfor PATTERN [tries]: the pane shows PATTERN (grep -E) within tries x 0.1 s
    waitfor() { for _ in $(seq "${2:-40}"); do shot | grep -qE -- "$1" && return 0; sleep 0.1; done; return 1; }
    # start ENV-AND-ARGS: the tool in the pane (cwd $X, HOME $X), its pid in $X/pid; waits until it drew a screen
    start() {
        rm -f "$X/pid" "$X/rc"
        ts "clear; cd $X && HOME=$X sh -c 'echo \$\$ > $X/pid; exec env $1'; echo RC-\$? > $X/rc; cd $PWD" Enter
        for _ in $(seq 50); do [ -s "$X/pid" ] && kill -0 "$(cat "$X/pid")" 2>/dev/null && shot | grep -q "h: help\|too small" && return 0; sleep 0.1; done
        return 1
    }
    stop() { [ -s "$X/pid" ] && kill -TERM "$(cat "$X/pid")" 2>/dev/null; for _ in $(seq 30); do [ -s "$X/rc" ] && break; sleep 0.1; done; }
    check() { if eval "$2"; then ok "screen keys in tmux: $1"; else bad "screen keys in tmux: $1 :: $(shot | grep -v '^ *$' | tail -4 | tr '\n' '|')"; fi; }
    IF="$PWD/iftop"
    REPLAY="TERM=xterm-256color LC_ALL=C.UTF-8 $IF -r $X/steady.pcap --replay -n"

    start "TERM=xterm-256color LC_ALL=C.UTF-8 $IF -r $X/v6.pcap --replay -P -n"
    check "IPv6 with a port is [addr]:port on the screen" "waitfor '\\[2001:db8::31\\]:ssh +=> +\\[fd77::1\\]:40964'"
    check "the tab strip names the three views" "waitfor ' Flows Processes Publishers │'"
    ts h; check "help: framed, titled, lists every key" "waitfor '╭─ iftop.hpp .* help: .*Esc closes' && shot | grep -q '│  n           host names'"
    ts j Escape Enter
    check "help is modal: j with help open did not move the selection (Enter details the first flow)" "waitfor '╭─ TCP \\[2001:db8::31\\]:22 => \\[fd77::1\\]:40964'"
    ts Escape; tmux -L "$S" resize-window -t 0 -x 60 -y 14
    check "a host cut to fit is marked (60 columns)" "waitfor '^\\[2001:db8…\\]:ssh'"
    tmux -L "$S" resize-window -t 0 -x 20 -y 6
    check "below the minimum size one line says the terminal is too small" "waitfor '^terminal too small'"
    tmux -L "$S" resize-window -t 0 -x 100 -y 24
    ts '/'; ts -l 'xx.0.0'; ts Home Delete Delete; ts -l '10'; ts End; ts -l '.1'
    check "the filter editor edits (Home, Delete, End, typing)" "waitfor 'filter: 10\\.0\\.0\\.1 '"
    ts C-c; sleep 0.3
    check "Ctrl-C quits from the filter editor" "for _ in \$(seq 30); do [ -s $X/rc ] && break; sleep 0.1; done; grep -q RC-0 $X/rc"
    "$IF" -r "$X/v6.pcap" -t -P -n -N >"$X/v6.txt" 2>/dev/null
    check "-t writes [addr]:port and marks a cut host with ~" "grep -q '\\[fd77::1\\]:40964' $X/v6.txt && grep -q '\\[2001:db8:1111:2222:3333:4444:5~\\]:65534' $X/v6.txt"

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
    for k in s d p S D t L Z F 0; do
        ts "$k"; sleep 0.15
        check "$k says what it did" "shot | tail -1 | grep -qE '(on|off|shown|hidden|aggregated\\)|ONLY|OFF|ON|per flow|scale|pinned|cleared|column)'"
    done
    check "the end of a replay is said; the clock stops" "waitfor 'end of file|end of the capture file' 80"
    ts f; ts -l 'port nonsense (((' ; ts Enter
    check "a long message is cut with a mark" "waitfor '… h: help'"
    ts -l $'c\x1bi'
    check "Esc then a key at once: the chooser closes and the key runs" "waitfor 'no interface to switch to'"
    ts c; sleep 0.2
    tmux -L "$S" send-keys -t 0 -l $'\x1b[<0;60;12M'; sleep 0.3
    check "a click on a theme name picks it" "waitfor 'theme [A-Za-z]+' && ! shot | grep -q 'Enter keep'"
    ts e
    check "export: a unique file with the date, aligned columns and totals" "waitfor 'exported' && f=\$(ls $X/iftop-export-*.txt | head -1) && grep -q '^# iftop.hpp export 20[0-9-]* [0-9:]* on' \$f && grep -q '^total ' \$f && [ \$(sed 1d \$f | grep -v '^#' | awk '{print length}' | sort -u | wc -l) = 1 ]"
    ts e; check "a second export does not overwrite the first" "waitfor 'exported .*-2\\.txt|exported' && [ \$(ls $X/iftop-export-*.txt | wc -l) = 2 ]"
    ts H; check "H turns hover tooltips off" "waitfor 'hover tooltips off'"
    ts C; ts +; ts Enter; ts C-u; ts -l 'Ünï テーマ'; ts Enter
    check "theme editor: a non-ASCII name is saved as a custom theme in ~/.iftoprc" "waitfor 'theme Ünï テーマ saved' && grep -q '^custom-themes: \\*Ünï テーマ=#' $X/.iftoprc"
    ts c; check "custom themes are listed in the chooser" "waitfor '> Ünï テーマ'"
    ts Escape
    tmux -L "$S" send-keys -t 0 -l $'\x1b[<0;9;24M'
    check "a click on a tab switches the view" "waitfor 'PID PROCESS'"
    stop
    check "the screen stops on SIGTERM by its pid" "grep -q RC-0 $X/rc"

    start "$REPLAY -B"
    check "-B labels the scale in bytes" "waitfor '^10B +100B +1\\.00KB'"
    stop
    start "TERM=xterm-256color LC_ALL=C.UTF-8 $IF -r $X/steady.pcap --replay -n -P"
    ts -l '/https'; ts Enter
    check "the filter matches service names as the rows show them" "waitfor ':https' && shot | grep -c '=>' | grep -qx 1"
    stop
    start "TERM=xterm LC_ALL=C $IF -r $X/steady.pcap --replay -n"
    ts c
    check "LANG=C: ASCII words in the chooser" "waitfor 'themes: up/down preview' && ! shot | grep -q '??'"
    stop
    start "TERM=vt100 LC_ALL=C.UTF-8 $IF -r $X/steady.pcap --replay -n"
    check "TERM=vt100: no colour" "! tmux -L $S capture-pane -p -e -t 0 | grep -qE '\\[(3[0-7]|9[0-7]|38);'"
    stop
    rm -f "$X/rc"
    ts "clear; TERM=dumb $IF -r $X/steady.pcap -n -L 2; echo RC-\$? > $X/rc" Enter
    check "TERM=dumb: text reports with a one-line note" "waitfor 'TERM=dumb cannot draw the screen' && waitfor 'Host name \\(port/service'"
    tmux -L "$S" kill-server 2>/dev/null
    rm -rf "$X"
fi
