"""What ``Cpu.run``/``Cpu.step`` return when they stop before ``max_steps`` (besides the objects a
debug host's hooks return, which ``run()`` hands back as they are)."""
from __future__ import annotations

from dataclasses import dataclass


class RunOutcome:
    """Base of the vCPU's own reasons to stop running."""


@dataclass(frozen=True)
class Halted(RunOutcome):
    """The guest halted the board (GUTS reset request); ``status`` is r3 & 0xff."""
    status: int


@dataclass(frozen=True)
class Fault(RunOutcome):
    """An interrupt the guest installed no handler for; ``signal`` is the POSIX signal number."""
    signal: int
    pc: int
    reason: str
