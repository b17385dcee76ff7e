"""Physical memory, MMIO dispatch, the UART and the GUTS reset register."""
from __future__ import annotations

import pytest

from gdbstub.vcpu.guts import HaltRequest
from gdbstub.vcpu.memory import BusError, Memory


def test_ram_is_big_endian_and_bounded():
    memory = Memory(4096)
    memory.write(0x10, 4, 0x11223344)
    assert memory.read_bytes(0x10, 4) == bytes.fromhex("11223344")
    assert memory.read(0x11, 2) == 0x2233
    memory.write_bytes(0xFFE, b"\xab\xcd")
    assert memory.read(0xFFE, 2) == 0xABCD
    for addr, size in ((0xFFF, 2), (0x1000, 1), (0x8000_0000, 4)):
        with pytest.raises(BusError) as info:
            memory.read(addr, size)
        assert (info.value.addr, info.value.size, info.value.write) == (addr, size, False)
    with pytest.raises(BusError):
        memory.write(0xFFD, 4, 0)


def test_default_size_is_64_mib():
    assert Memory().ram_size == 64 << 20


def test_device_windows_may_not_overlap():
    memory = Memory(4096)
    with pytest.raises(ValueError):
        memory.map_device(0xE0004504, 8, object())
    with pytest.raises(ValueError):
        memory.map_device(0x800, 8, object())


def test_uart_transmits_and_reports_ready():
    out = []
    memory = Memory(4096, uart_output=out.append)
    base = 0xE0004500
    assert memory.read(base + 5, 1) == 0x60
    memory.write(base, 1, ord("A"))
    memory.write_bytes(base, b"B")
    memory.write(base + 7, 1, 0x5A)                 # scratch register remembers
    assert memory.read(base + 7, 1) == 0x5A
    memory.write(base + 3, 1, 0x80)                 # DLAB: offsets 0/1 are the divisor latch
    memory.write(base, 1, 0x12)
    assert memory.read(base, 1) == 0x12
    memory.write(base + 3, 1, 0x03)
    assert out == [b"A", b"B"]
    assert memory.read(base + 2, 1) == 0x01         # IIR: no interrupt pending
    with pytest.raises(BusError):
        memory.read(base + 8, 1)


def test_guts_reset_request_halts():
    memory = Memory(4096)
    memory.write(0xE00E00B0, 4, 0)                  # other values are harmless
    memory.write(0xE00E0000, 4, 0x12345678)
    assert memory.read(0xE00E0000, 4) == 0x12345678
    with pytest.raises(HaltRequest):
        memory.write(0xE00E00B0, 4, 2)
