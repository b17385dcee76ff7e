"""What the vCPU keeps about guest code: decoded instructions keyed by PHYSICAL address,
translated blocks keyed by the EFFECTIVE address they start at (their code names it) and
knowing the physical range they were built from, and one flag per 64-byte line of RAM that may
hold either.

None of it is state: dropping it all changes nothing but speed (a restored machine starts with
it empty). A store into a flagged line drops what overlaps it (``forget``).
"""
from __future__ import annotations

from .translate import NO_DEBUG, Block

LINE_SHIFT = 6   # bookkeeping granule: the 64-byte cache line
LINE_MASK = (1 << LINE_SHIFT) - 1
KEPT_KEYS = 2    # block sets of other debug keys kept (at most ~27 MB each)


class CodeCache:
    """``decoded[pa]``: ``(semantics, args)`` (the same tuple for the same word, through
    ``by_word``); ``blocks[ea]``: a :class:`Block` (or INTERPRET);
    ``heat[ea]``: branches seen to ``ea`` before it is translated; ``code_lines``: per RAM line
    (the flag is set on the line before, too, so that an access starting there and crossing into
    a code line is seen); ``debug_key``: the comparator addresses the blocks are built for."""

    def __init__(self, ram_size: int):
        self.code_lines = bytearray((ram_size >> LINE_SHIFT) + 2)
        self.decoded: dict[int, tuple] = {}
        self.by_word: dict[int, tuple] = {}   # what decoding a word gave: alike words share it
        self.blocks: dict[int, Block] = {}
        self._block_lines: dict[int, list[int]] = {}
        self.heat: dict[int, int] = {}
        self.debug_key = NO_DEBUG
        self._kept: dict[object, tuple[dict, dict]] = {}   # debug key -> its blocks, put aside
        self.links: list[list] = []   # the filled link slots of the blocks (translate.exit_lines)
        self.translated = 0           # blocks translated since the caches started over
        self.namespace: dict = {}     # the names translated code reads (the vCPU fills it)

    def forget(self, addr: int, length: int) -> bool:
        """Drop decoded instructions and translated blocks (of every debug key kept) overlapping
        the physical ``[addr, addr + length)``; True if there were any (a store into data that
        shares a line with code drops nothing)."""
        first, last = addr >> LINE_SHIFT, (addr + length - 1) >> LINE_SHIFT
        if not any(self.code_lines[first:last + 1]):
            return False
        decoded, end = self.decoded, addr + length
        dropped = False
        for word in range(addr & ~3, end, 4):
            dropped |= decoded.pop(word, None) is not None
        for blocks, block_lines in ((self.blocks, self._block_lines), *self._kept.values()):
            for line in range(first, last + 1):
                starts = block_lines.get(line)
                if not starts:
                    continue
                kept = []
                for start in starts:
                    block = blocks.get(start)     # None: already dropped through another line
                    if block is not None and any(first < end and addr < last for first, last in block.spans):
                        del blocks[start]
                        dropped = True
                    elif block is not None:
                        kept.append(start)
                block_lines[line] = kept
        if dropped:
            self.unlink()
        return dropped

    def link(self, slot: list, block: Block, generation: int) -> None:
        """An exit's link slot ``[run, length, generation]`` leads to ``block`` from now on;
        ``generation``, the mapping's (``Addressing.generation``) under which the run loop found
        ``block`` where its code is, is what an exit into another page under the MMU compares
        with the mapping's current one."""
        slot[0], slot[1], slot[2] = block.run, block.length, generation
        self.links.append(slot)

    def unlink(self) -> None:
        """Empty every link slot: a block that goes must not be reached. (Links join blocks of
        one debug key, which are put aside and come back together.)"""
        for slot in self.links:
            slot[0] = None
        self.links.clear()

    def clear(self) -> None:
        """Forget everything."""
        self.decoded.clear()
        self.by_word.clear()
        self.code_lines[:] = bytes(len(self.code_lines))
        self.drop_blocks()
        self.heat.clear()
        self.translated = 0

    def drop_blocks(self) -> None:
        self.unlink()
        self.blocks.clear()
        self._block_lines.clear()
        self._kept.clear()

    def mark(self, first: int, last: int) -> None:
        """Flag lines ``first..last`` (and the line before) as holding code."""
        self.code_lines[first - 1 if first else 0:last + 1] = b"\x01" * (last + 1 - max(first - 1, 0))

    def add_decoded(self, pa: int, entries: list[tuple]) -> None:
        """The ``entries`` of the consecutive words from ``pa``, all in one line."""
        decoded = self.decoded
        for offset, entry in enumerate(entries):
            decoded[pa + 4 * offset] = entry
        line = pa >> LINE_SHIFT
        self.code_lines[line] = 1
        if line:
            self.code_lines[line - 1] = 1

    def add_block(self, ea: int, block: Block) -> None:
        self.blocks[ea] = block
        self.translated += block.run is not None
        for first, end in block.spans:
            first, last = first >> LINE_SHIFT, (end - 1) >> LINE_SHIFT
            self.mark(first, last)
            for line in range(first, last + 1):
                starts = self._block_lines.setdefault(line, [])
                if not starts or starts[-1] != ea:     # spans of one block may share a line
                    starts.append(ea)

    def set_debug_key(self, key) -> None:
        """Blocks are built for one set of comparator addresses: on a change the current ones
        are put aside (the last ``KEPT_KEYS`` sets) and those of ``key`` come back, if kept.
        gdb removes its points at every stop and inserts them again to resume, so the same
        keys come back again and again. ``blocks`` stays the same dict (the run loop holds it)."""
        if key == self.debug_key:
            return
        self._kept[self.debug_key] = (dict(self.blocks), self._block_lines)
        blocks, self._block_lines = self._kept.pop(key, ({}, {}))
        while len(self._kept) > KEPT_KEYS:
            del self._kept[next(iter(self._kept))]
        self.blocks.clear()
        self.blocks.update(blocks)
        self.debug_key = key
