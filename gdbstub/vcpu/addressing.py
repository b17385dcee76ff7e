"""Address translation: the one place where an effective address becomes a physical one.

Every guest access (instruction fetch, loads and stores of every form) and every debugger
access goes through :meth:`Addressing.translate`. Today's machine has no MMU (a bare e500mc with
translation off): the mapping is the identity. The e500mc TLBs (``mmu.py``) will answer :meth:`Addressing.lookup`.

Translations are remembered per 4 KiB page (the smallest BookE page) and per access kind, in
``page_cache``; :meth:`Addressing.flush` forgets them and must be called whenever the mapping may
change (a TLB write or invalidation, MSR[IS]/MSR[DS], PID). While ``identity`` holds, the vCPU's
fast paths (and translated blocks) index RAM with the effective address directly: that is the
page cache's identity form, and they re-check ``identity`` after every :meth:`flush`.
"""
from __future__ import annotations

from enum import IntEnum

from .memory import PHYSICAL_BITS

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1
EFFECTIVE_MASK = 0xFFFFFFFF
PHYSICAL_MASK = (1 << PHYSICAL_BITS) - 1


class Access(IntEnum):
    FETCH = 0
    READ = 1
    WRITE = 2


class Addressing:
    """Effective to physical translation with a per-page cache (``page_cache[access][page]``
    is the physical page number of effective page ``page``)."""

    identity = True
    """True while every effective address is its own physical address."""

    def __init__(self):
        self.page_cache: tuple[dict[int, int], ...] = ({}, {}, {})

    def translate(self, ea: int, access: Access, for_debugger: bool = False) -> int | None:
        """The physical address of ``ea`` for ``access``. A guest access that is not permitted
        raises the interrupt the hardware takes; a debugger access has no side effect and gets
        None instead."""
        page = (ea & EFFECTIVE_MASK) >> PAGE_SHIFT
        cache = self.page_cache[access]
        physical_page = cache.get(page)
        if physical_page is None:
            physical_page = self.lookup(page, access, for_debugger)
            if physical_page is None:
                return None
            if not for_debugger:
                cache[page] = physical_page
        return physical_page << PAGE_SHIFT | ea & PAGE_MASK

    def lookup(self, page: int, access: Access, for_debugger: bool) -> int | None:
        """The physical page mapped at effective ``page`` (no MMU: the same page)."""
        return page

    def flush(self) -> None:
        """Forget every cached translation (call on any change of the mapping)."""
        for cache in self.page_cache:
            cache.clear()
