"""System instructions: sc, rfi/rfci/rfdi/rfmci, MSR and SPR moves, the time base, traps,
barriers, ehpriv/wait, and the CR-logical XL-form operations."""
from __future__ import annotations

from .. import booke
from ..interrupts import DebugEvent, GuestInterrupt, illegal, privileged
from ..spr import is_privileged
from .bits import MASK32, cr_bit, set_cr_field, signed32
from .forms import D, SC, X, XFX, XL
from .table import instruction, no_code


def _supervisor(cpu):
    if cpu.msr & booke.MSR_PR:
        raise privileged()


@instruction("sc", 17, form=SC)
def sc(cpu):
    raise GuestInterrupt(booke.IVOR_SYSCALL, srr0=cpu.pc + 4)


# --- returns from interrupts --------------------------------------------------------------------


def _register_return(name, xo, save_pc, save_msr):
    """rfi and friends: PC and MSR from a save/restore register pair. With DBCR0[RET] armed
    an rfi is a debug event before it executes (e500: rfci's is implementation dependent;
    here only rfi has one)."""
    @instruction(name, 19, xo, form=XL)
    def semantics(cpu, *_):
        _supervisor(cpu)
        if cpu.debug.return_armed and save_pc == booke.SPR_SRR0:
            raise DebugEvent(booke.DBSR_RET)
        cpu.msr = cpu.sprs[save_msr] & booke.MSR_WRITABLE
        cpu.msr_changed()
        return cpu.sprs[save_pc] & ~3
    semantics.__name__ = name


for _name, _xo, _pc, _msr in (("rfi", 50, booke.SPR_SRR0, booke.SPR_SRR1),
                              ("rfci", 51, booke.SPR_CSRR0, booke.SPR_CSRR1),
                              ("rfdi", 39, booke.SPR_DSRR0, booke.SPR_DSRR1),
                              ("rfmci", 38, booke.SPR_MCSRR0, booke.SPR_MCSRR1)):
    _register_return(_name, _xo, _pc, _msr)


# --- MSR --------------------------------------------------------------------------------------------


@instruction("mfmsr", 31, 83, form=X)
def mfmsr(cpu, rt, ra, rb, rc):
    _supervisor(cpu)
    cpu.gpr[rt] = cpu.msr


@instruction("mtmsr", 31, 146, form=X)
def mtmsr(cpu, rs, ra, rb, rc):
    _supervisor(cpu)
    cpu.msr = cpu.gpr[rs] & booke.MSR_WRITABLE
    cpu.msr_changed()
    cpu.translation_context_changed()      # MSR[IS, DS, PR] choose the translation


@instruction("wrtee", 31, 131, form=X)
def wrtee(cpu, rs, ra, rb, rc):
    _supervisor(cpu)
    cpu.msr = (cpu.msr & ~booke.MSR_EE) | (cpu.gpr[rs] & booke.MSR_EE)
    cpu.msr_changed()


@instruction("wrteei", 31, 163, form=X)
def wrteei(cpu, rs, ra, rb, rc):
    """The E bit (bit 16) lands in the rb field's most significant bit."""
    _supervisor(cpu)
    cpu.msr = (cpu.msr & ~booke.MSR_EE) | (booke.MSR_EE if rb & 0x10 else 0)
    cpu.msr_changed()


# --- SPRs and the time base ---------------------------------------------------------------------------


def _spr_access(cpu, spr, direction):
    """The accessor for mfspr/mtspr: privileged SPRs need MSR[PR]=0, unmodelled ones are illegal."""
    if is_privileged(spr) and cpu.msr & booke.MSR_PR:
        raise privileged()
    access = cpu.spr_accessor(spr)
    accessor = None if access is None else access[direction]
    if accessor is None:
        cpu.note_unmodelled_spr(spr, bool(direction))
        raise illegal()
    return accessor


_MOVED_INLINE = {booke.SPR_LR: "lr", booke.SPR_CTR: "ctr"}   # plain attributes: no accessor needed
_TIME_BASE = (booke.SPR_TBL_R, booke.SPR_TBU_R)   # the time-base halves, readable in user mode


def _emit_time_base(e, rt, spr):
    """A read of a time-base half inline (a delay loop reads it on every pass)."""
    e.line(f"g[{rt}] = cpu.timers.read_spr({spr}, {e.exact_count()})")


