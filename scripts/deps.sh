#!/bin/sh
# Installs what iftop needs through the system's package manager; as a normal user it prints the command instead.
#   scripts/deps.sh build    a C++17 compiler, make and the libpcap headers
#   scripts/deps.sh test     the above plus every program and library the tests run (make test)
#   scripts/deps.sh list     print the packages `test` needs here, one a line, and exit
# Every package of the purpose is checked on its own (through the package manager's database), so a package added
# to a list below is installed on the next `make deps` even where the others are already there.
set -eu
what=${1:-build}

# ---- packages, one list per purpose; to add a tool to a test, add its package to the purpose that runs it ----------
# Debian, Ubuntu (apt)
apt_build="g++ make libpcap-dev"
apt_unit="doctest-dev"                      # tests/unit.cpp, tests/procs.cpp
apt_scripts="python3 procps"                # the test scripts: python3; sysctl in the namespaces (procps)
apt_reference="tshark iftop"                # independent counts (tshark); Debian's iftop, the text-mode reference
apt_live="iproute2"                         # network namespaces for the live tests (ip netns)
apt_screen="tmux netbase"                   # the screen in a real terminal (tests/tmux.sh); /etc/services: port names
apt_ship="man-db clang libc++-dev libc++abi-dev bmake binutils libcap2-bin"  # man -l, libc++, BSD make, nm, setcap
apt_exports="nfdump prometheus prometheus-node-exporter"  # the collectors tests/export.sh checks the exports with
apt_bench="tcpreplay"                       # make bench: replays the live comparison's capture (tests/bench_live.sh)
# Fedora (dnf)
dnf_build="gcc-c++ make libpcap-devel"
dnf_test="doctest-devel python3 procps-ng wireshark-cli iftop iproute tmux man-db clang libcxx-devel bmake binutils libcap tcpreplay"
# Alpine (apk)
apk_build="g++ make libpcap-dev linux-headers"
apk_test="doctest-dev python3 procps tshark iftop iproute2 tmux bash mandoc clang libc++-dev bmake binutils libcap-utils tcpreplay"
# Arch (pacman)
pacman_build="gcc make libpcap"
pacman_test="doctest python procps-ng wireshark-cli iftop iproute2 tmux man-db clang libc++ bmake binutils libcap tcpreplay"
# FreeBSD (pkg): libpcap, clang (with libc++), make (BSD make) and man are in the base system
pkg_build=""
pkg_test="doctest python3 bash tshark iftop tmux"
# macOS (Homebrew): Apple's clang, libc++, libpcap, make and man come with the Command Line Tools
brew_build=""
brew_test="doctest python bash wireshark iftop tmux bmake"

case $what in
build | test | list) ;;
*) echo "usage: scripts/deps.sh build|test|list" >&2; exit 2 ;;
esac

# ---- which package manager ------------------------------------------------------------------------------------------
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then pm=apt
elif command -v dnf >/dev/null 2>&1; then pm=dnf
elif command -v apk >/dev/null 2>&1; then pm=apk
elif command -v pacman >/dev/null 2>&1; then pm=pacman
elif [ "$(uname -s)" = FreeBSD ] && command -v pkg >/dev/null 2>&1; then pm=pkg
elif command -v brew >/dev/null 2>&1; then pm=brew
else pm=none
fi

case $pm in
apt)    build=$apt_build; test="$apt_unit $apt_scripts $apt_reference $apt_live $apt_screen $apt_ship $apt_exports $apt_bench" ;;
dnf)    build=$dnf_build; test=$dnf_test ;;
apk)    build=$apk_build; test=$apk_test ;;
pacman) build=$pacman_build; test=$pacman_test ;;
pkg)    build=$pkg_build; test=$pkg_test ;;
brew)   build=$brew_build; test=$brew_test ;;
none)   build=""; test="" ;;
esac
want=$build
[ "$what" = build ] || want="$build $test"
if [ "$what" = list ]; then
    for p in $want; do echo "$p"; done
    exit 0
fi

