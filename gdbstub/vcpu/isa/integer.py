"""Integer arithmetic, logical, compare, rotate/shift, isel and CR-register instructions."""
from __future__ import annotations

from ..interrupts import illegal
from .bits import (MASK32, XER_CA, XER_OV, XER_SO, compare_field, cr_bit, ra_or_zero, record_cr0, set_carry,
                   set_cr_field, set_overflow, signed32)
from .forms import A, D, DU, M, X, XFX_CR, XO
from .table import instruction

# --- add/subtract family: every one is RT = a + b + carry_in over 32 bits ----------------------


def _add(cpu, rt, a, b, carry_in, oe, rc, record_carry):
    """RT = a + b + carry_in, with XER[CA] (if ``record_carry``), XER[OV/SO] (OE) and CR0 (Rc)."""
    total = a + b + carry_in
    result = total & MASK32
    cpu.gpr[rt] = result
    if record_carry:
        set_carry(cpu, total > MASK32)
    if oe:
        set_overflow(cpu, ((a ^ result) & (b ^ result)) >> 31 == 1)
    if rc:
        record_cr0(cpu, result)


def _ca(cpu):
    return (cpu.xer >> 29) & 1


def _register_add(name, xo, operands, carry_in, record_carry):
    """An XO-form add/subtract: ``operands(cpu, ra, rb) -> (a, b)``, ``carry_in(cpu)``."""
    @instruction(name, 31, xo, form=XO, registers_only=True)
    def semantics(cpu, rt, ra, rb, oe, rc):
        a, b = operands(cpu, ra, rb)
        _add(cpu, rt, a, b, carry_in(cpu), oe, rc, record_carry)
    semantics.__name__ = name
    return semantics


def _one(cpu):
    return 1


def _zero(cpu):
    return 0


def _ra_rb(cpu, ra, rb):
    return cpu.gpr[ra], cpu.gpr[rb]


def _not_ra_rb(cpu, ra, rb):
    return ~cpu.gpr[ra] & MASK32, cpu.gpr[rb]


def _ra_minus_one(cpu, ra, rb):
    return cpu.gpr[ra], MASK32


def _ra_zero(cpu, ra, rb):
    return cpu.gpr[ra], 0


def _not_ra_minus_one(cpu, ra, rb):
    return ~cpu.gpr[ra] & MASK32, MASK32


def _not_ra_zero(cpu, ra, rb):
    return ~cpu.gpr[ra] & MASK32, 0


for _name, _xo, _operands, _carry_in, _record_carry in (
        ("add", 266, _ra_rb, _zero, False),
        ("addc", 10, _ra_rb, _zero, True),
        ("adde", 138, _ra_rb, _ca, True),
        ("addme", 234, _ra_minus_one, _ca, True),
        ("addze", 202, _ra_zero, _ca, True),
        ("subf", 40, _not_ra_rb, _one, False),
        ("subfc", 8, _not_ra_rb, _one, True),
        ("subfe", 136, _not_ra_rb, _ca, True),
        ("subfme", 232, _not_ra_minus_one, _ca, True),
        ("subfze", 200, _not_ra_zero, _ca, True),
        ("neg", 104, _not_ra_zero, _one, False)):
    _register_add(_name, _xo, _operands, _carry_in, _record_carry)


@instruction("addi", 14, form=D, registers_only=True)
def addi(cpu, rt, ra, si):
    cpu.gpr[rt] = (ra_or_zero(cpu, ra) + si) & MASK32


@instruction("addis", 15, form=D, registers_only=True)
def addis(cpu, rt, ra, si):
    cpu.gpr[rt] = (ra_or_zero(cpu, ra) + (si << 16)) & MASK32


@instruction("addic", 12, form=D, registers_only=True)
def addic(cpu, rt, ra, si):
    _add(cpu, rt, cpu.gpr[ra], si & MASK32, 0, 0, 0, True)


@instruction("addic.", 13, form=D, registers_only=True)
def addic_record(cpu, rt, ra, si):
    _add(cpu, rt, cpu.gpr[ra], si & MASK32, 0, 0, 1, True)


@instruction("subfic", 8, form=D, registers_only=True)
def subfic(cpu, rt, ra, si):
    _add(cpu, rt, ~cpu.gpr[ra] & MASK32, si & MASK32, 1, 0, 0, True)


# --- multiply / divide --------------------------------------------------------------------------


@instruction("mullw", 31, 235, form=XO, registers_only=True)
def mullw(cpu, rt, ra, rb, oe, rc):
    product = signed32(cpu.gpr[ra]) * signed32(cpu.gpr[rb])
    result = product & MASK32
    cpu.gpr[rt] = result
    if oe:
        set_overflow(cpu, product != signed32(result))
    if rc:
        record_cr0(cpu, result)


@instruction("mulhw", 31, 75, form=XO)
def mulhw(cpu, rt, ra, rb, oe, rc):
    """OE=1 is an invalid form: illegal, as in QEMU."""
    if oe:
        raise illegal()
    cpu.gpr[rt] = result = (signed32(cpu.gpr[ra]) * signed32(cpu.gpr[rb]) >> 32) & MASK32
    if rc:
        record_cr0(cpu, result)


