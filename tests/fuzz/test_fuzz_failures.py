"""The fuzzer reports the real failure and closes what it opens (issue 19 item 13)."""
from __future__ import annotations

import socket
import threading

import pytest

from gdbstub.fuzz.model import Target, Violation
from gdbstub.fuzz.runner import reported
from gdbstub.fuzz.stateful import Driver, Failure
from gdbstub.rsp.framing import encode_packet


class StopReplyingStub:
    """A single-client stub that answers every packet with an unasked-for ``T02`` (QEMU after a
    detach); records whether the client closed the connection."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed_by_client = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.listener.accept()
        conn.settimeout(20)
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    self.closed_by_client.set()
                    return
                if b"#" in data:
                    conn.sendall(b"+" + encode_packet(b"T02"))


def test_a_client_that_fails_to_attach_is_closed():
    stub = StopReplyingStub()
    with pytest.raises(Violation, match="for qSupported") as raised:
        Driver(Target(port=stub.port, timeout=5))
    assert stub.closed_by_client.wait(5), raised     # closed, not left to the garbage collector
    stub.listener.close()


def test_the_report_is_the_failure_beyond_attaching_not_the_replays_that_cannot_attach():
    attach = ("connect()",)
    real = Failure(attach + ("detach()",), Violation("unasked T02 after D"))
    shrunk = Failure(attach + ("packet(b'?')", "detach()"), Violation("unasked T02 after D"))
    wedged = Failure(attach, Violation("a new client cannot attach"))
    assert reported([real, shrunk, wedged, wedged]) is shrunk
    assert reported([wedged, wedged]) is wedged
