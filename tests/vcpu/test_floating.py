"""Floating-point instructions: results in every rounding mode, single rounding, NaN/infinity/
zero/denormal corners, FPSCR bits, CR1, compares, conversions, loads/stores and interrupts."""
from __future__ import annotations

import signal
import struct
from pathlib import Path

import pytest

from gdbstub.vcpu import booke, fpu
from gdbstub.vcpu.stops import Fault

from .test_system import install

FX, FEX, VX, OX, UX, ZX, XX = fpu.FX, fpu.FEX, fpu.VX, fpu.OX, fpu.UX, fpu.ZX, fpu.XX
FI = fpu.FI
RZ, RP, RM = 1, 2, 3


def fprf(code):
    return code << 12


NORMAL, NEG_NORMAL, ZERO, NEG_ZERO, INF, NEG_INF, QNAN = (fprf(c) for c in (0x04, 0x08, 0x02, 0x12, 0x05, 0x09, 0x11))
INEXACT = XX | FX | FI
QNAN_BITS, SNAN_BITS = 0x7FF8000000000000, 0x7FF4000000000000
MAX = 0x7FEFFFFFFFFFFFFF


def bits(value) -> int:
    """A float (or an int that already is a bit pattern) as a double bit pattern."""
    return value if isinstance(value, int) else struct.unpack(">Q", struct.pack(">d", value))[0]


@pytest.fixture
def fp(asm):
    """``fp(text, fpscr=0, msr=MSR_FP, f1=..., ...)``: run ``text`` with the FPRs preset (floats
    or bit patterns) and return the vCPU."""
    def run(text: str, fpscr: int = 0, msr: int = booke.MSR_FP, **fprs):
        loaded = asm(text, fpscr=fpscr, msr=msr)
        for name, value in fprs.items():
            loaded.cpu.fpr[int(name[1:])] = bits(value)
        assert loaded.run_to() is None
        return loaded.cpu
    return run


