# iftop.hpp — build, test, install. Portable make syntax: GNU make and BSD make (bmake) both read this file.
#   make              build ./iftop (installs libpcap headers first when run as root and they are missing)
#   sudo make run     build and run on the default interface (ARGS="-i eth0 -P" to pass options)
#   make deps         install build and test dependencies through the system package manager (scripts/deps.sh)
#   make test         every test (tests/run.sh); ends "tests: N passed, M failed, K skipped"
#   make bench        throughput, memory, attribution CPU, live capture CPU against Debian's iftop (not part of make test)
#   make install      stripped binary, man page, bash/zsh/fish completions (PREFIX, DESTDIR, BINDIR, MANDIR)
#   make install-setcap   the above, then capture capabilities on the installed binary (no sudo needed to run it)
#   make uninstall    removes what install put there
#   make static       a statically linked ./iftop-static where the C library and libpcap allow it

CXX      ?= g++
# -g1: line tables for backtraces at 70 % of -g's compiler peak memory (458 MB against 663 MB for main.cpp).
# BSD make sets CXXFLAGS itself (FreeBSD: -O2 -pipe; Debian's bmake: ${DBG}, which is set here for it).
CXXFLAGS ?= -O2 -g1
DBG       = -O2 -g1
WARN      = -std=c++17 -Wall -Wextra
LDLIBS    = -lpcap
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CLANGXX  ?= clang++
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share
MANDIR   ?= $(DATADIR)/man
ARGS     ?=
# libpcap.a's own needs for -static (pkg-config --static --libs libpcap on Debian 12: dbus)
STATIC_LIBS ?= -ldbus-1 -lpthread

TEST_BINS = iftop tests/unit tests/hardening tests/procs tests/embed_example tests/iftop-asan tests/doc_examples \
            tests/nopcap_example tests/iftop-libcxx tests/export_unit \
            tests/fuzz/regress-run

.PHONY: all run test bench deps deps-build deps-test clean install install-setcap uninstall static fuzz

all: iftop

deps-build:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

deps: deps-test

iftop: main.cpp iftop.hpp themes.inc
	@sh scripts/deps.sh build
	$(CXX) $(WARN) $(CXXFLAGS) -o iftop main.cpp $(LDLIBS)

run: iftop
	./iftop $(ARGS)

# --- tests ------------------------------------------------------------------------------------------------
# Each test binary's recipe checks the test dependencies first (a no-op when they are installed).
tests/unit: tests/unit.cpp tests/second_tu.cpp tests/tui_test.cpp tests/frames.hpp iftop.hpp themes.inc
	@sh scripts/deps.sh test
	$(CXX) $(WARN) -O1 -g1 -o tests/unit tests/unit.cpp tests/second_tu.cpp tests/tui_test.cpp $(LDLIBS)

tests/hardening: tests/hardening.cpp iftop.hpp
	@sh scripts/deps.sh test
	$(CXX) $(WARN) -O1 -g1 -o tests/hardening tests/hardening.cpp $(LDLIBS)

tests/procs: tests/procs.cpp iftop.hpp
	@sh scripts/deps.sh test
	$(CXX) $(WARN) -O1 -g1 -o tests/procs tests/procs.cpp $(LDLIBS)

tests/export_unit: tests/export_unit.cpp iftop.hpp
	@sh scripts/deps.sh test
	$(CXX) $(WARN) -O1 -g1 -o tests/export_unit tests/export_unit.cpp $(LDLIBS)

tests/embed_example: tests/embed_example.cpp iftop.hpp
	@sh scripts/deps.sh build
	$(CXX) $(WARN) -O1 -o tests/embed_example tests/embed_example.cpp $(LDLIBS)

tests/iftop-asan: main.cpp iftop.hpp themes.inc
	@sh scripts/deps.sh build
	$(CXX) $(WARN) -O1 -g $(SAN) -o tests/iftop-asan main.cpp $(LDLIBS)

# The header's QUICK START and README's embedding example, cut out of the two files and compiled as they stand.
tests/doc_examples: tests/doc_examples.py iftop.hpp README.md themes.inc
	@sh scripts/deps.sh test
	python3 tests/doc_examples.py iftop.hpp README.md >tests/doc_examples.cpp
	$(CXX) $(WARN) -O0 -I. -o tests/doc_examples tests/doc_examples.cpp $(LDLIBS)

# IFTOP_NO_PCAP (defined in the file): the core with a packet source of the program's own, linked without libpcap.
tests/nopcap_example: tests/nopcap_example.cpp iftop.hpp themes.inc
	@sh scripts/deps.sh build
	$(CXX) $(WARN) -O0 -o tests/nopcap_example tests/nopcap_example.cpp

