"""Debian's U-Boot single-stepped on QEMU's ``-M ppce500 -cpu e500mc`` and on our ppce500 board
(issue #16), comparing PC, GPRs, CR, LR, CTR, XER and MSR after every instruction and the bytes
of every store to RAM.

Both boot the same way (QEMU's ``-kernel`` protocol, which our board implements and the first
step checks), with one exception: our board gets QEMU's device tree, because U-Boot reads and
copies the whole blob and ours differs in timebase-frequency and QEMU's random rng-seed (the
generated tree is compared with QEMU's in ``tests/devices``). Time-base and DEC reads take
QEMU's values.

Where QEMU 7.2 departs from the EREF the vCPU follows the EREF and the harness puts our state
into QEMU, noting the departure: mtmsr writes MSR[ME] (QEMU keeps it, as Book III-S's mtmsr
does; U-Boot's first mtmsr, 249,721 instructions in, sets it).
"""
from __future__ import annotations

import pytest

from gdbstub.difftest import run_difftest
from gdbstub.guests.build import build_asm

LOCKSTEP_STEPS = 100_000     # about 25 s: QEMU's gdbstub steps some 5,000 instructions a second

MTMSR_ASM = """
    .globl _start
_start:
    lis     3, 0x0002
    ori     3, 3, 0x1200      # CE | ME | DE
    mtmsr   3
    isync
    mfmsr   4
    li      3, 0
    mtmsr   3
    mfmsr   5
    nop
"""


def test_uboot_runs_in_lockstep_with_qemu(uboot):
    result = run_difftest(uboot, machine="ppce500", steps=LOCKSTEP_STEPS, memory_every=None)
    if not result.ok:
        pytest.fail(result.report(), pytrace=False)
    assert result.steps == LOCKSTEP_STEPS and not result.halted


def test_mtmsr_writes_msr_me_as_the_eref_says(difftest_tools):
    """QEMU 7.2's mtmsr leaves MSR[ME] alone; the EREF's (and the vCPU's) writes it: each
    mtmsr that changes ME is a noted departure, not a mismatch, and mfmsr reads the EREF's MSR."""
    result = run_difftest(build_asm(MTMSR_ASM, name="difftest-mtmsr"), machine="ppce500", steps=9,
                          memory_every=None)
    assert result.ok, result.report()
    assert [step for step, _, _ in result.departures] == [3, 7]
    assert "mtmsr wrote MSR[ME] as the EREF says" in result.report()
