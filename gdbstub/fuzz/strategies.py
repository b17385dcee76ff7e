"""Hypothesis strategies for RSP traffic: valid packets of every kind the server knows,
malformed packets, and raw wire noise (bad checksums, stray ``}``/``*``, Ctrl-C bytes,
overlong frames) together with how many replies a correct stub owes for it.

Packet strategies produce decoded payloads (the client escapes them when it frames them);
:func:`noise` produces wire bytes. Packets that resume (:data:`RESUMES`), set points
(:func:`points`), write registers (:func:`register_patches`, sized from ``p``) or end the session
(:func:`leaves`) are built by the state machine, which knows what they do; nothing here writes
memory outside the target's window.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from ..rsp import packets as pk
from ..rsp.framing import checksum, escape
from .model import Target, Window

RESUMES = (b"c", b"s", b"vCont;c", b"vCont;s", b"vCont;c:1", b"vCont;s:1", b"vCont;c:-1", b"vCont;s:1;c")
"""Resume packets for thread 1 of an all-stop target (``vCont;s:1;c`` steps thread 1 only)."""

WATCH_KINDS = (1, 2, 4)


def addresses(window: Window, *, align: int = 1, room: int = 1) -> st.SearchStrategy[int]:
    """Addresses in ``window`` that are multiples of ``align`` with ``room`` bytes left after them."""
    last = (window.end - room) // align
    first = -(-window.start // align)
    return st.integers(first, max(first, last)).map(lambda n: n * align)


def spans(window: Window, max_length: int = 64) -> st.SearchStrategy[tuple[int, int]]:
    """``(addr, length)`` inside ``window``."""
    return st.integers(1, min(max_length, window.length)).flatmap(
        lambda n: st.tuples(addresses(window, room=n), st.just(n)))


def memory_reads(window: Window) -> st.SearchStrategy[bytes]:
    return spans(window).map(lambda s: b"m%x,%x" % s)


def memory_writes(window: Window) -> st.SearchStrategy[bytes]:
    """``M`` (hex) and ``X`` (binary, rich in bytes that must be escaped) inside ``window``."""
    def data(span):
        return st.binary(min_size=span[1], max_size=span[1]) | st.lists(
            st.sampled_from(b"#$}*\x03\x00"), min_size=span[1], max_size=span[1]).map(bytes)

    def packet(letter):
        return spans(window, 32).flatmap(lambda s: data(s).map(
            lambda d: b"%s%x,%x:%s" % (letter, s[0], len(d), d.hex().encode() if letter == b"M" else d)))
    return packet(b"M") | packet(b"X")


def points(target: Target) -> st.SearchStrategy[tuple[int, int, int]]:
    """``(type, addr, kind)``: breakpoints in the code window, watchpoints in the memory window."""
    breaks = st.tuples(st.sampled_from([0, 1]), addresses(target.code, align=target.break_kind,
                                                          room=target.break_kind), st.just(target.break_kind))
    watches = st.sampled_from([2, 3, 4]).flatmap(lambda t: st.sampled_from(WATCH_KINDS).flatmap(
        lambda k: st.tuples(st.just(t), addresses(target.memory, align=k, room=k), st.just(k))))
    return breaks | watches


def register_patches(target: Target) -> st.SearchStrategy[list[tuple[int, int]]]:
    """``(regno, value)`` pairs for ``P`` or a patched ``G`` block (values cut to the register's size)."""
    return st.lists(st.tuples(st.integers(0, target.registers - 1), st.integers(0, 2**64 - 1)), max_size=4)


def leaves(target: Target) -> st.SearchStrategy[str]:
    """How a client goes away: ``D``, ``k`` (if the target allows it) or just hanging up."""
    return st.sampled_from(["disconnect", "detach"] + (["kill"] if target.allow_kill else []))


_THREADS = st.sampled_from([b"0", b"-1", b"1", b"p1.1", b"p1.-1", b"2"])

queries = st.one_of(
    st.sampled_from([b"?", b"g", b"qC", b"qfThreadInfo", b"qsThreadInfo", b"qAttached", b"qAttached:1",
                     b"vMustReplyEmpty", b"vCont?", b"qSupported", b"qSupported:swbreak+;hwbreak+",
                     b"qSupported:multiprocess+;swbreak+;hwbreak+;error-message+"]),
    st.tuples(st.sampled_from([b"g", b"c"]), _THREADS).map(lambda t: b"H" + b"".join(t)),
    _THREADS.map(lambda t: b"T" + t),
    st.tuples(st.integers(0, 0x2000), st.integers(0, 0x1000)).map(
        lambda s: b"qXfer:features:read:target.xml:%x,%x" % s),
    st.sampled_from(["help", "fuzz-no-such-command", ""]).map(lambda c: b"qRcmd," + c.encode().hex().encode()),
)
"""Read-only packets of every kind the server knows."""


def register_reads(target: Target) -> st.SearchStrategy[bytes]:
    return st.integers(0, target.registers - 1).map(lambda n: b"p%x" % n)


def valid_packets(target: Target) -> st.SearchStrategy[bytes]:
    """Packets with no effect outside the memory window and no resume, detach or kill."""
    return st.one_of(queries, memory_reads(target.memory), memory_writes(target.memory), register_reads(target))


_FAR = st.sampled_from([0xFFFFFFFF, 0xFFFFFFFC, 0xFFFFFFFFFFFFFFF0, 0x7FFFFFFF0000, 0xE0000000])
_HUGE = st.sampled_from([0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x100000])
_BAD_HEX = st.sampled_from([b"zz", b"", b"-", b"0x10", b"g", b"1" * 17, b"10000000000000000", b" 1"])


def malformed_packets(target: Target) -> st.SearchStrategy[bytes]:
    """Packets a correct stub must refuse, ignore or answer without harm: bad hex, huge lengths,
    out-of-range addresses, missing separators and unknown names. For a ``lenient`` target,
    which may read what it can of them, none that would write."""
    window = target.memory
    return st.one_of(
        _BAD_HEX.map(lambda h: b"m%s,4" % h), _BAD_HEX.map(lambda h: b"m%x,%s" % (window.start, h)),
        _BAD_HEX.map(lambda h: b"p" + h), _BAD_HEX.map(lambda h: b"P1=" + h), _BAD_HEX.map(lambda h: b"G" + h),
        _BAD_HEX.map(lambda h: b"M%x,2:%s" % (window.start, h)),
        _BAD_HEX.map(lambda h: b"Z1,%s,4" % h), _BAD_HEX.map(lambda h: b"z2,%x,%s" % (window.start, h)),
        st.tuples(_FAR, st.integers(1, 64)).map(lambda s: b"m%x,%x" % s),
        _HUGE.map(lambda n: b"m%x,%x" % (window.start, n)),
        _HUGE.map(lambda n: b"M%x,%x:00" % (window.start, n)),
        _HUGE.map(lambda n: b"X%x,%x:" % (window.start, n)),
        st.sampled_from([b"qXfer:features:read:target.xml", b"qXfer:features:read", b"qXfer:", b"qXfer",
                         b"qRcmd,f", b"qRcmd,ff", b"qSupported;", b"Hx1", b"vCont;", b"vCont;x", b"vCont;r1",
                         b"Z5,1000,4", b"Z1,1000", b"D;zz", b"g00", b"?1", b"qC1"]),
        st.tuples(st.sampled_from([b"j", b"y", b"u", b"qFuzz", b"QFuzz", b"vFuzz", b"_"]),
                  st.text("abcxyz0189:,;=", max_size=12)).map(lambda t: t[0] + t[1].encode()),
    ).filter(lambda p: _harmless(p) and not (target.lenient and p[:1] in b"MXGPZz"))


_HARMFUL = (pk.Continue, pk.ContinueSignal, pk.Step, pk.StepSignal, pk.VCont, pk.ReverseStep, pk.ReverseContinue,
            pk.Detach, pk.Kill, pk.StartNoAckMode, pk.WriteRegisters, pk.WriteRegister, pk.InsertPoint,
            pk.RemovePoint, pk.WriteMemory, pk.WriteMemoryBinary)


def _harmless(payload: bytes) -> bool:
    return not isinstance(pk.parse_packet(payload), _HARMFUL)


# --- raw wire noise ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """Bytes for the wire and the reply a correct stub owes: None (no packet), ``"any"``
    (one packet), ``"refusal"`` (one ``E`` or empty packet) or ``"empty"``."""

    wire: bytes
    reply: str | None


def frame(wire_payload: bytes, cs: int | None = None) -> bytes:
    """``$payload#cs`` around bytes taken as already escaped; ``cs`` defaults to the right one."""
    return b"$%s#%02x" % (wire_payload, checksum(wire_payload) if cs is None else cs)


_PRINTABLE = st.integers(0x20, 0x7E).filter(lambda b: b not in b"#$")


def _stray(payload: bytes) -> st.SearchStrategy[bytes]:
    """``payload`` escaped, with a ``}x``, ``*x`` or 0x03 put after its first byte. Not ``*}``:
    a stub that expands runs only in replies (gdbserver, ours) sees an escape there, which at
    the end of a payload is a bad frame, while one that expands them in packets too (QEMU)
    sees a run; the reply owed would depend on the stub."""
    wire = escape(payload)
    extra = st.one_of(_PRINTABLE.map(lambda b: b"}" + bytes([b])),
                      _PRINTABLE.filter(lambda b: b != ord("}")).map(lambda b: b"*" + bytes([b])),
                      st.just(b"\x03"))
    return st.tuples(st.integers(1, len(wire)), extra).map(lambda t: wire[:t[0]] + t[1] + wire[t[0]:])


def noise(target: Target) -> st.SearchStrategy[Noise]:
    """One piece of wire noise, sent while the target is stopped."""
    readonly = st.one_of(memory_reads(target.memory), register_reads(target), st.just(b"qC"))
    bad_checksum = st.tuples(valid_packets(target), st.integers(1, 255)).map(
        lambda t: Noise(frame(escape(t[0]), (checksum(escape(t[0])) + t[1]) & 0xFF), None))
    overlong = st.integers(0x4001, 0x10000).map(lambda n: Noise(frame(b"m" + b"0" * n, 0), None))
    return st.one_of(
        bad_checksum, overlong,
        readonly.flatmap(_stray).map(lambda w: Noise(frame(w), "any")),
        malformed_packets(target).map(lambda p: Noise(frame(escape(p)), _expected(p))),
        st.sampled_from([b"\x03", b"+", b"\r\n", b"#", b"#00", b"junk", b"\x00\xff"]).map(lambda b: Noise(b, None)),
    )


def _expected(payload: bytes) -> str:
    return "empty" if isinstance(pk.parse_packet(payload), pk.Unknown) else "any" if isinstance(
        pk.parse_packet(payload), pk.ReadMemory) else "refusal"