# (instruction writing f4, f1, f2, f3, FPSCR in, expected f4, expected FPSCR)
ARITHMETIC = [
    ("fadd 4,1,2", 1.5, 2.25, 0, 0, 3.75, NORMAL),
    ("fadd 4,1,2", 0.1, 0.2, 0, 0, 0.30000000000000004, NORMAL | INEXACT),
    ("fadd 4,1,2", 1.0, 2.0 ** -60, 0, RP, 1.0 + 2.0 ** -52, NORMAL | INEXACT | RP),
    ("fadd 4,1,2", -1.0, -(2.0 ** -60), 0, RM, -1.0 - 2.0 ** -52, NEG_NORMAL | INEXACT | RM),
    ("fadd 4,1,2", -1.0, -(2.0 ** -60), 0, RZ, -1.0, NEG_NORMAL | INEXACT | RZ),
    ("fsub 4,1,2", 1.0, 1.0, 0, 0, 0.0, ZERO),
    ("fsub 4,1,2", 1.0, 1.0, 0, RM, -0.0, NEG_ZERO | RM),          # exact zero: -0 only toward -inf
    ("fadd 4,1,2", -0.0, -0.0, 0, 0, -0.0, NEG_ZERO),
    ("fsub 4,1,2", 0.0, 0.0, 0, 0, 0.0, ZERO),
    ("fmul 4,1,3", 1e308, 0, 10.0, 0, float("inf"), INF | OX | INEXACT),
    ("fmul 4,1,3", 1e308, 0, 10.0, RZ, MAX, NORMAL | OX | INEXACT | RZ),
    ("fmul 4,1,3", -1e308, 0, 10.0, RP, MAX | fpu.SIGN, NEG_NORMAL | OX | INEXACT | RP),
    ("fmul 4,1,3", 2.0 ** -1000, 0, 2.0 ** -60, 0, 2.0 ** -1060, fprf(0x14)),     # exact denormal
    ("fmul 4,1,3", 2.0 ** -1074, 0, 0.5, 0, 0.0, ZERO | UX | INEXACT),             # tie to even: 0
    ("fmul 4,1,3", 2.0 ** -1074, 0, 0.75, RP, 2.0 ** -1074, fprf(0x14) | UX | INEXACT | RP),
    ("fdiv 4,1,2", 1.0, 3.0, 0, 0, 0x3FD5555555555555, NORMAL | INEXACT),
    ("fdiv 4,1,2", 1.0, 3.0, 0, RP, 0x3FD5555555555556, NORMAL | INEXACT | RP),
    ("fdiv 4,1,2", -1.0, 3.0, 0, RP, 0xBFD5555555555555, NEG_NORMAL | INEXACT | RP),
    ("fdiv 4,1,2", -1.0, 3.0, 0, RM, 0xBFD5555555555556, NEG_NORMAL | INEXACT | RM),
    ("fdiv 4,1,2", 2.0, 3.0, 0, 0, 0x3FE5555555555555, NORMAL | INEXACT),   # rounds down
    ("fdiv 4,1,2", 5.0, 3.0, 0, 0, 0x3FFAAAAAAAAAAAAB, NORMAL | INEXACT),   # rounds up
    ("fdiv 4,1,2", -1.0, 0.0, 0, 0, float("-inf"), NEG_INF | ZX | FX),
    # single precision: one rounding to 24 bits
    ("fadds 4,1,2", 1.0, 2.0 ** -24, 0, 0, 1.0, NORMAL | INEXACT),          # a tie: to even
    ("fadds 4,1,2", 1.0, 2.0 ** -24 + 2.0 ** -60, 0, 0, 1.0 + 2.0 ** -23, NORMAL | INEXACT),
    ("fadds 4,1,2", 1.0, 2.0 ** -30, 0, RP, 1.0 + 2.0 ** -23, NORMAL | INEXACT | RP),
    ("fmuls 4,1,3", 2.0 ** -126, 0, 0.5, 0, 2.0 ** -127, NORMAL),           # exact single denormal
    ("fmuls 4,1,3", 2.0 ** -149, 0, 0.5, 0, 0.0, ZERO | UX | INEXACT),
    ("fmuls 4,1,3", 2.0 ** -126, 0, 1 - 2.0 ** -30, 0, 2.0 ** -126, NORMAL | UX | INEXACT),  # tiny before rounding
    ("fmuls 4,1,3", 2.0 ** 127, 0, 2.0, 0, float("inf"), INF | OX | INEXACT),
    ("fmuls 4,1,3", 2.0 ** 127, 0, 2.0, RZ, 0x47EFFFFFE0000000, NORMAL | OX | INEXACT | RZ),
    ("fdivs 4,1,2", 1.0, 3.0, 0, 0, 0x3FD5555560000000, NORMAL | INEXACT),
    ("fsubs 4,1,2", 1e300, 1e300, 0, 0, 0.0, ZERO),
    # fused: a*c + b with one rounding, negation before rounding
    ("fmadd 4,1,3,2", 1 + 2.0 ** -52, -1.0, 1 - 2.0 ** -52, 0, -(2.0 ** -104), NEG_NORMAL),
    ("fmsub 4,1,3,2", 1 + 2.0 ** -52, 1.0, 1 - 2.0 ** -52, 0, -(2.0 ** -104), NEG_NORMAL),
    ("fnmadd 4,1,3,2", 1.0, 2.0 ** -60, 1.0, RP, -1.0, NEG_NORMAL | INEXACT | RP),
    ("fnmadd 4,1,3,2", 1.0, 2.0 ** -60, 1.0, RM, -1.0 - 2.0 ** -52, NEG_NORMAL | INEXACT | RM),
    ("fnmsub 4,1,3,2", 2.0, 1.0, 3.0, 0, -5.0, NEG_NORMAL),
    ("fnmsub 4,1,3,2", 2.0, 6.0, 3.0, 0, -0.0, NEG_ZERO),             # -(+0)
    ("fmadds 4,1,3,2", 1.0, 2.0 ** -24, 1.0, 0, 1.0, NORMAL | INEXACT),
    # invalid operations: the default QNaN, VX and FPRF "quiet NaN"
    ("fadd 4,1,2", float("inf"), float("-inf"), 0, 0, QNAN_BITS, QNAN | fpu.VXISI | VX | FX),
    ("fsub 4,1,2", float("inf"), float("inf"), 0, 0, QNAN_BITS, QNAN | fpu.VXISI | VX | FX),
    ("fmul 4,1,3", 0.0, 0, float("-inf"), 0, QNAN_BITS, QNAN | fpu.VXIMZ | VX | FX),
    ("fdiv 4,1,2", 0.0, -0.0, 0, 0, QNAN_BITS, QNAN | fpu.VXZDZ | VX | FX),
    ("fdiv 4,1,2", float("inf"), float("inf"), 0, 0, QNAN_BITS, QNAN | fpu.VXIDI | VX | FX),
    ("fmadd 4,1,3,2", float("inf"), float("-inf"), 2.0, 0, QNAN_BITS, QNAN | fpu.VXISI | VX | FX),
    ("fmadd 4,1,3,2", float("inf"), QNAN_BITS | 5, 0.0, 0, QNAN_BITS | 5, QNAN | fpu.VXIMZ | VX | FX),
    ("fadd 4,1,2", float("inf"), 1.0, 0, 0, float("inf"), INF),
    ("fdiv 4,1,2", 1.0, float("-inf"), 0, 0, -0.0, NEG_ZERO),
    # NaN operands: frA, then frB, then frC, quieted; a signalling one sets VXSNAN
    ("fadd 4,1,2", QNAN_BITS | 1, QNAN_BITS | 2, 0, 0, QNAN_BITS | 1, QNAN),
    ("fadd 4,1,2", 1.0, SNAN_BITS | 2, 0, 0, QNAN_BITS | SNAN_BITS | 2, QNAN | fpu.VXSNAN | VX | FX),
    ("fsub 4,1,2", 1.0, QNAN_BITS | fpu.SIGN, 0, 0, QNAN_BITS | fpu.SIGN, QNAN),  # not negated
    ("fmul 4,1,3", QNAN_BITS | 3, 0, SNAN_BITS, 0, QNAN_BITS | 3, QNAN | fpu.VXSNAN | VX | FX),
    ("fmadd 4,1,3,2", 1.0, QNAN_BITS | 2, QNAN_BITS | 3, 0, QNAN_BITS | 2, QNAN),
    ("fnmadd 4,1,3,2", 1.0, 1.0, QNAN_BITS | 3 | fpu.SIGN, 0, QNAN_BITS | 3 | fpu.SIGN, QNAN),
    ("fadds 4,1,2", QNAN_BITS | 0x123456789, 1.0, 0, 0, QNAN_BITS | 0x120000000, QNAN),  # single payload
    # frsp: single rounding of a double
    ("frsp 4,2", 0, 0.1, 0, 0, 0x3FB99999A0000000, NORMAL | INEXACT),
    ("frsp 4,2", 0, 0.1, 0, RZ, 0x3FB9999980000000, NORMAL | INEXACT | RZ),
    ("frsp 4,2", 0, 1e300, 0, 0, float("inf"), INF | OX | INEXACT),
    ("frsp 4,2", 0, 1e-50, 0, 0, 0.0, ZERO | UX | INEXACT),
    ("frsp 4,2", 0, 1e-50, 0, RP, 2.0 ** -149, NORMAL | UX | INEXACT | RP),
    ("frsp 4,2", 0, SNAN_BITS | 1 << 40, 0, 0, 0x7FFC010000000000, QNAN | fpu.VXSNAN | VX | FX),
    ("frsp 4,2", 0, -0.0, 0, 0, -0.0, NEG_ZERO),
    ("frsp 4,2", 0, 2.0 ** 200, 0, fpu.OE, 2.0 ** 8, NORMAL | OX | FX | FEX | fpu.OE),
    ("frsp 4,2", 0, 2.0 ** 787, 0, fpu.OE, 2.0 ** 83, NORMAL | OX | FX | FEX | fpu.OE),  # QEMU's wrap
    ("frsp 4,2", 0, 2.0 ** -140, 0, fpu.UE, 2.0 ** 52, NORMAL | UX | FX | FEX | fpu.UE),
    ("fmuls 4,1,3", 2.0 ** -1000, 0, 2.0 ** -1000, fpu.UE, 2.0 ** 240,                   # QEMU's wrap:
     NORMAL | UX | FX | FEX | fpu.UE),                                                 # 2**-1808
    ("fmuls 4,1,3", 2.0 ** 1000, 0, 2.0 ** 1000, fpu.OE, 2.0 ** -240, NORMAL | OX | FX | FEX | fpu.OE),
    # estimates and select
    ("fres 4,2", 0, 3.0, 0, 0, 0x3FD5555560000000, NORMAL | INEXACT),
    ("fres 4,2", 0, -0.0, 0, 0, -0.5, NEG_NORMAL | ZX | FX),          # QEMU's value for 1/-0
    ("frsqrte 4,2", 0, 4.0, 0, 0, 0.5, NORMAL),
    ("frsqrte 4,2", 0, -4.0, 0, 0, QNAN_BITS, QNAN | fpu.VXSQRT | VX | FX),
    ("frsqrte 4,2", 0, 0.0, 0, 0, float("inf"), INF | ZX | FX),
    ("fsel 4,1,3,2", -0.0, 1.0, 2.0, 0, 2.0, 0),                     # frA >= 0: frC
    ("fsel 4,1,3,2", -1.0, 1.0, 2.0, 0, 1.0, 0),
    ("fsel 4,1,3,2", QNAN_BITS, 1.0, 2.0, 0, 1.0, 0),
    # moves never touch the FPSCR, NaNs included
    ("fmr 4,2", 0, SNAN_BITS, 0, 0, SNAN_BITS, 0),
    ("fneg 4,2", 0, QNAN_BITS, 0, 0, QNAN_BITS | fpu.SIGN, 0),
    ("fabs 4,2", 0, -2.0, 0, 0, 2.0, 0),
    ("fnabs 4,2", 0, 2.0, 0, 0, -2.0, 0),
]


