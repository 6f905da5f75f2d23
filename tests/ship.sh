#!/bin/bash
# Shipping: the man page names exactly the options of -h and renders; make install (GNU make and BSD make) puts a
# stripped binary, the man page and the three completions where bash, zsh and fish look, and uninstall removes them;
# the completions offer theme names, sort keys and interfaces; the header builds with clang and libc++; the
# IFTOP_NO_PCAP example links without libpcap and counts as libpcap's reader does; the documentation's examples
# compile and run; LICENSE is there.
. "$(dirname "$0")/lib.sh"
need_built ./iftop tests/embed_example tests/nopcap_example tests/doc_examples tests/iftop-libcxx
W=$(mktemp -d)
at_exit 'rm -rf "$W"'
python3 tests/mkpcap.py steady "$W/steady.pcap"

# --- man page against -h: the option names of each, both ways -----------------------------------------------------
./iftop -h | grep -oE '^ +(-[A-Za-z0-9], )?(--[a-z0-9-]+|-[A-Za-z0-9])' | tr -d ' ' | tr ',' '\n' | grep . | sort -u >"$W/opt-h"
# an entry is the line after .TP in the OPTIONS section: ".BR \-n ", " \-\-no\-dns", ".B \-\-json", ".BI \-\-theme " NAME""
awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH/ { on = 0 } on && prev == ".TP" { print } { prev = $0 }' iftop.8 |
    sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[A-Za-z0-9][a-z0-9-]*' | tr -d ' "' | sort -u >"$W/opt-man"
if [ -s "$W/opt-h" ] && cmp -s "$W/opt-h" "$W/opt-man"; then ok "iftop.8 OPTIONS names every option of -h and no other ($(wc -l <"$W/opt-h") names)"
else bad "iftop.8 OPTIONS and -h differ (< only in -h, > only in the man page): $(diff "$W/opt-h" "$W/opt-man" | grep '^[<>]' | tr '\n' ' ')"; fi
for s in NAME SYNOPSIS DESCRIPTION OPTIONS KEYS CONFIGURATION ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -q "^\.SH \"\?$s" iftop.8 || echo "$s" >>"$W/sections-missing"
done
for e in NO_COLOR COLORTERM TERM; do grep -q "^\.B $e" iftop.8 || echo "$e" >>"$W/sections-missing"; done
if [ ! -s "$W/sections-missing" ]; then ok "iftop.8 has every section and names NO_COLOR, COLORTERM, TERM"
else bad "iftop.8 lacks: $(tr '\n' ' ' <"$W/sections-missing")"; fi
# every ~/.iftoprc key the code reads (apply_config_text, and the screen's apply_screen_config) is in CONFIGURATION,
# and every key named there is read
awk '/^(Result<bool> apply_config_text|void apply_screen_config)\(.*\{$/ { on = 1 } on { print } on && /^}/ { on = 0 }' iftop.hpp |
    grep -oE 'key == "[a-z0-9-]+"' | cut -d'"' -f2 | sort -u >"$W/keys-code"
awk '/^\.SH CONFIGURATION/ { on = 1; next } /^\.SH/ { on = 0 } on' iftop.8 | sed 's/\\-/-/g' |
    grep -oE '^\.BR? [a-z][a-z0-9-]*[a-z0-9]( ,| \.|$)' | awk '{ print $2 }' | grep -vxE 'sudo' | sort -u >"$W/keys-man"
if [ -s "$W/keys-code" ] && cmp -s "$W/keys-code" "$W/keys-man"; then ok "iftop.8 CONFIGURATION names every config key the code reads and no other ($(wc -l <"$W/keys-code") keys)"
else bad "iftop.8 config keys differ (< code only, > man only): $(diff "$W/keys-code" "$W/keys-man" | grep '^[<>]' | tr '\n' ' ')"; fi
if MANWIDTH=100 man --warnings -l iftop.8 >"$W/man.txt" 2>"$W/man.err" && [ ! -s "$W/man.err" ] &&
   grep -q "^OPTIONS" "$W/man.txt" && grep -q -- "--max-flows N" "$W/man.txt"; then ok "man -l iftop.8 renders with no warnings"
else bad "man -l iftop.8: $(head -c 300 "$W/man.err")"; fi

