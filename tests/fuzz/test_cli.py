"""``gdbstub fuzz`` against our server, and against a toy stub with a deliberate bug."""
from __future__ import annotations

import socket
import threading

import pytest

from gdbstub.cli import main
from gdbstub.rsp import packets as pk
from gdbstub.rsp.connection import RspLink
from gdbstub.rsp.framing import Frame


class ForgetfulStub:
    """A minimal RSP stub on a free port that acknowledges ``M``/``X`` and forgets the data."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.registers: dict[int, bytes] = {}
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                link = RspLink()
                try:
                    while data := conn.recv(65536):
                        for event in link.receive(data):
                            if isinstance(event, Frame):
                                link.send(self._answer(pk.parse_packet(event.payload)))
                        conn.sendall(link.data_to_send())
                except OSError:
                    pass  # the fuzzer hung up

    def _answer(self, packet) -> bytes:
        if isinstance(packet, (pk.QueryHaltReason, pk.Continue, pk.Step, pk.VCont)):
            return b"S05"
        if isinstance(packet, pk.ReadMemory):
            return b"00" * min(packet.length, 256)
        if isinstance(packet, pk.ReadRegister):
            return self.registers.get(packet.regno, bytes(4)).hex().encode()
        if isinstance(packet, pk.ReadRegisters):
            return b"".join(self.registers.get(n, bytes(4)).hex().encode() for n in range(32))
        if isinstance(packet, pk.WriteRegister):
            self.registers[packet.regno] = packet.value
        if isinstance(packet, pk.WriteRegisters):
            self.registers.update((n, packet.data[4 * n:4 * n + 4]) for n in range(len(packet.data) // 4))
        if isinstance(packet, pk.Malformed):
            return b"E01"
        if isinstance(packet, (pk.WriteRegister, pk.WriteRegisters, pk.WriteMemory, pk.WriteMemoryBinary,
                               pk.Detach, pk.QSupported, pk.MonitorCommand)):
            return b"OK"
        return b""

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def forgetful():
    stub = ForgetfulStub()
    yield stub
    stub.close()


def test_fuzz_reports_the_minimal_sequence_that_shows_the_bug(forgetful, capsys):
    status = main(["fuzz", "--target", f"127.0.0.1:{forgetful.port}", "--examples", "1000", "--seed", "3",
                   "--steps", "8", "--memory", "0x2000:0x10", "--run-time", "0.01"])
    out = capsys.readouterr().out
    assert status == 1
    assert "minimal failing sequence" in out
    assert "was written or read there before" in out, out
    steps = [line.split(". ", 1)[1] for line in out.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert steps[0] == "connect()" and steps[-1].startswith(("packet(b'M2000", "packet(b'X2000")), out


def test_fuzz_passes_against_our_server(fuzz_target, capsys):
    t = fuzz_target
    status = main(["fuzz", "--target", f"{t.host}:{t.port}", "--examples", "3", "--seed", "1", "--steps", "20",
                   "--memory", str(t.memory), "--code", str(t.code), "--run-time", "0.02"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "ok: no invariant broken in 3 examples" in out


@pytest.mark.parametrize("argv", [["--target", "nowhere"], ["--target", "127.0.0.1:1", "--memory", "0x10"]])
def test_fuzz_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fuzz", *argv])
    assert exc.value.code == 2
