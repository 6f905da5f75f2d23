#!/bin/bash
# Sourced by every test script (tests/*.sh): the ok/bad/skipped counters, cleanups at exit, a private HOME.
# Each script runs alone (`bash tests/live.sh` prints its own "tests: N passed, M failed, K skipped" line and exits
# non-zero on a failure) or under tests/run.sh, which sums the counts every script appends to $IFTOP_TEST_COUNTS.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
skipped() { skip=$((skip + 1)); echo "skip $1"; }

# at_exit CMD: run CMD (a string) when the script ends, last registered first.
_at_exit=()
at_exit() { _at_exit=("$1" "${_at_exit[@]}"); }
_test_lib_exit() {
    local c
    for c in "${_at_exit[@]}"; do eval "$c"; done
    if [ -n "${IFTOP_TEST_COUNTS:-}" ]; then echo "$pass $fail $skip" >>"$IFTOP_TEST_COUNTS"
    else echo "tests: $pass passed, $fail failed, $skip skipped"; fi
    trap - EXIT
    [ "$fail" = 0 ] && exit 0
    exit 1
}
trap '_test_lib_exit' EXIT

# The tests never read or write the user's ~/.iftoprc (the screen saves toggles there); tshark's cache stays put.
if [ -z "${IFTOP_TEST_HOME:-}" ]; then
    export IFTOP_TSHARK_CACHE=${IFTOP_TSHARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iftop-tshark}
    IFTOP_TEST_HOME=$(mktemp -d)
    export IFTOP_TEST_HOME HOME=$IFTOP_TEST_HOME
    at_exit 'rm -rf "$IFTOP_TEST_HOME"'
fi

# need_built FILE...: the binaries this script runs exist (make test builds them); a missing one fails the script.
need_built() {
    local f
    for f in "$@"; do
        if [ ! -x "$f" ]; then bad "$f is not built (run: make test, or make $f)"; exit 1; fi
    done
}