# ---- what is missing: every package asked on its own ----------------------------------------------------------------
installed() {  # package
    case $pm in
    apt)    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ] ;;
    dnf)    rpm -q "$1" >/dev/null 2>&1 ;;
    apk)    apk info -e "$1" >/dev/null 2>&1 ;;
    pacman) pacman -Q "$1" >/dev/null 2>&1 ;;
    pkg)    pkg info -e "$1" >/dev/null 2>&1 ;;
    brew)   brew list --versions "$1" >/dev/null 2>&1 ;;
    esac
}
missing=""
if [ "$pm" = apt ]; then
    # one dpkg-query for the lot (each package is still looked at on its own)
    ok=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $want 2>/dev/null | awk '$2 == "installed" { print $1 }' || true)
    for p in $want; do
        printf '%s\n' "$ok" | grep -qxF -- "$p" || missing="$missing $p"
    done
else
    for p in $want; do
        installed "$p" || missing="$missing $p"
    done
fi
missing=${missing# }

if [ "$pm" = none ]; then
    # No package manager we know: check the build's own needs directly.
    if command -v "${CXX:-c++}" >/dev/null 2>&1 && command -v make >/dev/null 2>&1 &&
        { [ -f /usr/include/pcap/pcap.h ] || [ -f /usr/local/include/pcap/pcap.h ]; }; then
        [ "$what" = build ] && exit 0
        echo "iftop: no apt-get, dnf, apk, pacman, pkg or brew here: install doctest, tshark, python3, tmux, iftop," \
            "iproute2, man, clang with libc++ and bmake yourself to run every test" >&2
        exit 0
    fi
    echo "iftop: missing build dependencies (a C++17 compiler, make, libpcap headers) and no apt-get, dnf, apk," \
        "pacman, pkg or brew found: install them with your package manager" >&2
    exit 1
fi
[ -z "$missing" ] && exit 0

case $pm in
apt)
    # Another apt or dpkg (unattended-upgrades on a freshly booted machine) may hold the lock: wait for it.
    lock="-o DPkg::Lock::Timeout=300"
    cmd="apt-get $lock update -qq && DEBIAN_FRONTEND=noninteractive apt-get $lock install -y -qq --no-install-recommends $missing" ;;
dnf)    cmd="dnf install -y $missing" ;;
apk)    cmd="apk add --no-cache $missing" ;;
pacman) cmd="pacman -S --noconfirm --needed $missing" ;;
pkg)    cmd="pkg install -y $missing" ;;
brew)   cmd="brew install $missing" ;;
esac

# Homebrew refuses to run as root; every other package manager needs it.
if [ "$pm" != brew ] && [ "$(id -u)" -ne 0 ]; then
    echo "iftop: missing packages: $missing; install them with:" >&2
    echo "    sudo sh -c '$cmd'" >&2
    echo "or run: sudo make deps" >&2
    exit 1
fi
echo "iftop: installing: $missing" >&2
if [ "$pm" = apt ]; then
    # apt-get install waits for dpkg's lock itself (DPkg::Lock::Timeout); apt-get update does not wait for the
    # package lists' lock in every apt version, so it is retried here, every 5 s for up to 5 minutes.
    err=$(mktemp)
    tries=0
    until apt-get $lock update -qq 2>"$err"; do
        if ! grep -q "Could not get lock" "$err" || [ $tries -ge 60 ]; then cat "$err" >&2; rm -f "$err"; exit 1; fi
        [ $tries = 0 ] && echo "iftop: another apt or dpkg is running (unattended-upgrades?); waiting up to 5 minutes for its lock" >&2
        tries=$((tries + 1))
        sleep 5
    done
    rm -f "$err"
    echo "iftop: (if another apt or dpkg holds dpkg's lock, apt-get waits up to 5 minutes for it)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get $lock install -y -qq --no-install-recommends $missing >&2
else
    sh -c "$cmd" >&2
fi
still=""
for p in $missing; do
    installed "$p" || still="$still $p"
done
if [ -n "$still" ]; then
    echo "iftop: still missing after the install:$still" >&2
    exit 1
fi
