"""General queries and settings: ``qSupported``, ``qAttached``, ``qXfer`` reads, ``qRcmd``
(monitor commands), ``vMustReplyEmpty``, ``QStartNoAckMode``, and LLDB's ``qHostInfo`` and
``qWatchpointSupportInfo``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .fields import BadArguments, addr_len, hex_bytes, no_args, optional_pid, text


@dataclass(frozen=True)
class QSupported:
    features: Mapping[str, str | bool]   # read-only: parsed packets are shared (see parse_packet)


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
class StartNoAckMode:
    pass


@dataclass(frozen=True)
class HostInfo:
    pass


@dataclass(frozen=True)
class WatchpointSupportInfo:
    pass


_FLAGS = {b"+": True, b"-": False, b"?": "?"}


def _supported(args: bytes) -> QSupported:
    features: dict[str, str | bool] = {}
    if args:
        if args[:1] != b":":
            raise BadArguments("expected ':'")
        for item in args[1:].split(b";"):
            name, eq, value = item.partition(b"=")
            if eq:
                features[text(name, "feature")] = text(value, "feature value")
            elif item[-1:] in _FLAGS:
                features[text(item[:-1], "feature")] = _FLAGS[item[-1:]]
            elif item:
                raise BadArguments(f"bad feature {item[:32]!r}")
    return QSupported(MappingProxyType(features))


def _xfer(args: bytes) -> XferRead | None:
    obj, _, rest = args.partition(b":")
    op, sep, rest = rest.partition(b":")
    if not sep:
        raise BadArguments("expected object:op:annex:offset,length")
    if op != b"read":
        return None
    annex, sep, span = rest.rpartition(b":")
    if not sep:
        raise BadArguments("expected annex:offset,length")
    offset, length = addr_len(span)
    return XferRead(text(obj, "object"), text(annex, "annex"), offset, length)


def _rcmd(args: bytes) -> MonitorCommand:
    return MonitorCommand(text(hex_bytes(args, "command"), "command"))


LETTERS: dict = {}

NAMED = [
    (b"qSupported", _supported, b":"),
    (b"qXfer:", _xfer, None),
    (b"qRcmd,", _rcmd, None),
    (b"qAttached", lambda a: Attached(optional_pid(a, b":")), b":"),
    (b"QStartNoAckMode", no_args(StartNoAckMode), b""),
    (b"vMustReplyEmpty", no_args(MustReplyEmpty), b""),
    (b"qHostInfo", no_args(HostInfo), b""),
    (b"qWatchpointSupportInfo", lambda a: WatchpointSupportInfo() if a in (b"", b":") else None, b":"),
]
