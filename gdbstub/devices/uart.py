"""A 16550-compatible UART with output only (the MPC8544DS has one at 0xE0004500).

The transmitter is always ready (LSR reports THRE|TEMT), nothing is ever received, and the
remaining registers simply keep what is written to them.
"""
from __future__ import annotations

from typing import Callable

from .mmio import ByteRegisterDevice

UART_SIZE = 8

THR = 0   # transmit holding (write) / receive buffer (read); divisor latch low when DLAB
IER = 1
IIR = 2   # interrupt identification (read) / FIFO control (write)
LCR = 3
LSR = 5
LCR_DLAB = 0x80
LSR_THRE_TEMT = 0x60
IIR_NO_INTERRUPT = 0x01


class Uart16550(ByteRegisterDevice):
    """Bytes written to THR go to ``output``."""

    def __init__(self, output: Callable[[bytes], None]):
        self.output = output
        self.regs = bytearray(UART_SIZE)
        self.divisor_latch = bytearray(2)

    def save(self) -> tuple[bytes, bytes]:
        return bytes(self.regs), bytes(self.divisor_latch)

    def restore(self, saved: tuple[bytes, bytes]) -> None:
        self.regs[:], self.divisor_latch[:] = saved

    def _dlab(self) -> bool:
        return bool(self.regs[LCR] & LCR_DLAB)

    def read_byte(self, offset: int) -> int:
        if offset in (THR, IER) and self._dlab():
            return self.divisor_latch[offset]
        if offset == THR:
            return 0
        if offset == IIR:
            return IIR_NO_INTERRUPT
        if offset == LSR:
            return LSR_THRE_TEMT
        return self.regs[offset]

    def write_byte(self, offset: int, value: int) -> None:
        if offset in (THR, IER) and self._dlab():
            self.divisor_latch[offset] = value
        elif offset == THR:
            self.output(bytes((value,)))
        elif offset not in (IIR, LSR):
            self.regs[offset] = value
