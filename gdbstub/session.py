"""One gdb connection: typed packets in, one reply each out, against a :class:`~.target.Target`.

The session speaks RSP only: it turns packets into calls on the target contract and stop
events into stop replies, and derives what it offers (``qSupported``, ``vCont?``, the thread
ids, the address width) from the target's capabilities and architecture. Execution belongs to
the :class:`~.runcontrol.RunControl`; the session is its client while gdb is attached.

A session runs in a worker thread with blocking I/O on its :class:`~.channel.Channel` (the
server's event loop stays free to refuse a second client and to shut down). It answers each
packet in the same write as its ack. While the guest runs, the run control executes quanta
and between them the session looks at the connection without waiting (``poll``), so a
Ctrl-C (even one in the same read as the ``c``) interrupts the guest and a disconnect stops
it cleanly. Packets that arrive while the guest runs wait for the stop (at most
``MAX_DEFERRED`` of them: memory stays bounded whatever a client sends); any beyond those are
answered at once with ``E16`` (EBUSY), never acked and left unanswered.

A client that holds the session without speaking is let go: one that has sent nothing
``FIRST_PACKET_TIMEOUT`` seconds after connecting is no gdb, and with ``idle_timeout`` one that
sends nothing for that long while the guest is stopped (never while it runs: gdb waits
silently for the stop) is disconnected.
"""
from __future__ import annotations

import collections
import enum
import functools
import logging
import signal
from dataclasses import dataclass

from .channel import Channel, ChannelWoken
from .runcontrol import RunControl
from .target import (BreakpointStop, DebugEventStop, GuestExited, HistoryBegin, MemoryFault, MonitorError,
                     NoSuchPoint, PointKind, PointRefused, ResetFailed, StopEvent, WatchStop)
from .rsp import packets as pk
from .rsp import replies
from .rsp.connection import RspLink
from .rsp.framing import Frame, Interrupt

log = logging.getLogger("gdbstub.session")

PACKET_SIZE = 0x4000        # what we advertise and accept
MAX_MEMORY_READ = (PACKET_SIZE - 8) // 2  # an m reply is hex, so two characters a byte
MAX_BINARY_CHUNK = (PACKET_SIZE - 8) // 2  # qXfer data may double when escaped
MAX_DEFERRED = 64           # packets kept for after the stop; gdb sends none while the guest runs
FIRST_PACKET_TIMEOUT = 30.0  # seconds: gdb sends qSupported as soon as it connects

Z_POINT_KINDS = {0: PointKind.SOFTWARE, 1: PointKind.HARDWARE, 2: PointKind.WATCH_WRITE,
                 3: PointKind.WATCH_READ, 4: PointKind.WATCH_ACCESS}
STOP_REASONS = {PointKind.SOFTWARE: "swbreak", PointKind.HARDWARE: "hwbreak", PointKind.WATCH_WRITE: "watch",
                PointKind.WATCH_READ: "rwatch", PointKind.WATCH_ACCESS: "awatch"}
# reported only to a client that says it understands them; a watch reason always is
NEGOTIATED_REASONS = {"swbreak": PointKind.SOFTWARE, "hwbreak": PointKind.HARDWARE}
ANY_THREAD = (-1, 0)        # gdb's "all threads" and "any thread"
OUR_PROCESS = (None, -1, 0, 1)   # no process part, all, any, or the one process

E_INVALID = b"E22"          # as QEMU: a breakpoint that cannot be programmed, bad arguments
E_MEMORY = b"E14"           # EFAULT: memory that cannot be accessed
E_NO_SUCH = b"E02"          # ENOENT: removing a point that is not there
E_INTERNAL = b"E05"         # EIO: the stub failed (a bug, logged with its traceback)
E_BUSY = b"E16"             # EBUSY: a packet beyond MAX_DEFERRED while the target runs


@dataclass(frozen=True)
class _Closed:
    """The client went away."""


class SessionEnding(enum.Enum):
    """How a session ended (not to be confused with the guest exiting, ``W``)."""
    DETACH = "detach"            # D: the guest runs on by itself
    KILL = "kill"                # k: the guest was reloaded
    DISCONNECT = "disconnect"    # the client went away
    SHUTDOWN = "shutdown"        # the server stopped the session (Channel.wake)


