"""scripts/run_gdb.sh as a user meets it: --help, bad arguments, and a whole batch gdb session."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run_gdb.sh"
ENV = {**os.environ, "PYTHON": sys.executable}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env=ENV)


def test_help_prints_usage_and_succeeds():
    out = run("--help")
    assert out.returncode == 0
    assert out.stdout.startswith("usage:") and "GUEST.elf|--demo" in out.stdout


def test_no_arguments_is_a_usage_error():
    out = run()
    assert out.returncode == 2 and "usage:" in out.stderr


def test_the_demo_is_built_for_debugging():
    """Locals of the demo have values and ``finish`` returns through the unwind information."""
    out = run("--demo", "-batch", "-ex", "break square", "-ex", "continue", "-ex", "continue",
              "-ex", "print x", "-ex", "bt", "-ex", "finish")
    assert "$1 = 1" in out.stdout, out.stdout + out.stderr
    assert re.search(r"#1 .* fill_squares \(n=8\) at \S*demo\.c", out.stdout), out.stdout
    assert "Value returned is $2 = 1" in out.stdout, out.stdout


def test_a_missing_guest_is_named():
    out = run("/nonexistent/guest.elf")
    assert out.returncode == 2 and "no such guest file: /nonexistent/guest.elf" in out.stderr


def test_demo_session_keeps_the_uart_log():
    out = run("--demo", "-batch", "-ex", "break main", "-ex", "continue", "-ex", "continue")
    assert re.search(r"Breakpoint 1, main \(\) at \S*demo\.c:", out.stdout), out.stdout + out.stderr
    log_path = re.search(r"guest UART output: (\S+)", out.stderr).group(1)
    try:
        assert Path(log_path).read_bytes(), "the demo prints to its UART before it exits"
    finally:
        Path(log_path).unlink()
