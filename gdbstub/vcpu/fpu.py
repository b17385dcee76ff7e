"""IEEE-754 arithmetic for the classic PowerPC FPU, independent of instruction decoding.

Values are 64-bit IEEE bit patterns (single-precision results are kept in double format, as
in the FPRs). Finite operands are taken apart into exact integers (``mantissa * 2**exponent``),
combined exactly and rounded once in the FPSCR[RN] mode, so every rounding mode, the single
format, denormals, overflow and the status flags come out of one code path. Each operation
returns ``(bits, flags)`` where ``flags`` are FPSCR exception bits (VX*, ZX, OX, UX, XX);
``signal_invalid``/``signal_status`` fold them into the FPSCR the way QEMU's e500mc does.

NaN rules (Power ISA, as QEMU applies them): the first NaN among frA, frB, frC is the result,
quieted; an invalid operation without a NaN operand gives the default QNaN; a signalling NaN
operand sets VXSNAN.
"""
from __future__ import annotations

import math
import struct
from typing import NamedTuple

# --- FPSCR bits: the mask of bit n in the ISA's numbering (bit 0 = MSB) is 1 << (31 - n) ------------
FX, FEX, VX, OX, UX, ZX, XX, VXSNAN, VXISI, VXIDI, VXZDZ, VXIMZ, VXVC, FR, FI = (1 << (31 - n) for n in range(15))
VXSOFT, VXSQRT, VXCVI, VE, OE, UE, ZE, XE, NI = (1 << (31 - n) for n in range(21, 30))
FPRF_SHIFT = 12  # FPRF is bits 15-19: C, then FPCC = FL, FG, FE, FU
FPRF = 0x1F << FPRF_SHIFT
FPCC = 0xF << FPRF_SHIFT
FPRF_C = 0x10 << FPRF_SHIFT
RN = 3

VX_ALL = VXSNAN | VXISI | VXIDI | VXZDZ | VXIMZ | VXVC | VXSOFT | VXSQRT | VXCVI
EXCEPTIONS = FX | OX | UX | ZX | XX | VX_ALL  # the bits mcrfs clears
_CLEARS_FR_FI = VXISI | VXIDI | VXZDZ | VXIMZ | VXSQRT | VXCVI | ZX  # not VXSNAN, VXVC
_ENABLE_SHIFT = 22  # OX..XX >> 22 lines up with OE..XE
_MTFS_IGNORED = FEX | VX | 0x800  # summaries mtfsf cannot set, and a reserved bit

ROUND_NEAREST, ROUND_ZERO, ROUND_UP, ROUND_DOWN = 0, 1, 2, 3

# --- double bit patterns -----------------------------------------------------------------------------
SIGN = 1 << 63
EXP_MASK = 0x7FF << 52
FRAC_MASK = (1 << 52) - 1
QUIET = 1 << 51
DEFAULT_NAN = 0x7FF8000000000000
INFINITY = EXP_MASK
ONE = 0x3FF0000000000000
_SINGLE_DROPPED = (1 << 29) - 1  # fraction bits a single-precision value cannot hold


class Format(NamedTuple):
    precision: int  # significand bits, implicit bit included
    emin: int
    emax: int
    rebias: int  # the exponent adjustment of an enabled overflow/underflow


DOUBLE = Format(53, -1022, 1023, 1536)
SINGLE = Format(24, -126, 127, 192)


class Result(NamedTuple):
    bits: int
    flags: int


def from_bits(bits: int) -> float:
    return struct.unpack(">d", struct.pack(">Q", bits))[0]


def is_nan(bits: int) -> bool:
    return bits & EXP_MASK == EXP_MASK and bits & FRAC_MASK != 0


def is_snan(bits: int) -> bool:
    return is_nan(bits) and not bits & QUIET


def is_infinity(bits: int) -> bool:
    return bits & ~SIGN == INFINITY


def is_zero(bits: int) -> bool:
    return bits & ~SIGN == 0


# --- single <-> double without arithmetic (lfs, stfs) --------------------------------------------------