def _emit_move(to_gpr):
    """mfspr/mtspr of LR and CTR, and mfspr of the time base, inline; other SPRs through the
    semantics and their accessor."""
    def emit(e, reg, spr, rc):
        if to_gpr and spr in _TIME_BASE:
            return _emit_time_base(e, reg, spr)
        attribute = _MOVED_INLINE.get(spr)
        if attribute is None:
            return e.call()
        e.line(f"g[{reg}] = cpu.{attribute}" if to_gpr else f"cpu.{attribute} = g[{reg}]")
    return emit


@instruction("mfspr", 31, 339, form=XFX, reserved=1, emit=_emit_move(True))
def mfspr(cpu, rt, spr, rc):
    """Rc=1 is an invalid form (``reserved``): illegal before any privilege check, as in QEMU."""
    cpu.gpr[rt] = _spr_access(cpu, spr, 0)(cpu)


@instruction("mtspr", 31, 467, form=XFX, emit=_emit_move(False))
def mtspr(cpu, rs, spr, rc):
    """QEMU ignores Rc here."""
    _spr_access(cpu, spr, 1)(cpu, cpu.gpr[rs])


@instruction("mftb", 31, 371, form=XFX, reserved=1, emit=lambda e, rt, tbr, rc: _emit_time_base(e, rt, tbr),
             valid=lambda rt, tbr, rc: tbr in _TIME_BASE)
def mftb(cpu, rt, tbr, rc):
    """Rc=1 and time-base numbers other than TBL/TBU are invalid forms: illegal, as in QEMU."""
    cpu.gpr[rt] = _spr_access(cpu, tbr, 0)(cpu)


# --- traps ------------------------------------------------------------------------------------------


def _trap(cpu, to, a, b):
    """tw/twi: trap when any TO condition holds; with DBCR0[TRAP] armed it is a debug event."""
    sa, sb = signed32(a), signed32(b)
    if ((to & 0x10 and sa < sb) or (to & 0x08 and sa > sb) or (to & 0x04 and a == b)
            or (to & 0x02 and a < b) or (to & 0x01 and a > b)):
        if cpu.trap_armed:
            raise DebugEvent(booke.DBSR_TIE)
        raise GuestInterrupt(booke.IVOR_PROGRAM, esr=booke.ESR_PTR)


@instruction("tw", 31, 4, form=X)
def tw(cpu, to, ra, rb, rc):
    _trap(cpu, to, cpu.gpr[ra], cpu.gpr[rb])


@instruction("twi", 3, form=D)
def twi(cpu, to, ra, si):
    _trap(cpu, to, cpu.gpr[ra], si & MASK32)


# --- barriers and hints (no effect on a single in-order core) ------------------------------------------


def _register_no_op(name, opcode, xo, form):
    @instruction(name, opcode, xo, form=form, registers_only=True, emit=no_code)
    def semantics(cpu, *_):
        return None
    semantics.__name__ = name


for _name, _opcode, _xo, _form in (("sync", 31, 598, X), ("mbar", 31, 854, X), ("isync", 19, 150, XL)):
    _register_no_op(_name, _opcode, _xo, _form)


@instruction("wait", 31, 62, form=X)
def wait(cpu, *_):
    """Wait for an interrupt: time skips ahead to the next timer event (``Cpu.wait_for_interrupt``)."""
    return cpu.wait_for_interrupt()


@instruction("ehpriv", 31, 270, form=X)
def ehpriv(cpu, *_):
    """Without a hypervisor, ehpriv (other than the configured debug word) is illegal."""
    raise illegal()


# --- CR logical and mcrf ------------------------------------------------------------------------------


def _register_cr_logical(name, xo, operation):
    @instruction(name, 19, xo, form=XL, registers_only=True)
    def semantics(cpu, bt, ba, bb, _):
        bit = operation(cr_bit(cpu, ba), cr_bit(cpu, bb)) & 1
        shift = 31 - bt
        cpu.cr = (cpu.cr & ~(1 << shift) & MASK32) | (bit << shift)
    semantics.__name__ = name


for _name, _xo, _operation in (("crand", 257, lambda a, b: a & b), ("cror", 449, lambda a, b: a | b),
                               ("crxor", 193, lambda a, b: a ^ b), ("crnand", 225, lambda a, b: ~(a & b)),
                               ("crnor", 33, lambda a, b: ~(a | b)), ("creqv", 289, lambda a, b: ~(a ^ b)),
                               ("crandc", 129, lambda a, b: a & ~b), ("crorc", 417, lambda a, b: a | ~b)):
    _register_cr_logical(_name, _xo, _operation)


@instruction("mcrf", 19, 0, form=XL, registers_only=True)
def mcrf(cpu, bf, bfa, _, __):
    set_cr_field(cpu, bf >> 2, (cpu.cr >> (28 - 4 * (bfa >> 2))) & 0xF)
