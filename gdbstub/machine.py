"""The debug target: one vCPU with its memory, devices, loaded guest and debug controller.

``Machine`` is what a session talks to. It speaks gdb's terms (register numbers, Z types,
resume/step) but not the wire protocol, and it turns vCPU exits into protocol-agnostic
``Stopped``/``Exited`` results.
"""
from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import registers
from .boards import bare
from .hwdebug.abi import DebugExit
from .hwdebug.controller import DebugController
from .hwdebug.profiles import E500MC, CoreProfile
from .vcpu.elf import ElfLoadError, load_elf
from .vcpu.exits import Fault, Halted
from .vcpu.memory import DEFAULT_RAM_SIZE

log = logging.getLogger("gdbstub.machine")

SLICE_SECONDS = 0.001       # guest time between looks at the clock or at a stop request
FIRST_SLICE_STEPS = 4000    # instructions in a slice until the guest's speed is known
SLICE_STEPS_RANGE = (100, 16000)  # the cap bounds the slice after a sudden slow-down


@dataclass(frozen=True)
class Stopped:
    """The guest stopped with ``signal``; ``reason`` is swbreak/hwbreak/watch/rwatch/awatch."""
    signal: int
    reason: str | None = None
    address: int | None = None


@dataclass(frozen=True)
class Exited:
    """The guest halted with an exit status."""
    status: int


PLAIN_STEP = Stopped(signal.SIGTRAP)


