"""Why ``Cpu.run``/``Cpu.step`` stopped before ``max_steps`` (besides a debug host's own exits)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Halted:
    """The guest halted the board (GUTS reset request); ``status`` is r3 & 0xff."""
    status: int


@dataclass(frozen=True)
class Fault:
    """An interrupt the guest installed no handler for; ``signal`` is the POSIX signal number."""
    signal: int
    pc: int
    reason: str
