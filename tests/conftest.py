"""Fixtures shared by the server and end-to-end tests."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import build_asm, demo_guest
from gdbstub.machine import Machine
from gdbstub.testing import ServerThread

SPIN_ASM = """
    .globl _start
_start:
    li      3, 0
1:  addi    3, 3, 1
    b       1b
"""


@pytest.fixture(scope="session")
def demo_elf():
    return demo_guest()


@pytest.fixture(scope="session")
def spin_elf():
    """A guest that counts in r3 forever."""
    return build_asm(SPIN_ASM, name="spin")


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
