"""Address translation: the one place where an effective address becomes a physical one.

Every guest access (instruction fetch, loads and stores of every form) and every debugger
access goes through :meth:`Addressing.translate`. A bare e500mc with translation off maps
every address to itself (``identity``); the e500mc TLBs (``tlb_addressing.py``) answer
:meth:`Addressing.lookup` on the ppce500 board.

Translations are remembered per 4 KiB page (the smallest BookE page) and per access kind:
``page_cache`` holds every page translated, ``ram_cache`` the RAM pages among them as the
distance from the effective to the physical address, which translated blocks add to an
effective address to index RAM (one addition, where a page base would take a mask and an or).
:meth:`Addressing.flush` empties both (in place: a running block holds them) and must be called
whenever the mapping may change. While ``identity`` holds, the vCPU's fast paths and blocks
index RAM with the effective address directly and use neither.

``windows[access]`` is one range of effective addresses that a single large TLB entry maps onto
RAM at one distance, as a kernel's linear map or a firmware's boot mapping is: a block checks an
address against its bounds (one chained comparison, which also rules out running past its end)
and adds the distance, without a page lookup. ``NO_WINDOW`` contains no address; a mapping
change that touches a window removes it. Each cache holds at most
``MAX_CACHED_PAGES`` pages, so that a guest that touches its whole address space does not grow
the server without bound.
"""
from __future__ import annotations

from enum import IntEnum

from .memory import PHYSICAL_BITS

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1
EFFECTIVE_MASK = 0xFFFFFFFF
PHYSICAL_MASK = (1 << PHYSICAL_BITS) - 1
MAX_CACHED_PAGES = 1 << 12   # pages a cache holds (~90 B each); a full one starts over
NO_WINDOW = (1, 0, 0, 0, 0)


def window(first: int, size: int, distance: int) -> tuple[int, int, int, int, int]:
    """The window of the ``size`` bytes at effective ``first``, ``distance`` below their
    physical addresses: ``(first, last 1-byte, last 2-byte, last 4-byte access, distance)``."""
    end = first + size
    return first, end - 1, end - 2, end - 4, distance


class Access(IntEnum):
    FETCH = 0
    READ = 1
    WRITE = 2


class Addressing:
    """Effective to physical translation with per-page caches: ``page_cache[access][page]``
    is the physical page number of effective page ``page``, ``ram_cache[access][page]`` the
    physical minus the effective address of its bytes when that page is RAM (below
    ``ram_size``)."""

    identity = True
    """True while every effective address is its own physical address."""

    def __init__(self, ram_size: int):
        self._ram_pages = ram_size >> PAGE_SHIFT
        self.page_cache: tuple[dict[int, int], ...] = ({}, {}, {})
        self.ram_cache: tuple[dict[int, int], ...] = ({}, {}, {})
        self.windows = [NO_WINDOW, NO_WINDOW, NO_WINDOW]
        self.generation = 0   # counts the changes of the mapping in use (flushes, context switches)
        self.read_view = self.write_view = self.view = ()
        self.refresh_view()

    def refresh_view(self) -> None:
        """What a translated block reads of the caches in use, in one tuple, so that its entry
        costs one look (each name a block unpacks costs too): ``read_view`` (the read RAM cache,
        the read window, the generation), ``write_view`` (the same for writes) and ``view``
        (both, one generation). Call after any of them changes."""
        read = (self.ram_cache[Access.READ], *self.windows[Access.READ])
        write = (self.ram_cache[Access.WRITE], *self.windows[Access.WRITE])
        self.read_view, self.write_view = (*read, self.generation), (*write, self.generation)
        self.view = (*read, *write, self.generation)

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
                if len(cache) >= MAX_CACHED_PAGES:
                    cache.clear()
                    self.ram_cache[access].clear()
                cache[page] = physical_page
                if physical_page < self._ram_pages:
                    self.ram_cache[access][page] = (physical_page - page) << PAGE_SHIFT
        return physical_page << PAGE_SHIFT | ea & PAGE_MASK

    def code_address(self, ea: int) -> int | None:
        """The physical address a fetch at ``ea`` reads, if its page is cached and RAM (None:
        not translated yet, or not RAM): where translated blocks look their code up."""
        delta = self.ram_cache[Access.FETCH].get(ea >> PAGE_SHIFT)
        return None if delta is None else ea + delta

    def ram_address(self, ea: int, size: int, access: int) -> int | None:
        """The physical address of a ``size``-byte access at ``ea`` if its page is cached as RAM
        for ``access`` and the access stays in it, else None (then ``translate`` decides): the
        interpreter's way to RAM, which neither looks a page up nor raises."""
        if ea & PAGE_MASK > PAGE_SIZE - size:
            return None
        delta = self.ram_cache[access].get(ea >> PAGE_SHIFT)
        return None if delta is None else ea + delta

    def lookup(self, page: int, access: Access, for_debugger: bool) -> int | None:
        """The physical page mapped at effective ``page`` (no MMU: the same page)."""
        return page

    def flush(self) -> None:
        """Forget every cached translation (call on any change of the mapping)."""
        for cache in (*self.page_cache, *self.ram_cache):
            cache.clear()
        self.windows[:] = [NO_WINDOW] * 3
        self.generation += 1
        self.refresh_view()
