"""LLDB over gdb-remote (issue 19): it continues past watchpoint hits and kills cleanly."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from gdbstub.testing import ServerThread
from gdbstub.machine import Machine



@pytest.fixture(autouse=True)
def lldb_installed():
    """In CI lldb is installed by scripts/setup.sh: its absence there is a failure."""
    if shutil.which("lldb") is None:
        if os.environ.get("CI"):
            pytest.fail("lldb is not installed (scripts/setup.sh installs it)")
        pytest.skip("lldb is not installed")


def test_lldb_continues_past_watchpoint_hits_and_kills_the_process(loop_elf):
    with ServerThread(Machine(loop_elf)) as server:
        commands = [f"gdb-remote 127.0.0.1:{server.port}",
                    "watchpoint set expression -w write -s 4 -- &data",
                    "continue", "continue", "process kill"]
        result = subprocess.run(["lldb", "--batch", *[arg for c in commands for arg in ("-o", c)], str(loop_elf)],
                                capture_output=True, text=True, timeout=120)
    out = result.stdout + result.stderr
    assert out.count("Watchpoint 1 hit") == 2, out
    assert "old value: 0x00000001\nnew value: 0x00000002" in out, out
    assert "exited with status = 9" in out and "failed" not in out, out
