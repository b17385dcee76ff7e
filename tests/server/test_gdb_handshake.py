"""A real gdb-multiarch attaches to the server and completes the handshake."""
from __future__ import annotations

import shutil
import subprocess

import pytest

GDB = shutil.which("gdb-multiarch")


def run_gdb(elf, port: int, *commands: str) -> str:
    if GDB is None:
        pytest.fail("gdb-multiarch is not installed (run scripts/setup.sh)")
    argv = [GDB, "-batch", "-nx", "-ex", "set confirm off", "-ex", f"target remote 127.0.0.1:{port}"]
    for command in commands:
        argv += ["-ex", command]
    proc = subprocess.run([*argv, str(elf)], capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


def test_gdb_attaches_reads_registers_and_steps(serve, spin_elf):
    server = serve(spin_elf)
    out = run_gdb(spin_elf, server.port, "info registers pc", "stepi", "stepi",
                  "info registers pc r3", "p $dbcr0", "detach")
    assert "0x100000 <_start>" in out, out
    assert "0x100008" in out, out
    assert "r3             0x1 " in out, out
    assert "$1 = 0" in out, out
    assert "Remote communication error" not in out, out
