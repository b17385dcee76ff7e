"""The debug model on the real vCPU, through Machine, with guests assembled at test time."""
from __future__ import annotations

import signal

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.hwdebug.profiles import PROFILES, CoreProfile
from gdbstub.machine import THREAD, Machine
from gdbstub.target import (BreakpointStop, GuestExited, NoSuchPoint, PointKind, PointRefused, SignalStop,
                            WatchStop)
from gdbstub.vcpu import booke

def debug_guest(*, setup: str, body: str, handler: str = "", rest: str = "") -> str:
    """A guest with its own Debug handler (IVOR15): ``setup`` arms its comparators, MSR[DE] is
    set, ``body`` runs into ``stub_stop``, which halts with 7. The handler counts its entries in
    r20, runs ``handler``, disarms DBCR0, clears DBSR and returns with rfdi; ``rest`` follows."""
    return f"""
    .globl _start
_start:
    lis     10, 0x0010
    mtspr   63, 10
    li      11, dbg_handler - _start
    mtspr   415, 11
{setup}
    mfmsr   14
    ori     14, 14, 0x200
    mtmsr   14
    isync
    li      20, 0
{body}
stub_stop:
    li      3, 7
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
1:  b       1b
    .balign 16
dbg_handler:
    addi    20, 20, 1
{handler}
    li      15, 0
    mtspr   308, 15
    mfspr   16, 304
    mtspr   304, 16
    rfdi
{rest}
"""


# The guest installs Debug (IVOR15) and System call (IVOR8) handlers and arms its own IAC2.
GUEST_DEBUG_ASM = debug_guest(setup="""
    li      11, sc_handler - _start
    mtspr   408, 11
    lis     12, target@ha
    addi    12, 12, target@l
    mtspr   313, 12
    lis     13, 0x4040
    mtspr   308, 13""", body="""
    li      21, 0
    li      22, 0
syscall:
    sc
after_sc:
    nop
target:
    addi    22, 22, 1""", rest="""
    .balign 16
sc_handler:
    addi    21, 21, 1
    rfi""")

# The guest arms its own DAC1 (write) on ``watched`` with a Debug handler that counts in r20,
# records DSRR0 in r24, disarms and returns; the store then completes.
GUEST_DAC_ASM = debug_guest(setup="""
    lis     12, watched@ha
    addi    12, 12, watched@l
    mtspr   316, 12
    lis     13, 0x4004
    mtspr   308, 13""", body="""
    li      3, 5
store:
    stw     3, 0(12)
    lwz     21, 0(12)""", handler="""
    mfspr   24, 574""", rest="""
    .data
watched:
    .long 0""")


@pytest.fixture(scope="module")
def guest_debug_elf():
    return build_asm(GUEST_DEBUG_ASM, name="hwdebug-guest-iac")


@pytest.fixture(scope="module")
def guest_dac_elf():
    return build_asm(GUEST_DAC_ASM, name="hwdebug-guest-dac")


def symbol(machine: Machine, name: str) -> int:
    return machine.elf.symbols[name]


def run(machine: Machine, *, step: bool = False):
    machine.resume(THREAD, step=step)
    result = machine.run(100_000)
    assert result is not None, "the guest did not stop"
    return result


