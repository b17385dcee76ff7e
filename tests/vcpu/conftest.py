"""Fixtures for the vCPU tests: assemble a snippet, load it into a fresh vCPU, run it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from gdbstub.boards import bare
from gdbstub.guests.build import build_asm, build_guest
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.elf import load_elf
from gdbstub.vcpu.stops import Halted

TEST_RAM = 4 << 20  # guests link at 1 MiB; a small RAM keeps each fresh vCPU cheap
HALT = """
    .globl done
done:
    lis     31, 0xe00e
    li      30, 2
    stw     30, 0xb0(31)
"""


@dataclass
class Loaded:
    cpu: Cpu
    symbols: dict[str, int]
    uart: bytearray

    def run_to(self, label: str = "done", max_steps: int = 10_000):
        """Step until PC reaches ``label``; returns the exit if one came first."""
        target = self.symbols[label]
        for _ in range(max_steps):
            if self.cpu.pc == target:
                return None
            exit = self.cpu.step()
            if exit is not None:
                return exit
        raise AssertionError(f"{label} not reached in {max_steps} steps (pc={self.cpu.pc:#x})")

    def word(self, label: str, index: int = 0) -> int:
        return self.cpu.memory.read(self.symbols[label] + 4 * index, 4)


def snippet_elf(text: str, name: str = "vcpu-test"):
    """The ELF of an assembly snippet: ``_start`` is defined before it, ``done`` halts after it."""
    return build_asm("    .globl _start\n_start:\n" + text + HALT, name=name)


def load(path) -> Loaded:
    uart = bytearray()
    cpu = bare.build(ram_size=TEST_RAM, uart_output=uart.extend).cpu
    return Loaded(cpu, load_elf(path, cpu).symbols, uart)


@pytest.fixture
def asm():
    """``asm(text)``: a snippet (``_start`` is defined for it, ``done`` halts) loaded into a
    fresh vCPU. Registers may be preset before running: ``asm(text, r3=1, xer=..., cr=...)``."""
    def make(text: str, **registers) -> Loaded:
        loaded = load(snippet_elf(text))
        for name, value in registers.items():
            if name.startswith("r") and name[1:].isdigit():
                loaded.cpu.gpr[int(name[1:])] = value
            else:
                setattr(loaded.cpu, name, value)
        return loaded
    return make


@pytest.fixture
def execute(asm):
    """``execute(text, **registers)``: run a snippet to ``done`` and return the vCPU."""
    def run(text: str, **registers) -> Cpu:
        loaded = asm(text, **registers)
        assert loaded.run_to() is None
        return loaded.cpu
    return run


@pytest.fixture
def c_guest(tmp_path):
    """``c_guest(source, opt)``: build a C guest (with crt0), run it to the halt; (exit, Loaded)."""
    def run(source: str, opt: str = "-O2", max_steps: int = 2_000_000):
        src = tmp_path / "guest.c"
        src.write_text(source)
        loaded = load(build_guest([src], opt=opt, name="vcpu-c"))
        exit = loaded.cpu.run(max_steps)
        assert isinstance(exit, Halted), exit
        return exit, loaded
    return run
