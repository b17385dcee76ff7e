"""Sans-IO RSP link state for either end of a connection: acks, resends and no-ack mode.

Feed received bytes to :meth:`RspLink.receive`, queue packets with :meth:`RspLink.send`
and write whatever :meth:`RspLink.data_to_send` returns. The stub (the server's sessions)
and the clients (tests, the fuzzer, the QEMU differential harness) use the same link, so
both ends follow one reading of the protocol. Create one link per connection: no-ack mode
never carries over.
"""

from __future__ import annotations

import enum
import logging
from typing import Union

from .framing import (
    DEFAULT_MAX_PACKET,
    Ack,
    BadFrame,
    Frame,
    FrameDecoder,
    Interrupt,
    encode_packet,
)

log = logging.getLogger("gdbstub.rsp")

DEFAULT_MAX_RESENDS = 5

LinkEvent = Union[Frame, Interrupt]   # not `|`: evaluated, and PyPy is Python 3.9
"""What :meth:`RspLink.receive` passes on: the peer's packets (each one a stub gets needs exactly
one reply) and Ctrl-C."""


class Role(enum.Enum):
    """Which end of the connection a link serves. The ends differ in two ways only:

    - Only replies may be run-length encoded, so only a client's decoder expands runs (in a
      packet sent to a stub a ``*`` is data; see :class:`~.framing.FrameDecoder`).
    - A peer's failure that nothing will repair (a bad frame in no-ack mode, a packet
      rejected more than ``max_resends`` times) is logged by a stub, which must carry on
      whatever a client sends, and raised as :class:`LinkError` by a client, whose caller
      must hear that the stub broke the protocol.
    """

    STUB = "stub"
    CLIENT = "client"


class LinkError(Exception):
    """The peer broke the protocol beyond repair (raised in the client role only)."""


def _show(payload: bytes) -> str:
    """Printable ASCII as is, other bytes as ``\\xNN``."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in payload)


class RspLink:
    """Protocol state of one end of an RSP connection, independent of any I/O.

    In ack mode every good frame is answered ``+`` and every bad one ``-``; a ``-`` from the
    peer resends the last packet, at most ``max_resends`` times in a row (never, with
    ``resend`` False: for a client that also writes raw bytes, a ``-`` may be for those). In
    no-ack mode acknowledgements are neither sent nor expected. ``role`` is the stub's
    unless given.
    """

    def __init__(
        self,
        *,
        role: Role = Role.STUB,
        max_packet: int = DEFAULT_MAX_PACKET,
        max_resends: int = DEFAULT_MAX_RESENDS,
        resend: bool = True,
        rle: bool = False,
        log_packets: bool = False,
    ) -> None:
        self.role = role
        self._decoder = FrameDecoder(max_packet, runs=role is Role.CLIENT)
        self._out: list[bytes] = []   # acks and frames, written together
        self._unacked: bytes | None = None  # last frame sent, until the peer acks it
        self._resends = 0
        self._no_ack = False
        self._no_ack_pending = False
        self.max_resends = max_resends
        self.resend = resend
        self.rle = rle
        self.log_packets = log_packets

    @property
    def no_ack(self) -> bool:
        """True once no-ack mode is in effect."""
        return self._no_ack

    @property
    def buffered(self) -> int:
        """Bytes held for a partial incoming frame (bounded by ``max_packet``)."""
        return self._decoder.buffered

    def receive(self, data: bytes) -> list[LinkEvent]:
        """Process bytes from the peer; return the application events they carry.

        In the client role, raises :class:`LinkError` for a failure nothing will repair."""
        events: list[LinkEvent] = []
        for ev in self._decoder.feed(data):
            kind = type(ev)
            if kind is Frame:
                if self.log_packets:
                    log.info("<- $%s", _show(ev.payload))
                if not self._no_ack:
                    self._out.append(b"+")
                events.append(ev)
            elif kind is BadFrame:
                self._on_bad_frame(ev.reason)
            elif kind is Interrupt:
                events.append(ev)
            elif not self._no_ack:
                self._on_ack(kind is Ack)
        return events

    def send(self, payload: bytes) -> None:
        """Queue one packet carrying ``payload``."""
        if self.log_packets:
            log.info("-> $%s", _show(payload))
        frame = encode_packet(payload, rle=self.rle)
        self._out.append(frame)
        if not self._no_ack:
            self._unacked = frame
            self._resends = 0

    def send_interrupt(self) -> None:
        """Queue the Ctrl-C byte (0x03), which a client sends to stop a running target."""
        self._out.append(b"\x03")

    def start_no_ack_after_reply(self) -> None:
        """Enter no-ack mode once the ``OK`` to ``QStartNoAckMode`` is acknowledged.

        A stub calls this right after :meth:`send` of the ``OK``: the mode starts when the
        client acks it. A client calls this on receiving the ``OK``, which :meth:`receive`
        has acked already: the mode starts at once.
        """
        if self.role is Role.CLIENT or self._unacked is None:
            self._enter_no_ack()
        else:
            self._no_ack_pending = True

    def data_to_send(self) -> bytes:
        """Drain and return the bytes queued for the peer."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def _enter_no_ack(self) -> None:
        self._no_ack = True
        self._no_ack_pending = False
        self._unacked = None

    def _on_bad_frame(self, reason: str) -> None:
        if not self._no_ack:
            log.warning("dropped bad frame: %s", reason)
            self._out.append(b"-")   # the peer sends it again
        else:
            self._peer_failed(logging.WARNING, f"dropped bad frame in no-ack mode: {reason}")

    def _on_ack(self, positive: bool) -> None:
        if self._unacked is None:
            log.debug("ignoring %s with no packet outstanding", "+" if positive else "-")
        elif positive:
            self._unacked = None
            if self._no_ack_pending:
                self._enter_no_ack()
        elif not self.resend:
            log.debug("not resending %r", self._unacked[:64])
        elif self._resends < self.max_resends:
            self._resends += 1
            self._out.append(self._unacked)
        else:
            frame, self._unacked, self._no_ack_pending = self._unacked, None, False
            self._peer_failed(logging.ERROR, f"giving up after {self._resends} resends of {frame[:64]!r}")

    def _peer_failed(self, level: int, message: str) -> None:
        """Report a failure of the peer that no resend will repair, as :class:`Role` says."""
        if self.role is Role.CLIENT:
            raise LinkError(message)
        log.log(level, message)