# --- make install / uninstall -------------------------------------------------------------------------------------
check_install() {  # MAKE-PROGRAM DESTDIR: the installed tree under DESTDIR/usr
    local d=$2/usr
    [ -x "$d/sbin/iftop" ] && [ -f "$d/share/man/man8/iftop.8" ] &&
        [ -s "$d/share/bash-completion/completions/iftop" ] && [ -s "$d/share/zsh/site-functions/_iftop" ] &&
        [ -s "$d/share/fish/vendor_completions.d/iftop.fish" ] || { echo "missing files: $(cd "$2" && find . -type f | tr '\n' ' ')"; return 1; }
    # stripped: no symbol table left (nm says "no symbols"), and smaller than the build
    if nm "$d/sbin/iftop" 2>&1 | grep -qv "no symbols"; then echo "not stripped"; return 1; fi
    [ "$(wc -c <"$d/sbin/iftop")" -lt "$(wc -c <iftop)" ] || { echo "not smaller than ./iftop"; return 1; }
    "$d/sbin/iftop" -r "$W/steady.pcap" --json | tail -1 | grep -q '"final":true' || { echo "installed binary does not run"; return 1; }
}
if make -s install DESTDIR="$W/gnu" PREFIX=/usr >"$W/install.log" 2>&1 && msg=$(check_install make "$W/gnu"); then
    ok "make install DESTDIR=... PREFIX=/usr: stripped binary ($(wc -c <"$W/gnu/usr/sbin/iftop") bytes, build $(wc -c <iftop)), man page, bash/zsh/fish completions"
else bad "make install: $msg $(tail -3 "$W/install.log")"; fi
if make -s uninstall DESTDIR="$W/gnu" PREFIX=/usr >>"$W/install.log" 2>&1 && [ -z "$(find "$W/gnu" -type f)" ]; then ok "make uninstall removes every installed file"
else bad "make uninstall left: $(find "$W/gnu" -type f | tr '\n' ' ')"; fi
if make -s install DESTDIR="$W/dirs" PREFIX=/opt/x BINDIR=/bin2 MANDIR=/m >>"$W/install.log" 2>&1 &&
   [ -x "$W/dirs/bin2/iftop" ] && [ -f "$W/dirs/m/man8/iftop.8" ] && [ -s "$W/dirs/opt/x/share/zsh/site-functions/_iftop" ]
then ok "make install honours BINDIR and MANDIR"; else bad "make install BINDIR/MANDIR: $(cd "$W/dirs" 2>/dev/null && find . -type f | tr '\n' ' ')"; fi

