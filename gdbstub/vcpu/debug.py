"""The debug facility of one core: which debug registers are in use, the host's hooks, and
the comparators' decisions (what is armed, which IAC/DAC matches an address).

The run loop (``executor.py``) asks it what is armed and reports events to ``host``; translated
code is specialised for the armed comparator addresses (``translation_key``).

DAC1 and DAC2 compare exact addresses, or together the range DAC1 <= address < DAC2 when
DBCR2[DAC12M] selects the inclusive range mode (DAC1's enables, DAC1's events); translated code
checks the byte ranges its key lists. The other DAC12M modes (address mask, exclusive range)
are not modelled. IAC1 and IAC2 likewise compare exact addresses or, with DBCR1[IAC12M], the
inclusive range IAC1 <= PC < IAC2 or the exclusive one (PC outside it); a range match raises
the events of whichever of IAC1/IAC2 DBCR0 enables. With DBCR2[DVCnM] (the 440's data value
compare) DACn matches only when the data of the access also matches DVCn in the enabled byte
lanes.

Some events need a look at every instruction that translated code does not take
(``per_instruction``): IC, a taken branch (BRT), a return from interrupt (RET), an IAC range,
a value compare. While one is armed the run loop interprets, so translated code stays exact.
The interrupt-taken event (IRPT) comes from interrupt entry (``Cpu.deliver_interrupt``) and
the trap event from tw/twi, on both paths.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from . import booke
from .debugregs import DebugHost, DebugRegs
from .translate import NO_DEBUG, DebugKey

_IAC_ENABLES = booke.DBCR0_IAC1 | booke.DBCR0_IAC2 | booke.DBCR0_IAC3 | booke.DBCR0_IAC4
_DAC_ENABLES = booke.DBCR0_DAC1R | booke.DBCR0_DAC1W | booke.DBCR0_DAC2R | booke.DBCR0_DAC2W


def dac_range(regs: DebugRegs) -> tuple[int, int] | None:
    """``(DAC1, DAC2)`` if the DACs compare the inclusive range [DAC1, DAC2)."""
    if regs.dbcr2 & booke.DBCR2_DAC12MODE == booke.DBCR2_DAC12M:
        return regs.dac[0], regs.dac[1]
    return None


def iac_range(regs: DebugRegs) -> tuple[int, int, bool] | None:
    """``(IAC1, IAC2, exclusive)`` if DBCR1[IAC12M] makes IAC1/IAC2 a range (exclusive: the
    addresses outside [IAC1, IAC2) match)."""
    mode = regs.dbcr1 & booke.DBCR1_IAC12MODE
    if mode in (booke.DBCR1_IAC12M, booke.DBCR1_IAC12MX):
        return regs.iac[0] & ~3, regs.iac[1] & ~3, mode == booke.DBCR1_IAC12MX
    return None


def dvc_compare(regs: DebugRegs, slot: int) -> tuple[int, int] | None:
    """``(mode, byte enables)`` of DVCn for DAC slot ``slot``, None if it compares no value."""
    mode_mask, lanes_mask = booke.DBCR2_DVCM[slot], booke.DBCR2_DVCBE[slot]
    mode = (regs.dbcr2 & mode_mask) >> ((mode_mask & -mode_mask).bit_length() - 1)
    lanes = (regs.dbcr2 & lanes_mask) >> ((lanes_mask & -lanes_mask).bit_length() - 1)
    return (mode, lanes) if mode and lanes else None


def _value_matches(regs: DebugRegs, slot: int, ea: int, data: bytes | None) -> bool:
    """DVCn against the bytes of the access that lie in the word holding DACn: byte lane i
    (lane 0 the most significant byte) is the byte at address word + i. An enabled lane the
    access does not touch does not match (a partial store never matches a wider value)."""
    mode, lanes = dvc_compare(regs, slot)
    if data is None:
        return False
    word = regs.dac[slot] & ~3
    dvc = regs.dvc[slot].to_bytes(4, "big")
    equal = []   # per enabled lane: does the access's byte there equal DVCn's?
    for lane in range(4):
        if lanes & (8 >> lane):
            offset = word + lane - ea
            equal.append(0 <= offset < len(data) and data[offset] == dvc[lane])
    if mode == booke.DVC_AND:
        return all(equal)
    if mode == booke.DVC_OR:
        return any(equal)
    half = len(equal) // 2 or 1      # AND-OR: all of one half (halfword) of the enabled lanes
    return all(equal[:half]) or all(equal[half:])


def _privilege_allows(regs: DebugRegs, msr: int, control: int, us_mask: int) -> bool:
    """DBCR1 IACnUS / DBCR2 DACnUS: 0b10 supervisor only, 0b11 user only, else both."""
    mode = (control & us_mask) >> ((us_mask & -us_mask).bit_length() - 1)
    user = regs.guest_in_user_mode or bool(msr & booke.MSR_PR)
    if mode == 0b10:
        return not user
    if mode == 0b11:
        return user
    return True


@dataclass(frozen=True)
class SavedDebug:
    guest: DebugRegs                # a copy of the guest's registers
    host_set: DebugRegs | None      # the host's own set when it was active (the object) ...
    host_contents: DebugRegs | None  # ... and a copy of what it held
    skip_checks_at: int | None


class DebugFacility:
    """``active`` is the register set the comparators use: ``guest_regs`` unless a host swaps
    in its own. ``skip_checks_at``: the PC whose next execution skips the comparators once
    (a host left the PC on an instruction whose "before" event it handled)."""

    def __init__(self):
        self.guest_regs = DebugRegs()
        self.active = self.guest_regs
        self.host: DebugHost | None = None
        self.instruction = booke.EHPRIV_DEBUG
        self.skip_checks_at: int | None = None
        self.dac_access: tuple[int, int] = (0, 0)   # (address, size) of the access a DAC last matched
        self.interrupt_taken: int | None = None    # the IVOR of the last interrupt-taken event
        self.rearm()

    def rearm(self) -> DebugKey:
        """Re-derive what is armed from ``active``; the key translated code must match."""
        regs = self.active
        control = regs.dbcr0 if regs.dbcr0 & booke.DBCR0_IDM else 0
        self.iac_armed = bool(control & _IAC_ENABLES)
        self.dac_armed = bool(control & _DAC_ENABLES)
        self.trap_armed = bool(control & booke.DBCR0_TRAP)
        self.ic_armed = bool(control & booke.DBCR0_IC)
        self.branch_armed = bool(control & booke.DBCR0_BT)
        self.return_armed = bool(control & booke.DBCR0_RET)
        self.interrupt_armed = bool(control & booke.DBCR0_IRPT)
        self.range_armed = self.iac_armed and iac_range(regs) is not None
        self.dvc_armed = self.dac_armed and any(dvc_compare(regs, slot) for slot in range(2))
        self.per_instruction = (self.ic_armed or self.branch_armed or self.return_armed
                                or self.range_armed or self.dvc_armed)
        self.armed = bool(control & (_IAC_ENABLES | _DAC_ENABLES | booke.DBCR0_IC | booke.DBCR0_EVENTS))
        if not (self.iac_armed or self.dac_armed) or self.per_instruction:
            return NO_DEBUG
        span = dac_range(regs)
        watched = [span] if span else [(regs.dac[0], regs.dac[0] + 1), (regs.dac[1], regs.dac[1] + 1)]
        return DebugKey(frozenset(regs.iac[slot] & ~3 for slot in range(4) if control & booke.DBCR0_IAC[slot]),
                        tuple(bytes_ for slot, bytes_ in enumerate(watched) if control & booke.DBCR0_DACR[slot]),
                        tuple(bytes_ for slot, bytes_ in enumerate(watched) if control & booke.DBCR0_DACW[slot]))

    def dac_hits(self, ea: int, size: int, write: bool, msr: int, data: bytes | None = None) -> int:
        """DBSR bits of the armed DACs that an access of ``size`` bytes at ``ea`` matches (a DAC
        address among the bytes accessed, or in range mode any byte in the range; with a value
        compare, ``data``, the bytes stored or loaded, must match too); the access is kept in
        ``dac_access``, which a debugger would learn by decoding the instruction."""
        regs = self.active
        enables, events = ((booke.DBCR0_DACW, booke.DBSR_DACW) if write
                           else (booke.DBCR0_DACR, booke.DBSR_DACR))
        span = dac_range(regs)
        bits = 0
        for slot in range(1 if span else 2):
            low, high = span or (regs.dac[slot], regs.dac[slot] + 1)
            if (regs.dbcr0 & enables[slot] and ea < high and low < ea + size
                    and _privilege_allows(regs, msr, regs.dbcr2, booke.DBCR2_DACUS[slot])
                    and (span or not self.dvc_armed or not dvc_compare(regs, slot)
                         or _value_matches(regs, slot, ea, data))):
                bits |= events[slot]
        if bits:
            self.dac_access = (ea, size)
        return bits

    def iac_hits(self, pc: int, msr: int) -> int:
        """DBSR bits of the armed IACs that match an instruction at ``pc``."""
        regs = self.active
        span = self.range_armed and iac_range(regs)
        bits = 0
        for slot in range(4):
            if span and slot < 2:
                low, high, exclusive = span
                matches = (low <= pc < high) != exclusive
            else:
                matches = pc == regs.iac[slot] & ~3
            if (regs.dbcr0 & booke.DBCR0_IAC[slot] and matches
                    and _privilege_allows(regs, msr, regs.dbcr1, booke.DBCR1_IACUS[slot])):
                bits |= booke.DBSR_IAC[slot]
        return bits

    def branch_recognised(self, msr: int) -> bool:
        """BRT events are not recognised while MSR[DE]=0 (EREF: they would flood DBSR[IDE]);
        a host's own set sees the guest run with DE forced on, as KVM runs it (MSRP[DEP])."""
        return self.active is not self.guest_regs or bool(msr & booke.MSR_DE)

    def save(self) -> SavedDebug:
        host_set = None if self.active is self.guest_regs else self.active
        return SavedDebug(_copy(self.guest_regs), host_set, host_set and _copy(host_set), self.skip_checks_at)

    def restore(self, saved: SavedDebug) -> None:
        """The saved contents go back into the register objects themselves: the host keeps
        references to its own set."""
        _fill(self.guest_regs, saved.guest)
        self.active = self.guest_regs
        if saved.host_set is not None:
            _fill(saved.host_set, saved.host_contents)
            self.active = saved.host_set
        self.skip_checks_at = saved.skip_checks_at


def _copy(regs: DebugRegs) -> DebugRegs:
    return replace(regs, iac=list(regs.iac), dac=list(regs.dac), dvc=list(regs.dvc))


def _fill(target: DebugRegs, source: DebugRegs) -> None:
    target.dbcr0, target.dbcr1, target.dbcr2, target.dbsr = source.dbcr0, source.dbcr1, source.dbcr2, source.dbsr
    target.iac[:], target.dac[:], target.dvc[:] = source.iac, source.dac, source.dvc
    target.guest_in_user_mode = source.guest_in_user_mode
