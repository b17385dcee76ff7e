"""Typed RSP packets: :func:`parse_packet` turns a decoded payload into a dataclass.

Each family of packets lives in its own module, with its dataclasses, their parsers and
the wire names it answers to: :mod:`.queries`, :mod:`.registers`, :mod:`.memory`,
:mod:`.breakpoints`, :mod:`.run_control` and :mod:`.threads` (:mod:`.fields` holds the
argument grammar they share). Each family lists the one-letter packets it parses in
``LETTERS`` and the named ones in ``NAMED``; every packet class is importable from here.

Unrecognised packets become :class:`Unknown` (the server answers with an empty
reply); recognised packets with bad arguments become :class:`Malformed`.
``parse_packet`` never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union   # not `|`: the alias is evaluated, and PyPy is Python 3.9

from . import breakpoints, memory, queries, registers, run_control, threads
from .breakpoints import InsertPoint, RemovePoint
from .fields import BadArguments, ThreadId
from .memory import ReadMemory, WriteMemory, WriteMemoryBinary
from .queries import (Attached, HostInfo, MonitorCommand, MustReplyEmpty, QSupported, StartNoAckMode,
                      WatchpointSupportInfo, XferRead)
from .registers import ReadRegister, ReadRegisters, WriteRegister, WriteRegisters
from .run_control import (
    Continue, ContinueSignal, Detach, Kill, QueryHaltReason, ReverseContinue, ReverseStep, Step, StepSignal, VCont,
    VContAction, VContQuery,
)
from .threads import CurrentThread, SetThread, ThreadAlive, ThreadInfoFirst, ThreadInfoNext

__all__ = [
    "Attached", "Continue", "ContinueSignal", "CurrentThread", "Detach", "HostInfo", "InsertPoint", "Kill",
    "Malformed", "MonitorCommand", "MustReplyEmpty", "Packet", "QSupported", "QueryHaltReason", "ReadMemory", "ReadRegister",
    "ReadRegisters", "RemovePoint", "ReverseContinue", "ReverseStep", "SetThread", "StartNoAckMode", "Step", "StepSignal", "ThreadAlive",
    "ThreadId", "ThreadInfoFirst", "ThreadInfoNext", "Unknown", "VCont", "VContAction", "VContQuery",
    "WatchpointSupportInfo", "WriteMemory", "WriteMemoryBinary", "WriteRegister", "WriteRegisters", "XferRead",
    "parse_packet",
]


@dataclass(frozen=True)
class Unknown:
    payload: bytes


@dataclass(frozen=True)
class Malformed:
    payload: bytes
    reason: str


Packet = Union[
    QSupported, QueryHaltReason, ReadRegisters, WriteRegisters, ReadRegister, WriteRegister,
    ReadMemory, WriteMemory, WriteMemoryBinary, Continue, ContinueSignal, Step, StepSignal,
    VContQuery, VCont, InsertPoint, RemovePoint, SetThread, ThreadAlive, CurrentThread,
    ThreadInfoFirst, ThreadInfoNext, Attached, XferRead, MonitorCommand, MustReplyEmpty,
    ReverseStep, ReverseContinue, Detach, Kill, StartNoAckMode, HostInfo, WatchpointSupportInfo, Unknown, Malformed
]

_FAMILIES = (queries, registers, memory, breakpoints, run_control, threads)

# (name, parser, bytes that may follow the name; None = anything). A name
# followed by anything else is a different, unknown packet (qCRC, vContX).
# Each parser receives the bytes after the name and returns None for Unknown.
_NAMED = [entry for family in _FAMILIES for entry in family.NAMED]
_LETTERS = {letter: parser for family in _FAMILIES for letter, parser in family.LETTERS.items()}

_NAMED_FIRST = (b"q", b"Q", b"v")  # every named packet starts so; single letters never do


def _parser_for(payload: bytes):
    """Return (parser, arguments) for a recognised packet, else None."""
    if payload[:1] not in _NAMED_FIRST:
        parser = _LETTERS.get(payload[:1])
        return (parser, payload[1:]) if parser else None
    for name, parser, follow in _NAMED:
        if payload.startswith(name):
            args = payload[len(name):]
            if args and follow is not None and args[:1] not in follow:
                return None
            return parser, args
    return None


_CACHE_MAX_PAYLOAD = 32    # short payloads repeat (p40, vCont;s:1, g, m ADDR,LEN)
_CACHE_ENTRIES = 1024
_parsed: dict[bytes, Packet] = {}


def parse_packet(payload: bytes) -> Packet:
    """Parse one decoded packet payload; never raises. Packets are immutable, so short
    payloads seen before are answered from a bounded cache."""
    packet = _parsed.get(payload)
    if packet is None:
        packet = _parse(payload)
        if len(payload) <= _CACHE_MAX_PAYLOAD:
            if len(_parsed) >= _CACHE_ENTRIES:
                _parsed.clear()
            _parsed[payload] = packet
    return packet


def _parse(payload: bytes) -> Packet:
    found = _parser_for(payload)
    if found is None:
        return Unknown(payload)
    parser, args = found
    try:
        packet = parser(args)
    except BadArguments as exc:
        return Malformed(payload, str(exc))
    return Unknown(payload) if packet is None else packet