class SessionEnd(Exception):
    """The session is over: detach, kill or disconnect."""

    def __init__(self, how: SessionEnding):
        super().__init__(how.value)
        self.how = how


class Session:
    """Serves one client over ``channel`` against the target of ``run_control``; :meth:`run`
    blocks."""

    def __init__(self, channel: Channel, run_control: RunControl, *, log_packets: bool = False,
                 idle_timeout: float | None = None):
        self.channel = channel
        self.idle_timeout = idle_timeout   # seconds of silence while stopped (None: no limit)
        self._heard = False                # the client has sent something
        self._first_timeout = min(FIRST_PACKET_TIMEOUT, idle_timeout or FIRST_PACKET_TIMEOUT)
        self.run_control = run_control
        self.target = run_control.target
        self.architecture = self.target.architecture
        self.capabilities = self.target.capabilities
        first = self.target.threads()[0]
        self._thread = first           # whose registers and memory (Hg)
        self._resume_thread = first    # which thread c and s resume (Hc)
        self._disconnected = False                  # seen while the target ran
        self._cached_stop: StopEvent | None = None  # the last stop replied to, and its reply
        self._cached_reply = b""
        self.link = RspLink(max_packet=PACKET_SIZE, log_packets=log_packets)
        self.client_features: dict[str, str | bool] = {}
        self._pending: collections.deque = collections.deque()   # events read, not yet handled
        self._deferred: collections.deque = collections.deque()  # packets that came while running
        run_control.attached()

    def run(self) -> SessionEnding:
        """Serve until the client detaches, kills or disconnects, or the channel is woken;
        return which."""
        try:
            self._dispatch_loop()
        except ChannelWoken:
            return SessionEnding.SHUTDOWN
        except SessionEnd as end:
            self._flush()
            return end.how

    # --- I/O -------------------------------------------------------------------------------
    def _receive(self, timeout: float | None = None) -> bool:
        """Read once from the client (waiting at most ``timeout`` seconds) and queue what it
        carried (``_Closed`` at the end); False if nothing came. Acks for packets go out with
        their replies; NAKs and resends go out at once."""
        data = self.channel.receive(timeout)
        if data is None:
            return False
        self._heard = True
        if not data:
            self._pending.append(_Closed())
            return
        events = self.link.receive(data)
        self._pending.extend(events)
        if Frame not in map(type, events):
            self._flush()
        return True

    def _flush(self) -> None:
        out = self.link.data_to_send()
        if out:
            try:
                self.channel.send(out)
            except OSError:
                log.info("client went away while we were sending")

    def _next_event(self):
        if self._deferred:
            return self._deferred.popleft()
        while not self._pending:
            timeout = self.idle_timeout if self._heard else self._first_timeout
            if not self._receive(timeout) and timeout is not None:
                log.warning("the client sent nothing for %g s: closing the connection", timeout)
                raise SessionEnd(SessionEnding.DISCONNECT)
        return self._pending.popleft()

    # --- dispatch --------------------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        while True:
            event = self._next_event()
            if isinstance(event, _Closed):
                raise SessionEnd(SessionEnding.DISCONNECT)
            if isinstance(event, Interrupt):
                log.info("Ctrl-C while the target is stopped: nothing to interrupt")
                continue
            packet = pk.parse_packet(event.payload)
            reply = self._handle(packet)
            if reply is not None:
                self._reply(reply)
            if isinstance(packet, pk.StartNoAckMode):
                self.link.start_no_ack_after_reply()
            if isinstance(packet, (pk.Detach, pk.Kill)):
                raise SessionEnd(SessionEnding.DETACH if isinstance(packet, pk.Detach) else SessionEnding.KILL)

    def _reply(self, payload: bytes) -> None:
        self.link.send(payload)
        self._flush()

    def _handle(self, packet) -> bytes | None:
        """The reply payload for ``packet``; None for a ``k`` that failed, and
        for a step already answered."""
        handler = self._HANDLERS.get(type(packet))
        if handler is None:
            return replies.empty()
        try:
            return handler(self, packet)
        except (ValueError, IndexError, KeyError) as exc:
            log.warning("bad arguments in %r: %s", packet, exc)
            return self._error(E_INVALID, str(exc))
        except (SessionEnd, ChannelWoken):
            raise
        except Exception:  # a bug of ours: say so, and keep the session and the guest
            log.exception("internal error answering %r", packet)
            return self._error(E_INTERNAL, f"internal error answering {type(packet).__name__}")

    def _error(self, code: bytes, message: str) -> bytes:
        if self.client_features.get("error-message"):
            return replies.error_message(message)
        return code

    # --- queries ---------------------------------------------------------------------------
    def _supported(self, packet: pk.QSupported) -> bytes:
        self.client_features = dict(packet.features)
        self._cached_stop = None   # stop reasons depend on the features
        features = [f"PacketSize={PACKET_SIZE:x}"]
        if self.architecture.target_xml:
            features.append("qXfer:features:read+")
        features += ["QStartNoAckMode+", "vContSupported+"]
        if self.capabilities.conditional_breakpoints:
            features.append("ConditionalBreakpoints+")
        if self.capabilities.reverse:
            features += ["ReverseStep+", "ReverseContinue+"]
        offered = {name: kind in self.capabilities.point_kinds for name, kind in NEGOTIATED_REASONS.items()}
        offered["error-message"] = True
        features += [f"{name}+" for name, ours in offered.items() if ours and self.client_features.get(name)]
        return ";".join(features).encode()

    def _malformed(self, packet: pk.Malformed) -> bytes:
        log.warning("malformed packet %r: %s", packet.payload[:80], packet.reason)
        return self._error(E_INVALID, packet.reason)

    def _ok(self, packet) -> bytes:
        return replies.OK

    def _empty(self, packet) -> bytes:
        return replies.empty()

    def _halt_reason(self, packet) -> bytes:
        return self._stop_reply(self.run_control.last_stop)

    def _current_thread(self, packet) -> bytes:
        return replies.current_thread(pk.ThreadId(None, self._thread))

    def _thread_info_first(self, packet) -> bytes:
        return replies.thread_list([pk.ThreadId(None, tid) for tid in self.target.threads()])

    def _thread_info_next(self, packet) -> bytes:
        return replies.thread_list([])

    def _attached(self, packet) -> bytes:
        return b"1"

    def _thread_alive(self, packet: pk.ThreadAlive) -> bytes:
        return replies.OK if self._is_our_thread(packet.thread) else self._error(b"E01", "no such thread")

    def _set_thread(self, packet: pk.SetThread) -> bytes:
        if not self._is_our_thread(packet.thread):
            return self._error(b"E01", "no such thread")
        if packet.thread.tid in ANY_THREAD:
            pass
        elif packet.op == "c":
            self._resume_thread = packet.thread.tid
        else:
            self._thread = packet.thread.tid
        return replies.OK

    def _is_our_thread(self, thread: pk.ThreadId | None) -> bool:
        """The one process is pid 1 (``p1.TID``), or all or any of them."""
        if thread is None:
            return True
        if thread.pid not in OUR_PROCESS:
            return False
        return thread.tid in ANY_THREAD or thread.tid in self.target.threads()

    def _xfer(self, packet: pk.XferRead) -> bytes:
        if packet.object != "features":
            return replies.empty()
        if packet.annex != "target.xml":
            return self._error(b"E00", f"no such annex {packet.annex!r}")
        document = self.architecture.target_xml.encode()
        return replies.xfer_chunk(document, packet.offset, min(packet.length, MAX_BINARY_CHUNK))

    def _monitor(self, packet: pk.MonitorCommand) -> bytes:
        try:
            text = self.target.monitor(packet.command)
        except MonitorError as exc:
            text = f"{exc}\n"
        return replies.hex_encode(text.encode())

    # --- registers and memory --------------------------------------------------------------
    def _read_registers(self, packet) -> bytes:
        return replies.hex_encode(self.target.read_registers(self._thread))

    def _write_registers(self, packet: pk.WriteRegisters) -> bytes:
        self.target.write_registers(self._thread, packet.data)
        return replies.OK

    def _read_register(self, packet: pk.ReadRegister) -> bytes:
        return replies.hex_encode(self.target.read_register(self._thread, packet.regno))

    def _write_register(self, packet: pk.WriteRegister) -> bytes:
        self.target.write_register(self._thread, packet.regno, packet.value)
        return replies.OK

    def _read_memory(self, packet: pk.ReadMemory) -> bytes:
        length = min(packet.length, MAX_MEMORY_READ)
        try:
            return replies.hex_encode(self.target.read_memory(self._thread, packet.addr, length))
        except MemoryFault as exc:
            return self._error(E_MEMORY, str(exc))

    def _write_memory(self, packet: pk.WriteMemory | pk.WriteMemoryBinary) -> bytes:
        try:
            self.target.write_memory(self._thread, packet.addr, packet.data)
        except MemoryFault as exc:
            return self._error(E_MEMORY, str(exc))
        return replies.OK

    # --- breakpoints ------------------------------------------------------------------------
    def _insert_point(self, packet: pk.InsertPoint) -> bytes:
        insert = self.target.insert_point
        if packet.conditions and self.capabilities.conditional_breakpoints:
            insert = functools.partial(insert, conditions=packet.conditions)
        return self._point_result(insert, packet)

    def _remove_point(self, packet: pk.RemovePoint) -> bytes:
        return self._point_result(self.target.remove_point, packet)

    def _point_result(self, action, packet) -> bytes:
        kind = Z_POINT_KINDS.get(packet.type)
        if kind not in self.capabilities.point_kinds:
            return replies.empty()
        try:
            action(kind, packet.addr, packet.kind)
        except NoSuchPoint as exc:
            return self._error(E_NO_SUCH, str(exc))
        except PointRefused as exc:
            log.info("%s refused: %s", type(packet).__name__, exc)
            return self._error(E_INVALID, str(exc))
        except MemoryFault as exc:
            return self._error(E_MEMORY, str(exc))
        return replies.OK

    # --- execution: the session as the run control's client --------------------------------------
    def _continue(self, packet) -> bytes:
        return self._resume(self._resume_thread, step=False, addr=packet.addr)

    def _step(self, packet) -> bytes | None:
        if not self.capabilities.single_step:
            return replies.empty()
        return self._resume(self._resume_thread, step=True, addr=packet.addr)

    def _reverse_step(self, packet) -> bytes | None:
        return self._resume(self._resume_thread, step=True, reverse=True)

    def _reverse_continue(self, packet) -> bytes | None:
        return self._resume(self._resume_thread, step=False, reverse=True)

    def _vcont_query(self, packet) -> bytes:
        return b"vCont;c;C;s;S" if self.capabilities.single_step else b"vCont;c;C"

    def _vcont(self, packet: pk.VCont) -> bytes | None:
        for action in packet.actions:
            if self._is_our_thread(action.thread):
                if action.thread is None or action.thread.tid in ANY_THREAD:
                    thread = self._resume_thread
                else:
                    thread = action.thread.tid
                if action.kind in "cC":
                    return self._resume(thread, step=False)
                if action.kind in "sS" and self.capabilities.single_step:
                    return self._resume(thread, step=True)
                return self._error(E_INVALID, f"vCont action {action.kind!r} is not supported")
        return self._error(E_INVALID, "vCont names no thread of this target")

    def _resume(self, thread: int, *, step: bool, addr: int | None = None, reverse: bool = False) -> bytes | None:
        """The stop reply, or None for a step already answered (``stop_foreseen``)."""
        if addr is not None:
            bits = self.architecture.address_bits
            if not 0 <= addr <= self.architecture.address_mask:
                return self._error(E_INVALID, f"resume address {addr:#x} is not a {bits}-bit address")
            self.target.write_register(thread, self.architecture.pc_regnum, addr.to_bytes(bits // 8, "big"))
        if reverse and not self.capabilities.reverse:
            return replies.empty()
        stop = self.run_control.resume(thread, step=step, client=self, reverse=reverse)
        if self._disconnected:
            raise SessionEnd(SessionEnding.DISCONNECT)
        if isinstance(stop, DebugEventStop):   # gdb has no name for it: say it on its console
            self.link.send(replies.console_output(stop.message))
        return None if stop is None else self._stop_reply(stop)

    def stop_foreseen(self, stop: StopEvent) -> None:
        """Reply to a step whose stop is certain, before it runs: the client reads the reply
        while the step runs, and its next packet is read after the step. Replying after the
        step would cost the client a wake-up (docs/performance.md)."""
        self._reply(self._stop_reply(stop))

    def poll(self) -> bool:
        """Between quanta of a run: True on a Ctrl-C or a disconnect."""
        self._flush()   # a long run: ack the packet now, or gdb resends it after 2 s
        self._receive(timeout=0)
        event = self._take_queued_while_running()
        if isinstance(event, _Closed):
            self._disconnected = True
        return event is not None

    def _take_queued_while_running(self) -> Interrupt | _Closed | None:
        """Set packets aside for after the stop; return a Ctrl-C or disconnect if one came."""
        while self._pending:
            event = self._pending.popleft()
            if isinstance(event, (Interrupt, _Closed)):
                return event
            if len(self._deferred) < MAX_DEFERRED:
                self._deferred.append(event)
            else:  # keep draining, so that a Ctrl-C behind a flood still stops the guest
                log.warning("refused a packet sent while the target runs: %d are waiting", MAX_DEFERRED)
                self.link.send(self._error(E_BUSY, f"the target is running and {MAX_DEFERRED} packets "
                                                   "already wait for it to stop"))
        return None

    def _stop_reply(self, stop: StopEvent) -> bytes:
        if stop is not self._cached_stop:   # most often the same plain step again
            self._cached_stop, self._cached_reply = stop, self._encode_stop(stop)
        return self._cached_reply

    def _encode_stop(self, stop: StopEvent) -> bytes:
        if isinstance(stop, GuestExited):
            return replies.exited(stop.status)
        reason = None
        if isinstance(stop, HistoryBegin):
            reason = replies.ReplayLogEdge("begin")
        elif isinstance(stop, (BreakpointStop, WatchStop)):
            name = STOP_REASONS[stop.kind]
            if stop.kind.is_watch or self.client_features.get(name):
                reason = replies.StopReason(name, stop.address)
        return replies.stop_reply(stop.signal, thread=pk.ThreadId(None, stop.thread), reason=reason)

    def _detach(self, packet) -> bytes:
        self.target.remove_all_points()
        return replies.OK

    def _kill(self, packet) -> bytes | None:
        """gdb reads no reply to ``k``; LLDB waits for one (else "failed to send the k packet")."""
        try:
            self.target.reset()
        except ResetFailed as exc:
            log.error("k: the guest could not be reloaded and is unchanged: %s", exc)
            return None
        return replies.killed(signal.SIGKILL)

    def _host_info(self, packet) -> bytes:
        """LLDB's ``qHostInfo``: the guest's triple and how watchpoints report (before the
        access, so that LLDB steps over the access itself before it continues)."""
        cpu = self.architecture.name.partition(":")[0]
        return (f"triple:{f'{cpu}-unknown-none-elf'.encode().hex()};endian:big;"
                f"ptrsize:{self.architecture.address_bits // 8};"
                "watchpoint_exceptions_received:before;").encode()

    def _watchpoint_support_info(self, packet) -> bytes:
        return f"num:{self.capabilities.watchpoint_slots};".encode()

    _HANDLERS = {
        pk.QSupported: _supported, pk.Malformed: _malformed, pk.StartNoAckMode: _ok,
        pk.MustReplyEmpty: _empty, pk.QueryHaltReason: _halt_reason, pk.CurrentThread: _current_thread,
        pk.ThreadInfoFirst: _thread_info_first, pk.ThreadInfoNext: _thread_info_next,
        pk.Attached: _attached, pk.ThreadAlive: _thread_alive, pk.SetThread: _set_thread,
        pk.XferRead: _xfer, pk.MonitorCommand: _monitor,
        pk.ReadRegisters: _read_registers, pk.WriteRegisters: _write_registers,
        pk.ReadRegister: _read_register, pk.WriteRegister: _write_register,
        pk.ReadMemory: _read_memory, pk.WriteMemory: _write_memory, pk.WriteMemoryBinary: _write_memory,
        pk.InsertPoint: _insert_point, pk.RemovePoint: _remove_point,
        pk.Continue: _continue, pk.ContinueSignal: _continue, pk.Step: _step, pk.StepSignal: _step,
        pk.VContQuery: _vcont_query, pk.VCont: _vcont, pk.ReverseStep: _reverse_step,
        pk.ReverseContinue: _reverse_continue, pk.Detach: _detach, pk.Kill: _kill,
        pk.HostInfo: _host_info, pk.WatchpointSupportInfo: _watchpoint_support_info,
    }