def single_to_double(word: int) -> int:
    """The ISA's DOUBLE(): a single-precision word widened exactly; NaNs keep their payload."""
    sign = (word >> 31) << 63
    exponent, fraction = (word >> 23) & 0xFF, word & 0x7FFFFF
    if exponent == 0xFF:
        return sign | EXP_MASK | fraction << 29
    if exponent == 0:
        if fraction == 0:
            return sign
        shift = 24 - fraction.bit_length()  # normalise the denormal
        return sign | (1023 - 126 - shift) << 52 | (fraction << (shift + 29)) & FRAC_MASK
    return sign | (exponent + 1023 - 127) << 52 | fraction << 29


def double_to_single(bits: int) -> int:
    """The ISA's SINGLE(): a double narrowed by truncation (stfs stores no rounded value)."""
    exponent = (bits >> 52) & 0x7FF
    if exponent > 896:  # normal in single, infinity or NaN
        return ((bits >> 32) & 0xC0000000) | ((bits >> 29) & 0x3FFFFFFF)
    word = (bits >> 32) & 0x80000000
    if exponent >= 874:  # a single-precision denormal
        word |= ((1 << 52) | (bits & FRAC_MASK)) >> (896 + 30 - exponent)
    return word


# --- classification ----------------------------------------------------------------------------------


def fprf(bits: int) -> int:
    """FPRF (C, FL, FG, FE, FU) classifying a double result."""
    negative = bits >> 63
    magnitude = bits & ~SIGN
    if magnitude > INFINITY:
        return 0x11 if bits & QUIET else 0x00
    if magnitude == INFINITY:
        return 0x09 if negative else 0x05
    if magnitude == 0:
        return 0x12 if negative else 0x02
    if magnitude < 1 << 52:
        return 0x18 if negative else 0x14
    return 0x08 if negative else 0x04


def _decompose(bits: int) -> tuple[int, int, int]:
    """A finite double as ``(sign, mantissa, exponent)``: value = (-1)**sign * mantissa * 2**exponent."""
    exponent = (bits >> 52) & 0x7FF
    fraction = bits & FRAC_MASK
    if exponent == 0:
        return bits >> 63, fraction, -1074
    return bits >> 63, fraction | 1 << 52, exponent - 1075


def _encode(sign: int, mantissa: int, exponent: int) -> int:
    """The double holding ``mantissa * 2**exponent`` exactly (it must be representable)."""
    if mantissa == 0:
        return sign << 63
    length = mantissa.bit_length()
    top = exponent + length - 1
    if top < -1022:
        return sign << 63 | mantissa << (exponent + 1074)
    return _encode_normal(sign, mantissa, top)


def _encode_normal(sign: int, mantissa: int, top: int) -> int:
    """A double with significand ``mantissa`` (at most 53 bits) and leading-bit exponent
    ``top``, whose biased exponent keeps only its 11 bits: QEMU packs an exponent-adjusted
    single result that way even when it is out of the double range."""
    return (sign << 63 | ((top + 1023) & 0x7FF) << 52
            | (mantissa << (53 - mantissa.bit_length())) & FRAC_MASK)


# --- rounding -----------------------------------------------------------------------------------------


def _round_off(sign: int, mantissa: int, shift: int, sticky: bool, mode: int) -> tuple[int, bool]:
    """``mantissa >> shift`` rounded in ``mode``; ``sticky`` says nonzero bits lie below the
    mantissa (then ``shift`` must be at least 1). Returns (rounded, inexact)."""
    if shift <= 0:
        return mantissa << -shift, False
    kept = mantissa >> shift
    rest = mantissa & ((1 << shift) - 1)
    inexact = rest != 0 or sticky
    if not inexact:
        return kept, False
    if mode == ROUND_NEAREST:
        half = 1 << (shift - 1)
        up = rest > half or (rest == half and (sticky or kept & 1))
    else:
        up = mode == (ROUND_DOWN if sign else ROUND_UP)
    return kept + up, True


def _overflow(sign: int, mode: int, fmt: Format) -> Result:
    """The overflowed result: infinity, or the largest finite number when rounding toward zero."""
    if mode == ROUND_NEAREST or mode == (ROUND_DOWN if sign else ROUND_UP):
        return Result(sign << 63 | INFINITY, OX | XX)
    return Result(_encode(sign, (1 << fmt.precision) - 1, fmt.emax - fmt.precision + 1), OX | XX)


