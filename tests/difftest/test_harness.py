"""The harness itself: instruction decoding, reports, QEMU control, and that it catches differences."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

import pytest

from gdbstub import difftest
from gdbstub.difftest import (DiffResult, GuestImage, Mismatch, QemuError, QemuTarget, is_floating_point,
                              is_mtmsr, new_vcpu, run_difftest, store_access, timer_read)
from gdbstub.guests.build import build_asm

COUNTER_ASM = """
    .globl _start
_start:
    mfmsr   3
    ori     3, 3, 0x2000
    mtmsr   3
    isync
    lis     1, __stack_top@ha
    addi    1, 1, __stack_top@l
    li      3, 0
    li      4, 200
    mtctr   4
1:  addi    3, 3, 1
    stwu    3, -4(1)
    bdnz    1b
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
"""
COUNTER_STEPS = 9 + 200 * 3 + 3  # up to and including the halting store


@pytest.fixture(scope="module")
def counter_elf(difftest_tools):
    return build_asm(COUNTER_ASM, name="difftest-counter")


def _x_form(xo: int, rs: int, ra: int, rb: int) -> int:
    return (31 << 26) | (rs << 21) | (ra << 16) | (rb << 11) | (xo << 1)


GPRS = [0x1000 * n for n in range(32)]


@pytest.mark.parametrize(("word", "access"), [
    (0x90A400B0, (0x4000 + 0xB0, 4)),                   # stw r5,176(r4)
    (0x9401FFF0, (0x1000 - 16, 4)),                     # stwu r0,-16(r1)
    (0x98030000, (0x3000, 1)),                          # stb r0,0(r3)
    ((47 << 26) | (25 << 21) | (12 << 16) | 160, (0xC000 + 160, 4 * 7)),  # stmw r25,160(r12)
    ((54 << 26) | (1 << 21) | (0 << 16) | 8, (8, 8)),   # stfd f1,8(0): rA=0 means 0
    (_x_form(183, 3, 20, 8), (0x14000 + 0x8000, 4)),    # stwux
    (_x_form(150, 3, 0, 8) | 1, (0x8000, 4)),           # stwcx.
    (_x_form(725, 3, 4, 0), (0x4000, 32)),              # stswi with NB=0
    (_x_form(1014, 0, 3, 20), (0x17000, 64)),          # dcbz zeroes its whole cache line
    (0x38210000, None),                                 # addi
    (0x80640000, None),                                 # lwz
    (_x_form(23, 3, 4, 5), None),                       # lwzx
])
def test_store_access(word, access):
    assert store_access(word, GPRS) == access


@pytest.mark.parametrize(("word", "fp"), [
    ((63 << 26) | (21 << 1), True),     # fadd
    ((59 << 26) | (25 << 1), True),     # fmuls
    (50 << 26, True),                   # lfd
    (_x_form(599, 1, 3, 4), True),      # lfdx
    (54 << 26, False),                  # stfd writes no FPR
    (0x38210000, False),                # addi
])
def test_is_floating_point(word, fp):
    assert is_floating_point(word) is fp


def _mfspr(rd: int, spr: int, xo: int = 339) -> int:
    return _x_form(xo, rd, spr & 31, spr >> 5)


@pytest.mark.parametrize(("word", "rd"), [
    (_mfspr(3, 268, 371), 3),     # mftb r3
    (_mfspr(4, 269, 371), 4),     # mftbu r4
    (_mfspr(5, 268), 5),          # mfspr r5,TBL
    (_mfspr(6, 285), 6),          # mfspr r6,TBU (the write number)
    (_mfspr(7, 22), 7),           # mfspr r7,DEC
    (_mfspr(8, 8), None),         # mflr
    (_x_form(467, 3, 268 & 31, 268 >> 5), None),  # mtspr TBL is no read
])
def test_timer_read(word, rd):
    assert timer_read(word) == rd


def test_is_mtmsr():
    assert is_mtmsr(0x7C600124)                 # mtmsr r3
    assert not is_mtmsr(0x7C610124)             # mtmsr r3,1 writes EE and RI only
    assert not is_mtmsr(0x7C6000A6)             # mfmsr r3


def test_image_regions_and_disassembly(counter_elf):
    image = GuestImage(counter_elf)
    assert len(image.regions) == 1 and image.regions[0][0] == 0x100000
    assert image.regions[0][1] - image.regions[0][0] >= 0x10000  # includes the stack
    assert "<_start+0x0>" in image.describe(0x100000, None) and "mfmsr" in image.describe(0x100000, None)
    assert "outside the ELF's code" in image.describe(0x2000, 0x12345678)


def test_report_names_step_instruction_and_differences(counter_elf):
    mismatch = Mismatch(7, 0x100004, 0x60632000, "registers differ", [("xer", 0x20000000, 0)],
                        [(0x100100, b"\x01\x02", b"\x01\x03")])
    report = DiffResult(GuestImage(counter_elf), 7, False, mismatch, [(0x100000, 0x7C6000A6)]).report()
    assert "MISMATCH at step 7: registers differ" in report
    assert "0x00100004 <_start+0x4>" in report and "ori" in report
    assert "xer" in report and "0x20000000" in report
    assert "0x00100100" in report and "01 02" in report and "01 03" in report
    assert "mfmsr" in report  # the trace


def test_qemu_starts_at_the_entry_and_steps(counter_elf):
    with QemuTarget(counter_elf) as qemu:
        regs = qemu.core_registers()
        assert regs["pc"] == 0x100000 and regs["r1"] == 0xFFFFF8
        assert qemu.fpu_registers() == dict.fromkeys(difftest.FPU, 0)
        assert qemu.read_memory(0x100000, 4) == (0x7C6000A6).to_bytes(4, "big")  # mfmsr r3
        assert qemu.step()
        assert qemu.core_registers()["pc"] == 0x100004


def test_qemu_is_killed_when_the_run_fails(counter_elf):
    with pytest.raises(RuntimeError), QemuTarget(counter_elf) as qemu:
        proc = qemu.proc
        raise RuntimeError
    assert proc.poll() is not None


def test_qemu_is_killed_when_the_vcpu_raises(counter_elf, monkeypatch):
    started = []

    class Recorded(QemuTarget):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self.proc)
    monkeypatch.setattr(difftest, "QemuTarget", Recorded)

    def damage(cpu):
        raise RuntimeError("vCPU crashed")
    with pytest.raises(RuntimeError, match="vCPU crashed"):
        run_difftest(counter_elf, cpu=_damaged_vcpu(counter_elf, 5, damage))
    assert len(started) == 1 and started[0].poll() is not None


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_qemu_dies_with_a_killed_harness(counter_elf):
    script = ("import os, sys; from gdbstub.difftest import QemuTarget; "
              "q = QemuTarget(sys.argv[1]); print(q.proc.pid, flush=True); os._exit(0)")
    out = subprocess.run([sys.executable, "-c", script, str(counter_elf)], capture_output=True, text=True,
                         check=True, timeout=60)
    pid = int(out.stdout)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)  # reaped by init once the kernel has killed it
    assert not os.path.exists(f"/proc/{pid}")


def test_missing_qemu_is_an_error(counter_elf):
    with pytest.raises(QemuError, match="not found"):
        QemuTarget(counter_elf, qemu="no-such-qemu-system-ppc")


def test_clean_run_halts(counter_elf):
    result = run_difftest(counter_elf)
    assert result.ok, result.report()
    assert result.halted and result.steps == COUNTER_STEPS


TIMEBASE_ASM = """
    .globl _start
