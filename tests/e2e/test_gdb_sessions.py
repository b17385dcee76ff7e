"""Real gdb-multiarch sessions over MI (through the ``gdb_session`` fixture users get too)."""
from __future__ import annotations

import re
import sys
import time

import pytest

from gdbstub.gdb_session import GdbError
from gdbstub.machine import THREAD, Machine

TOO_MANY = "You may have requested too many hardware breakpoints/watchpoints"  # gdb's own words


def _frame_function(stop: dict) -> str:
    return stop["frame"]["func"]


def _stop_at(gdb, location: str, *, hardware: bool = False) -> dict:
    gdb.cmd(f"-break-insert {'-h ' if hardware else ''}{location}")
    return gdb.run("-exec-continue")


def test_load_rewrites_code_and_the_guest_runs_to_its_exit_with_uart_output(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    gdb.console("set {int}factorial = 0")           # an illegal word where factorial starts
    assert gdb.evaluate("*(int *)factorial") == "0"
    loaded = gdb.console("load")
    assert "Loading section .text" in loaded and "Transfer rate" in loaded, loaded
    assert gdb.evaluate("*(int *)factorial") != "0"
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"
    assert b"e2e guest start\ne2e guest done\n" in gdb.uart


def test_breakpoint_hits_every_recursion_level_and_bt_shows_the_frames(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    arguments = [_stop_at(gdb, "factorial")["frame"]["args"][0]["value"]]
    for _ in range(4):
        arguments.append(gdb.run("-exec-continue")["frame"]["args"][0]["value"])
    assert arguments == ["5", "4", "3", "2", "1"]
    frames = gdb.cmd("-stack-list-frames")[-1]["payload"]["stack"]
    assert [frame["func"] for frame in frames] == ["factorial"] * 5 + ["main"]
    backtrace = gdb.console("bt")
    assert re.search(r"#5 .* main \(\) at .*e2e\.c:\d+", backtrace), backtrace


def test_hbreak_and_tbreak(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    inserted = gdb.cmd("-break-insert -h triple_plus_one")[-1]["payload"]["bkpt"]
    assert inserted["type"] == "hw breakpoint"
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "breakpoint-hit" and _frame_function(stop) == "triple_plus_one"
    gdb.cmd("-break-insert -t touch_globals")
    stop = gdb.run("-exec-continue")
    assert stop["disp"] == "del" and _frame_function(stop) == "touch_globals"
    assert "touch_globals" not in gdb.console("info breakpoints")


@pytest.mark.parametrize(("profile", "slots"), [("e500mc", 2), ("440", 4)])
def test_one_hardware_breakpoint_more_than_the_core_has_is_refused(gdb_session, e2e_elf, profile, slots):
    gdb = gdb_session(e2e_elf, profile=profile)
    functions = ["factorial", "triple_plus_one", "touch_globals", "read_globals", "main"]
    for function in functions[:slots + 1]:
        gdb.cmd(f"-break-insert -h {function}")
    with pytest.raises(GdbError, match=TOO_MANY):
        gdb.run("-exec-continue")
    gdb.cmd(f"-break-delete {slots + 1}")         # with one fewer, the session carries on
    assert gdb.run("-exec-continue")["reason"] == "breakpoint-hit"


def test_watch_rwatch_awatch_report_values_and_any_number_share_the_dacs(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    assert "Hardware watchpoint 1: word_var" in gdb.console("watch word_var")
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "watchpoint-trigger"
    assert stop["value"] == {"old": "7", "new": str(0x789abcde)}
    assert _frame_function(stop) == "touch_globals"
    gdb.cmd("-break-delete 1")

    assert "Hardware read watchpoint 2: half_var" in gdb.console("rwatch half_var")
    assert "Hardware access (read/write) watchpoint 3: ticks" in gdb.console("awatch ticks")
    assert "Hardware watchpoint 4: results[0]" in gdb.console("watch results[0]")   # one DAC range for all

    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "read-watchpoint-trigger", stop
    assert stop["value"] == {"value": str(0x3456)} and _frame_function(stop) == "read_globals"
    gdb.cmd("-break-delete 2")
    gdb.console("set var spin = 1")
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "access-watchpoint-trigger", stop
    assert _frame_function(stop) == "main"


def test_awatch_reports_byte_writes(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    _stop_at(gdb, "main")                             # after crt0 has cleared .bss
    gdb.console("awatch byte_var")
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "access-watchpoint-trigger"
    assert stop["value"] == {"old": "0 '\\000'", "new": "18 '\\022'"}


def test_watch_over_an_atomic_increment_stops_once_and_the_guest_goes_on(gdb_session, e2e_elf):
    """Found in review: a watched stwcx. lost its reservation at each stop, so gdb's continue
    over an lwarx/stwcx. loop never ended."""
    gdb = gdb_session(e2e_elf)
    gdb.console("watch atomic_count")
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "watchpoint-trigger", stop
    assert stop["value"] == {"old": "0", "new": "1"} and _frame_function(stop) == "bump_atomically"
    gdb.cmd("-break-delete 1")
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"


def test_watch_a_local_on_the_stack_until_its_frame_ends(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    _stop_at(gdb, "triple_plus_one")
    frame_pointer = int(gdb.evaluate("(unsigned)$r1"))
    assert "Hardware watchpoint 2: local" in gdb.console("watch local")
    assert frame_pointer <= int(gdb.evaluate("(unsigned)&local")) < frame_pointer + 64  # on the stack
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "watchpoint-trigger" and stop["value"]["new"] == "21"
    assert _frame_function(stop) == "triple_plus_one"
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "watchpoint-scope" and _frame_function(stop) == "main"
    assert "DAC1  free" in gdb.console("monitor debug")     # gdb removed it: the slot is free


def test_stepi_nexti_step_next_finish_until(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    start = int(_stop_at(gdb, "main")["frame"]["addr"], 16)
    assert int(gdb.run("-exec-step-instruction")["frame"]["addr"], 16) == start + 4
    assert int(gdb.run("-exec-next-instruction")["frame"]["addr"], 16) == start + 8
    line = int(gdb.run("-exec-next")["frame"]["line"])   # over the uart_puts call
    stop = gdb.run("-exec-step")                        # into factorial(5)
    assert _frame_function(stop) == "factorial" and stop["frame"]["args"][0]["value"] == "5"
    stop = gdb.run("-exec-finish")
    assert stop["reason"] == "function-finished" and stop["return-value"] == "120"
    assert _frame_function(stop) == "main" and int(stop["frame"]["line"]) == line
    stop = gdb.run(f"-exec-until {line + 3}")
    assert stop["reason"] == "location-reached" and int(stop["frame"]["line"]) == line + 3
    assert gdb.evaluate("results") == "{120, 22, 0, 0}"


def test_stepi_answered_early_lands_where_a_reference_vcpu_does(gdb_session, e2e_elf, monkeypatch):
    """gdb's ``stepi 300`` through the early step replies (most of those steps are answered
    before they run) ends in the state of a vCPU stepped 300 times in-process."""
    gdb = gdb_session(e2e_elf)
    forecasts = []
    forecast = gdb.machine.foreseen_stop
    monkeypatch.setattr(gdb.machine, "foreseen_stop",
                        lambda thread: forecasts.append(forecast(thread)) or forecasts[-1])
    reference = Machine(e2e_elf)
    for _ in range(300):
        reference.resume(THREAD, step=True)
        reference.run(1)
    gdb.console("stepi 300")
    assert int(gdb.evaluate("(unsigned int)$pc")) == reference.cpu.pc
    assert [int(gdb.evaluate(f"(unsigned int)$r{n}")) for n in range(32)] == reference.cpu.gpr
    assert sum(stop is not None for stop in forecasts) > 100


def test_registers_memory_and_variables(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    _stop_at(gdb, "triple_plus_one")
    gdb.run("-exec-next")
    assert gdb.evaluate("local") == "21" and gdb.evaluate("x") == "7"

    registers = gdb.console("info all-registers")
    for name in ("r31", "pc", "msr", "cr", "lr", "ctr", "xer", "f31", "fpscr", "dbcr0", "dbsr",
                 "iac2", "dac2", "dsrr1", "ivor15", "sprg7", "tbu"):
        assert re.search(rf"^{name}\s", registers, re.MULTILINE), name
    assert re.search(r"^pvr\s+0x80230020", registers, re.MULTILINE), registers
    gdb.console("set $iac1 = 0x100040")
    assert int(gdb.evaluate("$iac1")) == 0x100040
    assert gdb.evaluate("$r1 == $sp") == "1"

    gdb.console("set var word_var = 0x11223344")
    assert int(gdb.evaluate("word_var")) == 0x11223344
    assert "0x11223344" in gdb.console("x/1xw &word_var")
    assert "0x11\t0x22\t0x33\t0x44" in gdb.console("x/4xb &word_var")
    gdb.console("set var results[3] = -5")
    assert gdb.evaluate("results") == "{120, 0, 0, -5}"


def test_ctrl_c_interrupts_a_running_loop(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    _stop_at(gdb, "main")                             # crt0 clears .bss, spin included
    gdb.cmd("-break-delete")
    gdb.console("set var spin = 1")
    gdb.cmd("-exec-continue")
    time.sleep(0.5)
    stop = gdb.interrupt()
    assert stop["reason"] == "signal-received" and stop["signal-name"] == "SIGINT"
    assert _frame_function(stop) == "main"
    assert int(gdb.evaluate("ticks")) > 0
    gdb.console("set var spin = 0")
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"


def test_ctrl_c_after_a_long_continue_in_ack_mode(gdb_session, e2e_elf):
    """gdb in ack mode resends a packet it has had no ``+`` for within 2 s; the stub acked a
    ``c`` only with its stop reply, so the guest ran again after Ctrl-C and gdb hung."""
    gdb = gdb_session(e2e_elf)
    gdb.cmd("-target-disconnect")
    gdb.console("set remote noack-packet off")
    gdb.attach()
    _stop_at(gdb, "main")                             # crt0 clears .bss, spin included
    gdb.cmd("-break-delete")
    gdb.console("set var spin = 1")
    gdb.cmd("-exec-continue")
    time.sleep(2.5)                                  # past gdb's ack timeout
    stop = gdb.interrupt()
    assert stop["reason"] == "signal-received" and stop["signal-name"] == "SIGINT"
    ticks = int(gdb.evaluate("ticks"))
    time.sleep(0.3)
    assert int(gdb.evaluate("ticks")) == ticks > 0   # stopped, and it stays stopped
    gdb.console("set var spin = 0")
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"


def test_detach_lets_the_guest_run_and_reattach_finds_it_further(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    _stop_at(gdb, "touch_globals")
    gdb.cmd("-break-delete")
    gdb.console("set var spin = 1")
    gdb.cmd("-target-detach")
    time.sleep(0.5)
    gdb.attach()
    assert int(gdb.evaluate("ticks")) > 0             # the guest kept running while detached
    assert int(gdb.evaluate("word_var")) == 0x789abcde
    gdb.console("set var spin = 0")
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"


def test_kill_resets_the_guest_for_the_next_attach(gdb_session, e2e_elf):
    gdb = gdb_session(e2e_elf)
    _stop_at(gdb, "read_globals")
    assert int(gdb.evaluate("word_var")) == 0x789abcde
    gdb.cmd("-break-delete")
    gdb.console("kill")
    gdb.attach()
    assert gdb.evaluate("$pc == _start") == "1"
    assert gdb.evaluate("word_var") == "7"
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"


def test_gdb_drives_a_server_it_starts_over_a_pipe(gdb_session, e2e_elf):
    """``target remote | gdbstub serve --stdio GUEST``: gdb starts the server itself and talks to
    it over the server's stdin and stdout."""
    gdb = gdb_session(e2e_elf)
    gdb.cmd("-target-disconnect")
    gdb.cmd(f"-target-select remote | {sys.executable} -m gdbstub serve --stdio {e2e_elf}")
    stop = _stop_at(gdb, "factorial")
    assert _frame_function(stop) == "factorial" and stop["frame"]["args"][0]["value"] == "5"
    gdb.cmd("-break-delete")
    assert gdb.run("-exec-continue")["reason"] == "exited-normally"
    assert gdb.uart == b""        # the guest that ran was the piped server's, not the fixture's
