#!/usr/bin/env bash
# Install everything booke-gdbstub needs on a Debian/Ubuntu machine: the PowerPC cross
# toolchain, gdb-multiarch, QEMU (the differential-testing oracle), PyPy (the vCPU is checked
# on it too) and the Python package with its test extra.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS="gdb-multiarch gcc-powerpc-linux-gnu binutils-powerpc-linux-gnu qemu-system-ppc pypy3 gdb-source dejagnu"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
python3 -m pip install -q -e '.[test]'
