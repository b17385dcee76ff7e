"""The debug target: one vCPU with its memory, devices, loaded guest and debug stack.

``Machine`` implements :class:`~.target.Target`: it speaks the target's terms (threads,
register numbers of :mod:`.e500mc`, point kinds, stop events), neither the wire protocol nor
the run control's timing, and turns what the vCPU returns into stop events. Its one vCPU is
thread :data:`THREAD`.
"""
from __future__ import annotations

import ctypes
import functools
import logging
import threading
from pathlib import Path
from typing import Callable, Sequence

from .agentexpr import Access, Condition, Unsupported
from .boards import bare
from .history import DEFAULT_HISTORY_MIB, Recorder
from .hwdebug.abi import DebugExit
from .hwdebug.profiles import E500MC, CoreProfile
from .stub_debug import MONITOR_USAGE, StubDebug
from .target import (BreakpointStop, Capabilities, GuestExited, HistoryBegin, MemoryFault, MonitorError,
                     PointKind, ResetFailed, SignalStop, StopEvent)
from .vcpu import booke, mmu
from .vcpu.stops import Fault, Halted
from .vcpu.memory import DEFAULT_RAM_SIZE, BusError

log = logging.getLogger("gdbstub.machine")

THREAD = 1                  # the thread id of the single vCPU


BoardBuilder = Callable[..., object]
"""``builder(uart_output=..., iac_slots=...)``: a fresh board (:mod:`.boards.bare`,
:mod:`.boards.ppce500`) with ``memory``, ``cpu``, ``registers`` (an :class:`~.e500mc.RegisterSet`),
``console`` (the UART typed input goes to, or None) and ``boot(image)``."""


