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


def test_gdb_takes_the_architecture_and_disassembles_e500mc_when_told(serve, tmp_path):
    """Issue 19 item 16: the description's architecture is one gdb accepts (it knows no
    powerpc:e500mc, and powerpc:e500 has no FPU); the guide's disassembler option shows e500mc
    instructions as themselves."""
    from gdbstub.guests.build import build_asm
    elf = build_asm(".globl _start\n_start:\n tlbwe\n mbar\n lfd 1, 0(3)\n mfspr 3, 308\n", name="e500mc-insns")
    server = serve(elf)
    out = run_gdb(elf, server.port, "x/4i $pc", "set disassembler-options e500mc", "x/4i $pc", "detach")
    assert "unknown architecture" not in out, out
    common, e500mc = out.split("0x100000 <_start>:")[1:3]
    assert "tlbld" in common and "eieio" in common, out
    for insn in ("tlbwe", "mbar", "lfd     f1,0(r3)", "mfdbcr0 r3"):
        assert insn in e500mc, out
