"""Reverse execution on the ppce500 machine (issue #20): gdb-multiarch attaches to U-Boot at its
prompt, stops where the decrementer interrupt enters U-Boot's handler, steps into the handler,
and reverse-steps out of it back into the code it interrupted (PC and MSR as SRR0 and SRR1
said), then forward again into the handler: the TLB, timers, MPIC and UARTs are part of the
snapshots the steps back restore."""
from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from gdbstub.boards import ppce500
from gdbstub.gdb_session import GdbSession
from gdbstub.machine import THREAD, Machine

UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
BOOT_TIMEOUT = 600.0
STEPS = 3


@pytest.fixture
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
