"""The MPIC: reset values read from QEMU 7.2 under U-Boot, arbitration, IACK/EOI, EPR."""
from __future__ import annotations

import pytest

from gdbstub.devices.mpic import (
    GCR_MODE_PROXY, GCR_RESET, IPI_BASE, IVPR_ACTIVITY, IVPR_MASK, IVPR_SENSE, Mpic,
    OUTPUT_CRITICAL,
)

GCR = 0x1020
SPVR = 0x10E0
CTPR = 0x20080
IACK = 0x200A0
EOI = 0x200B0
UART_IRQ = 42


@pytest.fixture
def mpic(make_line):
    pic = Mpic(make_line())
    pic.out = pic.lines[0]
    return pic


def ivpr(n: int) -> int:
    return 0x10000 + 0x20 * n


def idr(n: int) -> int:
    return ivpr(n) + 0x10


def enable(pic: Mpic, n: int, priority: int, vector: int, level: bool = False) -> None:
    pic.write(ivpr(n), 4, priority << 16 | vector | (IVPR_SENSE if level else 0))


def test_reset_values_match_qemu_7_2_as_u_boot_dumps_them(mpic):
    # md.l at 0xe0040000, 0xe0041000, 0xe0050000, 0xe0050540, 0xe0060080 on QEMU's ppce500
    assert mpic.read(0x0, 4) == 0x00400402
    assert mpic.read(0x1000, 4) == 0x00C30002
    assert mpic.read(0x1004, 4) == 0xFFFFFFFF
    assert mpic.read(GCR, 4) == 0
    assert mpic.read(ivpr(0), 4) == 0x80000000
    assert mpic.read(idr(0), 4) == 1
    assert mpic.read(ivpr(0) + 0x18, 4) == 0
    assert mpic.read(ivpr(UART_IRQ), 4) == 0x80800000
    assert mpic.read(CTPR, 4) == 15
    assert mpic.read(0x20090, 4) == 0
    assert mpic.read(IACK, 4) == 0xFFFF
    assert mpic.read(0x21080, 4) == 0xFFFFFFFF   # a second CPU does not exist


def test_gcr_reset_restores_registers_and_reads_back_clear(mpic):
    enable(mpic, 5, 7, 0x55)
    mpic.write(CTPR, 4, 3)
    mpic.write(SPVR, 4, 0x1234)
    mpic.write(GCR, 4, GCR_RESET)
    assert mpic.read(GCR, 4) == 0
    assert mpic.read(ivpr(5), 4) == 0x80000000
    assert mpic.read(CTPR, 4) == 15
    assert mpic.read(SPVR, 4) == 0xFFFF


def test_gcr_keeps_the_mode_bits_and_proxy_mode_is_visible(mpic):
    mpic.write(GCR, 4, 0x20000000)   # U-Boot's mixed mode
    assert mpic.read(GCR, 4) == 0x20000000 and not mpic.external_proxy
    mpic.write(GCR, 4, GCR_MODE_PROXY)
    assert mpic.external_proxy


def test_masked_source_does_not_interrupt_until_unmasked(mpic):
    mpic.write(CTPR, 4, 0)
    mpic.write(ivpr(UART_IRQ), 4, IVPR_MASK | 5 << 16 | 0x2A)
    mpic.irq_in(UART_IRQ, True)
    assert not mpic.out.level
    mpic.write(ivpr(UART_IRQ), 4, 5 << 16 | 0x2A)
    assert mpic.out.level
    assert mpic.read(ivpr(UART_IRQ), 4) & IVPR_ACTIVITY


def test_level_source_iack_eoi_cycle(mpic):
    mpic.write(CTPR, 4, 0)
    enable(mpic, UART_IRQ, 5, 0x2A)
    mpic.irq_in(UART_IRQ, True)
    assert mpic.out.level
    assert mpic.read(IACK, 4) == 0x2A
    assert not mpic.out.level                  # in service: hidden until EOI
    mpic.write(EOI, 4, 0)
    assert mpic.out.level                      # still asserted by the device
    assert mpic.read(IACK, 4) == 0x2A
    mpic.irq_in(UART_IRQ, False)
    mpic.write(EOI, 4, 0)
    assert not mpic.out.level
    assert mpic.read(IACK, 4) == 0xFFFF


def test_priority_must_exceed_ctpr(mpic):
    enable(mpic, UART_IRQ, 5, 0x2A)
    mpic.write(CTPR, 4, 5)
    mpic.irq_in(UART_IRQ, True)
    assert not mpic.out.level
    assert mpic.read(IACK, 4) == 0xFFFF
    mpic.write(CTPR, 4, 4)
    assert mpic.out.level
    mpic.write(CTPR, 4, 15)
    assert not mpic.out.level
    mpic.write(CTPR, 4, 0xFFFF_FFFC)            # only the low four bits are kept
    assert mpic.read(CTPR, 4) == 12


def test_highest_priority_wins_and_nests_above_the_one_in_service(mpic):
    mpic.write(CTPR, 4, 0)
    enable(mpic, 20, 3, 0x20)
    enable(mpic, 21, 9, 0x21)
    enable(mpic, 22, 9, 0x22)
    mpic.irq_in(20, True)
    assert mpic.read(IACK, 4) == 0x20
    mpic.irq_in(22, True)
    mpic.irq_in(21, True)
    assert mpic.out.level                       # 9 is above the 3 in service
    assert mpic.read(IACK, 4) == 0x21           # equal priorities: lower source first
    mpic.irq_in(21, False)
    mpic.write(EOI, 4, 0)                       # retires 21 (highest in service)
    assert mpic.read(IACK, 4) == 0x22
    mpic.irq_in(22, False)
    mpic.write(EOI, 4, 0)
    assert not mpic.out.level                   # 20 is still in service
    mpic.write(EOI, 4, 0)
    assert mpic.out.level                       # 20 is still asserted
    assert mpic.read(IACK, 4) == 0x20


