"""The BookE facilities gdb cannot name, through ``monitor`` on the Machine (issue 21 item 2):
the BRT/IRPT/RET/TRAP events, IAC ranges and the 440's data value compare, with the slots and
owners ``monitor debug`` shows (item 3)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.hwdebug.profiles import E500MC, PPC440
from gdbstub.machine import THREAD, Machine
from gdbstub.target import DebugEventStop, GuestExited, MonitorError, PointKind, PointRefused
from gdbstub.vcpu import booke

EVENTS_S = Path(__file__).parents[1] / "e2e" / "guests" / "events.S"


@pytest.fixture(scope="module")
def events_elf():
    return build_asm(EVENTS_S.read_text(), name="events")


def symbol(machine: Machine, name: str) -> int:
    return machine.elf.symbols[name]


def go(machine: Machine):
    machine.resume(THREAD, step=False)
    stop = machine.run(100_000)
    assert stop is not None, "the guest did not stop"
    return stop


def stops(machine: Machine, limit: int = 20) -> list:
    """(pc, message) of every event stop until the guest exits with 7."""
    seen = []
    for _ in range(limit):
        stop = go(machine)
        if isinstance(stop, GuestExited):
            assert stop == GuestExited(THREAD, 7)
            return seen
        assert isinstance(stop, DebugEventStop), stop
        seen.append((machine.cpu.pc, stop.message))
    raise AssertionError(f"no exit after {limit} stops: {seen[-3:]}")


@pytest.fixture(params=[0, None], ids=["translating", "interpreting"])
def machine(request, events_elf):
    """The guest with blocks translated at once (the run loop must interpret while the events
    are armed) and with the interpreter alone: the same stops either way."""
    m = Machine(events_elf)
    m.cpu.translate_after = request.param
    return m


def test_a_taken_branch_stops_before_it_executes(machine):
    m = machine
    m.monitor("catch branch")
    bdnz = symbol(m, "after_loop") - 4
    first = go(m)
    assert isinstance(first, DebugEventStop) and "branch taken (BRT)" in first.message
    assert m.cpu.pc == bdnz and m.cpu.ctr == 3 and m.cpu.gpr[3] == 1    # CTR not yet decremented
    assert go(m) == first and m.cpu.ctr == 2 and m.cpu.gpr[3] == 2      # continuing moves on
    assert stops(m) == []                                               # the last bdnz falls through
    assert m.cpu.gpr[3] == 7


def test_an_interrupt_taken_stops_at_its_vector_and_names_it(machine):
    m = machine
    m.monitor("catch interrupt")
    seen = stops(m)
    assert [pc for pc, _ in seen] == [symbol(m, "sc_handler"), symbol(m, "program_handler")]
    assert "system call interrupt (IVOR8)" in seen[0][1] and f"SRR0 {symbol(m, 'after_sc'):#010x}" in seen[0][1]
    assert "program interrupt (IVOR6)" in seen[1][1]
    assert m.cpu.gpr[20] == 1


def test_each_rfi_stops_before_it_returns(machine):
    m = machine
    m.monitor("catch return")
    seen = stops(m)
    assert [pc for pc, _ in seen] == [symbol(m, "sc_return"), symbol(m, "program_return")]
    assert f"to {symbol(m, 'after_sc'):#010x}" in seen[0][1]


def test_a_trap_stops_before_it_then_reaches_the_guest_handler(machine):
    m = machine
    m.monitor("catch trap")
    seen = stops(m)
    assert [pc for pc, _ in seen] == [symbol(m, "after_sc")]
    assert "trap (TRAP)" in seen[0][1]        # then the guest's handler stepped past the trap


def test_events_combine_and_off_removes_one(machine):
    m = machine
    m.monitor("catch interrupt")
    m.monitor("catch return")
    assert m.monitor("catch interrupt off") == "catching: return\n"
    assert len(stops(m)) == 2


def test_an_inclusive_range_stops_on_each_instruction_in_it(machine):
    m = machine
    start, end = symbol(m, "in_range"), symbol(m, "range_end")
    assert m.monitor(f"range {start:#x} {end:#x}") == f"range: inside {start:#010x}-{end:#010x}\n"
    seen = stops(m)
    assert [pc for pc, _ in seen] == [start, start + 4]
    assert "IAC range inside" in seen[0][1]


def test_an_exclusive_range_stops_on_leaving_it(machine):
    m = machine
    m.monitor(f"range {symbol(m, '_start'):#x} {symbol(m, 'sc_handler'):#x} outside")
    assert go(m) == DebugEventStop(THREAD, m.debug.last_event and
                                   f"BookE debug event: {m.debug.last_event}\n")
    assert m.cpu.pc == symbol(m, "sc_handler")
    m.monitor("range off")
    assert go(m) == GuestExited(THREAD, 7)


def test_a_range_takes_both_iacs_of_the_e500mc(events_elf):
    m = Machine(events_elf)
    m.monitor(f"range {symbol(m, 'in_range'):#x} {symbol(m, 'range_end'):#x}")
    with pytest.raises(PointRefused):
        m.insert_point(PointKind.HARDWARE, symbol(m, "loop"), 4)
    m.monitor("range off")
    m.insert_point(PointKind.HARDWARE, symbol(m, "loop"), 4)
    m.insert_point(PointKind.HARDWARE, symbol(m, "after_loop"), 4)
    with pytest.raises(MonitorError, match="all 2 IAC slots are in use"):
        m.monitor(f"range {symbol(m, 'in_range'):#x} {symbol(m, 'range_end'):#x}")


def test_the_440_keeps_iac3_and_iac4_beside_a_range(events_elf):
    m = Machine(events_elf, profile=PPC440)
    m.monitor(f"range {symbol(m, 'in_range'):#x} {symbol(m, 'range_end'):#x}")
    m.insert_point(PointKind.HARDWARE, symbol(m, "loop"), 4)
    text = m.monitor("debug")
    assert (f"IAC1-IAC2  range inside {symbol(m, 'in_range'):#010x}-{symbol(m, 'range_end'):#010x} "
            "(DBCR1 IAC12M) for stub: monitor range") in text
    assert f"IAC3  {symbol(m, 'loop'):#010x}  gdb hbreak (Z1)  (exact)" in text and "IAC4  free" in text


@pytest.mark.parametrize("translate_after", [0, None], ids=["translating", "interpreting"])
def test_a_value_compare_stops_only_on_the_matching_store(events_elf, translate_after):
    m = Machine(events_elf, profile=PPC440)
    m.cpu.translate_after = translate_after
    data = symbol(m, "data")
    assert m.monitor(f"dvc {data:#x} 2") == f"dvc: 4-byte store of 0x2 to {data:#010x}\n"
    stop = go(m)
    assert isinstance(stop, DebugEventStop) and "value compare (DAC1 + DVC1)" in stop.message
    assert m.cpu.pc == symbol(m, "store_two")
    assert m.read_memory(THREAD, data, 4) == (1).to_bytes(4, "big")    # not written yet
    text = m.monitor("debug")
    assert f"DAC1  {data:#010x}  stub: monitor dvc  (DVC1 0x00000002 lanes 0xf)" in text
    assert go(m) == GuestExited(THREAD, 7)
    assert m.read_memory(THREAD, data, 4) == (3).to_bytes(4, "big")


def test_a_byte_value_compare_watches_its_lane(events_elf):
    m = Machine(events_elf, profile=PPC440)
    data = symbol(m, "data")
    m.monitor(f"dvc {data + 3:#x} 3 1")        # the low byte of the big-endian word
    assert go(m) == DebugEventStop(THREAD, f"BookE debug event: {m.debug.last_event}\n")
    assert m.cpu.pc == symbol(m, "range_end") - 12    # the third store


def test_value_compares_are_refused_where_the_core_has_none(events_elf):
    m = Machine(events_elf, profile=E500MC)
    with pytest.raises(MonitorError, match="no data value compare"):
        m.monitor("dvc 0x1000 2")
    assert "DAC1  free" in m.monitor("debug")


@pytest.mark.parametrize("command", ["catch", "catch nothing", "catch branch now", "range 0x10",
                                     "range 0x20 0x10", "range 1 2 3", "dvc 0x1001 2", "dvc 0x1000 0x1ffff 2",
                                     "dvc x 1", "range 0 0x100000000"])
def test_bad_monitor_commands_are_clear_errors_that_change_nothing(events_elf, command):
    m = Machine(events_elf, profile=PPC440)
    before = m.monitor("debug")
    if command == "catch":
        assert m.monitor(command) == "catching: nothing\n"
    else:
        with pytest.raises(MonitorError):
            m.monitor(command)
    assert m.monitor("debug") == before


def test_monitor_debug_names_owners_and_modes(events_elf):
    m = Machine(events_elf)
    m.monitor("catch branch")
    m.insert_point(PointKind.WATCH_WRITE, symbol(m, "data"), 4)
    text = m.monitor("debug")
    assert "gdb: set remote hardware-breakpoint-limit 2; set remote hardware-watchpoint-limit 2" in text
    assert "events: branch taken (BRT): stub: monitor catch" in text
    assert f"DAC1  {symbol(m, 'data'):#010x}" not in text      # 4 bytes: the DAC range holds it
    assert f"(DBCR2 DAC12M) for watch (Z2) {symbol(m, 'data'):#x}-{symbol(m, 'data') + 4:#x}" in text
    go(m)
    assert "last event: branch taken (BRT)" in m.monitor("debug")
    m.remove_all_points()                                       # gdb detaches: all goes
    assert "events: none" in m.monitor("debug") and m.cpu.active_debug.dbcr0 & booke.DBCR0_BT == 0
