"""The trio server: one debugging session at a time over TCP or stdio.

The event loop accepts connections; each session runs in a worker thread with blocking I/O on
the connection (:mod:`.channel`), which is what makes a packet cheap, while the loop stays
free: a second client is told the target is busy and disconnected while the first stays intact.
One :class:`~.runcontrol.RunControl` owns the machine's execution for every session and, after
a detach, for the free run: the guest runs on by itself until the next client attaches. After
a disconnect or kill the guest stays stopped for the next client, with no breakpoints or
watchpoints left behind.
"""
from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field

import trio

from .channel import Channel
from .machine import Machine
from .rsp.connection import RspLink
from .rsp.framing import Frame
from .rsp import replies
from .runcontrol import RunControl
from .session import PACKET_SIZE, Session, SessionEnding
from .target import ResetFailed

log = logging.getLogger("gdbstub.server")

BUSY_MESSAGE = "another gdb session is attached to this target; only one at a time"
REFUSE_TIMEOUT = 5.0
HANDOVER_GRACE = 2.0  # a reconnecting client may arrive before we notice the old one left


class Server:
    """Serves ``machine`` to one client at a time."""

    def __init__(self, machine: Machine, *, once: bool = False, log_packets: bool = False,
                 busy_poll: float = 0.0, run_at_start: bool = False, idle_timeout: float | None = None):
        """``run_at_start``: the guest runs before any gdb attaches (``--run``), as after a detach;
        ``idle_timeout``: seconds a stopped session's client may stay silent (see :mod:`.session`)."""
        self.idle_timeout = idle_timeout
        self.machine = machine
        self.run_control = RunControl(machine)
        self.busy_poll = busy_poll  # seconds; see :mod:`.channel`
        self.once = once
        self.log_packets = log_packets
        self._idle = trio.Event()
        self._idle.set()
        self._free_run: _FreeRun | None = None
        self._done = trio.Event()
        self.run_at_start = run_at_start

    async def serve_tcp(self, host: str = "127.0.0.1", port: int = 1234, *,
                        task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Listen on ``host:port`` (port 0 picks a free one, reported through ``task_status``)."""
        listeners = await trio.open_tcp_listeners(port, host=host)
        bound = listeners[0].socket.getsockname()
        log.info("listening on %s:%d", bound[0], bound[1])
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self._cancel_when_done, nursery.cancel_scope)
            if self.run_at_start:
                self._start_free_run()
            await nursery.start(trio.serve_listeners, self._handle_client, listeners)
            task_status.started(bound[1])

    async def serve_stdio(self) -> None:
        """Serve exactly one session over stdin/stdout (``target remote | gdbstub serve --stdio``)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            if self.run_at_start:
                self._start_free_run()
            await self._serve_session(Channel(0, 1, busy_poll=self.busy_poll))
            nursery.cancel_scope.cancel()

    async def _cancel_when_done(self, scope: trio.CancelScope) -> None:
        await self._done.wait()
        scope.cancel()

    async def _handle_client(self, stream: trio.SocketStream) -> None:
        with trio.move_on_after(HANDOVER_GRACE):
            while not self._idle.is_set():  # another waiting client may take it first
                await self._idle.wait()
        if not self._idle.is_set():
            await self._refuse(stream)
            return
        self._idle = trio.Event()
        _keep_alive(stream.socket)
        try:
            await self._serve_session(Channel(stream.socket.fileno(), busy_poll=self.busy_poll))
        finally:
            self._idle.set()
            await stream.aclose()
        if self.once:
            self._done.set()

    async def _serve_session(self, channel: Channel) -> None:
        await self._stop_free_run()
        if self.machine.guest_exit:
            try:
                self.machine.reset()
            except ResetFailed as exc:  # the client finds the guest exited, as it was
                log.error("could not reload the guest: %s", exc)
        log.info("client attached")
        session = Session(channel, self.run_control, log_packets=self.log_packets, idle_timeout=self.idle_timeout)
        try:
            how = await _run_in_thread(session.run, on_cancel=channel.wake)
        finally:
            channel.close()
        log.info("client session ended: %s", how.value)
        if how is SessionEnding.DISCONNECT:
            self.machine.remove_all_points()  # the next gdb knows nothing of this one's points
            self.run_control.forget_stop_reason()
        if how is SessionEnding.DETACH and not self.once:
            self._start_free_run()

    def _start_free_run(self) -> None:
        # It exists before the task starts, so a client that attaches at once stops it.
        self._free_run = _FreeRun()
        self._nursery.start_soon(self._run_free, self._free_run)

    async def _refuse(self, stream: trio.SocketStream) -> None:
        """Answer the intruder's first packet with an error message, then hang up."""
        log.warning("refused a second client: %s", BUSY_MESSAGE)
        link = RspLink(max_packet=PACKET_SIZE)
        with trio.move_on_after(REFUSE_TIMEOUT):
            try:
                while data := await stream.receive_some(4096):
                    if any(isinstance(event, Frame) for event in link.receive(data)):
                        link.send(replies.error_message(BUSY_MESSAGE))
                        await stream.send_all(link.data_to_send())
                        break
            except (trio.BrokenResourceError, OSError):
                pass
        await stream.aclose()

    async def _run_free(self, run: _FreeRun) -> None:
        """Let a detached guest run on, in a worker thread, until it halts or the next client
        attaches (which then waits one slice of instructions at most)."""
        def execute() -> None:
            self.run_control.run_detached(self.machine.threads()[0], run.stop.is_set)
        try:
            if not run.stop.is_set():
                await _run_in_thread(execute, on_cancel=run.stop.set)
        finally:
            run.done.set()

    async def _stop_free_run(self) -> None:
        if self._free_run is not None:
            self._free_run.stop.set()
            await self._free_run.done.wait()
            self._free_run = None
            self.run_control.forget_stop_reason()  # the guest ran on after the stop gdb saw


def _keep_alive(sock) -> None:
    """TCP keepalive: a client whose host or network went away is noticed within minutes
    (Linux would wait two hours), and its session ends as a disconnect."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 6)):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


@dataclass
class _FreeRun:
    """A detached guest running on until ``stop`` is set; ``done`` once it no longer runs."""
    stop: threading.Event = field(default_factory=threading.Event)
    done: trio.Event = field(default_factory=trio.Event)


async def _run_in_thread(function, *, on_cancel):
    """``function()`` in a worker thread. If we are cancelled meanwhile, ``on_cancel()`` (from
    this thread) must make it return soon; we wait for it, since nothing may touch the machine
    after we return."""
    async def call_on_cancel() -> None:
        try:
            await trio.sleep_forever()
        finally:
            on_cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(call_on_cancel)
        result = await trio.to_thread.run_sync(function)
        nursery.cancel_scope.cancel()
    return result
