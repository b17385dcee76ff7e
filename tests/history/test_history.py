"""The execution history (gdbstub/history.py): its page store on its own, then the machine going
back and forth through it: the same registers and RAM as a run straight to that instruction
count, console input replayed where it came, gdb's writes cutting the future, breakpoints kept
out of the snapshots, the budget."""
from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from gdbstub import history as hist
from gdbstub.guests.build import build_asm, build_guest, demo_guest
from gdbstub.history import PAGE, History, differing_pages
from gdbstub.machine import THREAD, Machine
from gdbstub.target import BreakpointStop, GuestExited, HistoryBegin, PointKind, SignalStop, WatchStop

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "guests" / "bench.c"
ECHO = Path(__file__).parent / "guests" / "echo.c"
RAM = 4 << 20


# --- the page store ---------------------------------------------------------------------------
def _scribble(ram: bytearray, rng: random.Random, writes: int) -> None:
    for _ in range(writes):
        at = rng.randrange(len(ram) - 8)
        ram[at:at + 8] = rng.randbytes(8)


def test_differing_pages_finds_each_changed_page_and_only_those():
    a, b = bytearray(1 << 20), bytearray(1 << 20)
    for offset in (0, 5 * PAGE + 7, 200 * PAGE - 1, (1 << 20) - 1):
        b[offset] ^= 1
    assert differing_pages(a, b) == [0, 5 * PAGE, 199 * PAGE, (1 << 20) - PAGE]
    assert differing_pages(a, a) == []


def test_every_snapshot_restores_its_ram_in_any_order_and_a_cut_keeps_the_past():
    rng = random.Random(7)
    ram = bytearray(1 << 20)
    store = History(ram, budget=1 << 30)
    expected = []
    for icount in range(0, 1000, 100):
        _scribble(ram, rng, 50)
        store.take(icount, f"state {icount}")
        expected.append(hashlib.sha256(ram).digest())
    _scribble(ram, rng, 50)                              # a run on from the newest
    for index in (3, 9, 0, 5, 5, 9):
        assert store.restore(index) == f"state {index * 100}"
        assert hashlib.sha256(ram).digest() == expected[index], index
    store.restore(4)
    store.truncate(450)                                  # gdb wrote at 450: 500.. never happened
    assert [s.icount for s in store.snapshots] == [0, 100, 200, 300, 400] and store.end == 450
    _scribble(ram, rng, 50)
    store.take(450, "the new 450")
    branch = hashlib.sha256(ram).digest()
    assert store.restore(2) == "state 200" and hashlib.sha256(ram).digest() == expected[2]
    assert store.restore(5) == "the new 450" and hashlib.sha256(ram).digest() == branch


def test_the_shadow_costs_only_the_ram_written():
    ram = bytearray(1 << 20)
    ram[5 * PAGE] = 1
    store = History(ram, budget=1 << 30)
    assert store.shadow_bytes == hist.CHUNK                # the piece holding that page
    ram[200 * PAGE] = 1
    store.take(0, None)
    assert store.shadow_bytes == hist.CHUNK + PAGE


def test_a_snapshot_at_the_same_count_replaces_the_newest_and_keeps_the_older_ones_exact():
    ram = bytearray(64 * PAGE)
    store = History(ram, budget=1 << 30)
    store.take(0, "zero")
    ram[3 * PAGE] = 1
    store.take(10, "ten")
    ram[3 * PAGE] = 2
    ram[9 * PAGE] = 2
    store.take(10, "ten, written by gdb")
    assert len(store.snapshots) == 2
    store.restore(0)
    assert ram[3 * PAGE] == 0 and ram[9 * PAGE] == 0
    assert store.restore(1) == "ten, written by gdb" and ram[3 * PAGE] == 2 and ram[9 * PAGE] == 2


