"""RspClient against a tiny stub thread built on RspLink, parse_packet and replies."""

import socket
import threading
import time

import pytest

from gdbstub.rsp import packets as pk
from gdbstub.rsp import replies
from gdbstub.rsp.client import MAX_RESENDS, RspClient, RspError, RspErrorReply, RspTimeout
from gdbstub.rsp.connection import RspLink
from gdbstub.rsp.framing import Frame, Interrupt, encode_packet


class FakeStub(threading.Thread):
    """Serves one connection: 256 bytes of memory, 4 registers, continue until Ctrl-C."""

    def __init__(self, *, corrupt_first_reply: bool = False, listen: bool = True) -> None:
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        if listen:
            self.listener.listen(1)
        self.corrupt = corrupt_first_reply
        self.memory = bytearray(range(256))
        self.received = bytearray()
        self.link = RspLink()

    def reply_to(self, payload: bytes) -> bytes | None:
        packet = pk.parse_packet(payload)
        match packet:
            case pk.ReadMemory(addr, length):
                return replies.hex_encode(self.memory[addr:addr + length])
            case pk.WriteMemory(addr, data):
                self.memory[addr:addr + len(data)] = data
                return replies.OK
            case pk.ReadRegisters():
                return b"".join(replies.hex_encode(n.to_bytes(4, "big")) for n in range(4))
            case pk.ReadRegister(regno) if regno < 4:
                return replies.hex_encode(regno.to_bytes(4, "big"))
            case pk.StartNoAckMode():
                return replies.OK
            case pk.Continue():
                return None  # the stop reply comes with the interrupt
            case pk.Malformed() | pk.ReadRegister():
                return b"E01"
        return replies.empty()

    def run(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            while data := conn.recv(4096):
                self.received += data
                for event in self.link.receive(data):
                    if isinstance(event, Interrupt):
                        self.link.send(b"S02")
                    elif isinstance(event, Frame) and event.payload == b"hangup":
                        return
                    elif isinstance(event, Frame) and (reply := self.reply_to(event.payload)) is not None:
                        self.link.send(reply)
                        if event.payload == b"QStartNoAckMode":
                            self.link.start_no_ack_after_reply()
                out = self.link.data_to_send()
                if self.corrupt and b"#" in out:
                    out, self.corrupt = out[:-2] + b"00", False
                conn.sendall(out)


@pytest.fixture
def stub():
    server = FakeStub()
    server.start()
    yield server
    server.listener.close()


def test_requests_and_conveniences(stub):
    with RspClient.connect("127.0.0.1", stub.port, timeout=5) as client:
        assert client.request("m10,4") == b"10111213"
        assert client.read_memory(0x10, 4) == b"\x10\x11\x12\x13"
        client.write_memory(0x20, b"\xde\xad")
        assert stub.memory[0x20:0x22] == b"\xde\xad"
        assert client.read_registers() == bytes.fromhex("00000000000000010000000200000003")
        assert client.read_register(3) == b"\x00\x00\x00\x03"
        with pytest.raises(RspErrorReply):
            client.read_register(9)
        assert client.request(b"qNope") == b""
    stub.join(timeout=5)
    assert stub.received.count(b"+") == 7  # every reply was acked


def test_binary_payloads_are_escaped(stub):
    with RspClient.connect("127.0.0.1", stub.port, timeout=5) as client:
        assert client.request(b"M0,4:" + b"23242a7d") == b"OK"
        assert client.request(b"m0,4") == b"23242a7d"
        assert client.request(b"qRcmd,#$}*") == b"E01"  # escaped on the wire, malformed hex for the stub
    stub.join(timeout=5)
    assert b"}\x03}\x04}]}\x0a" in stub.received


def test_client_naks_a_corrupt_reply_and_gets_it_again():
    stub = FakeStub(corrupt_first_reply=True)
    stub.start()
    with RspClient.connect("127.0.0.1", stub.port, timeout=5) as client:
        assert client.request("m0,2") == b"0001"
    stub.join(timeout=5)
    assert b"-" in stub.received


def test_no_ack_mode(stub):
    with RspClient.connect("127.0.0.1", stub.port, timeout=5) as client:
        client.start_no_ack_mode()
        assert client.request("m1,1") == b"01"
        assert client.request("m2,1") == b"02"
        assert stub.link.no_ack
    stub.join(timeout=5)
    tail = stub.received[stub.received.index(b"QStartNoAckMode"):]
    assert tail.count(b"+") == 1  # only the ack of the OK


def test_client_gives_up_on_a_stub_that_rejects_every_copy():
    ours, theirs = socket.socketpair()
    with RspClient(ours, timeout=2) as client, theirs:
        client.send("g")
        theirs.sendall(b"-" * (MAX_RESENDS + 1))
        with pytest.raises(RspError, match=f"giving up after {MAX_RESENDS} resends"):
            client.receive()
        theirs.settimeout(0.2)
        assert theirs.recv(1000) == encode_packet(b"g") * (MAX_RESENDS + 1)


def test_resume_interrupt_and_receive_timeout(stub):
    with RspClient.connect("127.0.0.1", stub.port, timeout=5) as client:
        client.send("c")
        with pytest.raises(RspTimeout):
            client.receive(timeout=0.2)
        client.interrupt()
        assert client.receive() == b"S02"


def test_closed_connection_raises(stub):
    with RspClient.connect("127.0.0.1", stub.port, timeout=5) as client:
        with pytest.raises(RspError):
            client.request("hangup")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connect_refused_without_retries():
    with pytest.raises(ConnectionRefusedError):
        RspClient.connect("127.0.0.1", free_port(), timeout=1)


def test_connect_retries_until_the_stub_listens():
    stub = FakeStub(listen=False)
    threading.Timer(0.3, lambda: (stub.listener.listen(1), stub.start())).start()
    start = time.monotonic()
    with RspClient.connect("127.0.0.1", stub.port, timeout=5, retries_for=5) as client:
        assert time.monotonic() - start >= 0.2
        assert client.request("m0,1") == b"00"