@instruction("mulhwu", 31, 11, form=XO)
def mulhwu(cpu, rt, ra, rb, oe, rc):
    if oe:
        raise illegal()
    cpu.gpr[rt] = result = (cpu.gpr[ra] * cpu.gpr[rb]) >> 32
    if rc:
        record_cr0(cpu, result)


@instruction("mulli", 7, form=D, registers_only=True)
def mulli(cpu, rt, ra, si):
    cpu.gpr[rt] = (signed32(cpu.gpr[ra]) * si) & MASK32


def _divide(cpu, rt, dividend, divisor, invalid, oe, rc):
    """An undefined quotient (x/0, INT_MIN/-1) is the dividend, as QEMU computes it."""
    if invalid:
        divisor = 1
    quotient = abs(dividend) // abs(divisor)
    if (dividend < 0) != (divisor < 0):
        quotient = -quotient
    result = quotient & MASK32
    cpu.gpr[rt] = result
    if oe:
        set_overflow(cpu, invalid)
    if rc:
        record_cr0(cpu, result)


@instruction("divw", 31, 491, form=XO, registers_only=True)
def divw(cpu, rt, ra, rb, oe, rc):
    dividend, divisor = signed32(cpu.gpr[ra]), signed32(cpu.gpr[rb])
    _divide(cpu, rt, dividend, divisor, divisor == 0 or (dividend == -0x80000000 and divisor == -1), oe, rc)


@instruction("divwu", 31, 459, form=XO, registers_only=True)
def divwu(cpu, rt, ra, rb, oe, rc):
    divisor = cpu.gpr[rb]
    _divide(cpu, rt, cpu.gpr[ra], divisor, divisor == 0, oe, rc)


# --- logical ------------------------------------------------------------------------------------


def _register_logical(name, xo, operation):
    """X-form RA = operation(RS, RB), recording CR0 when Rc=1."""
    @instruction(name, 31, xo, form=X, registers_only=True)
    def semantics(cpu, rs, ra, rb, rc):
        cpu.gpr[ra] = result = operation(cpu.gpr[rs], cpu.gpr[rb]) & MASK32
        if rc:
            record_cr0(cpu, result)
    semantics.__name__ = name
    return semantics


for _name, _xo, _operation in (
        ("and", 28, lambda s, b: s & b),
        ("andc", 60, lambda s, b: s & ~b),
        ("or", 444, lambda s, b: s | b),
        ("orc", 412, lambda s, b: s | ~b),
        ("xor", 316, lambda s, b: s ^ b),
        ("nand", 476, lambda s, b: ~(s & b)),
        ("nor", 124, lambda s, b: ~(s | b)),
        ("eqv", 284, lambda s, b: ~(s ^ b)),
        ("extsb", 954, lambda s, b: ((s & 0xFF) ^ 0x80) - 0x80),
        ("extsh", 922, lambda s, b: ((s & 0xFFFF) ^ 0x8000) - 0x8000),
        ("cntlzw", 26, lambda s, b: 32 - s.bit_length()),
        ("slw", 24, lambda s, b: 0 if b & 0x20 else s << (b & 0x1F)),
        ("srw", 536, lambda s, b: 0 if b & 0x20 else s >> (b & 0x1F))):
    _register_logical(_name, _xo, _operation)


def _register_logical_immediate(name, opcode, operation, record):
    """D-form RA = operation(RS, UI); andi./andis. always record CR0."""
    @instruction(name, opcode, form=DU, registers_only=True)
    def semantics(cpu, rs, ra, ui):
        cpu.gpr[ra] = result = operation(cpu.gpr[rs], ui)
        if record:
            record_cr0(cpu, result)
    semantics.__name__ = name.rstrip(".")
    return semantics


for _name, _opcode, _operation, _record in (
        ("ori", 24, lambda s, ui: s | ui, False),
        ("oris", 25, lambda s, ui: s | ui << 16, False),
        ("xori", 26, lambda s, ui: s ^ ui, False),
        ("xoris", 27, lambda s, ui: s ^ ui << 16, False),
        ("andi.", 28, lambda s, ui: s & ui, True),
        ("andis.", 29, lambda s, ui: s & ui << 16, True)):
    _register_logical_immediate(_name, _opcode, _operation, _record)


# --- algebraic shifts (set XER[CA] when a negative value loses 1 bits) ----------------------------


def _shift_right_algebraic(cpu, rs, ra, shift, rc):
    value = signed32(cpu.gpr[rs])
    if shift > 31:
        result, carry = (MASK32, True) if value < 0 else (0, False)
    else:
        result = (value >> shift) & MASK32
        carry = value < 0 and cpu.gpr[rs] & ((1 << shift) - 1) != 0
    cpu.gpr[ra] = result
    set_carry(cpu, carry)
    if rc:
        record_cr0(cpu, result)


