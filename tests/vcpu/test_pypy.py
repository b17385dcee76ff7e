"""The vCPU on PyPy: the benchmark guest runs to the same state as on CPython, interpreted and
translated (PyPy has no lief, so the image goes over as JSON: ``gdbstub.boards.standalone``)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gdbstub.guests.build import build_guest
from gdbstub.machine import THREAD, Machine
from gdbstub.boards.standalone import image_request, run_image, run_image_in

ROOT = Path(__file__).resolve().parents[2]
PYPY = "pypy3"


@pytest.fixture(scope="module")
def pypy():
    if shutil.which(PYPY) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{PYPY} is not installed (scripts/setup.sh installs it)")
        pytest.skip(f"{PYPY} is not installed")
    return PYPY


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