def round_exact(sign: int, mantissa: int, exponent: int, control: int, fmt: Format,
                sticky: bool = False) -> Result:
    """Round the nonzero exact value ``(-1)**sign * (mantissa + sticky bits) * 2**exponent`` to
    ``fmt`` under ``control`` (the FPSCR: RN, OE, UE). Tininess is detected before rounding; UX
    needs a tiny and inexact result, unless UE=1: then, as with OE=1 for an overflow, the
    result is the rounded value scaled into range by ``fmt.rebias`` (Power ISA, QEMU)."""
    mode = control & RN
    top = exponent + mantissa.bit_length() - 1
    flags = 0
    if top < fmt.emin and control & UE:
        exponent += fmt.rebias
        top += fmt.rebias
        flags = UX
        lsb = top - fmt.precision + 1
    else:
        lsb = max(top, fmt.emin) - fmt.precision + 1
    kept, inexact = _round_off(sign, mantissa, lsb - exponent, sticky, mode)
    if kept >> fmt.precision:  # rounding carried into a new bit
        kept >>= 1
        lsb += 1
    if inexact:
        flags |= XX | (UX if top < fmt.emin else 0)
    result_top = lsb + kept.bit_length() - 1
    if kept and result_top > fmt.emax:
        if not control & OE:
            return _overflow(sign, mode, fmt)
        return Result(_encode_normal(sign, kept, result_top - fmt.rebias), flags | OX)
    if flags & UX and control & UE:
        return Result(_encode_normal(sign, kept, result_top), flags)
    return Result(_encode(sign, kept, lsb), flags)


# --- NaN handling ---------------------------------------------------------------------------------------


def _nan_result(operands: tuple[int, ...], fmt: Format) -> Result:
    """The first NaN among ``operands`` (ordered frA, frB, frC) quieted; VXSNAN if any signals."""
    flags = VXSNAN if any(is_snan(value) for value in operands) else 0
    nan = next(value for value in operands if is_nan(value)) | QUIET
    if fmt is SINGLE:
        nan &= ~_SINGLE_DROPPED
    return Result(nan, flags)


def _any_nan(*operands: int) -> bool:
    return any(value & ~SIGN > INFINITY for value in operands)


def _exact_sum(sign_a, mant_a, exp_a, sign_b, mant_b, exp_b) -> tuple[int, int, int]:
    exponent = min(exp_a, exp_b)
    a = mant_a << (exp_a - exponent)
    b = mant_b << (exp_b - exponent)
    total = (-a if sign_a else a) + (-b if sign_b else b)
    return int(total < 0), abs(total), exponent


def _round_sum(a: tuple, b: tuple, control: int, fmt: Format, negate: int = 0) -> Result:
    """Round the exact sum of two decomposed values, negated first if ``negate``. An exact zero
    keeps the addends' sign if they agree, else it is -0 only when rounding toward minus
    infinity (IEEE 754 6.3)."""
    sign, mantissa, exponent = _exact_sum(*a, *b)
    if mantissa == 0:
        negative = a[0] if a[0] == b[0] else int(control & RN == ROUND_DOWN)
        return Result((negative ^ negate) << 63, 0)
    return round_exact(sign ^ negate, mantissa, exponent, control, fmt)


def add(a: int, b: int, control: int, fmt: Format = DOUBLE) -> Result:
    if a & EXP_MASK == EXP_MASK or b & EXP_MASK == EXP_MASK:  # an infinity or a NaN
        if _any_nan(a, b):
            return _nan_result((a, b), fmt)
        if is_infinity(a) and is_infinity(b) and (a ^ b) & SIGN:
            return Result(DEFAULT_NAN, VXISI)
        return Result(a if is_infinity(a) else b, 0)
    return _round_sum(_decompose(a), _decompose(b), control, fmt)


def subtract(a: int, b: int, control: int, fmt: Format = DOUBLE) -> Result:
    """a - b: a + (-b), where a NaN b propagates with its sign unchanged."""
    return add(a, b if is_nan(b) else b ^ SIGN, control, fmt)


