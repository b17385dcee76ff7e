"""A hypothesis state machine that drives a live RSP stub and checks it against the model.

:class:`Driver` does the steps and checks the answers; :func:`state_machine` wraps it in a
``RuleBasedStateMachine`` whose rules draw from :mod:`.strategies` for one :class:`Target`.
After every step the stub must have sent nothing unasked for.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ..rsp import packets as pk
from ..rsp.client import RspError, RspTimeout
from ..rsp.framing import encode_packet
from . import strategies as fs
from .model import HARDWARE_TYPES, SOFTWARE, MemoryModel, Point, PointModel, RegisterModel, StopReply, Target, Violation, check_stop
from .wire import FuzzClient

_ERROR = re.compile(rb"E[0-9a-fA-F]{2}|E\..*", re.S)
_HEX = re.compile(rb"(?:[0-9a-fA-F]{2}|xx)*")
HANDSHAKE = b"qSupported:swbreak+;hwbreak+"
TARGET_XML = b"qXfer:features:read:target.xml:0,ffb"
INTERRUPT_DELAYS = (None, 0.0, 0.002, 0.02)
"""Ctrl-C after a resume: None waits ``run_time`` for a stop first, 0.0 sends it in the same write."""
_QUERY_REPLIES = {
    pk.SetThread: rb"OK", pk.ThreadAlive: rb"OK", pk.CurrentThread: rb"QC.+", pk.ThreadInfoFirst: rb"m.+|l",
    pk.ThreadInfoNext: rb"m.+|l", pk.Attached: rb"[01]", pk.XferRead: rb"[ml].*",
    pk.MonitorCommand: rb"OK|(?:[0-9a-fA-F]{2})+", pk.VContQuery: rb"vCont.*", pk.QSupported: rb".*",
}
"""What queries other than the ones :meth:`Driver.check_reply` knows may get, besides a refusal."""
INTRUDER_PATIENCE = 0.02
"""How long a second client waits for an answer; none at all (refused later, or never) is fine."""
DISCONNECT_TAILS = (b"", b"$", b"$m3", b"$qSupported:swbreak+", b"}", b"$g#6")
"""Bytes a client may leave behind when it goes away: nothing, or a truncated frame."""


def is_refusal(reply: bytes) -> bool:
    """An error reply or the empty "not supported" reply."""
    return reply == b"" or bool(_ERROR.fullmatch(reply))


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Violation(message)


def hex_reply(reply: bytes, what: str) -> bytes:
    """The bytes of a hex reply (``xx``, unavailable, reads as 0)."""
    expect(bool(_HEX.fullmatch(reply)), f"{what}: expected hex, got {reply[:80]!r}")
    return bytes.fromhex(reply.replace(b"xx", b"00").decode())


class Driver:
    """One client of ``target`` and the model of what it must answer."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.points = PointModel()
        self.memory = MemoryModel()
        self.registers = RegisterModel()
        self.g_length: int | None = None
        self.guest_ended = False
        self.client = self._connect()
        if target.reset_monitor:
            try:
                self.client.exchange(b"qRcmd," + target.reset_monitor.encode().hex().encode())
            except BaseException:
                self.client.close()
                raise

    # --- connection ---------------------------------------------------------------------------
    def _connect(self) -> FuzzClient:
        """Attach a new client; one that fails to attach is closed (a single-client stub would
        otherwise never answer another)."""
        t = self.target
        try:
            client = FuzzClient.connect(t.host, t.port, timeout=t.timeout, retries_for=t.timeout)
        except (OSError, RspTimeout) as exc:
            raise Violation(f"a new client cannot attach: {exc}") from None
        try:
            reply = client.exchange(HANDSHAKE)
            expect(not is_refusal(reply) and not re.match(rb"[TSWX][0-9a-fA-F]{2}", reply),
                   f"a new client gets {reply[:80]!r} for qSupported")
            client.exchange(TARGET_XML)  # as gdb does; QEMU answers p only after it
            StopReply.parse(client.exchange(b"?"))
        except (OSError, RspTimeout) as exc:
            client.close()
            raise Violation(f"a new client cannot attach: {exc}") from None
        except BaseException:
            client.close()
            raise
        self.points.clear()
        return client

    def reconnect(self, *, ran: bool) -> None:
        """A new client; if the guest had ended, the stub may have loaded it afresh for it
        (ours does), so nothing remembered of memory or registers holds."""
        self.client.close()
        self.client = self._connect()
        if ran or self.guest_ended:
            self._guest_ran()
        self.guest_ended = False

    def close(self) -> None:
        self.client.close()

    def _guest_ran(self) -> None:
        self.memory.forget()
        self.registers.forget()

    def check_silence(self) -> None:
        self.client.expect_silence("the last step")

    # --- packets --------------------------------------------------------------------------------
    def packet(self, payload: bytes) -> None:
        """Send a packet that neither resumes nor writes outside the window; check its reply."""
        self.check_reply(pk.parse_packet(payload), self.client.exchange(payload))

    def check_reply(self, packet, reply: bytes) -> None:
        """Check ``reply`` against what ``packet`` (as our parser reads it) must get."""
        name = type(packet).__name__
        if isinstance(packet, pk.ReadMemory):
            self._check_memory_read(packet, reply)
        elif isinstance(packet, pk.WriteMemoryBinary) and reply == b"":
            return  # X is optional: gdb falls back to M
        elif isinstance(packet, (pk.WriteMemory, pk.WriteMemoryBinary)):
            expect(reply == b"OK", f"{name} in the window: expected OK, got {reply[:80]!r}")
            self.memory.write(packet.addr, packet.data)
            self.read_memory(packet.addr, len(packet.data))
        elif isinstance(packet, pk.ReadRegisters):
            size = len(hex_reply(reply, "g"))
            expect(self.g_length in (None, size), f"g: {size} bytes, earlier {self.g_length}")
            self.g_length = size
        elif isinstance(packet, pk.ReadRegister):
            expect(reply != b"", f"p{packet.regno:x}: register {packet.regno} cannot be read")
            self.registers.check_read(packet.regno, hex_reply(reply, f"p{packet.regno:x}"))
        elif isinstance(packet, pk.QueryHaltReason):
            self.guest_ended |= StopReply.parse(reply).guest_ended
            self._forget_points()
        elif isinstance(packet, (pk.Unknown, pk.MustReplyEmpty)):
            expect(reply == b"", f"{name} {packet!r} must get the empty reply, got {reply[:80]!r}")
        elif isinstance(packet, pk.Malformed):
            self._check_refused(packet.payload, reply)
        else:
            self._check_query(packet, reply)

    def _check_refused(self, sent: bytes, reply: bytes) -> None:
        """A malformed packet gets ``E`` or the empty reply (any one reply if ``lenient``)."""
        expect(self.target.lenient or is_refusal(reply),
               f"malformed {sent[:80]!r}: expected E or empty, got {reply[:80]!r}")

    def _check_query(self, packet, reply: bytes) -> None:
        shape = _QUERY_REPLIES[type(packet)]
        expect(bool(re.fullmatch(shape, reply, re.S)) or is_refusal(reply),
               f"{type(packet).__name__}: unexpected reply {reply[:80]!r}")

    def _in_windows(self, addr: int, length: int) -> bool:
        return any(w.start <= addr and addr + length <= w.end for w in (self.target.memory, self.target.code))

    def _check_memory_read(self, packet: pk.ReadMemory, reply: bytes) -> None:
        what = f"m{packet.addr:x},{packet.length:x}"
        if not self._in_windows(packet.addr, packet.length):
            if not is_refusal(reply):
                expect(len(hex_reply(reply, what)) <= packet.length, f"{what}: more bytes than asked for")
            return
        data = hex_reply(reply, what)
        expect(0 < len(data) <= packet.length, f"{what}: {len(data)} bytes")
        self.memory.check_read(packet.addr, data)

    def read_memory(self, addr: int, length: int) -> None:
        packet = b"m%x,%x" % (addr, length)
        self._check_memory_read(pk.parse_packet(packet), self.client.exchange(packet))

    # --- registers --------------------------------------------------------------------------------
    def _size(self, regno: int) -> int:
        """The size of register ``regno``, learned from ``p``."""
        if regno not in self.registers.sizes:
            self.packet(b"p%x" % regno)
        return self.registers.sizes[regno]

    def write_register(self, regno: int, value: int) -> None:
        size = self._size(regno)
        data = (value % (1 << 8 * size)).to_bytes(size, self.target.byteorder)
        reply = self.client.exchange(b"P%x=%s" % (regno, data.hex().encode()))
        if reply == b"":
            return   # P is optional: gdb falls back to G
        expect(reply == b"OK", f"P{regno:x}: expected OK, got {reply[:80]!r}")
        self.registers.known[regno] = data

    def write_registers(self, patch: list[tuple[int, int]]) -> None:
        """``g``, then ``G`` with that block and the registers of ``patch`` changed; they must
        read back."""
        block = bytearray(hex_reply(self.client.exchange(b"g"), "g"))
        offsets = [0]
        for regno in range(max((r for r, _ in patch), default=-1) + 1):
            offsets.append(offsets[-1] + self._size(regno))
        written = {}
        for regno, value in patch:
            size = offsets[regno + 1] - offsets[regno]
            written[regno] = (value % (1 << 8 * size)).to_bytes(size, self.target.byteorder)
            block[offsets[regno]:offsets[regno + 1]] = written[regno]
        reply = self.client.exchange(b"G" + block.hex().encode())
        expect(reply == b"OK", f"G: expected OK, got {reply[:80]!r}")
        self.registers.known.update(written)

    # --- breakpoints and watchpoints ---------------------------------------------------------------
    def insert_point(self, z_type: int, addr: int, kind: int) -> None:
        point = Point(z_type, addr, kind)
        if (z_type, addr) in self.points.inserted:
            return   # stubs differ on duplicates (idempotent or counted); gdb never sends them
        if z_type == SOFTWARE:
            self.read_memory(addr, kind)
        reply = self.client.exchange(b"Z%d,%x,%x" % (z_type, addr, kind))
        if reply == b"":
            return   # this Z type is not supported
        expect(reply == b"OK" or is_refusal(reply), f"Z{z_type}: unexpected reply {reply[:80]!r}")
        if z_type in HARDWARE_TYPES or reply == b"OK":
            self.points.insert(point, reply == b"OK")
        if z_type == SOFTWARE:
            self.read_memory(addr, kind)   # the breakpoint instruction must not show

    def remove_point(self, pick: int) -> None:
        inserted = sorted(self.points.inserted.values(), key=lambda p: (p.type, p.addr))
        point = inserted[pick % len(inserted)]
        reply = self.client.exchange(b"z%d,%x,%x" % (point.type, point.addr, point.kind))
        expect(reply == b"OK", f"removing inserted {point}: expected OK, got {reply[:80]!r}")
        self.points.remove(point)

    def remove_absent(self, z_type: int, addr: int, kind: int) -> None:
        if (z_type, addr) in self.points.inserted:
            return
        reply = self.client.exchange(b"z%d,%x,%x" % (z_type, addr, kind))
        expect(is_refusal(reply), f"removing absent Z{z_type} at {addr:#x}: expected E, got {reply[:80]!r}")

    def _forget_points(self) -> None:
        """Remove every point as a new gdb would expect after ``?`` (QEMU drops them there)."""
        for point in list(self.points.inserted.values()):
            reply = self.client.exchange(b"z%d,%x,%x" % (point.type, point.addr, point.kind))
            expect(reply == b"OK" or is_refusal(reply), f"z after '?': unexpected reply {reply[:80]!r}")
        self.points.clear()

    # --- execution ---------------------------------------------------------------------------------
    def resume(self, payload: bytes, interrupt: float | None) -> None:
        """Resume; Ctrl-C after ``interrupt`` seconds (or once ``run_time`` passed without a
        stop). Exactly one stop reply must come, explained by the inserted points."""
        t = self.target
        if interrupt == 0.0:
            self.client.send_raw(encode_packet(payload) + b"\x03")
        else:
            self.client.send(payload)
            if interrupt is not None:
                time.sleep(interrupt)
                self.client.interrupt()
        try:
            reply = self.client.reply(t.run_time if interrupt is None else t.timeout)
        except RspTimeout:
            self.client.interrupt()
            try:
                reply = self.client.reply(t.timeout)
            except RspTimeout:
                raise Violation(f"no stop reply to {payload!r} even after Ctrl-C") from None
        stop = StopReply.parse(reply)
        self.guest_ended |= stop.guest_ended
        self._guest_ran()
        pc = self._pc() if {"hwbreak", "swbreak"} & stop.fields.keys() else None
        check_stop(stop, self.points, pc)

    def _pc(self) -> int:
        reply = self.client.exchange(b"p%x" % self.target.pc_regnum)
        return int.from_bytes(hex_reply(reply, "pc"), self.target.byteorder)

    def detach(self) -> None:
        reply = self.client.exchange(b"D")
        expect(reply == b"OK", f"D: expected OK, got {reply[:80]!r}")
        self.reconnect(ran=True)

    def kill(self) -> None:
        self.client.send(b"k")
        self.reconnect(ran=True)

    def disconnect(self, running: bool, tail: bytes) -> None:
        """Go away (with the guest running, or leaving a truncated frame); the next client must
        attach and find no points."""
        if running:
            self.client.send(b"c")
        if tail:
            self.client.send_raw(tail)
        self.reconnect(ran=running)

    def intrude(self, packet: bytes) -> None:
        """A second client connects and sends ``packet`` while this one is attached. It may get
        a refusal, a closed connection or no answer, but never be served; this client must not
        notice (the checks after the step)."""
        t = self.target
        try:
            other = FuzzClient.connect(t.host, t.port, timeout=INTRUDER_PATIENCE)
        except OSError:
            return
        try:
            other.send(packet)
            reply = other.reply(INTRUDER_PATIENCE)
        except RspError:   # no answer in time, or the connection closed
            return
        finally:
            other.close()
        expect(is_refusal(reply), f"a second client was served: {packet!r} got {reply[:80]!r}")

    # --- the wire -----------------------------------------------------------------------------------
    def start_no_ack(self) -> None:
        reply = self.client.exchange(b"QStartNoAckMode")
        expect(reply in (b"OK", b""), f"QStartNoAckMode: unexpected reply {reply[:80]!r}")
        if reply == b"OK":
            self.client.link.start_no_ack_after_reply()

    def nak_storm(self, count: int) -> None:
        """``-`` bytes may only bring back copies of the last reply, at most one each (with
        ``count`` 0: nothing may come)."""
        last = self.client.last_reply
        self.client.send_raw(b"-" * count)
        resent = self.client.sync()
        expect(len(resent) <= count and all(r == last for r in resent),
               f"{len(resent)} packet(s) came besides the replies owed, after {count} '-' "
               f"(only copies of the last reply {last[:80]!r} may, one a '-')")

    def noise(self, items: list[fs.Noise]) -> None:
        """Write the items in one go; each owes at most one reply, in order (:meth:`nak_storm`
        then proves that no more came)."""
        self.client.send_raw(b"".join(item.wire for item in items))
        for item in items:
            if item.reply is None:
                continue
            reply = self.client.reply()
            if item.reply == "empty":
                expect(reply == b"", f"{item.wire[:80]!r} must get the empty reply, got {reply[:80]!r}")
            elif item.reply == "refusal":
                self._check_refused(item.wire, reply)


