#!/bin/bash
# Real, often malformed captures from tcpdump's test suite: every file is read to the end by the
# AddressSanitizer/UBSan build with no report, and every IP flow in it matches tshark's independent count.
# The full corpus (830 files) when it is there: $IFTOP_CORPUS, else ../shared/corpus/tcpdump; otherwise the 40 files
# shipped in tests/corpus (tests/corpus/README.md says what they cover).
. "$(dirname "$0")/lib.sh"
need_built tests/iftop-asan ./iftop
CORPUS=${IFTOP_CORPUS:-../shared/corpus/tcpdump}
if [ -n "${IFTOP_CORPUS:-}" ] && [ ! -d "$IFTOP_CORPUS" ]; then
    bad "corpus: IFTOP_CORPUS=$IFTOP_CORPUS is not a directory"
else
    if [ -d "$CORPUS" ]; then which=$CORPUS
    else CORPUS=tests/corpus which="the 40 files shipped in tests/corpus (no ../shared/corpus/tcpdump here)"; fi
    echo "     corpus: $which"
    C=$(mktemp -d)
    # Sanitizer run: exit 0 (read) or 1 (a clear refusal such as an unsupported link type) and no sanitizer output.
    ls "$CORPUS" | grep -E '\.(pcap|pcapng)$' | sed "s|^|$CORPUS/|" >"$C/files"
    total=$(wc -l <"$C/files")
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:exitcode=99
    xargs -P 2 -I{} sh -c 'f="{}"; timeout 60 tests/iftop-asan -r "$f" --json -l >/dev/null 2>"$0/$(basename "$f").err"; rc=$?;
        if [ $rc -gt 1 ] || grep -qE "Sanitizer|runtime error" "$0/$(basename "$f").err"; then echo "$f rc=$rc"; fi' "$C" <"$C/files" >"$C/asan-fail"
    nfail=$(wc -l <"$C/asan-fail")
    refused=$(cat "$C"/*.err 2>/dev/null | grep -c "^iftop:" || true)
    if [ "$nfail" = 0 ]; then ok "corpus under ASan/UBSan: $total files read, no report ($refused stderr lines: refusals and warnings)"
    else bad "corpus under ASan/UBSan: $nfail of $total files failed"; head -20 "$C/asan-fail" | while read -r l; do echo "     $l"; head -5 "$C/$(basename "${l% rc=*}").err" | sed 's/^/       /'; done; fi
    rm -rf "$C"
    log=$(mktemp)
    at_exit 'rm -f "$log"'
    if bash tests/check_corpus.sh "$CORPUS" >"$log" 2>&1; then ok "corpus against tshark: $(tail -1 "$log")"
    else bad "corpus against tshark: $(tail -1 "$log")"; grep -v '^ok' "$log" | head -40; fi
fi
