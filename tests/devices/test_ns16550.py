"""The 16550 UART: registers, FIFOs, interrupts as QEMU's serial.c raises them, host input."""
from __future__ import annotations

import pytest

from gdbstub.devices.ns16550 import (
    FCR_CLEAR_RX, FCR_ENABLE, IER_RDI, IER_RLSI, IER_THRI, IIR_CTI, IIR_FCR, IIR_NO_INTERRUPT,
    IIR_RDI, IIR_RLSI, IIR_THRI, IER, LCR, LCR_DLAB, LSR, LSR_DR, LSR_OE, LSR_TEMT, LSR_THRE,
    MCR, MCR_LOOP, MSR, RBR_THR, RX_FIFO_DEPTH, SCR, Ns16550,
)


@pytest.fixture
def uart(make_line):
    out = bytearray()
    line = make_line()
    device = Ns16550(out.extend, line)
    device.out, device.line = out, line
    return device


def test_reset_state_reads_as_an_idle_16550(uart):
    assert uart.read(LSR, 1) == LSR_TEMT | LSR_THRE
    assert uart.read(IIR_FCR, 1) == IIR_NO_INTERRUPT
    assert uart.read(MSR, 1) == 0xB0   # DCD, DSR, CTS
    assert uart.read(IER, 1) == 0
    assert not uart.line.changes


def test_thr_bytes_go_to_the_output_and_the_transmitter_is_ready_again(uart):
    for byte in b"hi\n":
        uart.write(RBR_THR, 1, byte)
    assert bytes(uart.out) == b"hi\n"
    assert uart.read(LSR, 1) & (LSR_THRE | LSR_TEMT) == LSR_THRE | LSR_TEMT


def test_divisor_latch_is_behind_dlab_and_does_not_transmit(uart):
    uart.write(LCR, 1, LCR_DLAB | 0x03)
    uart.write(RBR_THR, 1, 0x36)
    uart.write(IER, 1, 0x01)
    assert (uart.read(RBR_THR, 1), uart.read(IER, 1)) == (0x36, 0x01)
    assert uart.out == b""
    uart.write(LCR, 1, 0x03)
    assert uart.read(IER, 1) == 0 and uart.read(LCR, 1) == 0x03
    uart.write(LCR, 1, LCR_DLAB)
    assert uart.divisor == 0x0136


def test_scratch_register_keeps_its_value(uart):
    uart.write(SCR, 1, 0x5A)
    assert uart.read(SCR, 1) == 0x5A


def test_received_bytes_without_fifo_arrive_one_at_a_time(uart):
    assert uart.feed(b"ab") == 2
    assert uart.read(LSR, 1) & LSR_DR
    assert uart.read(RBR_THR, 1) == ord("a")
    assert uart.read(LSR, 1) & LSR_DR
    assert uart.read(RBR_THR, 1) == ord("b")
    assert not uart.read(LSR, 1) & LSR_DR
    assert not uart.read(LSR, 1) & LSR_OE


def test_fifo_takes_sixteen_and_refills_from_waiting_input(uart):
    uart.write(IIR_FCR, 1, FCR_ENABLE)
    data = bytes(range(40))
    assert uart.feed(data) == 40
    assert len(uart.rx_fifo) == RX_FIFO_DEPTH
    assert uart.input_pending == 40
    got = bytes(uart.read(RBR_THR, 1) for _ in range(40))
    assert got == data
    assert not uart.read(LSR, 1) & LSR_DR
    assert uart.read(RBR_THR, 1) == 0   # an empty FIFO reads 0, as on QEMU


def test_input_beyond_the_limit_is_refused_not_dropped_silently():
    device = Ns16550(lambda data: None, input_limit=4)
    assert device.feed(b"abcdef") == 4   # one into RBR, three waiting; the rest refused
    assert device.feed(b"x") == 1
    assert bytes(device.read(RBR_THR, 1) for _ in range(5)) == b"abcdx"


def test_rx_interrupt_follows_data_available(uart):
    uart.write(IER, 1, IER_RDI)
    assert not uart.line.level
    uart.feed(b"k")
    assert uart.line.level
    assert uart.read(IIR_FCR, 1) == IIR_RDI
    uart.read(RBR_THR, 1)
    assert not uart.line.level
    assert uart.read(IIR_FCR, 1) == IIR_NO_INTERRUPT


def test_fifo_below_trigger_level_reports_character_timeout(uart):
    uart.write(IIR_FCR, 1, FCR_ENABLE | 0x80)   # trigger at 8 bytes, as Linux sets it
    uart.write(IER, 1, IER_RDI)
    uart.feed(b"ab")
    assert uart.line.level
    assert uart.read(IIR_FCR, 1) == 0xC0 | IIR_CTI
    uart.feed(b"cdefgh")
    assert uart.read(IIR_FCR, 1) == 0xC0 | IIR_RDI


def test_thre_interrupt_rises_when_enabled_and_clears_on_iir_read(uart):
    uart.write(IER, 1, IER_THRI)
    assert uart.line.level
    assert uart.read(IIR_FCR, 1) == IIR_THRI
    assert not uart.line.level
    assert uart.read(IIR_FCR, 1) == IIR_NO_INTERRUPT
    uart.write(RBR_THR, 1, ord("x"))   # the byte leaves at once: THR empty again
    assert uart.line.level
    uart.write(IER, 1, 0)
    assert not uart.line.level


def test_rewriting_ier_with_thri_already_set_does_not_re_raise(uart):
    uart.write(IER, 1, IER_THRI)
    uart.read(IIR_FCR, 1)
    uart.write(IER, 1, IER_THRI | IER_RDI)
    assert not uart.line.level


