"""A small synchronous RSP client over TCP, for tests, fuzzing and differential runs."""

from __future__ import annotations

import collections
import socket
import time

from .connection import LinkError, Role, RspLink
from .framing import DEFAULT_MAX_PACKET, Frame

MAX_RESENDS = 3


class RspError(Exception):
    """The connection failed or the stub answered something unusable."""


class RspTimeout(RspError):
    """No answer within the timeout."""


class RspErrorReply(RspError):
    """The stub answered a convenience request with an ``E`` reply."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(f"stub replied {payload!r}")
        self.payload = payload


def _payload_bytes(payload: bytes | str) -> bytes:
    return payload.encode("latin-1") if isinstance(payload, str) else payload


class RspClient:
    """Talks to one RSP stub through a client-role :class:`~.connection.RspLink`, which acks
    the stub's packets until no-ack mode is started and resends on its ``-``."""

    resend_on_nak = True
    """Whether a ``-`` from the stub sends the last packet again."""

    def __init__(self, sock: socket.socket, *, timeout: float = 10.0,
                 max_packet: int = 4 * DEFAULT_MAX_PACKET) -> None:
        self.sock = sock
        self.timeout = timeout
        self.link = RspLink(role=Role.CLIENT, max_packet=max_packet, max_resends=MAX_RESENDS,
                            resend=self.resend_on_nak)
        self._frames: collections.deque[bytes] = collections.deque()

    @property
    def no_ack(self) -> bool:
        """True once no-ack mode is in effect."""
        return self.link.no_ack

    @classmethod
    def connect(cls, host: str, port: int, *, timeout: float = 10.0,
                retries_for: float = 0.0) -> "RspClient":
        """Connect, retrying a refused connection for up to ``retries_for`` seconds."""
        deadline = time.monotonic() + retries_for
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=timeout)
                break
            except ConnectionRefusedError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, timeout=timeout)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RspClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- raw exchange -----------------------------------------------------------

    def send(self, payload: bytes | str) -> None:
        """Send one packet without waiting for its reply."""
        self.link.send(_payload_bytes(payload))
        self._flush()

    def receive(self, timeout: float | None = None) -> bytes:
        """Wait for the next packet from the stub and return its payload."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self._frames:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RspTimeout("no packet from the stub")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise RspTimeout("no packet from the stub") from None
            except OSError as exc:
                raise RspError(f"connection failed: {exc}") from exc
            if not data:
                raise RspError("the stub closed the connection")
            self._process(data)
        return self._frames.popleft()

    def request(self, payload: bytes | str) -> bytes:
        """Send one packet and return the payload of the stub's reply."""
        self.send(payload)
        return self.receive()

    def interrupt(self) -> None:
        """Send the Ctrl-C byte (0x03)."""
        self.link.send_interrupt()
        self._flush()

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise RspError(f"connection failed: {exc}") from exc

    def _flush(self) -> None:
        data = self.link.data_to_send()
        if data:
            self._write(data)

    def _process(self, data: bytes) -> None:
        try:
            events = self.link.receive(data)
        except LinkError as exc:
            raise RspError(f"the stub broke the protocol: {exc}") from None
        finally:
            self._flush()   # acks, and the copies the stub asked for before any failure
        self._frames.extend(ev.payload for ev in events if type(ev) is Frame)

    # --- conveniences -----------------------------------------------------------

    def start_no_ack_mode(self) -> None:
        """Negotiate ``QStartNoAckMode``; afterwards no acks are sent or expected."""
        self._expect_ok(self.request(b"QStartNoAckMode"))
        self.link.start_no_ack_after_reply()

    def _checked(self, payload: bytes | str) -> bytes:
        reply = self.request(payload)
        if reply[:2] == b"E." or (len(reply) == 3 and reply[:1] == b"E"):
            raise RspErrorReply(reply)
        return reply

    def _expect_ok(self, reply: bytes) -> None:
        if reply != b"OK":
            raise RspErrorReply(reply)

    def _hex_reply(self, payload: bytes | str) -> bytes:
        reply = self._checked(payload)
        try:
            return bytes.fromhex(reply.decode("ascii"))
        except ValueError:
            raise RspError(f"reply is not plain hex: {reply[:64]!r}") from None

    def read_registers(self) -> bytes:
        """All registers as raw bytes (``g``)."""
        return self._hex_reply(b"g")

    def read_register(self, regno: int) -> bytes:
        """One register as raw bytes (``p``)."""
        return self._hex_reply(b"p%x" % regno)

    def read_memory(self, addr: int, length: int) -> bytes:
        """``length`` bytes at ``addr`` (``m``)."""
        return self._hex_reply(b"m%x,%x" % (addr, length))

    def write_memory(self, addr: int, data: bytes) -> None:
        """Write ``data`` at ``addr`` (``M``)."""
        self._expect_ok(self.request(b"M%x,%x:%s" % (addr, len(data), data.hex().encode())))