def test_two_hardware_breakpoints_hit_and_a_third_is_refused(loop_elf):
    m = Machine(loop_elf)
    m.insert_point(PointKind.HARDWARE, symbol(m, "load_word"), 4)
    m.insert_point(PointKind.HARDWARE, symbol(m, "load_half"), 4)
    m.insert_point(PointKind.HARDWARE, symbol(m, "load_word"), 4)            # idempotent
    with pytest.raises(PointRefused):
        m.insert_point(PointKind.HARDWARE, symbol(m, "store_byte"), 4)
    assert run(m) == BreakpointStop(THREAD, PointKind.HARDWARE, symbol(m, "load_word"))
    assert m.cpu.pc == symbol(m, "load_word")
    m.remove_point(PointKind.HARDWARE, symbol(m, "load_word"), 4)
    assert run(m) == BreakpointStop(THREAD, PointKind.HARDWARE, symbol(m, "load_half"))
    m.insert_point(PointKind.HARDWARE, symbol(m, "store_byte"), 4)           # the freed slot is reusable
    m.resume(THREAD, step=False)
    shown = m.debug.describe()
    assert f"IAC1  {symbol(m, 'load_half'):#010x}  gdb hbreak (Z1)" in shown
    assert f"IAC2  {symbol(m, 'store_byte'):#010x}  gdb hbreak (Z1)" in shown


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_with_every_slot_taken_any_further_point_is_refused(loop_elf, profile):
    """Regression (found by the fuzzer): set_guest_debug reads only iac+dac bp[] entries, so a
    point beyond them was accepted and never programmed."""
    m = Machine(loop_elf, profile=profile)
    base = symbol(m, "data")
    points = ([(PointKind.HARDWARE, symbol(m, "_start") + 4 * n) for n in range(profile.iac_slots)]
              + [(PointKind.WATCH_WRITE, base + 4 * n) for n in range(profile.dac_slots)])
    for kind, addr in points:
        m.insert_point(kind, addr, 4 if kind is PointKind.HARDWARE else 1)
    before = m.debug.describe()
    with pytest.raises(PointRefused):     # (a further watchpoint would share a DAC range)
        m.insert_point(PointKind.HARDWARE, base + 0x40, 4)
    assert m.debug.describe() == before


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_points_fire_in_a_supervisor_guest_on_every_profile(loop_elf, profile):
    """PR profiles program user-only qualifiers; the guest runs as user on the real core."""
    m = Machine(loop_elf, profile=profile)
    assert not m.cpu.msr & booke.MSR_PR
    for slot in range(profile.iac_slots):
        m.insert_point(PointKind.HARDWARE, symbol(m, "load_word") + 4 * slot, 4)
    m.insert_point(PointKind.WATCH_WRITE, symbol(m, "data"), 4)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, symbol(m, "data"))
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, symbol(m, "data"))  # as KVM: re-executed
    m.remove_point(PointKind.WATCH_WRITE, symbol(m, "data"), 4)
    assert run(m) == BreakpointStop(THREAD, PointKind.HARDWARE, symbol(m, "load_word"))


@pytest.mark.parametrize("kind, offset, label", [
    (PointKind.WATCH_WRITE, 0, "store_word"),
    (PointKind.WATCH_READ, 4, "load_word"),
    (PointKind.WATCH_ACCESS, 9, "store_byte"),
    (PointKind.WATCH_READ, 12, "load_half"),
    (PointKind.WATCH_ACCESS, 13, "load_half"),      # the second byte of a halfword load
])
def test_watchpoints_report_the_dac_address_with_the_access_suppressed(loop_elf, kind, offset, label):
    m = Machine(loop_elf)
    addr = symbol(m, "data") + offset
    before = m.read_memory(THREAD, symbol(m, "data"), 16)
    m.insert_point(kind, addr, 1)
    assert run(m) == WatchStop(THREAD, kind, addr)
    assert m.cpu.pc == symbol(m, label)
    assert m.read_memory(THREAD, addr, 1) == before[offset:offset + 1]  # a watched store is suppressed
    assert m.cpu.gpr[3] == 1


def test_third_watchpoint_is_refused_without_the_dac_range_mode_and_nothing_changes(loop_elf):
    m = Machine(loop_elf, profile=CoreProfile("no-range", iac_slots=2, dac_slots=2, hv=True, dac_range=False))
    data = symbol(m, "data")
    m.insert_point(PointKind.WATCH_WRITE, data, 1)
    m.insert_point(PointKind.WATCH_READ, data + 4, 1)
    before = m.debug.describe()
    with pytest.raises(PointRefused):
        m.insert_point(PointKind.WATCH_ACCESS, data + 8, 1)
    assert m.debug.describe() == before
    with pytest.raises(NoSuchPoint):
        m.remove_point(PointKind.WATCH_WRITE, data + 4, 4)


def test_software_breakpoint_in_a_loop_hits_every_iteration(loop_elf):
    m = Machine(loop_elf)
    addr = symbol(m, "load_word")
    original = m.read_memory(THREAD, addr, 4)
    m.insert_point(PointKind.SOFTWARE, addr, 4)
    assert m.cpu.read_memory(addr, 4) == booke.EHPRIV_DEBUG.to_bytes(4, "big")
    assert m.read_memory(THREAD, addr - 4, 12)[4:8] == original        # gdb sees the original word
    hits = 0
    while isinstance(result := run(m), BreakpointStop):
        assert result == BreakpointStop(THREAD, PointKind.SOFTWARE, addr)
        hits += 1
    assert hits == 10 and result == GuestExited(THREAD, 10)


def test_memory_writes_over_a_software_breakpoint_keep_it(loop_elf):
    m = Machine(loop_elf)
    addr = symbol(m, "load_word")
    m.insert_point(PointKind.SOFTWARE, addr, 4)
    m.write_memory(THREAD, addr, bytes.fromhex("60000000"))              # nop
    assert m.read_memory(THREAD, addr, 4) == bytes.fromhex("60000000")
    assert m.cpu.read_memory(addr, 4) == booke.EHPRIV_DEBUG.to_bytes(4, "big")
    m.remove_point(PointKind.SOFTWARE, addr, 4)
    assert m.cpu.read_memory(addr, 4) == bytes.fromhex("60000000")


