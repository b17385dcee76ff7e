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


class CodeCache:
    """``decoded[pa]``: ``(semantics, args)``; ``blocks[ea]``: a :class:`Block` (or INTERPRET);
    ``heat[ea]``: branches seen to ``ea`` before it is translated; ``code_lines``: per RAM line
    (the flag is set on the line before, too, so that an access starting there and crossing into
    a code line is seen); ``debug_key``: the comparator addresses the blocks are built for."""

    def __init__(self, ram_size: int):
        self.code_lines = bytearray((ram_size >> LINE_SHIFT) + 2)
        self.decoded: dict[int, tuple] = {}
        self.blocks: dict[int, Block] = {}
        self._block_lines: dict[int, list[int]] = {}
        self.heat: dict[int, int] = {}
        self.debug_key = NO_DEBUG

    def forget(self, addr: int, length: int) -> bool:
        """Drop decoded instructions and translated blocks overlapping the physical
        ``[addr, addr + length)``; True if there were any (a store into data that shares a line with code drops nothing)."""
        first, last = addr >> LINE_SHIFT, (addr + length - 1) >> LINE_SHIFT
        if not any(self.code_lines[first:last + 1]):
            return False
        decoded, blocks, end = self.decoded, self.blocks, addr + length
        dropped = False
        for word in range(addr & ~3, end, 4):
            dropped |= decoded.pop(word, None) is not None
        for line in range(first, last + 1):
            starts = self._block_lines.get(line)
            if not starts:
                continue
            kept = []
            for start in starts:
                block = blocks.get(start)     # None: already dropped through another line
                if block is not None and block.physical < end and addr < block.end:
                    del blocks[start]
                    dropped = True
                elif block is not None:
                    kept.append(start)
            self._block_lines[line] = kept
        return dropped

    def clear(self) -> None:
        """Forget everything."""
        self.decoded.clear()
        self.code_lines[:] = bytes(len(self.code_lines))
        self.drop_blocks()
        self.heat.clear()

    def drop_blocks(self) -> None:
        self.blocks.clear()
        self._block_lines.clear()

    def mark(self, first: int, last: int) -> None:
        """Flag lines ``first..last`` (and the line before) as holding code."""
        self.code_lines[first - 1 if first else 0:last + 1] = b"\x01" * (last + 1 - max(first - 1, 0))

    def add_decoded(self, pa: int, entry: tuple) -> None:
        self.decoded[pa] = entry
        self.mark(pa >> LINE_SHIFT, pa >> LINE_SHIFT)

    def add_block(self, ea: int, block: Block) -> None:
        self.blocks[ea] = block
        if block.run is not None:
            first, last = block.physical >> LINE_SHIFT, (block.end - 1) >> LINE_SHIFT
            self.mark(first, last)
            for line in range(first, last + 1):
                self._block_lines.setdefault(line, []).append(ea)

    def set_debug_key(self, key) -> None:
        """Blocks built for other comparator addresses go."""
        if key != self.debug_key:
            self.debug_key = key
            self.drop_blocks()
