"""The translation seam: every guest and debugger access goes through ``Addressing.translate``, code
caches are keyed by physical address, and physical addresses have 36 bits. A test MMU that
maps effective pages elsewhere shows it (today's machine maps everything to itself)."""
from __future__ import annotations

import pytest

from gdbstub.devices.guts import GUTS_SIZE, Guts
from gdbstub.vcpu import booke
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.elf import load_elf
from gdbstub.vcpu.interrupts import GuestInterrupt
from gdbstub.vcpu.memory import BusError, Memory
from gdbstub.vcpu.addressing import PAGE_SHIFT, Access, Addressing
from gdbstub.vcpu.stops import Halted

from .conftest import TEST_RAM, snippet_elf

CODE_EA, CODE_PA = 0x0040_0000, 0x0010_0000      # the snippet is linked (and loaded) at 1 MiB
DATA_EA, DATA_PA = 0x0050_0000, 0x0020_0000
NEXT_PA = 0x0030_0000                              # where the page after DATA_EA goes
GUTS_EA, GUTS_PA = 0xE00E_0000, 0xF_E00E_0000     # a 36-bit physical device


class RemappingAddressing(Addressing):
    """Pages mapped by a table; a guest access elsewhere takes a storage interrupt."""
    identity = False

    def __init__(self, pages: dict[int, int]):
        super().__init__(TEST_RAM)
        self.pages = pages
        self.lookups = []

    def lookup(self, page, access, for_debugger):
        self.lookups.append((page, access, for_debugger))
        physical = self.pages.get(page)
        if physical is None and not for_debugger:
            ivor = booke.IVOR_INSN_STORAGE if access == Access.FETCH else booke.IVOR_DATA_STORAGE
            raise GuestInterrupt(ivor, esr=0, dear=page << PAGE_SHIFT)
        return physical


def _remapped_cpu(text: str):
    """The snippet's vCPU with RemappingAddressing: code at CODE_EA, data at DATA_EA (beyond RAM, so an
    access that skipped the translation would fault) and GUTS at a 36-bit physical address."""
    memory = Memory(TEST_RAM)
    cpu = Cpu(memory)
    memory.map_device(GUTS_PA, GUTS_SIZE, Guts(on_reset_request=cpu.request_halt))
    symbols = load_elf(snippet_elf(text, name="mmu-test"), cpu).symbols
    pages = {(CODE_EA >> PAGE_SHIFT) + n: (CODE_PA >> PAGE_SHIFT) + n for n in range(4)}
    pages.update({DATA_EA >> PAGE_SHIFT: DATA_PA >> PAGE_SHIFT,
                  (DATA_EA >> PAGE_SHIFT) + 1: NEXT_PA >> PAGE_SHIFT,
                  GUTS_EA >> PAGE_SHIFT: GUTS_PA >> PAGE_SHIFT})
    cpu.addressing = RemappingAddressing(pages)
    cpu.mapping_changed()
    cpu.pc = symbols["_start"] - CODE_PA + CODE_EA
    cpu.translate_after = 0
    return cpu, symbols


ACCESSES = """
    lis     4, 0x50             # r4 = DATA_EA
    lis     5, 0x1122
    ori     5, 5, 0x3344
    stw     5, 0(4)
    lwz     6, 0(4)
    lbz     7, 1(4)
    li      8, 0x0ff8           # 8 bytes before the next page
    stwx    5, 4, 8             # ... ends there
    li      8, 0x0ffe
    sthx    5, 4, 8
    li      8, 0x0ffc
    add     9, 4, 8
    lis     28, 0xaaaa
    lis     29, 0xbbbb
    lis     30, 0xcccc
    lis     31, 0xdddd
    stmw    28, 0(9)            # 16 bytes across the page boundary
    li      28, 0
    lmw     28, 0(9)
    addi    10, 4, 0x40
    lwarx   11, 0, 10
    stwcx.  5, 0, 10
    mfcr    12
    addi    13, 4, 0x80
    dcbz    0, 13
    lis     31, 0xe00e          # GUTS at its effective address; 36-bit physical
    li      30, 2
    li      3, 0x77
    stw     30, 0xb0(31)
"""


def test_guest_accesses_of_every_form_go_through_the_translation():
    cpu, _ = _remapped_cpu(ACCESSES)
    cpu.write_physical(DATA_PA + 0x80, b"\xff" * 64)
    assert cpu.run(1000) == Halted(0x77)
    ram = cpu.memory.ram
    assert ram[DATA_PA:DATA_PA + 4] == bytes.fromhex("11223344")
    assert (cpu.gpr[6], cpu.gpr[7]) == (0x11223344, 0x22)
    assert ram[DATA_PA + 0xFF8:DATA_PA + 0xFFC] == bytes.fromhex("11223344")
    assert ram[DATA_PA + 0xFFC:DATA_PA + 0x1000] == bytes.fromhex("aaaa0000")    # stmw, first page
    assert ram[NEXT_PA:NEXT_PA + 12] == bytes.fromhex("bbbb0000cccc0000dddd0000")  # ... the next
    assert cpu.gpr[28] == 0xAAAA0000
    assert ram[DATA_PA + 0x40:DATA_PA + 0x44] == bytes.fromhex("11223344")       # stwcx. succeeded
    assert cpu.gpr[12] >> 28 == 0b0010
    assert ram[DATA_PA + 0x80:DATA_PA + 0xC0] == bytes(64)
    assert not cpu.code.blocks                      # blocks assume the identity mapping
    fetched = {page for page, access, _ in cpu.addressing.lookups if access == Access.FETCH}
    assert fetched == {CODE_EA >> PAGE_SHIFT}
    assert set(cpu.code.decoded) <= set(range(CODE_PA, CODE_PA + 0x1000))   # keyed by physical


