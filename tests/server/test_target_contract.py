"""The session and the run control against a scripted target: what the session offers comes
from the target's capabilities, stop events reach the wire typed, and the run control's states
follow the run."""
from __future__ import annotations

import signal
from dataclasses import dataclass, field

import pytest

from gdbstub.channel import ChannelWoken
from gdbstub.machine import Machine
from gdbstub.rsp.framing import encode_packet
from gdbstub.runcontrol import RunControl, RunState
from gdbstub.session import Session
from gdbstub.target import (Architecture, BreakpointStop, Capabilities, GuestExited, PointKind,
                            SignalStop, Target, WatchStop)

ARCH = Architecture("test", address_bits=16, pc_regnum=0, target_xml="<target/>")
EVERYTHING = Capabilities(single_step=True, point_kinds=frozenset(PointKind))


@dataclass
class ScriptedTarget:
    """Threads 3 and 7, one 16-bit register each; ``run`` ends in the next of ``stops``
    (None: still running)."""
    capabilities: Capabilities = EVERYTHING
    stops: list = field(default_factory=list)
    architecture: Architecture = ARCH
    registers: dict = field(default_factory=lambda: {3: b"\x00\x03", 7: b"\x00\x07"})
    points: list = field(default_factory=list)
    resumed: list = field(default_factory=list)
    foreseen: object = None
    guest_exit: object = None
    listeners: list = field(default_factory=list)

    def threads(self):
        return (3, 7)

    def read_registers(self, thread):
        return self.registers[thread]

    def read_register(self, thread, regno):
        return self.registers[thread]

    def write_register(self, thread, regno, data):
        self.registers[thread] = data

    def insert_point(self, kind, addr, length):
        self.points.append(kind)

    def add_reset_listener(self, listener):
        self.listeners.append(listener)

    def reset(self):
        for listener in self.listeners:
            listener()

    def resume(self, thread, *, step):
        self.resumed.append((thread, step))

    def foreseen_stop(self, thread):
        return self.foreseen

    def run(self, max_steps):
        return self.stops.pop(0)


class Channel:
    def __init__(self, requests):
        self.reads = [b"+" + encode_packet(request) for request in requests]
        self.replies = []

    def receive(self, timeout=None):
        if not self.reads:
            if timeout == 0:
                return None
            raise ChannelWoken()
        return self.reads.pop(0)

    def send(self, data):
        self.replies.append(data[data.index(b"$") + 1:data.rindex(b"#")] if b"$" in data else data)


def serve(target, *requests):
    channel = Channel(list(requests))
    Session(channel, RunControl(target)).run()
    return channel.replies


def test_what_the_session_offers_follows_the_capabilities():
    full = serve(ScriptedTarget(), b"qSupported:swbreak+;hwbreak+", b"vCont?")
    assert full == [b"PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+",
                    b"vCont;c;C;s;S"]
    bare = ScriptedTarget(Capabilities(single_step=False, point_kinds=frozenset({PointKind.SOFTWARE})))
    replies = serve(bare, b"qSupported:swbreak+;hwbreak+", b"vCont?", b"s", b"vCont;s", b"Z1,10,4", b"Z0,10,4")
    assert replies[0].endswith(b"vContSupported+;swbreak+")
    assert replies[1:5] == [b"vCont;c;C", b"", b"E22", b""]
    assert replies[5] == b"OK" and bare.points == [PointKind.SOFTWARE] and bare.resumed == []


def test_z_numbers_become_point_kinds():
    target = ScriptedTarget()
    assert serve(target, *[b"Z%d,10,4" % z for z in range(5)], b"Z5,10,4") == [b"OK"] * 5 + [b""]
    assert target.points == [PointKind.SOFTWARE, PointKind.HARDWARE, PointKind.WATCH_WRITE,
                             PointKind.WATCH_READ, PointKind.WATCH_ACCESS]


@pytest.mark.parametrize("stop, reply", [
    (BreakpointStop(7, PointKind.SOFTWARE, 0x40), b"T05thread:7;swbreak:;"),
    (BreakpointStop(3, PointKind.HARDWARE, 0x40), b"T05thread:3;hwbreak:;"),
    (WatchStop(3, PointKind.WATCH_WRITE, 0x1234), b"T05thread:3;watch:1234;"),
    (WatchStop(3, PointKind.WATCH_READ, 0x1234), b"T05thread:3;rwatch:1234;"),
    (WatchStop(7, PointKind.WATCH_ACCESS, 0x1234), b"T05thread:7;awatch:1234;"),
    (SignalStop(7, signal.SIGILL), b"T04thread:7;"),
    (GuestExited(3, 9), b"W09"),
])
def test_stop_events_reach_the_wire_with_their_thread_and_reason(stop, reply):
    target = ScriptedTarget(stops=[stop])
    assert serve(target, b"qSupported:swbreak+;hwbreak+", b"c", b"?")[1:] == [reply, reply]


