"""``Machine.foreseen_stop``: when it names a step's stop in advance (the session then replies
before stepping), the step must end in exactly that stop, whatever the points, the guest's own
debug state, its interrupt handlers and the instruction under the PC."""
from __future__ import annotations

import signal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdbstub.guests.build import build_asm
from gdbstub.machine import THREAD, Machine
from gdbstub.target import PointKind, PointRefused, SignalStop
from gdbstub.vcpu import booke
from gdbstub.vcpu.isa import touches_only_registers
from gdbstub.vcpu.isa.table import registered

GUEST = """
    .globl _start
_start:
    nop
    nop
    .balign 256
    .globl data
data:
    .long 0, 0, 0, 0
"""
RAM = 4 << 20
ADDI = 0x38630001                       # addi 3,3,1
RISKY = [0x80830000, 0x90830000,        # lwz/stw 4,0(3): DAC, data storage
         0x7FE00008, 0x44000002,        # tw 31,0,0 (trap), sc
         0x7C600124, 0x7C7443A6,        # mtmsr 3, mtspr DBCR0,3
         booke.EHPRIV_DEBUG, 0x4C000064,  # the software breakpoint word, rfi
         0x4E800420, 0xFC00002A]        # bctr, fadd
REGISTERS_ONLY = sorted(word for word, encoding in registered() if touches_only_registers(encoding.semantics))
GUEST_DBCR0 = [0, booke.DBCR0_IDM | booke.DBCR0_IC, booke.DBCR0_IDM | booke.DBCR0_IAC1,
               booke.DBCR0_IDM | booke.DBCR0_IAC1 | booke.DBCR0_IAC2 | booke.DBCR0_IC,
               booke.DBCR0_IDM | booke.DBCR0_DAC1R | booke.DBCR0_DAC1W | booke.DBCR0_TRAP]
HANDLED = [booke.IVOR_DEBUG, booke.IVOR_PROGRAM, booke.IVOR_DATA_STORAGE, booke.IVOR_SYSCALL,
           booke.IVOR_FP_UNAVAILABLE]


@pytest.fixture(scope="module")
def guest_elf():
    return build_asm(GUEST, name="foreseen")


def machine_at(elf, word: int) -> tuple[Machine, int]:
    machine = Machine(elf, ram_size=RAM)
    pc = machine.cpu.pc
    machine.write_memory(THREAD, pc, word.to_bytes(4, "big"))
    return machine, pc


words = st.one_of(st.sampled_from(RISKY), st.integers(0, 0xFFFFFFFF),
                  st.builds(lambda template, fields: template | fields & 0x03FFF801,
                            st.sampled_from(REGISTERS_ONLY), st.integers(0, 0x03FFFFFF)))
points = st.lists(st.tuples(st.sampled_from(PointKind), st.sampled_from(["pc", "next", "data"])), max_size=4)


@settings(max_examples=300, deadline=None)
@given(word=words, points=points, guest_dbcr0=st.sampled_from(GUEST_DBCR0),
       guest_iac=st.sampled_from(["pc", "next"]), handled=st.sets(st.sampled_from(HANDLED)),
       msr=st.sampled_from([0, booke.MSR_DE, booke.MSR_PR, booke.MSR_DE | booke.MSR_PR | booke.MSR_FP]),
       r3_is_data=st.booleans(), step=st.booleans())
def test_a_foreseen_step_ends_as_foreseen(guest_elf, word, points, guest_dbcr0, guest_iac, handled, msr,
                                          r3_is_data, step):
    """(A continue is never foreseen: then an IC event is the guest's own.)"""
    machine, pc = machine_at(guest_elf, word)
    cpu, data = machine.cpu, machine.elf.symbols["data"]
    where = {"pc": pc, "next": pc + 4, "data": data}
    cpu.gpr[3] = data if r3_is_data else 0x7FFFFFF0
    cpu.msr = msr
    for ivor in handled:
        cpu.write_spr(booke.SPR_IVOR0 + ivor, 0x800)
    guest = cpu.guest_debug_regs
    guest.dbcr0, guest.iac[0], guest.iac[1], guest.dac[0] = guest_dbcr0, where[guest_iac], pc + 8, data
    for kind, place in points:
        try:
            machine.insert_point(kind, where[place], 4)
        except PointRefused:
            pass
    machine.resume(THREAD, step=step)
    foreseen = machine.foreseen_stop(THREAD)
    stop = machine.run(1)
    assert foreseen is None or stop == foreseen, (hex(word), foreseen, stop)


def test_a_registers_only_instruction_with_points_elsewhere_is_foreseen(guest_elf):
    machine, pc = machine_at(guest_elf, ADDI)
    machine.insert_point(PointKind.HARDWARE, pc + 4, 4)
    machine.insert_point(PointKind.WATCH_WRITE, machine.elf.symbols["data"], 4)
    machine.resume(THREAD, step=True)
    plain_step = SignalStop(THREAD, signal.SIGTRAP)
    assert machine.foreseen_stop(THREAD) == plain_step
    assert machine.run(1) == plain_step and machine.cpu.pc == pc + 4


@pytest.mark.parametrize("kind", [PointKind.SOFTWARE, PointKind.HARDWARE])
def test_a_point_at_the_pc_is_not_foreseen(guest_elf, kind):
    """Hardware: the IAC fires first. Software: the step runs with the breakpoint lifted."""
    machine, pc = machine_at(guest_elf, ADDI)
    machine.insert_point(kind, pc, 4)
    machine.resume(THREAD, step=True)
    assert machine.foreseen_stop(THREAD) is None


def test_a_continue_or_an_exited_guest_is_not_foreseen(guest_elf):
    machine, _ = machine_at(guest_elf, ADDI)
    machine.cpu.guest_debug_regs.dbcr0 = booke.DBCR0_IDM | booke.DBCR0_IC   # the guest steps itself
    machine.resume(THREAD, step=False)
    assert machine.foreseen_stop(THREAD) is None
    assert machine.run(1) is None
    machine, _ = machine_at(guest_elf, ADDI)
    machine.write_memory(THREAD, 0xE00E00B0, (2).to_bytes(4, "big"))   # the debugger halts the guest
    assert machine.run(1).status == machine.guest_exit.status
    machine.resume(THREAD, step=True)
    assert machine.foreseen_stop(THREAD) is None
