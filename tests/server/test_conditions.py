"""Breakpoint conditions evaluated in the stub (issue 21 item 1): a hit whose conditions are all
false resumes at once and reaches nobody; a true one, or one the stub cannot evaluate, stops."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.machine import THREAD, Machine
from gdbstub.target import BreakpointStop, PointKind

COUNTER = """
    .globl _start
_start:
    li      5, 0
    lis     6, count@ha
loop:
    addi    5, 5, 1
    stw     5, count@l(6)
    cmpwi   5, 1000
    blt     loop
    lis     31, 0xe00e
    li      30, 2
    stw     30, 0xb0(31)
    .data
    .globl count
count:
    .long   0
"""

R5_IS_700 = bytes.fromhex("260005 2302bc 13 27")                 # reg 5 == 700


def _count_is(n: int, address: int) -> bytes:
    return bytes.fromhex(f"24{address:08x} 19 23{n:04x} 13 27")   # *(u32 *)address == n


@pytest.fixture
def machine():
    m = Machine(build_asm(COUNTER, name="conditions"))
    m.loop = m.elf.symbols["loop"]
    return m


def _continue(m: Machine):
    m.resume(THREAD, step=False)
    for _ in range(100):
        stop = m.run(10_000)
        if stop is not None:
            return stop
    raise AssertionError("no stop")


@pytest.mark.parametrize("kind", [PointKind.HARDWARE, PointKind.SOFTWARE])
def test_a_false_condition_runs_on_and_a_true_one_stops(machine, kind):
    machine.insert_point(kind, machine.loop, 4, conditions=[R5_IS_700])
    assert _continue(machine) == BreakpointStop(THREAD, kind, machine.loop)
    assert machine.cpu.gpr[5] == 700
    assert (machine.conditions_evaluated, machine.conditions_false) == (701, 700)
    assert "evaluated here 701 times, 700 false" in machine.monitor("debug")


def test_conditions_read_memory_and_any_true_one_stops(machine):
    count = machine.elf.symbols["count"]
    machine.insert_point(PointKind.HARDWARE, machine.loop, 4,
                         conditions=[_count_is(900, count), _count_is(300, count)])
    assert _continue(machine) == BreakpointStop(THREAD, PointKind.HARDWARE, machine.loop)
    assert machine.cpu.gpr[5] == 300


def test_new_conditions_replace_the_old_and_removing_the_point_drops_them(machine):
    machine.insert_point(PointKind.HARDWARE, machine.loop, 4, conditions=[R5_IS_700])
    machine.insert_point(PointKind.HARDWARE, machine.loop, 4, conditions=[_count_is(5, machine.elf.symbols["count"])])
    _continue(machine)
    assert machine.cpu.gpr[5] == 5
    machine.remove_point(PointKind.HARDWARE, machine.loop, 4)
    machine.resume(THREAD, step=True)                 # off the hbreak, as gdb steps off it
    while machine.run(10) is None:
        pass
    machine.insert_point(PointKind.HARDWARE, machine.loop, 4)
    _continue(machine)
    assert machine.cpu.gpr[5] == 6


def test_a_condition_the_stub_cannot_evaluate_leaves_the_breakpoint_unconditional(machine):
    tracing = bytes.fromhex("260005 0d04 27")            # trace_quick: gdb evaluates it itself
    machine.insert_point(PointKind.HARDWARE, machine.loop, 4, conditions=[tracing])
    _continue(machine)
    assert machine.cpu.gpr[5] == 0 and machine.conditions_evaluated == 0


def test_a_step_that_meets_a_conditional_breakpoint_stops_without_evaluating_it(machine):
    machine.insert_point(PointKind.HARDWARE, machine.loop, 4, conditions=[R5_IS_700])
    _continue(machine)
    machine.resume(THREAD, step=True)              # the IAC fires again before the instruction
    while (stop := machine.run(10)) is None:
        pass
    assert stop == BreakpointStop(THREAD, PointKind.HARDWARE, machine.loop)
    assert machine.cpu.gpr[5] == 700 and machine.conditions_evaluated == 701
