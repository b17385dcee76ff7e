"""``KVM_SET_GUEST_DEBUG`` for booke, as merged: program the stub's debug registers."""
from __future__ import annotations

import errno

from ..vcpu import booke
from ..vcpu.debugregs import DebugRegs
from .abi import (KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP,
                  KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_EXTENSIONS, KVMPPC_DEBUG_NONE, KVMPPC_DEBUG_OUTSIDE,
                  KVMPPC_DEBUG_RANGE, KVMPPC_DEBUG_VALID_TYPES, KVMPPC_DEBUG_VALUE, KVMPPC_DEBUG_WATCH_READ,
                  KVMPPC_DEBUG_WATCH_WRITE, UNUSED_BREAKPOINT, BreakpointSpec, GuestDebug)
from .profiles import CoreProfile


class GuestDebugError(Exception):
    """The request cannot be programmed (``errno`` EINVAL); nothing was changed."""

    def __init__(self, message: str, code: int = errno.EINVAL):
        super().__init__(message)
        self.errno = code


def compute_debug_regs(dbg: GuestDebug, profile: CoreProfile) -> DebugRegs:
    """The registers ``dbg`` asks for, or GuestDebugError (slots exhausted, unknown type, a
    range or value compare the core cannot hold)."""
    regs = DebugRegs()
    if not dbg.control & KVM_GUESTDBG_ENABLE:
        return regs
    if dbg.control & KVM_GUESTDBG_SINGLESTEP:
        regs.dbcr0 |= booke.DBCR0_IDM | booke.DBCR0_IC
    if dbg.events & ~booke.DBCR0_EVENTS:
        raise GuestDebugError(f"unknown debug events {dbg.events:#x}")
    if dbg.events:
        regs.dbcr0 |= booke.DBCR0_IDM | dbg.events
    if not profile.hv:
        regs.dbcr1 = booke.DBCR1_IAC1US | booke.DBCR1_IAC2US | booke.DBCR1_IAC3US | booke.DBCR1_IAC4US
        regs.dbcr2 = booke.DBCR2_DAC1US | booke.DBCR2_DAC2US
    if not dbg.control & KVM_GUESTDBG_USE_HW_BP:
        return regs
    iac = dac = 0
    entries = iter(dbg.bp[:profile.iac_slots + profile.dac_slots])
    for bp in entries:
        if bp.type == KVMPPC_DEBUG_NONE:
            continue
        if bp.type & ~(KVMPPC_DEBUG_VALID_TYPES | KVMPPC_DEBUG_EXTENSIONS):
            raise GuestDebugError(f"unknown breakpoint type {bp.type:#x}")
        if bp.type & KVMPPC_DEBUG_BREAKPOINT and bp.type & KVMPPC_DEBUG_RANGE:
            _program_iac_range(regs, bp.type, bp.addr, next(entries, UNUSED_BREAKPOINT).addr, iac, profile)
            iac = 2
        elif bp.type & KVMPPC_DEBUG_RANGE:
            _program_dac_range(regs, bp.type, bp.addr, next(entries, UNUSED_BREAKPOINT).addr, dac, profile)
            dac = profile.dac_slots
        elif bp.type & KVMPPC_DEBUG_BREAKPOINT:
            if iac >= profile.iac_slots:
                raise GuestDebugError(f"all {profile.iac_slots} IAC slots are in use")
            regs.iac[iac] = bp.addr & 0xFFFFFFFC
            regs.dbcr0 |= booke.DBCR0_IDM | booke.DBCR0_IAC[iac]
            iac += 1
        else:
            if dac >= profile.dac_slots:
                raise GuestDebugError(f"all {profile.dac_slots} DAC slots are in use")
            regs.dac[dac] = bp.addr & 0xFFFFFFFF
            regs.dbcr0 |= booke.DBCR0_IDM
            if bp.type & KVMPPC_DEBUG_VALUE:
                _program_value_compare(regs, bp, dac, profile)
            if bp.type & KVMPPC_DEBUG_WATCH_READ:
                regs.dbcr0 |= booke.DBCR0_DACR[dac]
            if bp.type & KVMPPC_DEBUG_WATCH_WRITE:
                regs.dbcr0 |= booke.DBCR0_DACW[dac]
            dac += 1
    return regs


