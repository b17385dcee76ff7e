"""Watchpoints longer than a byte (issue 19 item 2): an exact DAC matches only accesses that
include its address, so they are held by the DAC range mode, or refused; never accepted and
missed. The loop guest (tests/conftest.py) stores a word at data+0, loads one at data+4, stores
a byte at data+9 and loads a halfword at data+12, ten times."""
from __future__ import annotations

from dataclasses import replace

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.hwdebug.guest_debug import GuestDebugError, compute_debug_regs
from gdbstub.hwdebug.abi import (KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_USE_HW_BP, KVMPPC_DEBUG_RANGE,
                                 KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_WATCH_WRITE, BreakpointSpec, GuestDebug)
from gdbstub.hwdebug.profiles import E500MC, CoreProfile
from gdbstub.machine import THREAD, Machine
from gdbstub.target import GuestExited, PointKind, PointRefused, WatchStop
from gdbstub.vcpu import booke

NO_RANGE = CoreProfile("no-range", iac_slots=2, dac_slots=2, hv=True, dac_range=False)


def run(machine: Machine):
    machine.resume(THREAD, step=False)
    result = machine.run(100_000)
    assert result is not None, "the guest did not stop"
    return result


@pytest.fixture
def make(loop_elf):
    def machine(profile=E500MC):
        m = Machine(loop_elf, profile=profile)
        m.data = m.elf.symbols["data"]
        return m
    return machine


@pytest.fixture
def machine(make):
    return make()


@pytest.mark.parametrize("kind, offset, length, label, reported", [
    (PointKind.WATCH_WRITE, 8, 4, "store_byte", 9),    # the byte store at data+9, past the first byte
    (PointKind.WATCH_READ, 13, 2, "load_half", 13),    # the halfword load at data+12 from below
    (PointKind.WATCH_ACCESS, 2, 4, "store_word", 2),   # the word store at data+0 from below
    (PointKind.WATCH_READ, 6, 1, "load_word", 6),      # one byte: an exact DAC still
])
def test_a_watchpoint_stops_on_any_access_to_its_bytes_and_reports_the_byte(
        machine, kind, offset, length, label, reported):
    m = machine
    m.insert_point(kind, m.data + offset, length)
    assert run(m) == WatchStop(THREAD, kind, m.data + reported)
    assert m.cpu.pc == m.elf.symbols[label] and m.cpu.gpr[3] == 1


# Byte stores walking a buffer in steps of 3, 20 times: by the 14th, at buf+42, the loop is a
# translated block (blocks are built on the third arrival at a branch target).
WALK_ASM = """
    .globl _start
_start:
    lis     9, buf@ha
    addi    9, 9, buf@l
    li      3, 0
walk:
    addi    3, 3, 1
store:
    stb     3, 0(9)
    addi    9, 9, 3
    cmpwi   3, 20
    blt     walk
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
1:  b       1b
    .data
    .globl buf
buf:
    .space 64
"""


def test_a_range_catches_accesses_in_translated_code():
    m = Machine(build_asm(WALK_ASM, name="watch-walk"))
    buf = m.elf.symbols["buf"]
    m.insert_point(PointKind.WATCH_WRITE, buf + 40, 4)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, buf + 42)
    assert (m.cpu.pc, m.cpu.gpr[3]) == (m.elf.symbols["store"], 15)
    assert m.cpu.code.blocks, "the walk never ran as a translated block"


def test_two_word_watchpoints_share_one_range_and_stop_only_for_their_own_accesses(machine):
    m = machine
    m.insert_point(PointKind.WATCH_WRITE, m.data + 4, 4)    # only ever read
    m.insert_point(PointKind.WATCH_READ, m.data + 8, 4)     # only ever written (data+9)
    m.insert_point(PointKind.WATCH_WRITE, m.data + 12, 4)   # only ever read
    shown = m.debug.describe()
    assert f"range {m.data + 4:#010x}-{m.data + 16:#010x} (DBCR2 DAC12M)" in shown
    assert m.cpu.active_debug.dbcr2 & booke.DBCR2_DAC12MODE == booke.DBCR2_DAC12M
    assert run(m) == GuestExited(THREAD, 10)    # every access in the range was the wrong way round
    assert m.read_memory(THREAD, m.data + 9, 1) == b"\x0a"


def test_removing_points_of_a_range_shrinks_it_back_to_exact_dacs(machine):
    m = machine
    m.insert_point(PointKind.WATCH_ACCESS, m.data, 16)
    m.insert_point(PointKind.WATCH_READ, m.data + 12, 1)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_ACCESS, m.data)
    m.remove_point(PointKind.WATCH_ACCESS, m.data, 16)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_READ, m.data + 12)
    assert not m.cpu.active_debug.dbcr2 & booke.DBCR2_DAC12MODE


def test_a_long_range_is_checked_by_translated_code_too():
    """Two local variables in frames of a recursion are 4 KiB apart (gdb.base/recurse.exp): the
    range over both is checked as a range, by blocks as by the interpreter."""
    m = Machine(build_asm(WALK_ASM, name="watch-walk"))
    buf = m.elf.symbols["buf"]
    m.insert_point(PointKind.WATCH_WRITE, buf + 42, 1)
    m.insert_point(PointKind.WATCH_WRITE, buf + 0x1000, 4)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, buf + 42)
    assert m.cpu.gpr[3] == 15
    assert any(block.run for block in m.cpu.code.blocks.values())


def test_without_the_range_mode_only_single_bytes_are_watched(make):
    m = make(NO_RANGE)
    data = m.data
    with pytest.raises(PointRefused, match="no DAC range mode"):
        m.insert_point(PointKind.WATCH_WRITE, data + 8, 4)
    m.insert_point(PointKind.WATCH_WRITE, data + 9, 1)
    m.insert_point(PointKind.WATCH_READ, data + 12, 1)
    with pytest.raises(PointRefused, match="DAC slots"):
        m.insert_point(PointKind.WATCH_READ, data + 13, 1)
    assert run(m) == WatchStop(THREAD, PointKind.WATCH_WRITE, data + 9)


def test_the_kvm_model_programs_a_range_only_where_it_fits():
    def request(*entries):
        dbg = GuestDebug(control=KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP)
        dbg.bp[:len(entries)] = [BreakpointSpec(addr, kind) for addr, kind in entries]
        return dbg
    ranged = (0x1000, KVMPPC_DEBUG_WATCH_WRITE | KVMPPC_DEBUG_RANGE), (0x1010, KVMPPC_DEBUG_WATCH_WRITE)
    regs = compute_debug_regs(request(*ranged), E500MC)
    assert (regs.dac, regs.dbcr2) == ([0x1000, 0x1010], booke.DBCR2_DAC12M)
    assert regs.dbcr0 == booke.DBCR0_IDM | booke.DBCR0_DAC1W
    for entries, profile in (
            (ranged, NO_RANGE),
            (((0x2000, KVMPPC_DEBUG_WATCH_WRITE),) + ranged, E500MC),      # DAC1 is taken
            (((0x1000, KVMPPC_DEBUG_WATCH_WRITE | KVMPPC_DEBUG_RANGE), (0x0ff0, 0)), E500MC),  # backwards
            (((0x1000, KVMPPC_DEBUG_BREAKPOINT | KVMPPC_DEBUG_RANGE), (0x1010, 0)),
             replace(E500MC, iac_range=False))):                                  # no IAC range
        with pytest.raises(GuestDebugError):
            compute_debug_regs(request(*entries), profile)
