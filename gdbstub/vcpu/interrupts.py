"""Exceptions raised by instruction semantics to leave an instruction early."""
from __future__ import annotations

from . import booke


class GuestInterrupt(Exception):
    """Enter interrupt ``ivor``; ``srr0`` defaults to the faulting instruction's address."""

    def __init__(self, ivor: int, *, srr0: int | None = None, esr: int | None = None,
                 dear: int | None = None):
        super().__init__(ivor)
        self.ivor = ivor
        self.srr0 = srr0
        self.esr = esr
        self.dear = dear


class DebugEvent(Exception):
    """A debug comparator (DAC, TRAP) matched before the instruction took effect."""

    def __init__(self, bits: int):
        super().__init__(bits)
        self.bits = bits


def illegal() -> GuestInterrupt:
    """Program interrupt, illegal instruction (also: unmodelled SPRs, invalid forms)."""
    return GuestInterrupt(booke.IVOR_PROGRAM, esr=booke.ESR_PIL)


def privileged() -> GuestInterrupt:
    """Program interrupt, privileged instruction executed with MSR[PR]=1."""
    return GuestInterrupt(booke.IVOR_PROGRAM, esr=booke.ESR_PPR)


class HostStop(Exception):
    """A debug host hook returned ``stop``: ``run()`` ends with it."""

    def __init__(self, stop):
        super().__init__(stop)
        self.stop = stop


class HaltNow(Exception):
    """A guest access made the board halt: the instruction counts as done and ``run()`` stops."""
