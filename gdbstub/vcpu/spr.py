"""The special-purpose registers the vCPU models: how each one is read and written.

``spr_table(iac_slots)`` maps SPR numbers (as in mfspr/mtspr) to ``Spr(read, write)``
accessors; a ``None`` accessor means that direction does not exist (the instruction is
illegal). The read and write aliases (SPRG3/4-7, TBL/TBU) are separate entries over the same
storage. Privilege follows the SPR number: bit 0x10 set means supervisor only (checked by
mfspr/mtspr). Accessors see the vCPU only through :class:`SprContext`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, NamedTuple, Protocol

from . import booke
from .isa.bits import MASK32, XER_WRITABLE

from . import booke_timers
from . import mmu

if TYPE_CHECKING:
    from .booke_timers import BookeTimers
    from .debugregs import DebugRegs


class SprContext(Protocol):
    """What SPR accessors may touch: SPR storage, the SPRs kept as registers, the timers (at
    the instruction count, with the notice that they changed), the TLB model (machines with the
    BookE MMU) and the guest's debug registers (with the notice that they changed)."""
    sprs: dict[int, int]
    ivors_installed: set[int]
    xer: int
    lr: int
    ctr: int
    icount: int
    timers: BookeTimers
    tlb: mmu.Mmu | None
    guest_debug_regs: DebugRegs

    def guest_debug_written(self) -> None:
        """The guest changed ``guest_debug_regs`` (its comparators may need re-arming)."""

    def timers_changed(self) -> None:
        """A timer register changed: interrupt levels and the next timer event may differ."""

    def translation_context_changed(self) -> None:
        """PID changed: translations made under the old one no longer apply."""


class UnknownSpr(KeyError):
    """The debugger named an SPR the vCPU does not model (in that direction)."""


class Spr(NamedTuple):
    read: Callable[[SprContext], int] | None
    write: Callable[[SprContext, int], None] | None


def is_privileged(spr: int) -> bool:
    return bool(spr & 0x10)


def ivor_spr(ivor: int) -> int:
    """The SPR number holding IVOR ``ivor`` (0-15, 32-37, 38-42; Linux ``reg_booke.h``)."""
    if ivor < 16:
        return booke.SPR_IVOR0 + ivor
    if ivor < 38:
        return booke.SPR_IVOR32 + ivor - 32
    return booke.SPR_IVOR38 + ivor - 38


IVORS = (*range(16), *range(32, 43))

# SPRs that are plain storage: number -> writable mask
_STORED = {
    **{n: MASK32 for n in (booke.SPR_SRR0, booke.SPR_SRR1, booke.SPR_CSRR0, booke.SPR_CSRR1,
                           booke.SPR_DSRR0, booke.SPR_DSRR1, booke.SPR_MCSRR0, booke.SPR_MCSRR1,
                           booke.SPR_DEAR, booke.SPR_ESR, booke.SPR_PIR, booke.SPR_USPRG0,
                           booke.SPR_HID1, booke.SPR_L1CSR2, booke.SPR_BUCSR, booke.SPR_MCAR,
                           booke.SPR_SPRG8, booke.SPR_SPRG9)},
    **{booke.SPR_SPRG0 + n: MASK32 for n in range(8)},
    booke.SPR_IVPR: 0xFFFF0000,
}
_WRITE_ONLY: set[int] = set()
# cache control registers: number -> the command bits that clear themselves at once (the
# invalidation or lock clearing is done the moment it is asked for; software polls for 0)
_SELF_CLEARING = {booke.SPR_L1CSR0: booke.L1CSR_CFI | booke.L1CSR_CLFC,
                  booke.SPR_L1CSR1: booke.L1CSR_CFI | booke.L1CSR_CLFC,
                  booke.SPR_L2CSR0: booke.L2CSR0_L2FI | booke.L2CSR0_L2LFC}
