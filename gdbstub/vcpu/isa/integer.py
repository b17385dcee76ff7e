"""Integer arithmetic, logical, compare, rotate/shift, isel and CR-register instructions."""
from __future__ import annotations

import re

from .bits import (MASK32, XER_CA, XER_OV, XER_SO, compare_field, compare_field_source, cr_bit,
                   ra_or_zero, record_cr0, record_cr0_source, set_carry, set_carry_source,
                   set_cr_field, set_overflow, sign_field_source, signed32, signed32_source)
from .forms import A, D, DU, M, X, XFX_CR, XO
from .table import instruction


def _function(parameters: str, expression: str):
    """``lambda parameters: expression``: the semantics side of a family whose table gives
    each operation once, as the Python expression its emit template inlines."""
    return eval(f"lambda {parameters}: {expression}")


def _emit_result(e, reg, expr, rc):
    """Inline ``GPR[reg] = expr`` (a 32-bit value), and CR0 from it when ``rc``."""
    if not rc:
        e.line(f"g[{reg}] = {expr}")
    else:
        e.line(f"g[{reg}] = r = {expr}", record_cr0_source("r"))


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


def _register_add(name, xo, terms, record_carry):
    """An XO-form add/subtract; ``terms`` are a, b and carry_in as expressions over ``g``
    (the GPRs), ``cpu`` and the fields ``{ra}``/``{rb}``, "0" for none."""
    operands = _function("cpu, g, ra, rb", "({}, {}, {})".format(*terms).format(ra="ra", rb="rb"))

    def emit(e, rt, ra, rb, oe, rc):
        if oe:
            return e.call()
        total = " + ".join(term.format(ra=ra, rb=rb) for term in terms if term != "0")
        if not record_carry:
            return _emit_result(e, rt, f"({total}) & 0xFFFFFFFF", rc)
        e.line(f"t = {total}", set_carry_source("t > 0xFFFFFFFF"))
        _emit_result(e, rt, "t & 0xFFFFFFFF", rc)

    @instruction(name, 31, xo, form=XO, registers_only=True, emit=emit)
    def semantics(cpu, rt, ra, rb, oe, rc):
        a, b, carry_in = operands(cpu, cpu.gpr, ra, rb)
        _add(cpu, rt, a, b, carry_in, oe, rc, record_carry)
    semantics.__name__ = name
    return semantics


_RA, _NOT_RA, _RB, _ONES = "g[{ra}]", "(~g[{ra}] & 0xFFFFFFFF)", "g[{rb}]", "0xFFFFFFFF"
_CA = "(cpu.xer >> 29 & 1)"
for _name, _xo, _terms, _record_carry in (
        ("add", 266, (_RA, _RB, "0"), False),
        ("addc", 10, (_RA, _RB, "0"), True),
        ("adde", 138, (_RA, _RB, _CA), True),
        ("addme", 234, (_RA, _ONES, _CA), True),
        ("addze", 202, (_RA, "0", _CA), True),
        ("subf", 40, (_NOT_RA, _RB, "1"), False),
        ("subfc", 8, (_NOT_RA, _RB, "1"), True),
        ("subfe", 136, (_NOT_RA, _RB, _CA), True),
        ("subfme", 232, (_NOT_RA, _ONES, _CA), True),
        ("subfze", 200, (_NOT_RA, "0", _CA), True),
        ("neg", 104, (_NOT_RA, "0", "1"), False)):
    _register_add(_name, _xo, _terms, _record_carry)


def _emit_add_immediate(shift):
    """addi (``shift`` 0) and addis (16): RT = (RA|0) + (SI << shift)."""
    def emit(e, rt, ra, si):
        value = si << shift
        if ra == 0:
            e.line(f"g[{rt}] = {value & MASK32:#x}")
        else:
            e.line(f"g[{rt}] = (g[{ra}] + {value}) & 0xFFFFFFFF")
    return emit


