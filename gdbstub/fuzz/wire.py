"""The fuzzer's side of the wire: :class:`RspClient` plus raw bytes and reply accounting."""
from __future__ import annotations

import re

from ..rsp.client import RspClient
from ..rsp.framing import encode_packet
from .model import Violation

SYNC = encode_packet(b"g") + encode_packet(b"vMustReplyEmpty")
"""Two packets every stub answers, and whose replies a run of copies of one reply cannot mimic."""
MAX_UNASKED = 1000
_HEX_BLOCK = re.compile(rb"(?:[0-9a-fA-F]{2}|xx)+")


class FuzzClient(RspClient):
    """An :class:`RspClient` that can also send raw (possibly broken) bytes and prove that
    nothing more than the expected replies arrived."""

    last_reply = b""
    resend_on_nak = False
    """A stub's ``-`` can only be for the deliberate noise, and may come after the next packet
    went out: resending that packet would draw a reply nobody asked for."""

    def receive(self, timeout: float | None = None) -> bytes:
        """The next packet from the stub, remembered as :attr:`last_reply`."""
        self.last_reply = super().receive(timeout)
        return self.last_reply

    def send_raw(self, data: bytes) -> None:
        """Write ``data`` as is."""
        self._write(data)

    def reply(self, timeout: float | None = None) -> bytes:
        """The next packet that is not ``O`` console output."""
        while True:
            payload = self.receive(timeout)
            if not (payload[:1] == b"O" and payload != b"OK"):
                return payload

    def exchange(self, payload: bytes) -> bytes:
        """Send one packet and return its one reply."""
        self.send(payload)
        return self.reply()

    def sync(self) -> list[bytes]:
        """Send ``g`` and ``vMustReplyEmpty`` in one write and read up to their replies (a hex
        block, then the empty reply); return the packets that came before those: late replies,
        resends or packets nobody asked for. Order, not timing, tells them apart: copies of one
        reply can never look like the pair."""
        self.send_raw(SYNC)
        before: list[bytes] = []
        while len(before) <= MAX_UNASKED:
            packet = self.reply()
            if packet == b"" and before and _HEX_BLOCK.fullmatch(before[-1]):
                return before[:-1]
            before.append(packet)
        raise Violation(f"more than {MAX_UNASKED} packets came before the replies to g and vMustReplyEmpty")

    def expect_silence(self, what: str) -> None:
        """Raise :class:`Violation` if a packet came that no request asked for."""
        extra = self.sync()
        if extra:
            raise Violation(f"{len(extra)} packet(s) more than one reply after {what}: {extra[0][:80]!r}")
