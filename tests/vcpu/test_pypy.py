"""PyPy: the benchmark guest runs to the same state on PyPy's vCPU as on CPython's, interpreted and
translated (the image goes over as JSON: ``gdbstub.boards.standalone``), and ``gdbstub serve`` on
PyPy (the .venv-pypy scripts/setup.sh makes) serves gdb a guest to its exit."""
from __future__ import annotations

import os
import re
import shutil
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


def test_gdb_debugs_the_demo_guest_to_its_exit_through_a_server_on_pypy(pypy_venv, demo_elf, tmp_path):
    implementation = subprocess.run([pypy_venv, "-c", "import sys; print(sys.implementation.name)"],
                                    capture_output=True, text=True, check=True).stdout
    assert implementation == "pypy\n"
    port_file, uart_log = tmp_path / "port", tmp_path / "uart"
    server = subprocess.Popen([pypy_venv, "-m", "gdbstub", "serve", str(demo_elf), "--port", "0", "--once",
                               "--port-file", str(port_file), "--uart-log", str(uart_log)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(600):
            if port_file.exists() and port_file.read_text().strip() or server.poll() is not None:
                break
            time.sleep(0.05)
        assert server.poll() is None, server.stdout.read()
        commands = [f"target remote 127.0.0.1:{port_file.read_text().strip()}", "break square",
                    "continue", "continue", "continue", "info registers r3", "print counter",
                    "x/2wx squares", "set var counter = 40", "print counter", "delete", "continue"]
        gdb = subprocess.run([find_gdb(), "-nx", "-batch", *(a for c in commands for a in ("-ex", c)), str(demo_elf)],
                             capture_output=True, text=True, timeout=120)
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()
        server.wait()
    out = gdb.stdout
    assert "square (x=0)" in out and "square (x=1)" in out and "square (x=2)" in out, out + gdb.stderr
    assert re.search(r"^r3\s+0x2\s", out, re.M), out
    assert "$1 = 2" in out and "$2 = 40" in out, out
    assert re.search(r"<squares>:\s+0x00000000\s+0x00000001", out), out
    assert "exited normally" in out, out
    assert uart_log.read_bytes().count(b"sum of squares = 140\n") == 3
