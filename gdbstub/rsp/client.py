"""A small synchronous RSP client over TCP, for tests, fuzzing and differential runs."""

from __future__ import annotations

import collections
import socket
import time

from .framing import DEFAULT_MAX_PACKET, Ack, BadFrame, Frame, FrameDecoder, Nak, encode_packet

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
    """Talks to one RSP stub; acks its packets until no-ack mode is started."""

    def __init__(self, sock: socket.socket, *, timeout: float = 10.0,
                 max_packet: int = 4 * DEFAULT_MAX_PACKET) -> None:
        self.sock = sock
        self.timeout = timeout
        self.no_ack = False
        self._decoder = FrameDecoder(max_packet)
        self._frames: collections.deque[bytes] = collections.deque()
        self._last_sent = b""
        self._resends = 0

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
        self._last_sent = encode_packet(_payload_bytes(payload))
        self._resends = 0
        self._write(self._last_sent)

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
        self._write(b"\x03")

    def _write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise RspError(f"connection failed: {exc}") from exc

    def _process(self, data: bytes) -> None:
        for ev in self._decoder.feed(data):
            if isinstance(ev, Frame):
                if not self.no_ack:
                    self._write(b"+")
                self._frames.append(ev.payload)
            elif isinstance(ev, BadFrame):
                if self.no_ack:
                    raise RspError(f"bad frame from the stub: {ev.reason}")
                self._write(b"-")
            elif isinstance(ev, Nak) and not self.no_ack and self._last_sent:
                if self._resends >= MAX_RESENDS:
                    raise RspError(f"stub rejected {self._last_sent[:64]!r} {MAX_RESENDS + 1} times")
                self._resends += 1
                self._write(self._last_sent)
            elif isinstance(ev, Ack):
                self._resends = 0

    # --- conveniences -----------------------------------------------------------

    def start_no_ack_mode(self) -> None:
        """Negotiate ``QStartNoAckMode``; afterwards no acks are sent or expected."""
        self._expect_ok(self.request(b"QStartNoAckMode"))
        self.no_ack = True

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
