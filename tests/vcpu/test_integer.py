"""Integer instructions: results, CR0, XER[SO/OV/CA] at corner values."""
from __future__ import annotations

import pytest

SO, OV, CA = 0x80000000, 0x40000000, 0x20000000
LT, GT, EQ, CR_SO = 0x8, 0x4, 0x2, 0x1
MAX, MIN, ALL = 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF


def cr0(cpu):
    return cpu.cr >> 28


# (instruction with r5 <- f(r3, r4), r3, r4, xer in, expected r5, expected xer, expected CR0 or None)
ARITHMETIC = [
    ("add 5,3,4", 1, 2, 0, 3, 0, None),
    ("add. 5,3,4", MAX, 1, 0, MIN, 0, LT),
    ("addo. 5,3,4", MAX, 1, 0, MIN, SO | OV, LT | CR_SO),
    ("addo 5,3,4", MIN, ALL, 0, MAX, SO | OV, None),
    ("addo 5,3,4", 1, 1, SO | OV, 2, SO, None),           # OV cleared, SO sticky
    ("addc 5,3,4", ALL, 1, 0, 0, CA, None),
    ("addc. 5,3,4", ALL, ALL, 0, 0xFFFFFFFE, CA, LT),
    ("addco 5,3,4", MIN, MIN, 0, 0, CA | SO | OV, None),
    ("adde 5,3,4", ALL, 0, CA, 0, CA, None),
    ("adde. 5,3,4", 0, 0, CA, 1, 0, GT),
    ("addeo 5,3,4", MAX, 0, CA, MIN, SO | OV, None),
    ("addme 5,3", 0, 0, 0, ALL, 0, None),
    ("addme 5,3", 0, 0, CA, 0, CA, None),
    ("addmeo 5,3", MIN, 0, 0, MAX, CA | SO | OV, None),
    ("addze 5,3", ALL, 0, CA, 0, CA, None),
    ("addzeo. 5,3", MAX, 0, CA, MIN, SO | OV, LT | CR_SO),
    ("subf 5,3,4", 1, 3, 0, 2, 0, None),                  # rb - ra
    ("subf. 5,3,4", 3, 1, 0, 0xFFFFFFFE, 0, LT),
    ("subfo 5,3,4", 1, MIN, 0, MAX, SO | OV, None),
    ("subfc 5,3,4", 1, 3, 0, 2, CA, None),                # no borrow sets CA
    ("subfc 5,3,4", 3, 1, CA, 0xFFFFFFFE, 0, None),
    ("subfc. 5,3,4", 0, 0, 0, 0, CA, EQ),
    ("subfe 5,3,4", 1, 3, 0, 1, CA, None),                # ~ra + rb + CA
    ("subfe 5,3,4", 1, 3, CA, 2, CA, None),
    ("subfeo 5,3,4", 1, MIN, 0, 0x7FFFFFFE, CA | SO | OV, None),
    ("subfme 5,3", 0, 0, CA, ALL, CA, None),
    ("subfme 5,3", ALL, 0, 0, ALL, 0, None),
    ("subfze 5,3", 0, 0, CA, 0, CA, None),
    ("subfze 5,3", 0, 0, 0, ALL, 0, None),
    ("neg 5,3", 1, 0, 0, ALL, 0, None),
    ("nego. 5,3", MIN, 0, 0, MIN, SO | OV, LT | CR_SO),
    ("neg. 5,3", 0, 0, CA, 0, CA, EQ),                    # neg leaves CA alone
    ("mullw 5,3,4", 0x10000, 0x10000, 0, 0, 0, None),
    ("mullwo. 5,3,4", 0x10000, 0x10000, 0, 0, SO | OV, EQ | CR_SO),
    ("mullwo 5,3,4", ALL, ALL, 0, 1, 0, None),
    ("mullwo 5,3,4", MAX, 2, 0, 0xFFFFFFFE, SO | OV, None),
    ("mulhw 5,3,4", MIN, MIN, 0, 0x40000000, 0, None),
    ("mulhw. 5,3,4", ALL, 1, 0, ALL, 0, LT),
    ("mulhwu 5,3,4", ALL, ALL, 0, 0xFFFFFFFE, 0, None),
    ("mulhwu. 5,3,4", 2, 3, 0, 0, 0, EQ),
    ("divw 5,3,4", (-7) & ALL, 2, 0, (-3) & ALL, 0, None),  # truncates toward zero
    ("divwo. 5,3,4", 7, 0, 0, 7, SO | OV, GT | CR_SO),    # undefined: the dividend, as QEMU
    ("divwo 5,3,4", MIN, ALL, 0, MIN, SO | OV, None),
    ("divwo 5,3,4", 100, 7, OV, 14, 0, None),
    ("divwu 5,3,4", ALL, 2, 0, MAX, 0, None),
    ("divwuo. 5,3,4", 0, 0, 0, 0, SO | OV, EQ | CR_SO),
    ("divwu. 5,3,4", MIN, 1, 0, MIN, 0, LT),
]
IMMEDIATE = [
    ("addi 5,3,-1", 0, 0, 0, ALL, 0, None),
    ("addi 5,0,-32768", 99, 0, 0, 0xFFFF8000, 0, None),   # RA=0 means the value 0
    ("addis 5,3,0x7fff", 0x10000, 0, 0, 0x7FFF0000 + 0x10000, 0, None),
    ("addis 5,3,-1", 0, 0, 0, 0xFFFF0000, 0, None),
    ("addic 5,3,1", ALL, 0, 0, 0, CA, None),
    ("addic 5,3,-1", 0, 0, CA, ALL, 0, None),
    ("addic. 5,3,-1", 1, 0, 0, 0, CA, EQ),
    ("subfic 5,3,0", 0, 0, 0, 0, CA, None),
    ("subfic 5,3,5", 6, 0, 0, ALL, 0, None),
    ("mulli 5,3,-3", 5, 0, 0, (-15) & ALL, 0, None),
    ("mulli 5,3,2", MIN, 0, 0, 0, 0, None),
]
LOGICAL = [
    ("and. 5,3,4", 0xF0F0, 0x0FF0, 0, 0x00F0, 0, GT),
    ("andc 5,3,4", ALL, 0x0F, 0, 0xFFFFFFF0, 0, None),
    ("or. 5,3,4", MIN, 1, SO, MIN | 1, SO, LT | CR_SO),
    ("orc 5,3,4", 0, ALL, 0, 0, 0, None),
    ("xor. 5,3,4", ALL, ALL, 0, 0, 0, EQ),
    ("nand 5,3,4", ALL, ALL, 0, 0, 0, None),
    ("nor. 5,3,4", 0, 0, 0, ALL, 0, LT),
    ("eqv 5,3,4", 0x0F, 0xFF, 0, 0xFFFFFF0F, 0, None),
    ("ori 5,3,0xffff", MIN, 0, 0, 0x8000FFFF, 0, None),
    ("oris 5,3,0xffff", 1, 0, 0, 0xFFFF0001, 0, None),
    ("xori 5,3,0xffff", 0xFFFF, 0, 0, 0, 0, None),
    ("xoris 5,3,0x8000", MIN, 0, 0, 0, 0, None),
    ("andi. 5,3,0x8000", 0xFFFF8000, 0, 0, 0x8000, 0, GT),
    ("andis. 5,3,0x8000", 0xFFFF8000, 0, 0, MIN, 0, LT),
    ("andi. 5,3,0", ALL, 0, 0, 0, 0, EQ),
    ("extsb. 5,3", 0x80, 0, 0, 0xFFFFFF80, 0, LT),
    ("extsb 5,3", 0x1234567F, 0, 0, 0x7F, 0, None),
    ("extsh. 5,3", 0x8000, 0, 0, 0xFFFF8000, 0, LT),
    ("extsh 5,3", 0xFFFF7FFF, 0, 0, 0x7FFF, 0, None),
    ("cntlzw 5,3", 0, 0, 0, 32, 0, None),
    ("cntlzw. 5,3", 1, 0, 0, 31, 0, GT),
    ("cntlzw 5,3", MIN, 0, 0, 0, 0, None),
]
SHIFTS = [
    ("slw 5,3,4", 1, 31, 0, MIN, 0, None),
    ("slw. 5,3,4", 1, 32, 0, 0, 0, EQ),                   # shift counts 32-63 give 0
    ("slw 5,3,4", 1, 63, 0, 0, 0, None),
    ("slw 5,3,4", 1, 64, 0, 1, 0, None),                  # only the low 6 bits count
    ("srw 5,3,4", MIN, 31, 0, 1, 0, None),
    ("srw 5,3,4", ALL, 32, 0, 0, 0, None),
    ("sraw 5,3,4", MIN, 4, 0, 0xF8000000, 0, None),       # no 1 bits lost: CA clear
    ("sraw 5,3,4", 0x80000001, 1, 0, 0xC0000000, CA, None),
    ("sraw. 5,3,4", 0x80000001, 32, 0, ALL, CA, LT),
    ("sraw 5,3,4", MAX, 40, CA, 0, 0, None),
    ("sraw 5,3,4", (-1) & ALL, 0, CA, ALL, 0, None),
    ("srawi 5,3,31", MIN, 0, CA, ALL, 0, None),             # only zeros shifted out
    ("srawi 5,3,31", MIN | 1, 0, 0, ALL, CA, None),
    ("srawi. 5,3,0", ALL, 0, CA, ALL, 0, LT),
    ("srawi 5,3,4", 0x100, 0, 0, 0x10, 0, None),
    ("rlwinm 5,3,8,24,31", 0x12345678, 0, 0, 0x12, 0, None),
    ("rlwinm 5,3,0,28,3", 0x12345678, 0, 0, 0x10000008, 0, None),   # wrapping mask
    ("rlwinm. 5,3,1,0,31", MIN, 0, 0, 1, 0, GT),
    ("rlwnm 5,3,4,0,31", 0x80000001, 33, 0, 0x00000003, 0, None),  # rotate count mod 32
    ("rlwnm. 5,3,4,16,31", 0xABCD1234, 16, 0, 0x0000ABCD, 0, GT),
]


