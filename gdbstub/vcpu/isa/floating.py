"""The classic floating-point unit: loads/stores, arithmetic, conversions, compares, FPSCR moves.

Every instruction first checks MSR[FP] (FP Unavailable). The arithmetic goes through
``..fpu``; the FPSCR follows QEMU's e500mc model, the differential-test oracle: an enabled
invalid-operation or zero-divide exception interrupts before the target is written, an
enabled overflow/underflow/inexact one after it (and after FPRF), both before CR1. e500mc
has fres, frsqrte and fsel but no fsqrt(s): those stay illegal, as in QEMU.
"""
from __future__ import annotations

from .. import booke, fpu
from ..interrupts import GuestInterrupt, illegal
from .bits import MASK32, ra_or_zero, set_cr_field
from .forms import A, D, X, Form
from .table import instruction

XFL_LW = Form("XFL_LW", 0x3FF, lambda w: ((w >> 25) & 1, (w >> 17) & 0xFF, (w >> 16) & 1, (w >> 11) & 31, w & 1))
"""mtfsf with its L and W bits: (l, flm, w, frb, rc)"""
MTFSFI = Form("MTFSFI", 0x3FF, lambda w: ((w >> 23) & 7, (w >> 16) & 1, (w >> 12) & 0xF, w & 1))
"""mtfsfi: (bf, w, u, rc)"""

_FE = booke.MSR_FE0 | booke.MSR_FE1


def _require_fp(cpu) -> None:
    if not cpu.msr & booke.MSR_FP:
        raise GuestInterrupt(booke.IVOR_FP_UNAVAILABLE)


def _program_fp() -> GuestInterrupt:
    return GuestInterrupt(booke.IVOR_PROGRAM, esr=booke.ESR_FP)


def _record_cr1(cpu, rc) -> None:
    if rc:
        set_cr_field(cpu, 1, cpu.fpscr >> 28)


def _signal_invalid(cpu, flags) -> None:
    """Invalid-operation / zero-divide flags; an enabled one interrupts here (MSR[FE0|FE1])."""
    if flags & (fpu.VX_ALL | fpu.ZX):
        cpu.fpscr = fpu.signal_invalid(cpu.fpscr, flags)
        if fpu.invalid_enabled(cpu.fpscr, flags) and cpu.msr & _FE:
            raise _program_fp()


def _signal_status(cpu, flags) -> None:
    """Overflow/underflow/inexact flags and FI, after the target was written."""
    cpu.fpscr = fpu.signal_status(cpu.fpscr, flags)
    if fpu.status_enabled(cpu.fpscr, flags) and cpu.msr & _FE:
        raise _program_fp()


def _complete(cpu, frt, result, rc, sets_fprf=True) -> None:
    """Write an arithmetic result with its FPSCR side effects, in QEMU's order."""
    bits, flags = result
    _signal_invalid(cpu, flags)
    cpu.fpr[frt] = bits
    if sets_fprf:
        cpu.fpscr = (cpu.fpscr & ~fpu.FPRF) | fpu.fprf(bits) << fpu.FPRF_SHIFT
    _signal_status(cpu, flags)
    _record_cr1(cpu, rc)


# --- A-form arithmetic: one registration per (opcode 63 double, opcode 59 single) pair -----------


def _register_arith(name, xo, operands, compute, unused):
    """``operands(cpu, fra, frb, frc)`` picks the inputs, ``compute(*inputs, fpscr, fmt)`` returns
    an ``fpu.Result``; ``unused`` are the word bits of a field that must be zero, or 0 (QEMU
    treats a nonzero one as an invalid form)."""
    for opcode, fmt, suffix in ((63, fpu.DOUBLE, ""), (59, fpu.SINGLE, "s")):
        @instruction(name + suffix, opcode, xo, form=A, reserved=unused)
        def semantics(cpu, frt, fra, frb, frc, rc, fmt=fmt):
            _require_fp(cpu)
            _complete(cpu, frt, compute(*operands(cpu, fra, frb, frc), cpu.fpscr, fmt), rc)
        semantics.__name__ = name + suffix


