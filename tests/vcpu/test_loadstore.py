"""Loads and stores: every addressing form, sign extension, byte reversal, multiple words,
reservations, dcbz, alignment and bus errors."""
from __future__ import annotations

import signal

import pytest

from gdbstub.vcpu.stops import Fault

DATA = 0x200000   # test data lives in RAM above the snippet
DATA_ASM = "lis 3, 0x20\n"   # r3 = DATA


@pytest.fixture
def data_cpu(asm):
    """``data_cpu(text, data)``: run ``text`` (r3 = DATA) with ``data`` stored at DATA first."""
    def run(text: str, data: bytes = b"", **registers):
        loaded = asm(DATA_ASM + text, **registers)
        loaded.cpu.write_memory(DATA, data)
        assert loaded.run_to() is None
        return loaded.cpu
    return run


SAMPLE = bytes.fromhex("8899aabbccddeeff0011223344556677")


@pytest.mark.parametrize("text, r5, r3_after", [
    ("lbz 5, 1(3)", 0x99, DATA),
    ("lbzu 5, 1(3)", 0x99, DATA + 1),
    ("lhz 5, 2(3)", 0xAABB, DATA),
    ("lhzu 5, 2(3)", 0xAABB, DATA + 2),
    ("lha 5, 2(3)", 0xFFFFAABB, DATA),
    ("lhau 5, 10(3)", 0x2233, DATA + 10),
    ("lwz 5, 4(3)", 0xCCDDEEFF, DATA),
    ("lwzu 5, 4(3)", 0xCCDDEEFF, DATA + 4),
    ("lwz 5, 1(3)", 0x99AABBCC, DATA),            # misaligned: handled in hardware
    ("li 4, 3\n lbzx 5, 3, 4", 0xBB, DATA),
    ("li 4, 3\n lbzux 5, 3, 4", 0xBB, DATA + 3),
    ("li 4, 6\n lhzx 5, 3, 4", 0xEEFF, DATA),
    ("li 4, 6\n lhzux 5, 3, 4", 0xEEFF, DATA + 6),
    ("li 4, 0\n lhax 5, 3, 4", 0xFFFF8899, DATA),
    ("li 4, 12\n lhaux 5, 3, 4", 0x4455, DATA + 12),
    ("li 4, 8\n lwzx 5, 3, 4", 0x00112233, DATA),
    ("li 4, 8\n lwzux 5, 3, 4", 0x00112233, DATA + 8),
    ("li 4, 0\n lwbrx 5, 3, 4", 0xBBAA9988, DATA),
    ("li 4, 2\n lhbrx 5, 3, 4", 0xBBAA, DATA),
    ("lwz 5, -4(4)", 0x44556677, DATA),           # negative displacement
])
def test_loads(data_cpu, text, r5, r3_after):
    cpu = data_cpu(text, SAMPLE, r4=DATA + 16)
    assert cpu.gpr[5] == r5
    assert cpu.gpr[3] == r3_after


@pytest.mark.parametrize("text, offset, stored, r3_after", [
    ("stb 5, 1(3)", 1, b"\x44", DATA),
    ("stbu 5, 1(3)", 1, b"\x44", DATA + 1),
    ("sth 5, 2(3)", 2, b"\x33\x44", DATA),
    ("sthu 5, -2(4)", 6, b"\x33\x44", DATA),
    ("stw 5, 4(3)", 4, b"\x11\x22\x33\x44", DATA),
    ("stwu 5, 4(3)", 4, b"\x11\x22\x33\x44", DATA + 4),
    ("stw 5, 3(3)", 3, b"\x11\x22\x33\x44", DATA),  # misaligned
    ("li 6, 5\n stbx 5, 3, 6", 5, b"\x44", DATA),
    ("li 6, 5\n stbux 5, 3, 6", 5, b"\x44", DATA + 5),
    ("li 6, 6\n sthx 5, 3, 6", 6, b"\x33\x44", DATA),
    ("li 6, 6\n sthux 5, 3, 6", 6, b"\x33\x44", DATA + 6),
    ("li 6, 8\n stwx 5, 3, 6", 8, b"\x11\x22\x33\x44", DATA),
    ("li 6, 8\n stwux 5, 3, 6", 8, b"\x11\x22\x33\x44", DATA + 8),
    ("li 6, 8\n stwbrx 5, 3, 6", 8, b"\x44\x33\x22\x11", DATA),
    ("li 6, 8\n sthbrx 5, 3, 6", 8, b"\x44\x33", DATA),
])
def test_stores(data_cpu, text, offset, stored, r3_after):
    cpu = data_cpu(text, bytes(16), r4=DATA + 8, r5=0x11223344)
    expected = bytearray(16)
    expected[offset:offset + len(stored)] = stored
    assert cpu.read_memory(DATA, 16) == bytes(expected)
    assert cpu.gpr[3] == r3_after


