"""The target contract: what the RSP engine (:mod:`.session`) and the run control
(:mod:`.runcontrol`) ask of a debug target, in the target's own terms.

Nothing here knows the wire protocol (Z numbers, ``T05``, ``vCont`` letters) or the vCPU. A
target has threads (ids; one today, several vCPUs later), registers and memory per thread
(memory at that thread's effective addresses), points by :class:`PointKind`, and reports why it
stopped as a :class:`StopEvent` that names the thread. Its :class:`Capabilities` say what it
can do; the session derives ``qSupported`` and ``vCont?`` from them. Errors a client should
get an ``E`` reply for are the :class:`TargetError` types below, so that the session needs no
import from the layers underneath.

:class:`.machine.Machine` implements :class:`Target`.
"""
from __future__ import annotations

import enum
import signal as signals
from dataclasses import dataclass
from typing import Callable, ClassVar, Protocol, Sequence


class PointKind(enum.Enum):
    """A breakpoint or watchpoint as the client asks for it."""
    SOFTWARE = "software breakpoint"
    HARDWARE = "hardware breakpoint"
    WATCH_WRITE = "write watchpoint"
    WATCH_READ = "read watchpoint"
    WATCH_ACCESS = "access watchpoint"

    @property
    def is_watch(self) -> bool:
        return self in WATCH_POINT_KINDS


WATCH_POINT_KINDS = frozenset({PointKind.WATCH_WRITE, PointKind.WATCH_READ, PointKind.WATCH_ACCESS})


@dataclass(frozen=True)
class Capabilities:
    """What a target can do beyond reading and writing registers and memory."""
    single_step: bool
    point_kinds: frozenset[PointKind]
    watchpoint_slots: int = 0      # how many watchpoints fit at once (LLDB asks)
    conditional_breakpoints: bool = False   # breakpoints take conditions (agent expressions)
    reverse: bool = False          # it records history and can run backwards (resume_reverse)


@dataclass(frozen=True)
class Architecture:
    """How the client should see a thread: address width and the register file."""
    name: str
    address_bits: int
    pc_regnum: int
    target_xml: str              # the ``qXfer:features:read:target.xml`` document

    @property
    def address_mask(self) -> int:
        return (1 << self.address_bits) - 1


# --- stop events: why the target stopped, and which thread -----------------------------------
@dataclass(frozen=True)
class StopEvent:
    thread: int


@dataclass(frozen=True)
class SignalStop(StopEvent):
    """Stopped with a signal: a finished step (SIGTRAP), an interrupt (SIGINT), a fault."""
    signal: int


@dataclass(frozen=True)
class BreakpointStop(StopEvent):
    """A software or hardware breakpoint at ``address`` was hit."""
    kind: PointKind
    address: int
    signal: ClassVar[int] = signals.SIGTRAP


@dataclass(frozen=True)
class WatchStop(StopEvent):
    """A watchpoint of ``kind`` on ``address`` triggered (the access has not been done)."""
    kind: PointKind
    address: int
    signal: ClassVar[int] = signals.SIGTRAP


@dataclass(frozen=True)
class DebugEventStop(StopEvent):
    """Stopped on a debug event the client has no name for (a taken branch, an interrupt
    taken, a range or value-compare breakpoint...): a SIGTRAP, with ``message`` shown on the
    client's console before the stop."""
    message: str
    signal: ClassVar[int] = signals.SIGTRAP


@dataclass(frozen=True)
class HistoryBegin(StopEvent):
    """Going backwards, the target reached the start of its recorded history."""
    signal: ClassVar[int] = signals.SIGTRAP


@dataclass(frozen=True)
class GuestExited(StopEvent):
    """The guest program ended with ``status``; it does not run again until reset."""
    status: int


# --- errors the client is told about ----------------------------------------------------------
class TargetError(Exception):
    """A request the target refuses; nothing was changed."""


class MemoryFault(TargetError):
    """The memory cannot be accessed."""


class PointRefused(TargetError):
    """A point that cannot be inserted: bad arguments, or no free comparator."""


class NoSuchPoint(TargetError):
    """Removing a point that is not inserted."""


class ResetFailed(TargetError):
    """The guest could not be reloaded; it is unchanged."""


class MonitorError(TargetError):
    """A monitor command that failed or does not exist; the message is the answer."""


class Target(Protocol):
    """The debug target as the session and the run control use it."""
    architecture: Architecture
    capabilities: Capabilities

    def threads(self) -> Sequence[int]: ...

    # registers and memory, per thread
    def read_registers(self, thread: int) -> bytes: ...
    def write_registers(self, thread: int, data: bytes) -> None: ...
    def read_register(self, thread: int, regno: int) -> bytes: ...
    def write_register(self, thread: int, regno: int, data: bytes) -> None: ...
    def read_memory(self, thread: int, addr: int, length: int) -> bytes: ...
    def write_memory(self, thread: int, addr: int, data: bytes) -> None: ...

    # points (shared by all threads, as hardware comparators are programmed on each vCPU)
    def insert_point(self, kind: PointKind, addr: int, length: int, conditions: Sequence[bytes] = ()) -> None:
        """Insert (or, inserted already, give new ``conditions`` to) a point; a breakpoint with
        conditions (agent expression bytecode) stops only where one of them holds."""
    def remove_point(self, kind: PointKind, addr: int, length: int) -> None: ...
    def remove_all_points(self) -> None: ...

    def monitor(self, command: str) -> str: ...
    def reset(self) -> None: ...
    def add_reset_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` after every reset, however requested (``k``, a monitor command)."""

    # execution, for the run control only
    def resume(self, thread: int, *, step: bool) -> None: ...
    def foreseen_stop(self, thread: int) -> StopEvent | None: ...
    def run(self, max_steps: int) -> StopEvent | None: ...

    # going backwards, for a target whose capabilities say ``reverse``
    def start_history(self) -> None:
        """Start recording anew from now (a client attached)."""
    def resume_reverse(self, thread: int, *, step: bool) -> None:
        """The next ``run`` calls go back one instruction (``step``) or to the last point hit
        before now, or to the start of history (``HistoryBegin``)."""