def test_edge_source_is_consumed_by_iack(mpic):
    mpic.write(CTPR, 4, 0)
    enable(mpic, 3, 4, 0x03)                    # external, edge (sense 0)
    mpic.irq_in(3, True)
    mpic.irq_in(3, False)
    assert mpic.out.level                       # the edge is latched
    assert mpic.acknowledge() == 0x03
    mpic.write(EOI, 4, 0)
    assert not mpic.out.level
    assert mpic.read(IACK, 4) == 0xFFFF


def test_external_level_source_follows_its_input(mpic):
    mpic.write(CTPR, 4, 0)
    enable(mpic, 3, 4, 0x03, level=True)
    mpic.irq_in(3, True)
    assert mpic.out.level
    mpic.irq_in(3, False)
    assert not mpic.out.level


def test_internal_sources_ignore_the_sense_bit(mpic):
    enable(mpic, UART_IRQ, 4, 0x2A, level=False)
    assert mpic.read(ivpr(UART_IRQ), 4) & IVPR_SENSE == 0
    mpic.write(CTPR, 4, 0)
    mpic.irq_in(UART_IRQ, True)
    mpic.irq_in(UART_IRQ, False)
    assert not mpic.out.level                   # level-sensitive regardless


def test_source_without_destination_does_not_interrupt(mpic):
    mpic.write(CTPR, 4, 0)
    enable(mpic, UART_IRQ, 5, 0x2A)
    mpic.write(idr(UART_IRQ), 4, 0)
    mpic.irq_in(UART_IRQ, True)
    assert not mpic.out.level
    mpic.write(idr(UART_IRQ), 4, 1)
    mpic.write(ivpr(UART_IRQ), 4, 5 << 16 | 0x2A)   # re-evaluated on the next IVPR write
    assert mpic.out.level


def test_acknowledge_returns_the_vector_for_epr_and_peek_does_not_acknowledge(mpic):
    mpic.write(CTPR, 4, 0)
    enable(mpic, UART_IRQ, 5, 0x1A2B)
    mpic.irq_in(UART_IRQ, True)
    assert mpic.peek(IACK, 4) == 0x1A2B
    assert mpic.out.level and not mpic.in_service
    assert mpic.acknowledge() == 0x1A2B
    assert mpic.in_service == {UART_IRQ}


def test_spurious_vector_is_programmable(mpic):
    mpic.write(SPVR, 4, 0xFFFF_00FF)
    assert mpic.read(SPVR, 4) == 0x00FF
    assert mpic.read(IACK, 4) == 0x00FF


def test_ipi_dispatch_interrupts_once(mpic):
    mpic.write(CTPR, 4, 0)
    mpic.write(0x10A0, 4, 6 << 16 | 0x77)       # IPI 0 vector/priority
    mpic.write(0x20040, 4, 1)                   # dispatch IPI 0 to CPU 0
    assert mpic.out.level
    assert mpic.read(IACK, 4) == 0x77
    mpic.write(EOI, 4, 0)
    assert not mpic.out.level
    assert mpic.read(0x10A0, 4) & 0xFFFF == 0x77
    assert IPI_BASE == 256


def test_critical_target_drives_the_critical_line_ignoring_priority(make_line):
    critical = make_line()
    pic = Mpic(make_line(), critical=critical)
    pic.write(ivpr(UART_IRQ) + 0x18, 4, OUTPUT_CRITICAL)
    assert pic.read(ivpr(UART_IRQ) + 0x18, 4) == OUTPUT_CRITICAL
    pic.write(ivpr(UART_IRQ), 4, 0x2A)          # priority 0 would never reach INT
    pic.irq_in(UART_IRQ, True)
    assert critical.level and not pic.lines[0].level
    pic.irq_in(UART_IRQ, False)
    assert not critical.level


def test_sub_word_reads_take_bytes_of_the_word(mpic):
    assert mpic.read(0x1002, 2) == 0x0002
    assert mpic.read(0x1001, 1) == 0xC3


def test_out_of_range_source_is_a_clear_error(mpic):
    with pytest.raises(ValueError):
        mpic.irq_in(264, True)


def test_save_and_restore_round_trip(mpic, make_line):
    mpic.write(CTPR, 4, 0)
    enable(mpic, UART_IRQ, 5, 0x2A)
    enable(mpic, 20, 7, 0x20)
    mpic.irq_in(UART_IRQ, True)
    mpic.irq_in(20, True)
    assert mpic.read(IACK, 4) == 0x20
    state = mpic.save()
    following = [mpic.read(IACK, 4), mpic.write(EOI, 4, 0), mpic.read(IACK, 4)]
    mpic.restore(state)
    assert [mpic.read(IACK, 4), mpic.write(EOI, 4, 0), mpic.read(IACK, 4)] == following
    other = Mpic(make_line())
    other.restore(state)
    assert other.save() == state


def test_an_access_straddling_two_words_is_split_between_them(mpic):
    mpic.write(SPVR, 4, 0x00001234)
    assert mpic.read(SPVR + 2, 4) == 0x1234_FFFF     # SPVR's low half, then an unknown word
    mpic.write(CTPR + 2, 4, 0x0009_FFFF)             # CTPR's low half, then WHOAMI (read-only)
    assert mpic.read(CTPR, 4) == 9
