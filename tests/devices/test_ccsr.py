"""The CCSR container: routing to devices, zeros elsewhere, one log line per unmodelled register."""
from __future__ import annotations

import logging

import pytest

from gdbstub.devices.ccsr import (
    MPIC_OFFSET, PCI_OFFSET, UART0_OFFSET, UART1_OFFSET, Ccsr,
)
from gdbstub.devices.mpic import Mpic
from gdbstub.devices.ns16550 import Ns16550
from gdbstub.devices.pci import PciHost


class Registers:
    """A fake device that records accesses (what a moved GUTS would be to the container)."""

    def __init__(self):
        self.accesses: list[tuple] = []
        self.value = 0

    def read(self, offset, size):
        self.accesses.append(("read", offset, size))
        return self.value

    def peek(self, offset, size):
        return self.value

    def write(self, offset, size, value):
        self.accesses.append(("write", offset, size, value))
        self.value = value

    def save(self):
        return self.value

    def restore(self, state):
        self.value = state


@pytest.fixture
def board(make_line):
    out = bytearray()
    uart0 = Ns16550(out.extend)
    uart1 = Ns16550(out.extend)
    mpic = Mpic(make_line())
    pci = PciHost()
    guts = Registers()
    ccsr = Ccsr([(UART0_OFFSET, 8, uart0), (UART1_OFFSET, 8, uart1), (MPIC_OFFSET, mpic.size, mpic),
                 (PCI_OFFSET, pci.size, pci), (0xE0000, 0x1000, guts)])
    return ccsr, out, uart0, mpic, guts


def test_accesses_reach_the_device_at_their_offset_in_it(board):
    ccsr, out, uart0, mpic, guts = board
    ccsr.write(UART0_OFFSET, 1, ord("A"))
    assert out == b"A"
    assert ccsr.read(UART0_OFFSET + 5, 1) == 0x60
    assert ccsr.read(MPIC_OFFSET + 0x1000, 4) == 0x00C30002
    ccsr.write(0xE00B0, 4, 2)
    assert guts.accesses == [("write", 0xB0, 4, 2)]


def test_unmodelled_registers_read_zero_ignore_writes_and_log_once(board, caplog):
    ccsr = board[0]
    with caplog.at_level(logging.WARNING, logger="gdbstub.devices.ccsr"):
        assert ccsr.read(0x5000, 4) == 0      # the LBC's LCRR, which U-Boot reads early
        ccsr.write(0x5000, 4, 0xFFFFFFFF)
        assert ccsr.read(0x5000, 4) == 0
        ccsr.read(0x3000, 1)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "0x05000" in lines[0] and "0x03000" in lines[1]


def test_the_log_is_bounded_however_many_registers_are_touched(caplog):
    ccsr = Ccsr([], log_limit=4)
    with caplog.at_level(logging.WARNING, logger="gdbstub.devices.ccsr"):
        for offset in range(0, 0x1000, 4):
            ccsr.read(offset, 4)
    assert len(caplog.records) == 5
    assert "no longer logging" in caplog.records[-1].getMessage()


def test_peek_goes_to_the_device_peek_and_never_logs(board, caplog):
    ccsr, _, uart0, _, _ = board
    uart0.feed(b"x")
    with caplog.at_level(logging.WARNING, logger="gdbstub.devices.ccsr"):
        assert ccsr.peek(UART0_OFFSET, 1) == ord("x")
        assert ccsr.peek(UART0_OFFSET, 1) == ord("x")
        assert ccsr.peek(0x5000, 4) == 0
    assert not caplog.records
    assert ccsr.read(UART0_OFFSET, 1) == ord("x")


def test_an_access_running_past_a_window_is_unmodelled(board):
    ccsr, out, *_ = board
    ccsr.write(UART0_OFFSET + 6, 4, 0x41414141)
    assert out == b""
    assert ccsr.read(UART0_OFFSET + 6, 4) == 0


def test_overlapping_or_outside_windows_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        Ccsr([(0x4500, 0x100, Registers()), (0x4580, 8, Registers())])
    with pytest.raises(ValueError, match="inside"):
        Ccsr([(0xFFFF0, 0x100, Registers())])


def test_save_and_restore_cover_every_device(board):
    ccsr, _, uart0, _, guts = board
    ccsr.write(UART0_OFFSET + 7, 1, 0x11)
    guts.value = 5
    state = ccsr.save()
    ccsr.write(UART0_OFFSET + 7, 1, 0x22)
    guts.value = 6
    ccsr.restore(state)
    assert ccsr.read(UART0_OFFSET + 7, 1) == 0x11 and guts.value == 5
    with pytest.raises(ValueError):
        ccsr.restore(state[:-1])


class MpicInput:
    """What the board's interrupt line does: a device output wired to an MPIC source."""

    def __init__(self, mpic: Mpic, source: int):
        self.mpic, self.source = mpic, source

    def set(self, level: bool) -> None:
        self.mpic.irq_in(self.source, level)


def test_uart_receive_interrupt_reaches_the_core_through_the_mpic(make_line):
    core_external_input = make_line()
    mpic = Mpic(core_external_input)
    uart = Ns16550(lambda data: None, MpicInput(mpic, 42))
    ccsr = Ccsr([(UART0_OFFSET, 8, uart), (MPIC_OFFSET, mpic.size, mpic)])
    ccsr.write(MPIC_OFFSET + 0x10000 + 42 * 0x20, 4, 5 << 16 | 0x2A)   # unmask, priority 5
    ccsr.write(MPIC_OFFSET + 0x20080, 4, 0)                            # CTPR 0
    ccsr.write(UART0_OFFSET + 1, 1, 0x01)                              # IER: receive data
    uart.feed(b"k")
    assert core_external_input.level
    assert mpic.acknowledge() == 0x2A                                  # what EPR latches
    assert ccsr.read(UART0_OFFSET, 1) == ord("k")
    ccsr.write(MPIC_OFFSET + 0x200B0, 4, 0)                            # EOI
    assert not core_external_input.level