@dataclass(frozen=True)
class Failure:
    """A sequence of steps that broke the target, and how."""

    steps: tuple[str, ...]
    error: BaseException

    def __str__(self) -> str:
        lines = [f"{n:3d}. {step}" for n, step in enumerate(self.steps, 1)]
        return "\n".join(lines + [f"-> {type(self.error).__name__}: {self.error}"])


def state_machine(target: Target, failures: list[Failure] | None = None) -> type[RuleBasedStateMachine]:
    """The state machine class for ``target``; every failing sequence is added to ``failures``
    (hypothesis's last replay of a failure against a live target may not fail the same way)."""
    failures = [] if failures is None else failures

    class RspStateMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.steps: list[str] = []
            self.driver = self._do("connect", Driver, target)

        def _do(self, name, action, *args):
            self.steps.append(f"{name}({', '.join(map(repr, args))})" if name != "connect" else "connect()")
            try:
                return action(*args)
            except Exception as exc:
                failures.append(Failure(tuple(self.steps), exc))
                raise

        def teardown(self) -> None:
            if hasattr(self, "driver"):
                self.driver.close()

        @invariant()
        def exactly_one_reply_per_packet(self) -> None:
            self._do("(nothing unasked for)", self.driver.check_silence)
            self.steps.pop()

        @rule(payload=fs.valid_packets(target) | fs.malformed_packets(target))
        def packet(self, payload):
            self._do("packet", self.driver.packet, payload)

        @rule(points=st.lists(fs.points(target), min_size=1, max_size=4))
        def insert_points(self, points):
            """Several at once, so that the slots fill up."""
            for point in points:
                self._do("insert_point", self.driver.insert_point, *point)

        @rule(point=fs.points(target), pick=st.none() | st.integers(0, 7))
        def remove_point(self, point, pick):
            """An inserted point (the ``pick``-th), or ``point`` if none is picked or inserted."""
            if pick is not None and self.driver.points.inserted:
                self._do("remove_point", self.driver.remove_point, pick)
            else:
                self._do("remove_absent", self.driver.remove_absent, *point)

        @rule(payload=st.sampled_from(fs.RESUMES), interrupt=st.sampled_from(INTERRUPT_DELAYS))
        def resume(self, payload, interrupt):
            self._do("resume", self.driver.resume, payload, interrupt)

        @rule(patch=fs.register_patches(target), one_by_one=st.booleans())
        def write_registers(self, patch, one_by_one):
            if one_by_one:
                for regno, value in patch:
                    self._do("write_register", self.driver.write_register, regno, value)
            else:
                self._do("write_registers", self.driver.write_registers, patch)

        @rule(items=st.lists(fs.noise(target), min_size=1, max_size=5), naks=st.integers(0, 20),
              no_ack=st.booleans())
        def wire(self, items, naks, no_ack):
            """Noise, then ``naks`` '-' bytes, then (once) no-ack mode."""
            self._do("noise", self.driver.noise, items)
            self._do("nak_storm", self.driver.nak_storm, naks)
            if no_ack and not self.driver.client.no_ack:
                self._do("start_no_ack", self.driver.start_no_ack)

        @rule(packet=st.sampled_from([HANDSHAKE, b"?", b"g", b"qC"]))
        def intrude(self, packet):
            """Only packets that change nothing: a stub may serve a waiting intruder once the
            attached client leaves, and the model would not know."""
            self._do("intrude", self.driver.intrude, packet)

        @rule(how=fs.leaves(target),
              running=st.booleans(), tail=st.sampled_from(DISCONNECT_TAILS))
        def leave(self, how, running, tail):
            """The client goes away (possibly mid-frame or with the guest running); a new one comes."""
            if how == "disconnect":
                self._do("disconnect", self.driver.disconnect, running, tail)
            else:
                self._do(how, getattr(self.driver, how))

    return RspStateMachine