def _program_iac_range(regs: DebugRegs, kind: int, start: int, end: int, used: int, profile: CoreProfile) -> None:
    """IAC1/IAC2 as the range [start, end), or with OUTSIDE everything but it, IAC1's event."""
    if not profile.iac_range:
        raise GuestDebugError(f"the {profile.name} core has no IAC range mode")
    if used:
        raise GuestDebugError("an IAC range needs IAC1 and IAC2")
    if not start < end <= 0xFFFFFFFF:
        raise GuestDebugError(f"no IAC range from {start:#x} to {end:#x}")
    regs.iac[0], regs.iac[1] = start & 0xFFFFFFFC, end & 0xFFFFFFFC
    regs.dbcr0 |= booke.DBCR0_IDM | booke.DBCR0_IAC1
    regs.dbcr1 |= booke.DBCR1_IAC12MX if kind & KVMPPC_DEBUG_OUTSIDE else booke.DBCR1_IAC12M


def _program_value_compare(regs: DebugRegs, bp: BreakpointSpec, slot: int, profile: CoreProfile) -> None:
    """DVCn = ``bp.value`` compared in AND mode over ``bp.lanes`` beside DACn."""
    if not profile.dvc:
        raise GuestDebugError(f"the {profile.name} core has no data value compare (DVC)")
    if not 0 < bp.lanes <= 0xF or not 0 <= bp.value <= 0xFFFFFFFF:
        raise GuestDebugError(f"no value compare of {bp.value:#x} in byte lanes {bp.lanes:#x}")
    mode, lanes = booke.DBCR2_DVCM[slot], booke.DBCR2_DVCBE[slot]
    regs.dvc[slot] = bp.value
    regs.dbcr2 |= (booke.DVC_AND * (mode & -mode)) | (bp.lanes * (lanes & -lanes))


def _program_dac_range(regs: DebugRegs, kind: int, start: int, end: int, used: int, profile: CoreProfile) -> None:
    """DAC1/DAC2 as the range [start, end) for the watch types in ``kind``."""
    if kind & KVMPPC_DEBUG_VALUE or not kind & (KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE):
        raise GuestDebugError(f"breakpoint type {kind:#x}: no value compare over a DAC range")
    if not profile.dac_range:
        raise GuestDebugError(f"the {profile.name} core has no DAC range mode")
    if used:
        raise GuestDebugError("a DAC range needs both DACs")
    if not start < end <= 0xFFFFFFFF:
        raise GuestDebugError(f"no DAC range from {start:#x} to {end:#x}")
    regs.dac[0], regs.dac[1] = start, end
    regs.dbcr0 |= booke.DBCR0_IDM
    if kind & KVMPPC_DEBUG_WATCH_READ:
        regs.dbcr0 |= booke.DBCR0_DAC1R
    if kind & KVMPPC_DEBUG_WATCH_WRITE:
        regs.dbcr0 |= booke.DBCR0_DAC1W
    regs.dbcr2 |= booke.DBCR2_DAC12M


def set_guest_debug(regs: DebugRegs, dbg: GuestDebug, profile: CoreProfile) -> None:
    """Program ``regs`` (the stub's shadow set) from ``dbg``; all or nothing."""
    new = compute_debug_regs(dbg, profile)
    regs.dbcr0, regs.dbcr1, regs.dbcr2 = new.dbcr0, new.dbcr1, new.dbcr2
    regs.iac[:] = new.iac
    regs.dac[:] = new.dac
    regs.dvc[:] = new.dvc
