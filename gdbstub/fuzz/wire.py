"""The fuzzer's side of the wire: :class:`RspClient` plus raw bytes and reply accounting."""
from __future__ import annotations

import time

from ..rsp.client import RspClient, RspTimeout
from .model import Violation


class FuzzClient(RspClient):
    """An :class:`RspClient` that can also send raw (possibly broken) bytes and prove that
    nothing more than the expected replies arrived."""

    last_reply = b""

    def receive(self, timeout: float | None = None) -> bytes:
        """The next packet from the stub, remembered as :attr:`last_reply`."""
        self.last_reply = super().receive(timeout)
        return self.last_reply

    def send(self, payload: bytes | str) -> None:
        """Send one packet; never resend it: a stub's ``-`` can only be for the deliberate
        noise, and may arrive after the next packet went out."""
        super().send(payload)
        self._last_sent = b""

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

    def pending(self, quiet: float = 0.0) -> list[bytes]:
        """Packets that arrive without being asked for, within ``quiet`` seconds."""
        frames = []
        deadline = time.monotonic() + quiet
        while True:
            try:
                frames.append(self.receive(timeout=max(deadline - time.monotonic(), 1e-3)))
            except RspTimeout:
                return frames

    def expect_silence(self, what: str, quiet: float = 0.0) -> None:
        """Raise :class:`Violation` if a packet arrives that no request asked for."""
        extra = self.pending(quiet)
        if extra:
            raise Violation(f"{len(extra)} packet(s) more than one reply after {what}: {extra[0][:80]!r}")
