"""RSP framing: checksums, ``}`` escapes, run-length encoding and ``$…#cs`` frames.

Wire format (GDB manual, "Overview" of the remote protocol): a packet is
``$`` payload ``#`` two hex checksum digits, where the checksum is the sum
modulo 256 of the payload bytes *as sent* (escaped and run-length encoded).
Outside a frame, ``+`` and ``-`` acknowledge a packet and the byte 0x03 is
an interrupt request.
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass
from typing import Union   # not `|`: the alias is evaluated, and PyPy is Python 3.9

DEFAULT_MAX_PACKET = 16384
"""Default bound on the wire bytes between ``$`` and ``#`` of one frame."""

ESCAPE = 0x7D  # '}'
RUN = 0x2A  # '*'
_MUST_ESCAPE = frozenset(b"#$}*")
_RUN_BIAS = 29  # a run count character c means c - 29 extra copies
_MIN_RUN = 3  # below this a run costs more than the plain bytes (and is unprintable)
_MAX_RUN = 126 - _RUN_BIAS
_FORBIDDEN_RUN_CHARS = frozenset(b"#$+-*}")  # frame, ack and encoding characters


_CHUNK = 256  # 256 bytes sum to at most 65,280: below Adler-32's modulus, so A is exact
_ADLER_MODULUS = 65521


def checksum(data: bytes) -> int:
    """Return the RSP checksum of ``data``: the byte sum modulo 256.

    Adler-32's first half is one plus the byte sum modulo 65,521, so over 256-byte chunks it
    is the exact sum, computed in C (hex replies, the long ones, take :func:`_hex_checksum`)."""
    if len(data) <= _CHUNK:
        return (zlib.adler32(data) - 1) & 0xFF
    view, adler32, total = memoryview(data), zlib.adler32, 0
    for i in range(0, len(data), _CHUNK):
        total += adler32(view[i:i + _CHUNK]) - 1   # B sits above bit 16: the low byte is A's
    return total & 0xFF


class HexPayload(bytes):
    """A payload made only of the digits ``0-9a-f`` (the replies to ``m``, ``g`` and ``p``):
    nothing in it needs escaping, and its checksum takes fewer, larger chunks (:func:`_hex_checksum`)."""


_HEX_CHUNK = 1024


def _hex_checksum(digits: HexPayload) -> int:
    """:func:`checksum` of hex digits, in 1 KiB chunks: 1,024 digits (``0`` is 0x30, ``f``
    0x66) sum to between 49,152 and 104,448, a span narrower than Adler-32's modulus, so the
    exact sum is Adler-32's first half less one, or that plus 65,521 where it falls below the
    span."""
    total, adler32 = 0, zlib.adler32
    for i in range(0, len(digits), _HEX_CHUNK):
        chunk = digits[i:i + _HEX_CHUNK]
        low = (adler32(chunk) & 0xFFFF) - 1
        total += low if low >= 0x30 * len(chunk) else low + _ADLER_MODULUS
    return total & 0xFF


def escape(data: bytes) -> bytes:
    """Escape ``#``, ``$``, ``}`` and ``*`` as ``}`` followed by the byte XOR 0x20."""
    return _encode(data, escapes=True, runs=False)


class DecodeError(ValueError):
    """A payload has a dangling escape or an invalid run-length sequence."""


def _decode(data: bytes, *, escapes: bool, runs: bool) -> bytes:
    """Undo ``}`` escapes and/or ``X*n`` runs in one left-to-right pass.

    A run repeats the last *decoded* byte, so ``}]*"`` is six ``}`` bytes.
    """
    if not ((escapes and ESCAPE in data) or (runs and RUN in data)):
        return bytes(data)
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if escapes and b == ESCAPE:
            if i + 1 >= n:
                raise DecodeError("dangling escape at end of payload")
            out.append(data[i + 1] ^ 0x20)
            i += 2
        elif runs and b == RUN:
            if not out:
                raise DecodeError("run-length marker with no preceding byte")
            if i + 1 >= n:
                raise DecodeError("run-length marker without a count")
            count = data[i + 1] - _RUN_BIAS
            if count < 0:
                raise DecodeError(f"invalid run-length count byte 0x{data[i + 1]:02x}")
            out += out[-1:] * count
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """Inverse of :func:`escape`; raises :class:`DecodeError` on a dangling ``}``."""
    return _decode(data, escapes=True, runs=False)


def rle_decode(data: bytes) -> bytes:
    """Expand ``X*c`` runs (``c - 29`` more copies of ``X``); raises :class:`DecodeError`."""
    return _decode(data, escapes=False, runs=True)


