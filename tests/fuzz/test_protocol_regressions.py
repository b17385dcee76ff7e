"""Bugs other RSP stubs have had, checked against ours over TCP."""
from __future__ import annotations

import socket

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.rsp.client import RspClient
from gdbstub.rsp.framing import checksum, encode_packet

ILLEGAL_ASM = """
    .globl _start
_start:
    li      3, 1
    .long   0x00000000
"""

BAD_ACCESS_ASM = """
    .globl _start
_start:
    lis     9, 0x7000
    lwz     3, 0(9)
"""


def read_raw(sock: socket.socket, count: int) -> bytes:
    """Bytes from ``sock`` until ``count`` complete frames have come."""
    data = b""
    while data.count(b"#") < count or len(data) - data.rfind(b"#") < 3:
        chunk = sock.recv(4096)
        assert chunk, "the stub closed the connection"
        data += chunk
    return data


@pytest.fixture
def raw(serve, spin_elf):
    server = serve(spin_elf)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        yield sock


def test_every_packet_of_one_read_is_answered(raw):
    raw.sendall(encode_packet(b"qC") + encode_packet(b"qfThreadInfo") + b"+" + encode_packet(b"qsThreadInfo"))
    replies = read_raw(raw, 3)
    assert replies.replace(b"+", b"") == encode_packet(b"QC1") + encode_packet(b"m1") + encode_packet(b"l")


def test_the_checksum_is_over_the_escaped_bytes(raw):
    payload = b"X2000,1:}\x03"  # '#' escaped as '}' 0x03
    raw.sendall(b"$%s#%02x" % (payload, checksum(b"X2000,1:#")))  # over the unescaped data: wrong
    assert raw.recv(1) == b"-"
    raw.sendall(b"$%s#%02x" % (payload, checksum(payload)))
    assert read_raw(raw, 1) == b"+" + encode_packet(b"OK")
    raw.sendall(encode_packet(b"m2000,1"))
    assert read_raw(raw, 1) == b"+" + encode_packet(b"23")


def test_ctrl_c_right_after_continue_in_no_ack_mode(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        client.start_no_ack_mode()
        for _ in range(3):
            client.sock.sendall(encode_packet(b"c") + b"\x03")
            assert client.receive(timeout=10).startswith(b"T02")
        client.send("c")
        client.interrupt()
        assert client.receive(timeout=10).startswith(b"T02")
        assert client.request("qC") == b"QC1"


@pytest.mark.parametrize(("source", "stop"), [(ILLEGAL_ASM, b"T04"), (BAD_ACCESS_ASM, b"T0b")],
                         ids=["illegal-instruction", "bad-access"])
def test_a_guest_fault_stops_it_and_the_session_goes_on(serve, source, stop):
    server = serve(build_asm(source, name="fault"))
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("c").startswith(stop)
        assert client.request("?").startswith(stop)
        pc = int(client.request("p40"), 16)
        assert client.request("s").startswith(stop)  # the faulting instruction never completes
        assert int(client.request("p40"), 16) == pc
        assert client.request("M2000,4:01020304") == b"OK"
        assert client.request("m2000,4") == b"01020304"
        assert client.request("P40=%08x" % (pc - 4)) == b"OK"  # back over the last good instruction
        assert client.request("s").startswith(b"T05")
        assert client.request("c").startswith(stop)