def _a_b(cpu, fra, frb, frc):
    return cpu.fpr[fra], cpu.fpr[frb]


def _a_c(cpu, fra, frb, frc):
    return cpu.fpr[fra], cpu.fpr[frc]


def _a_c_b(cpu, fra, frb, frc):
    return cpu.fpr[fra], cpu.fpr[frc], cpu.fpr[frb]


def _fused(negate_addend, negate_result):
    def compute(a, c, b, control, fmt):
        return fpu.multiply_add(a, c, b, control, fmt, negate_addend=negate_addend, negate_result=negate_result)
    return compute


_FRA, _FRB, _FRC = 0x1F << 16, 0x1F << 11, 0x1F << 6   # the fields' bits in the word
for _name, _xo, _operands, _compute, _unused in (
        ("fadd", 21, _a_b, fpu.add, _FRC),
        ("fsub", 20, _a_b, fpu.subtract, _FRC),
        ("fmul", 25, _a_c, fpu.multiply, _FRB),
        ("fdiv", 18, _a_b, fpu.divide, _FRC),
        ("fmadd", 29, _a_c_b, _fused(False, False), 0),
        ("fmsub", 28, _a_c_b, _fused(True, False), 0),
        ("fnmadd", 31, _a_c_b, _fused(False, True), 0),
        ("fnmsub", 30, _a_c_b, _fused(True, True), 0)):
    _register_arith(_name, _xo, _operands, _compute, _unused)


_ESTIMATE_UNUSED = _FRA | _FRC   # fres/frsqrte take only frB: other fields set are an invalid form


@instruction("fres", 59, 24, form=A, reserved=_ESTIMATE_UNUSED)
def fres(cpu, frt, fra, frb, frc, rc):
    """The estimate is the single-precision quotient 1/frB; 1/±0 gives ±0.5 (QEMU's value; the
    ISA's is ±infinity) along with ZX."""
    _require_fp(cpu)
    bits, flags = fpu.divide(fpu.ONE, cpu.fpr[frb], cpu.fpscr, fpu.SINGLE)
    if flags & fpu.ZX:
        bits = (cpu.fpr[frb] & fpu.SIGN) | 0x3FE0000000000000
    _complete(cpu, frt, fpu.Result(bits, flags), rc)


@instruction("frsqrte", 63, 26, form=A, reserved=_ESTIMATE_UNUSED)
def frsqrte(cpu, frt, fra, frb, frc, rc):
    """The estimate is 1/sqrt(frB) in double precision, rounded twice as QEMU computes it."""
    _require_fp(cpu)
    root, root_flags = fpu.square_root(cpu.fpr[frb], cpu.fpscr)
    bits, flags = fpu.divide(fpu.ONE, root, cpu.fpscr)
    _complete(cpu, frt, fpu.Result(bits, root_flags | flags), rc)


@instruction("fsel", 63, 23, form=A)
def fsel(cpu, frt, fra, frb, frc, rc):
    """frT = frC if frA >= 0 (either zero included, NaN excluded) else frB; no FPSCR change."""
    _require_fp(cpu)
    a = cpu.fpr[fra]
    cpu.fpr[frt] = cpu.fpr[frc] if fpu.is_zero(a) or not (a >> 63 or fpu.is_nan(a)) else cpu.fpr[frb]
    _record_cr1(cpu, rc)


# --- X-form operations on one register ---------------------------------------------------------------


def _register_move(name, xo, transform):
    """fmr, fneg, fabs, fnabs: frT = transform(frB bits); the FPSCR is untouched."""
    @instruction(name, 63, xo, form=X)
    def semantics(cpu, frt, ra, frb, rc):
        _require_fp(cpu)
        cpu.fpr[frt] = transform(cpu.fpr[frb])
        _record_cr1(cpu, rc)
    semantics.__name__ = name


