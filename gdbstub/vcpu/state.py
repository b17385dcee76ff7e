"""The architected state of one core: registers, SPR storage, the instruction count and the
clocks derived from it, the lwarx reservation and the pending halt.

They are plain attributes of the vCPU (``Cpu`` is an ``ArchState``), because instruction
semantics and translated code read and write ``cpu.gpr``, ``cpu.cr``, ``cpu.pc``... on every
instruction: an attribute lookup is the cheapest access Python has.
"""
from __future__ import annotations

from dataclasses import dataclass

from .booke_timers import BookeTimers
from .spr import initial_storage

_SCALARS = ("cr", "lr", "ctr", "xer", "msr", "pc", "fpscr", "icount", "reservation", "halt_pending")


@dataclass(frozen=True)
class SavedState:
    """A copy of an :class:`ArchState` (immutable: one snapshot may be restored many times)."""
    scalars: tuple
    gpr: tuple[int, ...]
    fpr: tuple[int, ...]
    sprs: tuple[tuple[int, int], ...]
    ivors_installed: frozenset[int]
    timers: tuple[tuple[str, object], ...]


class ArchState:
    """GPRs, FPRs, CR, LR, CTR, XER, MSR, PC, FPSCR, the stored SPRs and the rest of the
    state that the architecture defines (see the module docstring for why it is flat)."""

    def __init__(self, ticks_per_instruction=1):
        self.gpr = [0] * 32
        self.fpr = [0] * 32
        self.cr = self.lr = self.ctr = self.xer = self.msr = self.pc = self.fpscr = 0
        self.sprs = initial_storage()
        self.ivors_installed: set[int] = set()   # IVORs the guest wrote: it has a handler there
        self.icount = 0              # instructions executed; drives the time base and DEC
        self.timers = BookeTimers(ticks_per_instruction)
        self.timers.set_timebase_enabled(True, 0)   # HID0[TBEN] is set at reset (spr.py)
        self.reservation: tuple[int, int] | None = None   # lwarx (address, value)
        self.halt_pending = False    # the board asked to halt; run() reports it

    def save_state(self) -> SavedState:
        return SavedState(tuple(getattr(self, name) for name in _SCALARS), tuple(self.gpr), tuple(self.fpr),
                          tuple(self.sprs.items()), frozenset(self.ivors_installed),
                          tuple(self.timers.save().items()))

    def restore_state(self, saved: SavedState) -> None:
        for name, value in zip(_SCALARS, saved.scalars):
            setattr(self, name, value)
        self.gpr[:] = saved.gpr
        self.fpr[:] = saved.fpr
        self.sprs.clear()
        self.sprs.update(saved.sprs)
        self.ivors_installed = set(saved.ivors_installed)
        self.timers.restore(dict(saved.timers))