def multiply(a: int, c: int, control: int, fmt: Format = DOUBLE) -> Result:
    sign = (a ^ c) >> 63
    if a & EXP_MASK == EXP_MASK or c & EXP_MASK == EXP_MASK:
        if _any_nan(a, c):
            return _nan_result((a, c), fmt)
        if is_zero(a) or is_zero(c):
            return Result(DEFAULT_NAN, VXIMZ)
        return Result(sign << 63 | INFINITY, 0)
    _, mant_a, exp_a = _decompose(a)
    _, mant_c, exp_c = _decompose(c)
    if mant_a == 0 or mant_c == 0:
        return Result(sign << 63, 0)
    return round_exact(sign, mant_a * mant_c, exp_a + exp_c, control, fmt)


def divide(a: int, b: int, control: int, fmt: Format = DOUBLE) -> Result:
    sign = (a ^ b) >> 63
    if a & EXP_MASK == EXP_MASK or b & EXP_MASK == EXP_MASK:
        if _any_nan(a, b):
            return _nan_result((a, b), fmt)
        if is_infinity(a):
            return Result(DEFAULT_NAN, VXIDI) if is_infinity(b) else Result(sign << 63 | INFINITY, 0)
        return Result(sign << 63, 0)
    _, mant_a, exp_a = _decompose(a)
    _, mant_b, exp_b = _decompose(b)
    if mant_b == 0:
        return Result(DEFAULT_NAN, VXZDZ) if mant_a == 0 else Result(sign << 63 | INFINITY, ZX)
    if mant_a == 0:
        return Result(sign << 63, 0)
    # enough quotient bits that the rounding position lies at least two bits above the sticky bit
    extra = max(0, fmt.precision + 3 + mant_b.bit_length() - mant_a.bit_length())
    quotient, remainder = divmod(mant_a << extra, mant_b)
    return round_exact(sign, quotient, exp_a - exp_b - extra, control, fmt, remainder != 0)


def multiply_add(a: int, c: int, b: int, control: int, fmt: Format = DOUBLE, *,
                 negate_addend: bool = False, negate_result: bool = False) -> Result:
    """±(a * c ± b) rounded once (fmadd, fmsub, fnmadd, fnmsub). As in QEMU the negation of
    the result comes before rounding (so it matters in the directed modes); NaNs keep their
    sign; ∞ × 0 signals VXIMZ (alone) even when b is a NaN, which is then the result."""
    if (is_infinity(a) or is_infinity(c)) and (is_zero(a) or is_zero(c)):
        return Result(_nan_result((b,), fmt).bits if is_nan(b) else DEFAULT_NAN, VXIMZ)
    if _any_nan(a, b, c):
        return _nan_result((a, b, c), fmt)
    if negate_addend:
        b ^= SIGN
    product_sign = (a ^ c) >> 63
    if is_infinity(a) or is_infinity(c):
        if is_infinity(b) and b >> 63 != product_sign:
            return Result(DEFAULT_NAN, VXISI)
        return Result((product_sign ^ negate_result) << 63 | INFINITY, 0)
    if is_infinity(b):
        return Result(b ^ (SIGN if negate_result else 0), 0)
    _, mant_a, exp_a = _decompose(a)
    _, mant_c, exp_c = _decompose(c)
    return _round_sum((product_sign, mant_a * mant_c, exp_a + exp_c), _decompose(b), control, fmt,
                      int(negate_result))


def round_to_single(b: int, control: int) -> Result:
    """frsp: ``b`` rounded to single precision (kept in double format). After an enabled
    overflow or underflow the adjusted exponent may still not fit a single; QEMU then keeps
    its low 8 bits in the single's exponent field, and so does this."""
    if is_nan(b):
        return _nan_result((b,), SINGLE)
    if is_infinity(b) or is_zero(b):
        return Result(b, 0)
    bits, flags = round_exact(*_decompose(b), control, SINGLE)
    if (flags & OX and control & OE) or (flags & UX and control & UE):
        exponent = ((bits >> 52) & 0x7FF) - 1023 + 127
        word = (bits >> 32) & 0x80000000 | (exponent & 0xFF) << 23 | (bits >> 29) & 0x7FFFFF
        bits = single_to_double(word)
    return Result(bits, flags)


