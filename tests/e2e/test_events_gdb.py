"""gdb-multiarch with the BookE facilities gdb cannot name (issue 21 items 2 and 3): the
``monitor`` commands and the shipped gdb script (gdbstub/gdb/booke.py) over them. Each stop is
a SIGTRAP to gdb, and the cause reaches gdb's console as target output (an ``O`` packet)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gdbstub.gdb import SCRIPT
from gdbstub.gdb_session import GdbError
from gdbstub.guests.build import build_asm

EVENTS_S = Path(__file__).parent / "guests" / "events.S"


@pytest.fixture(scope="module")
def events_elf():
    return build_asm(EVENTS_S.read_text(), name="events")


def resume(gdb, command="-exec-continue"):
    """The stop and what the target printed on gdb's console on the way (the O packets)."""
    gdb.cmd(command)
    records = gdb._read_until(lambda r: r["type"] == "notify" and r["message"] == "stopped", None)
    said = "".join(r["payload"] for r in records if r["type"] == "target" and r["payload"])
    return records[-1]["payload"], said


def pc(gdb) -> int:
    return int(gdb.evaluate("$pc").split()[0], 16)


def symbol(gdb, name) -> int:
    return int(gdb.evaluate(f"(unsigned int)&{name}"))


def test_monitor_catch_stops_on_each_event_with_its_cause_on_the_console(gdb_session, events_elf):
    gdb = gdb_session(events_elf)
    assert gdb.console("monitor catch interrupt") == "catching: interrupt\n"
    gdb.console("monitor catch return")
    stop, said = resume(gdb)
    assert stop["reason"] == "signal-received" and stop["signal-name"] == "SIGTRAP"
    assert "BookE debug event: interrupt taken (IRPT): entered the system call interrupt (IVOR8)" in said
    assert pc(gdb) == symbol(gdb, "sc_handler")
    stop, said = resume(gdb)
    assert "return from interrupt (RET): rfi at" in said and pc(gdb) == symbol(gdb, "sc_return")
    stop, said = resume(gdb)                      # gdb continues with the SIGTRAP suppressed
    assert "program interrupt (IVOR6)" in said
    assert "last event: interrupt taken (IRPT)" in gdb.console("monitor debug")


def test_catch_branch_and_trap_through_the_gdb_script(gdb_session, events_elf):
    gdb = gdb_session(events_elf)
    gdb.console(f"source {SCRIPT}")
    gdb.console("booke catch branch")
    stop, said = resume(gdb)
    assert "branch taken (BRT)" in said and pc(gdb) == symbol(gdb, "after_loop") - 4
    assert gdb.evaluate("$ctr") == "3"            # before the bdnz: CTR not decremented yet
    gdb.console("booke catch branch off")
    gdb.console("booke catch trap")
    stop, said = resume(gdb)
    assert "trap (TRAP)" in said and pc(gdb) == symbol(gdb, "after_sc")
    stop, _ = resume(gdb)
    assert stop["reason"] == "exited" and stop["exit-code"] == "07"


def test_a_range_breakpoint_by_function_names(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    gdb.console(f"source {SCRIPT}")
    gdb.console("booke range touch_globals read_globals")
    assert "range inside" in gdb.console("booke debug")
    stop, said = resume(gdb)
    assert "IAC range inside" in said
    assert stop["frame"]["func"] == "touch_globals"
    gdb.console("booke range off")
    assert resume(gdb)[0]["reason"] == "exited-normally"


def test_a_value_compare_on_the_440_stops_only_on_the_matching_store(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf, profile="440")
    gdb.console(f"source {SCRIPT}")
    gdb.console("booke dvc word_var 0x789abcde")
    assert "stub: monitor dvc  (DVC1 0x789abcde lanes 0xf)" in gdb.console("booke debug")
    stop, said = resume(gdb)
    assert "value compare (DAC1 + DVC1): 4-byte store of 0x789abcde" in said
    assert stop["frame"]["func"] == "touch_globals"
    assert gdb.evaluate("word_var") == "7"        # the store has not happened yet
    gdb.console("booke dvc off")
    assert resume(gdb)[0]["reason"] == "exited-normally"


def test_a_value_compare_is_refused_on_the_e500mc(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    gdb.console(f"source {SCRIPT}")
    said = gdb.console("booke dvc word_var 1")     # a monitor error is text, as the stub's others
    assert "the e500mc core has no data value compare (DVC)" in said
    assert "DAC1  free" in gdb.console("booke debug")


@pytest.mark.parametrize("profile, iacs, dacs", [("e500mc", 2, 2), ("440", 4, 2)])
def test_booke_limits_makes_gdb_refuse_what_the_core_cannot_hold(gdb_session, e2e_elf, profile, iacs, dacs):
    """Without the limits gdb accepts any number of hbreaks and fails only when it resumes."""
    gdb = gdb_session(e2e_elf, profile=profile)
    gdb.console(f"source {SCRIPT}")
    assert f"set remote hardware-breakpoint-limit {iacs}" in gdb.console("booke limits")
    assert f"is {dacs}." in gdb.console("show remote hardware-watchpoint-limit")
    functions = ("factorial", "triple_plus_one", "touch_globals", "read_globals", "bump_atomically")
    for function in functions[:iacs]:
        gdb.cmd(f"-break-insert -h {function}")
    with pytest.raises(GdbError, match="Hardware breakpoints used exceeds limit"):
        gdb.cmd(f"-break-insert -h {functions[iacs]}")
    assert gdb.run("-exec-continue")["reason"] == "breakpoint-hit"
