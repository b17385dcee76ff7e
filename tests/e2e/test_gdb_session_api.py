"""GdbSession itself: a stop that an unrelated command reads past is not lost.

Found in review: a guest that stopped by itself (breakpoint, exit) before ``interrupt()`` had
its ``*stopped`` record swallowed by ``cmd("-exec-interrupt")``, and ``wait_stopped()`` then
waited for one that never came."""
from __future__ import annotations

import time

from gdbstub.gdb_session import GdbSession

TIMEOUT = 5.0    # the session's; without the fix, each test fails after this long


def _stop_read_in_passing(gdb: GdbSession) -> None:
    """Send harmless commands until one of them reads past a ``*stopped`` record."""
    deadline = time.monotonic() + TIMEOUT
    while not any(r["type"] == "notify" and r["message"] == "stopped" for r in gdb.cmd("-gdb-show confirm")):
        assert time.monotonic() < deadline, "the guest did not stop"
        time.sleep(0.05)


def _factorial_argument(stop: dict) -> str:
    assert stop["reason"] == "breakpoint-hit" and stop["frame"]["func"] == "factorial", stop
    return stop["frame"]["args"][0]["value"]


def test_interrupt_returns_a_breakpoint_stop_that_came_first(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf, timeout=TIMEOUT)
    gdb.cmd("-break-insert factorial")
    gdb.cmd("-exec-continue")
    _stop_read_in_passing(gdb)
    assert _factorial_argument(gdb.interrupt()) == "5"
    assert _factorial_argument(gdb.run("-exec-continue")) == "4"    # still in step


def test_interrupt_returns_an_exit_that_came_first(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf, timeout=TIMEOUT)
    gdb.cmd("-exec-continue")
    _stop_read_in_passing(gdb)
    assert gdb.interrupt()["reason"] == "exited-normally"


def test_wait_stopped_returns_stops_read_in_passing_oldest_first_and_run_its_own(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf, timeout=TIMEOUT)
    gdb.cmd("-break-insert factorial")
    for _ in range(2):
        gdb.cmd("-exec-continue")
        _stop_read_in_passing(gdb)
    assert _factorial_argument(gdb.wait_stopped()) == "5"
    # run() answers with the stop of its own resume, not the one (factorial(4)) left over
    assert _factorial_argument(gdb.run("-exec-continue")) == "3"
