"""Regressions for what the fuzzer found in the server, and for bugs other stubs have had."""
from __future__ import annotations

import socket
import time

import pytest

from gdbstub.rsp.client import RspClient, RspTimeout
from gdbstub.rsp.framing import encode_packet
from gdbstub.session import MAX_DEFERRED


def counter(client: RspClient) -> int:
    return int(client.request("p3"), 16)


def test_a_client_attaching_right_after_a_detach_finds_the_guest_stopped(served, fuzz_elf):
    """Found by the fuzzer: the free run after a detach started after the next client had
    attached, so nothing stopped it; detaches piled up guests running under later sessions."""
    port = served(fuzz_elf)
    for _ in range(3):
        with RspClient.connect("127.0.0.1", port) as client:
            client.request("qSupported")
            before = counter(client)
            time.sleep(0.2)
            assert counter(client) == before
            assert client.request("D") == b"OK"


def test_points_do_not_outlive_the_client_that_disconnected(serve, fuzz_elf):
    """Found by the fuzzer: a new gdb found the IAC/DAC slots taken and ehpriv still in memory."""
    server = serve(fuzz_elf)
    loop, data = server.machine.elf.symbols["loop"], server.machine.elf.symbols["data"]
    with RspClient.connect("127.0.0.1", server.port) as client:
        original = client.read_memory(loop, 4)
        for packet in (f"Z1,{loop:x},4", f"Z1,{loop + 4:x},4", f"Z2,{data:x},4", f"Z3,{data + 4:x},4",
                       f"Z0,{loop + 8:x},4"):
            assert client.request(packet) == b"OK"
        client.send("c")  # it stops at once at the first breakpoint; nobody reads the reply
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request(f"Z1,{loop + 12:x},4") == b"OK"
        assert client.request(f"Z1,{loop + 16:x},4") == b"OK"
        assert client.request(f"Z4,{data + 8:x},4") == b"OK"
        assert server.machine.cpu.read_memory(loop + 8, 4) != bytes.fromhex("7c000a1c")
        assert client.read_memory(loop, 4) == original


def test_a_client_waiting_behind_an_intruder_is_served_not_refused(serve, spin_elf):
    """Found by the fuzzer's second-client step: two clients waited for the attached one to
    leave; the first to wake took the target and the other saw it busy and was refused at
    once, instead of waiting out its grace period for the (here already dead) intruder."""
    server = serve(spin_elf)
    first = RspClient.connect("127.0.0.1", server.port, timeout=10)
    assert first.request("?").startswith(b"T05")
    with socket.create_connection(("127.0.0.1", server.port)) as intruder:
        intruder.sendall(encode_packet(b"?"))
    time.sleep(0.05)                     # the intruder waits for the target, then is gone
    with RspClient.connect("127.0.0.1", server.port, timeout=10) as client:
        client.send("qSupported:swbreak+;hwbreak+")   # waits behind the intruder
        time.sleep(0.05)
        first.close()
        assert client.receive().startswith(b"PacketSize=")


def test_a_flood_of_packets_while_the_guest_runs_is_bounded_and_ctrl_c_still_stops_it(serve, spin_elf):
    server = serve(spin_elf)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(encode_packet(b"c"))
        time.sleep(0.05)
        sock.sendall(encode_packet(b"qC") * (MAX_DEFERRED + 100) + b"\x03")
        client = RspClient(sock)
        refused = [client.receive(timeout=10) for _ in range(100)]
        assert refused == [b"E16"] * 100     # the rest were refused at once, not queued (nor dropped)
        assert client.receive(timeout=10).startswith(b"T02")
        answers = [client.receive(timeout=10) for _ in range(MAX_DEFERRED)]
        assert answers == [b"QC1"] * MAX_DEFERRED
        with pytest.raises(RspTimeout):
            client.receive(timeout=0.3)
        assert client.request("qfThreadInfo") == b"m1"


def test_a_client_that_disconnects_while_the_guest_runs_leaves_it_stopped(served, spin_elf):
    port = served(spin_elf)
    with RspClient.connect("127.0.0.1", port) as client:
        client.request("qSupported")
        client.send("c")
        time.sleep(0.1)
    with RspClient.connect("127.0.0.1", port) as client:
        assert client.request("?").startswith(b"T02")
        before = counter(client)
        time.sleep(0.2)
        assert counter(client) == before > 0
