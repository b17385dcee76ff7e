"""Sans-IO RSP link state: acknowledgements, resends and no-ack mode.

Feed received bytes to :meth:`RspLink.receive`, send reply payloads with
:meth:`RspLink.send` and write whatever :meth:`RspLink.data_to_send` returns.
Create one link per connection: no-ack mode never carries over.
"""

from __future__ import annotations

import logging

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

LinkEvent = Frame | Interrupt
"""What :meth:`RspLink.receive` passes on: packets (each needs exactly one reply) and Ctrl-C."""


def _show(payload: bytes) -> str:
    """Printable ASCII as is, other bytes as ``\\xNN``."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in payload)


class RspLink:
    """Protocol state of one RSP connection, independent of any I/O.

    In ack mode every good frame is answered ``+`` and every bad one ``-``; a
    ``-`` from the client resends the last packet, at most ``max_resends``
    times in a row. In no-ack mode acknowledgements are neither sent nor
    expected and bad frames are only logged.
    """

    def __init__(
        self,
        *,
        max_packet: int = DEFAULT_MAX_PACKET,
        max_resends: int = DEFAULT_MAX_RESENDS,
        rle: bool = False,
        log_packets: bool = False,
    ) -> None:
        self._decoder = FrameDecoder(max_packet, runs=False)  # a stub's side: see FrameDecoder
        self._out: list[bytes] = []   # acks and frames, written together
        self._unacked: bytes | None = None  # last frame sent, until the client acks it
        self._resends = 0
        self._no_ack = False
        self._no_ack_pending = False
        self.max_resends = max_resends
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
        """Process bytes from the client; return the application events they carry."""
        events: list[LinkEvent] = []
        for ev in self._decoder.feed(data):
            kind = type(ev)
            if kind is Frame:
                if self.log_packets:
                    log.info("<- $%s", _show(ev.payload))
                self._ack(b"+")
                events.append(ev)
            elif kind is BadFrame:
                log.warning("dropped bad frame: %s", ev.reason)
                self._ack(b"-")
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

    def start_no_ack_after_reply(self) -> None:
        """Enter no-ack mode once the client acks the packet just sent.

        Call right after :meth:`send` of the ``OK`` reply to ``QStartNoAckMode``.
        """
        if self._unacked is None:
            self._no_ack = True
        else:
            self._no_ack_pending = True

    def data_to_send(self) -> bytes:
        """Drain and return the bytes queued for the client."""
        data = b"".join(self._out)
        self._out.clear()
        return data

    def _ack(self, byte: bytes) -> None:
        if not self._no_ack:
            self._out.append(byte)

    def _on_ack(self, positive: bool) -> None:
        if self._unacked is None:
            log.debug("ignoring %s with no packet outstanding", "+" if positive else "-")
        elif positive:
            self._unacked = None
            if self._no_ack_pending:
                self._no_ack_pending = False
                self._no_ack = True
        elif self._resends < self.max_resends:
            self._resends += 1
            self._out.append(self._unacked)
        else:
            log.error("giving up after %d resends of %r", self._resends, self._unacked[:64])
            self._unacked = None
            self._no_ack_pending = False
