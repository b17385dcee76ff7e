"""Load a 32-bit big-endian PowerPC ELF executable into a vCPU's RAM.

Everything is checked before anything is written: a file that is not a regular file (a FIFO
would block the server), a truncated or inconsistent one, an object that is not linked, or a
segment that does not lie wholly in RAM (device windows included) is an :class:`ElfLoadError`
with one line that says why, and the vCPU is left as it was. The file is mapped, not read, so
its size costs no memory.
"""
from __future__ import annotations

import contextlib
import mmap
import os
import stat
import struct
from dataclasses import dataclass, field

ELF_MAGIC = b"\x7fELF"
ELFCLASS32 = 1
ELFDATA2MSB = 2
EM_PPC = 20
LOADABLE_TYPES = {2: "executable", 3: "shared object"}     # e_type ET_EXEC, ET_DYN
E_TYPE_NAMES = {0: "no file type", 1: "relocatable object (.o): link it first", 4: "core dump"}
PT_LOAD = 1
SHT_SYMTAB, SHT_DYNSYM = 2, 11
PF_X, PF_W, PF_R = 1, 2, 4

_HEADER = struct.Struct(">16sHHIIIIIHHHHHH")     # Elf32_Ehdr
_PROGRAM_HEADER = struct.Struct(">8I")            # Elf32_Phdr
_SECTION_HEADER = struct.Struct(">10I")           # Elf32_Shdr
_SYMBOL = struct.Struct(">IIIBBH")                # Elf32_Sym


class ElfLoadError(Exception):
    """The file is not a loadable 32-bit big-endian PowerPC ELF."""


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD segment as placed in memory (``memsz`` bytes, ``filesz`` from the file) at
    ``address``, physical; ``virtual`` is where it is linked to run."""
    address: int
    filesz: int
    memsz: int
    flags: str
    virtual: int


@dataclass(frozen=True)
class LoadedElf:
    entry: int
    symbols: dict[str, int] = field(default_factory=dict)
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class _LoadSegment:
    offset: int
    segment: Segment


def load_elf(path: str | os.PathLike, cpu) -> LoadedElf:
    """Copy the PT_LOAD segments to their physical addresses (zero-filling up to memsz), set
    ``cpu.pc`` to the entry point and return the entry, the symbol table and the segments."""
    with _mapped(path) as image:
        entry, loads = _program(image, path, cpu.memory)
        symbols = _symbols(image, path)
        for load in loads:
            seg = load.segment
            data = image[load.offset:load.offset + seg.filesz]
            cpu.write_physical(seg.address, data + bytes(seg.memsz - seg.filesz))
    cpu.pc = entry
    return LoadedElf(entry, symbols, tuple(load.segment for load in loads))


@contextlib.contextmanager
def _mapped(path):
    """The file's bytes, mapped read-only; a regular file only (a FIFO would block)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ElfLoadError(f"{path}: not a regular file")
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < _HEADER.size:
                raise ElfLoadError(f"{path}: not an ELF file")
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as image:
                yield image
    except OSError as exc:
        raise ElfLoadError(f"{path}: {exc.strerror or exc}") from None


def _program(image, path, memory) -> tuple[int, list[_LoadSegment]]:
    """The entry point and the PT_LOAD segments, every one checked."""
    (ident, e_type, machine, _, entry, phoff, _, _, _, phentsize, phnum, _, _, _) = _HEADER.unpack_from(image)
    if ident[:4] != ELF_MAGIC:
        raise ElfLoadError(f"{path}: not an ELF file")
    if ident[4] != ELFCLASS32:
        raise ElfLoadError(f"{path}: not a 32-bit ELF (class {ident[4]}); the vCPU is 32-bit")
    if ident[5] != ELFDATA2MSB:
        raise ElfLoadError(f"{path}: not big-endian (data encoding {ident[5]}); the vCPU is big-endian")
    if machine != EM_PPC:
        raise ElfLoadError(f"{path}: e_machine {machine}, not PowerPC (EM_PPC = {EM_PPC})")
    if e_type not in LOADABLE_TYPES:
        raise ElfLoadError(f"{path}: a {E_TYPE_NAMES.get(e_type, f'file of type {e_type}')}, not an executable")
    if phnum and phentsize != _PROGRAM_HEADER.size:
        raise ElfLoadError(f"{path}: program headers of {phentsize} bytes, not {_PROGRAM_HEADER.size}")
    _within(image, path, phoff, phnum * _PROGRAM_HEADER.size, "the program header table")
    loads = []
    for index in range(phnum):
        (p_type, offset, vaddr, paddr, filesz, memsz, flags, _) = _PROGRAM_HEADER.unpack_from(
            image, phoff + index * _PROGRAM_HEADER.size)
        if p_type != PT_LOAD:
            continue
        where = f"segment {index} at {paddr:#x}"
        _within(image, path, offset, filesz, where)
        if memsz < filesz:
            raise ElfLoadError(f"{path}: {where}: p_memsz {memsz:#x} is less than p_filesz {filesz:#x}")
        if not memory.is_ram(paddr, memsz):
            raise ElfLoadError(f"{path}: {where} ({memsz:#x} bytes) is outside RAM "
                               f"(0 to {memory.ram_size:#x})")
        letters = "".join(letter if flags & bit else "-" for letter, bit in (("r", PF_R), ("w", PF_W), ("x", PF_X)))
        loads.append(_LoadSegment(offset, Segment(paddr, filesz, memsz, letters, vaddr)))
    if not any(load.segment.memsz for load in loads):
        raise ElfLoadError(f"{path}: no loadable segment")
    return entry, loads


def _symbols(image, path) -> dict[str, int]:
    """Name to value for every named symbol of the symbol tables (none if there is none)."""
    (_, _, _, _, _, _, shoff, _, _, _, _, shentsize, shnum, _) = _HEADER.unpack_from(image)
    if not shnum:
        return {}
    if shentsize != _SECTION_HEADER.size:
        raise ElfLoadError(f"{path}: section headers of {shentsize} bytes, not {_SECTION_HEADER.size}")
    _within(image, path, shoff, shnum * _SECTION_HEADER.size, "the section header table")
    sections = [_SECTION_HEADER.unpack_from(image, shoff + i * _SECTION_HEADER.size) for i in range(shnum)]
    symbols = {}
    for (_, sh_type, _, _, offset, size, link, _, _, entsize) in sections:
        if sh_type not in (SHT_SYMTAB, SHT_DYNSYM):
            continue
        if entsize != _SYMBOL.size or link >= shnum:
            raise ElfLoadError(f"{path}: a malformed symbol table")
        _within(image, path, offset, size, "the symbol table")
        strings_offset, strings_size = sections[link][4], sections[link][5]
        _within(image, path, strings_offset, strings_size, "the symbol string table")
        strings = image[strings_offset:strings_offset + strings_size]
        for start in range(offset, offset + size - _SYMBOL.size + 1, _SYMBOL.size):
            name_offset, value = _SYMBOL.unpack_from(image, start)[:2]
            end = strings.find(b"\0", name_offset)
            if name_offset and 0 <= name_offset < end:
                symbols[strings[name_offset:end].decode("utf-8", "replace")] = value
    return symbols


def _within(image, path, offset: int, size: int, what: str) -> None:
    if offset + size > len(image):
        raise ElfLoadError(f"{path}: truncated: {what} ({size:#x} bytes at offset {offset:#x}) "
                           f"ends beyond the file ({len(image):#x} bytes)")
