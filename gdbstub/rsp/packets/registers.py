"""Register packets: ``g`` and ``G`` (the whole file), ``p`` and ``P`` (one register)."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import hex_bytes, no_args, number, split


@dataclass(frozen=True)
class ReadRegisters:
    pass


@dataclass(frozen=True)
class WriteRegisters:
    data: bytes


@dataclass(frozen=True)
class ReadRegister:
    regno: int


@dataclass(frozen=True)
class WriteRegister:
    regno: int
    value: bytes


def _write_register(args: bytes) -> WriteRegister:
    regno, value = split(args, b"=", "register write")
    return WriteRegister(number(regno, "register number"), hex_bytes(value, "register value"))


LETTERS = {
    b"g": no_args(ReadRegisters),
    b"G": lambda a: WriteRegisters(hex_bytes(a, "register data")),
    b"p": lambda a: ReadRegister(number(a, "register number")),
    b"P": _write_register,
}

NAMED: list = []
