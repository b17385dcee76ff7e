"""A 16550A UART (byte registers, reg-shift 0) as the ppce500 DUART has at CCSR+0x4500/+0x4600.

Register behaviour follows QEMU 7.2's ``hw/char/serial.c``, which U-Boot's and Linux's 8250
drivers are known to work with, with three deliberate simplifications that keep the model a
pure function of the guest's accesses and the host's input (runs repeat exactly):

* Transmission is instantaneous: a byte written to THR goes to ``output`` at once, so LSR's
  THRE and TEMT read 1 again by the next access (QEMU behaves the same with a ready backend).
* The receive character timeout has already elapsed whenever the guest looks: data below the
  FIFO trigger level reports IIR "character timeout" (0x0C) instead of waiting four character
  times, so a single typed key interrupts at once.
* Modem lines are fixed (DCD, DSR, CTS asserted, no delta bits, so no modem-status interrupt).
  Loopback (MCR[LOOP]) is modelled: transmitted bytes come back as received ones and MSR mirrors
  MCR's outputs, which 8250 autoconfiguration probes.

Host input arrives with :meth:`feed`; bytes wait in a bounded queue and move into the 16-byte
receive FIFO (one byte without FIFOs) as the guest drains it, so nothing overruns and nothing
is lost silently: ``feed`` returns how many bytes it accepted.

Debugger reads use :meth:`peek`, which returns what a guest read would return but consumes no
byte and clears no interrupt.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Protocol

RBR_THR = 0   # receive buffer (read) / transmit holding (write); DLL when LCR[DLAB]
IER = 1       # DLM when LCR[DLAB]
IIR_FCR = 2   # interrupt identification (read) / FIFO control (write)
LCR = 3
MCR = 4
LSR = 5
MSR = 6
SCR = 7
REGISTER_COUNT = 8

IER_RDI = 0x01    # receive data available
IER_THRI = 0x02   # transmit holding register empty
IER_RLSI = 0x04   # receiver line status
IER_MSI = 0x08    # modem status

IIR_NO_INTERRUPT = 0x01
IIR_MSI = 0x00
IIR_THRI = 0x02
IIR_RDI = 0x04
IIR_RLSI = 0x06
IIR_CTI = 0x0C
IIR_ID_MASK = 0x0F
IIR_FIFO_ENABLED = 0xC0

FCR_ENABLE = 0x01
FCR_CLEAR_RX = 0x02
FCR_CLEAR_TX = 0x04
FCR_STICKY = 0xC9   # trigger level, DMA mode, enable
FCR_TRIGGER_LEVELS = {0x00: 1, 0x40: 4, 0x80: 8, 0xC0: 14}

LCR_DLAB = 0x80

MCR_DTR = 0x01
MCR_RTS = 0x02
MCR_OUT1 = 0x04
MCR_OUT2 = 0x08
MCR_LOOP = 0x10
MCR_MASK = 0x1F

LSR_DR = 0x01
LSR_OE = 0x02
LSR_BI = 0x10
LSR_THRE = 0x20
LSR_TEMT = 0x40
LSR_INTERRUPTING = 0x1E   # BI, FE, PE, OE

MSR_CTS = 0x10
MSR_DSR = 0x20
MSR_DCD = 0x80
MSR_DELTAS = 0x0F
MSR_RESET = MSR_DCD | MSR_DSR | MSR_CTS

RX_FIFO_DEPTH = 16
DEFAULT_INPUT_LIMIT = 4096


class InterruptLine(Protocol):
    def set(self, level: bool) -> None: ...


class Ns16550:
    """One UART channel; ``output`` receives transmitted bytes, ``irq`` its interrupt level."""

    size = REGISTER_COUNT

    def __init__(self, output: Callable[[bytes], None], irq: InterruptLine | None = None,
                 input_limit: int = DEFAULT_INPUT_LIMIT):
        if input_limit < 1:
            raise ValueError(f"input_limit must be positive, not {input_limit}")
        self.output = output
        self.irq = irq
        self.input_limit = input_limit
        self.reset()

    def reset(self) -> None:
        self.ier = 0
        self.fcr = 0
        self.lcr = 0
        self.mcr = 0
        self.lsr = LSR_TEMT | LSR_THRE
        self.msr = MSR_RESET
        self.scr = 0
        self.divisor = 0
        self.rbr = 0
        self.rx_fifo: deque[int] = deque()
        self.waiting = bytearray()   # host input not yet in the receiver
        self.thr_pending = False
        self.iir = IIR_NO_INTERRUPT
        self.irq_level = False
        self._update_interrupt()

    # --- host side -------------------------------------------------------------------------

    def feed(self, data: bytes) -> int:
        """Queue console input for the guest; returns how many bytes fitted (the rest is refused)."""
        accepted = min(len(data), self.input_limit - len(self.waiting))
        self.waiting += data[:accepted]
        self._refill()
        self._update_interrupt()
        return accepted

    @property
    def input_pending(self) -> int:
        """Bytes fed but not yet read by the guest."""
        return len(self.waiting) + (len(self.rx_fifo) if self._fifo_on else self.lsr & LSR_DR)

    # --- bus side --------------------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        value = 0
        for reg in range(offset, offset + size):
            value = value << 8 | self._read_register(reg % REGISTER_COUNT)
        return value

    def peek(self, offset: int, size: int) -> int:
        value = 0
        for reg in range(offset, offset + size):
            value = value << 8 | self._register_value(reg % REGISTER_COUNT)
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        for i, reg in enumerate(range(offset, offset + size)):
            self._write_register(reg % REGISTER_COUNT, value >> (8 * (size - 1 - i)) & 0xFF)

    # --- snapshots -------------------------------------------------------------------------

    _SCALARS = ("ier", "fcr", "lcr", "mcr", "lsr", "msr", "scr", "divisor", "rbr",
                "thr_pending", "iir", "irq_level")

    def save(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name) for name in self._SCALARS}
        state["rx_fifo"] = bytes(self.rx_fifo)
        state["waiting"] = bytes(self.waiting)
        return state

    def restore(self, state: dict[str, Any]) -> None:
        """Puts every register back; the interrupt line is not driven (the machine restores it)."""
        for name in self._SCALARS:
            setattr(self, name, state[name])
        self.rx_fifo = deque(state["rx_fifo"])
        self.waiting = bytearray(state["waiting"])

    # --- registers -------------------------------------------------------------------------

    @property
    def _fifo_on(self) -> bool:
        return bool(self.fcr & FCR_ENABLE)

    @property
    def _dlab(self) -> bool:
        return bool(self.lcr & LCR_DLAB)

    def _register_value(self, reg: int) -> int:
        if reg == RBR_THR:
            if self._dlab:
                return self.divisor & 0xFF
            if self._fifo_on:
                return self.rx_fifo[0] if self.rx_fifo else 0
            return self.rbr
        if reg == IER:
            return self.divisor >> 8 if self._dlab else self.ier
        if reg == IIR_FCR:
            return self.iir
        if reg == LCR:
            return self.lcr
        if reg == MCR:
            return self.mcr
        if reg == LSR:
            return self.lsr
        if reg == MSR:
            if self.mcr & MCR_LOOP:
                return ((self.mcr & (MCR_OUT1 | MCR_OUT2)) << 4 | (self.mcr & MCR_RTS) << 3
                        | (self.mcr & MCR_DTR) << 5)
            return self.msr
        return self.scr

    def _read_register(self, reg: int) -> int:
        value = self._register_value(reg)
        if reg == RBR_THR and not self._dlab:
            self._consume_received()
        elif reg == IIR_FCR and value & IIR_ID_MASK == IIR_THRI:
            self.thr_pending = False
        elif reg == LSR:
            self.lsr &= ~(LSR_BI | LSR_OE)
        elif reg == MSR and not self.mcr & MCR_LOOP:
            self.msr &= ~MSR_DELTAS
        else:
            return value
        self._update_interrupt()
        return value

    def _write_register(self, reg: int, value: int) -> None:
        if reg == RBR_THR:
            if self._dlab:
                self.divisor = self.divisor & 0xFF00 | value
                return
            self._transmit(value)
        elif reg == IER:
            if self._dlab:
                self.divisor = self.divisor & 0x00FF | value << 8
                return
            changed = (self.ier ^ value) & 0x0F
            self.ier = value & 0x0F
            if changed & IER_THRI:
                self.thr_pending = bool(self.ier & IER_THRI and self.lsr & LSR_THRE)
        elif reg == IIR_FCR:
            self._write_fcr(value)
        elif reg == LCR:
            self.lcr = value
            return
        elif reg == MCR:
            self.mcr = value & MCR_MASK
            self._refill()
        elif reg == SCR:
            self.scr = value
            return
        else:   # LSR and MSR are read-only
            return
        self._update_interrupt()

    def _write_fcr(self, value: int) -> None:
        if value == self.fcr:
            return
        if (value ^ self.fcr) & FCR_ENABLE:
            value |= FCR_CLEAR_RX | FCR_CLEAR_TX
        if value & FCR_CLEAR_RX:
            self.rx_fifo.clear()
            self.lsr &= ~(LSR_DR | LSR_BI)
        self.fcr = value & FCR_STICKY
        self._refill()

    def _transmit(self, byte: int) -> None:
        if self.mcr & MCR_LOOP:
            self._receive(byte)
        else:
            self.output(bytes((byte,)))
        self.lsr |= LSR_THRE | LSR_TEMT
        self.thr_pending = True

    def _consume_received(self) -> None:
        if self._fifo_on:
            if self.rx_fifo:
                self.rx_fifo.popleft()
        self.lsr &= ~(LSR_DR | LSR_BI)
        self._refill()
        if self._fifo_on and self.rx_fifo:
            self.lsr |= LSR_DR

    def _receive(self, byte: int) -> None:
        """One byte reaches the receiver; a full receiver overruns (only loopback can do that)."""
        if self._fifo_on:
            if len(self.rx_fifo) < RX_FIFO_DEPTH:
                self.rx_fifo.append(byte)
            else:
                self.lsr |= LSR_OE
        else:
            if self.lsr & LSR_DR:
                self.lsr |= LSR_OE
            self.rbr = byte
        self.lsr |= LSR_DR

    def _refill(self) -> None:
        """Moves waiting host input into the receiver as far as it has room (none in loopback)."""
        if self.mcr & MCR_LOOP or not self.waiting:
            return
        room = RX_FIFO_DEPTH - len(self.rx_fifo) if self._fifo_on else int(not self.lsr & LSR_DR)
        if room <= 0:
            return
        for byte in self.waiting[:room]:
            self._receive(byte)
        del self.waiting[:room]

    def _rx_interrupt_id(self) -> int:
        if not self._fifo_on or len(self.rx_fifo) >= FCR_TRIGGER_LEVELS[self.fcr & 0xC0]:
            return IIR_RDI
        return IIR_CTI

    def _update_interrupt(self) -> None:
        if self.ier & IER_RLSI and self.lsr & LSR_INTERRUPTING:
            cause = IIR_RLSI
        elif self.ier & IER_RDI and self.lsr & LSR_DR:
            cause = self._rx_interrupt_id()
        elif self.ier & IER_THRI and self.thr_pending:
            cause = IIR_THRI
        elif self.ier & IER_MSI and self.msr & MSR_DELTAS:
            cause = IIR_MSI
        else:
            cause = IIR_NO_INTERRUPT
        self.iir = cause | (IIR_FIFO_ENABLED if self._fifo_on else 0)
        level = cause != IIR_NO_INTERRUPT
        if level != self.irq_level:
            self.irq_level = level
            if self.irq is not None:
                self.irq.set(level)
