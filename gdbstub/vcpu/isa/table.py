"""The encoding table: ``@instruction`` registers semantics (and optionally an emit template and
the encoding's invalid forms), ``decode`` looks words up."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Callable, NamedTuple

from ..interrupts import illegal
from .forms import Form


class Encoding(NamedTuple):
    name: str
    semantics: Callable
    form: Form
    emit: Callable | None = None      # emit(emitter, *fields): the inline code (translate.py)
    reserved: int = 0                 # word bits that must be 0
    valid: Callable | None = None     # valid(*fields): False for an invalid form


_primary: dict[int, Encoding] = {}
_extended: dict[int, dict[int, Encoding]] = {}
_registers_only: set[Callable] = set()


def instruction(name: str, opcode: int, xo: int | None = None, *, form: Form, registers_only: bool = False,
                emit: Callable | None = None, reserved: int = 0, valid: Callable | None = None) -> Callable:
    """Register the decorated semantics function for ``opcode`` (and extended opcode ``xo``).

    The extended opcode is given as the form defines it (10 bits for X/XL/XFX, 9 for XO,
    5 for A); every 10-bit pattern it covers maps to the function. Clashes raise at import.
    ``registers_only``: the function reads and writes only GPRs, CR, XER, LR, CTR and the
    next PC, and never raises, whatever its operands and the machine state (no memory, no
    privilege, no interrupt); the stub relies on it to answer a single step before the step
    runs (``Cpu.next_step_is_quiet``).
    ``emit(emitter, *fields)``: the instruction's inline code in translated blocks (see
    ``translate.py`` for the emitter); without it blocks call the semantics.
    ``reserved`` (word bits that must be 0) and ``valid(*fields)`` describe the invalid forms
    that execute as an illegal instruction (Program interrupt) before anything else happens:
    ``decode`` gives those words the illegal semantics, so neither the semantics nor the
    template see them.
    """
    def register(fn: Callable) -> Callable:
        encoding = Encoding(name, fn, form, emit, reserved, valid)
        if registers_only:
            _registers_only.add(fn)
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


def no_code(emitter, *fields) -> None:
    """The emit template of an instruction without effect on this model (a barrier, a cache
    hint): nothing, so that blocks neither call it nor end a loop's registers in locals there."""


def lookup(word: int) -> Encoding | None:
    """The table entry ``word``'s opcode selects (valid form or not), or None if there is none."""
    opcode = word >> 26
    encoding = _primary.get(opcode)
    if encoding is None and opcode in _extended:
        encoding = _extended[opcode].get((word >> 1) & 0x3FF)
    return encoding


def registered() -> Iterator[tuple[int, Encoding]]:
    """Every table entry as ``(word, encoding)``: the word has the entry's opcode (and one
    extended-opcode pattern it covers) and all other bits 0."""
    for opcode, encoding in _primary.items():
        yield opcode << 26, encoding
    for opcode, table in _extended.items():
        for pattern, encoding in table.items():
            yield opcode << 26 | pattern << 1, encoding


def touches_only_registers(semantics: Callable) -> bool:
    """True for semantics registered with ``registers_only``."""
    return semantics in _registers_only


def illegal_instruction(cpu) -> None:
    """Semantics of every word the table does not know, and of invalid forms."""
    raise illegal()


def decode(word: int) -> tuple[Callable, tuple]:
    """``(semantics, args)`` such that ``semantics(cpu, *args)`` executes ``word``."""
    encoding = lookup(word)
    if encoding is None or word & encoding.reserved:
        return illegal_instruction, ()
    args = encoding.form.extract(word)
    if encoding.valid is not None and not encoding.valid(*args):
        return illegal_instruction, ()
    return encoding.semantics, args
