"""The TLB instructions of the e500mc MMU: tlbwe, tlbre, tlbsx, tlbivax, tlbsync, tlbilx.

Each is supervisor-only and hands the MAS registers to the TLB model (``cpu.tlb``, ``mmu.Mmu``),
which does the work; on a core without the BookE MMU they are illegal. The model reports what it
changed and the translation caches follow (``tlb_addressing``).
"""
from __future__ import annotations

from .. import booke
from .. import mmu
from ..interrupts import illegal, privileged
from .forms import X
from .table import instruction


def _model(cpu) -> mmu.Mmu:
    """The TLB model, after the privilege check."""
    if cpu.tlb is None:
        raise illegal()
    if cpu.msr & booke.MSR_PR:
        raise privileged()
    return cpu.tlb


def _index_ea(cpu, ra, rb) -> int:
    return ((cpu.gpr[ra] if ra else 0) + cpu.gpr[rb]) & 0xFFFFFFFF


@instruction("tlbwe", 31, 978, form=X)
def tlbwe(cpu, *_):
    sprs = cpu.sprs
    _model(cpu).tlbwe(sprs[mmu.SPR_MAS0], sprs[mmu.SPR_MAS1], sprs[mmu.SPR_MAS2], sprs[mmu.SPR_MAS3],
                      sprs[mmu.SPR_MAS7])


@instruction("tlbre", 31, 946, form=X)
def tlbre(cpu, *_):
    sprs = cpu.sprs
    sprs.update(_model(cpu).tlbre(sprs[mmu.SPR_MAS0], sprs[mmu.SPR_MAS2]))


@instruction("tlbsx", 31, 914, form=X)
def tlbsx(cpu, _, ra, rb, rc):
    sprs = cpu.sprs
    model = _model(cpu)
    sprs.update(model.tlbsx(_index_ea(cpu, ra, rb), sprs[mmu.SPR_MAS4], sprs[mmu.SPR_MAS6]))


@instruction("tlbivax", 31, 786, form=X)
def tlbivax(cpu, _, ra, rb, rc):
    model = _model(cpu)
    model.tlbivax(_index_ea(cpu, ra, rb))


@instruction("tlbsync", 31, 566, form=X)
def tlbsync(cpu, *_):
    _model(cpu).tlbsync()


@instruction("tlbilx", 31, 18, form=X)
def tlbilx(cpu, t, ra, rb, rc):
    """T sits in the low two bits of the RT field."""
    model = _model(cpu)
    model.tlbilx(t & 3, _index_ea(cpu, ra, rb), cpu.sprs[mmu.SPR_MAS6])