@instruction("addi", 14, form=D, registers_only=True, emit=_emit_add_immediate(0))
def addi(cpu, rt, ra, si):
    cpu.gpr[rt] = (ra_or_zero(cpu, ra) + si) & MASK32


@instruction("addis", 15, form=D, registers_only=True, emit=_emit_add_immediate(16))
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


def _emit_mullw(e, rt, ra, rb, oe, rc):
    """The low word of a product does not depend on the operands' signedness."""
    if oe:
        return e.call()
    _emit_result(e, rt, f"(g[{ra}] * g[{rb}]) & 0xFFFFFFFF", rc)


@instruction("mullw", 31, 235, form=XO, registers_only=True, emit=_emit_mullw)
def mullw(cpu, rt, ra, rb, oe, rc):
    product = signed32(cpu.gpr[ra]) * signed32(cpu.gpr[rb])
    result = product & MASK32
    cpu.gpr[rt] = result
    if oe:
        set_overflow(cpu, product != signed32(result))
    if rc:
        record_cr0(cpu, result)


_OE = 1 << 10   # reserved in mulhw(u): OE=1 is an invalid form, illegal as in QEMU


@instruction("mulhw", 31, 75, form=XO, reserved=_OE)
def mulhw(cpu, rt, ra, rb, oe, rc):
    cpu.gpr[rt] = result = (signed32(cpu.gpr[ra]) * signed32(cpu.gpr[rb]) >> 32) & MASK32
    if rc:
        record_cr0(cpu, result)


def _emit_mulhwu(e, rt, ra, rb, oe, rc):
    _emit_result(e, rt, f"((g[{ra}] * g[{rb}]) >> 32) & 0xFFFFFFFF", rc)


@instruction("mulhwu", 31, 11, form=XO, reserved=_OE, emit=_emit_mulhwu)
def mulhwu(cpu, rt, ra, rb, oe, rc):
    cpu.gpr[rt] = result = (cpu.gpr[ra] * cpu.gpr[rb]) >> 32
    if rc:
        record_cr0(cpu, result)


def _emit_mulli(e, rt, ra, si):
    e.line(f"g[{rt}] = (g[{ra}] * {si}) & 0xFFFFFFFF")


@instruction("mulli", 7, form=D, registers_only=True, emit=_emit_mulli)
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


def _emit_divw(e, rt, ra, rb, oe, rc):
    """Python's ``//`` floors: the quotient's magnitude is divided, its sign put back
    (INT_MIN / -1 comes out as the dividend, as ``_divide`` has it, once masked)."""
    if oe:
        return e.call()
    e.line(f"a = (g[{ra}] ^ 0x80000000) - 0x80000000", f"b = (g[{rb}] ^ 0x80000000) - 0x80000000")
    _emit_result(e, rt, f"g[{ra}] if not b else "
                        f"(abs(a) // abs(b) if (a < 0) == (b < 0) else -(abs(a) // abs(b))) & 0xFFFFFFFF", rc)


@instruction("divw", 31, 491, form=XO, registers_only=True, emit=_emit_divw)
def divw(cpu, rt, ra, rb, oe, rc):
    dividend, divisor = signed32(cpu.gpr[ra]), signed32(cpu.gpr[rb])
    _divide(cpu, rt, dividend, divisor, divisor == 0 or (dividend == -0x80000000 and divisor == -1), oe, rc)


def _emit_divwu(e, rt, ra, rb, oe, rc):
    if oe:
        return e.call()
    _emit_result(e, rt, f"g[{ra}] // g[{rb}] if g[{rb}] else g[{ra}]", rc)


@instruction("divwu", 31, 459, form=XO, registers_only=True, emit=_emit_divwu)
def divwu(cpu, rt, ra, rb, oe, rc):
    divisor = cpu.gpr[rb]
    _divide(cpu, rt, cpu.gpr[ra], divisor, divisor == 0, oe, rc)