def test_breakpoint_reasons_go_only_to_a_client_that_asked():
    stop = BreakpointStop(3, PointKind.HARDWARE, 0x40)
    assert serve(ScriptedTarget(stops=[stop]), b"c") == [b"T05thread:3;"]


def test_threads_come_from_the_target_and_hg_chooses_whose_registers():
    target = ScriptedTarget(stops=[SignalStop(7, signal.SIGTRAP)])
    replies = serve(target, b"qfThreadInfo", b"qC", b"g", b"Hg7", b"g", b"qC", b"Hg9", b"T7", b"T9",
                    b"Hc7", b"vCont;s")
    assert replies == [b"m3,7", b"QC3", b"0003", b"OK", b"0007", b"QC7", b"E01", b"OK", b"E01",
                       b"OK", b"T05thread:7;"]
    assert target.resumed == [(7, True)]


def test_a_resume_address_beyond_the_address_width_is_refused():
    target = ScriptedTarget(stops=[SignalStop(3, signal.SIGTRAP)])
    assert serve(target, b"c10000", b"cffff") == [b"E22", b"T05thread:3;"]
    assert target.registers[3] == b"\xff\xff" and target.resumed == [(3, False)]


class Client:
    """A run-control client that records the state it sees and interrupts on request."""

    def __init__(self, run_control, interrupt_after=None):
        self.run_control, self.interrupt_after, self.seen = run_control, interrupt_after, []

    def poll(self):
        self.seen.append(("poll", self.run_control.state))
        return len(self.seen) == self.interrupt_after

    def stop_foreseen(self, stop):
        self.seen.append(("foreseen", self.run_control.state, stop))


def test_run_states_follow_steps_runs_interrupts_exits_and_resets(monkeypatch):
    monkeypatch.setattr("gdbstub.runcontrol.RUN_QUANTUM", 0)    # one slice a quantum
    step = SignalStop(3, signal.SIGTRAP)
    target = ScriptedTarget(stops=[step, None, None, None, GuestExited(3, 0)])
    run_control = RunControl(target)
    assert run_control.state is RunState.STOPPED
    target.foreseen = step
    client = Client(run_control)
    assert run_control.resume(3, step=True, client=client) is None           # announced, then run
    assert client.seen == [("foreseen", RunState.STEPPING, step)]
    assert run_control.state is RunState.STOPPED and run_control.last_stop is step

    target.foreseen, client = None, Client(run_control, interrupt_after=2)
    stop = run_control.resume(3, step=False, client=client)
    assert stop == SignalStop(3, signal.SIGINT) and run_control.last_stop is stop
    assert client.seen == [("poll", RunState.RUNNING)] * 2 and run_control.state is RunState.STOPPED

    assert run_control.resume(7, step=False, client=Client(run_control)) == GuestExited(3, 0)
    assert run_control.state is RunState.EXITED
    target.reset()
    assert run_control.state is RunState.STOPPED and run_control.last_stop == SignalStop(3, signal.SIGTRAP)
    assert target.resumed == [(3, True), (3, False), (7, False)]


def test_a_detached_run_stops_on_request_or_at_a_stop():
    target = ScriptedTarget(stops=[None, None, WatchStop(3, PointKind.WATCH_WRITE, 8)])
    run_control = RunControl(target)
    asked = []
    run_control.run_detached(3, lambda: asked.append(run_control.state) or len(asked) > 1)
    assert asked == [RunState.RUNNING] * 2 and run_control.state is RunState.STOPPED
    run_control.run_detached(3, lambda: False)
    assert run_control.last_stop == WatchStop(3, PointKind.WATCH_WRITE, 8)
    run_control.forget_stop_reason()        # the next client: the signal stays, the reason goes
    assert run_control.last_stop == SignalStop(3, signal.SIGTRAP)


def test_the_machine_has_every_member_of_the_contract(spin_elf):
    machine = Machine(spin_elf)
    members = {name for name in vars(Target) if not name.startswith("_")} | set(Target.__annotations__)
    assert {"threads", "read_memory", "insert_point", "run", "architecture"} <= members
    assert [name for name in sorted(members) if not hasattr(machine, name)] == []
