#!/bin/sh
# make fuzz: each libFuzzer target for N seconds (FUZZ_SECONDS), seeded from the regression inputs, the tests'
# own inputs and the capture corpus. New crashers land in tests/fuzz/crashes/ (copy them to regress/<target>/ once
# fixed, so that `make test` keeps running them). The machine may be shared: one target at a time, one job.
set -u
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
corpus=${IFTOP_CORPUS:-$here/../../../shared/corpus/tcpdump}
mkdir -p "$here/crashes"
status=0
for t in decoder input config lsof procnet pcap flowtable sanitiser; do
    work=$(mktemp -d)
    seeds="$here/regress/$t"
    case $t in
        pcap) [ -d "$corpus" ] && seeds="$seeds $corpus" ;;
        lsof) cp "$here/../lsof_linux.txt" "$work/" ;;
    esac
    echo "== fuzz $t for ${secs}s"
    "$here/bin/$t" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$here/crashes/$t-" "$work" $seeds 2>"$work/log"
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/log" | tr '\n' ' '
    echo
    if [ $rc != 0 ]; then status=1; echo "fuzz $t FAILED (exit $rc):"; grep -E 'ERROR|invariant|SUMMARY' "$work/log" | head -5; fi
    rm -rf "$work"
done
exit $status
