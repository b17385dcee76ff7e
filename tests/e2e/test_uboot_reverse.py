"""Reverse execution on the ppce500 machine (issue #20): gdb-multiarch attaches to U-Boot at its
prompt, stops where the decrementer interrupt enters U-Boot's handler, steps into the handler,
and reverse-steps out of it back into the code it interrupted (PC and MSR as SRR0 and SRR1
said), then forward again into the handler: the TLB, timers, MPIC and UARTs are part of the
snapshots the steps back restore. And a command typed at the prompt replays exactly: back to
the start of history and forward again, U-Boot ends in the same state, having said its answer
once."""
from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path

import pytest

from gdbstub.boards import ppce500
from gdbstub.gdb_session import GdbSession
from gdbstub.machine import THREAD, Machine
from gdbstub.target import HistoryBegin

UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
BOOT_TIMEOUT = 600.0
STEPS = 3


@pytest.fixture(scope="module")
def uboot_at_its_prompt():
    if not UBOOT.exists():
        pytest.fail(f"{UBOOT} is missing: apt-get install u-boot-qemu")
    output = bytearray()
    machine = Machine(UBOOT, uart_output=output.extend, board=functools.partial(ppce500.build, ppce500.Options()))
    machine.resume(THREAD, step=False)
    deadline = time.monotonic() + BOOT_TIMEOUT
    typed = False
    while b"\n=> " not in output:
        assert machine.run(16000) is None and time.monotonic() < deadline, bytes(output[-300:])
        if b"autoboot" in output and not typed:    # stop the countdown
            machine.type_into_console(b"\n")
            typed = True
    machine.output = output
    return machine


def test_reverse_stepi_out_of_the_decrementer_handler_into_the_interrupted_code(uboot_at_its_prompt):
    with GdbSession(UBOOT, machine=uboot_at_its_prompt, timeout=120) as gdb:
        vector = int(gdb.evaluate("$ivpr"), 0) & 0xFFFF0000 | int(gdb.evaluate("$ivor10"), 0) & 0xFFF0
        gdb.console(f"hbreak *{vector:#x}")
        stop = gdb.run("-exec-continue")
        assert int(stop["frame"]["addr"], 0) == vector, stop
        gdb.console("delete")
        interrupted = (int(gdb.evaluate("$srr0"), 0), int(gdb.evaluate("$srr1"), 0))
        assert interrupted[1] & 0x8000, "the interrupted code had MSR[EE] set"
        inside = []
        for _ in range(STEPS):
            gdb.run("-exec-step-instruction")
            inside.append(int(gdb.evaluate("$pc"), 0))
        for pc in reversed(inside[:-1]):
            gdb.run("-exec-step-instruction --reverse")
            assert int(gdb.evaluate("$pc"), 0) == pc
        gdb.run("-exec-step-instruction --reverse")        # out of the handler's first instruction
        assert (int(gdb.evaluate("$pc"), 0), int(gdb.evaluate("$msr"), 0)) == interrupted
        gdb.run("-exec-step-instruction")                  # the interrupt again, and that instruction
        assert int(gdb.evaluate("$pc"), 0) == inside[0]
        assert (int(gdb.evaluate("$srr0"), 0), int(gdb.evaluate("$srr1"), 0)) == interrupted


def _run_until(machine: Machine, done) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while not done():
        assert machine.run(16000) is None and time.monotonic() < deadline, bytes(machine.output[-300:])


def _whole_state(machine: Machine) -> tuple:
    return (machine.cpu.icount, machine.read_registers(THREAD), hashlib.sha256(machine.memory.ram).hexdigest(),
            repr(machine.memory.save_devices()), machine.cpu.tlb.describe())


def test_a_command_typed_at_the_prompt_replays_exactly(uboot_at_its_prompt):
    machine = uboot_at_its_prompt
    output = machine.output
    machine.start_history()
    machine.resume(THREAD, step=False)
    start = machine.cpu.icount
    _run_until(machine, lambda: machine.cpu.icount > start + 200_000)
    said = len(output)
    machine.type_into_console(b"version\n")
    _run_until(machine, lambda: output.count(b"\n=> ", said) > 0)
    end = _whole_state(machine)
    answer = bytes(output[said:])
    assert b"U-Boot 2023.01" in answer
    machine.resume_reverse(THREAD, step=False)
    while (stop := machine.run(16000)) is None:
        pass
    assert stop == HistoryBegin(THREAD) and machine.cpu.icount == start
    machine.resume(THREAD, step=False)
    _run_until(machine, lambda: machine.cpu.icount >= end[0])
    assert _whole_state(machine) == end
    assert bytes(output[said:]) == answer                 # not said again