class Machine:
    """A guest ELF loaded into a fresh e500mc vCPU, with KVM-style debugging attached."""

    def __init__(self, elf_path: str | Path, *, profile: CoreProfile = E500MC,
                 ram_size: int = DEFAULT_RAM_SIZE, uart_output: Callable[[bytes], None] = lambda data: None):
        self.elf_path = Path(elf_path)
        self.profile = profile
        self.ram_size = ram_size
        self.uart_output = uart_output
        self.reset()

    def reset(self) -> None:
        """Reload the guest into a fresh vCPU: registers, memory and debug state start over.
        If the ELF cannot be loaded now (:class:`ElfLoadError`), nothing changes."""
        board = bare.build(ram_size=self.ram_size, uart_output=self.uart_output, iac_slots=self.profile.iac_slots)
        memory, cpu = board.memory, board.cpu
        try:
            elf = load_elf(self.elf_path, cpu)
        except BaseException:
            memory.release()
            raise
        if hasattr(self, "memory"):
            # Unmap the old RAM now: the vCPU and its debug controller refer to each other, so
            # only the cycle collector would free them, and it counts objects, not bytes
            # (every ``monitor reset`` or ``k`` kept another guest RAM alive for a while).
            self.memory.release()
        self.memory, self.cpu, self.elf = memory, cpu, elf
        self.debug = DebugController(self.cpu, self.profile)
        self.exited: Exited | None = None
        self.last_stop: Stopped | Exited = Stopped(signal.SIGTRAP)
        self._slice_steps = FIRST_SLICE_STEPS

    # --- registers -----------------------------------------------------------------
    def read_registers(self) -> bytes:
        return registers.read_all(self.cpu)

    def write_registers(self, data: bytes) -> None:
        registers.write_all(self.cpu, data)

    def read_register(self, regno: int) -> bytes:
        return registers.read_register(self.cpu, regno)

    def write_register(self, regno: int, data: bytes) -> None:
        registers.write_register(self.cpu, regno, data)

    # --- memory (software breakpoints hidden) ------------------------------------------
    def read_memory(self, addr: int, length: int) -> bytes:
        return self.debug.read_memory(addr, length)

    def write_memory(self, addr: int, data: bytes) -> None:
        self.debug.write_memory(addr, data)

    # --- breakpoints and watchpoints -----------------------------------------------------
    def insert_point(self, z_type: int, addr: int, kind: int) -> None:
        self.debug.insert_point(z_type, addr, kind)

    def remove_point(self, z_type: int, addr: int, kind: int) -> None:
        self.debug.remove_point(z_type, addr, kind)

    # --- execution ---------------------------------------------------------------------
    def resume(self, *, step: bool) -> None:
        """Arm the debug facility for one resume (``step``: stop after one instruction)."""
        self.debug.resume(step)

    def foreseen_step(self) -> Stopped | None:
        """The stop that the armed single step will end in, when that is certain before it runs
        (an instruction that touches only registers, no point in the way); else None."""
        if self.exited is None and self.debug.next_ic_is_a_step() and self.cpu.next_step_is_quiet():
            return PLAIN_STEP
        return None

    def run(self, max_steps: int) -> Stopped | Exited | None:
        """Run up to ``max_steps`` instructions; a stop or exit, or None if still running."""
        if self.exited:
            return self.exited
        result = self.cpu.run(max_steps)
        if result is None:
            return None
        self.last_stop = self._translate(result)
        if isinstance(self.last_stop, Exited):
            self.exited = self.last_stop
        return self.last_stop

    def run_slice(self) -> Stopped | Exited | None:
        """Run about ``SLICE_SECONDS`` of guest code: a stop or exit, or None if still running.

        The instruction count follows the guest's speed, so that a slice stays short when the
        guest is slow (interpreted, say) and long when it is fast: each slice boundary costs
        some interpreted instructions, which with armed comparators was 12 % of the time at
        4,000 instructions a slice.
        """
        fewest, most = SLICE_STEPS_RANGE
        count, start = self.cpu.icount, time.perf_counter()
        stop = self.run(self._slice_steps)
        elapsed = time.perf_counter() - start
        if stop is None and elapsed > 0:
            rate = (self.cpu.icount - count) / elapsed
            self._slice_steps = int(min(most, max(fewest, rate * SLICE_SECONDS)))
        return stop

    def run_for(self, seconds: float) -> Stopped | Exited | None:
        """Run slices until a stop or exit, or until ``seconds`` have passed.

        Callers pause between quanta to look at their connection. The quantum must be long:
        CPython hands the GIL to a waiting thread only after a full switch interval without a
        pause, so pausing every few milliseconds would starve an in-process client thread.
        """
        deadline = time.monotonic() + seconds
        while (stop := self.run_slice()) is None:
            if time.monotonic() >= deadline:
                return None
        return stop

    def forget_stop_reason(self) -> None:
        """For the next client: the last stop keeps its signal but loses its reason (``watch``,
        ``hwbreak``, ...), because the points that explained it are gone or the guest has run
        on since."""
        if not self.exited:
            self.last_stop = Stopped(self.last_stop.signal)

    def interrupted(self) -> Stopped:
        """Record that the client interrupted the running guest (Ctrl-C)."""
        self.last_stop = Stopped(signal.SIGINT)
        return self.last_stop

    def _translate(self, result) -> Stopped | Exited:
        if isinstance(result, DebugExit):
            stop = self.debug.describe_stop(result)
            if stop.kind == "step":
                return PLAIN_STEP
            return Stopped(signal.SIGTRAP, stop.kind, stop.address)
        if isinstance(result, Halted):
            return Exited(result.status)
        if isinstance(result, Fault):
            log.info("guest fault at %#010x: %s", result.pc, result.reason)
            return Stopped(result.signal)
        raise TypeError(f"unexpected vCPU exit {result!r}")

    def monitor(self, command: str) -> str:
        """The text answer to ``monitor COMMAND`` (qRcmd)."""
        words = command.split()
        if not words or words[0] == "help":
            return MONITOR_HELP
        if words[0] == "debug":
            return self.debug.describe()
        if words[0] == "reset":
            try:
                self.reset()
            except ElfLoadError as exc:
                raise ValueError(f"reset failed, the guest is unchanged: {exc}") from None
            return "guest reset: registers, memory and debug state reloaded\n"
        raise ValueError(f"unknown monitor command {words[0]!r}; try 'monitor help'")


MONITOR_HELP = """\
monitor debug   show DBCR0/1/2, DBSR, the IAC/DAC slots and which gdb point owns each
monitor reset   reload the guest: registers, memory and debug state start over
monitor help    this text
"""
