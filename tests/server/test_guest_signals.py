"""The signal a guest's unhandled interrupt stops with, as gdb sees it."""
from __future__ import annotations

from gdbstub.guests.build import build_asm
from gdbstub.rsp.client import RspClient

TRAP_ASM = """
    .globl _start
_start:
    li      3, 1
    .globl trap_here
trap_here:
    trap
1:  b       1b
"""


def test_a_trap_without_a_guest_handler_is_sigtrap(serve):
    """gdb.arch/powerpc-trap.exp expects SIGTRAP, as Linux delivers for a program-interrupt trap."""
    server = serve(build_asm(TRAP_ASM, name="trap"))
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("c") == b"T05thread:1;"
        assert int(client.request("p40"), 16) == server.machine.elf.symbols["trap_here"]