# --- logical ------------------------------------------------------------------------------------


_S, _B = re.compile(r"\bs\b"), re.compile(r"\bb\b")


def _register_logical(name, xo, expression, same_operands=None):
    """X-form RA = ``expression`` of ``s`` (RS) and ``b`` (RB), recording CR0 when Rc=1;
    ``same_operands``: what it reduces to when RS = RB, inlined as such."""
    operation = _function("s, b", expression)

    def emit(e, rs, ra, rb, rc):
        if same_operands is not None and rs == rb:
            return _emit_result(e, ra, _S.sub(f"g[{rs}]", same_operands), rc)
        if len(_S.findall(expression)) == 1 and len(_B.findall(expression)) <= 1:   # operands used once
            inline = _B.sub(f"g[{rb}]", _S.sub(f"g[{rs}]", expression))
            return _emit_result(e, ra, f"({inline}) & 0xFFFFFFFF", rc)
        e.line(f"s = g[{rs}]", f"b = g[{rb}]")
        _emit_result(e, ra, f"({expression}) & 0xFFFFFFFF", rc)

    @instruction(name, 31, xo, form=X, registers_only=True, emit=emit)
    def semantics(cpu, rs, ra, rb, rc):
        cpu.gpr[ra] = result = operation(cpu.gpr[rs], cpu.gpr[rb]) & MASK32
        if rc:
            record_cr0(cpu, result)
    semantics.__name__ = name
    return semantics


_register_logical("or", 444, "s | b", same_operands="s")     # or rA,rS,rS is mr
for _name, _xo, _expression in (
        ("and", 28, "s & b"),
        ("andc", 60, "s & ~b"),
        ("orc", 412, "s | ~b"),
        ("xor", 316, "s ^ b"),
        ("nand", 476, "~(s & b)"),
        ("nor", 124, "~(s | b)"),
        ("eqv", 284, "~(s ^ b)"),
        ("extsb", 954, "((s & 0xFF) ^ 0x80) - 0x80"),
        ("extsh", 922, "((s & 0xFFFF) ^ 0x8000) - 0x8000"),
        ("cntlzw", 26, "32 - s.bit_length()"),
        ("slw", 24, "0 if b & 0x20 else s << (b & 0x1F)"),
        ("srw", 536, "0 if b & 0x20 else s >> (b & 0x1F)")):
    _register_logical(_name, _xo, _expression)


def _register_logical_immediate(name, opcode, operator, shift, record):
    """D-form RA = RS ``operator`` (UI << ``shift``); andi./andis. always record CR0."""
    operation = _function("s, ui", f"s {operator} ui << {shift}" if shift else f"s {operator} ui")

    def emit(e, rs, ra, ui):
        if ui == 0 and rs == ra and operator != "&":
            return                       # nop (ori 0,0,0) and the like
        _emit_result(e, ra, f"g[{rs}] {operator} {ui << shift:#x}", record)

    @instruction(name, opcode, form=DU, registers_only=True, emit=emit)
    def semantics(cpu, rs, ra, ui):
        cpu.gpr[ra] = result = operation(cpu.gpr[rs], ui)
        if record:
            record_cr0(cpu, result)
    semantics.__name__ = name.rstrip(".")
    return semantics


for _name, _opcode, _operator, _shift, _record in (
        ("ori", 24, "|", 0, False),
        ("oris", 25, "|", 16, False),
        ("xori", 26, "^", 0, False),
        ("xoris", 27, "^", 16, False),
        ("andi.", 28, "&", 0, True),
        ("andis.", 29, "&", 16, True)):
    _register_logical_immediate(_name, _opcode, _operator, _shift, _record)


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


def _emit_srawi(e, rs, ra, sh, rc):
    e.line(f"v = g[{rs}]", f"s = {signed32_source('v')}", set_carry_source(f"s < 0 and v & {(1 << sh) - 1:#x}"))
    _emit_result(e, ra, f"(s >> {sh}) & 0xFFFFFFFF", rc)