_READ_ONLY_STORED = (booke.SPR_EPR,)   # written by the core only (EPR: interrupt acknowledge)
# read-only aliases: SPR number read -> storage number
_READ_ALIASES = {booke.SPR_SPRG3_R: booke.SPR_SPRG0 + 3,
                 **{booke.SPR_SPRG4_R + n: booke.SPR_SPRG0 + 4 + n for n in range(4)}}
_CONSTANT = {booke.SPR_PVR: booke.PVR_E500MC, booke.SPR_SVR: booke.SVR_E500MC,
             booke.SPR_L1CFG0: booke.L1CFG_E500MC, booke.SPR_L1CFG1: booke.L1CFG_E500MC}
_MMU_STORED = (mmu.SPR_MAS0, mmu.SPR_MAS1, mmu.SPR_MAS2, mmu.SPR_MAS3, mmu.SPR_MAS4, mmu.SPR_MAS6,
               mmu.SPR_MAS7)


def _stored(number: int, mask: int) -> Spr:
    def write(cpu: SprContext, value: int) -> None:
        cpu.sprs[number] = value & mask
    return Spr(None if number in _WRITE_ONLY else (lambda cpu: cpu.sprs[number]), write)


def _ivor(ivor: int) -> Spr:
    number = ivor_spr(ivor)

    def write(cpu: SprContext, value: int) -> None:
        cpu.sprs[number] = value & 0xFFF0
        cpu.ivors_installed.add(ivor)
    return Spr(lambda cpu: cpu.sprs[number], write)


def _attribute(name: str, mask: int) -> Spr:
    return Spr(lambda cpu: getattr(cpu, name), lambda cpu, value: setattr(cpu, name, value & mask))


def _debug_field(name: str, mask: int = MASK32) -> Spr:
    def write(cpu: SprContext, value: int) -> None:
        setattr(cpu.guest_debug_regs, name, value & mask)
        cpu.guest_debug_written()
    return Spr(lambda cpu: getattr(cpu.guest_debug_regs, name), write)


def _debug_slot(name: str, index: int) -> Spr:
    def write(cpu: SprContext, value: int) -> None:
        getattr(cpu.guest_debug_regs, name)[index] = value & 0xFFFFFFFC if name == "iac" else value & MASK32
        cpu.guest_debug_written()
    return Spr(lambda cpu: getattr(cpu.guest_debug_regs, name)[index], write)


def _write_dbsr(cpu: SprContext, value: int) -> None:
    cpu.guest_debug_regs.dbsr &= ~value & MASK32


def _self_clearing(number: int, command_bits: int) -> Spr:
    def write(cpu: SprContext, value: int) -> None:
        cpu.sprs[number] = value & ~command_bits
    return Spr(lambda cpu: cpu.sprs[number], write)


def _write_one_to_clear(number: int) -> Spr:
    def write(cpu: SprContext, value: int) -> None:
        cpu.sprs[number] &= ~value & MASK32
    return Spr(lambda cpu: cpu.sprs[number], write)


def _timer(number: int) -> Spr:
    """A register of ``booke_timers`` (TB halves, DEC, DECAR, TSR, TCR) in each direction it has."""
    def read(cpu: SprContext) -> int:
        return cpu.timers.read_spr(number, cpu.icount)

    def write(cpu: SprContext, value: int) -> None:
        cpu.timers.write_spr(number, value, cpu.icount)
        cpu.timers_changed()
    return Spr(read if number in booke_timers.READABLE_SPRS else None,
               write if number in booke_timers.WRITABLE_SPRS else None)


def _write_hid0(cpu: SprContext, value: int) -> None:
    cpu.sprs[booke.SPR_HID0] = value
    cpu.timers.set_timebase_enabled(bool(value & booke_timers.HID0_TBEN), cpu.icount)
    cpu.timers_changed()


def _write_pid(cpu: SprContext, value: int) -> None:
    cpu.sprs[booke.SPR_PID] = value & 0xFF
    cpu.translation_context_changed()


