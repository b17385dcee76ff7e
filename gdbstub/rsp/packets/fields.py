"""The argument grammar every packet family shares: hex numbers, hex data, thread ids.

Each parser raises :class:`BadArguments`, which :func:`~gdbstub.rsp.packets.parse_packet`
turns into a ``Malformed`` packet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_U64 = 1 << 64
_HEX_NUM = re.compile(rb"[0-9a-fA-F]+")
_HEX_BYTES = re.compile(rb"(?:[0-9a-fA-F]{2})*")


class BadArguments(Exception):
    """A recognised packet's arguments do not parse; the message says why."""


@dataclass(frozen=True)
class ThreadId:
    """A thread id: ``tid`` or ``p<pid>.<tid>``; -1 means all, 0 means any."""

    pid: int | None
    tid: int

    def encode(self) -> bytes:
        """The wire form, e.g. ``b"1"``, ``b"-1"`` or ``b"p1.2"``."""
        tid = _id_hex(self.tid)
        return tid if self.pid is None else b"p%s.%s" % (_id_hex(self.pid), tid)


def _id_hex(value: int) -> bytes:
    return b"-1" if value == -1 else b"%x" % value


def number(text: bytes, what: str, limit: int = _U64) -> int:
    """A hex number below ``limit``."""
    if not _HEX_NUM.fullmatch(text):
        raise BadArguments(f"bad hex {what} {text[:32]!r}")
    value = int(text, 16)
    if value >= limit:
        raise BadArguments(f"{what} {text[:24]!r} out of range")
    return value


def hex_bytes(text: bytes, what: str) -> bytes:
    """The bytes that pairs of hex digits stand for."""
    if not _HEX_BYTES.fullmatch(text):
        raise BadArguments(f"bad hex {what}")
    return bytes.fromhex(text.decode("ascii"))


def split(text: bytes, sep: bytes, what: str) -> tuple[bytes, bytes]:
    """``text`` before and after the first ``sep``, which must be there."""
    head, found, tail = text.partition(sep)
    if not found:
        raise BadArguments(f"missing {sep.decode()!r} in {what}")
    return head, tail


def text(raw: bytes, what: str) -> str:
    """``raw`` as UTF-8 text."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadArguments(f"{what} is not UTF-8") from None


def _id_part(raw: bytes, what: str) -> int:
    return -1 if raw == b"-1" else number(raw, what)


def thread_id(raw: bytes) -> ThreadId:
    """A :class:`ThreadId` in either wire form."""
    if raw[:1] != b"p":
        return ThreadId(None, _id_part(raw, "thread id"))
    pid, dot, tid = raw[1:].partition(b".")
    return ThreadId(_id_part(pid, "process id"), _id_part(tid, "thread id") if dot else -1)


def addr_len(raw: bytes) -> tuple[int, int]:
    """``addr,length`` as two numbers."""
    addr, length = split(raw, b",", "address,length")
    return number(addr, "address"), number(length, "length")


def optional_addr(args: bytes) -> int | None:
    """An address, or None if there are no arguments."""
    return number(args, "address") if args else None


def signal(raw: bytes) -> int:
    """A signal number (one byte)."""
    return number(raw, "signal", 256)


def optional_pid(args: bytes, sep: bytes) -> int | None:
    """``<sep>pid``, or None if there are no arguments."""
    if not args:
        return None
    if args[:1] != sep:
        raise BadArguments(f"expected '{sep.decode()}pid'")
    return number(args[1:], "process id")


def no_args(cls):
    """A parser for a packet that takes no arguments."""
    def parse(args: bytes):
        if args:
            raise BadArguments("unexpected arguments")
        return cls()

    return parse
