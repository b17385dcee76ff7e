"""Branches: b, bc, bclr, bcctr with every BO form, CTR decrement and LR update."""
from __future__ import annotations

from ..interrupts import illegal
from .bits import MASK32, cr_bit
from .forms import B, I, XL
from .table import instruction


def _condition_holds(cpu, bo, bi):
    """Decrement CTR unless BO[2]; the branch is taken when the CTR and CR tests both pass."""
    if not bo & 0x04:
        cpu.ctr = (cpu.ctr - 1) & MASK32
        if (cpu.ctr != 0) == bool(bo & 0x02):
            return False
    return bool(bo & 0x10) or cr_bit(cpu, bi) == (bo >> 3) & 1


def _link(cpu, lk):
    if lk:
        cpu.lr = (cpu.pc + 4) & MASK32


@instruction("b", 18, form=I, registers_only=True)
def b(cpu, offset, aa, lk):
    target = (offset if aa else cpu.pc + offset) & MASK32
    _link(cpu, lk)
    return target


@instruction("bc", 16, form=B, registers_only=True)
def bc(cpu, bo, bi, offset, aa, lk):
    taken = _condition_holds(cpu, bo, bi)
    target = (offset if aa else cpu.pc + offset) & MASK32
    _link(cpu, lk)
    return target if taken else None


@instruction("bclr", 19, 16, form=XL, registers_only=True)
def bclr(cpu, bo, bi, _, lk):
    target = cpu.lr & ~3
    taken = _condition_holds(cpu, bo, bi)
    _link(cpu, lk)
    return target if taken else None


@instruction("bcctr", 19, 528, form=XL)
def bcctr(cpu, bo, bi, _, lk):
    """BO without "ignore CTR" is an invalid form (QEMU: Program illegal)."""
    if not bo & 0x04:
        raise illegal()
    _link(cpu, lk)
    return cpu.ctr & ~3 if _condition_holds(cpu, bo, bi) else None
