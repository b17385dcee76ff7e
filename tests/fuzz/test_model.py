"""The fuzzer's reference model: slot learning, memory, stop replies."""
from __future__ import annotations

import pytest

from gdbstub.fuzz.model import MemoryModel, Point, PointModel, StopReply, Violation, Window, check_stop


def test_slots_are_learned_from_the_targets_answers():
    points = PointModel()
    assert points.expected_insert(1) is None
    points.insert(Point(1, 0x100, 4), ok=True)
    points.insert(Point(1, 0x104, 4), ok=True)
    points.insert(Point(1, 0x108, 4), ok=False)           # E22: two IAC slots
    assert points.expected_insert(1) is False
    points.insert(Point(2, 0x200, 4), ok=True)            # other types are not constrained by it
    with pytest.raises(Violation, match="must be refused"):
        points.insert(Point(1, 0x10c, 4), ok=True)
    points.remove(Point(1, 0x100, 4))
    assert points.expected_insert(1) is None               # fewer Z1, but one Z2 more than when refused
    points.remove(Point(2, 0x200, 4))
    assert points.expected_insert(1) is True               # a removal frees the slot
    with pytest.raises(Violation, match="must be accepted"):
        points.insert(Point(1, 0x110, 4), ok=False)


def test_a_new_connection_drops_points_but_not_what_was_learned():
    points = PointModel()
    points.insert(Point(3, 0x200, 1), ok=True)
    points.clear()
    assert points.counts() == (0, 0, 0, 0) and points.expected_insert(3) is True


def test_memory_reads_must_match_what_was_written_until_the_guest_runs():
    memory = MemoryModel()
    memory.write(0x10, b"\x01\x02")
    memory.check_read(0x0f, b"\xaa\x01\x02")
    with pytest.raises(Violation, match="0x11 reads 0x00"):
        memory.check_read(0x11, b"\x00")
    memory.forget()
    memory.check_read(0x11, b"\x00")


@pytest.mark.parametrize(("payload", "letter", "number", "fields"), [
    (b"T05thread:1;hwbreak:;", "T", 5, {"thread": b"1", "hwbreak": b""}),
    (b"T0540:00100004;watch:1000;", "T", 5, {"40": b"00100004", "watch": b"1000"}),
    (b"S02", "S", 2, {}),
    (b"W0a", "W", 10, {}),
    (b"X09;process:1", "X", 9, {}),
])
def test_stop_replies_parse(payload, letter, number, fields):
    stop = StopReply.parse(payload)
    assert (stop.letter, stop.number, stop.fields) == (letter, number, fields)


@pytest.mark.parametrize("payload", [b"OK", b"T5", b"E22", b"T05thread", b"S05x", b""])
def test_anything_else_is_not_a_stop_reply(payload):
    with pytest.raises(Violation):
        StopReply.parse(payload)


def test_a_stop_must_be_explained_by_the_inserted_points():
    points = PointModel()
    points.insert(Point(1, 0x100, 4), ok=True)
    points.insert(Point(3, 0x200, 2), ok=True)
    points.insert(Point(0, 0x108, 4), ok=True)
    check_stop(StopReply.parse(b"T05hwbreak:;"), points, pc=0x100)
    check_stop(StopReply.parse(b"T05swbreak:;"), points, pc=0x108)
    check_stop(StopReply.parse(b"T05rwatch:201;"), points, pc=None)
    with pytest.raises(Violation, match="no inserted Z1"):
        check_stop(StopReply.parse(b"T05hwbreak:;"), points, pc=0x108)
    with pytest.raises(Violation, match="no fitting watchpoint"):
        check_stop(StopReply.parse(b"T05watch:200;"), points, pc=None)   # a read point does not report writes
    with pytest.raises(Violation, match="no fitting watchpoint"):
        check_stop(StopReply.parse(b"T05rwatch:202;"), points, pc=None)


@pytest.mark.parametrize(("text", "window"), [("0x3000:0x100", Window(0x3000, 0x100)), ("4096:16", Window(4096, 16))])
def test_windows_parse(text, window):
    assert Window.parse(text) == window and Window.parse(str(window)) == window


@pytest.mark.parametrize("text", ["0x3000", "0x3000:0", "x:1"])
def test_bad_windows_are_refused(text):
    with pytest.raises(ValueError):
        Window.parse(text)
