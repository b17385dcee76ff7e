"""Malformed guest files: each is one clear ElfLoadError at once, and nothing is written."""
from __future__ import annotations

import os
import struct
import threading
import time

import pytest

from gdbstub.boards import bare
from gdbstub.guests.build import build_asm
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.elf import ElfLoadError, load_elf
from gdbstub.vcpu.memory import Memory

GUEST = """
    .globl _start
_start:
    b       _start
    .data
    .long   0x11223344
"""
PHOFF = 28          # e_phoff in the 32-bit ELF header
RAM = 4 << 20


@pytest.fixture(scope="module")
def guest_elf():
    return build_asm(GUEST, name="elf-malformed")


def _first_load(data: bytes) -> int:
    """The file offset of the first PT_LOAD program header."""
    phoff, = struct.unpack_from(">I", data, PHOFF)
    index = 0
    while struct.unpack_from(">I", data, phoff + 32 * index)[0] != 1:
        index += 1
    return phoff + 32 * index


def _variant(tmp_path, elf, change) -> os.PathLike:
    data = bytearray(elf.read_bytes())
    change(data)
    path = tmp_path / "bad.elf"
    path.write_bytes(bytes(data))
    return path


def _set_word(field_offset):
    def change(data):
        struct.pack_into(">I", data, _first_load(data) + field_offset, change.value)
    return change


def _memsz(value):
    change = _set_word(20)
    change.value = value
    return change


def _paddr(value):
    change = _set_word(12)
    change.value = value
    return change


@pytest.mark.parametrize("change, message", [
    (lambda data: data.__delitem__(slice(len(data) // 2, None)), "truncated"),
    (lambda data: data.__setitem__(slice(52, None), b"\xa5" * (len(data) - 52)), "no loadable segment"),
    (lambda data: data.__setitem__(slice(16, 18), b"\x00\x01"), r"relocatable object \(\.o\): link it first"),
    (_memsz(0), "p_memsz 0x0 is less than p_filesz"),
    (_memsz(0xFFFFFFFF), "outside RAM"),
], ids=["truncated", "garbage-after-header", "relocatable", "memsz-below-filesz", "huge-memsz"])
def test_a_bad_file_is_one_clear_error_at_once_and_nothing_is_written(tmp_path, guest_elf, change, message):
    memory = Memory(RAM)
    cpu = Cpu(memory)
    start = time.monotonic()
    with pytest.raises(ElfLoadError, match=message) as raised:
        load_elf(_variant(tmp_path, guest_elf, change), cpu)
    assert time.monotonic() - start < 1
    assert "\n" not in str(raised.value)
    assert bytes(memory.ram) == bytes(RAM) and cpu.pc == 0


def test_a_segment_in_a_device_window_is_refused_not_written_to_the_device(tmp_path, guest_elf):
    uart = bytearray()
    board = bare.build(ram_size=RAM, uart_output=uart.extend, iac_slots=2)
    with pytest.raises(ElfLoadError, match="outside RAM"):
        load_elf(_variant(tmp_path, guest_elf, _paddr(bare.UART_BASE)), board.cpu)
    assert uart == b""
    board.memory.release()


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "guest.fifo"
    os.mkfifo(fifo)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_error_of(fifo)), daemon=True)
    worker.start()
    worker.join(5)
    assert outcome and "not a regular file" in outcome[0]


def _error_of(path) -> str:
    try:
        load_elf(path, Cpu(Memory(1 << 20)))
    except ElfLoadError as exc:
        return str(exc)
    return "loaded"