@instruction("sraw", 31, 792, form=X, registers_only=True)
def sraw(cpu, rs, ra, rb, rc):
    _shift_right_algebraic(cpu, rs, ra, cpu.gpr[rb] & 0x3F, rc)


@instruction("srawi", 31, 824, form=X, registers_only=True)
def srawi(cpu, rs, ra, sh, rc):
    _shift_right_algebraic(cpu, rs, ra, sh, rc)


# --- rotates ---------------------------------------------------------------------------------------


def _rotl32(value, n):
    n &= 31
    return ((value << n) | (value >> (32 - n))) & MASK32


def rotate_mask(mb, me):
    """MASK(mb, me) of the rotate instructions; wraps around when mb > me."""
    high = MASK32 >> mb
    low = (MASK32 << (31 - me)) & MASK32
    return high & low if mb <= me else high | low


@instruction("rlwinm", 21, form=M, registers_only=True)
def rlwinm(cpu, rs, ra, sh, mb, me, rc):
    cpu.gpr[ra] = result = _rotl32(cpu.gpr[rs], sh) & rotate_mask(mb, me)
    if rc:
        record_cr0(cpu, result)


@instruction("rlwnm", 23, form=M, registers_only=True)
def rlwnm(cpu, rs, ra, rb, mb, me, rc):
    cpu.gpr[ra] = result = _rotl32(cpu.gpr[rs], cpu.gpr[rb]) & rotate_mask(mb, me)
    if rc:
        record_cr0(cpu, result)


@instruction("rlwimi", 20, form=M, registers_only=True)
def rlwimi(cpu, rs, ra, sh, mb, me, rc):
    mask = rotate_mask(mb, me)
    cpu.gpr[ra] = result = (_rotl32(cpu.gpr[rs], sh) & mask) | (cpu.gpr[ra] & ~mask & MASK32)
    if rc:
        record_cr0(cpu, result)


# --- compares, isel -------------------------------------------------------------------------------


@instruction("cmp", 31, 0, form=X, registers_only=True)
def cmp(cpu, bf_l, ra, rb, rc):
    a, b = signed32(cpu.gpr[ra]), signed32(cpu.gpr[rb])
    set_cr_field(cpu, bf_l >> 2, compare_field(a < b, a > b, cpu))


@instruction("cmpl", 31, 32, form=X, registers_only=True)
def cmpl(cpu, bf_l, ra, rb, rc):
    a, b = cpu.gpr[ra], cpu.gpr[rb]
    set_cr_field(cpu, bf_l >> 2, compare_field(a < b, a > b, cpu))


@instruction("cmpi", 11, form=D, registers_only=True)
def cmpi(cpu, bf_l, ra, si):
    a = signed32(cpu.gpr[ra])
    set_cr_field(cpu, bf_l >> 2, compare_field(a < si, a > si, cpu))


@instruction("cmpli", 10, form=DU, registers_only=True)
def cmpli(cpu, bf_l, ra, ui):
    a = cpu.gpr[ra]
    set_cr_field(cpu, bf_l >> 2, compare_field(a < ui, a > ui, cpu))


@instruction("isel", 31, 15, form=A, registers_only=True)
def isel(cpu, rt, ra, rb, bc, _):
    cpu.gpr[rt] = ra_or_zero(cpu, ra) if cr_bit(cpu, bc) else cpu.gpr[rb]


# --- CR and XER moves -------------------------------------------------------------------------------


def _field_mask(fxm):
    """The CR bits selected by an 8-bit field mask (bit 7 selects CR0)."""
    return sum(0xF << (4 * n) for n in range(8) if fxm >> n & 1)


def _single_field(fxm):
    """mfocrf/mtocrf change nothing unless FXM has exactly one bit set, as in QEMU."""
    return fxm != 0 and fxm & (fxm - 1) == 0


@instruction("mfcr", 31, 19, form=XFX_CR)
def mfcr(cpu, rt, fxm, one_field, reserved):
    """mfcr, or mfocrf when ``one_field``: only the selected field, the rest zero. Reserved
    bits set (Rc, bit 11) make an invalid form: illegal, as in QEMU."""
    if reserved:
        raise illegal()
    if not one_field:
        cpu.gpr[rt] = cpu.cr
    elif _single_field(fxm):
        cpu.gpr[rt] = cpu.cr & _field_mask(fxm)


@instruction("mtcrf", 31, 144, form=XFX_CR)
def mtcrf(cpu, rs, fxm, one_field, reserved):
    if reserved:
        raise illegal()
    if one_field and not _single_field(fxm):
        return
    mask = _field_mask(fxm)
    cpu.cr = (cpu.cr & ~mask & MASK32) | (cpu.gpr[rs] & mask)


@instruction("mcrxr", 31, 512, form=X, registers_only=True)
def mcrxr(cpu, bf, ra, rb, rc):
    set_cr_field(cpu, bf >> 2, cpu.xer >> 28)
    cpu.xer &= ~(XER_SO | XER_OV | XER_CA) & MASK32
