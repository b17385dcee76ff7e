"""Memory packets: ``m`` reads, ``M`` writes hex data, ``X`` writes binary data."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import BadArguments, addr_len, hex_bytes, split


@dataclass(frozen=True)
class ReadMemory:
    addr: int
    length: int


@dataclass(frozen=True)
class WriteMemory:
    addr: int
    data: bytes


@dataclass(frozen=True)
class WriteMemoryBinary:
    addr: int
    data: bytes


def _data_with_length(args: bytes, decode) -> tuple[int, bytes]:
    header, data = split(args, b":", "memory write")
    addr, length = addr_len(header)
    data = decode(data)
    if len(data) != length:
        raise BadArguments(f"length {length} does not match {len(data)} data bytes")
    return addr, data


def _write_memory(args: bytes) -> WriteMemory:
    return WriteMemory(*_data_with_length(args, lambda d: hex_bytes(d, "data")))


def _write_memory_binary(args: bytes) -> WriteMemoryBinary:
    return WriteMemoryBinary(*_data_with_length(args, bytes))


LETTERS = {
    b"m": lambda a: ReadMemory(*addr_len(a)),
    b"M": _write_memory,
    b"X": _write_memory_binary,
}

NAMED: list = []
