"""Branches: b, bc, bclr, bcctr with every BO form, CTR decrement and LR update.

With DBCR0[BRT] armed (``cpu.branch_armed``, interpreted only) a taken branch is a debug
event before it executes: it raises before CTR or LR change.
"""
from __future__ import annotations

from .. import booke
from ..interrupts import DebugEvent
from .bits import MASK32, cr_bit
from .forms import B, I, XL
from .table import instruction


def _branch_taken_event(cpu):
    if cpu.debug.branch_recognised(cpu.msr):
        raise DebugEvent(booke.DBSR_BT)


def _condition_holds(cpu, bo, bi):
    """Decrement CTR unless BO[2]; the branch is taken when the CTR and CR tests both pass."""
    ctr = cpu.ctr if bo & 0x04 else (cpu.ctr - 1) & MASK32
    taken = ((bo & 0x04 or (ctr != 0) != bool(bo & 0x02))
             and (bo & 0x10 or cr_bit(cpu, bi) == (bo >> 3) & 1))
    if taken and cpu.branch_armed:
        _branch_taken_event(cpu)
    cpu.ctr = ctr
    return bool(taken)


def _link(cpu, lk):
    if lk:
        cpu.lr = (cpu.pc + 4) & MASK32


def _emit_condition(e, bo, bi):
    """The inline twin of ``_condition_holds``: the CTR decrement, and the source conditions
    that must all hold for the branch to be taken."""
    conditions = []
    if not bo & 0x04:
        e.line("cpu.ctr = c = (cpu.ctr - 1) & 0xFFFFFFFF")
        conditions.append("c == 0" if bo & 0x02 else "c != 0")
    if not bo & 0x10:
        bit = e.cr_bit(bi)
        conditions.append(bit if bo & 0x08 else f"not {bit}")
    return conditions


def _emit_link(e, lk):
    if lk:
        e.line(f"cpu.lr = {e.pc + 4:#x}")


def _emit_b(e, offset, aa, lk):
    _emit_link(e, lk)
    e.jump((offset if aa else e.pc + offset) & MASK32, call=bool(lk))


@instruction("b", 18, form=I, registers_only=True, emit=_emit_b)
def b(cpu, offset, aa, lk):
    if cpu.branch_armed:
        _branch_taken_event(cpu)
    target = (offset if aa else cpu.pc + offset) & MASK32
    _link(cpu, lk)
    return target


def _emit_bc(e, bo, bi, offset, aa, lk):
    conditions = _emit_condition(e, bo, bi)
    _emit_link(e, lk)
    e.jump((offset if aa else e.pc + offset) & MASK32, conditions, call=bool(lk))


@instruction("bc", 16, form=B, registers_only=True, emit=_emit_bc)
def bc(cpu, bo, bi, offset, aa, lk):
    taken = _condition_holds(cpu, bo, bi)
    target = (offset if aa else cpu.pc + offset) & MASK32
    _link(cpu, lk)
    return target if taken else None


def _emit_to_register(register):
    """bclr/bcctr: the target is read before the CTR decrement and the LR update."""
    def emit(e, bo, bi, _, lk):
        e.line(f"target = cpu.{register} & 0xFFFFFFFC")
        conditions = _emit_condition(e, bo, bi)
        _emit_link(e, lk)
        e.jump("target", conditions, returns=register == "lr" and not lk)
    return emit


@instruction("bclr", 19, 16, form=XL, registers_only=True, emit=_emit_to_register("lr"))
def bclr(cpu, bo, bi, _, lk):
    target = cpu.lr & ~3
    taken = _condition_holds(cpu, bo, bi)
    _link(cpu, lk)
    return target if taken else None


@instruction("bcctr", 19, 528, form=XL, valid=lambda bo, bi, _, lk: bo & 0x04, emit=_emit_to_register("ctr"))
def bcctr(cpu, bo, bi, _, lk):
    """BO without "ignore CTR" is an invalid form (QEMU: Program illegal)."""
    taken = _condition_holds(cpu, bo, bi)
    _link(cpu, lk)
    return cpu.ctr & ~3 if taken else None