def square_root(b: int, control: int, fmt: Format = DOUBLE) -> Result:
    if is_nan(b):
        return _nan_result((b,), fmt)
    if is_zero(b):
        return Result(b, 0)
    if b >> 63:
        return Result(DEFAULT_NAN, VXSQRT)
    if is_infinity(b):
        return Result(b, 0)
    _, mantissa, exponent = _decompose(b)
    extra = 2 * fmt.precision + 4 + (exponent & 1)  # an even exponent, and enough root bits
    root = math.isqrt(mantissa << extra)
    return round_exact(0, root, (exponent - extra) // 2, control, fmt, root * root != mantissa << extra)


def to_int32(b: int, control: int) -> Result:
    """fctiw/fctiwz: the word in the low half, sign-extended as QEMU leaves it; NaN or out of
    range: VXCVI (with VXSNAN for a signalling NaN) and 0x80000000 / the saturated bound."""
    if is_nan(b):
        return Result(0x80000000, VXCVI | (VXSNAN if is_snan(b) else 0))
    sign = b >> 63
    if is_infinity(b):
        value, inexact = 1 << 32, False
    else:
        _, mantissa, exponent = _decompose(b)
        value, inexact = _round_off(sign, mantissa, -exponent, False, control & RN)
    signed = -value if sign else value
    if not -(1 << 31) <= signed < 1 << 31:
        return Result(0xFFFFFFFF80000000 if sign else 0x7FFFFFFF, VXCVI)
    return Result(signed & 0xFFFFFFFFFFFFFFFF, XX if inexact else 0)


def compare(a: int, b: int, ordered: bool) -> tuple[int, int]:
    """fcmpu/fcmpo: (the 4-bit FL/FG/FE/FU code, exception flags)."""
    if _any_nan(a, b):
        flags = VXSNAN if is_snan(a) or is_snan(b) else 0
        return 0x1, flags | (VXVC if ordered else 0)
    x, y = from_bits(a), from_bits(b)
    return (0x8 if x < y else 0x4 if x > y else 0x2), 0


# --- FPSCR updates -------------------------------------------------------------------------------


def enabled(fpscr: int) -> bool:
    """Whether an exception bit in ``fpscr`` has its enable bit set (FEX's definition)."""
    invalid = fpscr & VX and fpscr & VE
    return bool(invalid or (fpscr >> _ENABLE_SHIFT) & fpscr & (OE | UE | ZE | XE))


def signal_invalid(fpscr: int, flags: int) -> int:
    """Record invalid-operation and zero-divide flags, before the target is written. An
    invalid operation other than VXSNAN/VXVC, or a zero divide, clears FR and FI; with VE=0 an
    invalid one makes FPRF "quiet NaN" (C and FU)."""
    flags &= VX_ALL | ZX
    if not flags:
        return fpscr
    fpscr |= flags | FX
    if flags & VX_ALL:
        fpscr |= VX
    if flags & _CLEARS_FR_FI:
        fpscr &= ~(FR | FI)
        if flags & VX_ALL and not fpscr & VE:
            fpscr = (fpscr & ~FPCC) | 0x11 << FPRF_SHIFT
    if invalid_enabled(fpscr, flags):
        fpscr |= FEX
    return fpscr


def signal_status(fpscr: int, flags: int) -> int:
    """Record overflow, underflow and inexact after the target is written; FI = inexact."""
    if flags & OX:
        fpscr |= OX | FX
    elif flags & UX:
        fpscr |= UX | FX
    fpscr = fpscr | XX | FX | FI if flags & XX else fpscr & ~FI
    if status_enabled(fpscr, flags):
        fpscr |= FEX
    return fpscr


def status_enabled(fpscr: int, flags: int) -> bool:
    """Whether one of the status ``flags`` (OX, UX, XX) is enabled in ``fpscr``."""
    return bool((flags & (OX | UX | XX)) >> _ENABLE_SHIFT & fpscr)


def invalid_enabled(fpscr: int, flags: int) -> bool:
    """Whether an invalid-operation or zero-divide flag among ``flags`` is enabled."""
    return bool((flags & VX_ALL and fpscr & VE) or (flags & ZX and fpscr & ZE))


def store(fpscr: int, value: int, mask: int) -> int:
    """mtfsf/mtfsfi/mtfsb*: the ``mask`` bits of ``value`` replace the FPSCR's; VX and FEX are
    recomputed as summaries rather than stored."""
    fpscr = ((value & mask) | (fpscr & ~mask)) & ~_MTFS_IGNORED & 0xFFFFFFFF
    if fpscr & VX_ALL:
        fpscr |= VX
    if enabled(fpscr):
        fpscr |= FEX
    return fpscr
