"""gdb-multiarch with conditions evaluated in the stub (issue 21 item 1): gdb sends each
condition as agent-expression bytecode with Z1, and a conditional hbreak in a loop hit 701
times reaches gdb as one stop."""
from __future__ import annotations

import re
from pathlib import Path

E2E_SOURCE = Path(__file__).parent / "guests" / "e2e.c"


def _line_of(text: str) -> int:
    return next(n for n, line in enumerate(E2E_SOURCE.read_text().splitlines(), 1) if text in line)


def test_a_conditional_hbreak_in_a_loop_stops_once(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    gdb.cmd("-break-insert main")
    gdb.run("-exec-continue")                             # crt0 clears .bss, spin included
    gdb.console("set var spin = 1")
    gdb.cmd(f'-break-insert -h -c "ticks == 700" e2e.c:{_line_of("ticks++")}')
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "breakpoint-hit"
    assert gdb.evaluate("ticks") == "700"
    evaluated = re.search(r"evaluated here (\d+) times, (\d+) false", gdb.console("monitor debug"))
    assert evaluated and evaluated.groups() == ("701", "700"), evaluated


def test_a_condition_gdb_must_evaluate_itself_still_stops_right(gdb_session, e2e_elf):
    """A condition calling a function cannot be bytecode: gdb keeps it, the stub stops on
    every hit, and gdb resumes until it holds."""
    gdb = gdb_session(e2e_elf)
    gdb.cmd("-break-insert main")
    gdb.run("-exec-continue")
    gdb.console("set var spin = 1")
    gdb.cmd(f'-break-insert -h -c "triple_plus_one(ticks) == 31" e2e.c:{_line_of("ticks++")}')
    assert gdb.run("-exec-continue", timeout=120)["reason"] == "breakpoint-hit"
    assert gdb.evaluate("ticks") == "10"
    assert "evaluated here 0 times" in gdb.console("monitor debug")
