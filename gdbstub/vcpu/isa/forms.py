"""Instruction forms: where each field sits in a 32-bit word, and how wide the extended opcode is.

Bit positions follow the field layout of the PowerPC/Power ISA books (bit 0 is the MSB).
Each form's ``extract(word)`` returns the argument tuple passed to a semantics function after
``cpu``; signed immediates are already sign-extended (as Python ints).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Form:
    """``xo_mask`` selects the extended-opcode bits of ``(word >> 1) & 0x3ff``; None: primary only."""
    name: str
    xo_mask: int | None
    extract: Callable[[int], tuple]


def _signed(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value ^ sign) - sign


def _rt(w): return (w >> 21) & 31
def _ra(w): return (w >> 16) & 31
def _rb(w): return (w >> 11) & 31
def _rc_field(w): return (w >> 6) & 31


I = Form("I", None, lambda w: (_signed(w & 0x03FFFFFC, 26), (w >> 1) & 1, w & 1))
"""b: (offset, aa, lk)"""
B = Form("B", None, lambda w: (_rt(w), _ra(w), _signed(w & 0xFFFC, 16), (w >> 1) & 1, w & 1))
"""bc: (bo, bi, offset, aa, lk)"""
SC = Form("SC", None, lambda w: ())
"""sc: ()"""
D = Form("D", None, lambda w: (_rt(w), _ra(w), _signed(w & 0xFFFF, 16)))
"""addi, lwz, stw, lfd, ...: (rt/rs/frt, ra, signed d)"""
DU = Form("DU", None, lambda w: (_rt(w), _ra(w), w & 0xFFFF))
"""ori, andi., cmpli, ...: (rs/rt, ra, unsigned immediate); for logical ops rs is the first field"""
M = Form("M", None, lambda w: (_rt(w), _ra(w), _rb(w), (w >> 6) & 31, (w >> 1) & 31, w & 1))
"""rlwinm, rlwnm, rlwimi: (rs, ra, rb/sh, mb, me, rc)"""
X = Form("X", 0x3FF, lambda w: (_rt(w), _ra(w), _rb(w), w & 1))
"""X-form: (rt/rs/frt/bf<<2|l/to, ra, rb, rc)"""
XO = Form("XO", 0x1FF, lambda w: (_rt(w), _ra(w), _rb(w), (w >> 10) & 1, w & 1))
"""XO-form arithmetic: (rt, ra, rb, oe, rc); registered for both OE values"""
A = Form("A", 0x1F, lambda w: (_rt(w), _ra(w), _rb(w), _rc_field(w), w & 1))
"""A-form: (frt, fra, frb, frc, rc); isel: (rt, ra, rb, bc, _)"""
XL = Form("XL", 0x3FF, lambda w: (_rt(w), _ra(w), _rb(w), w & 1))
"""XL-form: bclr/bcctr (bo, bi, _, lk); CR logical (bt, ba, bb, _); rfi/isync ignore them"""
XFX = Form("XFX", 0x3FF, lambda w: (_rt(w), ((w >> 16) & 31) | ((w >> 11) & 31) << 5, w & 1))
"""mfspr/mtspr/mftb: (rt/rs, spr number, rc) with the split SPR field already reassembled"""
XFX_CR = Form("XFX_CR", 0x3FF, lambda w: (_rt(w), (w >> 12) & 0xFF, (w >> 20) & 1))
"""mfcr/mtcrf: (rt/rs, fxm, one-field flag of mfocrf/mtocrf)"""
