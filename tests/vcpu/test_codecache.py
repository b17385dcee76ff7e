"""The code caches: blocks of the debug keys gdb goes back and forth between are kept, and
stay coherent with the code while put aside."""
from __future__ import annotations

from gdbstub.vcpu.codecache import KEPT_KEYS, CodeCache
from gdbstub.vcpu.translate import NO_DEBUG, Block, DebugKey

HBREAK = DebugKey(iac=frozenset({0x2000}))


def _block(physical: int) -> Block:
    return Block(lambda cpu, left: None, 1, physical, ((physical, physical + 4),))


def test_the_blocks_of_a_key_come_back_with_it():
    cache = CodeCache(1 << 20)
    blocks = cache.blocks
    block = _block(0x1000)
    cache.add_block(0x1000, block)
    cache.set_debug_key(HBREAK)                   # gdb inserted an hbreak to resume
    assert not cache.blocks and cache.blocks is blocks
    cache.add_block(0x1100, _block(0x1100))
    cache.set_debug_key(NO_DEBUG)                 # ... and removed it at the stop
    assert cache.blocks == {0x1000: block} and cache.blocks is blocks
    cache.set_debug_key(HBREAK)
    assert set(cache.blocks) == {0x1100}


def test_code_written_while_a_key_is_put_aside_drops_its_blocks_too():
    cache = CodeCache(1 << 20)
    cache.add_block(0x1000, _block(0x1000))
    cache.set_debug_key(HBREAK)
    assert cache.forget(0x1000, 4)
    cache.set_debug_key(NO_DEBUG)
    assert not cache.blocks


def test_only_the_last_keys_are_kept():
    cache = CodeCache(1 << 20)
    cache.add_block(0x1000, _block(0x1000))
    for n in range(KEPT_KEYS + 1):
        cache.set_debug_key(DebugKey(iac=frozenset({0x3000 + 4 * n})))
    cache.set_debug_key(NO_DEBUG)
    assert not cache.blocks
