"""Helpers shared by the instruction families: widths, sign extension, CR and XER fields.

The ``*_source`` functions are the inline-code twins of the helpers above them, for the emit
templates: they return Python source over expressions (strings) instead of computing."""
from __future__ import annotations

MASK32 = 0xFFFFFFFF
XER_SO = 0x80000000
XER_OV = 0x40000000
XER_CA = 0x20000000
XER_WRITABLE = XER_SO | XER_OV | XER_CA | 0x7F  # SO, OV, CA and the string byte count

CR_LT, CR_GT, CR_EQ, CR_SO = 8, 4, 2, 1


def signed32(value: int) -> int:
    """The 32-bit pattern ``value`` as a signed Python int."""
    return (value ^ 0x80000000) - 0x80000000


def signed32_source(expr: str) -> str:
    return f"((({expr}) ^ 0x80000000) - 0x80000000)"


def sext(value: int, bits: int) -> int:
    """Sign-extend the low ``bits`` of ``value`` to a 32-bit pattern."""
    sign = 1 << (bits - 1)
    return (((value & ((sign << 1) - 1)) ^ sign) - sign) & MASK32


def ra_or_zero(cpu, ra: int) -> int:
    """(RA|0): register RA, or 0 when the field is 0."""
    return cpu.gpr[ra] if ra else 0


def set_cr_field(cpu, field: int, value: int) -> None:
    """Set CR field ``field`` (0 = most significant) to the 4-bit ``value``."""
    shift = 28 - 4 * field
    cpu.cr = (cpu.cr & ~(0xF << shift) & MASK32) | (value << shift)


def compare_field(less: bool, greater: bool, cpu) -> int:
    """LT/GT/EQ plus XER[SO], as compare instructions and Rc=1 forms record them."""
    return (CR_LT if less else CR_GT if greater else CR_EQ) | (cpu.xer >> 31)


def compare_field_source(a: str, b: str) -> str:
    """``compare_field`` of ``a < b`` and ``a > b``."""
    return f"(8 if {a} < {b} else 4 if {a} > {b} else 2) | cpu.xer >> 31"


def record_cr0(cpu, result: int) -> None:
    """CR0 for an Rc=1 integer instruction: the signed comparison of ``result`` with 0."""
    cpu.cr = (cpu.cr & 0x0FFFFFFF) | compare_field(result >> 31 == 1, result != 0, cpu) << 28


def sign_field_source(value: str) -> str:
    """``compare_field`` of the signed comparison of ``value`` (a 32-bit name) with 0."""
    return f"(8 if {value} & 0x80000000 else 4 if {value} else 2) | cpu.xer >> 31"


def record_cr0_source(result: str) -> str:
    """The statement ``record_cr0`` of ``result``, a name holding a 32-bit value."""
    return f"cpu.cr = cpu.cr & 0x0FFFFFFF | ({sign_field_source(result)}) << 28"


def cr_bit(cpu, bit: int) -> int:
    """CR bit ``bit`` (0 = most significant)."""
    return (cpu.cr >> (31 - bit)) & 1


def set_overflow(cpu, overflow: bool) -> None:
    """XER[OV] = overflow; XER[SO] |= overflow (the OE=1 forms)."""
    cpu.xer = (cpu.xer | XER_SO | XER_OV) if overflow else (cpu.xer & ~XER_OV & MASK32)


def set_carry(cpu, carry: bool) -> None:
    cpu.xer = (cpu.xer | XER_CA) if carry else (cpu.xer & ~XER_CA & MASK32)


def set_carry_source(condition: str) -> str:
    """The statement ``set_carry`` of ``condition``."""
    return f"cpu.xer = (cpu.xer | 0x20000000) if {condition} else (cpu.xer & 0xDFFFFFFF)"