@pytest.mark.parametrize("text, f1, f2, f3, fpscr, f4, fpscr_after", ARITHMETIC)
def test_arithmetic_results_and_fpscr(fp, text, f1, f2, f3, fpscr, f4, fpscr_after):
    cpu = fp(text, fpscr=fpscr, f1=f1, f2=f2, f3=f3, f4=0x1234)
    assert (hex(cpu.fpr[4]), hex(cpu.fpscr)) == (hex(bits(f4)), hex(fpscr_after))


def test_status_bits_are_sticky_but_fi_and_fprf_follow_the_last_result(fp):
    cpu = fp("fadd 4,1,2\n fadd 5,3,3", f1=0.1, f2=0.2, f3=1.0)
    assert cpu.fpscr == XX | FX | NORMAL


# (instruction, f2, FPSCR in, expected f4, expected FPSCR)
CONVERSIONS = [
    ("fctiw 4,2", 2.5, 0, 2, INEXACT),                               # ties to even
    ("fctiw 4,2", 3.5, 0, 4, INEXACT),
    ("fctiw 4,2", -2.5, 0, 0xFFFFFFFFFFFFFFFE, INEXACT),            # sign-extended, as QEMU
    ("fctiw 4,2", 1.1, RP, 2, INEXACT | RP),
    ("fctiw 4,2", -1.1, RM, 0xFFFFFFFFFFFFFFFE, INEXACT | RM),
    ("fctiw 4,2", -1.9, RZ, 0xFFFFFFFFFFFFFFFF, INEXACT | RZ),
    ("fctiwz 4,2", -2.7, 0, 0xFFFFFFFFFFFFFFFE, INEXACT),
    ("fctiwz 4,2", 7.0, RP, 7, RP),
    ("fctiw 4,2", -0.0, 0, 0, 0),
    ("fctiw 4,2", 2147483647.4, 0, 0x7FFFFFFF, INEXACT),
    ("fctiw 4,2", 2147483647.5, 0, 0x7FFFFFFF, QNAN | fpu.VXCVI | VX | FX),   # rounds out of range
    ("fctiwz 4,2", 2147483647.5, 0, 0x7FFFFFFF, INEXACT),
    ("fctiw 4,2", 3e9, 0, 0x7FFFFFFF, QNAN | fpu.VXCVI | VX | FX),
    ("fctiw 4,2", -3e9, 0, 0xFFFFFFFF80000000, QNAN | fpu.VXCVI | VX | FX),
    ("fctiw 4,2", float("-inf"), 0, 0xFFFFFFFF80000000, QNAN | fpu.VXCVI | VX | FX),
    ("fctiw 4,2", QNAN_BITS, 0, 0x80000000, QNAN | fpu.VXCVI | VX | FX),
    ("fctiwz 4,2", SNAN_BITS, 0, 0x80000000, QNAN | fpu.VXCVI | fpu.VXSNAN | VX | FX),
]