def test_alternative_profile_writes_the_illegal_word(loop_elf):
    from gdbstub.hwdebug.profiles import E500MC_ILLEGAL_WORD
    m = Machine(loop_elf, profile=E500MC_ILLEGAL_WORD)
    addr = symbol(m, "load_word")
    m.insert_point(PointKind.SOFTWARE, addr, 4)
    assert m.cpu.read_memory(addr, 4) == booke.ILLEGAL_DEBUG_WORD.to_bytes(4, "big")
    assert run(m) == BreakpointStop(THREAD, PointKind.SOFTWARE, addr)


def test_single_step_through_a_branch_and_into_an_exception_vector(loop_elf, guest_debug_elf):
    m = Machine(loop_elf)
    m.cpu.pc = symbol(m, "load_half") + 8                       # the blt back to loop
    m.cpu.gpr[3] = 1
    m.cpu.cr = 0x80000000                                      # LT
    assert run(m, step=True) == SignalStop(THREAD, signal.SIGTRAP)
    assert m.cpu.pc == symbol(m, "loop")

    g = Machine(guest_debug_elf)
    g.insert_point(PointKind.HARDWARE, symbol(g, "syscall"), 4)
    assert run(g) == BreakpointStop(THREAD, PointKind.HARDWARE, symbol(g, "syscall"))
    g.remove_point(PointKind.HARDWARE, symbol(g, "syscall"), 4)
    assert run(g, step=True) == SignalStop(THREAD, signal.SIGTRAP)
    assert g.cpu.pc == symbol(g, "sc_handler")
    assert g.cpu.read_spr(booke.SPR_SRR0) == symbol(g, "after_sc")


def test_stepping_off_a_software_breakpoint_then_continuing(loop_elf):
    m = Machine(loop_elf)
    addr = symbol(m, "store_word")
    m.insert_point(PointKind.SOFTWARE, addr, 4)
    assert run(m) == BreakpointStop(THREAD, PointKind.SOFTWARE, addr)
    assert run(m, step=True) == SignalStop(THREAD, signal.SIGTRAP)          # executes the real stw
    assert m.cpu.pc == addr + 4 and m.read_memory(THREAD, symbol(m, "data"), 4) == (1).to_bytes(4, "big")
    assert m.cpu.read_memory(addr, 4) == booke.EHPRIV_DEBUG.to_bytes(4, "big")  # re-inserted
    assert run(m) == BreakpointStop(THREAD, PointKind.SOFTWARE, addr)    # next iteration
    assert m.cpu.gpr[3] == 2


def test_guest_owns_its_debug_facility_without_the_stub(guest_debug_elf):
    m = Machine(guest_debug_elf)
    assert run(m) == GuestExited(THREAD, 7)
    assert (m.cpu.gpr[20], m.cpu.gpr[21], m.cpu.gpr[22]) == (1, 1, 1)
    assert m.cpu.read_spr(booke.SPR_DSRR0) == symbol(m, "target")


def test_guest_debug_events_reach_the_guest_while_the_stub_debugs(guest_debug_elf):
    m = Machine(guest_debug_elf)
    m.insert_point(PointKind.HARDWARE, symbol(m, "stub_stop"), 4)                 # the stub takes IAC1
    assert run(m) == BreakpointStop(THREAD, PointKind.HARDWARE, symbol(m, "stub_stop"))
    assert m.cpu.active_debug is not m.cpu.guest_debug_regs
    assert m.cpu.gpr[20] == 1 and m.cpu.gpr[22] == 1              # the guest's IAC2 went to its handler
    m.remove_point(PointKind.HARDWARE, symbol(m, "stub_stop"), 4)
    assert run(m) == GuestExited(THREAD, 7)
    assert m.cpu.active_debug is m.cpu.guest_debug_regs          # handed back
    assert m.cpu.guest_debug_regs.dbcr0 == 0                     # as the guest's handler left it


def test_guest_registers_are_shadowed_not_clobbered(guest_debug_elf):
    m = Machine(guest_debug_elf)
    m.cpu.guest_debug_regs.dbcr0 = booke.DBCR0_IDM | booke.DBCR0_DAC1W
    m.cpu.guest_debug_regs.dac[0] = 0x1234
    m.insert_point(PointKind.WATCH_WRITE, 0x5678, 4)
    m.resume(THREAD, step=False)
    assert m.cpu.active_debug.dac[0] == 0x5678 and m.cpu.guest_debug_regs.dac[0] == 0x1234
    m.remove_point(PointKind.WATCH_WRITE, 0x5678, 4)
    m.resume(THREAD, step=False)
    assert m.cpu.active_debug is m.cpu.guest_debug_regs and m.cpu.guest_debug_regs.dac[0] == 0x1234


