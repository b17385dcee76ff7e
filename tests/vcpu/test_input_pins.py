"""Interrupt lines and the vCPU's input pins: a high, enabled pin is taken between
instructions as the critical or external input interrupt."""
from __future__ import annotations

from gdbstub.devices.irq import IrqLine
from gdbstub.vcpu import booke
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.memory import Memory

ADDI_R3 = 0x38630001        # addi 3, 3, 1
CODE, HANDLERS = 0x1000, 0x2000


def test_a_line_tells_its_listeners_each_change_of_level():
    line = IrqLine("test")
    heard = []
    line.connect(heard.append)
    line.set(True)
    line.set(1)
    line.set(False)
    line.set(False)
    assert heard == [True, False] and not line.level


def _cpu(msr: int) -> Cpu:
    cpu = Cpu(Memory(1 << 16))
    cpu.write_memory(CODE, ADDI_R3.to_bytes(4, "big") * 64)
    cpu.write_memory(HANDLERS, ADDI_R3.to_bytes(4, "big") * 64)
    cpu.write_memory(HANDLERS + 0x100, ADDI_R3.to_bytes(4, "big") * 64)
    cpu.write_spr(booke.SPR_IVOR0 + booke.IVOR_EXTERNAL, HANDLERS)
    cpu.write_spr(booke.SPR_IVOR0 + booke.IVOR_CRITICAL, HANDLERS + 0x100)
    cpu.pc, cpu.msr = CODE, msr
    return cpu


def test_an_enabled_external_input_is_taken_at_the_next_instruction_boundary():
    cpu = _cpu(booke.MSR_EE | booke.MSR_CE)
    cpu.translate_after = 0
    assert cpu.run(20) is None and cpu.pc == CODE + 80
    cpu.external_input.set(True)
    assert cpu.run(3) is None
    assert cpu.pc == HANDLERS + 12 and cpu.icount == 23
    assert (cpu.read_spr(booke.SPR_SRR0), cpu.read_spr(booke.SPR_SRR1)) == (CODE + 80, booke.MSR_EE | booke.MSR_CE)
    assert cpu.msr == booke.MSR_CE                 # EE cleared: the level does not re-enter
    cpu.critical_input.set(True)
    assert cpu.step() is None
    assert cpu.pc == HANDLERS + 0x104 and cpu.read_spr(booke.SPR_CSRR0) == HANDLERS + 12
    assert cpu.msr == 0


def test_a_masked_input_waits_and_a_low_one_costs_nothing():
    cpu = _cpu(0)
    cpu.external_input.set(True)
    cpu.critical_input.set(True)
    assert cpu.run(10) is None and cpu.pc == CODE + 40 and cpu.gpr[3] == 10
    cpu.external_input.set(False)
    cpu.critical_input.set(False)
    cpu.msr = booke.MSR_EE | booke.MSR_CE
    assert cpu.run(10) is None and cpu.pc == CODE + 80


def test_an_input_without_a_handler_is_a_fault():
    cpu = Cpu(Memory(1 << 16))
    cpu.write_memory(CODE, ADDI_R3.to_bytes(4, "big"))
    cpu.pc, cpu.msr = CODE, booke.MSR_EE
    cpu.external_input.set(True)
    outcome = cpu.run(5)
    assert "external input" in outcome.reason and cpu.icount == 0