@pytest.mark.parametrize("text, f2, fpscr, f4, fpscr_after", CONVERSIONS)
def test_conversion_to_integer(fp, text, f2, fpscr, f4, fpscr_after):
    cpu = fp(text, fpscr=fpscr, f2=f2)
    assert (hex(cpu.fpr[4]), hex(cpu.fpscr)) == (hex(f4), hex(fpscr_after))


def test_conversion_leaves_fprf_alone(fp):
    assert fp("fctiw 4,2", fpscr=NEG_NORMAL, f2=3.0).fpscr == NEG_NORMAL


LT, GT, EQ, UN = 8, 4, 2, 1


@pytest.mark.parametrize("text, f1, f2, code, fpscr_after", [
    ("fcmpu 3,1,2", 1.0, 2.0, LT, 0),
    ("fcmpu 3,1,2", 2.0, -2.0, GT, 0),
    ("fcmpu 3,1,2", -0.0, 0.0, EQ, 0),
    ("fcmpu 3,1,2", float("inf"), float("inf"), EQ, 0),
    ("fcmpu 3,1,2", 2.0 ** -1074, 0.0, GT, 0),
    ("fcmpu 3,1,2", QNAN_BITS, 1.0, UN, 0),
    ("fcmpu 3,1,2", 1.0, SNAN_BITS, UN, fpu.VXSNAN | VX | FX),
    ("fcmpo 3,1,2", 1.0, 2.0, LT, 0),
    ("fcmpo 3,1,2", QNAN_BITS, 1.0, UN, fpu.FPRF_C | fpu.VXVC | VX | FX),
    ("fcmpo 3,1,2", SNAN_BITS, 1.0, UN, fpu.FPRF_C | fpu.VXVC | fpu.VXSNAN | VX | FX),
])
def test_compares_set_the_cr_field_and_fpcc(fp, text, f1, f2, code, fpscr_after):
    cpu = fp("li 9, -1\n mtcrf 0xff, 9\n" + text, fpscr=FI, f1=f1, f2=f2)
    assert cpu.cr == 0xFFF0FFFF | code << 16
    assert hex(cpu.fpscr) == hex(fpscr_after | code << 12), "FI cleared, FPCC = the CR field"


