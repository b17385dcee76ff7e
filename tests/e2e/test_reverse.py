"""Reverse execution with a real gdb-multiarch (issue #20), on the demo guest (``demo.c``, -O0):
reverse-continue to the last hit of a break, an hbreak and a watch; reverse-stepi and stepi
back to the same registers and memory; reverse-finish; reverse-next; the start of history."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import demo_guest

@pytest.fixture
def gdb(gdb_session):
    return gdb_session(demo_guest())


def _argument(stop: dict) -> str:
    return stop["frame"]["args"][0]["value"]


@pytest.mark.parametrize("hardware", [False, True], ids=["break", "hbreak"])
def test_reverse_continue_stops_at_the_last_hit_of_a_breakpoint(gdb, hardware):
    gdb.cmd(f"-break-insert {'-h ' if hardware else ''}square")
    assert [_argument(gdb.run("-exec-continue")) for _ in range(4)] == ["0", "1", "2", "3"]
    back = [gdb.run("-exec-continue --reverse") for _ in range(2)]
    assert [(stop["reason"], _argument(stop)) for stop in back] == [("breakpoint-hit", "2"), ("breakpoint-hit", "1")]
    assert gdb.evaluate("counter") == "1"
    assert [_argument(gdb.run("-exec-continue")) for _ in range(3)] == ["2", "3", "4"]   # replayed, then live
    assert gdb.evaluate("counter") == "4"


def test_reverse_continue_to_a_watchpoint_reports_the_write_undone(gdb):
    gdb.cmd("-break-insert fill_squares")
    gdb.run("-exec-continue")
    gdb.console("watch counter")
    forward = [gdb.run("-exec-continue")["value"] for _ in range(3)]
    assert forward == [{"old": "0", "new": "1"}, {"old": "1", "new": "2"}, {"old": "2", "new": "3"}]
    stop = gdb.run("-exec-continue --reverse")
    assert stop["reason"] == "watchpoint-trigger" and stop["value"] == {"old": "3", "new": "2"}, stop
    assert stop["frame"]["func"] == "fill_squares" and gdb.evaluate("counter") == "2"
    stop = gdb.run("-exec-continue --reverse")
    assert stop["value"] == {"old": "2", "new": "1"} and gdb.evaluate("counter") == "1"
    stop = gdb.run("-exec-continue")
    assert stop["value"] == {"old": "1", "new": "2"}, stop


def test_reverse_stepi_then_stepi_returns_to_the_same_registers_and_memory(gdb):
    gdb.cmd("-break-insert fill_squares")
    gdb.run("-exec-continue")
    gdb.run("-exec-next")
    gdb.run("-exec-next")
    for _ in range(30):                      # into square() and back out of it
        gdb.run("-exec-step-instruction")
    here = (gdb.console("info registers"), gdb.console("x/32xw squares"), gdb.console("x/16xw $r1"))
    pcs = []
    for _ in range(30):
        pcs.append(gdb.evaluate("$pc"))
        gdb.run("-exec-step-instruction --reverse")
    assert gdb.console("info registers") != here[0]
    for pc in reversed(pcs):
        gdb.run("-exec-step-instruction")
        assert gdb.evaluate("$pc") == pc
    assert (gdb.console("info registers"), gdb.console("x/32xw squares"), gdb.console("x/16xw $r1")) == here


def test_reverse_finish_and_reverse_next(gdb):
    gdb.cmd("-break-insert square")
    gdb.run("-exec-continue")
    gdb.run("-exec-continue")
    stop = gdb.run("-exec-finish --reverse")
    assert stop["frame"]["func"] == "fill_squares" and gdb.evaluate("i") == "1", stop
    call = stop["frame"]
    gdb.cmd("-break-delete")
    stop = gdb.run("-exec-next --reverse")            # to the start of the line of the call
    assert stop["frame"]["line"] == call["line"] and int(stop["frame"]["addr"], 16) < int(call["addr"], 16)
    stop = gdb.run("-exec-next --reverse")            # the loop's i++: iteration 0 is done
    assert (stop["frame"]["line"], gdb.evaluate("i"), gdb.evaluate("counter")) == ("28", "0", "1"), stop
    stop = gdb.run("-exec-next --reverse")            # its counter++, not done yet
    assert int(stop["frame"]["line"]) == int(call["line"]) + 2 and gdb.evaluate("counter") == "0", stop


def test_at_the_start_of_history_gdb_stops_there_and_forward_runs_on(gdb):
    text = gdb.console("monitor history")
    assert "history: instructions 0 to 0" in text, text
    gdb.cmd("-break-insert square")
    gdb.run("-exec-continue")
    gdb.cmd("-break-delete")
    for command in ("-exec-continue --reverse", "-exec-step-instruction --reverse"):
        assert gdb.run(command)["frame"]["func"] == "_start"
        assert "now at 0," in gdb.console("monitor history")
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"
    assert gdb.uart.count(b"sum of squares") == 3          # said once, not again when replayed


def test_reverse_step_enters_the_function_just_returned_from(gdb):
    gdb.cmd("-break-insert demo.c:30")                 # sum += squares[i], after square(i)
    gdb.run("-exec-continue")
    gdb.run("-exec-continue")
    gdb.cmd("-break-delete")
    stop = gdb.run("-exec-step --reverse")              # back into square(1), at its end
    assert stop["frame"]["func"] == "square" and _argument(stop) == "1", stop
    stop = gdb.run("-exec-finish --reverse")
    assert stop["frame"]["func"] == "fill_squares" and gdb.evaluate("i") == "1"
