"""Integer loads and stores (D, update and indexed forms), byte-reversed and multiple-word
accesses, lwarx/stwcx., and the cache-block instructions."""
from __future__ import annotations

from .. import booke
from ..interrupts import GuestInterrupt, privileged
from .bits import MASK32, ra_or_zero, sext, set_cr_field
from .forms import D, X
from .table import instruction, no_code

# --- effective addresses ----------------------------------------------------------------------


def _ea_x(cpu, ra, rb):
    return (ra_or_zero(cpu, ra) + cpu.gpr[rb]) & MASK32


def _valid_update(is_load):
    """Update forms with RA=0 (or RA=RT for loads) are invalid: Program illegal, as in QEMU."""
    return lambda reg, ra, *_: ra != 0 and not (is_load and ra == reg)


def _alignment(ea, store):
    return GuestInterrupt(booke.IVOR_ALIGNMENT, esr=booke.ESR_ST if store else 0, dear=ea)


# --- the load/store table: each row gives the D, D-update, X and X-update forms -------------------


def _byte_reverse(value, size):
    return int.from_bytes(value.to_bytes(size, "big"), "little")


def _register_access(name, transfer, is_load, opcode, xo, update, emit=None):
    """Register a D-form (``opcode``) or X-form (``xo``) access, with or without update;
    ``transfer(cpu, reg, ea)`` moves the data between register ``reg`` and memory. The
    access happens before the base update, so a suppressed access changes nothing."""
    valid = _valid_update(is_load) if update else None
    if opcode is not None and not update:
        @instruction(name, opcode, form=D, emit=emit)
        def semantics(cpu, reg, ra, d):
            transfer(cpu, reg, ((cpu.gpr[ra] if ra else 0) + d) & MASK32)
    elif opcode is not None:
        @instruction(name, opcode, form=D, valid=valid, emit=emit)
        def semantics(cpu, reg, ra, d):
            ea = (cpu.gpr[ra] + d) & MASK32
            transfer(cpu, reg, ea)
            cpu.gpr[ra] = ea
    elif not update:
        @instruction(name, 31, xo, form=X, emit=emit)
        def semantics(cpu, reg, ra, rb, rc):
            transfer(cpu, reg, ((cpu.gpr[ra] if ra else 0) + cpu.gpr[rb]) & MASK32)
    else:
        @instruction(name, 31, xo, form=X, valid=valid, emit=emit)
        def semantics(cpu, reg, ra, rb, rc):
            ea = (cpu.gpr[ra] + cpu.gpr[rb]) & MASK32
            transfer(cpu, reg, ea)
            cpu.gpr[ra] = ea
    semantics.__name__ = name


def _register_load(name, size, extend, opcode, xo, update, emit=None):
    """A load: ``extend(raw)``, if given, turns the loaded bytes into the register value."""
    if extend is None:
        def transfer(cpu, rt, ea):
            cpu.gpr[rt] = cpu.load(ea, size)
    else:
        def transfer(cpu, rt, ea):
            cpu.gpr[rt] = extend(cpu.load(ea, size))
    _register_access(name, transfer, True, opcode, xo, update, emit)


def _register_store(name, size, convert, opcode, xo, update, emit=None):
    """A store of the low ``size`` bytes of RS, or of ``convert(RS)`` if given."""
    if convert is None:
        def transfer(cpu, rs, ea):
            cpu.store(ea, size, cpu.gpr[rs])
    else:
        def transfer(cpu, rs, ea):
            cpu.store(ea, size, convert(cpu.gpr[rs]))
    _register_access(name, transfer, False, opcode, xo, update, emit)


def _ea_expression(ra: int, offset: int | str) -> str:
    """EA = (RA|0) + ``offset`` (a displacement, or an expression of a 32-bit register) as a
    32-bit expression, with no addition or mask where nothing is added (registers hold 32 bits)."""
    if not ra:
        return f"{offset & MASK32:#x}" if isinstance(offset, int) else offset
    if offset == 0:
        return f"g[{ra}]"
    return f"(g[{ra}] + {offset}) & 0xFFFFFFFF"


def _emit_access(size, store, signed, indexed, update):
    """The inline code of a GPR load/store: EA = (RA|0) + D, or + RB when ``indexed``."""
    def emit(e, reg, ra, offset, *_):
        e.access(size, _ea_expression(ra, f"g[{offset}]" if indexed else offset), f"g[{reg}]", store=store,
                 signed=signed, then=(f"g[{ra}] = ea",) if update else ())
    return emit


def _register_basic(name, size, store, signed, opcodes, xos):
    """The D, D-update, X and X-update forms of a plain (zero- or sign-extending) access."""
    register = _register_store if store else _register_load
    convert = (lambda raw: sext(raw, 8 * size)) if signed else None
    for suffix, opcode, xo in (("", opcodes[0], None), ("u", opcodes[1], None),
                               ("x", None, xos[0]), ("ux", None, xos[1])):
        update = "u" in suffix
        register(name + suffix, size, convert, opcode, xo, update,
                 _emit_access(size, store, signed, opcode is None, update))