def test_past_the_budget_the_oldest_snapshots_and_their_input_go():
    rng = random.Random(3)
    ram = bytearray(1 << 20)
    store = History(ram, budget=40 * PAGE)
    for icount in range(0, 2000, 100):
        _scribble(ram, rng, 8)                           # about 8 pages a snapshot
        store.record_input(icount + 1, b"x")
        store.take(icount, icount)
    assert store.used <= store.budget and store.dropped > 0
    assert store.start == store.snapshots[0].icount > 0
    assert all(at >= store.start for at, _ in store.inputs)
    assert store.used == sum(s.state_bytes + PAGE * len(s.undo) for s in store.snapshots) + len(store.inputs)


# --- the machine going back and forth ----------------------------------------------------------
def _go(machine: Machine, *, reverse: bool = False, step: bool = False, slice_steps: int = 5000):
    (machine.resume_reverse if reverse else machine.resume)(THREAD, step=step)
    while (stop := machine.run(slice_steps)) is None:
        pass
    return stop


def _state(machine: Machine) -> tuple:
    return machine.cpu.icount, machine.read_registers(THREAD), hashlib.sha256(machine.memory.ram).hexdigest()


@pytest.fixture
def often(monkeypatch):
    """A snapshot at every run slice, so that history has many of them."""
    monkeypatch.setattr(hist, "SNAPSHOT_OVERHEAD", 1e9)


def _bench_machine(rounds: int = 2) -> Machine:
    machine = Machine(build_guest([BENCH], name="bench"), ram_size=RAM)
    machine.write_memory(THREAD, machine.elf.symbols["rounds"], rounds.to_bytes(4, "big"))
    machine.start_history()
    return machine


def _reference(icount: int, rounds: int = 2) -> tuple:
    """The state at ``icount`` of a run straight there, without history."""
    machine = Machine(build_guest([BENCH], name="bench"), ram_size=RAM, history_mib=0)
    machine.write_memory(THREAD, machine.elf.symbols["rounds"], rounds.to_bytes(4, "big"))
    machine.resume(THREAD, step=False)
    while machine.cpu.icount < icount:
        assert machine.run(icount - machine.cpu.icount) is None
    return _state(machine)


def test_going_back_lands_where_a_straight_run_does(often):
    machine = _bench_machine()
    machine.resume(THREAD, step=False)
    for _ in range(60):
        assert machine.run(3000) is None
    end = _state(machine)
    assert len(machine.recorder.history.snapshots) > 50
    assert _go(machine, reverse=True, step=True) == SignalStop(THREAD, 5)
    assert _state(machine) == _reference(end[0] - 1)
    for _ in range(3):                               # back over a snapshot boundary
        _go(machine, reverse=True, step=True)
    assert machine.cpu.icount == end[0] - 4
    for _ in range(4):
        _go(machine, step=True)
    assert _state(machine) == end


def test_reverse_continue_finds_the_last_hit_before_now_then_the_start_of_history(often):
    machine = _bench_machine(rounds=3)
    checkpoint = machine.elf.symbols["checkpoint"]
    machine.insert_point(PointKind.SOFTWARE, checkpoint, 4)
    hits = [(_go(machine), machine.cpu.icount) for _ in range(3)]
    assert all(stop == BreakpointStop(THREAD, PointKind.SOFTWARE, checkpoint) for stop, _ in hits)
    machine.remove_point(PointKind.SOFTWARE, checkpoint, 4)
    machine.insert_point(PointKind.HARDWARE, checkpoint, 4)
    assert _go(machine, reverse=True) == BreakpointStop(THREAD, PointKind.HARDWARE, checkpoint)
    assert machine.cpu.icount == hits[1][1]
    machine.remove_point(PointKind.HARDWARE, checkpoint, 4)
    machine.insert_point(PointKind.SOFTWARE, checkpoint, 4)
    assert _go(machine, reverse=True) == BreakpointStop(THREAD, PointKind.SOFTWARE, checkpoint)
    assert machine.cpu.icount == hits[0][1]
    assert _go(machine, reverse=True) == HistoryBegin(THREAD)
    assert machine.cpu.icount == 0
    assert _go(machine, reverse=True, step=True) == HistoryBegin(THREAD)
    assert _go(machine) == BreakpointStop(THREAD, PointKind.SOFTWARE, checkpoint)   # forward again
    assert machine.cpu.icount == hits[0][1]
    machine.remove_point(PointKind.SOFTWARE, checkpoint, 4)
    assert isinstance(_go(machine), GuestExited)


