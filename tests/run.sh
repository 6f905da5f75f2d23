#!/bin/bash
# make test: every check, counted; the last line is "tests: N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
# The tests never read or write the user's ~/.iftoprc (the screen saves toggles there); tshark's cache stays put.
export IFTOP_TSHARK_CACHE=${IFTOP_TSHARK_CACHE:-$HOME/.cache/iftop-tshark}
HOME=$(mktemp -d)
export HOME
trap 'rm -rf "$HOME"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

echo "== unit tests (doctest)"
if ./tests/unit; then ok "unit tests"; else bad "unit tests"; fi
if ./tests/hardening; then ok "hardening unit tests (safe file writer, capped reader, config, invoking user)"; else bad "hardening unit tests"; fi
if ./tests/fuzz/regress-run; then ok "fuzz regression inputs (every target, ASan/UBSan)"; else bad "fuzz regression inputs"; fi
if ./tests/procs; then ok "process attribution unit tests (fake /proc, lsof, SHA-256, publishers)"; else bad "process attribution unit tests"; fi

echo "== command line"
. tests/cli.sh

echo "== the screen in a terminal (tmux)"
. tests/tmux.sh

echo "== bad input: one line, the right exit status, within a second"
. tests/badinput.sh

echo "== hardening: files under sudo, privilege drop (root only)"
. tests/security.sh

echo "== test captures against tshark"
. tests/cases.sh

echo "== corpus"
. tests/corpus.sh

echo "== live capture (network namespaces)"
. tests/live.sh

echo "== live process attribution (network namespaces)"
. tests/live_procs.sh

echo "tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
