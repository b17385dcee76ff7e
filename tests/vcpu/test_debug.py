"""The debug facility: IAC/DAC/IC/TRAP comparators with a host, bare-hardware Debug
interrupts, the debug instruction hook and decode-cache coherence."""
from __future__ import annotations

import signal

import pytest

from gdbstub.vcpu import booke
from gdbstub.vcpu.debugregs import DebugRegs
from gdbstub.vcpu.stops import Fault

DATA = 0x200000
IDM = booke.DBCR0_IDM
STOP = object()


class FakeHost:
    """Records (kind, bits, pc) and answers with ``exit`` (None: carry on)."""

    def __init__(self, exit=STOP):
        self.exit = exit
        self.calls = []

    def on_debug_event(self, cpu, bits):
        self.calls.append(("event", bits, cpu.pc))
        return self.exit

    def on_debug_instruction(self, cpu):
        self.calls.append(("instruction", None, cpu.pc))
        return self.exit

    def on_guest_debug_write(self, cpu):
        self.calls.append(("guest write", None, cpu.pc))


@pytest.fixture
def debugged(asm):
    """``debugged(text, dbcr0, host=FakeHost())``: snippet loaded with the host attached."""
    def make(text, dbcr0=0, host=None, **registers):
        loaded = asm("lis 3, 0x20\n" + text, **registers)
        loaded.host = loaded.cpu.host = host if host is not None else FakeHost()
        loaded.cpu.active_debug.dbcr0 = dbcr0
        return loaded
    return make


def test_iac_fires_before_the_instruction(debugged):
    loaded = debugged("li 5, 1\n target: li 5, 2\n li 5, 3", IDM | booke.DBCR0_IAC1)
    target = loaded.symbols["target"]
    loaded.cpu.active_debug.iac[0] = target
    assert loaded.cpu.run(100) is STOP
    assert (loaded.cpu.pc, loaded.cpu.gpr[5]) == (target, 1)
    assert loaded.host.calls == [("event", booke.DBSR_IAC1, target)]
    assert loaded.cpu.active_debug.dbsr == booke.DBSR_IAC1
    loaded.host.exit = None     # the host lets it go: the instruction runs once, unchecked
    assert loaded.run_to() is None and loaded.cpu.gpr[5] == 3
    assert len(loaded.host.calls) == 2


@pytest.mark.parametrize("dbcr0, us, pr, fires", [
    (booke.DBCR0_IAC2, 0, 0, False),            # no IDM: nothing is armed
    (IDM | booke.DBCR0_IAC2, 0b00, 0, True),
    (IDM | booke.DBCR0_IAC2, 0b10, 0, True),    # supervisor only
    (IDM | booke.DBCR0_IAC2, 0b11, 0, False),   # user only
    (IDM | booke.DBCR0_IAC2, 0b11, 1, True),
    (IDM | booke.DBCR0_IAC2, 0b10, 1, False),
])
def test_iac_privilege_qualifier(debugged, dbcr0, us, pr, fires):
    loaded = debugged("target: nop", dbcr0, msr=booke.MSR_PR if pr else 0)
    regs = loaded.cpu.active_debug
    regs.iac[1] = loaded.symbols["target"]
    regs.dbcr1 = us << 26
    loaded.cpu.run(5)
    assert [bits for _, bits, _ in loaded.host.calls] == ([booke.DBSR_IAC2] if fires else [])


@pytest.mark.parametrize("text, dac_offset, fires", [
    ("lbz 5, 3(3)", 3, True),
    ("lbz 5, 2(3)", 3, False),
    ("lhz 5, 2(3)", 3, True),         # the DAC byte is the second of the halfword
    ("lhz 5, 4(3)", 3, False),
    ("lwz 5, 0(3)", 3, True),
    ("lwz 5, 1(3)", 4, True),         # misaligned word covering the byte
    ("lwz 5, 0(3)", 4, False),
    ("lmw 5, 0(3)", 100, True),       # lmw 5..31 covers 108 bytes
    ("lmw 5, 0(3)", 108, False),
    ("stw 5, 0(3)", 3, False),        # read watch ignores stores
])
def test_dac_read_suppresses_the_load(debugged, text, dac_offset, fires):
    loaded = debugged("access: " + text, IDM | booke.DBCR0_DAC1R, r5=0x5555)
    loaded.cpu.active_debug.dac[0] = DATA + dac_offset
    loaded.cpu.write_memory(DATA, bytes(range(1, 120)))
    exit = loaded.run_to()
    if fires:
        assert exit is STOP
        assert loaded.host.calls == [("event", booke.DBSR_DAC1R, loaded.symbols["access"])]
        assert loaded.cpu.pc == loaded.symbols["access"] and loaded.cpu.gpr[5] == 0x5555
    else:
        assert exit is None and loaded.host.calls == []