@instruction("srawi", 31, 824, form=X, registers_only=True, emit=_emit_srawi)
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


def _rotate_source(rs, sh, mask):
    """``rotl32(GPR[rs], sh) & mask``; a shift alone when the mask keeps only one side."""
    if sh == 0:
        return f"g[{rs}] & {mask:#x}"
    if not mask & ((1 << sh) - 1):
        return f"(g[{rs}] << {sh}) & {mask:#x}"
    if not mask >> sh:
        return f"(g[{rs}] >> {32 - sh}) & {mask:#x}"
    return f"((g[{rs}] << {sh}) | (g[{rs}] >> {32 - sh})) & {mask:#x}"


def _emit_rlwinm(e, rs, ra, sh, mb, me, rc):
    _emit_result(e, ra, _rotate_source(rs, sh, rotate_mask(mb, me)), rc)


@instruction("rlwinm", 21, form=M, registers_only=True, emit=_emit_rlwinm)
def rlwinm(cpu, rs, ra, sh, mb, me, rc):
    cpu.gpr[ra] = result = _rotl32(cpu.gpr[rs], sh) & rotate_mask(mb, me)
    if rc:
        record_cr0(cpu, result)


@instruction("rlwnm", 23, form=M, registers_only=True)
def rlwnm(cpu, rs, ra, rb, mb, me, rc):
    cpu.gpr[ra] = result = _rotl32(cpu.gpr[rs], cpu.gpr[rb]) & rotate_mask(mb, me)
    if rc:
        record_cr0(cpu, result)


def _emit_rlwimi(e, rs, ra, sh, mb, me, rc):
    mask = rotate_mask(mb, me)
    _emit_result(e, ra, f"({_rotate_source(rs, sh, mask)}) | (g[{ra}] & {~mask & MASK32:#x})", rc)


@instruction("rlwimi", 20, form=M, registers_only=True, emit=_emit_rlwimi)
def rlwimi(cpu, rs, ra, sh, mb, me, rc):
    mask = rotate_mask(mb, me)
    cpu.gpr[ra] = result = (_rotl32(cpu.gpr[rs], sh) & mask) | (cpu.gpr[ra] & ~mask & MASK32)
    if rc:
        record_cr0(cpu, result)


# --- compares, isel -------------------------------------------------------------------------------


def _emit_compare(e, field, a, b):
    """CR field ``field`` from comparing the expressions ``a`` and ``b`` (a literal stays inline)."""
    e.line(f"a = {a}")
    if not b.lstrip("-").isdigit():
        e.line(f"b = {b}")
        b = "b"
    e.set_cr_field(field, compare_field_source("a", b))


def _emit_cmp(e, bf_l, ra, rb, rc):
    """Signed compares compare the operands with their sign bits flipped."""
    _emit_compare(e, bf_l >> 2, f"g[{ra}] ^ 0x80000000", f"g[{rb}] ^ 0x80000000")


@instruction("cmp", 31, 0, form=X, registers_only=True, emit=_emit_cmp)
def cmp(cpu, bf_l, ra, rb, rc):
    a, b = signed32(cpu.gpr[ra]), signed32(cpu.gpr[rb])
    set_cr_field(cpu, bf_l >> 2, compare_field(a < b, a > b, cpu))


def _emit_cmpl(e, bf_l, ra, rb, rc):
    _emit_compare(e, bf_l >> 2, f"g[{ra}]", f"g[{rb}]")


@instruction("cmpl", 31, 32, form=X, registers_only=True, emit=_emit_cmpl)
def cmpl(cpu, bf_l, ra, rb, rc):
    a, b = cpu.gpr[ra], cpu.gpr[rb]
    set_cr_field(cpu, bf_l >> 2, compare_field(a < b, a > b, cpu))


