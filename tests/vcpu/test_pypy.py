"""PyPy: the benchmark guest runs to the same state on PyPy's vCPU as on CPython's, interpreted and
translated (the image goes over as JSON: ``gdbstub.boards.standalone``), and ``gdbstub serve`` on
PyPy (the .venv-pypy scripts/setup.sh makes) serves gdb a guest to its exit and boots U-Boot on
the ppce500 machine to its prompt."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gdbstub.gdb_session import find_gdb
from gdbstub.guests.build import build_guest
from gdbstub.machine import THREAD, Machine
from gdbstub.boards.standalone import image_request, run_image, run_image_in

ROOT = Path(__file__).resolve().parents[2]
PYPY = "pypy3"
PYPY_VENV = ROOT / ".venv-pypy" / "bin" / "python"
UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
UBOOT_TIMEOUT = 600.0   # seconds to the prompt, generous for a loaded CI machine


@pytest.fixture(scope="module")
def pypy():
    if shutil.which(PYPY) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{PYPY} is not installed (scripts/setup.sh installs it)")
        pytest.skip(f"{PYPY} is not installed")
    return PYPY


@pytest.fixture(scope="module")
def pypy_venv():
    """The PyPy interpreter that has the package and its dependencies installed."""
    if not PYPY_VENV.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{PYPY_VENV} is missing (scripts/setup.sh makes it)")
        pytest.skip(f"{PYPY_VENV} is missing (scripts/setup.sh makes it)")
    return str(PYPY_VENV)


@pytest.mark.parametrize("translate", [False, True])
def test_bench_guest_ends_in_the_same_state_on_pypy_and_cpython(pypy, translate):
    machine = Machine(build_guest([ROOT / "benchmarks" / "guests" / "bench.c"], name="bench"), ram_size=4 << 20)
    machine.write_memory(THREAD, machine.elf.symbols["rounds"], (2).to_bytes(4, "big"))
    request = image_request(machine.cpu, machine.elf.segments, steps=5_000_000, translate=translate)
    on_cpython = run_image(request)
    on_pypy = run_image_in(pypy, request)
    assert on_pypy["implementation"] == "pypy"
    assert on_cpython["outcome"].startswith("Halted(")
    assert on_pypy["outcome"] == on_cpython["outcome"]
    assert on_pypy["state"] == on_cpython["state"]


@contextlib.contextmanager
def serving_on_pypy(python: str, *args, port_file: Path):
    """``gdbstub serve ARGS`` on PyPy, listening (its port in ``port_file``); killed at the end."""
    implementation = subprocess.run([python, "-c", "import sys; print(sys.implementation.name)"],
                                    capture_output=True, text=True, check=True).stdout
    assert implementation == "pypy\n"
    server = subprocess.Popen([python, "-m", "gdbstub", "serve", *map(str, args), "--port", "0",
                               "--port-file", str(port_file)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert server.poll() is None and time.monotonic() < deadline, f"no server: {server.stdout.read()}"
            time.sleep(0.05)
        yield server
    finally:
        server.kill()
        server.wait()


def test_gdb_debugs_the_demo_guest_to_its_exit_through_a_server_on_pypy(pypy_venv, demo_elf, tmp_path):
    port_file, uart_log = tmp_path / "port", tmp_path / "uart"
    with serving_on_pypy(pypy_venv, demo_elf, "--once", "--uart-log", uart_log, port_file=port_file) as server:
        commands = [f"target remote 127.0.0.1:{port_file.read_text().strip()}", "break square",
                    "continue", "continue", "continue", "info registers r3", "print counter",
                    "x/2wx squares", "set var counter = 40", "print counter", "delete", "continue"]
        gdb = subprocess.run([find_gdb(), "-nx", "-batch", *(a for c in commands for a in ("-ex", c)), str(demo_elf)],
                             capture_output=True, text=True, timeout=120)
        assert server.wait(timeout=30) == 0
    out = gdb.stdout
    assert "square (x=0)" in out and "square (x=1)" in out and "square (x=2)" in out, out + gdb.stderr
    assert re.search(r"^r3\s+0x2\s", out, re.M), out
    assert "$1 = 2" in out and "$2 = 40" in out, out
    assert re.search(r"<squares>:\s+0x00000000\s+0x00000001", out), out
    assert "exited normally" in out, out
    assert uart_log.read_bytes().count(b"sum of squares = 140\n") == 3


def test_u_boot_reaches_its_prompt_on_the_ppce500_machine_on_pypy(pypy_venv, tmp_path):
    """The ppce500 board on PyPy: its device tree from pylibfdt, built for PyPy by setup.sh."""
    if not UBOOT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{UBOOT} is missing (scripts/setup.sh installs u-boot-qemu)")
        pytest.skip(f"{UBOOT} is missing")
    console = tmp_path / "console"
    with serving_on_pypy(pypy_venv, "--machine", "ppce500", UBOOT, "--run", "--serial", f"file:{console}",
                         port_file=tmp_path / "port") as server:
        deadline = time.monotonic() + UBOOT_TIMEOUT
        while not (console.exists() and b"\n=> " in console.read_bytes()):
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
            time.sleep(0.2)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 130
    assert b"DRAM:  128 MiB" in console.read_bytes()
