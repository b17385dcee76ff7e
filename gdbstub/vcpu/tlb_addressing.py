"""Address translation through the e500mc TLBs (``mmu.Mmu``), for machines with the BookE MMU.

The TLB model is pure; this is where its answers meet the core: a fetch translates in the
address space MSR[IS] names and a data access in MSR[DS]'s, both with PID and the privilege
MSR[PR] gives, and a ``TlbFault`` becomes the architected interrupt (the MAS auto-fill of a TLB
miss goes into the MAS SPRs first).

The per-page caches of :class:`Addressing` depend on MSR[IS, DS, PR] and PID as well as on the
TLBs: one set is kept per such context (a kernel and its processes switch back and forth on
every interrupt and system call), the current one chosen on every use (``sync``: so any way of
changing them, a debugger's register write included, is seen). A TLB change drops the pages it
affects from all of them and ends a running block (``on_mapping_change``).
"""
from __future__ import annotations

from typing import Callable, Protocol

from . import booke
from .addressing import EFFECTIVE_MASK, NO_WINDOW, PAGE_MASK, PAGE_SHIFT, Access, Addressing, window
from .interrupts import GuestInterrupt
from .mmu import SPR_MAS4, Mmu, TlbFault, Translation

_CONTEXT_BITS = booke.MSR_IS | booke.MSR_DS | booke.MSR_PR
_MAX_CONTEXTS = 16    # cache sets kept (a process is two: its user and kernel side); more start over
_FETCH = int(Access.FETCH)   # a plain int: an enum member as an index costs a lookup a block


class TranslationContext(Protocol):
    """What a lookup reads of the core: MSR and the SPR file (PID, MAS4, HID0; MAS written)."""
    msr: int
    sprs: dict[int, int]


class TlbAddressing(Addressing):
    """Effective to physical through ``mmu`` for the core ``cpu``."""

    identity = False

    def __init__(self, cpu: TranslationContext, mmu: Mmu, ram_size: int,
                 on_mapping_change: Callable[[], None] = lambda: None):
        super().__init__(ram_size)
        self._cpu = cpu
        self.mmu = mmu
        self._msr = self._pid = None   # the context of the current cache set
        self._contexts: dict[tuple[int, int], tuple] = {}
        self._ea = 0           # the address being translated (DEAR wants it, not its page)
        self._fetch_ram = self.ram_cache[_FETCH]   # code_address's cache, of the current set

        def changed(spans) -> None:
            if spans is None:
                self.flush()
            else:
                self._forget(spans)
            on_mapping_change()
        mmu.on_change = changed

    def _forget(self, spans: list[tuple[int, int]]) -> None:
        """Drop the cached translations of the pages in ``spans`` (``(first EA, bytes)``), in
        every context: a TLB0 refill changes one page, and the rest stay cached."""
        caches = self._every_cache()
        for windows in self._every_window_set():
            for access, (low, last, _, _, _) in enumerate(windows):
                if any(first <= last and low < first + size for first, size in spans):
                    windows[access] = NO_WINDOW
        self.generation += 1
        self.refresh_view()
        for first, size in spans:
            low, high = first >> PAGE_SHIFT, (first + size + PAGE_MASK) >> PAGE_SHIFT
            for cache in caches:
                if high - low <= len(cache):
                    for page in range(low, high):
                        cache.pop(page, None)
                else:
                    for page in [page for page in cache if low <= page < high]:
                        del cache[page]

    def sync(self) -> None:
        """Make ``page_cache`` and ``ram_cache`` the set of the core's current context."""
        cpu = self._cpu
        msr, pid = cpu.msr & _CONTEXT_BITS, cpu.sprs[booke.SPR_PID]
        if msr == self._msr and pid == self._pid:
            return
        self._msr, self._pid = msr, pid
        caches = self._contexts.get((msr, pid))
        if caches is None:
            if len(self._contexts) >= _MAX_CONTEXTS:
                self._contexts.clear()
            caches = self._contexts[msr, pid] = (({}, {}, {}), ({}, {}, {}), [NO_WINDOW] * 3)
        self.page_cache, self.ram_cache, self.windows = caches
        self._fetch_ram = self.ram_cache[_FETCH]
        self.generation += 1
        self.refresh_view()

    def code_address(self, ea: int) -> int | None:
        cpu = self._cpu     # sync() inline: this runs once per translated block executed
        if cpu.msr & _CONTEXT_BITS != self._msr or cpu.sprs[booke.SPR_PID] != self._pid:
            self.sync()
        delta = self._fetch_ram.get(ea >> PAGE_SHIFT)
        return None if delta is None else ea + delta

    def ram_address(self, ea: int, size: int, access: int) -> int | None:
        cpu = self._cpu     # sync() inline: this runs once per interpreted load and store
        if cpu.msr & _CONTEXT_BITS != self._msr or cpu.sprs[booke.SPR_PID] != self._pid:
            self.sync()
        return Addressing.ram_address(self, ea, size, access)

    def translate(self, ea: int, access: Access, for_debugger: bool = False) -> int | None:
        self.sync()
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
        if found.tlb == 1 and access != Access.FETCH:
            self._widen(found, access, data_space, pid)
        return found.real >> PAGE_SHIFT

    def _widen(self, found: Translation, access: Access, address_space: int, pid: int) -> None:
        """Make the TLB1 entry of ``found`` the window of ``access`` in the current context,
        cut to RAM, if it is larger than the window there and no other entry maps into it."""
        first, real = found.page_ea, found.page_real
        size = min(found.page_size, (self._ram_pages << PAGE_SHIFT) - real, EFFECTIVE_MASK + 1 - first)
        current = self.windows[access]
        if size <= current[1] + 1 - current[0] or not self.mmu.alone(first, first + size, found, address_space, pid):
            return
        self.windows[access] = window(first, size, real - first)
        self.refresh_view()

    def flush(self) -> None:
        for cache in self._every_cache():
            cache.clear()
        for windows in self._every_window_set():
            windows[:] = [NO_WINDOW] * 3
        super().flush()      # also the set in use before the first context was chosen

    def _every_cache(self) -> list[dict[int, int]]:
        """The page and RAM caches of every context kept."""
        return [cache for page_cache, ram_cache, _ in self._contexts.values() for cache in (*page_cache, *ram_cache)]

    def _every_window_set(self) -> list[list[tuple]]:
        """The windows of every context kept, and those in use."""
        return [windows for _, _, windows in self._contexts.values()] + [self.windows]