# The whole tool with clang and LLVM's libc++ (as on macOS and FreeBSD); warnings are errors here.
tests/iftop-libcxx: main.cpp iftop.hpp themes.inc
	@sh scripts/deps.sh test
	$(CLANGXX) $(WARN) -Werror -stdlib=libc++ -O1 -o tests/iftop-libcxx main.cpp $(LDLIBS)

# --- fuzzing: libFuzzer targets (clang), and their regression inputs through a plain driver (g++) -------------
# (make fuzz uses a pattern rule: GNU make, gmake on the BSDs; everything else here is portable make)
FUZZ_TARGETS = decoder input config lsof procnet pcap flowtable sanitiser
FUZZ_SECONDS ?= 60

tests/fuzz/bin/%: tests/fuzz/fuzz_main.cpp tests/fuzz/targets.hpp iftop.hpp themes.inc
	@mkdir -p tests/fuzz/bin
	$(CLANGXX) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined -DIFTOP_FUZZ_TARGET=$* -o $@ tests/fuzz/fuzz_main.cpp $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=tests/fuzz/bin/%)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

tests/fuzz/regress-run: tests/fuzz/regress.cpp tests/fuzz/targets.hpp iftop.hpp themes.inc
	@sh scripts/deps.sh test
	$(CXX) $(WARN) -O1 -g $(SAN) -o tests/fuzz/regress-run tests/fuzz/regress.cpp $(LDLIBS)

test: $(TEST_BINS)
	@sh scripts/deps.sh test
	@bash tests/run.sh

# --- benchmarks -------------------------------------------------------------------------------------------
tests/bench: tests/bench.cpp iftop.hpp
	@sh scripts/deps.sh build
	$(CXX) $(WARN) -O2 -g1 -o tests/bench tests/bench.cpp $(LDLIBS)

tests/bench_procs: tests/bench_procs.cpp iftop.hpp
	@sh scripts/deps.sh build
	$(CXX) $(WARN) -O2 -g1 -o tests/bench_procs tests/bench_procs.cpp $(LDLIBS)

bench: iftop tests/bench tests/bench_procs
	@sh tests/bench.sh

# --- install ----------------------------------------------------------------------------------------------
install: iftop iftop.8
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/bash-completion/completions \
	    $(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -s -m 755 iftop $(DESTDIR)$(BINDIR)/iftop
	install -m 644 iftop.8 $(DESTDIR)$(MANDIR)/man8/iftop.8
	./iftop --completions bash >$(DESTDIR)$(DATADIR)/bash-completion/completions/iftop
	./iftop --completions zsh >$(DESTDIR)$(DATADIR)/zsh/site-functions/_iftop
	./iftop --completions fish >$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/iftop.fish

# Capture without root: the capabilities live on the installed file (setcap is in libcap2-bin on Debian/Ubuntu,
# libcap on Fedora and Arch, libcap-utils on Alpine). Run as root.
install-setcap: install
	@command -v setcap >/dev/null 2>&1 || { echo "iftop: setcap not found: install libcap2-bin (Debian, Ubuntu), libcap (Fedora, Arch) or libcap-utils (Alpine)" >&2; exit 1; }
	setcap cap_net_raw,cap_net_admin+ep $(DESTDIR)$(BINDIR)/iftop

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/iftop $(DESTDIR)$(MANDIR)/man8/iftop.8 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/iftop $(DESTDIR)$(DATADIR)/zsh/site-functions/_iftop \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/iftop.fish

# --- static -----------------------------------------------------------------------------------------------
# Debian's libpcap.a needs libdbus-1.a, which takes sd_listen_fds and sd_is_socket from libsystemd, shipped only as a
# shared library; scripts/static-sd.c gives them libsystemd's own answer when systemd passed no sockets (0). With
# glibc, user and host-name lookups in a static binary still load the NSS modules of the glibc it was built with.
static: iftop-static

iftop-static: main.cpp iftop.hpp themes.inc scripts/static-sd.c
	@sh scripts/deps.sh build
	$(CXX) $(WARN) -O2 -static -o iftop-static main.cpp scripts/static-sd.c $(LDLIBS) $(STATIC_LIBS)

clean:
	rm -rf tests/fuzz/bin tests/fuzz/regress-run
	rm -f iftop iftop-static tests/unit tests/hardening tests/procs tests/bench_procs tests/embed_example tests/iftop-asan \
	    tests/bench tests/doc_examples tests/doc_examples.cpp tests/nopcap_example tests/iftop-libcxx tests/export_unit
