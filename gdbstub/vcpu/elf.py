"""Load a 32-bit big-endian PowerPC ELF executable into a vCPU's physical memory."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .memory import BusError

ELF_MAGIC = b"\x7fELF"
ELFCLASS32 = 1
ELFDATA2MSB = 2
EM_PPC = 20


class ElfLoadError(Exception):
    """The file is not a loadable 32-bit big-endian PowerPC ELF."""


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD segment as placed in memory (``memsz`` bytes, ``filesz`` from the file)."""
    address: int
    filesz: int
    memsz: int
    flags: str


@dataclass(frozen=True)
class LoadedElf:
    entry: int
    symbols: dict[str, int] = field(default_factory=dict)
    segments: tuple[Segment, ...] = ()


def _check_header(path: str | os.PathLike) -> None:
    """Reject what the vCPU cannot run, from the ELF identification and e_machine."""
    try:
        with open(path, "rb") as f:
            ident = f.read(20)
    except OSError as exc:
        raise ElfLoadError(f"{path}: {exc.strerror}") from exc
    if len(ident) < 20 or ident[:4] != ELF_MAGIC:
        raise ElfLoadError(f"{path}: not an ELF file")
    if ident[4] != ELFCLASS32:
        raise ElfLoadError(f"{path}: not a 32-bit ELF (class {ident[4]}); the vCPU is 32-bit")
    if ident[5] != ELFDATA2MSB:
        raise ElfLoadError(f"{path}: not big-endian (data encoding {ident[5]}); the vCPU is big-endian")
    machine = int.from_bytes(ident[18:20], "big")
    if machine != EM_PPC:
        raise ElfLoadError(f"{path}: e_machine {machine}, not PowerPC (EM_PPC = {EM_PPC})")


def load_elf(path: str | os.PathLike, cpu) -> LoadedElf:
    """Copy the PT_LOAD segments to their physical addresses (zero-filling up to memsz), set
    ``cpu.pc`` to the entry point and return the entry, the symbol table and the segments."""
    _check_header(path)
    import lief  # here, not at the top: importing it takes ~0.3 s, which `gdbstub fuzz` need not pay
    binary = lief.ELF.parse(str(path))
    if binary is None:
        raise ElfLoadError(f"{path}: malformed ELF")
    segments = []
    for segment in binary.segments:
        if segment.type != lief.ELF.Segment.TYPE.LOAD:
            continue
        data = bytes(segment.content)[:segment.physical_size]
        image = data + bytes(segment.virtual_size - len(data))
        try:
            cpu.write_physical(segment.physical_address, image)
        except BusError as exc:
            raise ElfLoadError(f"{path}: segment at {segment.physical_address:#x} "
                               f"({len(image)} bytes) is outside RAM") from exc
        flags = "".join(letter if segment.has(flag) else "-" for letter, flag in
                        (("r", lief.ELF.Segment.FLAGS.R), ("w", lief.ELF.Segment.FLAGS.W),
                         ("x", lief.ELF.Segment.FLAGS.X)))
        segments.append(Segment(segment.physical_address, len(data), len(image), flags))
    symbols = {symbol.name: symbol.value for symbol in binary.symbols if symbol.name}
    cpu.pc = binary.entrypoint
    return LoadedElf(binary.entrypoint, symbols, tuple(segments))