@pytest.mark.parametrize("text, f1, f2, fpscr, cr1", [
    ("fadd. 4,1,2", 1.0, 2.0, 0, 0),
    ("fadd. 4,1,2", 0.1, 0.2, 0, 0x8),                               # FX
    ("fdiv. 4,1,2", 0.0, 0.0, 0, 0xA),                               # FX, VX
    ("fmul. 4,1,2", 1e300, 1e300, 0, 0x9),                           # FX, OX
    ("fmul. 4,1,2", 1e300, 1e300, XX | FX | fpu.XE, 0xD),            # FX, FEX, OX
    ("fmr. 4,1", 1.0, 0, OX | FX, 0x9),                              # moves record the FPSCR too
    ("fsel. 4,1,1,2", 1.0, 0, FX, 0x8),
    ("fctiw. 4,1", 1e10, 0, 0, 0xA),
    ("frsp. 4,1", 1.0, 0, 0, 0),
    ("fmadds. 4,1,1,2", 1e30, 1.0, 0, 0x9),
])
def test_record_forms_copy_fx_fex_vx_ox_into_cr1(fp, text, f1, f2, fpscr, cr1):
    cpu = fp("li 9, -1\n mtcrf 0xff, 9\n" + text, fpscr=fpscr, f1=f1, f2=f2)
    assert cpu.cr == 0xF0FFFFFF | cr1 << 24


def test_mffs_mtfsf_mtfsfi_mtfsb(fp):
    cpu = fp("""
        mffs    5                  # frT = FPSCR, zero-extended
        mtfsf   0x81, 1            # fields 0 and 7 from f1's low word; FEX and VX not taken
        mffs    6
        mtfsfi  1, 0x4             # ZX
        mtfsfi  6, 0x1             # ZE: FEX (no interrupt with MSR[FE0|FE1]=0)
        mffs    7
        mtfsb0  5                  # ZX off: FEX recomputed
        mtfsb0  31                 # RN 3 -> 2
        mffs    8
        mtfsb1  1                  # FEX and VX cannot be set directly
        mtfsb1  2
        mffs    9
        mtfsb1  29                 # NI: ignored, as in QEMU
        mtfsb1  7                  # VXSNAN: VX follows
        mffs.   10
    """, fpscr=0x2001, f1=0xFFFFFFFF_F0000003)
    assert [hex(value) for value in cpu.fpr[5:11]] == [
        "0x2001", "0x90002003", "0xd4002013", "0x90002012", "0x90002012", "0xb1002012"]
    assert cpu.cr >> 24 & 0xF == 0xB


def test_mtfsf_with_l_writes_every_field(fp):
    cpu = fp(".long 0xfe00058e   # mtfsf 0,0 with L=1", fpscr=0xFFFF, f0=0x1234_80000F00)
    assert hex(cpu.fpscr) == hex(0x80000700 | VX), "VX summarises VXSQRT/VXCVI; reserved 0x800 reads 0"