def decode_payload(wire: bytes, *, runs: bool = True) -> bytes:
    """Turn the bytes of a frame as sent into the payload (escapes undone, and runs unless
    ``runs`` is False)."""
    return _decode(wire, escapes=True, runs=runs)


def _run_length(remaining: int) -> int:
    """Longest extra-copy count worth encoding for ``remaining`` copies, or 0."""
    for count in range(min(remaining, _MAX_RUN), _MIN_RUN - 1, -1):
        if count + _RUN_BIAS not in _FORBIDDEN_RUN_CHARS:
            return count
    return 0


def _encode(data: bytes, *, escapes: bool, runs: bool) -> bytes:
    if not runs and (data.isalnum() or not (b"}" in data or b"#" in data or b"$" in data or b"*" in data)):
        return bytes(data)  # hex (most replies) or four memchr scans: much faster than a regex
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        j = i + 1
        while j < n and data[j] == b:
            j += 1
        remaining = j - i
        i = j
        if b in _MUST_ESCAPE or not runs:
            # Runs of escapable bytes are never compressed: a run after an escape repeats
            # the decoded byte for gdb (and _decode), but not for every decoder.
            one = bytes((ESCAPE, b ^ 0x20)) if escapes and b in _MUST_ESCAPE else bytes((b,))
            out += one * remaining
            continue
        while remaining:
            out.append(b)
            remaining -= 1
            count = _run_length(remaining)
            if count:
                out += bytes((RUN, count + _RUN_BIAS))
                remaining -= count
    return bytes(out)


def rle_encode(data: bytes) -> bytes:
    """Compress runs as ``X*c`` where that saves bytes (:func:`rle_decode` undoes it for data
    without ``*``, which only a frame's escaping makes safe).

    Count characters ``# $ + - * }`` are never produced, and runs
    of ``# $ } *`` are left as they are. Frames should use :func:`encode_packet`.
    """
    return _encode(data, escapes=False, runs=True)


_SHORT_REPLY = 32    # short replies repeat (T05thread:1;, OK, E22, a register): framed once


def encode_packet(payload: bytes, *, rle: bool = False) -> bytes:
    """Frame ``payload`` as ``$<escaped, optionally run-length encoded payload>#cs``."""
    if not rle:
        if len(payload) <= _SHORT_REPLY and type(payload) in _FRAMED_ONCE:
            return _frame_short(payload)
        if type(payload) is HexPayload:
            return b"$%s#%02x" % (payload, _hex_checksum(payload))
    return _frame(payload, rle)


def _frame(payload: bytes, rle: bool = False) -> bytes:
    wire = _encode(payload, escapes=True, runs=rle)
    return b"$%s#%02x" % (wire, checksum(wire))


_frame_short = functools.lru_cache(maxsize=1024)(_frame)
_FRAMED_ONCE = (bytes, HexPayload)   # immutable: safe to keep in the cache


@dataclass(frozen=True)
class Frame:
    """A complete packet with a valid checksum; ``payload`` is decoded."""

    payload: bytes


@dataclass(frozen=True)
class BadFrame:
    """A frame that was dropped: bad checksum, bad encoding or too long."""

    reason: str


@dataclass(frozen=True)
class Ack:
    """A ``+`` outside a frame."""


@dataclass(frozen=True)
class Nak:
    """A ``-`` outside a frame."""


@dataclass(frozen=True)
class Interrupt:
    """The out-of-band 0x03 byte (Ctrl-C) outside a frame."""


FrameEvent = Union[Frame, BadFrame, Ack, Nak, Interrupt]
_ACK, _NAK, _INTERRUPT = Ack(), Nak(), Interrupt()

_CHECKSUM_DIGITS = {b"%c%c" % (high, low): int(b"%c%c" % (high, low), 16)
                    for high in b"0123456789abcdefABCDEF" for low in b"0123456789abcdefABCDEF"}
_FRAME_END = re.compile(rb"[#$]")
_ACK_AND_SHORT_FRAME = re.compile(rb"(\+?)\$([^#$]{0,64})#([^$]{2})")  # gdb's usual write
_OUTSIDE_EVENT = re.compile(rb"\x03+|[+-]")   # a run of Ctrl-C bytes is one interrupt
_IDLE, _PAYLOAD, _CHECKSUM = range(3)


