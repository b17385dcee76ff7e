"""Execution history, for reverse execution: snapshots of the machine along the run, the
console input the run took, and RAM as pages that changed between snapshots.

Guest time is the instruction count, so a run is a function of where it starts and of the
input it is given: going back to an instruction count is restoring the snapshot before it and
running forward again, with the recorded input fed at the counts it came at. :class:`History`
stores that; :class:`Recorder` drives the machine with it (snapshots while the guest runs live,
input replayed inside history, reverse step and reverse continue).

RAM is not copied at each snapshot. A shadow copy holds RAM as of the newest snapshot; a
snapshot compares RAM with it (in ``CHUNK`` pieces, then pages inside a piece that differs),
keeps the old contents of the pages that differ as the previous snapshot's *undo* pages and
brings the shadow up to date. Restoring snapshot ``k`` puts back the pages that differ from the
shadow, then the oldest undo contents of every page changed since ``k``. Untouched guest RAM
costs nothing in the shadow either (it is an anonymous mapping filled only where RAM is not
zero). The budget counts undo pages, the saved vCPU and device state and the input; past it the
oldest snapshots are dropped and history starts later.
"""
from __future__ import annotations

import bisect
import logging
import mmap
import pickle
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .target import BreakpointStop, HistoryBegin, PointKind, StopEvent, WatchStop

if TYPE_CHECKING:
    from .machine import Machine

log = logging.getLogger("gdbstub.history")

PAGE = 4096
CHUNK = 1 << 16              # compared in one piece; its pages only when it differs
SNAPSHOT_OVERHEAD = 0.05     # a snapshot every time the guest has run 1/0.05 times its cost
SCRATCH_AFTER = 20_000       # a seek that runs further keeps a scratch snapshot ...
SCRATCH_BEHIND = 4_096       # ... this many instructions before where it goes
DEFAULT_HISTORY_MIB = 64
_ZERO_CHUNK = bytes(CHUNK)


def differing_pages(a, b) -> list[int]:
    """Offsets of the ``PAGE``-sized pages whose contents differ between buffers ``a`` and ``b``
    (of the same length, a multiple of ``PAGE``)."""
    pages = []
    for start in range(0, len(a), CHUNK):
        end = start + CHUNK
        if a[start:end] != b[start:end]:
            pages += [page for page in range(start, min(end, len(a)), PAGE)
                      if a[page:page + PAGE] != b[page:page + PAGE]]
    return pages


@dataclass(eq=False)         # one snapshot is equal only to itself
class Snapshot:
    icount: int
    state: object                 # the machine's state but RAM (the vCPU, the devices)
    state_bytes: int              # what ``state`` costs, roughly (its pickled size)
    undo: dict[int, bytes] = field(default_factory=dict)
    """Page offset -> contents at this snapshot, for the pages changed before the next one."""


@dataclass
class Scratch:
    """A snapshot between two of the chain, for the reverse steps that follow a long seek: the
    pages that differ from its ``base`` snapshot's RAM."""
    base: Snapshot
    icount: int
    state: object
    pages: dict[int, bytes]


