"""The debug exit: DBSR decoded into ``{address, status}`` as merged ``kvmppc_handle_debug``."""
from __future__ import annotations

from ..vcpu import booke
from ..vcpu.debugregs import DebugRegs
from .abi import KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_WATCH_READ, KVMPPC_DEBUG_WATCH_WRITE, DebugExit


def decode_debug_exit(dbsr: int, regs: DebugRegs, pc: int) -> DebugExit:
    """BREAKPOINT for an IAC hit; WATCH_WRITE over WATCH_READ for a DAC hit, with the DAC
    value as the address; status 0 and the PC for single steps, software breakpoints and
    the address-less events (named in ``events``)."""
    if dbsr & booke.DBSR_EVENTS:
        return DebugExit(pc, 0, dbsr & booke.DBSR_EVENTS)
    if dbsr & booke.DBSR_IAC_ANY:
        return DebugExit(pc, KVMPPC_DEBUG_BREAKPOINT)
    status = 0
    if dbsr & (booke.DBSR_DAC1W | booke.DBSR_DAC2W):
        status = KVMPPC_DEBUG_WATCH_WRITE
    elif dbsr & (booke.DBSR_DAC1R | booke.DBSR_DAC2R):
        status = KVMPPC_DEBUG_WATCH_READ
    address = pc
    if dbsr & (booke.DBSR_DAC1R | booke.DBSR_DAC1W):
        address = regs.dac[0]
    elif dbsr & (booke.DBSR_DAC2R | booke.DBSR_DAC2W):
        address = regs.dac[1]
    return DebugExit(address, status)
