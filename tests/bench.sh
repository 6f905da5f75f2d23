#!/bin/sh
# make bench: prints figures, asserts nothing (the machines are shared; read the ratios).
cd "$(dirname "$0")/.." || exit 1
./tests/bench ./iftop
./tests/bench_procs
bash tests/bench_live.sh