def _register_rounding(name, xo, compute, sets_fprf):
    """frsp, fctiw, fctiwz: frT = compute(frB bits, FPSCR), an ``fpu.Result``."""
    @instruction(name, 63, xo, form=X)
    def semantics(cpu, frt, ra, frb, rc):
        _require_fp(cpu)
        _complete(cpu, frt, compute(cpu.fpr[frb], cpu.fpscr), rc, sets_fprf)
    semantics.__name__ = name


for _name, _xo, _transform in (
        ("fmr", 72, lambda b: b),
        ("fneg", 40, lambda b: b ^ fpu.SIGN),
        ("fabs", 264, lambda b: b & ~fpu.SIGN),
        ("fnabs", 136, lambda b: b | fpu.SIGN)):
    _register_move(_name, _xo, _transform)

_register_rounding("frsp", 12, fpu.round_to_single, True)
_register_rounding("fctiw", 14, fpu.to_int32, False)
_register_rounding("fctiwz", 15, lambda b, control: fpu.to_int32(b, fpu.ROUND_ZERO), False)


# --- compares ----------------------------------------------------------------------------------------


def _register_compare(name, xo, ordered):
    """CR field BF and FPCC get FL/FG/FE/FU; NaN operands then signal VXSNAN (and VXVC, with
    FPRF[C], if ordered); FI is cleared."""
    @instruction(name, 63, xo, form=X)
    def semantics(cpu, bf, fra, frb, rc):
        _require_fp(cpu)
        code, flags = fpu.compare(cpu.fpr[fra], cpu.fpr[frb], ordered)
        cpu.fpscr = (cpu.fpscr & ~fpu.FPCC) | code << fpu.FPRF_SHIFT
        set_cr_field(cpu, bf >> 2, code)
        if flags & fpu.VXVC:
            cpu.fpscr |= fpu.FPRF_C
        cpu.fpscr = fpu.signal_invalid(cpu.fpscr, flags)
        interrupt = fpu.invalid_enabled(cpu.fpscr, flags) and cpu.msr & _FE
        if not (interrupt and flags & fpu.VXSNAN):
            cpu.fpscr &= ~fpu.FI  # QEMU's status check, which an enabled VXSNAN preempts
        if interrupt:
            raise _program_fp()
    semantics.__name__ = name


_register_compare("fcmpu", 0, False)
_register_compare("fcmpo", 32, True)


# --- FPSCR moves ---------------------------------------------------------------------------------------


def _store_fpscr(cpu, value, mask, rc) -> None:
    """mtfsf/mtfsfi/mtfsb1: CR1 is recorded, then a pending enabled exception (FEX, even one
    set before) interrupts, as QEMU checks after these three."""
    cpu.fpscr = fpu.store(cpu.fpscr, value, mask)
    _record_cr1(cpu, rc)
    if cpu.fpscr & fpu.FEX and cpu.msr & _FE:
        raise _program_fp()


@instruction("mffs", 63, 583, form=X)
def mffs(cpu, frt, ra, rb, rc):
    """frT = the FPSCR zero-extended, as QEMU leaves the undefined high word."""
    _require_fp(cpu)
    cpu.fpr[frt] = cpu.fpscr
    _record_cr1(cpu, rc)


@instruction("mtfsf", 63, 711, form=XFL_LW)
def mtfsf(cpu, l, flm, w, frb, rc):
    """L=1 writes every field; W=1 (fields 8-15, ISA 2.05) does not exist on e500mc: illegal,
    after the FP Unavailable check (as QEMU)."""
    _require_fp(cpu)
    if w:
        raise illegal()
    mask = MASK32 if l else sum(0xF << (4 * n) for n in range(8) if flm >> n & 1)
    _store_fpscr(cpu, cpu.fpr[frb], mask, rc)


