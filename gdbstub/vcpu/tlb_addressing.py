"""Address translation through the e500mc TLBs (``mmu.Mmu``), for machines with the BookE MMU.

The TLB model is pure; this is where its answers meet the core: a fetch translates in the
address space MSR[IS] names and a data access in MSR[DS]'s, both with PID and the privilege
MSR[PR] gives, and a ``TlbFault`` becomes the architected interrupt (the MAS auto-fill of a TLB
miss goes into the MAS SPRs first). The per-page caches of :class:`Addressing` stay valid while
MSR[IS, DS, PR] and PID keep the values they were filled under (checked on every cache use, so
any way of changing them, a debugger's register write included, is seen) and the TLB model
reports no change.
"""
from __future__ import annotations

from typing import Protocol

from . import booke
from .addressing import EFFECTIVE_MASK, PAGE_MASK, PAGE_SHIFT, Access, Addressing
from .interrupts import GuestInterrupt
from .mmu import SPR_MAS4, Mmu, TlbFault

_CONTEXT_BITS = booke.MSR_IS | booke.MSR_DS | booke.MSR_PR


class TranslationContext(Protocol):
    """What a lookup reads of the core: MSR and the SPR file (PID, MAS4, HID0; MAS written)."""
    msr: int
    sprs: dict[int, int]


class TlbAddressing(Addressing):
    """Effective to physical through ``mmu`` for the core ``cpu``."""

    identity = False

    def __init__(self, cpu: TranslationContext, mmu: Mmu):
        super().__init__()
        self._cpu = cpu
        self.mmu = mmu
        self._msr = self._pid = None   # MSR[IS, DS, PR] and PID the page caches were filled under
        self._ea = 0           # the address being translated (DEAR wants it, not its page)
        mmu.on_change = lambda spans: self.flush()

    def translate(self, ea: int, access: Access, for_debugger: bool = False) -> int | None:
        cpu = self._cpu
        msr, pid = cpu.msr & _CONTEXT_BITS, cpu.sprs[booke.SPR_PID]
        if msr != self._msr or pid != self._pid:
            self.flush()
            self._msr, self._pid = msr, pid
        physical_page = self.page_cache[access].get((ea & EFFECTIVE_MASK) >> PAGE_SHIFT)
        if physical_page is not None:
            return physical_page << PAGE_SHIFT | ea & PAGE_MASK
        self._ea = ea
        return super().translate(ea, access, for_debugger)

    def lookup(self, page: int, access: Access, for_debugger: bool) -> int | None:
        cpu = self._cpu
        msr, sprs = cpu.msr, cpu.sprs
        ea = self._ea
        pid = sprs[booke.SPR_PID]
        privileged = not msr & booke.MSR_PR
        fetch_space = 1 if msr & booke.MSR_IS else 0
        data_space = 1 if msr & booke.MSR_DS else 0
        if for_debugger:
            found = self.mmu.debug_translate(ea, data_space, fetch_space, pid, privileged)
            return None if found is None else found.real >> PAGE_SHIFT
        found = self.mmu.translate(ea, access, fetch_space if access == Access.FETCH else data_space,
                                   pid, privileged, sprs[SPR_MAS4])
        if isinstance(found, TlbFault):
            sprs.update(found.mas)
            raise GuestInterrupt(found.ivor, esr=found.esr, dear=found.dear)
        return found.real >> PAGE_SHIFT

    def flush(self) -> None:
        super().flush()
        self._msr = self._pid = None