class Machine:
    """A guest image booted on a fresh board (the bare one unless ``board`` says otherwise),
    with KVM-style debugging attached."""


    def __init__(self, elf_path: str | Path, *, profile: CoreProfile = E500MC,
                 ram_size: int = DEFAULT_RAM_SIZE, uart_output: Callable[[bytes], None] = lambda data: None,
                 board: BoardBuilder | None = None, history_mib: int = DEFAULT_HISTORY_MIB):
        """Raises :class:`~.vcpu.elf.ElfLoadError` if the guest cannot be loaded; ``ram_size``
        is the bare board's (a ``board`` builder brings its own); ``history_mib``: the budget
        of the execution history for reverse execution (0: none)."""
        self.elf_path = Path(elf_path)
        self.profile = profile
        self.capabilities = Capabilities(single_step=True, point_kinds=frozenset(PointKind),
                                         watchpoint_slots=profile.dac_slots, conditional_breakpoints=True,
                                         reverse=history_mib > 0)
        self.uart_output = uart_output
        self.build_board = board or functools.partial(bare.build, ram_size=ram_size)
        self.history_budget = history_mib << 20
        self.recorder: Recorder | None = None   # the execution history, while it records
        self._rewind = None                     # the reverse resume under way (a generator)
        self._reset_listeners: list[Callable[[], None]] = []
        self._typed = bytearray()          # console input not yet given to the UART
        self._typed_lock = threading.Lock()
        self._load()
        self.architecture = self.board.registers.description

    def _load(self) -> None:
        board = self.build_board(uart_output=self._guest_output, iac_slots=self.profile.iac_slots)
        memory, cpu = board.memory, board.cpu
        try:
            elf = board.boot(self.elf_path)
        except BaseException:
            memory.release()
            raise
        if hasattr(self, "memory"):
            # Unmap the old RAM and empty the old code caches now: the vCPU and its debug
            # controller refer to each other, so only the cycle collector would free them, and
            # it counts objects, not bytes (every ``monitor reset`` or ``k`` kept another guest
            # RAM alive for a while); then hand the freed heap back to the system.
            self.memory.release()
            self.cpu.code.clear()
            _trim_heap()
        self.board, self.memory, self.cpu, self.elf = board, memory, cpu, elf
        self.registers = board.registers
        self.debug = StubDebug(cpu, self.profile, THREAD)
        self._vcpus = {THREAD: cpu}
        self.guest_exit: GuestExited | None = None
        self._conditions: dict[tuple[PointKind, int], tuple[int, list[Condition]]] = {}   # length, conditions
        self._condition_access = Access(self._register_value, self._memory_value)
        self._stepping = False
        self.conditions_evaluated = self.conditions_false = 0
        if self.recorder is not None:     # a reset: history starts again with the new guest
            self.start_history()

    def reset(self) -> None:
        """Reload the guest into a fresh vCPU: registers, memory and debug state start over.
        If the ELF cannot be loaded now (:class:`ResetFailed`), nothing changes."""
        try:
            self._load()
        except Exception as exc:   # whatever went wrong, the guest stays as it was
            raise ResetFailed(str(exc) or type(exc).__name__) from None
        for listener in self._reset_listeners:
            listener()

    def add_reset_listener(self, listener: Callable[[], None]) -> None:
        self._reset_listeners.append(listener)

    # --- the execution history (gdbstub/history.py) ------------------------------------------
    def start_history(self) -> None:
        """Record from now on, forgetting any history before (a client attached, ``monitor
        history start``); nothing with a zero budget."""
        self.stop_history()
        if self.history_budget:
            self.recorder = Recorder(self, self.history_budget)

    def stop_history(self) -> None:
        self._end_rewind()
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None

    def _guest_output(self, data: bytes) -> None:
        """UART output; replaying history the guest says again what it said, so it is not shown."""
        if self.recorder is None or self.recorder.live:
            self.uart_output(data)

    def _gdb_wrote(self) -> None:
        if self.recorder is not None:
            self.recorder.gdb_wrote()

    def threads(self) -> tuple[int, ...]:
        return (THREAD,)

    # --- registers -----------------------------------------------------------------
    def read_registers(self, thread: int) -> bytes:
        return self.registers.read_all(self._vcpus[thread])

    def write_registers(self, thread: int, data: bytes) -> None:
        self.registers.write_all(self._vcpus[thread], data)
        self.debug.pc_written()
        self._gdb_wrote()

    def read_register(self, thread: int, regno: int) -> bytes:
        return self.registers.read_register(self._vcpus[thread], regno)

    def write_register(self, thread: int, regno: int, data: bytes) -> None:
        self.registers.write_register(self._vcpus[thread], regno, data)
        if regno == self.architecture.pc_regnum:
            self.debug.pc_written()
        self._gdb_wrote()

    # --- the console ---------------------------------------------------------------------
    def type_into_console(self, data: bytes) -> None:
        """Console input from any thread; the UART receives it at the next run slice (a guest
        stopped under gdb finds it waiting when it resumes). Ignored by a board without one."""
        with self._typed_lock:
            self._typed += data

    def deliver_typed(self) -> bytes:
        """Give the UART what was typed and what it takes now; those bytes."""
        if not self._typed:
            return b""
        console = self.board.console
        with self._typed_lock:
            if console is None:
                self._typed.clear()
                return b""
            data = bytes(self._typed)
            accepted = console.feed(data)
            del self._typed[:accepted]
        return data[:accepted]

    # --- memory at the thread's effective addresses (software breakpoints hidden) -------
    def read_memory(self, thread: int, addr: int, length: int) -> bytes:
        try:
            return self.debug.read_memory(addr, length)
        except BusError as exc:
            raise MemoryFault(str(exc)) from None

    def write_memory(self, thread: int, addr: int, data: bytes) -> None:
        try:
            self.debug.write_memory(addr, data)
        except BusError as exc:
            raise MemoryFault(str(exc)) from None
        self._gdb_wrote()

    # --- breakpoints and watchpoints -----------------------------------------------------
    def insert_point(self, kind: PointKind, addr: int, length: int, conditions: Sequence[bytes] = ()) -> None:
        try:
            self.debug.insert(kind, addr, length)
        except BusError as exc:
            raise MemoryFault(str(exc)) from None
        if kind in (PointKind.SOFTWARE, PointKind.HARDWARE):
            self._set_conditions(kind, addr, length, conditions)

    def _set_conditions(self, kind: PointKind, addr: int, length: int, conditions: Sequence[bytes]) -> None:
        """Keep the breakpoint's conditions; one the stub cannot evaluate leaves it unconditional
        (gdb evaluates its conditions again at every stop it is told of)."""
        try:
            compiled = [Condition(code) for code in conditions]
        except Unsupported as exc:
            log.info("breakpoint at %#010x: its condition is left to gdb: %s", addr, exc)
            compiled = []
        if compiled:
            self._conditions[kind, addr] = (length, compiled)
        else:
            self._conditions.pop((kind, addr), None)

    def remove_point(self, kind: PointKind, addr: int, length: int) -> None:
        try:
            self.debug.remove(kind, addr, length)
        except BusError as exc:
            raise MemoryFault(str(exc)) from None
        self._conditions.pop((kind, addr), None)

    def remove_all_points(self) -> None:
        self.debug.clear()
        self._conditions.clear()

    # --- execution (for the run control) ---------------------------------------------------
    def resume(self, thread: int, *, step: bool) -> None:
        """Arm the debug facility for one resume (``step``: stop after one instruction)."""
        self._stepping = step
        self._end_rewind()
        self.debug.resume(step)

    def resume_reverse(self, thread: int, *, step: bool) -> None:
        """The next ``run`` calls go back (see :meth:`.history.Recorder.reverse`)."""
        self._end_rewind()
        if self.recorder is None:
            self._rewind = _at_once(HistoryBegin(THREAD))
        else:
            self._rewind = self.recorder.reverse(step)

    def _end_rewind(self) -> None:
        """Abandon a reverse resume that was interrupted: the machine stays where it got to."""
        if self._rewind is not None:
            self._rewind.close()
            self._rewind = None

    def foreseen_stop(self, thread: int) -> StopEvent | None:
        """The stop that the armed single step will end in, when that is certain before it runs
        (an instruction that touches only registers, no point in the way, no console input to
        give the UART first); else None."""
        if self._typed or (self.recorder is not None and self.recorder.input_due()):
            return None
        if self.guest_exit is None and self.debug.next_ic_is_a_step() and self.cpu.next_step_is_quiet():
            return self.debug.plain_step
        return None

    def run(self, max_steps: int) -> StopEvent | None:
        """Run up to ``max_steps`` instructions; a stop, or None if still running."""
        if self._rewind is not None:
            self.recorder.slice_steps = max_steps
            try:
                next(self._rewind)
            except StopIteration as done:
                self._rewind = None
                return done.value
            return None
        if self.guest_exit:
            return self.guest_exit
        end = self.cpu.icount + max_steps
        while True:
            result = self._run_vcpu(max_steps)
            if result is None:
                return None
            stop = self.stop_event(result)
            if not self._condition_false_at(stop):
                break
            stop = self._step_past(stop)
            if stop is not None:
                break
            max_steps = end - self.cpu.icount
            if max_steps <= 0:
                return None
        if isinstance(stop, GuestExited):
            self.guest_exit = stop
        return stop

    def _run_vcpu(self, max_steps: int):
        """The vCPU's run, through the recorder while there is history."""
        if self.recorder is not None:
            return self.recorder.run(max_steps)
        self.deliver_typed()
        return self.cpu.run(max_steps)

    def _step_past(self, hit: BreakpointStop) -> StopEvent | None:
        """Go on from a breakpoint hit nobody is told of, as gdb would: step the instruction
        with the point removed, put it back and continue; a stop that step met (a watchpoint,
        the guest's exit) is the answer, else None."""
        key = hit.kind, hit.address
        length, _ = self._conditions[key]
        self.debug.remove(*key, length)       # the debug side only: the conditions stay
        self.debug.resume(step=True)
        result = self._run_vcpu(1)
        self.debug.insert(*key, length)
        self.debug.resume(step=False)
        stop = None if result is None else self.stop_event(result)
        return None if stop == self.debug.plain_step else stop

    def _condition_false_at(self, stop: StopEvent) -> bool:
        """True if ``stop`` is a hit of a conditional breakpoint, while continuing, and none of
        its conditions holds: then nobody is told, and the guest runs on."""
        if self._stepping or not isinstance(stop, BreakpointStop):
            return False
        _, conditions = self._conditions.get((stop.kind, stop.address), (0, ()))
        if not conditions:
            return False
        self.conditions_evaluated += 1
        if any(condition.holds(self._condition_access) for condition in conditions):
            return False
        self.conditions_false += 1
        return True

    def _register_value(self, regno: int) -> int:
        return int.from_bytes(self.registers.read_register(self.cpu, regno), "big")

    def _memory_value(self, addr: int, size: int) -> int:
        return int.from_bytes(self.debug.read_memory(addr, size), "big")

    def stop_event(self, result) -> StopEvent:
        """The stop event for what the vCPU's run returned."""
        if isinstance(result, DebugExit):
            return self.debug.stop_event(result)
        if isinstance(result, Halted):
            return GuestExited(THREAD, result.status)
        if isinstance(result, Fault):
            log.info("guest fault at %#010x: %s", result.pc, result.reason)
            return SignalStop(THREAD, result.signal)
        raise TypeError(f"unexpected vCPU result {result!r}")

    def monitor(self, command: str) -> str:
        """The text answer to ``monitor COMMAND`` (qRcmd); MonitorError for a bad one."""
        words = command.split()
        if not words or words[0] == "help":
            return MONITOR_HELP
        if words[0] == "debug":
            return self.debug.describe() + self._describe_conditions()
        if words[0] in MONITOR_USAGE:
            return self.debug.monitor(words)
        if words[0] in ("tlb", "mmu"):
            return self._monitor_mmu(words)
        if words[0] == "history":
            return self._monitor_history(words)
        if words[0] == "reset":
            try:
                self.reset()
            except ResetFailed as exc:
                raise MonitorError(f"reset failed, the guest is unchanged: {exc}") from None
            return "guest reset: registers, memory and debug state reloaded\n"
        raise MonitorError(f"unknown monitor command {words[0]!r}; try 'monitor help'")

    def _describe_conditions(self) -> str:
        return (f"conditions on {len(self._conditions)} breakpoint(s), evaluated here "
                f"{self.conditions_evaluated} times, {self.conditions_false} false (the guest ran on unreported)\n")

    def _monitor_history(self, words: list[str]) -> str:
        action = words[1] if len(words) > 1 else "show"
        if action == "start" and len(words) == 2:
            if not self.history_budget:
                raise MonitorError("'monitor history start': the history budget is 0 (--history-mib)")
            self.start_history()
            return f"history starts now, at instruction {self.cpu.icount:,}\n"
        if action == "stop" and len(words) == 2:
            self.stop_history()
            return "history stopped and forgotten; reverse execution stops at once\n"
        if action != "show" or len(words) > 2:
            raise MonitorError("usage: monitor history [start|stop]")
        if self.recorder is None:
            return "history is off; 'monitor history start' starts it\n"
        return self.recorder.history.describe(self.cpu.icount)

    def _monitor_mmu(self, words: list[str]) -> str:
        tlb = getattr(self.cpu, "tlb", None)
        if tlb is None:
            raise MonitorError(f"'monitor {words[0]}': this machine has no MMU "
                               "(effective addresses are physical); try --machine ppce500")
        if words[0] == "tlb":
            return tlb.describe() + "\n"
        if len(words) != 2:
            raise MonitorError("usage: monitor mmu EA (an effective address, e.g. 0xe0004505)")
        try:
            ea = int(words[1], 0)
        except ValueError:
            raise MonitorError(f"'monitor mmu': {words[1]!r} is not an address") from None
        if not 0 <= ea <= 0xFFFFFFFF:
            raise MonitorError(f"'monitor mmu': {words[1]} is not a 32-bit effective address")
        msr = self.cpu.msr
        return tlb.describe_address(ea, int(bool(msr & booke.MSR_DS)), int(bool(msr & booke.MSR_IS)),
                                    self.cpu.read_spr(mmu.SPR_PID), not msr & booke.MSR_PR) + "\n"


