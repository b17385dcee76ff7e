"""The e500mc instruction set, pydgin-style: an encoding table plus one semantics function each.

Writing an instruction family (``integer.py``, ``loadstore.py``, ``branch.py``, ``system.py``,
``floating.py``):

* Register each instruction with the decorator from ``table``::

      from .table import instruction
      from .forms import D, X, XO, A

      @instruction("lfd", 50, form=D)
      def lfd(cpu, frt, ra, d): ...

      @instruction("fadd", 63, 21, form=A)      # extended opcode as the form defines it
      def fadd(cpu, frt, fra, frb, frc, rc): ...

  The form (see ``forms.py``: I, B, SC, D, DU, M, X, XO, A, XL, XFX, XFX_CR) decides which
  fields are extracted and passed after ``cpu``, and how many extended-opcode bits are
  decoded (X 10, XO 9 with OE passed as an argument, A 5). Overlapping registrations fail at
  import. Words are decoded once per address and cached as ``(function, args)``.
* Pass ``registers_only=True`` only if the function, for every operand and machine state,
  reads and writes nothing but GPRs, CR, XER, LR, CTR and the next PC and never raises: the
  stub then answers a single step over it before running it (``tests/vcpu/test_quiet_step.py``
  holds every marked function to that).
* A semantics function returns ``None`` to continue at ``cpu.pc + 4`` (``cpu.pc`` is the
  instruction's own address while it runs) or the next PC as an int (branches, rfi).
* State: ``cpu.gpr``/``cpu.fpr`` lists (32-bit ints / 64-bit IEEE bit patterns),
  ``cpu.cr``, ``cpu.xer``, ``cpu.lr``, ``cpu.ctr``, ``cpu.msr``, ``cpu.fpscr`` ints; keep every
  value masked to its width. Helpers for CR/XER/sign extension are in ``bits.py``.
* Memory: ``cpu.load(ea, size) -> int`` and ``cpu.store(ea, size, value)`` (big-endian,
  ``size`` 1/2/4/8), ``cpu.load_bytes(ea, n)``/``cpu.store_bytes(ea, data)``. They run the DAC
  comparators before touching memory, turn bus errors into Data Storage interrupts and keep
  the decode cache coherent. Do every access before updating any register, so that an access
  suppressed by a watchpoint leaves the state untouched.
* Interrupts: ``raise GuestInterrupt(booke.IVOR_FP_UNAVAILABLE)`` (from ``..interrupts``;
  ``srr0=``, ``esr=``, ``dear=`` when they differ from the defaults: SRR0 = this
  instruction, ESR/DEAR unchanged); ``raise illegal()`` / ``raise privileged()`` for Program
  interrupts; an FP enabled exception is ``GuestInterrupt(IVOR_PROGRAM, esr=booke.ESR_FP)``.
"""
from __future__ import annotations

import importlib
import importlib.util

from .table import decode, instruction, lookup, touches_only_registers

FAMILIES = ("integer", "loadstore", "branch", "system", "floating")

for _family in FAMILIES:
    if importlib.util.find_spec(f"{__name__}.{_family}") is not None:
        importlib.import_module(f"{__name__}.{_family}")

__all__ = ["FAMILIES", "decode", "instruction", "lookup", "touches_only_registers"]
