"""Reply payload builders (framing and escaping are done by :mod:`.framing`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .framing import HexPayload
from .packets import ThreadId

OK = b"OK"

BREAK_KINDS = frozenset({"swbreak", "hwbreak"})
WATCH_KINDS = frozenset({"watch", "rwatch", "awatch"})


def empty() -> bytes:
    """The empty reply: "packet not supported"."""
    return b""


def _byte(value: int, what: str) -> int:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{what} {value} does not fit in one byte")
    return value


def error_message(message: str) -> bytes:
    """``E.message``; only for clients that sent ``error-message+`` in qSupported."""
    return b"E." + message.encode("utf-8")


def hex_encode(data: bytes) -> HexPayload:
    """Lower-case hex of ``data``."""
    return HexPayload(data.hex(), "ascii")


@dataclass(frozen=True)
class StopReason:
    """Why the target stopped: ``swbreak``/``hwbreak``, or a watchpoint kind with its address.

    ``addr`` is required for ``watch``/``rwatch``/``awatch`` and not sent for breakpoints.
    """

    kind: str
    addr: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in BREAK_KINDS | WATCH_KINDS:
            raise ValueError(f"unknown stop reason {self.kind!r}")
        if self.kind in WATCH_KINDS and self.addr is None:
            raise ValueError(f"{self.kind} stop reason needs an address")

    def encode(self) -> bytes:
        """The ``kind:value;`` field of a ``T`` stop reply."""
        value = b"%x" % self.addr if self.kind in WATCH_KINDS else b""
        return b"%s:%s;" % (self.kind.encode(), value)


@dataclass(frozen=True)
class ReplayLogEdge:
    """``replaylog:begin`` (or ``end``): execution reached an end of the target's recorded
    history, so a reverse (or replaying) resume can go no further."""

    edge: str

    def encode(self) -> bytes:
        if self.edge not in ("begin", "end"):
            raise ValueError(f"unknown replay log edge {self.edge!r}")
        return b"replaylog:%s;" % self.edge.encode()


def stop_reply(signal: int, *, thread: ThreadId | None = None,
               reason: StopReason | ReplayLogEdge | None = None) -> bytes:
    """``T`` stop reply: signal, thread and reason."""
    out = [b"T%02x" % _byte(signal, "signal")]
    if thread is not None:
        out.append(b"thread:%s;" % thread.encode())
    if reason is not None:
        out.append(reason.encode())
    return b"".join(out)


def console_output(text: str) -> bytes:
    """``O`` packet: text for the client's console (sent while the target runs)."""
    return b"O" + text.encode().hex().encode()


def exited(status: int) -> bytes:
    """``W`` reply: the process exited with ``status``."""
    return b"W%02x" % _byte(status, "exit status")


def killed(signal: int) -> bytes:
    """``X`` reply: the process ended by ``signal``."""
    return b"X%02x" % _byte(signal, "signal")


def current_thread(thread: ThreadId) -> bytes:
    """Reply to ``qC``."""
    return b"QC" + thread.encode()


def thread_list(threads: Iterable[ThreadId]) -> bytes:
    """Reply to ``qfThreadInfo``/``qsThreadInfo``: ``m`` and ids, or ``l`` when none are left."""
    ids = b",".join(t.encode() for t in threads)
    return b"m" + ids if ids else b"l"


def xfer_chunk(data: bytes, offset: int, length: int) -> bytes:
    """Reply to ``qXfer:…:read``: ``m`` + chunk if more follows, else ``l`` + the last chunk."""
    chunk = data[offset:offset + length]
    more = offset + length < len(data)
    return (b"m" if more else b"l") + chunk