def _write_mmucsr0(cpu: SprContext, value: int) -> None:
    cpu.tlb.write_mmucsr0(value)


def _mmu_sprs() -> dict[int, Spr]:
    """The MMU registers of a core with the BookE MMU (``cpu.tlb``)."""
    table = {number: _stored(number, mmu.MAS_WRITABLE[number]) for number in _MMU_STORED}
    table.update({number: Spr(lambda cpu, v=value: v, None) for number, value in mmu.CONFIGURATION.items()})
    table[mmu.SPR_MMUCSR0] = Spr(lambda cpu: 0, _write_mmucsr0)
    return table


class SprTable(dict):
    """SPR number -> ``Spr``; and ``unmodelled_noted``, the (PC, SPR) places where a guest used
    an SPR the table lacks that were logged (``Cpu.note_unmodelled_spr``: once each)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.unmodelled_noted: set[tuple[int, int]] = set()


def spr_table(iac_slots: int, booke_mmu: bool = False) -> SprTable:
    """Every SPR of an e500mc with ``iac_slots`` instruction address comparators (2 or 4), with
    the MMU registers if ``booke_mmu``."""
    table = SprTable({number: _stored(number, mask) for number, mask in _STORED.items()})
    table.update({number: _self_clearing(number, bits) for number, bits in _SELF_CLEARING.items()})
    table.update({number: Spr(lambda cpu, n=number: cpu.sprs[n], None) for number in _READ_ONLY_STORED})
    table[booke.SPR_MCSR] = _write_one_to_clear(booke.SPR_MCSR)
    table[booke.SPR_HID0] = Spr(lambda cpu: cpu.sprs[booke.SPR_HID0], _write_hid0)
    table[booke.SPR_PID] = Spr(lambda cpu: cpu.sprs[booke.SPR_PID], _write_pid)
    table.update({number: _timer(number) for number in booke_timers.READABLE_SPRS | booke_timers.WRITABLE_SPRS})
    if booke_mmu:
        table.update(_mmu_sprs())
    table.update({number: Spr(lambda cpu, n=storage: cpu.sprs[n], None)
                  for number, storage in _READ_ALIASES.items()})
    table.update({number: Spr(lambda cpu, v=value: v, None) for number, value in _CONSTANT.items()})
    table.update({ivor_spr(ivor): _ivor(ivor) for ivor in IVORS})
    dbcr0_mask = MASK32 if iac_slots == 4 else MASK32 & ~(booke.DBCR0_IAC3 | booke.DBCR0_IAC4)
    table.update({
        booke.SPR_XER: _attribute("xer", XER_WRITABLE),
        booke.SPR_LR: _attribute("lr", MASK32),
        booke.SPR_CTR: _attribute("ctr", MASK32),
        booke.SPR_DBCR0: _debug_field("dbcr0", dbcr0_mask),
        booke.SPR_DBCR1: _debug_field("dbcr1"),
        booke.SPR_DBCR2: _debug_field("dbcr2"),
        booke.SPR_DBSR: Spr(lambda cpu: cpu.guest_debug_regs.dbsr, _write_dbsr),
        booke.SPR_DAC1: _debug_slot("dac", 0), booke.SPR_DAC2: _debug_slot("dac", 1),
    })
    table.update({booke.SPR_IAC1 + n: _debug_slot("iac", n) for n in range(iac_slots)})
    return table


def initial_storage() -> dict[int, int]:
    """Reset values of the stored SPRs: zero but HID0, whose TBEN is set (the time base runs
    from reset, as on QEMU, which does not gate it; clearing TBEN stops it)."""
    return {**{number: 0 for number in (*_STORED, *_SELF_CLEARING, *_READ_ONLY_STORED, *_MMU_STORED,
                                        booke.SPR_MCSR, booke.SPR_PID)},
            **{ivor_spr(ivor): 0 for ivor in IVORS}, booke.SPR_HID0: booke_timers.HID0_TBEN}