# name, size, is a store, sign-extends, (D, D-update) opcodes, (X, X-update) extended opcodes
for _row in (
        ("lbz", 1, False, False, (34, 35), (87, 119)),
        ("lhz", 2, False, False, (40, 41), (279, 311)),
        ("lha", 2, False, True, (42, 43), (343, 375)),
        ("lwz", 4, False, False, (32, 33), (23, 55)),
        ("stb", 1, True, False, (38, 39), (215, 247)),
        ("sth", 2, True, False, (44, 45), (407, 439)),
        ("stw", 4, True, False, (36, 37), (151, 183))):
    _register_basic(*_row)

_register_load("lhbrx", 2, lambda raw: _byte_reverse(raw, 2), None, 790, False)
_register_load("lwbrx", 4, lambda raw: _byte_reverse(raw, 4), None, 534, False)
_register_store("sthbrx", 2, lambda value: _byte_reverse(value & 0xFFFF, 2), None, 918, False)
_register_store("stwbrx", 4, lambda value: _byte_reverse(value, 4), None, 662, False)


# --- multiple words: one access, word-aligned or an Alignment interrupt --------------------------


def _emit_multiple(store):
    def emit(e, reg, ra, d):
        e.access_words(_ea_expression(ra, d), reg, store)
    return emit


@instruction("lmw", 46, form=D, emit=_emit_multiple(False))
def lmw(cpu, rt, ra, d):
    ea = (ra_or_zero(cpu, ra) + d) & MASK32
    if ea & 3:
        raise _alignment(ea, False)
    data = cpu.load_bytes(ea, 4 * (32 - rt))
    for n, offset in enumerate(range(0, len(data), 4)):
        cpu.gpr[rt + n] = int.from_bytes(data[offset:offset + 4], "big")


@instruction("stmw", 47, form=D, emit=_emit_multiple(True))
def stmw(cpu, rs, ra, d):
    ea = (ra_or_zero(cpu, ra) + d) & MASK32
    if ea & 3:
        raise _alignment(ea, True)
    cpu.store_bytes(ea, b"".join(value.to_bytes(4, "big") for value in cpu.gpr[rs:]))


# --- reservations ---------------------------------------------------------------------------------


@instruction("lwarx", 31, 20, form=X)
def lwarx(cpu, rt, ra, rb, eh):
    ea = _ea_x(cpu, ra, rb)
    if ea & 3:
        raise _alignment(ea, False)
    value = cpu.load(ea, 4)
    cpu.reservation = (ea, value)
    cpu.gpr[rt] = value


@instruction("stwcx.", 31, 150, form=X)
def stwcx(cpu, rs, ra, rb, rc):
    """Succeeds when the reservation is for this address and the word still holds the value
    lwarx saw (QEMU's model of reservation loss); CR0 = 0b00 || success || SO. The check is
    not an access: only a store that is performed meets the DAC write comparators, and a
    watchpoint that stops it leaves the reservation for the store to succeed when resumed."""
    ea = _ea_x(cpu, ra, rb)
    if ea & 3:
        raise _alignment(ea, True)
    reservation = cpu.reservation
    success = (reservation is not None and reservation[0] == ea
               and cpu.peek(ea, 4) == reservation[1])
    if success:
        cpu.store(ea, 4, cpu.gpr[rs])
    cpu.reservation = None
    set_cr_field(cpu, 0, (2 if success else 0) | cpu.xer >> 31)


# --- cache blocks ---------------------------------------------------------------------------------

LINE = booke.E500MC_CACHE_LINE


def _emit_dcbz(e, _, ra, rb, rc):
    e.zero_bytes(f"({f'g[{ra}] + ' if ra else ''}g[{rb}]) & {MASK32 & ~(LINE - 1):#x}", LINE)


@instruction("dcbz", 31, 1014, form=X, emit=_emit_dcbz)
def dcbz(cpu, _, ra, rb, rc):
    cpu.store_bytes(_ea_x(cpu, ra, rb) & ~(LINE - 1), bytes(LINE))


@instruction("icbi", 31, 982, form=X)
def icbi(cpu, _, ra, rb, rc):
    cpu.invalidate_code_line(_ea_x(cpu, ra, rb))


@instruction("dcbi", 31, 470, form=X)
def dcbi(cpu, _, ra, rb, rc):
    if cpu.msr & booke.MSR_PR:
        raise privileged()


def _register_cache_hint(name, xo):
    """Instructions that only manage caches: no architected effect in the model."""
    @instruction(name, 31, xo, form=X, emit=no_code)
    def semantics(cpu, _, ra, rb, rc):
        return None
    semantics.__name__ = name


for _name, _xo in (("dcbt", 278), ("dcbtst", 246), ("dcbst", 54), ("dcbf", 86), ("dcba", 758),
                   ("icbt", 22), ("dcbtls", 166), ("dcbtstls", 134), ("icbtls", 486),
                   ("dcblc", 390), ("icblc", 230)):
    _register_cache_hint(_name, _xo)
