"""The vCPU's own attributes stay few enough for CPython to keep them inline in the instance.

CPython 3.11 stores up to 29 attributes of an instance in line, where an attribute read or
write specialises to the cheapest path; from the 30th on, the instance gets a dict and every
``cpu.pc``, ``cpu.icount``, ``cpu.gpr`` of the interpreter and of translated code goes through it
(the interpreter ran 6 % slower with 30: docs/performance.md). What a ``Cpu`` needs beyond
that lives with its parts (the code cache, the executor, the SPR table).
"""
from __future__ import annotations

import platform

import pytest

from gdbstub.boards import ppce500
from gdbstub.machine import THREAD, Machine

from .conftest import snippet_elf
from .test_translate import DATA_BESIDE_CODE

INLINE_ATTRIBUTES = 29


@pytest.mark.skipif(platform.python_implementation() != "CPython", reason="a CPython layout")
@pytest.mark.parametrize("board", ["bare", "ppce500"])
def test_a_running_cpu_has_at_most_29_attributes_of_its_own(board):
    machine = Machine(snippet_elf(DATA_BESIDE_CODE, "translate-data-beside-code"),
                      board=ppce500.build if board == "ppce500" else None)
    machine.cpu.translate_after = None     # the interpreter-only runs of tests and benchmarks too
    machine.resume(THREAD, step=False)
    machine.run(500)
    assert machine.cpu.gpr[3] > 100                # the loop ran
    assert len(vars(machine.cpu)) <= INLINE_ATTRIBUTES, sorted(vars(machine.cpu))