@pytest.mark.parametrize("text", ["stb 5, 7(3)", "sth 5, 6(3)", "stw 5, 4(3)", "stwu 5, 4(3)",
                                  "stmw 30, 0(3)", "li 4, 4\n access2: stwx 5, 3, 4"])
def test_dac_write_suppresses_the_store(debugged, text):
    loaded = debugged("access: " + text, IDM | booke.DBCR0_DAC2W, r5=0xFFFFFFFF, r30=1, r31=1)
    loaded.cpu.active_debug.dac[1] = DATA + 7
    assert loaded.run_to() is STOP
    assert loaded.host.calls[0][1] == booke.DBSR_DAC2W
    assert loaded.cpu.read_memory(DATA, 8) == bytes(8)
    assert loaded.cpu.gpr[3] == DATA, "no base update either"


def test_dac_user_qualifier_and_both_slots(debugged):
    loaded = debugged("stw 5, 0(3)", IDM | booke.DBCR0_DAC1W | booke.DBCR0_DAC2W)
    regs = loaded.cpu.active_debug
    regs.dac[:] = [DATA, DATA + 2]
    regs.dbcr2 = booke.DBCR2_DAC1US        # slot 1: user mode only
    assert loaded.run_to() is STOP
    assert loaded.host.calls[0][1] == booke.DBSR_DAC2W


def test_instruction_complete_fires_after_each_instruction(debugged):
    loaded = debugged("li 5, 1\n li 5, 2", IDM | booke.DBCR0_IC, msr=booke.MSR_DE)
    start = loaded.cpu.pc
    assert loaded.cpu.step() is STOP
    assert loaded.host.calls == [("event", booke.DBSR_IC, start + 4)]
    assert loaded.cpu.step() is STOP and loaded.cpu.gpr[3] == DATA and loaded.cpu.pc == start + 8


def test_instruction_complete_after_entering_an_interrupt(debugged):
    loaded = debugged("""
        lis     9, _start@h
        mtspr   63, 9
        li      9, handler@l
        mtspr   408, 9
        sc
        .align 4
    handler:
        nop
    """, IDM | booke.DBCR0_IC, host=FakeHost(exit=None), msr=booke.MSR_DE)
    assert loaded.run_to("handler") is None
    assert loaded.host.calls[-1] == ("event", booke.DBSR_IC, loaded.symbols["handler"])


def test_trap_event_replaces_the_program_interrupt(debugged):
    loaded = debugged("li 5, 1\n twi 4, 5, 2\n trap_here: tweq 5, 5", IDM | booke.DBCR0_TRAP)
    assert loaded.run_to() is STOP
    assert loaded.host.calls == [("event", booke.DBSR_TIE, loaded.symbols["trap_here"])]


def test_host_redirect_and_swapped_registers(debugged):
    """A host may move PC and give the comparators its own registers."""
    loaded = debugged("target: li 5, 1\n b done\n elsewhere: li 5, 2")
    cpu = loaded.cpu
    cpu.guest_debug_regs.dbcr0 = IDM | booke.DBCR0_IAC1       # guest's own setting: ignored
    cpu.guest_debug_regs.iac[0] = loaded.symbols["elsewhere"]
    host_regs = DebugRegs(dbcr0=IDM | booke.DBCR0_IAC1, iac=[loaded.symbols["target"], 0, 0, 0])
    cpu.active_debug = host_regs

    def redirect(cpu_, bits):
        cpu_.pc = loaded.symbols["elsewhere"]
    loaded.host.on_debug_event = redirect
    loaded.symbols["done"] = loaded.symbols["elsewhere"] + 4
    assert loaded.run_to() is None and cpu.gpr[5] == 2
    assert host_regs.dbsr == booke.DBSR_IAC1 and cpu.guest_debug_regs.dbsr == 0


def bare_metal_debug(dbcr0: int, msr: int, handler: bool = True) -> str:
    """The guest arms IAC1 on ``target`` itself; the handler records DSRR0/1, MSR and DBSR."""
    vectors = """
        lis     9, _start@h
        mtspr   63, 9
        li      9, handler@l
        mtspr   415, 9
    """ if handler else ""
    return vectors + f"""
        lis     9, target@ha
        addi    9, 9, target@l
        mtspr   312, 9
        lis     9, {dbcr0 >> 16:#x}
        mtspr   308, 9
        li      9, 0
        ori     9, 9, {msr:#x}
        mtmsr   9
        li      5, 1
    target:
        li      5, 2
        b       done
        .align  4
    handler:
        mfspr   20, 574
        mfspr   21, 575
        mfmsr   22
        mfspr   23, 304
        mtspr   304, 23             # clear the events
        li      9, 0
        mtspr   308, 9
        rfdi
    """


