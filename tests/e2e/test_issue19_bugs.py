"""gdb sessions for what gdb's own testsuite found (issue 19): each test fails without its fix."""
from __future__ import annotations


def test_jump_onto_a_breakpoint_stops_there(gdb_session, e2e_elf):
    """gdb.base/jump.exp: gdb writes the PC, then continues with the breakpoint inserted."""
    gdb = gdb_session(e2e_elf)
    gdb.cmd("-break-insert touch_globals")
    stop = gdb.run("-exec-jump touch_globals")
    assert stop["reason"] == "breakpoint-hit" and stop["frame"]["func"] == "touch_globals", stop


def test_info_float_shows_fpscr(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    assert "fpscr" in gdb.console("info float")
