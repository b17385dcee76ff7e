"""Branches: BO forms with CTR decrement, links, absolute targets, LR and CTR targets."""
from __future__ import annotations

import signal

import pytest

from gdbstub.vcpu.stops import Fault

EQ_SET = 0x20000000   # CR bit 2, the BI used below


@pytest.mark.parametrize("bo, bit_set, ctr, taken, ctr_after", [
    (12, True, 5, True, 5), (12, False, 5, False, 5),         # branch if true
    (4, False, 5, True, 5), (4, True, 5, False, 5),           # branch if false
    (16, False, 2, True, 1), (16, True, 1, False, 0),         # bdnz
    (16, False, 0, True, 0xFFFFFFFF),                         # CTR wraps
    (18, False, 1, True, 0), (18, False, 2, False, 1),        # bdz
    (8, True, 2, True, 1), (8, False, 2, False, 1), (8, True, 1, False, 0),   # bdnzt
    (0, False, 2, True, 1), (0, True, 2, False, 1),           # bdnzf
    (10, True, 1, True, 0), (2, False, 1, True, 0), (2, False, 2, False, 1),  # bdzt, bdzf
    (20, False, 0, True, 0),                                  # always, CTR untouched
])
def test_bc_bo_forms(execute, bo, bit_set, ctr, taken, ctr_after):
    cpu = execute(f"""
        bc      {bo}, 2, 1f
        li      5, 0
        b       done
    1:  li      5, 1
    """, ctr=ctr, cr=EQ_SET if bit_set else 0)
    assert cpu.gpr[5] == int(taken)
    assert cpu.ctr == ctr_after


def test_bdnz_loop_counts_down(execute):
    cpu = execute("li 3, 5\n mtctr 3\n li 4, 0\n1: addi 4, 4, 1\n bdnz 1b")
    assert cpu.gpr[4] == 5 and cpu.ctr == 0


def test_links_and_register_targets(asm):
    loaded = asm("""
        bl      sub                 # LR = return address
        ba      absolute
        li      20, 99              # skipped
    absolute:
        lis     9, via_ctr@ha
        addi    9, 9, via_ctr@l
        mtctr   9
        bctrl                       # LR = next, jump to CTR
    after_bctrl:
        lis     9, via_lr@ha
        addi    9, 9, via_lr@l
        mtlr    9
        blrl                        # target is the old LR, then LR = next
    after_blrl:
        b       done
    sub:
        mflr    21
        blr
    via_ctr:
        mflr    22
        blr
    via_lr:
        mflr    23
        li      24, 0
        cmpwi   24, 1
        beqlr                       # not taken: falls through
        li      25, 1
        bnelr                       # taken
    """)
    assert loaded.run_to() is None
    cpu, sym = loaded.cpu, loaded.symbols
    assert cpu.gpr[20] == 0
    assert cpu.gpr[21] == sym["_start"] + 4
    assert cpu.gpr[22] == sym["after_bctrl"]
    assert cpu.gpr[23] == sym["after_blrl"]
    assert cpu.gpr[25] == 1


def test_bdzlr_decrements_ctr(execute):
    cpu = execute("""
        bl      1f
        b       done
    1:  li      3, 3
        mtctr   3
    2:  bdzlr
        addi    4, 4, 1
        b       2b
    """, r4=0)
    assert cpu.gpr[4] == 2 and cpu.ctr == 0


def test_bcctr_with_ctr_decrement_is_illegal(asm):
    exit = asm(".long 0x4e000420   # bcctr 16, 0").run_to()
    assert isinstance(exit, Fault) and exit.signal == signal.SIGILL
