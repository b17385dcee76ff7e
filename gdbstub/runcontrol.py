"""Run control: the one owner of execution, in all-stop mode.

A :class:`RunControl` runs the target for its clients (the session while gdb is attached, the
server's free run after a detach) and publishes what the run ended in as a stop event: the
return value of :meth:`RunControl.resume`, announced before the step for a step whose stop is
certain (``RunClient.stop_foreseen``), and :attr:`RunControl.last_stop` for ``?``.

Execution goes in quanta of ``RUN_QUANTUM`` seconds, each made of slices of about
``SLICE_SECONDS``; between quanta the client looks at its connection (``RunClient.poll``)
and may interrupt. The state machine:

    STOPPED --resume(step)--> STEPPING --stop--> STOPPED (or EXITED)
    STOPPED --resume-------> RUNNING  --stop, interrupt--> STOPPED (or EXITED)

(the same with ``reverse``: the target goes back through its recorded history, in the same
slices, so that a Ctrl-C stops a long reverse continue too)
    STOPPED --run_detached-> RUNNING  --stop, stop request--> STOPPED (or EXITED)
    EXITED  --target reset--> STOPPED

Several vCPUs and non-stop mode fit here later: the state becomes per thread (one
``RunState`` and one last stop per thread id, resume taking a set of per-thread actions), the
quantum loop runs every thread that is not stopped, and in non-stop mode a stop is published
to a listener (for a ``%Stop`` notification) while the other threads run on, instead of being
returned to the client that resumed.
"""
from __future__ import annotations

import enum
import logging
import signal
import time
from typing import Callable, Protocol

from .target import BreakpointStop, GuestExited, SignalStop, StopEvent, Target, WatchStop

log = logging.getLogger("gdbstub.runcontrol")

RUN_QUANTUM = 0.02          # seconds of guest execution between looks at the connection
SLICE_SECONDS = 0.001       # guest time between looks at the clock or at a stop request
FIRST_SLICE_STEPS = 4000    # instructions in a slice until the guest's speed is known
SLICE_STEPS_RANGE = (100, 16000)  # the cap bounds the slice after a sudden slow-down


class RunState(enum.Enum):
    STOPPED = "stopped"
    RUNNING = "running"
    STEPPING = "stepping"
    EXITED = "exited"


class RunClient(Protocol):
    """What the run control asks of the client that resumed the target."""

    def poll(self) -> bool:
        """Between quanta, without waiting: True to interrupt the target."""

    def stop_foreseen(self, stop: StopEvent) -> None:
        """The step about to run will end in ``stop`` (certain): tell the client now."""


class RunControl:
    """Runs ``target`` for one client at a time."""

    def __init__(self, target: Target):
        self.target = target
        self.state = RunState.STOPPED
        self.last_stop: StopEvent = SignalStop(target.threads()[0], signal.SIGTRAP)
        self._slice_steps = FIRST_SLICE_STEPS
        target.add_reset_listener(self._target_reset)

    def _target_reset(self) -> None:
        self.state = RunState.STOPPED
        self.last_stop = SignalStop(self.target.threads()[0], signal.SIGTRAP)
        self._slice_steps = FIRST_SLICE_STEPS

    # --- the attached client ------------------------------------------------------------------
    def attached(self) -> None:
        """A client attached: a target that records history starts it now."""
        if self.target.capabilities.reverse:
            self.target.start_history()

    def resume(self, thread: int, *, step: bool, client: RunClient, reverse: bool = False) -> StopEvent | None:
        """Run ``thread`` (one instruction if ``step``; backwards if ``reverse``) until it
        stops or ``client.poll()`` asks for an interrupt; the stop, or None if it was announced
        through ``client.stop_foreseen`` (then the step has run when this returns)."""
        self.state = RunState.STEPPING if step else RunState.RUNNING
        if reverse:
            self.target.resume_reverse(thread, step=step)
        else:
            self.target.resume(thread, step=step)
            foreseen = self.target.foreseen_stop(thread) if step else None
            if foreseen is not None:
                client.stop_foreseen(foreseen)
                self._take_foreseen_step(foreseen)
                return None
        try:
            stop = self._run_for(RUN_QUANTUM)    # a step, or a short run, ends here
            while stop is None:
                stop = self._interrupt(thread) if client.poll() else self._run_for(RUN_QUANTUM)
        except BaseException:
            self.state = RunState.STOPPED      # the client is gone (shut down): nothing runs
            raise
        return self._stopped(stop)

    def _take_foreseen_step(self, foreseen: StopEvent) -> None:
        """Run the step whose stop the client already has; a different stop is a bug of ours,
        logged, and :attr:`last_stop` tells the truth."""
        try:
            stop = self._run_for(RUN_QUANTUM)
        except Exception:  # the reply is out, so only log it
            log.exception("internal error in a step already answered")
            self.state = RunState.STOPPED
            return
        self._stopped(stop)
        if stop != foreseen:
            log.error("a step answered in advance ended in %r instead (a bug); '?' tells the truth", stop)

    def _interrupt(self, thread: int) -> StopEvent:
        return SignalStop(thread, signal.SIGINT)

    def _stopped(self, stop: StopEvent) -> StopEvent:
        self.last_stop = stop
        self.state = RunState.EXITED if isinstance(stop, GuestExited) else RunState.STOPPED
        return stop

    def forget_stop_reason(self) -> None:
        """For the next client: the last stop keeps its signal but loses its reason (which
        breakpoint, which watchpoint), because the points that explained it are gone or the
        target has run on since."""
        if isinstance(self.last_stop, (BreakpointStop, WatchStop)):
            self.last_stop = SignalStop(self.last_stop.thread, self.last_stop.signal)

    # --- the free run after a detach ----------------------------------------------------------
    def run_detached(self, thread: int, stop_requested: Callable[[], bool]) -> None:
        """Run ``thread`` on by itself until it stops or ``stop_requested()`` (asked every
        slice, so that an attaching client waits one slice at most)."""
        self.target.resume(thread, step=False)
        self.state = RunState.RUNNING
        stop = None
        while not stop_requested() and (stop := self._run_slice()) is None:
            pass
        if stop is None:
            self.state = RunState.STOPPED
        else:
            self._stopped(stop)

    # --- quanta and slices --------------------------------------------------------------------
    def _run_for(self, seconds: float) -> StopEvent | None:
        """Run slices until a stop, or until ``seconds`` have passed.

        The quantum must be long: CPython hands the GIL to a waiting thread only after a full
        switch interval without a pause, so pausing every few milliseconds would starve an
        in-process client thread.
        """
        deadline = time.monotonic() + seconds
        while (stop := self._run_slice()) is None:
            if time.monotonic() >= deadline:
                return None
        return stop

    def _run_slice(self) -> StopEvent | None:
        """Run about ``SLICE_SECONDS`` of guest code: a stop, or None if still running.

        The instruction count follows the guest's speed, so that a slice stays short when the
        guest is slow (interpreted, say) and long when it is fast: each slice boundary costs
        some interpreted instructions, which with armed comparators was 12 % of the time at
        4,000 instructions a slice.
        """
        fewest, most = SLICE_STEPS_RANGE
        steps, start = self._slice_steps, time.perf_counter()
        stop = self.target.run(steps)
        elapsed = time.perf_counter() - start
        if stop is None and elapsed > 0:
            self._slice_steps = int(min(most, max(fewest, steps / elapsed * SLICE_SECONDS)))
        return stop
