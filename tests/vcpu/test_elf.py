"""The ELF loader: segments, zero fill, entry, symbols, and clear errors."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.elf import ElfLoadError, load_elf
from gdbstub.vcpu.memory import Memory

GUEST = """
    .globl _start
_start:
    b       _start
    .data
    .globl  initialised
initialised:
    .long   0x11223344
    .bss
    .globl  zeroed
zeroed:
    .space  64
"""


@pytest.fixture(scope="module")
def guest_elf():
    return build_asm(GUEST, name="vcpu-elf")


def test_loads_segments_entry_and_symbols(guest_elf):
    cpu = Cpu(Memory(4 << 20))
    bss = load_elf(guest_elf, cpu).symbols["zeroed"]
    cpu.write_memory(bss, b"\xff" * 64)      # stale contents must be zero-filled by a reload
    loaded = load_elf(guest_elf, cpu)
    assert loaded.entry == cpu.pc == loaded.symbols["_start"] == 0x100000
    assert cpu.read_memory(loaded.symbols["initialised"], 4) == bytes.fromhex("11223344")
    assert cpu.read_memory(bss, 64) == bytes(64)
    assert any(seg.memsz > seg.filesz for seg in loaded.segments), "bss is zero fill"
    assert cpu.read_memory(cpu.pc, 4) == bytes.fromhex("48000000")


def _patched(tmp_path, elf, offset, value):
    data = bytearray(elf.read_bytes())
    data[offset:offset + len(value)] = value
    path = tmp_path / "patched.elf"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("offset, value, message", [
    (0, b"\x7fELG", "not an ELF"),
    (4, b"\x02", "not a 32-bit ELF"),
    (5, b"\x01", "not big-endian"),
    (18, b"\x00\x3e", "not PowerPC"),          # e_machine = EM_X86_64
])
def test_rejects_wrong_files(tmp_path, guest_elf, offset, value, message):
    with pytest.raises(ElfLoadError, match=message):
        load_elf(_patched(tmp_path, guest_elf, offset, value), Cpu(Memory(4 << 20)))


def test_rejects_missing_files_and_segments_outside_ram(tmp_path, guest_elf):
    with pytest.raises(ElfLoadError, match="No such file"):
        load_elf(tmp_path / "missing.elf", Cpu(Memory(1 << 20)))
    with pytest.raises(ElfLoadError, match="outside RAM"):
        load_elf(guest_elf, Cpu(Memory(1 << 20)))   # linked at 1 MiB
    short = tmp_path / "short.elf"
    short.write_bytes(b"\x7fELF")
    with pytest.raises(ElfLoadError, match="not an ELF"):
        load_elf(short, Cpu(Memory(1 << 20)))
