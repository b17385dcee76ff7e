"""System instructions and interrupts: sc, rfi & co, privilege, SPRs, the time base, traps."""
from __future__ import annotations

import signal

import pytest

from gdbstub.boards import bare
from gdbstub.vcpu import booke
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.memory import Memory
from gdbstub.vcpu.spr import UnknownSpr
from gdbstub.vcpu.stops import Fault, Halted

SO = 0x80000000


def install(ivor: int, label: str) -> str:
    """Guest code pointing IVPR at the snippet's 64 KiB page and IVOR ``ivor`` at ``label``."""
    return f"""
        lis     9, _start@h
        mtspr   63, 9
        li      9, {label}@l
        mtspr   {booke.SPR_IVOR0 + ivor}, 9
    """


def test_sc_enters_the_installed_handler_and_rfi_returns(execute):
    cpu = execute(install(booke.IVOR_SYSCALL, "handler") + """
        lis     3, 0x0002
        ori     3, 3, 0xb200        # CE | EE | FP | ME | DE
        mtmsr   3
        li      4, 0
    call:
        sc
        mfmsr   23
        b       done
        .align  4
    handler:
        mfsrr0  20
        mfsrr1  21
        mfmsr   22
        li      4, 7
        rfi
    """)
    sym_call = cpu.gpr[20] - 4
    assert cpu.gpr[4] == 7
    assert cpu.read_memory(sym_call, 4) == bytes.fromhex("44000002"), "SRR0 is the address after sc"
    assert cpu.gpr[21] == cpu.gpr[23] == 0x2B200
    assert cpu.gpr[22] == 0x21200, "base class keeps CE, ME and DE only"


def test_unhandled_illegal_instruction_is_a_fault_at_the_pc(asm):
    loaded = asm("li 3, 1\n bad: .long 0")
    exit = loaded.run_to()
    assert exit == Fault(signal.SIGILL, loaded.symbols["bad"], "unhandled program interrupt (illegal instruction)")
    assert loaded.cpu.pc == loaded.symbols["bad"]


def test_unknown_spr_is_illegal_not_zero(asm):
    exit = asm("mfspr 5, 999").run_to()
    assert isinstance(exit, Fault) and "illegal instruction" in exit.reason


def enter_user_mode(label: str) -> str:
    return f"""
        lis     9, {label}@ha
        addi    9, 9, {label}@l
        mtsrr0  9
        li      9, {booke.MSR_PR}
        mtsrr1  9
        rfi
    """


@pytest.mark.parametrize("user_code, esr", [
    ("mfmsr 5", booke.ESR_PPR),
    ("mtmsr 5", booke.ESR_PPR),
    ("mfspr 5, 26", booke.ESR_PPR),      # SRR0 is supervisor-only
    ("mtspr 272, 5", booke.ESR_PPR),     # SPRG0
    ("wrteei 1", booke.ESR_PPR),
    ("rfi", booke.ESR_PPR),
    ("mfspr 5, 999", booke.ESR_PIL),     # unmodelled user SPR number: illegal
    (".long 0", booke.ESR_PIL),
])
def test_user_mode_privilege_violations_enter_program(execute, user_code, esr):
    cpu = execute(install(booke.IVOR_PROGRAM, "handler") + enter_user_mode("user") + f"""
    user:
        mflr    6                   # user-readable SPRs stay usable
        mftb    7
        mfspr   8, 260              # SPRG4 read alias
        {user_code}
        li      4, 1                # not reached
        .align  4
    handler:
        mfspr   20, 62
        mfsrr0  21
        mfsrr1  22
        b       done
    """, r4=0)
    assert cpu.gpr[4] == 0
    assert cpu.gpr[20] == esr
    assert cpu.read_memory(cpu.gpr[21] - 12, 4) == bytes.fromhex("7cc802a6"), "SRR0 is the offender"
    assert cpu.gpr[22] & booke.MSR_PR and not cpu.msr & booke.MSR_PR


@pytest.mark.parametrize("text, ivor, esr, dear_offset", [
    ("lmw 30, 2(3)", booke.IVOR_ALIGNMENT, 0, 2),
    ("stmw 30, 6(3)", booke.IVOR_ALIGNMENT, booke.ESR_ST, 6),
    ("lis 3, 0x7000\n lwz 5, 8(3)", booke.IVOR_DATA_STORAGE, 0, 8),
    ("lis 3, 0x7000\n stb 5, 8(3)", booke.IVOR_DATA_STORAGE, booke.ESR_ST, 8),
])
def test_storage_and_alignment_handlers_see_esr_and_dear(execute, text, ivor, esr, dear_offset):
    cpu = execute(install(ivor, "handler") + f"""
        lis     3, 0x20
        {text}
        .align  4
    handler:
        mfspr   20, 62
        mfspr   21, 61
        b       done
    """)
    assert cpu.gpr[20] == esr
    assert cpu.gpr[21] == cpu.gpr[3] + dear_offset


