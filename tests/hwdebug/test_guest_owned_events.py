"""The guest's own debug events as Linux's ptrace uses them (a single step, a DAC watchpoint on
the traced program), with and without the stub debugging the machine: the kernel (MSR[DE] = 0)
arms DBCR0 and returns into the program with an rfi that sets DE. Under the stub the guest's
settings are merged into the stub's register set and their events re-injected; they must then
behave as they do on bare hardware."""
from __future__ import annotations

import signal

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.machine import THREAD, Machine
from gdbstub.target import BreakpointStop, GuestExited, PointKind, SignalStop
from gdbstub.vcpu import booke


def linux_style(*, dbcr0: int, setup: str = "") -> str:
    """``setup`` then DBCR0 = ``dbcr0`` with DE = 0, and an rfi (DE on) into ``program``, which
    counts in r5 and stores r5 to ``watched`` at ``store``; the halt at ``done`` exits with 7.
    The Debug handler (IVOR15) counts its entries in r20, keeps DSRR0, DBSR and DAC1 of the
    first in r24-r26, clears DBCR0 and DBSR and returns with rfdi."""
    return f"""
    .globl _start
_start:
    lis     10, 0x0010
    mtspr   63, 10
    li      11, dbg_handler - _start
    mtspr   415, 11
    li      20, 0
    li      24, 0
    li      5, 0
    lis     12, watched@ha
    addi    12, 12, watched@l
{setup}
    lis     13, {dbcr0 >> 16:#x}
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
store:
    stw     5, 0(12)
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
    mfspr   25, 304
    mfspr   26, 316
2:  li      15, 0
    mtspr   308, 15
    mfspr   16, 304
    mtspr   304, 16
    rfdi
unused:
    nop
    .data
watched:
    .long 0
other:
    .long 0
"""


@pytest.fixture(scope="module")
def step_elf():
    return build_asm(linux_style(dbcr0=booke.DBCR0_IDM | booke.DBCR0_IC), name="hwdebug-guest-step")


@pytest.fixture(scope="module")
def watch_elf():
    return build_asm(linux_style(dbcr0=booke.DBCR0_IDM | booke.DBCR0_DAC1W, setup="    mtspr   316, 12"),
                     name="hwdebug-guest-watch")


def finish(m: Machine) -> None:
    m.resume(THREAD, step=False)
    assert m.run(100_000) == GuestExited(THREAD, 7)


def arm_stub_points(m: Machine) -> None:
    """An hbreak and a one-byte write watchpoint of the stub's that never fire (IAC1, DAC1: a
    wider one would take both DACs as a range)."""
    m.insert_point(PointKind.HARDWARE, m.elf.symbols["unused"], 4)
    m.insert_point(PointKind.WATCH_WRITE, m.elf.symbols["other"], 1)


@pytest.mark.parametrize("stub_points", [False, True], ids=["guest-alone", "stub-points-armed"])
def test_the_guests_step_after_an_rfi_that_sets_de_stops_one_instruction_on(step_elf, stub_points):
    """The rfi that sets DE is no step (the EREF: an IC event needs DE when the instruction
    begins): the first Debug interrupt comes after the program's first instruction. Under the
    stub the guest's merged IC must follow the guest's DE too: judged as the stub's own (every
    instruction), the program stopped at its entry without moving, as Linux's ptrace child did
    under gdb with an hbreak armed."""
    m = Machine(step_elf)
    if stub_points:
        arm_stub_points(m)
    finish(m)
    if stub_points:
        assert m.cpu.active_debug is not m.cpu.guest_debug_regs, "the stub's set was active"
    assert m.cpu.gpr[24] == m.elf.symbols["program"] + 4
    assert m.cpu.gpr[25] & booke.DBSR_IC
    assert (m.cpu.gpr[20], m.cpu.gpr[5]) == (1, 3)


@pytest.mark.parametrize("stub_points", [False, True], ids=["guest-alone", "stub-points-armed"])
def test_the_guests_watchpoint_fires_before_the_store_also_beside_the_stubs(watch_elf, stub_points):
    """Linux's PPC_PTRACE_SETHWDEBUG takes DAC1, as gdb's first watchpoint does: with the stub
    holding DAC1 the guest's comparator lives on in the free DAC2, and its event reaches the
    guest under its own slot (DBSR[DAC1W], DAC1 its own address), the store suppressed."""
    m = Machine(watch_elf)
    if stub_points:
        arm_stub_points(m)
    finish(m)
    watched = m.elf.symbols["watched"]
    assert m.cpu.gpr[20] == 1, "the guest's handler ran once"
    assert m.cpu.gpr[24] == m.elf.symbols["store"], "before the store"
    assert m.cpu.gpr[25] & (booke.DBSR_DAC1W | booke.DBSR_DAC2W) == booke.DBSR_DAC1W
    assert m.cpu.gpr[26] == watched
    assert int.from_bytes(m.cpu.read_memory(watched, 4), "big") == 2, "then the store completed"


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