@instruction("mtfsfi", 63, 134, form=MTFSFI)
def mtfsfi(cpu, bf, w, u, rc):
    _require_fp(cpu)
    if w:
        raise illegal()
    shift = 28 - 4 * bf
    _store_fpscr(cpu, u << shift, 0xF << shift, rc)


@instruction("mtfsb0", 63, 70, form=X)
def mtfsb0(cpu, bt, ra, rb, rc):
    _require_fp(cpu)
    cpu.fpscr = fpu.store(cpu.fpscr, 0, 1 << (31 - bt))
    _record_cr1(cpu, rc)


@instruction("mtfsb1", 63, 38, form=X)
def mtfsb1(cpu, bt, ra, rb, rc):
    """NI (non-IEEE mode) cannot be set this way: QEMU implements IEEE mode only."""
    _require_fp(cpu)
    bit = 1 << (31 - bt) & ~fpu.NI
    _store_fpscr(cpu, bit, bit, rc)


@instruction("mcrfs", 63, 64, form=X)
def mcrfs(cpu, bf, bfa, rb, rc):
    """CR field BF = FPSCR field BFA, whose exception bits are then cleared."""
    _require_fp(cpu)
    shift = 28 - 4 * (bfa >> 2)
    set_cr_field(cpu, bf >> 2, (cpu.fpscr >> shift) & 0xF)
    cpu.fpscr = fpu.store(cpu.fpscr, cpu.fpscr & ~fpu.EXCEPTIONS, 0xF << shift)


# --- loads and stores -------------------------------------------------------------------------------------


def _register_access(name, transfer, opcode, xo, update):
    """A D-form (``opcode``) or X-form (``xo``) FP access, with or without update of RA;
    ``transfer(cpu, fr, ea)`` moves the data, before RA is updated. Update forms with RA=0
    are invalid."""
    def access(cpu, fr, ra, offset):
        _require_fp(cpu)
        if update and ra == 0:
            raise illegal()
        ea = (ra_or_zero(cpu, ra) + offset) & MASK32
        transfer(cpu, fr, ea)
        if update:
            cpu.gpr[ra] = ea

    if opcode is not None:
        def semantics(cpu, fr, ra, d):
            access(cpu, fr, ra, d)
        instruction(name, opcode, form=D)(semantics)
    else:
        def semantics(cpu, fr, ra, rb, rc):
            access(cpu, fr, ra, cpu.gpr[rb])
        instruction(name, 31, xo, form=X)(semantics)
    semantics.__name__ = name


def _load_single(cpu, frt, ea):
    cpu.fpr[frt] = fpu.single_to_double(cpu.load(ea, 4))


def _load_double(cpu, frt, ea):
    cpu.fpr[frt] = cpu.load(ea, 8)


def _store_single(cpu, frs, ea):
    cpu.store(ea, 4, fpu.double_to_single(cpu.fpr[frs]))


def _store_double(cpu, frs, ea):
    cpu.store(ea, 8, cpu.fpr[frs])


# name, transfer, (D, D-update) opcodes, (X, X-update) extended opcodes
for _name, _transfer, (_d, _du), (_x, _xu) in (
        ("lfs", _load_single, (48, 49), (535, 567)),
        ("lfd", _load_double, (50, 51), (599, 631)),
        ("stfs", _store_single, (52, 53), (663, 695)),
        ("stfd", _store_double, (54, 55), (727, 759))):
    _register_access(_name, _transfer, _d, None, False)
    _register_access(_name + "u", _transfer, _du, None, True)
    _register_access(_name + "x", _transfer, None, _x, False)
    _register_access(_name + "ux", _transfer, None, _xu, True)

_register_access("stfiwx", lambda cpu, frs, ea: cpu.store(ea, 4, cpu.fpr[frs] & MASK32), None, 983, False)