_start:
    mftb    3
    nop
    mftbu   4
    mfspr   5, 268
    subf    6, 3, 5
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
"""


def test_time_base_reads_take_qemus_values(difftest_tools):
    """QEMU's time base runs with the host's clock, ours with the instruction count: the values
    read are QEMU's, and what the guest computes from them then agrees."""
    result = run_difftest(build_asm(TIMEBASE_ASM, name="difftest-timebase"))
    assert result.ok and result.halted, result.report()


def _damaged_vcpu(elf, at_step: int, damage):
    """A vCPU that works normally except that ``damage(cpu)`` runs right after step ``at_step``."""
    cpu = new_vcpu(elf)
    real_step, count = cpu.step, itertools.count(1)

    def step():
        exit_ = real_step()
        if next(count) == at_step:
            damage(cpu)
        return exit_
    cpu.step = step
    return cpu


def test_detects_a_wrong_gpr(counter_elf):
    def damage(cpu):
        cpu.gpr[17] ^= 1
    result = run_difftest(counter_elf, cpu=_damaged_vcpu(counter_elf, 100, damage))
    assert not result.ok and result.mismatch.step == 100
    assert result.mismatch.registers == [("r17", 0, 1)]
    assert "MISMATCH at step 100" in result.report()


def test_detects_a_wrong_fpr_after_a_non_fp_instruction(counter_elf):
    def damage(cpu):
        cpu.fpr[5] = 0x3FF0000000000000
    result = run_difftest(counter_elf, cpu=_damaged_vcpu(counter_elf, 101, damage))
    assert not result.ok and result.mismatch.step == 101
    assert result.mismatch.registers == [("f5", 0, 0x3FF0000000000000)]


def test_detects_a_stray_memory_write(counter_elf):
    image = GuestImage(counter_elf)
    target = image.regions[0][0] + 0x40  # code, which the guest never stores to

    def damage(cpu):
        cpu.write_memory(target, b"\xff")
    result = run_difftest(counter_elf, memory_every=64, cpu=_damaged_vcpu(counter_elf, 300, damage))
    assert not result.ok and result.mismatch.step == 320, result.report()
    (addr, expected, got), = result.mismatch.memory
    assert addr == target and got[0] == 0xFF and expected[0] != 0xFF


def test_command_line(counter_elf, capsys):
    assert difftest.main([str(counter_elf), "--steps", "50"]) == 0
    assert "50 steps match QEMU (no halt yet)" in capsys.readouterr().out
