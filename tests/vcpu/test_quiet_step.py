"""``registers_only`` instructions and ``Cpu.next_step_is_quiet``, on which the stub's early
step replies rest: such an instruction never raises and changes nothing but registers."""
from __future__ import annotations

import random

import pytest

from gdbstub.boards import bare
from gdbstub.vcpu import booke
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.isa import decode, touches_only_registers
from gdbstub.vcpu.isa.table import registered
from gdbstub.vcpu.memory import Memory

REGISTERS_ONLY = {encoding.name: word for word, encoding in registered() if touches_only_registers(encoding.semantics)}
EXTENDED_OPCODE = {19: 0x3FF << 1, 31: 0x3FF << 1}   # bits kept when the other fields vary
VARIANTS = 64
CODE = 0x1000
GUTS_RESET = 0xE00E00B0


def test_the_integer_and_branch_families_are_marked_and_memory_and_system_are_not():
    names = set(REGISTERS_ONLY)
    assert {"add", "addi", "rlwinm", "cmpi", "isel", "mcrxr", "b", "bc", "bclr", "crxor", "mcrf"} <= names
    assert not names & {"lwz", "stw", "mtspr", "mfspr", "mtmsr", "tw", "sc", "rfi", "fadd", "ehpriv"}


@pytest.mark.parametrize("name", sorted(REGISTERS_ONLY))
def test_a_registers_only_instruction_never_raises_and_touches_nothing_but_registers(name):
    rng = random.Random(name)
    for _ in range(VARIANTS):
        word = REGISTERS_ONLY[name] | rng.getrandbits(26) & ~EXTENDED_OPCODE.get(REGISTERS_ONLY[name] >> 26, 0)
        cpu = Cpu(Memory(1 << 16))
        cpu.gpr = [rng.choice((0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(32))) for _ in range(32)]
        cpu.cr, cpu.lr, cpu.ctr = rng.getrandbits(32), rng.getrandbits(32), rng.choice((0, 1, rng.getrandbits(32)))
        cpu.xer = rng.getrandbits(32) & 0xE000007F
        cpu.msr = rng.choice((0, booke.MSR_PR, booke.MSR_DE | booke.MSR_EE, 0xFFFFFFFF))
        cpu.pc = CODE
        cpu.write_memory(CODE, word.to_bytes(4, "big"))
        before = _not_registers(cpu)
        semantics, args = decode(word)
        next_pc = semantics(cpu, *args)
        assert _not_registers(cpu) == before, f"{word:#010x}"
        assert next_pc is None or 0 <= next_pc <= 0xFFFFFFFF
        assert all(0 <= value <= 0xFFFFFFFF for value in (*cpu.gpr, cpu.cr, cpu.xer, cpu.lr, cpu.ctr))


def _not_registers(cpu: Cpu) -> tuple:
    """Everything a registers-only instruction must leave alone."""
    return (bytes(cpu.memory.ram), cpu.msr, dict(cpu.sprs), list(cpu.fpr), cpu.fpscr,
            repr(cpu.guest_debug_regs), cpu.reservation, cpu.icount)


def _cpu_at(word: int) -> Cpu:
    cpu = bare.build(ram_size=1 << 16).cpu
    cpu.pc = CODE
    cpu.write_memory(CODE, word.to_bytes(4, "big"))
    return cpu


ADDI = 0x38630001      # addi 3,3,1
LWZ = 0x80830000       # lwz 4,0(3)


def test_a_quiet_step_needs_ic_armed_and_no_iac_at_the_pc():
    cpu = _cpu_at(ADDI)
    assert not cpu.next_step_is_quiet()          # nothing would end the step
    cpu.guest_debug_regs.dbcr0 = booke.DBCR0_IDM | booke.DBCR0_IC
    cpu.debug_registers_changed()
    assert cpu.next_step_is_quiet()
    cpu.guest_debug_regs.dbcr0 |= booke.DBCR0_IAC1
    cpu.guest_debug_regs.iac[0] = CODE
    cpu.debug_registers_changed()
    assert not cpu.next_step_is_quiet()          # the IAC fires before the instruction
    cpu.guest_debug_regs.iac[0] = CODE + 4
    cpu.debug_registers_changed()
    assert cpu.next_step_is_quiet()


def test_a_step_over_memory_an_unmapped_pc_or_a_pending_halt_is_not_quiet():
    for word in (LWZ, booke.EHPRIV_DEBUG):
        cpu = _cpu_at(word)
        cpu.guest_debug_regs.dbcr0 = booke.DBCR0_IDM | booke.DBCR0_IC
        cpu.debug_registers_changed()
        assert not cpu.next_step_is_quiet(), hex(word)
    cpu = _cpu_at(ADDI)
    cpu.guest_debug_regs.dbcr0 = booke.DBCR0_IDM | booke.DBCR0_IC
    cpu.debug_registers_changed()
    cpu.pc = 1 << 20                              # beyond RAM: instruction storage interrupt
    assert not cpu.next_step_is_quiet()
    cpu.pc = CODE
    cpu.write_memory(GUTS_RESET, (2).to_bytes(4, "big"))   # the debugger halts the machine
    assert not cpu.next_step_is_quiet()
