"""One gdb connection: typed packets in, one reply each out, and the run/stop state machine.

A session runs in a worker thread with blocking I/O on its :class:`~.channel.Channel` (the
server's event loop stays free to refuse a second client and to shut down). It answers each
packet in the same write as its ack. While the guest runs, it executes quanta and looks at
the connection between them without waiting, so a Ctrl-C (even one in the same read as the
``c``) interrupts the guest and a disconnect stops it cleanly. Packets that arrive while the
guest runs wait for the stop (at most ``MAX_DEFERRED`` of them: memory stays bounded whatever
a client sends).
"""
from __future__ import annotations

import collections
import logging
from dataclasses import dataclass

from . import registers
from .channel import Channel, ChannelWoken
from .hwdebug.points import NoSuchPoint, PointError, UnsupportedPoint
from .machine import PLAIN_STEP, Exited, Machine, Stopped
from .vcpu.elf import ElfLoadError
from .vcpu.isa.bits import MASK32
from .vcpu.memory import BusError
from .rsp import packets as pk
from .rsp import replies
from .rsp.connection import RspLink
from .rsp.framing import Frame, Interrupt

log = logging.getLogger("gdbstub.session")

PACKET_SIZE = 0x4000        # what we advertise and accept
MAX_MEMORY_READ = (PACKET_SIZE - 8) // 2  # an m reply is hex, so two characters a byte
MAX_BINARY_CHUNK = (PACKET_SIZE - 8) // 2  # qXfer data may double when escaped
RUN_QUANTUM = 0.02          # seconds of guest execution between looks at the connection
MAX_DEFERRED = 64           # packets kept for after the stop; gdb sends none while the guest runs
THREAD_ID = 1               # the single vCPU is thread 1
OUR_THREAD = pk.ThreadId(None, THREAD_ID)

PLAIN_STEP_REPLY = replies.stop_reply(PLAIN_STEP.signal, thread=OUR_THREAD)  # the most frequent reply

E_INVALID = b"E22"          # as QEMU: a breakpoint that cannot be programmed, bad arguments
E_MEMORY = b"E14"           # EFAULT: memory that cannot be accessed
E_NO_SUCH = b"E02"          # ENOENT: removing a point that is not there
E_INTERNAL = b"E05"         # EIO: the stub failed (a bug, logged with its traceback)


@dataclass(frozen=True)
class _Closed:
    """The client went away."""


class SessionEnd(Exception):
    """The session is over: detach, kill or disconnect."""

    def __init__(self, how: str):
        super().__init__(how)
        self.how = how