@pytest.mark.parametrize("text, a, b, xer, result, xer_after, cr_field",
                         ARITHMETIC + IMMEDIATE + LOGICAL + SHIFTS, ids=lambda v: str(v))
def test_result_carry_overflow_and_cr0(execute, text, a, b, xer, result, xer_after, cr_field):
    cpu = execute(text, r3=a, r4=b, xer=xer, cr=0xFFFFFFF if cr_field is None else 0)
    assert cpu.gpr[5] == result
    assert cpu.xer == xer_after
    if cr_field is None:
        assert cpu.cr == 0xFFFFFFF, "Rc=0 forms leave CR alone"
    else:
        assert cr0(cpu) == cr_field
        assert cpu.cr & 0x0FFFFFFF == 0, "only CR0 is written"


def test_rlwimi_inserts_under_the_mask(execute):
    cpu = execute("rlwimi 5,3,8,16,23", r3=0x000000AB, r5=0x11223344)
    assert cpu.gpr[5] == 0x1122AB44
    cpu = execute("rlwimi. 5,3,0,31,0", r3=0x00000001, r5=0x7FFFFFFE)    # mask wraps: bits 31 and 0
    assert cpu.gpr[5] == 0x7FFFFFFF and cr0(cpu) == GT


@pytest.mark.parametrize("text, a, b, field", [
    ("cmpw 3,4", 1, 2, LT), ("cmpw 3,4", MIN, MAX, LT), ("cmpw 3,4", 5, 5, EQ),
    ("cmplw 3,4", MIN, MAX, GT), ("cmplw 3,4", 0, ALL, LT),
    ("cmpwi 3,-1", ALL, 0, EQ), ("cmpwi 3,0", MIN, 0, LT),
    ("cmplwi 3,0xffff", 0x10000, 0, GT), ("cmplwi 3,1", 0, 0, LT),
])
def test_compares_set_the_selected_field_with_so(execute, text, a, b, field):
    cpu = execute(text.replace(" ", " 6,", 1), r3=a, r4=b, xer=SO)
    assert (cpu.cr >> 4) & 0xF == field | CR_SO
    assert cpu.cr & ~0xF0 & 0xFFFFFFFF == 0


