"""The encoding table: ``@instruction`` registers semantics, ``decode`` looks words up."""
from __future__ import annotations

from typing import Callable, NamedTuple

from ..interrupts import illegal
from .forms import Form


class Encoding(NamedTuple):
    name: str
    semantics: Callable
    form: Form


_primary: dict[int, Encoding] = {}
_extended: dict[int, dict[int, Encoding]] = {}


def instruction(name: str, opcode: int, xo: int | None = None, *, form: Form) -> Callable:
    """Register the decorated semantics function for ``opcode`` (and extended opcode ``xo``).

    The extended opcode is given as the form defines it (10 bits for X/XL/XFX, 9 for XO,
    5 for A); every 10-bit pattern it covers maps to the function. Clashes raise at import.
    """
    def register(fn: Callable) -> Callable:
        encoding = Encoding(name, fn, form)
        if form.xo_mask is None:
            if opcode in _primary or opcode in _extended:
                raise ValueError(f"{name}: primary opcode {opcode} already taken")
            _primary[opcode] = encoding
            return fn
        if xo is None or opcode in _primary:
            raise ValueError(f"{name}: extended form needs an xo and a free primary opcode {opcode}")
        table = _extended.setdefault(opcode, {})
        for pattern in range(0x400):
            if pattern & form.xo_mask == xo:
                if pattern in table:
                    raise ValueError(f"{name}: {opcode}/{pattern} already taken by {table[pattern].name}")
                table[pattern] = encoding
        return fn
    return register


def lookup(word: int) -> Encoding | None:
    """The encoding of ``word``, or None if it is not a known instruction."""
    opcode = word >> 26
    encoding = _primary.get(opcode)
    if encoding is None and opcode in _extended:
        encoding = _extended[opcode].get((word >> 1) & 0x3FF)
    return encoding


def illegal_instruction(cpu) -> None:
    """Semantics of every word the table does not know."""
    raise illegal()


def decode(word: int) -> tuple[Callable, tuple]:
    """``(semantics, args)`` such that ``semantics(cpu, *args)`` executes ``word``."""
    encoding = lookup(word)
    if encoding is None:
        return illegal_instruction, ()
    return encoding.semantics, encoding.form.extract(word)