def test_a_watchpoint_going_back_stops_after_the_write_it_undoes():
    """gdb steps back over it (PowerPC watchpoints are not steppable) and compares values."""
    machine = Machine(demo_guest())
    machine.start_history()
    counter = machine.elf.symbols["counter"]
    machine.insert_point(PointKind.WATCH_WRITE, counter, 4)
    stores = []
    for _ in range(4):                                  # crt0 clearing it, then counter++
        assert _go(machine) == WatchStop(THREAD, PointKind.WATCH_WRITE, counter)
        before = (machine.cpu.icount, machine.cpu.pc, machine.read_memory(THREAD, counter, 4))
        machine.remove_point(PointKind.WATCH_WRITE, counter, 4)   # as gdb steps over it
        _go(machine, step=True)
        machine.insert_point(PointKind.WATCH_WRITE, counter, 4)
        stores.append((before, machine.read_memory(THREAD, counter, 4)))
    assert [int.from_bytes(after, "big") for _, after in stores] == [0, 1, 2, 3]
    for (icount, pc, value), after in reversed(stores[1:]):
        assert _go(machine, reverse=True) == WatchStop(THREAD, PointKind.WATCH_WRITE, counter)
        assert (machine.cpu.icount, machine.read_memory(THREAD, counter, 4)) == (icount + 1, after)
        machine.remove_point(PointKind.WATCH_WRITE, counter, 4)
        _go(machine, reverse=True, step=True)
        machine.insert_point(PointKind.WATCH_WRITE, counter, 4)
        assert (machine.cpu.icount, machine.cpu.pc, machine.read_memory(THREAD, counter, 4)) == (icount, pc, value)


def test_console_input_is_replayed_where_it_came_and_new_input_waits_for_the_end(often):
    output = bytearray()
    machine = Machine(build_guest([ECHO], name="echo"), ram_size=RAM, uart_output=output.extend)
    machine.start_history()
    machine.resume(THREAD, step=False)
    for typed in (b"ab", b"cde"):
        for _ in range(7):
            assert machine.run(700) is None
        machine.type_into_console(typed)
    for _ in range(5):
        assert machine.run(700) is None
    middle = _state(machine)
    assert output == b"abcde"
    for _ in range(40):
        _go(machine, reverse=True, step=True, slice_steps=1)
    _go(machine, reverse=True)                          # back to the start of history
    assert machine.cpu.icount == 0
    machine.type_into_console(b"fgh")                   # typed while replaying: taken at the end
    machine.resume(THREAD, step=False)
    while machine.cpu.icount < middle[0]:
        assert machine.run(middle[0] - machine.cpu.icount) is None
    assert _state(machine) == middle and output == b"abcde"
    stop = _go(machine)
    assert isinstance(stop, GuestExited) and output == b"abcdefgh"
    digest = machine.read_memory(THREAD, machine.elf.symbols["digest"], 4)
    assert stop.status == digest[-1]


def test_a_gdb_write_inside_history_discards_the_future(often):
    machine = _bench_machine()
    machine.resume(THREAD, step=False)
    for _ in range(20):
        assert machine.run(3000) is None
    end = machine.cpu.icount
    for _ in range(2):
        _go(machine, reverse=True, step=True)
    machine.write_register(THREAD, 3, (0x1234).to_bytes(4, "big"))
    history = machine.recorder.history
    assert history.end == end - 2 and all(s.icount <= end - 2 for s in history.snapshots)
    after_write = _state(machine)
    _go(machine, step=True)
    _go(machine, reverse=True, step=True)
    assert _state(machine) == after_write               # the write is part of history now