def test_mcrfs_copies_a_field_and_clears_its_exception_bits(fp):
    cpu = fp("mcrfs 2, 0\n mcrfs 3, 1\n mcrfs 4, 7\n mcrfs 5, 5",
             fpscr=FX | OX | ZX | XX | fpu.VXSNAN | fpu.VXIMZ | VX | FI | 3)
    assert hex(cpu.cr) == hex(0x00B73000)
    assert hex(cpu.fpscr) == hex(fpu.VXIMZ | VX | FI | 3), "VX stays while VXIMZ (field 3) does"


# --- loads and stores -----------------------------------------------------------------------------

DATA = 0x200000


@pytest.fixture
def fp_data(asm):
    """``fp_data(text, data, **fprs)``: run ``text`` with r3 = DATA holding ``data``; the vCPU."""
    def run(text: str, data: bytes = b"", **fprs):
        loaded = asm("lis 3, 0x20\n" + text, msr=booke.MSR_FP)
        loaded.cpu.write_memory(DATA, data.ljust(64, b"\0"))
        for name, value in fprs.items():
            loaded.cpu.fpr[int(name[1:])] = bits(value)
        assert loaded.run_to() is None
        return loaded.cpu
    return run


@pytest.mark.parametrize("text, word, f4", [
    ("lfs 4, 4(3)", 0x3DCCCCCD, 0x3FB99999A0000000),
    ("lfs 4, 4(3)", 0x00000001, bits(2.0 ** -149)),                 # denormal single, normal double
    ("lfs 4, 4(3)", 0x80400000, bits(-(2.0 ** -127))),
    ("lfs 4, 4(3)", 0x7FA00001, 0x7FF4000020000000),                # signalling NaN kept as is
    ("lfs 4, 4(3)", 0xFF800000, bits(float("-inf"))),
    ("lfs 4, 4(3)", 0x80000000, bits(-0.0)),
    ("li 5, 4\n lfsx 4, 3, 5", 0x40490FDB, 0x400921FB60000000),
])
def test_single_loads_widen_exactly(fp_data, text, word, f4):
    cpu = fp_data(text, bytes(4) + word.to_bytes(4, "big"))
    assert hex(cpu.fpr[4]) == hex(f4)
    assert cpu.fpscr == 0


@pytest.mark.parametrize("f1, word", [
    (0.1, 0x3DCCCCCC),                     # truncated, not rounded
    (2.0 ** -149, 0x00000001),
    (-(2.0 ** -127), 0x80400000),
    (1e-50, 0x00000000),                   # too small: zero
    (0x7FF4000020000000, 0x7FA00001),      # signalling NaN stays signalling
    (float("inf"), 0x7F800000),
])
def test_single_stores_narrow_without_rounding(fp_data, f1, word):
    cpu = fp_data("stfs 1, 8(3)", f1=f1)
    assert cpu.read_memory(DATA + 8, 4) == word.to_bytes(4, "big")


def test_update_and_indexed_forms(fp_data):
    data = struct.pack(">dd", 1.5, -2.5) + struct.pack(">f", 0.25)
    cpu = fp_data("""
        mr      10, 3
        lfdu    1, 8(10)           # r10 = DATA + 8
        li      11, 8
        lfsux   2, 10, 11          # r10 = DATA + 16
        lfdx    3, 3, 11
        lfd     4, 0(3)
        li      12, 24
        stfdux  1, 3, 12           # r3 = DATA + 24
        stfsu   2, 8(3)            # r3 = DATA + 32
        stfsx   4, 3, 11           # DATA + 40
        stfdu   4, 8(3)            # r3 = DATA + 40, overwriting
        stfiwx  5, 0, 3
        stfd    3, 16(3)
    """, data, f5=0x123456789ABCDEF0)
    assert cpu.gpr[10] == DATA + 16 and cpu.gpr[3] == DATA + 40
    assert cpu.fpr[1:5] == [bits(-2.5), bits(0.25), bits(-2.5), bits(1.5)]
    assert cpu.read_memory(DATA + 24, 8) == struct.pack(">d", -2.5)
    assert cpu.read_memory(DATA + 32, 4) == struct.pack(">f", 0.25)
    assert cpu.read_memory(DATA + 40, 8) == bytes.fromhex("9abcdef0") + struct.pack(">d", 1.5)[4:]
    assert cpu.read_memory(DATA + 56, 8) == struct.pack(">d", -2.5)


LFDU_RA0 = ".long 0xcc200008  # lfdu 1, 8(0)"


@pytest.mark.parametrize("word", [LFDU_RA0, ".long 0xd4200008  # stfsu 1, 8(0)",
                                  ".long 0x7c201c6e  # lfsux 1, 0, 3", ".long 0x7c201dee  # stfdux 1, 0, 3"])