def test_a_guest_access_where_nothing_is_mapped_takes_the_storage_interrupt():
    cpu, _ = _remapped_cpu("""
    lis     4, 0x60
    lwz     5, 0(4)
""")
    outcome = cpu.run(10)
    assert "data storage" in outcome.reason and "0x00600000" in outcome.reason


def test_the_debugger_sees_effective_addresses_without_side_effects():
    cpu, symbols = _remapped_cpu("    li 3, 1\n    li 3, 2\n")
    cpu.write_physical(DATA_PA + 0xFFE, b"\x12\x34")
    cpu.write_physical(NEXT_PA, b"\x56\x78")
    assert cpu.read_memory(DATA_EA + 0xFFE, 4) == bytes.fromhex("12345678")
    cached = [dict(cache) for cache in cpu.addressing.page_cache]
    with pytest.raises(BusError):
        cpu.read_memory(0x0060_0000, 4)
    with pytest.raises(BusError):
        cpu.write_memory(0x0060_0000, b"\0")
    with pytest.raises(BusError):
        cpu.read_memory(0xFFFF_FFFE, 4)            # past 4 GiB
    assert [dict(cache) for cache in cpu.addressing.page_cache] == cached   # nothing cached for the debugger
    assert all(for_debugger for page, _, for_debugger in cpu.addressing.lookups if page == 0x600)
    # a debugger patch at the effective address replaces the decoded instruction (kept by PA)
    second = cpu.pc + 4
    assert cpu.step() is None and cpu.gpr[3] == 1
    cpu.pc -= 4
    cpu.write_memory(cpu.pc, (0x38600000 | 9).to_bytes(4, "big"))     # li 3, 9
    assert cpu.step() is None and cpu.gpr[3] == 9 and cpu.pc == second
    physical = symbols["_start"]
    assert cpu.memory.read(physical, 4) == 0x38600009


def test_flushing_forgets_the_cached_translations():
    cpu, _ = _remapped_cpu("    li 3, 1\n")
    assert cpu.step() is None
    assert cpu.addressing.page_cache[Access.FETCH]
    cpu.mapping_changed()
    assert not any(cpu.addressing.page_cache)



LOOP = """
    lis     4, 0x50             # r4 = DATA_EA
    li      5, 0
    li      6, 100
    mtctr   6
loop:
    lwz     7, 0(4)
    addi    7, 7, 3             # the word the alias test changes
    stw     7, 0(4)
    addi    5, 5, 1
    bdnz    loop
spin:
    b       spin
"""


def _run_loop(cpu, symbols, steps=2000):
    cpu.pc = symbols["_start"] - CODE_PA + CODE_EA
    cpu.gpr[5] = 0
    cpu.write_physical(DATA_PA, bytes(4))
    assert cpu.run(steps) is None
    return cpu.gpr[5], cpu.memory.read(DATA_PA, 4)


def test_blocks_run_under_a_mapping_keyed_by_effective_address_built_from_physical_code():
    cpu, symbols = _remapped_cpu(LOOP)
    assert _run_loop(cpu, symbols) == (100, 300)
    loop_ea = symbols["loop"] - CODE_PA + CODE_EA
    block = cpu.code.blocks[loop_ea]
    assert block.run is not None and block.physical == symbols["loop"]
    interpreted, _ = _remapped_cpu(LOOP)
    interpreted.translate_after = None
    assert _run_loop(interpreted, symbols) == (100, 300)
    assert (interpreted.icount, interpreted.pc) == (cpu.icount, cpu.pc)


def test_a_block_is_not_reused_once_its_effective_address_maps_other_code():
    cpu, symbols = _remapped_cpu(LOOP)
    assert _run_loop(cpu, symbols) == (100, 300)
    code_page = CODE_PA & ~0xFFF
    other = bytearray(cpu.memory.read_bytes(code_page, 0x1000))
    add = symbols["loop"] + 4 - code_page
    other[add:add + 4] = (0x38E70005).to_bytes(4, "big")     # addi 7, 7, 5
    cpu.write_physical(NEXT_PA, bytes(other))
    cpu.addressing.pages[CODE_EA >> PAGE_SHIFT] = NEXT_PA >> PAGE_SHIFT
    cpu.addressing.flush()                   # what a TLB write does
    cpu.translation_context_changed()
    assert _run_loop(cpu, symbols) == (100, 500)
    assert cpu.code.blocks[symbols["loop"] - CODE_PA + CODE_EA].physical == NEXT_PA + symbols["loop"] - code_page


def test_a_store_through_another_effective_address_drops_the_block_of_that_code():
    """The loop rewrites its own ``addi`` through a data alias of its code page, at its 50th
    pass: the rest of the passes add 5."""
    cpu, symbols = _remapped_cpu(LOOP.replace("    addi    5, 5, 1\n", """    addi    5, 5, 1
    cmpwi   5, 50
    bne     skip
    stw     8, 0(9)             # r8 = addi 7, 7, 5 at r9 = the alias of the addi
skip:
"""))
    code_page = CODE_PA & ~0xFFF
    alias_ea = 0x0070_0000
    cpu.addressing.pages[alias_ea >> PAGE_SHIFT] = code_page >> PAGE_SHIFT
    cpu.gpr[8] = 0x38E70005
    cpu.gpr[9] = alias_ea + symbols["loop"] + 4 - code_page
    assert _run_loop(cpu, symbols) == (100, 50 * 3 + 50 * 5)
