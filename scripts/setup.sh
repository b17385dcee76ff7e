#!/usr/bin/env bash
# Install everything booke-gdbstub needs on a Debian/Ubuntu machine: the PowerPC cross
# toolchain, gdb-multiarch, QEMU (the differential-testing oracle), Debian's U-Boot for QEMU's
# ppce500 board, Debian's Linux 6.1 source and the tools its build needs (the e2e tests build a
# kernel for the ppce500 machine from it), the device-tree compiler, gdb's testsuite with
# DejaGnu, LLDB (a second client), PyPy with its headers (the server runs on it too), a C
# compiler for pylibfdt's build, and the Python package with its test extra in two virtual
# environments: .venv (CPython) and .venv-pypy (PyPy 3.9; no lief there, which only a test
# needs). Debian's own Pythons refuse system-wide pip installs: PEP 668.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS="gdb-multiarch gcc-powerpc-linux-gnu binutils-powerpc-linux-gnu qemu-system-ppc u-boot-qemu
      device-tree-compiler pypy3 pypy3-dev python3 python3-venv python3-pip python3-dev build-essential
      gdb-source dejagnu lldb linux-source-6.1 bc flex bison cpio"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'
[ -x .venv-pypy/bin/python ] || pypy3 -m venv .venv-pypy
.venv-pypy/bin/python -m pip install -q -e '.[test]'