def test_trap_enters_program_with_esr_ptr(execute):
    cpu = execute(install(booke.IVOR_PROGRAM, "handler") + """
        li      3, -1
        twi     8, 3, 0             # gt (signed): -1 > 0 is false
        tweq    3, 3                # taken
        .align  4
    handler:
        mfspr   20, 62
        mfsrr0  21
        b       done
    """)
    assert cpu.gpr[20] == booke.ESR_PTR
    assert cpu.read_memory(cpu.gpr[21], 4) == bytes.fromhex("7c831808")


@pytest.mark.parametrize("to, a, b, taken", [
    (16, -1, 0, True), (16, 0, -1, False), (8, 0, -1, True), (4, 3, 3, True), (4, 3, 4, False),
    (2, 0, -1, True), (2, -1, 0, False), (1, -1, 0, True), (31, 5, 5, True), (0, 1, 2, False),
])
def test_tw_conditions(asm, to, a, b, taken):
    exit = asm(f"tw {to}, 3, 4", r3=a & 0xFFFFFFFF, r4=b & 0xFFFFFFFF).run_to()
    assert (exit is not None) == taken
    if taken:
        assert exit.signal == signal.SIGTRAP and "trap" in exit.reason


def test_return_instructions_use_their_own_save_registers(execute):
    cpu = execute("""
        lis     9, 1f@ha
        addi    9, 9, 1f@l
        mtspr   58, 9               # CSRR0
        li      10, 0x200
        mtspr   59, 10              # CSRR1
        rfci
    1:  mfmsr   20
        addi    9, 9, 2f - 1b
        mtspr   574, 9              # DSRR0
        li      10, 0x1000
        mtspr   575, 10             # DSRR1
        rfdi
    2:  mfmsr   21
        addi    9, 9, 3f - 2b
        mtspr   570, 9              # MCSRR0
        li      10, 0x2000
        mtspr   571, 10             # MCSRR1
        rfmci
    3:  mfmsr   22
    """)
    assert (cpu.gpr[20], cpu.gpr[21], cpu.gpr[22]) == (0x200, 0x1000, 0x2000)


def test_wrtee_and_wrteei(execute):
    cpu = execute("wrteei 1\n mfmsr 20\n li 3, 0\n wrtee 3\n mfmsr 21", msr=booke.MSR_FP)
    assert cpu.gpr[20] == booke.MSR_FP | booke.MSR_EE and cpu.gpr[21] == booke.MSR_FP


def test_spr_aliases_masks_and_write_one_to_clear(asm):
    loaded = asm("""
        li      3, 0x1234
        mtspr   276, 3              # SPRG4 write
        mfspr   20, 260             # SPRG4 user read alias
        mtspr   275, 3              # SPRG3
        mfspr   21, 259             # SPRG3 user read alias
        li      3, -1
        mtspr   63, 3               # IVPR keeps its high half
        mfspr   22, 63
        mtspr   400, 3              # IVOR0 keeps bits 16-27
        mfspr   23, 400
        lis     3, 0x0800
        mtspr   304, 3              # DBSR: clears IC only
        mfspr   24, 304
        mfspr   25, 287             # PVR
        mtspr   1008, 3             # HID0, L1CSR0 harmless
        mtspr   1010, 3
    """)
    loaded.cpu.guest_debug_regs.dbsr = booke.DBSR_IC | booke.DBSR_TIE
    assert loaded.run_to() is None
    gpr = loaded.cpu.gpr
    assert gpr[20:26] == [0x1234, 0x1234, 0xFFFF0000, 0xFFF0, booke.DBSR_TIE, booke.PVR_E500MC]


def test_time_base_and_decrementer_follow_executed_instructions(execute):
    cpu = execute("""
        mftb    20
        mftb    21
        mftbu   22
        li      3, 100
        mtspr   22, 3               # DEC
        nop
        nop
        mfspr   23, 22
        li      3, 0
        mtspr   284, 3              # TBL write
        mtspr   285, 3
        mftb    24
    """)
    assert cpu.gpr[21] == cpu.gpr[20] + 1 and cpu.gpr[22] == 0
    assert cpu.gpr[23] == 97
    assert cpu.gpr[24] == 2, "TBL=0, then two instructions later"