class History:
    """Snapshots of ``ram`` (a buffer) with the machine state beside it, and the input taken,
    within ``budget`` bytes."""

    def __init__(self, ram, *, budget: int):
        self.ram = ram
        self.budget = budget
        self.shadow = mmap.mmap(-1, len(ram), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self._shadow_written = bytearray(len(ram) // PAGE)   # 1: that page of the shadow is resident
        for start in range(0, len(ram), CHUNK):
            chunk = ram[start:start + CHUNK]
            if chunk != _ZERO_CHUNK[:len(chunk)]:
                self.shadow[start:start + len(chunk)] = chunk
                self._shadow_written[start // PAGE:(start + len(chunk)) // PAGE] = b"\1" * (len(chunk) // PAGE)
        self.snapshots: list[Snapshot] = []
        self.inputs: list[tuple[int, bytes]] = []   # (icount fed at, bytes), in order
        self.end = 0                 # the furthest instruction count run live
        self.used = 0                # bytes of undo pages, saved states and input
        self.dropped = 0             # snapshots dropped for the budget
        self.scratch: Scratch | None = None

    def close(self) -> None:
        self.shadow.close()

    @property
    def shadow_bytes(self) -> int:
        """Host memory the shadow copy takes: the pages of it ever written."""
        return PAGE * self._shadow_written.count(1)

    @property
    def start(self) -> int:
        return self.snapshots[0].icount

    def index_at_or_before(self, icount: int) -> int:
        """The newest snapshot at ``icount`` or before it (-1: none)."""
        return bisect.bisect_right(self.snapshots, icount, key=lambda s: s.icount) - 1

    # --- taking, restoring, cutting ---------------------------------------------------------
    def take(self, icount: int, state: object) -> None:
        """A snapshot of RAM and ``state`` at ``icount`` (at the end of history). One already at
        ``icount`` is replaced (gdb wrote memory or registers there)."""
        if self.snapshots and self.snapshots[-1].icount == icount:
            replaced = self.snapshots.pop()
            self.used -= replaced.state_bytes
            if self.scratch is not None and self.scratch.base is replaced:
                self._forget_scratch()
        previous = self.snapshots[-1] if self.snapshots else None
        for page in differing_pages(self.ram, self.shadow):
            if previous is not None and page not in previous.undo:
                previous.undo[page] = self.shadow[page:page + PAGE]
                self.used += PAGE
            self.shadow[page:page + PAGE] = self.ram[page:page + PAGE]
            self._shadow_written[page // PAGE] = 1
        size = len(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
        self.snapshots.append(Snapshot(icount, state, size))
        self.used += size
        self.end = max(self.end, icount)
        while self.used > self.budget and len(self.snapshots) > 1:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        self._forget_scratch()
        oldest = self.snapshots.pop(0)
        self.used -= oldest.state_bytes + PAGE * len(oldest.undo)
        self.dropped += 1
        stale = bisect.bisect_left(self.inputs, self.start, key=lambda entry: entry[0])
        self.used -= sum(len(data) for _, data in self.inputs[:stale])
        del self.inputs[:stale]

    def _pages_at(self, index: int) -> dict[int, bytes]:
        """The contents at snapshot ``index`` of every page changed between it and the newest."""
        pages: dict[int, bytes] = {}
        for snapshot in self.snapshots[index:-1]:
            for page, data in snapshot.undo.items():
                pages.setdefault(page, data)
        return pages

    def restore(self, index: int) -> object:
        """Put RAM back as it was at snapshot ``index``; its saved state, for the caller."""
        for page in differing_pages(self.ram, self.shadow):
            self.ram[page:page + PAGE] = self.shadow[page:page + PAGE]
        for page, data in self._pages_at(index).items():
            self.ram[page:page + PAGE] = data
        return self.snapshots[index].state

    # --- the scratch snapshot ----------------------------------------------------------------
    def keep_scratch(self, index: int, icount: int, state: object) -> None:
        """RAM now and ``state`` as the scratch snapshot at ``icount``, reached from snapshot
        ``index`` (replacing the one there was)."""
        self._forget_scratch()
        at_base = self._pages_at(index)
        pages = {}
        for page in set(differing_pages(self.ram, self.shadow)) | at_base.keys():
            data = self.ram[page:page + PAGE]
            if data != at_base.get(page, self.shadow[page:page + PAGE]):
                pages[page] = data
        self.scratch = Scratch(self.snapshots[index], icount, state, pages)
        self.used += PAGE * len(pages)

    def scratch_for(self, icount: int) -> Scratch | None:
        """The scratch snapshot, if it is the nearest one at or before ``icount``."""
        scratch = self.scratch
        if scratch is None or not scratch.icount <= icount:
            return None
        index = self.index_at_or_before(icount)
        return scratch if self.snapshots[index] is scratch.base else None

    def restore_scratch(self) -> object:
        """Put RAM back as it was at the scratch snapshot; its saved state."""
        scratch = self.scratch
        self.restore(self.snapshots.index(scratch.base))
        for page, data in scratch.pages.items():
            self.ram[page:page + PAGE] = data
        return scratch.state

    def _forget_scratch(self) -> None:
        if self.scratch is not None:
            self.used -= PAGE * len(self.scratch.pages)
            self.scratch = None

    def truncate(self, icount: int) -> None:
        """Forget history after ``icount`` (gdb changed the past: what followed did not happen);
        the input taken at ``icount`` and later goes too."""
        if self.scratch is not None and self.scratch.icount > icount:
            self._forget_scratch()
        index = self.index_at_or_before(icount)
        for page, data in self._pages_at(index).items():
            self.shadow[page:page + PAGE] = data
        for snapshot in self.snapshots[index + 1:]:
            self.used -= snapshot.state_bytes + PAGE * len(snapshot.undo)
        del self.snapshots[index + 1:]
        kept = self.snapshots[index]
        self.used -= PAGE * len(kept.undo)
        kept.undo = {}
        cut = bisect.bisect_left(self.inputs, icount, key=lambda entry: entry[0])
        self.used -= sum(len(data) for _, data in self.inputs[cut:])
        del self.inputs[cut:]
        self.end = icount

    # --- input ------------------------------------------------------------------------------
    def record_input(self, icount: int, data: bytes) -> None:
        self.inputs.append((icount, data))
        self.used += len(data)

    def first_input_from(self, icount: int) -> int:
        """The index of the first input fed at ``icount`` or later."""
        return bisect.bisect_left(self.inputs, icount, key=lambda entry: entry[0])

    def describe(self, now: int) -> str:
        """The ``monitor history`` text: span, position, snapshots and what they cost."""
        span = self.end - self.start
        where = "at its end (live)" if now >= self.end else f"replaying, {self.end - now:,} instructions before its end"
        undo = sum(len(s.undo) for s in self.snapshots)
        lines = [f"history: instructions {self.start:,} to {self.end:,} ({span:,}); now at {now:,}, {where}",
                 f"{len(self.snapshots)} snapshots ({self.dropped} dropped for the budget), "
                 f"{undo} undo pages of {PAGE} bytes, {len(self.inputs)} console inputs",
                 f"cost {self.used / 2**20:.1f} MiB of a {self.budget / 2**20:.0f} MiB budget "
                 f"(--history-mib), and {self.shadow_bytes / 2**20:.1f} MiB for a shadow copy of the "
                 "RAM the guest has written"]
        return "\n".join(lines) + "\n"


class Recorder:
    """History for ``machine``: it takes snapshots while the guest runs live, feeds the recorded
    input while it runs inside history, and goes back (``reverse``)."""

    def __init__(self, machine: Machine, budget: int):
        self.machine = machine
        self.history = History(machine.memory.ram, budget=budget)
        self._next_input = 0          # the index of the next recorded input to feed
        self._run_time = 0.0          # seconds run live since the last snapshot
        self._snapshot_cost = 0.0
        self._snapshot_due = False    # gdb wrote memory or registers: a snapshot before running
        self.slice_steps = 1000       # instructions a reverse operation runs between yields
        self._take()

    def close(self) -> None:
        self.history.close()

    @property
    def live(self) -> bool:
        return self.machine.cpu.icount >= self.history.end

    # --- snapshots --------------------------------------------------------------------------
    def _take(self) -> None:
        machine = self.machine
        begun = time.perf_counter()
        with machine.debug.software_hidden():
            self.history.take(machine.cpu.icount, self._state())
        self._snapshot_cost = time.perf_counter() - begun
        self._run_time = 0.0
        self._snapshot_due = False
        self._next_input = len(self.history.inputs)

    def _state(self) -> tuple:
        """The machine's state but RAM."""
        return self.machine.memory.save_devices(), self.machine.cpu.save()

    def _restore(self, index: int | None, *, armed: bool) -> None:
        """The machine as at snapshot ``index`` (None: the scratch snapshot), gdb's points
        armed (or none, for a seek)."""
        machine, history = self.machine, self.history
        if index is None:
            devices, cpu = history.restore_scratch()
        else:
            devices, cpu = history.restore(index)
        machine.memory.restore_devices(devices)
        machine.cpu.restore(cpu)
        machine.guest_exit = None
        if armed:
            machine.debug.reload()
        else:
            machine.debug.disarm()
        self._next_input = history.first_input_from(machine.cpu.icount)

    def gdb_wrote(self) -> None:
        """gdb changed memory or registers: inside history the rest of it did not happen now
        (as with gdb's own record target, the future is discarded); a snapshot records the
        change before the guest runs on."""
        if not self.live:
            self.history.truncate(self.machine.cpu.icount)
            self._next_input = len(self.history.inputs)
        self._snapshot_due = True

    # --- forward ----------------------------------------------------------------------------
    def run(self, max_steps: int):
        """Run up to ``max_steps`` instructions (what ``cpu.run`` returns): live at the end of
        history (snapshots, console input recorded), else replaying it up to its end."""
        machine = self.machine
        if self._snapshot_due:
            self._take()
        if not self.live:
            return self._execute(max_steps)
        if self._run_time * SNAPSHOT_OVERHEAD >= self._snapshot_cost:
            self._take()
        typed = machine.deliver_typed()
        if typed:
            self.history.record_input(machine.cpu.icount, typed)
            self._next_input = len(self.history.inputs)
        begun = time.perf_counter()
        result = machine.cpu.run(max_steps)
        self._run_time += time.perf_counter() - begun
        self.history.end = max(self.history.end, machine.cpu.icount)
        return result

    def input_due(self) -> bool:
        """Recorded input is to be fed before the next instruction (replaying history)."""
        inputs = self.history.inputs
        return self._next_input < len(inputs) and inputs[self._next_input][0] <= self.machine.cpu.icount

    def _execute(self, max_steps: int):
        """``cpu.run`` inside history: the input recorded at this count is fed first, and the
        run stops at the next input's count and at the end of history."""
        machine, history = self.machine, self.history
        cpu = machine.cpu
        inputs = history.inputs
        while self.input_due():
            machine.board.console.feed(inputs[self._next_input][1])
            self._next_input += 1
        limit = history.end
        if self._next_input < len(inputs):
            limit = min(limit, inputs[self._next_input][0])
        return cpu.run(max(1, min(max_steps, limit - cpu.icount)))

    # --- backward ---------------------------------------------------------------------------
    def reverse(self, step: bool):
        """A generator that goes back one instruction (``step``) or to the last breakpoint or
        watchpoint hit before now, yielding every ``slice_steps`` instructions or so; its value
        is the stop event (``HistoryBegin`` at the start of history)."""
        if self._snapshot_due:
            self._take()
        history = self.history
        now = self.machine.cpu.icount
        if now <= history.start:
            return HistoryBegin(self.machine.threads()[0])
        if step:
            yield from self._seek(now - 1)
            return self.machine.debug.plain_step
        index, upper = history.index_at_or_before(now - 1), now
        while index >= 0:
            hits = yield from self._hits(index, upper)
            if hits:
                at, stop = hits[-1]
                # going back, a watchpoint is met after the access, where gdb (whose PowerPC
                # watchpoints are not steppable) steps back over it and compares the values
                yield from self._seek(at + 1 if isinstance(stop, WatchStop) else at)
                self.machine.debug.note_stop(stop)
                return stop
            upper = history.snapshots[index].icount
            index -= 1
        yield from self._seek(history.start)
        return HistoryBegin(self.machine.threads()[0])

    def _seek(self, icount: int):
        """Put the machine at ``icount`` of history, or on the last instruction boundary before
        it if a ``wait`` skipped time over it (no point stops it on the way)."""
        history, cpu = self.history, self.machine.cpu
        index = None if history.scratch_for(icount) else history.index_at_or_before(icount)
        try:
            self._restore(index, armed=False)
            if index is not None and icount - cpu.icount > SCRATCH_AFTER:
                # the reverse steps that follow will not have to run all this way again
                if (yield from self._run_to(icount - SCRATCH_BEHIND)) is None:
                    history.keep_scratch(index, cpu.icount, self._state())
                    index = None
                else:           # a wait skipped time over that count: no scratch this time
                    self._restore(index, armed=False)
            passed_from = yield from self._run_to(icount)
            if passed_from is not None:
                steps = 0       # single steps from there: how many stay at ``icount`` or before
                self._restore(index, armed=False)
                yield from self._run_to(passed_from)
                while self._execute(1) is None and cpu.icount <= icount:
                    steps += 1
                self._restore(index, armed=False)
                yield from self._run_to(passed_from)
                for _ in range(steps):
                    self._execute(1)
        finally:
            self.machine.debug.reload()

    def _run_to(self, icount: int):
        """Run towards ``icount`` with no point armed: None, or the count that the run which
        went past it (a ``wait`` skipping time) started at."""
        cpu = self.machine.cpu
        while cpu.icount < icount:
            before = cpu.icount
            outcome = self._execute(min(self.slice_steps, icount - cpu.icount))
            if outcome is not None:
                log.error("replaying history to %d stopped at %d: %r", icount, cpu.icount, outcome)
                return None
            if cpu.icount > icount:
                return before
            yield
        return None

    def _hits(self, index: int, upper: int):
        """Re-run snapshot ``index`` up to ``upper`` with gdb's points armed: the hits on the way,
        as ``(icount, stop event)``, oldest first."""
        machine = self.machine
        cpu = machine.cpu
        self._restore(index, armed=True)
        hits: list[tuple[int, StopEvent]] = []
        while cpu.icount < upper:
            machine.debug.resume(False)
            if hits and hits[-1][0] == cpu.icount and hits[-1][1].kind is not PointKind.SOFTWARE:
                cpu.debug.skip_checks_at = cpu.pc     # past the comparator that stopped it
            outcome = self._execute(min(self.slice_steps, upper - cpu.icount))
            if outcome is not None:
                stop = machine.stop_event(outcome)
                if not isinstance(stop, (BreakpointStop, WatchStop)):
                    log.error("replaying history stopped at %d: %r", cpu.icount, stop)
                    break
                if cpu.icount >= upper:
                    break
                hits.append((cpu.icount, stop))
            yield
        return hits
