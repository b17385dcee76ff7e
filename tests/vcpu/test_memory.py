"""The physical bus, MMIO dispatch, and the bare board's UART and GUTS reset register."""
from __future__ import annotations

import pytest

from gdbstub.boards import bare
from gdbstub.devices.guts import Guts
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
    memory = bare.build(ram_size=4096).memory
    with pytest.raises(ValueError):
        memory.map_device(0xE0004504, 8, object())
    with pytest.raises(ValueError):
        memory.map_device(0x800, 8, object())


def test_the_bus_is_plain_and_takes_36_bit_physical_addresses():
    memory = Memory(4096)
    with pytest.raises(BusError):
        memory.read(0xE0004505, 1)              # no device unless a board maps one
    requests = []
    memory.map_device(0xF_E00E_0000, 0x1000, Guts(on_reset_request=lambda: requests.append(1)))
    memory.write(0xF_E00E_0010, 4, 0xCAFE)
    assert memory.read(0xF_E00E_0010, 4) == 0xCAFE
    memory.write(0xF_E00E_00B0, 4, 2)
    assert requests == [1]
    with pytest.raises(BusError):
        memory.read(0xE00E_0010, 4)            # the low 32 bits alone name nothing
    with pytest.raises(ValueError):
        memory.map_device(0xF_FFFF_F000, 0x2000, object())


def test_uart_transmits_and_reports_ready():
    out = []
    memory = bare.build(ram_size=4096, uart_output=out.append).memory
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


def test_guts_reset_request_halts_the_board():
    board = bare.build(ram_size=4096)
    memory, cpu = board.memory, board.cpu
    memory.write(0xE00E00B0, 4, 0)                  # other values are harmless
    memory.write(0xE00E0000, 4, 0x12345678)
    assert memory.read(0xE00E0000, 4) == 0x12345678
    assert not cpu.halt_pending
    memory.write(0xE00E00B0, 4, 2)                  # a plain write: the callback, no exception
    assert cpu.halt_pending
    cpu.gpr[3] = 0x1234
    assert cpu.run(10).status == 0x34 and cpu.icount == 0