def test_update_forms_with_ra_zero_are_illegal(asm, word):
    exit = asm(word, msr=booke.MSR_FP).run_to()
    assert isinstance(exit, Fault) and "illegal instruction" in exit.reason


@pytest.mark.parametrize("text", ["fsqrt 4,2", "fsqrts 4,2", ".long 0xfc8110ea  # fadd 4,1,2 with frC=3"])
def test_instructions_e500mc_lacks_and_invalid_forms_are_illegal(asm, text):
    exit = asm(text, msr=booke.MSR_FP).run_to()
    assert isinstance(exit, Fault) and "illegal instruction" in exit.reason


# --- interrupts ----------------------------------------------------------------------------------

HANDLER = """
        li      4, 1               # not reached
        .align  4
    handler:
        mfsrr0  20
        mfsrr1  21
        mfspr   22, 62
        b       done
"""


@pytest.mark.parametrize("text", [
    "lfd 1, 0(1)", "stfs 1, 0(1)", "stfiwx 1, 0, 1", "fadd 1,1,1", "fmadds 1,1,1,1", "fmr 1,1",
    "fcmpu 0,1,1", "fctiwz 1,1", "mffs 1", "mtfsf 0xff, 1", "mtfsfi 7, 1", "mtfsb0 31", "mcrfs 0, 0",
    "fsel 1,1,1,1", "fres 1,1", LFDU_RA0])
def test_fp_instructions_need_msr_fp(asm, text):
    loaded = asm(install(booke.IVOR_FP_UNAVAILABLE, "handler") + f"insn: {text}\n" + HANDLER, fpscr=7)
    assert loaded.run_to() is None
    cpu = loaded.cpu
    assert (cpu.gpr[4], cpu.gpr[20], cpu.fpscr) == (0, loaded.symbols["insn"], 7)
    assert not cpu.gpr[21] & booke.MSR_FP


def test_unhandled_fp_unavailable_is_a_fault(asm):
    loaded = asm("fadd 1,1,1")
    exit = loaded.run_to()
    assert exit == Fault(signal.SIGILL, loaded.symbols["_start"], "unhandled floating-point unavailable interrupt")


FE = booke.MSR_FE0 | booke.MSR_FE1
ENABLED_FPRS = {0: 0.0, 1: float("inf"), 2: float("-inf"), 3: 1.0, 4: 7.0, 5: QNAN_BITS, 6: 3.0,
                7: 2.0 ** -1000, 8: 2.0 ** 1023}


@pytest.mark.parametrize("text, fpscr, f4, fpscr_after", [
    # invalid operation / zero divide: the interrupt comes before the target is written
    ("fadd 4,1,2", fpu.VE, 7.0, fpu.VE | fpu.VXISI | VX | FX | FEX),
    ("fdiv 4,3,0", fpu.ZE, 7.0, fpu.ZE | ZX | FX | FEX),
    ("fctiw 4,1", fpu.VE | FI, 7.0, fpu.VE | fpu.VXCVI | VX | FX | FEX),
    ("fcmpo 0,1,5", fpu.VE | FI, 7.0, fpu.VE | fpu.FPRF_C | fprf(UN) | fpu.VXVC | VX | FX | FEX),
    ("fcmpu 0,1,5", fpu.VE | FI, 7.0, fpu.VE | FI | fprf(UN) | fpu.VXSNAN | VX | FX | FEX),
    # overflow / underflow / inexact: after the target (and FPRF) were written
    ("fdiv 4,3,6", fpu.XE, 0x3FD5555555555555, fpu.XE | NORMAL | INEXACT | FEX),
    ("fmul 4,8,8", fpu.OE, 2.0 ** 510, fpu.OE | NORMAL | OX | FX | FEX),       # exponent adjusted
    ("fmul 4,7,7", fpu.UE, 2.0 ** -464, fpu.UE | NORMAL | UX | FX | FEX),      # exact, still UX
    ("fmuls 4,7,3", fpu.UE, 2.0 ** -808, fpu.UE | NORMAL | UX | FX | FEX),
    # an FPSCR move enabling a pending exception
    ("mtfsfi 6, 1", ZX | FX, 7.0, ZX | FX | FEX | fpu.ZE),
    ("mtfsb1 28", XX | FX, 7.0, XX | FX | FEX | fpu.XE),
])
def test_enabled_exceptions_enter_program_with_esr_fp(asm, text, fpscr, f4, fpscr_after):
    loaded = asm(install(booke.IVOR_PROGRAM, "handler") + f"""
        li      9, {booke.MSR_FP | FE}
        mtmsr   9
    insn:
        {text}
    """ + HANDLER, fpscr=fpscr)
    for n, value in ENABLED_FPRS.items():
        loaded.cpu.fpr[n] = bits(value)
    if text.startswith("fcmpu"):
        loaded.cpu.fpr[5] = SNAN_BITS
    assert loaded.run_to() is None
    cpu = loaded.cpu
    assert (cpu.gpr[4], cpu.gpr[20], cpu.gpr[22]) == (0, loaded.symbols["insn"], booke.ESR_FP)
    assert (hex(cpu.fpr[4]), hex(cpu.fpscr)) == (hex(bits(f4)), hex(fpscr_after))