class Session:
    """Serves one client over ``channel`` against ``machine``; :meth:`run` blocks."""

    def __init__(self, channel: Channel, machine: Machine, *, log_packets: bool = False):
        self.channel = channel
        self.machine = machine
        self.link = RspLink(max_packet=PACKET_SIZE, log_packets=log_packets)
        self.client_features: dict[str, str | bool] = {}
        self._pending: collections.deque = collections.deque()   # events read, not yet handled
        self._deferred: collections.deque = collections.deque()  # packets that came while running

    def run(self) -> str:
        """Serve until the client detaches, kills or disconnects, or the channel is woken;
        return which ("detach", "kill", "disconnect" or "shutdown")."""
        try:
            self._dispatch_loop()
        except ChannelWoken:
            return "shutdown"
        except SessionEnd as end:
            self._flush()
            return end.how

    # --- I/O -------------------------------------------------------------------------------
    def _receive(self, timeout: float | None = None) -> None:
        """Read once from the client (waiting at most ``timeout`` seconds) and queue what it
        carried (``_Closed`` at the end). Acks for packets go out with their replies; NAKs and
        resends go out at once."""
        data = self.channel.receive(timeout)
        if data is None:
            return
        if not data:
            self._pending.append(_Closed())
            return
        events = self.link.receive(data)
        self._pending.extend(events)
        if Frame not in map(type, events):
            self._flush()

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
            self._receive()
        return self._pending.popleft()

    # --- dispatch --------------------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        while True:
            event = self._next_event()
            if isinstance(event, _Closed):
                raise SessionEnd("disconnect")
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
                raise SessionEnd("detach" if isinstance(packet, pk.Detach) else "kill")

    def _reply(self, payload: bytes) -> None:
        self.link.send(payload)
        self._flush()

    def _handle(self, packet) -> bytes | None:
        """The reply payload for ``packet``; None for ``k``, which gdb expects no reply to, and
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
        features = [f"PacketSize={PACKET_SIZE:x}", "qXfer:features:read+", "QStartNoAckMode+",
                    "vContSupported+"]
        features += [f"{name}+" for name in ("swbreak", "hwbreak", "error-message")
                     if self.client_features.get(name)]
        return ";".join(features).encode()

    def _malformed(self, packet: pk.Malformed) -> bytes:
        log.warning("malformed packet %r: %s", packet.payload[:80], packet.reason)
        return self._error(E_INVALID, packet.reason)

    def _ok(self, packet) -> bytes:
        return replies.OK

    def _empty(self, packet) -> bytes:
        return replies.empty()

    def _halt_reason(self, packet) -> bytes:
        return self._stop_reply(self.machine.last_stop)

    def _current_thread(self, packet) -> bytes:
        return replies.current_thread(OUR_THREAD)

    def _thread_info_first(self, packet) -> bytes:
        return replies.thread_list([OUR_THREAD])

    def _thread_info_next(self, packet) -> bytes:
        return replies.thread_list([])

    def _attached(self, packet) -> bytes:
        return b"1"

    def _thread_alive(self, packet: pk.ThreadAlive) -> bytes:
        return replies.OK if self._is_our_thread(packet.thread) else self._error(b"E01", "no such thread")

    def _set_thread(self, packet: pk.SetThread) -> bytes:
        return replies.OK if self._is_our_thread(packet.thread) else self._error(b"E01", "no such thread")

    @staticmethod
    def _is_our_thread(thread: pk.ThreadId | None) -> bool:
        return thread is None or thread.tid in (-1, 0, THREAD_ID)

    def _xfer(self, packet: pk.XferRead) -> bytes:
        if packet.object != "features":
            return replies.empty()
        if packet.annex != "target.xml":
            return self._error(b"E00", f"no such annex {packet.annex!r}")
        document = registers.target_xml().encode()
        return replies.xfer_chunk(document, packet.offset, min(packet.length, MAX_BINARY_CHUNK))

    def _monitor(self, packet: pk.MonitorCommand) -> bytes:
        try:
            text = self.machine.monitor(packet.command)
        except ValueError as exc:
            text = f"{exc}\n"
        return replies.hex_encode(text.encode())

    # --- registers and memory --------------------------------------------------------------
    def _read_registers(self, packet) -> bytes:
        return replies.hex_encode(self.machine.read_registers())

    def _write_registers(self, packet: pk.WriteRegisters) -> bytes:
        self.machine.write_registers(packet.data)
        return replies.OK

    def _read_register(self, packet: pk.ReadRegister) -> bytes:
        return replies.hex_encode(self.machine.read_register(packet.regno))

    def _write_register(self, packet: pk.WriteRegister) -> bytes:
        self.machine.write_register(packet.regno, packet.value)
        return replies.OK

    def _read_memory(self, packet: pk.ReadMemory) -> bytes:
        length = min(packet.length, MAX_MEMORY_READ)
        try:
            return replies.hex_encode(self.machine.read_memory(packet.addr, length))
        except BusError as exc:
            return self._error(E_MEMORY, str(exc))

    def _write_memory(self, packet: pk.WriteMemory | pk.WriteMemoryBinary) -> bytes:
        try:
            self.machine.write_memory(packet.addr, packet.data)
        except BusError as exc:
            return self._error(E_MEMORY, str(exc))
        return replies.OK

    # --- breakpoints ------------------------------------------------------------------------
    def _insert_point(self, packet: pk.InsertPoint) -> bytes:
        return self._point_result(self.machine.insert_point, packet)

    def _remove_point(self, packet: pk.RemovePoint) -> bytes:
        return self._point_result(self.machine.remove_point, packet)

    def _point_result(self, action, packet) -> bytes:
        try:
            action(packet.type, packet.addr, packet.kind)
        except UnsupportedPoint:
            return replies.empty()
        except NoSuchPoint as exc:
            return self._error(E_NO_SUCH, str(exc))
        except PointError as exc:
            log.info("%s refused: %s", type(packet).__name__, exc)
            return self._error(E_INVALID, str(exc))
        except BusError as exc:
            return self._error(E_MEMORY, str(exc))
        return replies.OK

    # --- execution --------------------------------------------------------------------------
    def _continue(self, packet) -> bytes:
        return self._resume(step=False, addr=packet.addr)

    def _step(self, packet) -> bytes:
        return self._resume(step=True, addr=packet.addr)

    def _vcont_query(self, packet) -> bytes:
        return b"vCont;c;C;s;S"

    def _vcont(self, packet: pk.VCont) -> bytes:
        for action in packet.actions:
            if self._is_our_thread(action.thread):
                if action.kind in "cC":
                    return self._resume(step=False)
                if action.kind in "sS":
                    return self._resume(step=True)
                return self._error(E_INVALID, f"vCont action {action.kind!r} is not supported")
        return self._error(E_INVALID, "vCont names no thread of this target")

    def _resume(self, *, step: bool, addr: int | None = None) -> bytes | None:
        if addr is not None:
            if not 0 <= addr <= MASK32:
                return self._error(E_INVALID, f"resume address {addr:#x} is not a 32-bit address")
            self.machine.cpu.pc = addr
        self.machine.resume(step=step)
        if step and (foreseen := self.machine.foreseen_step()) is not None:
            self._step_answered_early(foreseen)
            return None
        stop = self.machine.run_for(RUN_QUANTUM)    # a step, or a short run, ends here
        if stop is None:
            self._flush()   # a long run: ack the packet now, or gdb resends it after 2 s
        while stop is None:
            self._receive(timeout=0)
            event = self._take_queued_while_running()
            if isinstance(event, _Closed):
                self.machine.interrupted()
                raise SessionEnd("disconnect")
            stop = self.machine.interrupted() if event is not None else self.machine.run_for(RUN_QUANTUM)
        return self._stop_reply(stop)

    def _step_answered_early(self, foreseen: Stopped) -> None:
        """Reply to a step whose stop is certain (``Machine.foreseen_step``), then take it: the
        client reads the reply while the step runs, and its next packet is read after the step.
        Replying after the step would cost the client a wake-up (docs/performance.md)."""
        self._reply(self._stop_reply(foreseen))
        try:
            stop = self.machine.run_for(RUN_QUANTUM)
        except Exception:  # a bug of ours, as in _handle; the reply is out, so only log it
            log.exception("internal error in a step already answered")
            return
        if stop != foreseen:
            log.error("a step answered in advance ended in %r instead (a bug); '?' tells the truth", stop)

    def _take_queued_while_running(self) -> Interrupt | _Closed | None:
        """Set packets aside for after the stop; return a Ctrl-C or disconnect if one came."""
        while self._pending:
            event = self._pending.popleft()
            if isinstance(event, (Interrupt, _Closed)):
                return event
            if len(self._deferred) < MAX_DEFERRED:
                self._deferred.append(event)
            else:  # keep draining, so that a Ctrl-C behind a flood still stops the guest
                log.warning("dropped a packet sent while the target runs: more than %d are waiting", MAX_DEFERRED)
        return None

    def _stop_reply(self, stop: Stopped | Exited) -> bytes:
        if stop is PLAIN_STEP:
            return PLAIN_STEP_REPLY
        if isinstance(stop, Exited):
            return replies.exited(stop.status)
        reason = None
        if stop.reason is not None and (stop.reason not in ("swbreak", "hwbreak")
                                        or self.client_features.get(stop.reason)):
            reason = replies.StopReason(stop.reason, stop.address)
        return replies.stop_reply(stop.signal, thread=OUR_THREAD, reason=reason)

    def _detach(self, packet) -> bytes:
        self.machine.debug.reset()
        return replies.OK

    def _kill(self, packet) -> None:
        try:
            self.machine.reset()
        except ElfLoadError as exc:   # gdb expects no reply, so the log says it
            log.error("k: the guest could not be reloaded and is unchanged: %s", exc)

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
        pk.VContQuery: _vcont_query, pk.VCont: _vcont, pk.Detach: _detach, pk.Kill: _kill,
    }
