"""The time base and the decrementer, derived from the instruction count.

Guest time is a function of the instructions executed (one tick each), so that a run repeats
exactly and a saved machine resumes with the same clock.
"""
from __future__ import annotations

from typing import Protocol

from .isa.bits import MASK32

_MASK64 = (1 << 64) - 1


class InstructionCounter(Protocol):
    icount: int


class Timers:
    """TB and DEC of one core, counted from ``counter.icount``."""

    def __init__(self, counter: InstructionCounter):
        self._counter = counter
        self._timebase_offset = 0
        self._dec_value = 0
        self._dec_written_at = 0

    def timebase(self) -> int:
        """The 64-bit time base: one tick per executed instruction."""
        return (self._timebase_offset + self._counter.icount) & _MASK64

    def set_timebase(self, value: int) -> None:
        self._timebase_offset = value - self._counter.icount

    def decrementer(self) -> int:
        """DEC counts down one per instruction and stops at 0 (no interrupt is raised)."""
        return max(0, self._dec_value - (self._counter.icount - self._dec_written_at))

    def set_decrementer(self, value: int) -> None:
        self._dec_value = value & MASK32
        self._dec_written_at = self._counter.icount

    def save(self) -> tuple[int, int, int]:
        return self._timebase_offset, self._dec_value, self._dec_written_at

    def restore(self, saved: tuple[int, int, int]) -> None:
        self._timebase_offset, self._dec_value, self._dec_written_at = saved