def test_enabled_exception_without_msr_fe_only_sets_fex(fp):
    cpu = fp("fadd 4,1,2", fpscr=fpu.VE, f1=float("inf"), f2=float("-inf"))
    assert cpu.fpr[4] == QNAN_BITS
    assert hex(cpu.fpscr) == hex(fpu.VE | fpu.VXISI | VX | FX | FEX | QNAN)


def test_unhandled_enabled_exception_is_sigfpe(asm):
    loaded = asm(f"li 9, {booke.MSR_FP | FE}\n mtmsr 9\n bad: fdiv 4,1,2", fpscr=fpu.ZE)
    loaded.cpu.fpr[1] = bits(1.0)
    exit = loaded.run_to()
    assert exit == Fault(signal.SIGFPE, loaded.symbols["bad"],
                         "unhandled program interrupt (floating-point enabled exception)")


# --- a C guest ------------------------------------------------------------------------------------

GUEST = Path(__file__).resolve().parent / "guests" / "fpmath.c"


def f32(value: float) -> float:
    """``value`` rounded to single precision (to nearest, as the guest's default mode)."""
    return struct.unpack(">f", struct.pack(">f", value))[0]


def _fpmath_expected():
    """What guests/fpmath.c stores in dout (double bits), fout (float bits) and iout."""
    din = [2.0, 10.0, 0.1, 12345.678, 1e-300, 7e300, -3.75, 2147483000.5]
    fin = [f32(value) for value in (3.0, 0.1, -7.5, 1e-30, 16777217.0, 2.5)]
    iin = [0, 1, -1, 2147483647, -2147483648, 1000003, -77]
    dout, fout, iout = [], [], []
    for i, x in enumerate(din):
        guess = x if x > 1.0 else 1.0
        if x > 0:
            for _ in range(30):
                guess = 0.5 * (guess + x / guess)
            dout.append(guess)
        dout.append(x / 3.0 - x * 0.3)
        if -2147483648.0 < x < 2147483648.0:
            iout.append(int(x))
        if -3e38 < x < 3e38:
            fout.append(f32(x))
        y = din[(i + 1) % len(din)]
        iout.append((x < y) | (x == y) << 1 | (x > y) << 2 | (x <= y) << 3)
    float_sum = double_sum = 0.0
    for n in range(1, 201):
        float_sum = f32(float_sum + f32(1.0 / n))
        double_sum += 1.0 / n
    fout.append(float_sum)
    dout.append(double_sum)
    for i, a in enumerate(fin):
        b = fin[(i + 1) % len(fin)]
        fout += [f32(a * b), f32(a / b), f32(a - b)]
        dout.append(a + b)
    for value in iin:
        dout.append(value / 7.0)
        fout.append(f32(float(value)))
    iout.append(8)                                      # only nan != nan holds
    dout += [-0.0, float("-inf")]
    return ([bits(value) for value in dout], [struct.unpack(">I", struct.pack(">f", value))[0] for value in fout],
            [value & 0xFFFFFFFF for value in iout])


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_c_guest_float_and_double_results(c_guest, opt):
    exit, loaded = c_guest(GUEST.read_text(), opt)
    dout, fout, iout = _fpmath_expected()
    assert exit.status == (len(dout) + len(fout) + len(iout)) & 0xFF
    got_d = [loaded.word("dout", 2 * n) << 32 | loaded.word("dout", 2 * n + 1) for n in range(len(dout))]
    assert [hex(value) for value in got_d] == [hex(value) for value in dout]
    assert [hex(loaded.word("fout", n)) for n in range(len(fout))] == [hex(value) for value in fout]
    assert [loaded.word("iout", n) for n in range(len(iout))] == iout
