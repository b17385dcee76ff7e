"""Fixtures shared by the server and end-to-end tests."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import build_asm, demo_guest
from gdbstub.guests.linux import linux_dtb, linux_kernel
from gdbstub.machine import Machine
from gdbstub.testing import ServerThread

SPIN_ASM = """
    .globl _start
_start:
    li      3, 0
1:  addi    3, 3, 1
    b       1b
"""

# A loop with word/byte stores and word/halfword loads on a data block; halts with r3 = 10.
LOOP_ASM = """
    .globl _start
_start:
    lis     9, data@ha
    addi    9, 9, data@l
    li      3, 0
loop:
    addi    3, 3, 1
store_word:
    stw     3, 0(9)
load_word:
    lwz     4, 4(9)
store_byte:
    stb     3, 9(9)
load_half:
    lhz     5, 12(9)
    cmpwi   3, 10
    blt     loop
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
1:  b       1b
    .data
    .globl data
data:
    .long 0, 0x11111111, 0, 0x22223333
"""


@pytest.fixture(scope="session")
def loop_elf():
    return build_asm(LOOP_ASM, name="loop")


@pytest.fixture(scope="session")
def demo_elf():
    return demo_guest()


@pytest.fixture(scope="session")
def spin_elf():
    """A guest that counts in r3 forever."""
    return build_asm(SPIN_ASM, name="spin")


@pytest.fixture(scope="session")
def linux_guest():
    """(vmlinux, device tree) of the ppce500 Linux kernel: built on first use (about 4 minutes
    on two cores; ``python -m gdbstub.guests.linux`` builds it ahead), then cached."""
    return linux_kernel(), linux_dtb()


@pytest.fixture
def serve():
    """``serve(elf, **options)`` starts a server thread for the test and returns it."""
    started = []

    def start(elf, **options):
        uart = bytearray()
        machine = Machine(elf, uart_output=uart.extend)
        server = ServerThread(machine, **options).__enter__()
        server.uart = uart
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()