def test_isel_picks_by_cr_bit_and_treats_ra0_as_zero(execute):
    cpu = execute("isel 5,3,4,2\n isel 6,3,4,1\n isel 7,0,4,2", r0=77, r3=10, r4=20, cr=0x20000000)
    assert (cpu.gpr[5], cpu.gpr[6], cpu.gpr[7]) == (10, 20, 0)


def test_cr_logical_mcrf_and_moves(execute):
    cpu = execute("""
        crand   0, 1, 2
        cror    4, 1, 3
        crxor   5, 1, 1
        crnor   6, 3, 3
        creqv   7, 1, 2
        crandc  8, 1, 3
        crorc   9, 3, 1
        crnand  10, 1, 2
        mcrf    3, 0
        mfcr    5
        li      6, -1
        mtcrf   0x01, 6
        mfocrf  7, 0x40
    """, cr=0x60000000)   # bits 1 and 2 set
    # bits 0-10 = 1110 1011 100, then mcrf copies CR0 (1110) into CR3
    assert cpu.gpr[5] == 0xEB8E0000
    assert cpu.cr == 0xEB8E000F, "mtcrf 0x01 writes CR7 only"
    assert cpu.gpr[7] == 0x0B000000, "mfocrf reads one field, the rest zero"


def test_mcrxr_moves_and_clears_the_xer_flags(execute):
    cpu = execute("mcrxr 2", xer=SO | CA | 0x12)
    assert (cpu.cr >> 20) & 0xF == 0b1010
    assert cpu.xer == 0x12


def test_mtxer_keeps_only_the_architected_bits(execute):
    cpu = execute("mtxer 3\n mfxer 4", r3=ALL)
    assert cpu.gpr[4] == cpu.xer == SO | OV | CA | 0x7F
