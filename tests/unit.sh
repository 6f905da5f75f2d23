#!/bin/bash
# The doctest unit tests (tests/unit.cpp with the screen's tests/tui_test.cpp) and the attribution tests
# (tests/procs.cpp: a fake /proc, real lsof output, SHA-256 vectors, publishers).
. "$(dirname "$0")/lib.sh"
need_built tests/unit tests/hardening tests/export_unit tests/procs tests/fuzz/regress-run
if ./tests/unit; then ok "unit tests"; else bad "unit tests"; fi
if ./tests/hardening; then ok "hardening unit tests (safe file writer, capped reader, config, invoking user)"; else bad "hardening unit tests"; fi
if ./tests/fuzz/regress-run; then ok "fuzz regression inputs through every fuzz target (ASan/UBSan)"; else bad "fuzz regression inputs"; fi
if ./tests/export_unit; then ok "export unit tests (collector addresses, IPFIX messages, label escaping, process counters, forget hook)"; else bad "export unit tests"; fi
if ./tests/procs; then ok "process attribution unit tests (fake /proc, lsof, SHA-256, publishers)"; else bad "process attribution unit tests"; fi
