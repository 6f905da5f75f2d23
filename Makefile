# iftop.hpp — build, test, benchmark.
#   make            build ./iftop (installs libpcap headers first when run as root and they are missing)
#   sudo make run   build and run on the default interface (ARGS="-i eth0 -P" to pass options)
#   make test       unit tests, CLI tests, tshark comparisons, corpus under ASan/UBSan
#   make bench      throughput, memory and attribution CPU figures (not part of make test)
#   make deps       install build and test dependencies through the system package manager

CXX      ?= g++
CXXFLAGS ?= -O2 -g
WARN      = -std=c++17 -Wall -Wextra
LDLIBS    = -lpcap
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
PREFIX   ?= /usr/local
ARGS     ?=

.PHONY: all run test bench deps deps-build deps-test clean install fuzz

all: iftop

deps-build:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

deps: deps-test

iftop: main.cpp iftop.hpp themes.inc | deps-build
	$(CXX) $(WARN) $(CXXFLAGS) -o $@ main.cpp $(LDLIBS)

run: iftop
	./iftop $(ARGS)

# --- tests ------------------------------------------------------------------------------------------------
tests/unit: tests/unit.cpp tests/second_tu.cpp tests/tui_test.cpp tests/frames.hpp iftop.hpp themes.inc | deps-test
	$(CXX) $(WARN) -O1 -g -o $@ tests/unit.cpp tests/second_tu.cpp tests/tui_test.cpp $(LDLIBS)

tests/hardening: tests/hardening.cpp iftop.hpp | deps-test
	$(CXX) $(WARN) -O1 -g -o $@ tests/hardening.cpp $(LDLIBS)

tests/procs: tests/procs.cpp iftop.hpp | deps-test
	$(CXX) $(WARN) -O1 -g -o $@ tests/procs.cpp $(LDLIBS)

tests/embed_example: tests/embed_example.cpp iftop.hpp | deps-build
	$(CXX) $(WARN) $(CXXFLAGS) -o $@ tests/embed_example.cpp $(LDLIBS)

tests/iftop-asan: main.cpp iftop.hpp | deps-build
	$(CXX) $(WARN) -O1 -g $(SAN) -o $@ main.cpp $(LDLIBS)

# --- fuzzing: libFuzzer targets (clang), and their regression inputs through a plain driver (g++) -------------
FUZZ_TARGETS = decoder input config lsof procnet pcap flowtable sanitiser
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++

tests/fuzz/bin/%: tests/fuzz/fuzz_main.cpp tests/fuzz/targets.hpp iftop.hpp themes.inc
	@mkdir -p tests/fuzz/bin
	$(FUZZ_CXX) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined -DIFTOP_FUZZ_TARGET=$* -o $@ tests/fuzz/fuzz_main.cpp $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=tests/fuzz/bin/%)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

tests/fuzz/regress-run: tests/fuzz/regress.cpp tests/fuzz/targets.hpp iftop.hpp themes.inc | deps-test
	$(CXX) $(WARN) -O1 -g $(SAN) -o $@ tests/fuzz/regress.cpp $(LDLIBS)

test: iftop tests/unit tests/hardening tests/fuzz/regress-run tests/procs tests/embed_example tests/iftop-asan | deps-test
	@bash tests/run.sh

# --- benchmarks -------------------------------------------------------------------------------------------
tests/bench: tests/bench.cpp iftop.hpp | deps-build
	$(CXX) $(WARN) -O2 -g -o $@ tests/bench.cpp $(LDLIBS)

tests/bench_procs: tests/bench_procs.cpp iftop.hpp | deps-build
	$(CXX) $(WARN) -O2 -g -o $@ tests/bench_procs.cpp $(LDLIBS)

bench: iftop tests/bench tests/bench_procs
	@sh tests/bench.sh

install: iftop
	install -D -m 755 iftop $(DESTDIR)$(PREFIX)/sbin/iftop

clean:
	rm -rf tests/fuzz/bin tests/fuzz/regress-run
	rm -f iftop tests/unit tests/hardening tests/procs tests/bench_procs tests/embed_example tests/iftop-asan tests/bench
