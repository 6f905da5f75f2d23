#!/bin/bash
# Compare ./iftop with tshark's independent count on every capture in a directory.
#
#   tests/check_corpus.sh [DIR]      DIR defaults to ../shared/corpus/tcpdump (from the repo root)
#
# For each *.pcap / *.pcapng: tests/tshark_flows.py -l FILE (expected flows, from tshark alone) and
# `./iftop -r FILE --json -l`, compared by tests/compare_flows.py. A generated case that comes with
# NAME.expect.json (tests/gen_cases.py) is compared against that count as well.
#   ok    flows and totals equal
#   skip  iftop exits 1 with one line naming the link type, and tshark finds no IP flow
#         (unsupported link type); or iftop refuses a file in which tshark finds no IP flow
#   FAIL  anything else: a difference, a refusal of a file with IP flows, a crash or sanitizer
#         report, a timeout, a checker error
# Prints one line per failing file, then "corpus: N passed, M failed, K skipped"; exits 1 on any
# failure. Details (diffs, stderr) stay in the directory named on the "details:" line.
#
# Environment: IFTOP (binary, default ./iftop), JOBS (parallel files, default 2), VERBOSE=1 (also
# list skipped files, and passing files whose frame or skip-reason counts differ),
# IFTOP_TSHARK_CACHE (expected flows, default ~/.cache/iftop-tshark, keyed by the capture's bytes,
# tshark_flows.py and the tshark version; NO_CACHE=1 bypasses it).
# tshark costs ~0.4 s per file (dissector start-up) and is the bulk of a cold run; iftop is fast.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

if [ "${1:-}" = "--one" ]; then
    # ---- worker: one capture file; prints exactly one result line -------------------------------
    out=$2 f=$3                       # xargs appends the file after "--one OUT"
    name=$(basename "$f")
    log="$out/$name"
    py=/usr/bin/python3
    [ -x "$py" ] || py=python3
    key=$(cat "$f" "$here/tshark_flows.py" | sha1sum | cut -c1-40)
    exp="$IFTOP_TSHARK_CACHE/$key-$TSHARK_TAG.json"
    if [ -n "${NO_CACHE:-}" ] || [ ! -s "$exp" ]; then
        [ -n "${NO_CACHE:-}" ] && exp="$log.expected.json"
        if ! timeout 300 "$py" "$here/tshark_flows.py" -l "$f" >"$exp.tmp.$$" 2>"$log.tshark.err"; then
            rm -f "$exp.tmp.$$"
            echo "FAIL $name: tshark_flows.py failed: $(tail -1 "$log.tshark.err")"
            exit 0
        fi
        mv "$exp.tmp.$$" "$exp"
    fi
    timeout 60 "$IFTOP" -r "$f" --json -l >"$log.ndjson" 2>"$log.err"
    rc=$?
    no_flows=0
    grep -q '"flows": \[\]' "$exp" && no_flows=1
    err1=$(head -1 "$log.err")
    if grep -qE 'Sanitizer|runtime error|LeakSanitizer' "$log.err"; then
        echo "FAIL $name: sanitizer report (exit $rc): $(grep -m1 -E 'Sanitizer|runtime error' "$log.err")"
    elif [ $rc = 124 ]; then
        echo "FAIL $name: iftop timed out (60 s)"
    elif [ $rc != 0 ] && [ $rc != 1 ]; then
        echo "FAIL $name: iftop exit $rc: $err1"
    elif [ $rc = 1 ] && grep -q '"final":true' "$log.ndjson" && grep -q 'reporting what was read' "$log.err" &&
         [ "$(grep -c . "$log.err")" = 1 ]; then
        # cut short (exit 1, as tcpdump): what was read must still match tshark, which reads up to the same point
        if ! "$py" "$here/compare_flows.py" "$exp" "$log.ndjson" >"$log.diff" 2>&1; then
            echo "FAIL $name (cut short: $err1): $(tail -1 "$log.diff")"
        else
            echo "ok   $name (cut short, exit 1)$(grep -h '^note:' "$log.diff" 2>/dev/null | sort -u | sed 's/^note:/ note:/' | tr -d '\n')"
        fi
    elif [ $rc = 1 ]; then
        lines=$(grep -c . "$log.err")
        if [ $no_flows = 0 ]; then
            echo "FAIL $name: iftop refused a file with IP flows: $err1"
        elif [ "$lines" != 1 ]; then
            echo "FAIL $name: iftop exit 1 with $lines lines on stderr (want one): $err1"
        elif grep -qiE 'link[- ]?type' "$log.err"; then
            echo "skip $name: unsupported link type: $err1"
        else
            echo "skip $name: iftop cannot read it, no countable IP packets: $err1"
        fi
    elif ! "$py" "$here/compare_flows.py" "$exp" "$log.ndjson" >"$log.diff" 2>&1; then
        echo "FAIL $name: $(tail -1 "$log.diff")"
    elif [ -f "${f%.*}.expect.json" ] &&
         ! "$py" "$here/compare_flows.py" "${f%.*}.expect.json" "$log.ndjson" >"$log.gen.diff" 2>&1; then
        echo "FAIL $name: differs from ${name%.*}.expect.json: $(tail -1 "$log.gen.diff")"
    else
        # "note:" lines: frame or skip-reason counts that differ while the flows agree
        echo "ok   $name$(grep -h '^note:' "$log.diff" "$log.gen.diff" 2>/dev/null | sort -u | sed 's/^note:/ note:/' | tr -d '\n')"
    fi
    exit 0
fi

# ---- driver -------------------------------------------------------------------------------------
dir=${1:-$root/../shared/corpus/tcpdump}
export IFTOP=${IFTOP:-$root/iftop}
export IFTOP_TSHARK_CACHE=${IFTOP_TSHARK_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/iftop-tshark}
if [ ! -d "$dir" ]; then echo "check_corpus: no directory $dir"; exit 2; fi
if [ ! -x "$IFTOP" ]; then echo "check_corpus: no binary $IFTOP (run make)"; exit 2; fi
if ! command -v tshark >/dev/null; then echo "check_corpus: tshark not installed"; exit 2; fi
mkdir -p "$IFTOP_TSHARK_CACHE"
# once here rather than per file: every tshark start costs ~0.3 s
TSHARK_TAG=$(tshark --version 2>/dev/null | head -1 | tr -cd '0-9.')
export TSHARK_TAG
out=$(mktemp -d "${TMPDIR:-/tmp}/check_corpus.XXXXXX")
start=$(date +%s%N)

find "$dir" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z |
    xargs -0 -r -n 1 -P "${JOBS:-2}" bash "$here/check_corpus.sh" --one "$out" >"$out/results"
ms=$((($(date +%s%N) - start) / 1000000))

pass=$(grep -c '^ok' "$out/results")
fail=$(grep -c '^FAIL' "$out/results")
skip=$(grep -c '^skip' "$out/results")
grep '^FAIL' "$out/results" | sort
[ -n "${VERBOSE:-}" ] && grep -E '^skip|^ok .*note:' "$out/results" | sort
if [ "$fail" != 0 ]; then echo "details: $out"; else rm -rf "$out"; fi
echo "time: $((ms / 1000)).$(printf %03d $((ms % 1000))) s for $((pass + fail + skip)) files (${JOBS:-2} jobs)"
echo "corpus: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
