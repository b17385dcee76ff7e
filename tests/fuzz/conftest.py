"""A guest for the fuzzer: an endless loop of word, byte and halfword stores and loads on
``data``, with every address rebuilt right before its access so register writes heal. ``data``
is a page away from the code so its stores do not flush the vCPU's decode cache."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from gdbstub.fuzz.model import Window
from gdbstub.fuzz.strategies import Target
from gdbstub.guests.build import build_asm

FUZZ_ASM = """
    .globl _start
_start:
    li      3, 0
loop:
    addi    3, 3, 1
    lis     9, data@ha
    stw     3, data@l(9)
    lis     9, data@ha
    lwz     4, data@l+4(9)
    lis     9, data@ha
    stb     3, data@l+9(9)
    lis     9, data@ha
    lhz     5, data@l+12(9)
    b       loop
    .data
    .balign 4096
    .globl data
data:
    .long 0, 0x11111111, 0, 0x22223333
    .space 48
"""


@pytest.fixture(scope="session")
def fuzz_elf():
    return build_asm(FUZZ_ASM, name="fuzz-loop")


@pytest.fixture
def fuzz_target(serve, fuzz_elf):
    """A :class:`Target` for a fresh server of the fuzz guest: memory window on ``data``,
    code window on the loop."""
    server = serve(fuzz_elf)
    symbols = server.machine.elf.symbols
    return Target(port=server.port, memory=Window(symbols["data"], 0x40),
                  code=Window(symbols["loop"], 0x2c), run_time=0.05, timeout=10.0)


@pytest.fixture
def served(tmp_path):
    """``served(elf)`` runs ``gdbstub serve`` in a child process and returns its port: no GIL
    shared with the test, so races show as they would against a real gdb."""
    children = []

    def start(elf) -> int:
        port_file = tmp_path / f"port{len(children)}"
        child = subprocess.Popen([sys.executable, "-m", "gdbstub", "serve", str(elf), "--port", "0",
                                  "--port-file", str(port_file)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children.append(child)
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert child.poll() is None and time.monotonic() < deadline, "gdbstub serve did not start"
            time.sleep(0.05)
        return int(port_file.read_text())
    yield start
    for child in children:
        child.kill()
        child.wait()
