"""Translation through the TLBs and its caches: a TLB write forgets only the pages it affects,
in every context, and what stays cached is still right."""
from __future__ import annotations

from gdbstub.vcpu import booke
from gdbstub.vcpu.addressing import PAGE_SHIFT, Access
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.memory import Memory

from .test_mmu import write

MIB = 1 << 20


def _cpu() -> Cpu:
    cpu = Cpu(Memory(16 * MIB), booke_mmu=True)
    write(cpu.tlb, 1, 0, 0, 0, tsize=7)                       # TLB1[0]: 16 MiB at 0 -> 0
    write(cpu.tlb, 0, 0, 0x4000_0000, 0x0020_0000)             # TLB0: one 4 KiB page
    return cpu


def test_a_tlb0_write_forgets_its_page_and_keeps_the_others_in_every_context():
    cpu = _cpu()
    translate = cpu.addressing.translate
    assert translate(0x1234, Access.READ) == 0x1234
    assert translate(0x4000_0010, Access.READ) == 0x0020_0010
    cpu.msr |= booke.MSR_PR                                   # another context: the user's
    assert translate(0x4000_0010, Access.WRITE) == 0x0020_0010
    cpu.msr &= ~booke.MSR_PR
    write(cpu.tlb, 0, 0, 0x4000_0000, 0x0030_0000)             # the same way, another page
    cpu.addressing.sync()
    assert cpu.addressing.page_cache[Access.READ] == {0x1: 0x1}   # the TLB1 page stays cached
    assert translate(0x4000_0010, Access.READ) == 0x0030_0010
    cpu.msr |= booke.MSR_PR
    cpu.addressing.sync()
    assert 0x40000 not in cpu.addressing.page_cache[Access.WRITE]
    assert translate(0x4000_0010, Access.WRITE) == 0x0030_0010


def test_a_large_entry_rewritten_forgets_every_page_it_covered():
    cpu = _cpu()
    for ea in range(0, 8 * MIB, 1 << PAGE_SHIFT):
        cpu.addressing.translate(ea, Access.READ)
    write(cpu.tlb, 1, 0, 0, 0x0080_0000, tsize=3)             # now 1 MiB at 0 -> 8 MiB
    assert cpu.addressing.page_cache[Access.READ] == {}
    assert cpu.addressing.translate(0x10, Access.READ) == 0x0080_0010
