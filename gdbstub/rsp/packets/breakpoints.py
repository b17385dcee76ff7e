"""Breakpoint and watchpoint packets: ``Z`` inserts a point, ``z`` removes one."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import BadArguments, number

MAX_POINT_TYPE = 4
"""Types 0-4 exist today; a higher one is a type gdb may add later, and parses as unknown."""


@dataclass(frozen=True)
class InsertPoint:
    """``Z``: type 0 software, 1 hardware breakpoint, 2 write, 3 read, 4 access watchpoint."""

    type: int
    addr: int
    kind: int


@dataclass(frozen=True)
class RemovePoint:
    type: int
    addr: int
    kind: int


def _point(cls):
    def parse(args: bytes):
        # Conditions and commands after ';' are accepted and ignored.
        fields = args.partition(b";")[0].split(b",")
        if len(fields) != 3:
            raise BadArguments("expected type,addr,kind")
        ptype = number(fields[0], "type")
        if ptype > MAX_POINT_TYPE:
            return None
        return cls(ptype, number(fields[1], "address"), number(fields[2], "kind"))

    return parse


LETTERS = {
    b"Z": _point(InsertPoint),
    b"z": _point(RemovePoint),
}

NAMED: list = []