def test_unowned_debug_instruction_is_a_program_interrupt_for_the_guest(loop_elf):
    m = Machine(loop_elf)
    m.cpu.write_memory(symbol(m, "load_word"), booke.EHPRIV_DEBUG.to_bytes(4, "big"))
    result = run(m)
    assert result == SignalStop(THREAD, signal.SIGILL)                     # no Program handler installed
    assert m.cpu.pc == symbol(m, "load_word")


def _guest_dac_outcome(m: Machine) -> tuple[int, int, int]:
    """(handler entries, DSRR0 seen by the handler, value the guest read back)."""
    return m.cpu.gpr[20], m.cpu.gpr[24], m.cpu.gpr[21]


def test_guest_owned_dac_reaches_its_handler_without_the_stub(guest_dac_elf):
    m = Machine(guest_dac_elf)
    assert run(m) == GuestExited(THREAD, 7)
    assert _guest_dac_outcome(m) == (1, symbol(m, "store"), 5)   # before the store, then done


def test_guest_owned_dac_reaches_its_handler_while_the_stub_holds_an_iac(guest_dac_elf):
    m = Machine(guest_dac_elf)
    m.insert_point(PointKind.HARDWARE, symbol(m, "stub_stop"), 4)
    assert run(m) == BreakpointStop(THREAD, PointKind.HARDWARE, symbol(m, "stub_stop"))
    assert _guest_dac_outcome(m) == (1, symbol(m, "store"), 5)


def test_a_stub_watchpoint_in_the_guests_dac_slot_shadows_the_guests_own(guest_dac_elf):
    """As on KVM the stub's settings win while it debugs; the guest's are kept and come back."""
    m = Machine(guest_dac_elf)
    watched = m.elf.symbols["watched"]
    m.insert_point(PointKind.WATCH_WRITE, watched, 4)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, watched)
    assert m.cpu.pc == symbol(m, "store") and m.cpu.gpr[20] == 0   # the stub's event, not the guest's
    assert m.cpu.guest_debug_regs.dac[0] == watched                  # the guest's setting survives
    m.remove_point(PointKind.WATCH_WRITE, watched, 4)
    assert run(m) == GuestExited(THREAD, 7)
    assert _guest_dac_outcome(m) == (1, symbol(m, "store"), 5)      # live again once handed back


# An atomic increment: lwarx/stwcx. retried until the reservation holds; halts with r3 = 0.
ATOMIC_ASM = """
    .globl _start
_start:
    lis     3, counter@ha
    addi    3, 3, counter@l
retry:
    lwarx   4, 0, 3
    addi    4, 4, 1
store_conditional:
    stwcx.  4, 0, 3
    bne-    retry
    li      3, 0
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
1:  b       1b
    .data
counter:
    .long 41
"""


@pytest.fixture(scope="module")
def atomic_elf():
    return build_asm(ATOMIC_ASM, name="hwdebug-atomic")


def test_a_watched_store_conditional_keeps_its_reservation_and_succeeds_when_resumed(atomic_elf):
    """Found in review: the stwcx. dropped its reservation when the watchpoint stopped it, so
    after every stop it failed and retried, and gdb's ``watch`` over an atomic loop never ended."""
    m = Machine(atomic_elf)
    counter = symbol(m, "counter")
    m.insert_point(PointKind.WATCH_WRITE, counter, 4)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, counter)
    assert m.cpu.pc == symbol(m, "store_conditional") and m.read_memory(THREAD, counter, 4) == (41).to_bytes(4, "big")
    m.remove_point(PointKind.WATCH_WRITE, counter, 4)                     # gdb's step over the watched store
    assert run(m, step=True) == SignalStop(THREAD, signal.SIGTRAP)
    assert m.read_memory(THREAD, counter, 4) == (42).to_bytes(4, "big") and m.cpu.cr >> 28 & 2
    assert run(m) == GuestExited(THREAD, 0)


def test_a_store_conditional_is_no_read_for_a_read_watchpoint(atomic_elf):
    m = Machine(atomic_elf)
    counter = symbol(m, "counter")
    m.insert_point(PointKind.WATCH_READ, counter, 4)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_READ, counter)
    assert m.cpu.pc == symbol(m, "retry")             # the lwarx
    m.remove_point(PointKind.WATCH_READ, counter, 4)
    assert run(m, step=True) == SignalStop(THREAD, signal.SIGTRAP)
    m.insert_point(PointKind.WATCH_READ, counter, 4)
    assert run(m) == GuestExited(THREAD, 0)
    assert m.read_memory(THREAD, counter, 4) == (42).to_bytes(4, "big")
