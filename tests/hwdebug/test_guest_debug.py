"""set_guest_debug against a table of control/bp inputs, and the debug-exit decode."""
from __future__ import annotations

import pytest

from gdbstub.hwdebug.abi import (KVM_GUESTDBG_ENABLE as EN, KVM_GUESTDBG_SINGLESTEP as SS,
                                 KVM_GUESTDBG_USE_HW_BP as HW, KVM_GUESTDBG_USE_SW_BP as SW,
                                 KVMPPC_DEBUG_BREAKPOINT as BP, KVMPPC_DEBUG_WATCH_READ as RD,
                                 KVMPPC_DEBUG_WATCH_WRITE as WR, BreakpointSpec, DebugExit, GuestDebug)
from gdbstub.hwdebug.exit import decode_debug_exit
from gdbstub.hwdebug.guest_debug import GuestDebugError, set_guest_debug
from gdbstub.hwdebug.profiles import E500MC, E500V2, PPC440
from gdbstub.vcpu import booke as b
from gdbstub.vcpu.debugregs import DebugRegs

PR_DBCR1 = b.DBCR1_IAC1US | b.DBCR1_IAC2US | b.DBCR1_IAC3US | b.DBCR1_IAC4US
PR_DBCR2 = b.DBCR2_DAC1US | b.DBCR2_DAC2US


def request(control, *points):
    dbg = GuestDebug(control=control)
    for slot, (addr, kind) in enumerate(points):
        dbg.bp[slot] = BreakpointSpec(addr, kind)
    return dbg


# (profile, control, points) -> (dbcr0, dbcr1, dbcr2, iac, dac)
TABLE = [
    (E500MC, 0, [(0x1000, BP)], (0, 0, 0, [0, 0, 0, 0], [0, 0])),
    (E500MC, EN, [(0x1000, BP)], (0, 0, 0, [0, 0, 0, 0], [0, 0])),           # no USE_HW_BP
    (E500MC, EN | SW, [], (0, 0, 0, [0, 0, 0, 0], [0, 0])),
    (E500MC, EN | SS, [], (b.DBCR0_IDM | b.DBCR0_IC, 0, 0, [0, 0, 0, 0], [0, 0])),
    (E500MC, EN | HW, [(0x1000, BP), (0x2004, BP)],
     (b.DBCR0_IDM | b.DBCR0_IAC1 | b.DBCR0_IAC2, 0, 0, [0x1000, 0x2004, 0, 0], [0, 0])),
    (E500MC, EN | HW, [(0x3000, WR), (0x3004, RD)],
     (b.DBCR0_IDM | b.DBCR0_DAC1W | b.DBCR0_DAC2R, 0, 0, [0, 0, 0, 0], [0x3000, 0x3004])),
    (E500MC, EN | HW, [(0x3000, RD | WR)],
     (b.DBCR0_IDM | b.DBCR0_DAC1R | b.DBCR0_DAC1W, 0, 0, [0, 0, 0, 0], [0x3000, 0])),
    (E500MC, EN | HW, [(0, 0), (0x1000, BP), (0x3000, WR)],                   # NONE entries are skipped
     (b.DBCR0_IDM | b.DBCR0_IAC1 | b.DBCR0_DAC1W, 0, 0, [0x1000, 0, 0, 0], [0x3000, 0])),
    (E500MC, EN | HW | SS, [(0x1000, BP), (0x3000, RD), (0x1010, BP), (0x3010, WR)],
     (b.DBCR0_IDM | b.DBCR0_IC | b.DBCR0_IAC1 | b.DBCR0_IAC2 | b.DBCR0_DAC1R | b.DBCR0_DAC2W, 0, 0,
      [0x1000, 0x1010, 0, 0], [0x3000, 0x3010])),
    (E500V2, EN, [], (0, PR_DBCR1, PR_DBCR2, [0, 0, 0, 0], [0, 0])),           # PR: user-only on any enable
    (E500V2, EN | HW, [(0x1000, BP)],
     (b.DBCR0_IDM | b.DBCR0_IAC1, PR_DBCR1, PR_DBCR2, [0x1000, 0, 0, 0], [0, 0])),
    (PPC440, EN | HW, [(0x10, BP), (0x20, BP), (0x30, BP), (0x40, BP)],
     (b.DBCR0_IDM | b.DBCR0_IAC1 | b.DBCR0_IAC2 | b.DBCR0_IAC3 | b.DBCR0_IAC4, PR_DBCR1, PR_DBCR2,
      [0x10, 0x20, 0x30, 0x40], [0, 0])),
]


@pytest.mark.parametrize("profile, control, points, expected", TABLE)
def test_set_guest_debug_table(profile, control, points, expected):
    regs = DebugRegs(dbcr0=0xFFFFFFFF, dbcr1=0x1, dbcr2=0x1, iac=[9, 9, 9, 9], dac=[9, 9])
    set_guest_debug(regs, request(control, *points), profile)
    assert (regs.dbcr0, regs.dbcr1, regs.dbcr2, regs.iac, regs.dac) == expected


ERRORS = [
    (E500MC, [(0x10, BP), (0x20, BP), (0x30, BP)]),            # third IAC on e500mc
    (E500MC, [(0x10, WR), (0x20, RD), (0x30, RD | WR)]),       # third DAC
    (PPC440, [(0x10, BP), (0x20, BP), (0x30, BP), (0x40, BP), (0x50, BP)]),  # fifth IAC on 440
    (E500MC, [(0x10, 0x10)]),                                 # unknown type bit
    (E500MC, [(0x10, BP | 0x1)]),                             # a valid bit plus an unknown one
]


@pytest.mark.parametrize("profile, points", ERRORS)
def test_errors_leave_registers_untouched(profile, points):
    before = DebugRegs(dbcr0=b.DBCR0_IDM | b.DBCR0_IAC1, iac=[0x500, 0, 0, 0])
    regs = DebugRegs(dbcr0=before.dbcr0, iac=list(before.iac))
    with pytest.raises(GuestDebugError) as info:
        set_guest_debug(regs, request(EN | HW, *points), profile)
    assert info.value.errno == 22
    assert regs == before


def test_disable_clears_everything_it_set():
    regs = DebugRegs()
    set_guest_debug(regs, request(EN | HW | SS, (0x1000, BP), (0x3000, WR)), E500V2)
    set_guest_debug(regs, request(0, (0x1000, BP)), E500V2)
    assert regs == DebugRegs()


PC = 0x100040
DACS = DebugRegs(dac=[0x3000, 0x4000])


@pytest.mark.parametrize("dbsr, expected", [
    (b.DBSR_IAC1, DebugExit(PC, BP)),
    (b.DBSR_IAC2 | b.DBSR_DAC1W, DebugExit(PC, BP)),          # IAC wins
    (b.DBSR_DAC1R, DebugExit(0x3000, RD)),
    (b.DBSR_DAC1W, DebugExit(0x3000, WR)),
    (b.DBSR_DAC2R | b.DBSR_DAC2W, DebugExit(0x4000, WR)),      # write over read
    (b.DBSR_DAC2R, DebugExit(0x4000, RD)),
    (b.DBSR_IC, DebugExit(PC, 0)),
    (0, DebugExit(PC, 0)),
])
def test_debug_exit_decode(dbsr, expected):
    assert decode_debug_exit(dbsr, DACS, PC) == expected
