"""The bare board the crt0 guests run on (MPC8544DS addresses, no MMU, no interrupts wired):
RAM at 0, the 16550 UART at 0xE0004500 and the GUTS block at 0xE00E0000, whose reset request
halts the machine (``Halted(r3 & 0xff)`` from ``run()``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .. import e500mc
from ..devices.guts import GUTS_SIZE, Guts
from ..devices.ns16550 import Ns16550
from ..vcpu.cpu import Cpu, SavedCpu
from ..vcpu.elf import LoadedElf, load_elf
from ..vcpu.memory import DEFAULT_RAM_SIZE, Memory

UART_BASE = 0xE0004500
GUTS_BASE = 0xE00E0000


@dataclass(frozen=True)
class SavedBoard:
    """A whole machine: the vCPU, and the bus (RAM and every device)."""
    cpu: SavedCpu
    memory: tuple


@dataclass
class BareBoard:
    memory: Memory
    cpu: Cpu
    uart: Ns16550
    guts: Guts

    @property
    def console(self) -> Ns16550:
        """The UART typed input goes to."""
        return self.uart
    registers = e500mc.CORE

    def boot(self, image) -> LoadedElf:
        """Load the crt0 guest ``image``; it starts at its entry with every register 0."""
        return load_elf(image, self.cpu)

    def save(self) -> SavedBoard:
        return SavedBoard(self.cpu.save(), self.memory.save())

    def restore(self, saved: SavedBoard) -> None:
        """Put the machine back as it was saved (a halt requested since then is forgotten too)."""
        self.memory.restore(saved.memory)
        self.cpu.restore(saved.cpu)


def build(*, ram_size: int = DEFAULT_RAM_SIZE, uart_output: Callable[[bytes], None] | None = None,
          iac_slots: int = 2) -> BareBoard:
    """A fresh bare board; the UART's output bytes go to ``uart_output``."""
    memory = Memory(ram_size)
    cpu = Cpu(memory, iac_slots=iac_slots)
    uart = Ns16550(uart_output or (lambda data: None))
    guts = Guts(on_reset_request=cpu.request_halt)
    memory.map_device(UART_BASE, uart.size, uart)
    memory.map_device(GUTS_BASE, GUTS_SIZE, guts)
    return BareBoard(memory, cpu, uart, guts)
