#!/bin/bash
# make test: every test script in turn, counted; the last line is "tests: N passed, M failed, K skipped".
# Each script also runs alone: bash tests/cli.sh
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
counts=$(mktemp)
export IFTOP_TEST_COUNTS=$counts
at_exit 'rm -f "$counts"'

part() {  # TITLE SCRIPT: a script that dies without reporting counts as one failure
    local lines
    echo "== $1"
    lines=$(wc -l <"$IFTOP_TEST_COUNTS")
    bash "$2"
    if [ "$(wc -l <"$IFTOP_TEST_COUNTS")" = "$lines" ]; then bad "$2 ended without reporting"; fi
}

part "unit tests (doctest)" tests/unit.sh
part "command line" tests/cli.sh
part "shipping: man page, install, completions, portable builds" tests/ship.sh
part "the screen in a terminal (tmux)" tests/tmux.sh
part "bad input: one line, the right exit status, within a second" tests/badinput.sh
part "hardening: files under sudo, privilege drop (root only)" tests/security.sh
part "test captures against tshark" tests/cases.sh
part "corpus" tests/corpus.sh
part "live capture (network namespaces)" tests/live.sh
part "a stopped live monitor, idle wakeups (network namespaces)" tests/live_stop.sh
part "live process attribution (network namespaces)" tests/live_procs.sh
part "exports: IPFIX to nfcapd, Prometheus textfile through node_exporter" tests/export.sh

while read -r p f s; do
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done <"$counts"
unset IFTOP_TEST_COUNTS   # the runner's own exit prints the total
