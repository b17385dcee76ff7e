"""The guest's own single step (DBCR0[IC]) as Linux's ptrace uses it, with and without the stub
debugging the machine: the event is recognised only for an instruction that began with
MSR[DE] = 1 (the EREF's instruction-complete rule) also when the stub's register set is active
and the guest's IC is merged into it and re-injected."""
from __future__ import annotations

import signal

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.machine import THREAD, Machine
from gdbstub.target import BreakpointStop, GuestExited, PointKind, SignalStop
from gdbstub.vcpu import booke

# Linux's way: the kernel (DE = 0) sets DBCR0[IDM|IC] and returns into the stepped program with
# an rfi whose SRR1 sets DE. The Debug handler (IVOR15) counts its entries in r20, keeps the
# DSRR0 of the first in r24, and returns with DE off in DSRR1, so the program runs on unstepped.
# r5 counts the program's instructions; the halt at ``done`` exits with 7.
LINUX_STYLE_STEP_ASM = """
    .globl _start
_start:
    lis     10, 0x0010
    mtspr   63, 10
    li      11, dbg_handler - _start
    mtspr   415, 11
    li      20, 0
    li      24, 0
    li      5, 0
    lis     13, 0x4800              # DBCR0: IDM | IC
    mtspr   308, 13
    lis     9, program@ha
    addi    9, 9, program@l
    mtspr   26, 9
    mfmsr   9
    ori     9, 9, 0x200             # MSR[DE] from the rfi on
    mtspr   27, 9
    rfi
program:
    addi    5, 5, 1
    addi    5, 5, 1
    addi    5, 5, 1
done:
    li      3, 7
    lis     4, 0xe00e
    li      6, 2
    stw     6, 0xb0(4)
1:  b       1b
    .balign 16
dbg_handler:
    cmpwi   20, 0
    addi    20, 20, 1
    bne     2f
    mfspr   24, 574
2:  mfspr   16, 304
    mtspr   304, 16
    mfspr   17, 575
    rlwinm  17, 17, 0, 23, 21       # DSRR1 without DE: no further steps
    mtspr   575, 17
    rfdi
unused:
    nop
"""


@pytest.fixture(scope="module")
def step_elf():
    return build_asm(LINUX_STYLE_STEP_ASM, name="hwdebug-guest-single-step")


@pytest.mark.parametrize("stub_point", [False, True], ids=["guest-alone", "stub-iac-armed"])
def test_the_guests_step_after_an_rfi_that_sets_de_stops_one_instruction_on(step_elf, stub_point):
    """The rfi that sets DE is no step: the first Debug interrupt comes after the program's
    first instruction (DSRR0 one instruction on). With the stub holding IAC1 (on code that never
    runs), the guest's IC lives on in the stub's set and must follow the same rule: judged by
    the MSR after the rfi, the guest stopped at the program's entry without moving, as Linux's
    ptrace child did under gdb."""
    m = Machine(step_elf)
    if stub_point:
        m.insert_point(PointKind.HARDWARE, m.elf.symbols["unused"], 4)
    m.resume(THREAD, step=False)
    assert m.run(100_000) == GuestExited(THREAD, 7)
    if stub_point:
        assert m.cpu.active_debug is not m.cpu.guest_debug_regs, "the stub's set was active"
    assert m.cpu.gpr[24] == m.elf.symbols["program"] + 4
    assert (m.cpu.gpr[20], m.cpu.gpr[5]) == (1, 3)


def test_the_stubs_own_step_still_counts_every_instruction(step_elf):
    """KVM forces MSR[DE] while it debugs: the stub's single step stops after the rfi too,
    which began with DE = 0 (at the program's entry), and the guest sees no event of it."""
    m = Machine(step_elf)
    rfi = m.elf.symbols["program"] - 4
    m.insert_point(PointKind.HARDWARE, rfi, 4)
    m.resume(THREAD, step=False)
    assert m.run(100_000) == BreakpointStop(THREAD, PointKind.HARDWARE, rfi)
    m.remove_point(PointKind.HARDWARE, rfi, 4)
    m.resume(THREAD, step=True)
    assert m.run(100_000) == SignalStop(THREAD, signal.SIGTRAP)
    assert m.cpu.pc == m.elf.symbols["program"] and m.cpu.gpr[20] == 0
    assert not m.cpu.guest_debug_regs.dbsr & booke.DBSR_IC
