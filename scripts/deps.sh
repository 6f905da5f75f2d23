#!/bin/sh
# Installs what iftop needs, through the system's package manager, when run as root; otherwise prints the command.
#   scripts/deps.sh build   libpcap headers and a C++17 compiler
#   scripts/deps.sh test    the above plus doctest, tshark (the independent packet count) and python3
set -eu
what=${1:-build}

have_build() {
    { [ -f /usr/include/pcap/pcap.h ] || [ -f /usr/local/include/pcap/pcap.h ]; } && command -v "${CXX:-g++}" >/dev/null 2>&1 && command -v make >/dev/null 2>&1
}
have_test() {
    have_build && { [ -f /usr/include/doctest/doctest.h ] || [ -f /usr/local/include/doctest/doctest.h ]; } &&
        command -v tshark >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 &&
        { ! command -v apt-get >/dev/null 2>&1 || { [ -x /usr/sbin/iftop ] && command -v tmux >/dev/null 2>&1 &&
            command -v tcpreplay >/dev/null 2>&1; }; }
}

if [ "$what" = test ]; then have_test && exit 0; else have_build && exit 0; fi

if command -v apt-get >/dev/null 2>&1; then
    # iftop (Debian's) is the reference the text mode is compared with; iproute2 makes the test namespaces;
    # tcpreplay replays the live benchmark's capture into them (make bench).
    pkgs="libpcap-dev g++ make"; [ "$what" = test ] && pkgs="$pkgs doctest-dev tshark python3 iftop iproute2 tmux tcpreplay"
    cmd="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs"
elif command -v dnf >/dev/null 2>&1; then
    pkgs="libpcap-devel gcc-c++ make"; [ "$what" = test ] && pkgs="$pkgs doctest-devel wireshark-cli python3"
    cmd="dnf install -y $pkgs"
elif command -v apk >/dev/null 2>&1; then
    pkgs="libpcap-dev g++ make linux-headers"; [ "$what" = test ] && pkgs="$pkgs doctest-dev tshark python3"
    cmd="apk add --no-cache $pkgs"
elif command -v pacman >/dev/null 2>&1; then
    pkgs="libpcap gcc make"; [ "$what" = test ] && pkgs="$pkgs doctest wireshark-cli python"
    cmd="pacman -S --noconfirm --needed $pkgs"
else
    echo "iftop: missing build dependencies (libpcap headers, a C++17 compiler$( [ "$what" = test ] && echo ', doctest, tshark, python3'))" >&2
    echo "iftop: no apt-get, dnf, apk or pacman found: install them with your package manager" >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "iftop: missing dependencies; install them with:" >&2
    echo "    sudo sh -c '$cmd'" >&2
    echo "or run: sudo make deps" >&2
    exit 1
fi
echo "iftop: installing: $pkgs" >&2
sh -c "$cmd" >&2
if [ "$what" = test ]; then have_test; else have_build; fi
