"""Smaller protocol fixes of issue 19 item 12."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.rsp.client import RspClient
from gdbstub.session import MAX_DEFERRED

# The guest stores a new instruction word over `patched` (which holds a software breakpoint)
# and stops at `done`.
PATCH_ASM = """
    .globl _start
_start:
    lis     9, patched@ha
    addi    9, 9, patched@l
    lis     4, 0x6000          # nop
    stw     4, 0(9)
    .globl done
done:
    b       done
    .globl patched
patched:
    li      3, 1
"""


@pytest.mark.parametrize(("packet", "reply"), [
    ("Hgp1.1", b"OK"), ("Hgp-1.-1", b"OK"), ("Hgp0.0", b"OK"), ("Hg1", b"OK"),
    ("Hgp2.1", b"E01"), ("Hcp2.1", b"E01"), ("Tp2.1", b"E01"), ("Tp1.1", b"OK"),
])
def test_a_thread_ids_process_part_must_be_ours(serve, spin_elf, packet, reply):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request(packet) == reply


def test_m_shows_a_word_the_guest_wrote_over_a_software_breakpoint(serve):
    server = serve(build_asm(PATCH_ASM, name="patch"))
    symbols = server.machine.elf.symbols
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request(f"Z0,{symbols['patched']:x},4") == b"OK"
        assert client.read_memory(symbols["patched"], 4) == bytes.fromhex("38600001")   # li 3,1
        assert client.request(f"Z1,{symbols['done']:x},4") == b"OK"
        assert client.request("c") == b"T05thread:1;"
        assert client.read_memory(symbols["patched"], 4) == bytes.fromhex("60000000")   # the guest's nop


def test_packets_beyond_those_kept_while_the_guest_runs_are_refused_not_dropped(serve, spin_elf):
    """Found by issue 19: past 64 packets sent during a run, each was acked and never answered."""
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        client.send("c")
        for _ in range(MAX_DEFERRED + 20):
            client.send("m100000,4")
        assert [client.receive(timeout=10) for _ in range(20)] == [b"E16"] * 20
        client.interrupt()
        assert client.receive(timeout=10).startswith(b"T02")
        words = [client.receive(timeout=10) for _ in range(MAX_DEFERRED)]
        assert set(words) == {client.request("m100000,4")}


@pytest.mark.parametrize("packet", ["M{addr:x},8:1122334455667788", "X{addr:x},8:ABCDEFGH"])
def test_a_write_that_is_partly_unmapped_writes_nothing(serve, spin_elf, packet):
    """Found by issue 19: M/X across the end of RAM wrote the RAM part and answered E14."""
    server = serve(spin_elf)
    addr = server.machine.memory.ram_size - 4
    with RspClient.connect("127.0.0.1", server.port) as client:
        before = client.read_memory(addr, 4)
        assert client.request(packet.format(addr=addr)) == b"E14"
        assert client.read_memory(addr, 4) == before