class FrameDecoder:
    """Incremental decoder from a byte stream to :data:`FrameEvent` values.

    Reads may split or coalesce frames arbitrarily. Bytes outside a frame other
    than ``$ + - 0x03`` are ignored, and adjacent 0x03 bytes are one :class:`Interrupt`
    (a flood of them costs one event a read, not one a byte); a ``$`` inside a frame abandons the partial
    frame silently and starts a new one. At most ``max_packet`` wire bytes of a
    frame are stored: a longer frame is skipped and reported once, when it ends,
    as :class:`BadFrame`.

    ``runs``: undo run-length encoding. Only replies may use it; in a packet sent
    to a stub a ``*`` is data (gdb escapes it, but the protocol does not require
    that), so a stub's decoder only undoes escapes (``runs=False``), as gdbserver's.
    """

    def __init__(self, max_packet: int = DEFAULT_MAX_PACKET, *, runs: bool = True) -> None:
        if max_packet < 1:
            raise ValueError("max_packet must be positive")
        self.max_packet = max_packet
        self.runs = runs
        self._state = _IDLE
        self._wire = bytearray()
        self._overlong = False
        self._checksum_digits = bytearray()
        self._ctrl_c_run = False   # the last byte outside a frame was 0x03

    @property
    def buffered(self) -> int:
        """Number of bytes currently held for a partial frame."""
        return len(self._wire) + len(self._checksum_digits)

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Consume ``data`` (any bytes-like object) and return the events it completes, in order."""
        data = bytes(data)   # no copy if it is bytes already
        if self._state == _IDLE and (usual := _ACK_AND_SHORT_FRAME.fullmatch(data)):
            ack, wire, digits = usual.groups()
            if len(wire) <= self.max_packet:
                self._ctrl_c_run = False
                return [_ACK, self._check(wire, digits)] if ack else [self._check(wire, digits)]
        events: list[FrameEvent] = []
        i, n = 0, len(data)
        while i < n:
            if self._state == _PAYLOAD:
                i = self._take_payload(data, i)
            elif self._state == _CHECKSUM and data[i] != 0x24:   # '$' abandons the frame
                self._checksum_digits.append(data[i])
                i += 1
                if len(self._checksum_digits) == 2:
                    events.append(self._finish_frame())
            else:
                i = self._take_outside(data, i, events)
        return events

    def _take_outside(self, data: bytes, i: int, events: list[FrameEvent]) -> int:
        """Handle the bytes outside a frame from ``data[i:]`` up to the next ``$``, and that
        frame if it is all there (the usual case: no state to go through); return the new index."""
        start = data.find(b"$", i)
        stop = start if start >= 0 else len(data)
        for m in _OUTSIDE_EVENT.finditer(data, i, stop):
            b = data[m.start()]
            if b != 0x03:
                events.append(_ACK if b == 0x2B else _NAK)
            elif not (m.start() == i and self._ctrl_c_run):   # not a run the last read began
                events.append(_INTERRUPT)
        self._ctrl_c_run = start < 0 and stop > i and data[stop - 1] == 0x03
        if start < 0:
            return len(data)
        start += 1
        end = data.find(b"#", start)
        if (self._state == _IDLE and 0 <= end <= len(data) - 3 and end - start <= self.max_packet
                and data.find(b"$", start, end + 3) < 0):
            events.append(self._check(data[start:end], data[end + 1:end + 3]))
            return end + 3
        self._start_frame()
        return start

    def _start_frame(self) -> None:
        self._state = _PAYLOAD
        self._wire.clear()
        self._checksum_digits.clear()
        self._overlong = False

    def _take_payload(self, data: bytes, i: int) -> int:
        """Store payload bytes from ``data[i:]`` up to ``#`` or ``$``; return the new index."""
        m = _FRAME_END.search(data, i)
        end = m.start() if m else len(data)
        if not self._overlong:
            if len(self._wire) + end - i > self.max_packet:
                self._overlong = True
                self._wire.clear()
            else:
                self._wire += data[i:end]
        if m is None:
            return end
        if m.group() == b"$":
            self._start_frame()
        else:
            self._state = _CHECKSUM
        return end + 1

    def _finish_frame(self) -> Frame | BadFrame:
        digits = bytes(self._checksum_digits)
        wire = bytes(self._wire)
        overlong = self._overlong
        self._state = _IDLE
        self._wire.clear()
        self._checksum_digits.clear()
        self._overlong = False
        if overlong:
            return BadFrame(f"frame longer than {self.max_packet} bytes")
        return self._check(wire, digits)

    def _check(self, wire: bytes, digits: bytes) -> Frame | BadFrame:
        """The frame whose bytes between ``$`` and ``#`` are ``wire``, if ``digits`` match."""
        value = _CHECKSUM_DIGITS.get(digits)
        if value is None:
            return BadFrame(f"bad checksum digits {digits!r}")
        if value != checksum(wire):
            return BadFrame(f"checksum mismatch: got {digits.decode()}, computed {checksum(wire):02x}")
        if ESCAPE not in wire and not (self.runs and RUN in wire):
            return Frame(wire)
        try:
            return Frame(decode_payload(wire, runs=self.runs))
        except DecodeError as exc:
            return BadFrame(str(exc))