MONITOR_HELP = """\
monitor debug   show DBCR0/1/2, DBSR, the IAC/DAC slots and which gdb point owns each: the
                stub's debug registers (info registers dbcr0, iac1, dac1... show the guest's own)
monitor catch branch|interrupt|return|trap [off]   stop on a taken branch (DBCR0[BRT]), an
                interrupt taken (IRPT), an rfi (RET), a trap instruction (TRAP): a SIGTRAP
                whose cause gdb prints before the stop
monitor range START END [outside]   stop before any instruction in [START, END) (or outside it):
                IAC1/IAC2 in DBCR1 IAC12M range mode; 'monitor range off' removes it
monitor dvc ADDR VALUE [SIZE]   stop before a store of VALUE (SIZE bytes, 4 by default) to
                ADDR: DAC1 with the data value compare DVC1 (440 profile); 'monitor dvc off'
monitor tlb     show the valid TLB entries (ppce500)
monitor mmu EA  what effective address EA maps to, and why not (ppce500)
monitor reset   reload the guest: registers, memory and debug state start over
monitor history the execution history for reverse execution: its span and cost
monitor history start|stop   record from now on, forgetting what was recorded / stop recording
monitor help    this text
"""


def _trim_heap() -> None:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim``): the code
    caches' large tables go back to malloc's free lists, which glibc otherwise keeps."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):   # not glibc
        pass


def _at_once(stop: StopEvent):
    """A reverse resume that ends at once in ``stop``."""
    return stop
    yield