def test_debugger_spr_access():
    cpu = Cpu(Memory(1 << 20))
    with pytest.raises(UnknownSpr):
        cpu.read_spr(999)
    with pytest.raises(UnknownSpr):
        cpu.read_spr(booke.SPR_IAC3)          # e500mc has two IACs
    with pytest.raises(UnknownSpr):
        cpu.read_spr(booke.SPR_DECAR)         # write-only
    with pytest.raises(UnknownSpr):
        cpu.write_spr(booke.SPR_PVR, 0)       # read-only
    cpu.write_spr(booke.SPR_DBCR0, booke.DBCR0_IDM | booke.DBCR0_IAC3 | booke.DBCR0_IAC1)
    assert cpu.guest_debug_regs.dbcr0 == booke.DBCR0_IDM | booke.DBCR0_IAC1
    cpu.write_spr(booke.SPR_IAC2, 0x1003)
    assert cpu.guest_debug_regs.iac[1] == 0x1000
    cpu.write_spr(booke.SPR_XER, 0xFFFFFFFF)
    assert cpu.xer == 0xE000007F and cpu.read_spr(booke.SPR_LR) == 0
    four = Cpu(Memory(1 << 20), iac_slots=4)
    four.write_spr(booke.SPR_IAC4, 0x2000)
    assert four.active_debug.iac[3] == 0x2000


def test_deliver_interrupt_by_class():
    cpu = Cpu(Memory(1 << 20))
    cpu.write_spr(booke.SPR_IVPR, 0x00010000)
    for ivor in (booke.IVOR_CRITICAL, booke.IVOR_MACHINE_CHECK, booke.IVOR_DEBUG, booke.IVOR_EXTERNAL):
        cpu.write_spr(booke.SPR_IVOR0 + ivor, 0x100 * ivor + 0xF)
    full = booke.MSR_CE | booke.MSR_EE | booke.MSR_PR | booke.MSR_ME | booke.MSR_DE | booke.MSR_FP
    cases = [(booke.IVOR_CRITICAL, booke.SPR_CSRR0, booke.SPR_CSRR1, booke.MSR_ME | booke.MSR_DE),
             (booke.IVOR_MACHINE_CHECK, 570, 571, 0),
             (booke.IVOR_DEBUG, booke.SPR_DSRR0, booke.SPR_DSRR1, booke.MSR_ME),
             (booke.IVOR_EXTERNAL, booke.SPR_SRR0, booke.SPR_SRR1, booke.MSR_CE | booke.MSR_ME | booke.MSR_DE)]
    for ivor, save_pc, save_msr, kept in cases:
        cpu.msr, cpu.pc = full, 0x4000
        assert cpu.deliver_interrupt(ivor, 0x4004, esr=booke.ESR_ST, dear=0x99) is None
        assert cpu.pc == 0x00010000 | 0x100 * ivor
        assert (cpu.read_spr(save_pc), cpu.read_spr(save_msr), cpu.msr) == (0x4004, full, kept)
        assert cpu.read_spr(booke.SPR_ESR) == booke.ESR_ST and cpu.read_spr(booke.SPR_DEAR) == 0x99


def test_deliver_interrupt_without_handler_changes_nothing():
    cpu = Cpu(Memory(1 << 20))
    cpu.pc, cpu.msr = 0x1000, booke.MSR_DE
    exit = cpu.deliver_interrupt(booke.IVOR_DEBUG, 0x1000)
    assert exit == Fault(signal.SIGTRAP, 0x1000, "unhandled debug interrupt")
    assert cpu.pc == 0x1000 and cpu.msr == booke.MSR_DE and cpu.read_spr(booke.SPR_DSRR0) == 0
    assert cpu.deliver_interrupt(booke.IVOR_PROGRAM, 0x1000, esr=booke.ESR_FP).signal == signal.SIGFPE
    assert cpu.deliver_interrupt(booke.IVOR_INSN_STORAGE, 0x1000).signal == signal.SIGSEGV


def test_halt_status_uart_output_and_debugger_reset(asm):
    loaded = asm("""
        lis     4, 0xe000
        ori     4, 4, 0x4500
        lbz     5, 5(4)             # LSR: transmitter ready
        li      6, 'h'
        stb     6, 0(4)
        li      6, 'i'
        stb     6, 0(4)
        li      3, 0x1ff
        lis     31, 0xe00e
        li      30, 2
        stw     30, 0xb0(31)
    """)
    assert loaded.cpu.run(100) == Halted(0xFF)
    assert loaded.uart == b"hi" and loaded.cpu.gpr[5] == 0x60
    cpu = bare.build(ram_size=1 << 20).cpu
    cpu.gpr[3] = 3
    cpu.write_memory(0xE00E00B0, (2).to_bytes(4, "big"))
    assert cpu.run(10) == Halted(3)


def test_fetch_outside_ram_is_an_instruction_storage_fault():
    cpu = Cpu(Memory(1 << 20))
    cpu.pc = 0x7000_0000
    exit = cpu.step()
    assert exit.signal == signal.SIGSEGV and "instruction storage" in exit.reason
