"""Clients that hold the only session without speaking (issue 19 item 11)."""
from __future__ import annotations

import socket
import time

import pytest

from gdbstub import session
from gdbstub.rsp.client import RspClient


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """How long until the server closed ``sock`` (fails after ``seconds``)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    while sock.recv(4096):
        pass
    return time.monotonic() - start


def test_a_connection_that_never_speaks_is_closed(serve, spin_elf, monkeypatch):
    monkeypatch.setattr(session, "FIRST_PACKET_TIMEOUT", 0.3)
    server = serve(spin_elf)
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        assert _closed_within(silent, 10) < 5
    with RspClient.connect("127.0.0.1", server.port) as client:   # the session is free again
        assert client.request("qAttached") == b"1"


def test_without_an_idle_timeout_a_client_may_think_at_the_prompt(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("p40")
        time.sleep(0.5)
        assert client.request("p40")


def test_an_idle_timeout_ends_a_silent_stopped_session_but_not_a_run(serve, spin_elf):
    server = serve(spin_elf, idle_timeout=0.3)
    with RspClient.connect("127.0.0.1", server.port) as client:
        client.send("c")
        time.sleep(1.0)                    # gdb says nothing while the guest runs
        client.interrupt()
        assert client.receive(timeout=10).startswith(b"T02")
        assert _closed_within(client.sock, 10) < 5
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("qAttached") == b"1"
