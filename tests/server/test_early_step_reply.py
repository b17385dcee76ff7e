"""A step whose stop is certain is answered before it runs (``Machine.foreseen_stop``); every
other step after it. Either way the reply is the stop the step really ended in."""
from __future__ import annotations

import logging
import random
import signal

import pytest

from gdbstub.channel import ChannelWoken
from gdbstub.machine import THREAD, Machine
from gdbstub.rsp.client import RspClient
from gdbstub.rsp.framing import encode_packet
from gdbstub.runcontrol import RunControl
from gdbstub.session import Session
from gdbstub.target import PointKind, SignalStop
from gdbstub.testing import ServerThread


class ScriptedChannel:
    """Feeds the session ``requests`` one read each and notes the guest's instruction count
    whenever a reply goes out."""

    def __init__(self, machine: Machine, requests: list[bytes]):
        self.machine = machine
        self.reads = [request if request[:1] in b"$+" else encode_packet(request) for request in requests]
        self.sent: list[tuple[bytes, int]] = []

    def receive(self, timeout=None):
        if timeout == 0 and not self.reads:   # the guest runs and the script is over: Ctrl-C
            return b"\x03"
        if not self.reads:
            raise ChannelWoken()
        return self.reads.pop(0)

    def send(self, data: bytes) -> None:
        self.sent.append((data, self.machine.cpu.icount))


def test_a_step_over_a_registers_only_instruction_is_answered_before_it_runs(loop_elf):
    machine = Machine(loop_elf)
    lis, addi, li, addi_loop, stw = 0, 1, 2, 3, 4        # the first instructions of LOOP_ASM
    channel = ScriptedChannel(machine, [b"vCont;s"] * 5 + [b"?"])
    Session(channel, RunControl(machine)).run()
    replies = [(data[data.index(b"$"):], icount) for data, icount in channel.sent]
    assert [reply for reply, _ in replies] == [encode_packet(b"T05thread:1;")] * 6
    # sent before the step (the count is still the one before it), except for the store
    assert [icount for _, icount in replies[:5]] == [lis, addi, li, addi_loop, stw + 1]
    assert machine.cpu.icount == 5


def test_every_step_reply_is_the_stop_the_step_ended_in(serve, demo_elf, monkeypatch):
    """Through the demo guest (loads, stores, calls, UART writes) with a watchpoint and a
    hardware breakpoint on its path: each step's reply is what ``?`` says afterwards."""
    server = serve(demo_elf)
    symbols = server.machine.elf.symbols
    forecasts, reasons = [], set()
    forecast = server.machine.foreseen_stop
    monkeypatch.setattr(server.machine, "foreseen_stop",
                        lambda thread: forecasts.append(forecast(thread)) or forecasts[-1])
    with RspClient.connect("127.0.0.1", server.port) as client:
        client.request("qSupported:swbreak+;hwbreak+")
        assert client.request(f"Z1,{symbols['main']:x},4") == b"OK"
        for _ in range(3000):   # at -O0 the first write to counter is 935 steps past main
            reply = client.request("vCont;s:1")
            assert reply == client.request("?"), reply
            reasons.add(reply.split(b";")[1].split(b":")[0])
            if b"hwbreak" in reply:   # as gdb does, to step on; crt0 has cleared counter now
                assert client.request(f"z1,{symbols['main']:x},4") == b"OK"
                assert client.request(f"Z2,{symbols['counter']:x},4") == b"OK"
            if reply.startswith(b"W"):
                break
    assert sum(stop is not None for stop in forecasts) > 100   # many were answered early
    assert {b"hwbreak", b"watch"} <= reasons


def test_a_wrong_forecast_is_logged_and_the_halt_reason_tells_the_truth(loop_elf, monkeypatch, caplog):
    """The safety net for a bug in the forecast: the reply is out, so the error is logged and
    ``?`` reports the real stop."""
    machine = Machine(loop_elf)
    machine.insert_point(PointKind.WATCH_WRITE, machine.elf.symbols["data"], 4)
    machine.cpu.pc, machine.cpu.gpr[9] = machine.elf.symbols["store_word"], machine.elf.symbols["data"]
    monkeypatch.setattr(machine, "foreseen_stop", lambda thread: SignalStop(THREAD, signal.SIGTRAP))
    with caplog.at_level(logging.ERROR, "gdbstub.runcontrol"), ServerThread(machine) as server, \
            RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("vCont;s:1") == b"T05thread:1;"
        assert b"watch:" in client.request("?")
    assert "a step answered in advance ended in" in caplog.text


def random_traffic(rng: random.Random, symbols: dict[str, int]) -> list[bytes]:
    """Reads of a client that steps a lot between points, register writes, continues, resets,
    NAKs, Ctrl-Cs and pipelined packets, in ack or no-ack mode."""
    code = [symbols["_start"] + 4 * n for n in range(24)]
    places = code + [symbols["data"]]
    reads = [] if rng.random() < 0.5 else [encode_packet(b"QStartNoAckMode"), b"+"]
    for _ in range(rng.randint(5, 60)):
        packet = rng.choice([
            b"vCont;s", b"vCont;s", b"vCont;s:1", b"s", b"vCont;S05", b"?", b"g", b"c",
            b"Z%d,%x,4" % (rng.randint(0, 4), rng.choice(places)),
            b"z%d,%x,4" % (rng.randint(0, 4), rng.choice(places)),
            b"P40=%08x" % rng.choice(code), b"s%x" % rng.choice(code),
            b"P%x=%08x" % (rng.choice([3, 9, 0x41, 0x42]), rng.choice([0, rng.getrandbits(32), *places])),
            b"qRcmd," + b"reset".hex().encode()])
        frame = encode_packet(packet) + rng.choice([b"", b"", b"", b"\x03", b"-", b"+"])
        if reads and rng.random() < 0.15:
            reads[-1] += frame              # two packets in one read
        else:
            reads.append(frame)
    return reads + [encode_packet(rng.choice([b"D", b"k", b"?"]))]


def serve_script(elf, reads: list[bytes], *, early: bool):
    """What the client receives, how the session ended and the guest's state afterwards."""
    machine = Machine(elf)
    run_control = RunControl(machine)
    run_control._run_for = lambda seconds: machine.run(1000)   # the same quanta in both runs
    if not early:
        machine.foreseen_stop = lambda thread: None
    channel = ScriptedChannel(machine, reads)
    how = Session(channel, run_control).run()
    cpu = machine.cpu
    return (b"".join(data for data, _ in channel.sent), how, cpu.pc, list(cpu.gpr), cpu.icount, run_control.last_stop,
            machine.read_memory(THREAD, machine.elf.symbols["data"], 16))


@pytest.mark.parametrize("seed", range(40))
def test_the_client_sees_the_same_bytes_with_and_without_early_replies(loop_elf, seed, caplog):
    symbols = Machine(loop_elf).elf.symbols
    reads = random_traffic(random.Random(seed), symbols)
    assert serve_script(loop_elf, reads, early=True) == serve_script(loop_elf, reads, early=False)
    assert "answered in advance" not in caplog.text
