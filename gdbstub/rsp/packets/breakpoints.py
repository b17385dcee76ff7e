"""Breakpoint and watchpoint packets: ``Z`` inserts a point, ``z`` removes one.

A ``Z0``/``Z1`` may carry the breakpoint's conditions (``;X len,bytecode`` items, agent
expressions) when the stub offered ``ConditionalBreakpoints+``; its commands (``;cmds:...``)
are not offered and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import BadArguments, hex_bytes, number

MAX_POINT_TYPE = 4
"""Types 0-4 exist today; a higher one is a type gdb may add later, and parses as unknown."""


@dataclass(frozen=True)
class InsertPoint:
    """``Z``: type 0 software, 1 hardware breakpoint, 2 write, 3 read, 4 access watchpoint;
    ``conditions``: the bytecode of each condition, if any (the point stops when one holds)."""

    type: int
    addr: int
    kind: int
    conditions: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class RemovePoint:
    type: int
    addr: int
    kind: int


def _point(cls):
    def parse(args: bytes):
        head, _, options = args.partition(b";")
        fields = head.split(b",")
        if len(fields) != 3:
            raise BadArguments("expected type,addr,kind")
        ptype = number(fields[0], "type")
        if ptype > MAX_POINT_TYPE:
            return None
        point = (ptype, number(fields[1], "address"), number(fields[2], "kind"))
        if cls is RemovePoint:
            return cls(*point)
        return cls(*point, conditions=_conditions(options.partition(b"cmds:")[0]))

    return parse


def _conditions(text: bytes) -> tuple[bytes, ...]:
    """The bytecodes of a condition list: ``X len,hex`` items, each after a ``;``."""
    items = []
    for item in text.split(b";"):
        if not item:
            continue
        length_text, comma, digits = item[1:].partition(b",")
        if item[:1] != b"X" or not comma:
            raise BadArguments(f"expected X len,bytes in the condition list, got {item[:16]!r}")
        length = number(length_text, "condition length")
        if len(digits) != 2 * length:
            raise BadArguments(f"a condition of {len(digits) / 2:g} bytes where {length} were announced")
        items.append(hex_bytes(digits, "condition"))
    return tuple(items)


LETTERS = {
    b"Z": _point(InsertPoint),
    b"z": _point(RemovePoint),
}

NAMED: list = []
