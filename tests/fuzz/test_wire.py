"""The fuzzer's proof that nothing unasked for came: replies are told apart by order, not timing."""
from __future__ import annotations

import socket

import pytest

from gdbstub.fuzz.model import Violation
from gdbstub.fuzz.wire import SYNC, FuzzClient
from gdbstub.rsp.framing import encode_packet

G_BLOCK = b"0011" * 8


@pytest.fixture
def wire():
    """A :class:`FuzzClient` in no-ack mode and the socket that plays the stub."""
    ours, stub = socket.socketpair()
    client = FuzzClient(ours, timeout=2.0)
    stub.sendall(b"+" + encode_packet(b"OK"))
    client.start_no_ack_mode()
    assert client.no_ack
    sent = encode_packet(b"QStartNoAckMode") + b"+"
    assert stub.recv(len(sent), socket.MSG_WAITALL) == sent
    yield client, stub
    ours.close()
    stub.close()


def stub_sends(stub: socket.socket, *payloads: bytes) -> None:
    stub.sendall(b"".join(encode_packet(p) for p in payloads))


@pytest.mark.parametrize("before", [[], [b"OK"], [b"T05thread:1;"], [b""], [b"", b""], [G_BLOCK, G_BLOCK]])
def test_sync_returns_what_came_before_the_replies_to_g_and_vmustreplyempty(wire, before):
    client, stub = wire
    stub_sends(stub, *before, G_BLOCK, b"")
    assert client.sync() == before
    assert stub.recv(100) == SYNC


def test_expect_silence_names_the_packet_nobody_asked_for(wire):
    client, stub = wire
    stub_sends(stub, b"T02thread:1;", G_BLOCK, b"")
    with pytest.raises(Violation, match=r"1 packet\(s\) more than one reply after connecting: b'T02"):
        client.expect_silence("connecting")


def test_a_stub_that_floods_is_a_violation_not_a_hang(wire):
    client, stub = wire
    stub_sends(stub, *[b"OK"] * 1100)
    with pytest.raises(Violation, match="more than 1000 packets"):
        client.sync()


def test_the_fuzzer_never_resends_on_a_nak():
    """A '-' may be for the raw noise written before the packet: a resend would draw a second reply."""
    ours, stub = socket.socketpair()
    with FuzzClient(ours, timeout=2.0) as client, stub:
        client.send_raw(b"$g#00")
        client.send(b"?")
        stub_sends(stub, b"S05")
        stub.sendall(b"-+")
        assert client.reply() == b"S05"
        stub_sends(stub, b"OK")
        assert client.reply() == b"OK"
        sent = b"$g#00" + encode_packet(b"?") + b"++"
        assert stub.recv(100) == sent
