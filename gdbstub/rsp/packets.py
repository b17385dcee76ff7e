"""Typed RSP packets: :func:`parse_packet` turns a decoded payload into a dataclass.

Unrecognised packets become :class:`Unknown` (the server answers with an empty
reply); recognised packets with bad arguments become :class:`Malformed`.
``parse_packet`` never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

_U64 = 1 << 64
_HEX_NUM = re.compile(rb"[0-9a-fA-F]+")
_HEX_BYTES = re.compile(rb"(?:[0-9a-fA-F]{2})*")


class _Bad(Exception):
    """Raised by the argument parsers; becomes :class:`Malformed`."""


# --- packet types -----------------------------------------------------------


@dataclass(frozen=True)
class ThreadId:
    """A thread id: ``tid`` or ``p<pid>.<tid>``; -1 means all, 0 means any."""

    pid: int | None
    tid: int

    def encode(self) -> bytes:
        """The wire form, e.g. ``b"1"``, ``b"-1"`` or ``b"p1.2"``."""
        tid = _id_hex(self.tid)
        return tid if self.pid is None else b"p%s.%s" % (_id_hex(self.pid), tid)


@dataclass(frozen=True)
class QSupported:
    features: Mapping[str, str | bool]   # read-only: parsed packets are shared (see parse_packet)


@dataclass(frozen=True)
class QueryHaltReason:
    pass


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


@dataclass(frozen=True)
class Continue:
    addr: int | None


@dataclass(frozen=True)
class ContinueSignal:
    signal: int
    addr: int | None


@dataclass(frozen=True)
class Step:
    addr: int | None


@dataclass(frozen=True)
class StepSignal:
    signal: int
    addr: int | None


@dataclass(frozen=True)
class VContQuery:
    pass


@dataclass(frozen=True)
class VContAction:
    """One ``vCont`` action; ``kind`` is one of ``c C s S t r``."""

    kind: str
    signal: int | None = None
    thread: ThreadId | None = None
    range: tuple[int, int] | None = None


@dataclass(frozen=True)
class VCont:
    actions: tuple[VContAction, ...]


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


@dataclass(frozen=True)
class SetThread:
    op: str
    thread: ThreadId


@dataclass(frozen=True)
class ThreadAlive:
    thread: ThreadId


@dataclass(frozen=True)
class CurrentThread:
    pass


@dataclass(frozen=True)
class ThreadInfoFirst:
    pass


@dataclass(frozen=True)
class ThreadInfoNext:
    pass


@dataclass(frozen=True)
class Attached:
    pid: int | None


@dataclass(frozen=True)
class XferRead:
    object: str
    annex: str
    offset: int
    length: int


@dataclass(frozen=True)
class MonitorCommand:
    command: str


@dataclass(frozen=True)
class MustReplyEmpty:
    pass


@dataclass(frozen=True)
class Detach:
    pid: int | None


@dataclass(frozen=True)
class Kill:
    pass


@dataclass(frozen=True)
class StartNoAckMode:
    pass


@dataclass(frozen=True)
class Unknown:
    payload: bytes


@dataclass(frozen=True)
class Malformed:
    payload: bytes
    reason: str


Packet = (
    QSupported | QueryHaltReason | ReadRegisters | WriteRegisters | ReadRegister | WriteRegister
    | ReadMemory | WriteMemory | WriteMemoryBinary | Continue | ContinueSignal | Step | StepSignal
    | VContQuery | VCont | InsertPoint | RemovePoint | SetThread | ThreadAlive | CurrentThread
    | ThreadInfoFirst | ThreadInfoNext | Attached | XferRead | MonitorCommand | MustReplyEmpty
    | Detach | Kill | StartNoAckMode | Unknown | Malformed
)


# --- argument parsers -------------------------------------------------------


def _id_hex(value: int) -> bytes:
    return b"-1" if value == -1 else b"%x" % value


def _num(text: bytes, what: str, limit: int = _U64) -> int:
    """A hex number below ``limit``."""
    if not _HEX_NUM.fullmatch(text):
        raise _Bad(f"bad hex {what} {text[:32]!r}")
    value = int(text, 16)
    if value >= limit:
        raise _Bad(f"{what} {text[:24]!r} out of range")
    return value


def _hex_bytes(text: bytes, what: str) -> bytes:
    if not _HEX_BYTES.fullmatch(text):
        raise _Bad(f"bad hex {what}")
    return bytes.fromhex(text.decode("ascii"))


def _split(text: bytes, sep: bytes, what: str) -> tuple[bytes, bytes]:
    head, found, tail = text.partition(sep)
    if not found:
        raise _Bad(f"missing {sep.decode()!r} in {what}")
    return head, tail


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Bad(f"{what} is not UTF-8") from None


def _id_part(text: bytes, what: str) -> int:
    return -1 if text == b"-1" else _num(text, what)


def _thread_id(text: bytes) -> ThreadId:
    if text[:1] != b"p":
        return ThreadId(None, _id_part(text, "thread id"))
    pid, dot, tid = text[1:].partition(b".")
    return ThreadId(_id_part(pid, "process id"), _id_part(tid, "thread id") if dot else -1)


def _addr_len(text: bytes) -> tuple[int, int]:
    addr, length = _split(text, b",", "address,length")
    return _num(addr, "address"), _num(length, "length")


def _optional_addr(args: bytes) -> int | None:
    return _num(args, "address") if args else None


def _signal(text: bytes) -> int:
    return _num(text, "signal", 256)


def _signal_addr(args: bytes) -> tuple[int, int | None]:
    sig, sep, addr = args.partition(b";")
    return _signal(sig), _num(addr, "address") if sep else None


def _no_args(cls):
    def parse(args: bytes):
        if args:
            raise _Bad("unexpected arguments")
        return cls()

    return parse


def _data_with_length(args: bytes, decode) -> tuple[int, bytes]:
    header, data = _split(args, b":", "memory write")
    addr, length = _addr_len(header)
    data = decode(data)
    if len(data) != length:
        raise _Bad(f"length {length} does not match {len(data)} data bytes")
    return addr, data


def _p_write_memory(args: bytes) -> WriteMemory:
    return WriteMemory(*_data_with_length(args, lambda d: _hex_bytes(d, "data")))


def _p_write_memory_binary(args: bytes) -> WriteMemoryBinary:
    return WriteMemoryBinary(*_data_with_length(args, bytes))


def _p_write_register(args: bytes) -> WriteRegister:
    regno, value = _split(args, b"=", "register write")
    return WriteRegister(_num(regno, "register number"), _hex_bytes(value, "register value"))


def _point(cls):
    def parse(args: bytes):
        # Conditions and commands after ';' are accepted and ignored.
        fields = args.partition(b";")[0].split(b",")
        if len(fields) != 3:
            raise _Bad("expected type,addr,kind")
        ptype = _num(fields[0], "type")
        if ptype > 4:
            return None  # a point type gdb may add later: not supported
        return cls(ptype, _num(fields[1], "address"), _num(fields[2], "kind"))

    return parse


def _p_set_thread(args: bytes) -> SetThread:
    op = args[:1]
    if op not in (b"g", b"c"):
        raise _Bad(f"unsupported H operation {op!r}")
    return SetThread(op.decode(), _thread_id(args[1:]))


def _p_detach(args: bytes) -> Detach:
    if not args:
        return Detach(None)
    if args[:1] != b";":
        raise _Bad("expected ';pid'")
    return Detach(_num(args[1:], "process id"))


def _vcont_action(text: bytes) -> VContAction:
    action, colon, thread = text.partition(b":")
    tid = _thread_id(thread) if colon else None
    kind, arg = action[:1], action[1:]
    if kind in (b"c", b"s", b"t"):
        if arg:
            raise _Bad(f"unexpected argument to vCont action {kind!r}")
        return VContAction(kind.decode(), thread=tid)
    if kind in (b"C", b"S"):
        return VContAction(kind.decode(), signal=_signal(arg), thread=tid)
    if kind == b"r":
        start, end = _split(arg, b",", "vCont range")
        return VContAction("r", thread=tid, range=(_num(start, "address"), _num(end, "address")))
    raise _Bad(f"unknown vCont action {action[:8]!r}")


def _p_vcont(args: bytes) -> VCont:
    if not args.startswith(b";") or len(args) == 1:
        raise _Bad("expected ';action'")
    return VCont(tuple(_vcont_action(a) for a in args[1:].split(b";")))


def _p_supported(args: bytes) -> QSupported:
    features: dict[str, str | bool] = {}
    if args:
        if args[:1] != b":":
            raise _Bad("expected ':'")
        for item in args[1:].split(b";"):
            name, eq, value = item.partition(b"=")
            if eq:
                features[_text(name, "feature")] = _text(value, "feature value")
            elif item[-1:] in (b"+", b"-", b"?"):
                flag = {b"+": True, b"-": False, b"?": "?"}[item[-1:]]
                features[_text(item[:-1], "feature")] = flag
            elif item:
                raise _Bad(f"bad feature {item[:32]!r}")
    return QSupported(MappingProxyType(features))


def _p_attached(args: bytes) -> Attached:
    if not args:
        return Attached(None)
    if args[:1] != b":":
        raise _Bad("expected ':pid'")
    return Attached(_num(args[1:], "process id"))


def _p_xfer(args: bytes) -> XferRead | None:
    obj, _, rest = args.partition(b":")
    op, sep, rest = rest.partition(b":")
    if not sep:
        raise _Bad("expected object:op:annex:offset,length")
    if op != b"read":
        return None
    annex, sep, span = rest.rpartition(b":")
    if not sep:
        raise _Bad("expected annex:offset,length")
    offset, length = _addr_len(span)
    return XferRead(_text(obj, "object"), _text(annex, "annex"), offset, length)


def _p_rcmd(args: bytes) -> MonitorCommand:
    return MonitorCommand(_text(_hex_bytes(args, "command"), "command"))


# (name, parser, bytes that may follow the name; None = anything). A name
# followed by anything else is a different, unknown packet (qCRC, vContX).
# Each parser receives the bytes after the name and returns None for Unknown.
_NAMED = [
    (b"qSupported", _p_supported, b":"),
    (b"qXfer:", _p_xfer, None),
    (b"qRcmd,", _p_rcmd, None),
    (b"qAttached", _p_attached, b":"),
    (b"qfThreadInfo", _no_args(ThreadInfoFirst), b""),
    (b"qsThreadInfo", _no_args(ThreadInfoNext), b""),
    (b"qC", _no_args(CurrentThread), b""),
    (b"QStartNoAckMode", _no_args(StartNoAckMode), b""),
    (b"vMustReplyEmpty", _no_args(MustReplyEmpty), b""),
    (b"vCont?", _no_args(VContQuery), b""),
    (b"vCont", _p_vcont, b";"),
]

_LETTERS = {
    b"?": _no_args(QueryHaltReason),
    b"g": _no_args(ReadRegisters),
    b"G": lambda a: WriteRegisters(_hex_bytes(a, "register data")),
    b"p": lambda a: ReadRegister(_num(a, "register number")),
    b"P": _p_write_register,
    b"m": lambda a: ReadMemory(*_addr_len(a)),
    b"M": _p_write_memory,
    b"X": _p_write_memory_binary,
    b"c": lambda a: Continue(_optional_addr(a)),
    b"C": lambda a: ContinueSignal(*_signal_addr(a)),
    b"s": lambda a: Step(_optional_addr(a)),
    b"S": lambda a: StepSignal(*_signal_addr(a)),
    b"Z": _point(InsertPoint),
    b"z": _point(RemovePoint),
    b"H": _p_set_thread,
    b"T": lambda a: ThreadAlive(_thread_id(a)),
    b"D": _p_detach,
    b"k": _no_args(Kill),
}

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
    except _Bad as exc:
        return Malformed(payload, str(exc))
    return Unknown(payload) if packet is None else packet
