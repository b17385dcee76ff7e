"""The MPC8544 global utilities block (GUTS); only the reset control register acts.

Writing HRESET_REQ to RSTCR calls the board's ``on_reset_request``; the bare board halts the
machine there with ``Halted(r3 & 0xff)`` (see ``gdbstub/guests/crt0.S``).
"""
from __future__ import annotations

from typing import Callable

from .mmio import ByteRegisterDevice

GUTS_SIZE = 0x1000
RSTCR = 0xB0
RSTCR_HRESET_REQ = 0x2


class Guts(ByteRegisterDevice):
    """A register file of zeros that remembers writes; RSTCR's HRESET_REQ requests a reset."""

    def __init__(self, on_reset_request: Callable[[], None]):
        self.on_reset_request = on_reset_request
        self.regs = bytearray(GUTS_SIZE)

    def peek(self, offset: int, size: int) -> int:
        """Reads have no side effects: a debugger sees what the guest would."""
        return self.read(offset, size)

    def save(self) -> bytes:
        return bytes(self.regs)

    def restore(self, saved: bytes) -> None:
        self.regs[:] = saved

    def read_byte(self, offset: int) -> int:
        return self.regs[offset]

    def write_byte(self, offset: int, value: int) -> None:
        self.regs[offset] = value
        if offset == RSTCR + 3 and value & RSTCR_HRESET_REQ:
            self.on_reset_request()
