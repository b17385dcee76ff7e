"""The MPC8544 global utilities block (GUTS); only the reset control register acts.

Writing HRESET_REQ to RSTCR raises ``HaltRequest``; the vCPU turns it into
``Halted(r3 & 0xff)`` (see ``gdbstub/guests/crt0.S``).
"""
from __future__ import annotations

from .mmio import ByteRegisterDevice

GUTS_BASE = 0xE00E0000
GUTS_SIZE = 0x1000
RSTCR = 0xB0
RSTCR_HRESET_REQ = 0x2


class HaltRequest(Exception):
    """The guest asked the board to reset: the machine halts."""


class Guts(ByteRegisterDevice):
    """A register file of zeros that remembers writes; RSTCR's HRESET_REQ halts."""

    def __init__(self):
        self.regs = bytearray(GUTS_SIZE)

    def read_byte(self, offset: int) -> int:
        return self.regs[offset]

    def write_byte(self, offset: int, value: int) -> None:
        self.regs[offset] = value
        if offset == RSTCR + 3 and value & RSTCR_HRESET_REQ:
            raise HaltRequest()