def test_rx_interrupt_outranks_thre(uart):
    uart.write(IER, 1, IER_THRI | IER_RDI)
    uart.feed(b"z")
    assert uart.read(IIR_FCR, 1) == IIR_RDI
    uart.read(RBR_THR, 1)
    assert uart.read(IIR_FCR, 1) == IIR_THRI


def test_fcr_clear_rx_flushes_the_fifo(uart):
    uart.write(IIR_FCR, 1, FCR_ENABLE)
    uart.feed(b"abc")
    uart.write(IIR_FCR, 1, FCR_ENABLE | FCR_CLEAR_RX)
    assert not uart.read(LSR, 1) & LSR_DR
    assert uart.read(IIR_FCR, 1) & 0xC0 == 0xC0


def test_loopback_returns_transmitted_bytes_and_mirrors_modem_lines(uart):
    uart.write(MCR, 1, MCR_LOOP | 0x0A)   # RTS and OUT2
    assert uart.read(MSR, 1) == 0x90      # CTS and DCD
    uart.write(RBR_THR, 1, 0x55)
    assert uart.out == b""
    assert uart.read(RBR_THR, 1) == 0x55
    uart.feed(b"q")                       # host input waits while looped back
    assert not uart.read(LSR, 1) & LSR_DR
    uart.write(MCR, 1, 0)
    assert uart.read(RBR_THR, 1) == ord("q")


def test_loopback_overrun_sets_oe_which_lsr_read_clears_and_rlsi_reports(uart):
    uart.write(MCR, 1, MCR_LOOP)
    uart.write(IER, 1, IER_RLSI)
    uart.write(RBR_THR, 1, 1)
    uart.write(RBR_THR, 1, 2)
    assert uart.read(IIR_FCR, 1) == IIR_RLSI
    assert uart.read(LSR, 1) & LSR_OE
    assert not uart.read(LSR, 1) & LSR_OE
    assert uart.read(IIR_FCR, 1) == IIR_NO_INTERRUPT


def test_peek_consumes_nothing_and_clears_no_interrupt(uart):
    uart.write(IER, 1, IER_THRI | IER_RDI)
    uart.feed(b"pq")
    for _ in range(3):
        assert uart.peek(RBR_THR, 1) == ord("p")
        assert uart.peek(IIR_FCR, 1) == IIR_RDI
        assert uart.peek(LSR, 1) & LSR_DR
    assert uart.read(RBR_THR, 1) == ord("p")
    uart.read(RBR_THR, 1)
    assert uart.peek(IIR_FCR, 1) == IIR_THRI
    assert uart.line.level   # a peek at IIR leaves THRE pending
    assert uart.read(IIR_FCR, 1) == IIR_THRI
    assert not uart.line.level


def test_wider_accesses_split_into_big_endian_register_bytes(uart):
    uart.write(SCR, 1, 0x77)
    assert uart.read(4, 4) == (0 << 24) | (LSR_TEMT | LSR_THRE) << 16 | 0xB0 << 8 | 0x77
    uart.write(2, 2, 0x0100 | 0x03)   # FCR = 1 (enable), LCR = 3
    assert uart.read(LCR, 1) == 3 and uart.fcr & FCR_ENABLE


def test_save_and_restore_reproduce_every_register_and_queued_byte(uart):
    uart.write(IIR_FCR, 1, FCR_ENABLE)
    uart.write(IER, 1, IER_RDI)
    uart.feed(bytes(range(20)))
    state = uart.save()
    first = [uart.read(RBR_THR, 1) for _ in range(20)]
    assert not uart.line.level
    uart.restore(state)
    assert uart.irq_level and uart.read(IIR_FCR, 1) == 0xC0 | IIR_RDI
    assert [uart.read(RBR_THR, 1) for _ in range(20)] == first
    fresh = Ns16550(lambda data: None)
    fresh.restore(state)
    assert fresh.save() == state


def test_bad_input_limit_is_a_clear_error():
    with pytest.raises(ValueError):
        Ns16550(lambda data: None, input_limit=0)


def test_u_boot_ns16550_init_and_polled_io(uart):
    """NS16550_init, then putc/getc as U-Boot's driver does them (polling LSR)."""
    uart.write(IER, 1, 0)
    assert uart.read(LSR, 1) & LSR_TEMT
    uart.write(LCR, 1, LCR_DLAB | 0x03)
    uart.write(RBR_THR, 1, 0x0D)
    uart.write(IER, 1, 0x00)
    uart.write(LCR, 1, 0x03)
    uart.write(MCR, 1, 0x03)
    uart.write(IIR_FCR, 1, 0x07)
    for byte in b"=> ":
        while not uart.read(LSR, 1) & LSR_THRE:
            pass
        uart.write(RBR_THR, 1, byte)
    assert uart.out == b"=> "
    assert not uart.read(LSR, 1) & LSR_DR        # tstc: nothing typed yet
    uart.feed(b"v")
    assert uart.read(LSR, 1) & LSR_DR
    assert uart.read(RBR_THR, 1) == ord("v")
    assert not uart.line.changes                  # polled: the interrupt never asserted


def test_linux_8250_thre_reassertion_probe_finds_no_bug(uart):
    """serial8250_do_startup's UART_BUG_THRE test: THRE must re-assert when IER[THRI] is re-set."""
    uart.write(IER, 1, IER_THRI)
    iir1 = uart.read(IIR_FCR, 1)
    uart.write(IER, 1, 0)
    uart.write(IER, 1, IER_THRI)
    iir = uart.read(IIR_FCR, 1)
    uart.write(IER, 1, 0)
    assert not iir1 & IIR_NO_INTERRUPT and not iir & IIR_NO_INTERRUPT
    assert uart.line.changes == [True, False, True, False]