def test_bare_hardware_debug_interrupt(execute, asm):
    cpu = execute(bare_metal_debug(IDM | booke.DBCR0_IAC1, booke.MSR_DE | booke.MSR_ME | booke.MSR_EE))
    target = cpu.gpr[20]
    assert cpu.read_memory(target, 4) == bytes.fromhex("38a00002"), "DSRR0 = the IAC instruction"
    assert cpu.gpr[21] == booke.MSR_DE | booke.MSR_ME | booke.MSR_EE
    assert cpu.gpr[22] == booke.MSR_ME
    assert cpu.gpr[23] == booke.DBSR_IAC1 and cpu.guest_debug_regs.dbsr == 0
    assert cpu.gpr[5] == 2, "rfdi resumes at the instruction"


def test_bare_hardware_without_msr_de_records_an_imprecise_event(execute):
    cpu = execute(bare_metal_debug(IDM | booke.DBCR0_IAC1, booke.MSR_ME))
    assert cpu.gpr[5] == 2 and cpu.gpr[20] == 0
    assert cpu.guest_debug_regs.dbsr == booke.DBSR_IAC1 | booke.DBSR_IDE


def test_instruction_complete_needs_msr_de_when_the_instruction_begins(asm):
    """Linux sets DBCR0[IC] in the kernel (DE = 0) and single-steps a user program from its
    rfi: the rfi, which sets DE, is no step; the first user instruction is (DSRR0 after it)."""
    loaded = asm("""
        lis     9, user@h
        ori     9, 9, user@l
        mtspr   26, 9
        li      9, 0x200            # MSR[DE]
        mtspr   27, 9
        rfi
    user:
        li      5, 1
        li      5, 2
    """)
    loaded.cpu.active_debug.dbcr0 = IDM | booke.DBCR0_IC
    for _ in range(10):
        if loaded.cpu.pc == loaded.symbols["user"]:
            break
        loaded.cpu.step()
    assert loaded.cpu.pc == loaded.symbols["user"] and loaded.cpu.msr & booke.MSR_DE
    assert loaded.cpu.guest_debug_regs.dbsr == 0, "nothing recorded while DE was 0"
    exit = loaded.cpu.step()    # li 5, 1 completes: the IC event, for a debug handler there is not
    assert exit == Fault(signal.SIGTRAP, loaded.symbols["user"] + 4, "unhandled debug interrupt")
    assert loaded.cpu.guest_debug_regs.dbsr == booke.DBSR_IC


def test_bare_hardware_without_handler_is_a_sigtrap_fault(asm):
    loaded = asm(bare_metal_debug(IDM | booke.DBCR0_IAC1, booke.MSR_DE, handler=False))
    exit = loaded.run_to()
    assert exit == Fault(signal.SIGTRAP, loaded.symbols["target"], "unhandled debug interrupt")


def test_bare_hardware_trap_without_msr_de_is_a_program_interrupt(asm):
    loaded = asm("tweq 3, 3")
    loaded.cpu.active_debug.dbcr0 = IDM | booke.DBCR0_TRAP
    exit = loaded.run_to()
    assert exit.signal == signal.SIGTRAP and "trap" in exit.reason
    assert loaded.cpu.guest_debug_regs.dbsr == booke.DBSR_TIE | booke.DBSR_IDE


@pytest.mark.parametrize("configured, word, hooked", [
    (None, booke.EHPRIV_DEBUG, True),
    (booke.ILLEGAL_DEBUG_WORD, booke.ILLEGAL_DEBUG_WORD, True),
    (booke.ILLEGAL_DEBUG_WORD, booke.EHPRIV_DEBUG, False),
])
def test_debug_instruction_calls_the_host(debugged, configured, word, hooked):
    loaded = debugged(f"li 5, 1\n bp: .long {word:#x}\n li 5, 2")
    if configured is not None:
        loaded.cpu.debug_instruction = configured
    exit = loaded.run_to()
    if hooked:
        assert exit is STOP and loaded.host.calls == [("instruction", None, loaded.symbols["bp"])]
        assert loaded.cpu.pc == loaded.symbols["bp"]
    else:
        assert exit.signal == signal.SIGILL and loaded.host.calls == []


def test_debug_instruction_without_host_is_illegal(asm):
    exit = asm(f".long {booke.EHPRIV_DEBUG:#x}").run_to()
    assert exit.signal == signal.SIGILL and "illegal" in exit.reason


def test_stores_to_code_icbi_and_debugger_writes_invalidate_decoding(asm):
    loaded = asm("""
        li      6, 0
        li      7, 3
    loop:
        addi    6, 6, 1             # patched below
        addic.  7, 7, -1
        beq     out
        lis     8, loop@ha
        lwz     9, patch@l(8)
        stw     9, loop@l(8)        # a store to code
        b       loop
    out:
        b       done
    patch:
        addi    6, 6, 100
    """)
    assert loaded.run_to() is None
    assert loaded.cpu.gpr[6] == 1 + 100 + 100
    cpu = loaded.cpu
    cpu.pc = loaded.symbols["loop"]
    cpu.write_memory(cpu.pc, bytes.fromhex("38c00007"))   # li 6, 7
    cpu.step()
    assert cpu.gpr[6] == 7