# --- BSD make reads the same Makefile ------------------------------------------------------------------------------
if ! command -v bmake >/dev/null; then skipped "BSD make: bmake not installed (scripts/deps.sh test installs it)"
else
    # a dry run in a copy without binaries shows every build command; the install runs for real. GNU make's
    # MAKEFLAGS (-j2 --jobserver-auth=...) is not bmake's: a `make -j2 test` must not hand it over.
    mkdir -p "$W/src/tests" && cp Makefile main.cpp iftop.hpp themes.inc "$W/src" &&
        cp tests/unit.cpp tests/second_tu.cpp tests/tui_test.cpp tests/frames.hpp "$W/src/tests"
    if (cd "$W/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL bmake -n iftop tests/unit tests/iftop-libcxx) >"$W/bmake.n" 2>&1 && grep -q -- "-o iftop main.cpp" "$W/bmake.n" &&
       grep -q "stdlib=libc++" "$W/bmake.n" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL bmake install DESTDIR="$W/bsd" PREFIX=/usr >"$W/bmake.log" 2>&1 &&
       msg=$(check_install bmake "$W/bsd"); then ok "BSD make (bmake) reads the Makefile and installs the same tree"
    else bad "BSD make: $msg $(tail -3 "$W/bmake.n" "$W/bmake.log" 2>/dev/null)"; fi
fi

# --- install-setcap ----------------------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then skipped "make install-setcap: needs root"
elif make -s install-setcap DESTDIR="$W/cap" PREFIX=/usr >"$W/cap.log" 2>&1 && getcap "$W/cap/usr/sbin/iftop" | grep -q "cap_net_admin,cap_net_raw[=+]ep"
then ok "make install-setcap: the installed binary carries cap_net_raw,cap_net_admin"
else bad "make install-setcap: $(tail -2 "$W/cap.log") $(getcap "$W/cap/usr/sbin/iftop" 2>&1)"; fi

# --- completions: theme names, sort keys, interfaces; never the placeholder ----------------------------------------
./iftop --completions bash >"$W/iftop.bash"
complete_bash() {  # WORDS...: what bash completes for the last word
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _iftop; printf "%s\n" "${COMPREPLY[@]}"' _ "$W/iftop.bash" "$@" 2>&1
}
t=$(complete_bash iftop --theme Neon | tr '\n' ' ') o=$(complete_bash iftop -o 1 | tr '\n' ' ')
all_themes=$(complete_bash iftop --theme "" | wc -l) i=$(complete_bash iftop -i l | tr '\n' ' ')
if [ "$t" = "NeonSprawl NeonNoir " ] && [ "$o" = "10s " ] && [ "$all_themes" = "$(./iftop --list-colors | grep -c .)" ] &&
   { [ ! -d /sys/class/net/lo ] || [[ " $i" == *" lo "* ]]; }; then ok "bash completion: --theme Neon → $t; -o 1 → $o; -i l → $i; all $all_themes themes"
else bad "bash completion: --theme Neon → '$t', -o 1 → '$o', -i l → '$i', themes $all_themes vs $(./iftop --list-colors | grep -c .)"; fi
if ! ./iftop --completions bash | grep -qw THEME && ! ./iftop --completions zsh | grep -qw THEME && ! ./iftop --completions fish | grep -qw THEME &&
   ./iftop --completions zsh | grep -- "--theme" | grep -q "NeonSprawl" && ./iftop --completions fish | grep -- "-l theme" | grep -q "Zaibatsu"
then ok "zsh and fish completions offer the theme names, no shell offers the word THEME"
else bad "completions still offer THEME or lack theme names"; fi

# --- portable builds ----------------------------------------------------------------------------------------------
./iftop -r "$W/steady.pcap" --json | tail -1 >"$W/gcc.json"
./tests/iftop-libcxx -r "$W/steady.pcap" --json | tail -1 >"$W/libcxx.json"
if cmp -s "$W/gcc.json" "$W/libcxx.json" && { ! command -v ldd >/dev/null || ldd tests/iftop-libcxx | grep -q 'libc++'; } &&
   ./tests/iftop-libcxx -m 1.5M -r "$W/steady.pcap" -t >/dev/null && ./tests/iftop-libcxx -m 1,5M 2>&1 | grep -q "needs a bandwidth"
then ok "clang++ -stdlib=libc++ build (warnings as errors): same final JSON as g++'s, -m 1.5M parsed, 1,5M refused"
else bad "libc++ build: $(diff "$W/gcc.json" "$W/libcxx.json" | head -c 300)"; fi

# IFTOP_NO_PCAP: no libpcap linked; its own pcap reader gives the same flows as libpcap's on every classic pcap file
n=0 same=0
for f in "$W/steady.pcap" tests/corpus/*.pcap; do
    n=$((n + 1))
    a=$(./tests/nopcap_example "$f" 2>&1 | sed '/^total /q' | sed 's/^warning: .*//')
    b=$(./tests/embed_example "$f" 2>&1 | sed 's/^warning: .*//; s/ (\([0-9]*\)) is not supported.*/ is not supported/')
    if [ "$a" = "$b" ]; then same=$((same + 1)); else echo "     differs on $f:"; diff <(echo "$a") <(echo "$b") | head -6 | sed 's/^/       /'; fi
done
if [ "$same" = "$n" ] && { ! command -v ldd >/dev/null || ! ldd tests/nopcap_example | grep -q libpcap; } &&
   ./tests/nopcap_example "$W/steady.pcap" | grep -q '^   1 10.0.0.1:40000 *=> *39.1Kb'
then ok "IFTOP_NO_PCAP example: linked without libpcap; its own pcap reader counts as libpcap's on $n files; text report links"
else bad "IFTOP_NO_PCAP example: $same of $n files agree"; fi

# the QUICK START of iftop.hpp and README's embedding example, as they stand
mkdir "$W/doc" && cp "$W/steady.pcap" "$W/doc/trace.pcap"
q=$(cd "$W/doc" && "$OLDPWD/tests/doc_examples" 1 | tr '\n' ';') r=$(cd "$W/doc" && "$OLDPWD/tests/doc_examples" 2 | tr '\n' ';')
if [ "$q" = "TCP 10.0.0.1:40000 => 198.51.100.9:443;UDP 10.0.0.1:5000 => 192.0.2.7:53;" ] &&
   [ "$r" = "TCP 10.0.0.1:40000 => 198.51.100.9:443 25000;UDP 10.0.0.1:5000 => 192.0.2.7:53 5000;" ]
then ok "iftop.hpp QUICK START and README embedding example compile and print the flows of trace.pcap"
else bad "documentation examples: quick start '$q', README '$r'"; fi

if grep -q "^MIT License" LICENSE && grep -q "themes.inc" LICENSE && [ -f tests/corpus/LICENSE ]; then ok "LICENSE (MIT, themes' origin) and tcpdump's licence beside its captures"
else bad "LICENSE"; fi