def test_lmw_stmw_round_trip(data_cpu):
    cpu = data_cpu("lmw 26, 0(3)\n stmw 26, 32(3)", SAMPLE + bytes(8))
    assert cpu.gpr[26:32] == [0x8899AABB, 0xCCDDEEFF, 0x00112233, 0x44556677, 0, 0]
    assert cpu.read_memory(DATA + 32, 24) == SAMPLE + bytes(8)


@pytest.mark.parametrize("text", ["lmw 30, 2(3)", "stmw 30, 2(3)", "lwarx 5, 3, 4", "stwcx. 5, 3, 4"])
def test_word_aligned_only_instructions_raise_alignment(asm, text):
    loaded = asm(DATA_ASM + text, r4=1)
    exit = loaded.run_to()
    assert isinstance(exit, Fault) and exit.signal == signal.SIGSEGV
    assert "alignment" in exit.reason and f"{DATA + (2 if 'mw' in text else 1):#010x}" in exit.reason


def test_reservation_pairs_and_loss(data_cpu):
    cpu = data_cpu("""
        li      4, 0
        lwarx   5, 3, 4
        addi    5, 5, 1
        stwcx.  5, 3, 4
        mfcr    6
        stwcx.  5, 3, 4          # the reservation was used up
        mfcr    7
        lwarx   5, 3, 4
        li      8, 4
        stwcx.  5, 3, 8          # another address
        mfcr    8
        lwarx   5, 3, 4
        stw     4, 0(3)          # the reserved word changed
        stwcx.  5, 3, 4
        mfcr    9
    """, bytes(4) + b"\x00\x00\x00\x09", xer=0x80000000)
    assert cpu.gpr[6] >> 28 == 0b0011, "success: EQ and SO"
    assert cpu.gpr[7] >> 28 == cpu.gpr[8] >> 28 == cpu.gpr[9] >> 28 == 0b0001
    assert cpu.read_memory(DATA, 8) == bytes(4) + b"\x00\x00\x00\x09"


def test_dcbz_zeroes_the_64_byte_line(data_cpu):
    cpu = data_cpu("li 4, 0x47\n dcbz 3, 4", b"\xff" * 192)
    assert cpu.read_memory(DATA, 192) == b"\xff" * 64 + bytes(64) + b"\xff" * 64


def test_cache_hints_are_harmless(data_cpu):
    cpu = data_cpu("""
        li 4, 0
        dcbt 3, 4
        dcbtst 3, 4
        dcbst 3, 4
        dcbf 3, 4
        dcba 3, 4
        dcbi 3, 4
        icbt 0, 3, 4
        li 5, 1
    """, b"\x12")
    assert cpu.gpr[5] == 1 and cpu.read_memory(DATA, 1) == b"\x12"


@pytest.mark.parametrize("word", [
    0x84630004,   # lwzu 3, 4(3): RA = RT
    0x84A00004,   # lwzu 5, 4(0)
    0x94A00004,   # stwu 5, 4(0)
    0x7C6320EE,   # lbzux 3, 3, 4: RA = RT
])
def test_invalid_update_forms_are_illegal(asm, word):
    exit = asm(DATA_ASM + f".long {word:#x}").run_to()
    assert isinstance(exit, Fault) and exit.signal == signal.SIGILL


@pytest.mark.parametrize("text, store", [("lwz 5, 0(3)", False), ("stw 5, 0(3)", True)])
def test_bus_error_is_a_data_storage_interrupt(asm, text, store):
    loaded = asm("lis 3, 0x7000\n" + text)
    exit = loaded.run_to()
    assert isinstance(exit, Fault) and exit.signal == signal.SIGSEGV
    assert "data storage" in exit.reason and "0x70000000" in exit.reason
    assert loaded.cpu.pc == loaded.symbols["_start"] + 4, "PC stays on the faulting access"