def _emit_cmpi(e, bf_l, ra, si):
    if si == 0:     # the commonest: the sign and zero tests of the register, no biased operand
        e.set_cr_field(bf_l >> 2, sign_field_source(f"g[{ra}]"))
    else:
        _emit_compare(e, bf_l >> 2, f"g[{ra}] ^ 0x80000000", str(si + 0x80000000))


@instruction("cmpi", 11, form=D, registers_only=True, emit=_emit_cmpi)
def cmpi(cpu, bf_l, ra, si):
    a = signed32(cpu.gpr[ra])
    set_cr_field(cpu, bf_l >> 2, compare_field(a < si, a > si, cpu))


def _emit_cmpli(e, bf_l, ra, ui):
    _emit_compare(e, bf_l >> 2, f"g[{ra}]", str(ui))


@instruction("cmpli", 10, form=DU, registers_only=True, emit=_emit_cmpli)
def cmpli(cpu, bf_l, ra, ui):
    a = cpu.gpr[ra]
    set_cr_field(cpu, bf_l >> 2, compare_field(a < ui, a > ui, cpu))


def _emit_isel(e, rt, ra, rb, bc, _):
    e.line(f"g[{rt}] = {f'g[{ra}]' if ra else '0'} if {e.cr_bit(bc)} else g[{rb}]")


@instruction("isel", 31, 15, form=A, registers_only=True, emit=_emit_isel)
def isel(cpu, rt, ra, rb, bc, _):
    cpu.gpr[rt] = ra_or_zero(cpu, ra) if cr_bit(cpu, bc) else cpu.gpr[rb]


# --- CR and XER moves -------------------------------------------------------------------------------


_FIELD_MASKS = tuple(sum(0xF << (4 * n) for n in range(8) if fxm >> n & 1) for fxm in range(256))
"""The CR bits each 8-bit field mask selects (bit 7 selects CR0)."""


def _single_field(fxm):
    """mfocrf/mtocrf change nothing unless FXM has exactly one bit set, as in QEMU."""
    return fxm != 0 and fxm & (fxm - 1) == 0


_RC_AND_BIT_11 = 0x801   # reserved in mfcr/mtcrf: an invalid form, illegal as in QEMU


def _emit_mfcr(e, rt, fxm, one_field):
    if not one_field:
        e.line(f"g[{rt}] = {e.cr_value()}")
    elif _single_field(fxm):
        e.line(f"g[{rt}] = {e.cr_value()} & {_FIELD_MASKS[fxm]:#x}")


@instruction("mfcr", 31, 19, form=XFX_CR, reserved=_RC_AND_BIT_11, emit=_emit_mfcr)
def mfcr(cpu, rt, fxm, one_field):
    """mfcr, or mfocrf when ``one_field``: only the selected field, the rest zero."""
    if not one_field:
        cpu.gpr[rt] = cpu.cr
    elif _single_field(fxm):
        cpu.gpr[rt] = cpu.cr & _FIELD_MASKS[fxm]


def _emit_mtcrf(e, rs, fxm, one_field):
    if not one_field or _single_field(fxm):
        mask = _FIELD_MASKS[fxm]
        e.line(f"cpu.cr = cpu.cr & {~mask & MASK32:#x} | g[{rs}] & {mask:#x}")


@instruction("mtcrf", 31, 144, form=XFX_CR, reserved=_RC_AND_BIT_11, emit=_emit_mtcrf)
def mtcrf(cpu, rs, fxm, one_field):
    if one_field and not _single_field(fxm):
        return
    mask = _FIELD_MASKS[fxm]
    cpu.cr = (cpu.cr & ~mask & MASK32) | (cpu.gpr[rs] & mask)


@instruction("mcrxr", 31, 512, form=X, registers_only=True)
def mcrxr(cpu, bf, ra, rb, rc):
    set_cr_field(cpu, bf >> 2, cpu.xer >> 28)
    cpu.xer &= ~(XER_SO | XER_OV | XER_CA) & MASK32
