"""The e500mc instruction set, pydgin-style: an encoding table plus one semantics function each.

Writing an instruction family (``integer.py``, ``loadstore.py``, ``branch.py``, ``system.py``, ``tlb.py``,
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
* Invalid forms are part of the encoding, not of the semantics: ``reserved=`` gives the word
  bits that must be 0, ``valid=`` a predicate over the same fields as the semantics::

      @instruction("mulhw", 31, 75, form=XO, reserved=1 << 10)      # OE=1: illegal
      @instruction("lwzu", 33, form=D, valid=lambda rt, ra, d: ra != 0 and ra != rt)

  ``decode`` gives such a word the illegal semantics (Program interrupt), so neither the
  semantics nor the emit template ever see it. Only checks that come before anything else
  belong here: one that follows the FP Unavailable check (mtfsf W=1) stays in the semantics.
* Hot instructions also get an emit template, ``emit=``: a function of an emitter ``e`` and
  the same fields, that writes the instruction's inline code for translated blocks (without
  one, a block calls the semantics). It runs at translation time, with the fields known, and
  returns source through ``e`` (``translate._Emitter`` documents each method)::

      def _emit_mulli(e, rt, ra, si):
          e.line(f"g[{rt}] = (g[{ra}] * {si}) & 0xFFFFFFFF")

      @instruction("mulli", 7, form=D, registers_only=True, emit=_emit_mulli)
      def mulli(cpu, rt, ra, si): ...

  The code sees ``cpu`` and ``g`` (= ``cpu.gpr``) and may use scratch locals; ``e.pc`` is the
  instruction's address. ``e.line(...)`` adds statements; ``e.set_cr_field(field, value)``
  and ``e.cr_bit(bit)`` keep CR fields in locals that branches test; ``e.access(size, ea,
  data, store=..., signed=..., then=...)`` is the only way to touch memory (loads and stores
  never spell ``ram`` themselves); ``e.jump(target, conditions, call=, returns=)`` branches
  (``call``: the branch set LR; ``returns``: its target is LR); ``e.call()`` hands this
  instance to the semantics after all (e.g. for OE=1). Source twins of the
  ``bits.py`` helpers (``record_cr0_source``, ...) sit next to them. A template must do
  exactly what the semantics do for every valid form: ``tests/vcpu/test_emit_templates.py``
  runs each against its semantics over random operands. Where a family's table gives each
  operation as an expression, build the semantics and the template from that one string
  (``integer.py``'s add and logical families) rather than writing it twice.
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

FAMILIES = ("integer", "loadstore", "branch", "system", "floating", "tlb")

for _family in FAMILIES:
    if importlib.util.find_spec(f"{__name__}.{_family}") is not None:
        importlib.import_module(f"{__name__}.{_family}")

__all__ = ["FAMILIES", "decode", "instruction", "lookup", "touches_only_registers"]
