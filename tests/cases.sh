#!/bin/bash
# Captures written by the tests themselves (tests/gen_cases.py: every link type and header case of
# tests/ACCOUNTING.md, fragments, truncation, malformed frames), each checked three ways: the generator's own count,
# tshark's (tests/tshark_flows.py) and ./iftop's.
. "$(dirname "$0")/lib.sh"
need_built ./iftop tests/iftop-asan
G=$(mktemp -d)
if python3 tests/gen_cases.py "$G" --verify >"$G/gen.log" 2>&1; then ok "generated cases: tshark and libpcap read them as intended, tshark agrees with the generator"
else bad "generated cases: $(tail -5 "$G/gen.log")"; fi
if bash tests/check_corpus.sh "$G" >"$G/check.log" 2>&1; then ok "generated cases against ./iftop: $(tail -1 "$G/check.log")"
else bad "generated cases against ./iftop: $(tail -1 "$G/check.log")"; grep -v '^ok' "$G/check.log" | head -30; fi
if IFTOP=tests/iftop-asan bash tests/check_corpus.sh "$G" >"$G/check-asan.log" 2>&1; then ok "generated cases under ASan/UBSan: $(tail -1 "$G/check-asan.log")"
else bad "generated cases under ASan/UBSan: $(tail -1 "$G/check-asan.log")"; fi
rm -rf "$G"