def test_snapshots_hold_the_guests_words_not_the_breakpoints(often):
    machine = _bench_machine()
    checkpoint = machine.elf.symbols["checkpoint"]
    original = machine.cpu.read_memory(checkpoint - 0x100, 0x200)
    machine.insert_point(PointKind.SOFTWARE, checkpoint, 4)
    assert _go(machine) == BreakpointStop(THREAD, PointKind.SOFTWARE, checkpoint)
    machine.remove_point(PointKind.SOFTWARE, checkpoint, 4)
    assert _go(machine, reverse=True) == HistoryBegin(THREAD)
    assert machine.cpu.read_memory(checkpoint - 0x100, 0x200) == original
    assert isinstance(_go(machine), GuestExited)


def test_monitor_history_shows_span_and_cost_and_starts_anew():
    machine = Machine(demo_guest())
    assert "history is off" in machine.monitor("history")
    machine.start_history()
    _go(machine, step=True)
    text = machine.monitor("history")
    assert "instructions 0 to 1 (1)" in text and "MiB budget" in text, text
    assert "starts now, at instruction 1" in machine.monitor("history start")
    assert _go(machine, reverse=True, step=True) == HistoryBegin(THREAD)
    machine.monitor("history stop")
    assert "history is off" in machine.monitor("history")


WAIT_GUEST = """
    .globl _start
_start:
    lis     3, _start@h
    mtspr   63, 3                   # IVPR
    li      3, decrementer@l
    mtspr   410, 3                  # IVOR10
    lis     3, 0x0400
    mtspr   340, 3                  # TCR[DIE]
    li      3, 1000
    mtspr   22, 3                   # DEC
    li      20, 0
    li      21, 0
    wrteei  1
idle:
    wait                            # time skips to the decrementer
    addi    21, 21, 1
    cmpwi   20, 5
    blt     idle
    .globl done
done:
    b       done
    .align 4
decrementer:
    lis     3, 0x0800
    mtspr   336, 3                  # TSR[DIS] cleared
    addi    20, 20, 1
    li      3, 1000
    mtspr   22, 3
    rfi
"""


def test_going_back_over_a_wait_lands_on_the_step_before_it():
    """``wait`` makes the instruction count jump to the timer event: one step back from after
    it is the wait itself, however far the count jumped."""
    machine = Machine(build_asm(WAIT_GUEST, name="history-wait"), ram_size=RAM)
    machine.start_history()
    trail = []
    for _ in range(40):
        trail.append(_state(machine))
        _go(machine, step=True)
    assert machine.cpu.gpr[20] >= 2
    jumps = [i for i in range(1, len(trail)) if trail[i][0] - trail[i - 1][0] > 1]
    assert jumps, "no wait skipped time"
    for expected in reversed(trail):
        assert _go(machine, reverse=True, step=True) == SignalStop(THREAD, 5)
        assert _state(machine) == expected


def test_a_scratch_snapshot_serves_the_reverse_steps_after_a_long_seek_and_is_exact(monkeypatch):
    monkeypatch.setattr(hist, "SNAPSHOT_OVERHEAD", 0)  # none but the first
    machine = _bench_machine()
    machine.resume(THREAD, step=False)
    for _ in range(30):                                 # 150,000 instructions
        assert machine.run(5000) is None
    end = _state(machine)
    history = machine.recorder.history
    assert len(history.snapshots) == 1
    _go(machine, reverse=True, step=True)
    scratch = history.scratch
    assert scratch is not None and scratch.icount == end[0] - 1 - hist.SCRATCH_BEHIND
    seeks = []
    monkeypatch.setattr(History, "restore_scratch", lambda self, real=History.restore_scratch: seeks.append(1) or real(self))
    for back in range(2, 5):
        _go(machine, reverse=True, step=True)
        assert machine.cpu.icount == end[0] - back
    assert len(seeks) == 3 and history.scratch is scratch
    assert _state(machine) == _reference(end[0] - 4)
    for _ in range(4):
        _go(machine, step=True)
    assert _state(machine) == end
    _go(machine, reverse=True, step=True)
    machine.write_register(THREAD, 3, b"\0\0\0\1")      # the future goes, the scratch stays
    assert history.scratch is scratch and history.end == end[0] - 1
    history.truncate(scratch.icount - 1)                # a cut before it: it goes too
    assert history.scratch is None
