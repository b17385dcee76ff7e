"""The blocking channel a session thread reads and writes through."""
from __future__ import annotations

import os
import select
import socket
import threading
import time

import pytest

from gdbstub import channel as channel_module
from gdbstub.channel import POLL_START, Channel, ChannelWoken, default_busy_poll


@pytest.fixture(params=["non-blocking", "blocking"])
def pair(request):
    """A channel on one end of a socket pair (non-blocking, as trio leaves its sockets, or
    blocking, like stdin) and the other end."""
    ours, theirs = socket.socketpair()
    ours.setblocking(request.param == "blocking")
    channel = Channel(ours.fileno())
    yield channel, theirs
    channel.close()
    ours.close()
    theirs.close()


def test_receive_returns_what_came_none_on_timeout_and_empty_at_the_end(pair):
    channel, peer = pair
    assert channel.receive(timeout=0) is None
    peer.sendall(b"$g#67")
    assert channel.receive() == b"$g#67"
    peer.close()
    assert channel.receive() == b""


def test_wake_ends_a_waiting_receive_from_another_thread(pair):
    channel, _ = pair
    threading.Timer(0.05, channel.wake).start()
    started = time.monotonic()
    with pytest.raises(ChannelWoken):
        channel.receive()
    assert time.monotonic() - started < 5


def test_send_waits_for_room_when_the_kernel_buffer_is_full(pair):
    channel, peer = pair
    data = bytes(range(256)) * 16384          # 4 MiB: far more than a socket buffer holds
    received = bytearray()

    def drain():
        while len(received) < len(data):
            received.extend(peer.recv(1 << 20))
    reader = threading.Thread(target=drain)
    reader.start()
    channel.send(data)
    reader.join(timeout=30)
    assert bytes(received) == data


def test_sending_nothing_makes_no_system_call(pair):
    channel, peer = pair
    peer.close()
    channel.send(b"")                    # a write would fail: the peer has gone


def test_send_to_a_client_that_has_gone_raises_oserror(pair):
    channel, peer = pair
    peer.close()
    with pytest.raises(OSError):
        for _ in range(100):
            channel.send(b"x" * 65536)


class _ScriptedWait:
    """Stands in for the channel's poll object and the clock: input arrives at ``arrival``;
    every poll without sleeping takes 10 µs. Times are exact, whatever the machine's load."""

    def __init__(self, fd: int):
        self.fd, self.now, self.arrival = fd, 0.0, 0.0

    def clock(self) -> float:
        return self.now

    def poll(self, timeout=None):
        if timeout is None:
            self.now = max(self.now, self.arrival)
        elif self.now < self.arrival:
            self.now += 10e-6
            return []
        return [(self.fd, select.POLLIN)]


def test_busy_poll_window_grows_after_quick_wake_ups_up_to_the_limit_and_drops_after_a_pause(
        pair, monkeypatch):
    channel, peer = pair
    script = _ScriptedWait(channel.read_fd)
    monkeypatch.setattr(channel, "_readable", script)
    monkeypatch.setattr(channel_module.time, "perf_counter", script.clock)

    def window_after(gap: float) -> float:
        script.arrival = script.now + gap
        peer.sendall(b"+")
        assert channel.receive() == b"+"
        return channel.poll_window

    channel.busy_poll = 0.3
    assert [window_after(0.002) for _ in range(3)] == pytest.approx([POLL_START, 2 * POLL_START, 4 * POLL_START])
    channel.busy_poll, channel.poll_window = 0.1, 0.05
    assert window_after(0.075) == 0.1    # the window was too short, the limit long enough
    assert window_after(0.2) == 0        # a pause longer than the limit: sleep from now on
    channel.busy_poll, channel.poll_window = 0.3, 0.04
    assert [window_after(0.02) for _ in range(3)] == [0.04] * 3   # long enough: kept (found in review)


def test_busy_poll_returns_input_wake_up_and_disconnect_as_soon_as_they_come(pair):
    """A window of 10 s: each receive must end when its event comes, not when the window does."""
    channel, peer = pair
    channel.busy_poll = channel.poll_window = 10.0
    started = time.monotonic()
    threading.Timer(0.05, peer.sendall, (b"$g#67",)).start()
    assert channel.receive() == b"$g#67"
    threading.Timer(0.05, channel.wake).start()
    with pytest.raises(ChannelWoken):
        channel.receive()
    os.read(channel._wake_r, 1)          # undo the wake-up, to listen again
    channel._woken = False
    threading.Timer(0.05, peer.close).start()
    assert channel.receive() == b""
    assert time.monotonic() - started < 5
    assert channel.poll_window == 10.0


def test_no_busy_poll_by_default_in_the_library_and_on_one_cpu(monkeypatch):
    channel = Channel(0)
    assert channel.busy_poll == 0
    channel.close()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert default_busy_poll() == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert default_busy_poll() > 0


def test_serve_option_reaches_the_channel_of_each_session(monkeypatch, demo_elf):
    from gdbstub import server as server_module
    from gdbstub.cli import build_parser
    from gdbstub.machine import Machine
    from gdbstub.rsp.client import RspClient
    from gdbstub.testing import ServerThread

    args = build_parser().parse_args(["serve", "--demo", "--busy-poll-us", "250"])
    assert args.busy_poll_us == 250
    assert build_parser().parse_args(["serve", "--demo"]).busy_poll_us == default_busy_poll() * 1e6
    seen = []

    class Recorded(Channel):
        def __init__(self, *fds, busy_poll):
            seen.append(busy_poll)
            super().__init__(*fds, busy_poll=busy_poll)
    monkeypatch.setattr(server_module, "Channel", Recorded)
    with ServerThread(Machine(demo_elf), busy_poll=args.busy_poll_us * 1e-6) as srv:
        client = RspClient.connect("127.0.0.1", srv.port)
        assert client.request(b"qC") == b"QC1"
        client.close()
    assert seen == [pytest.approx(250e-6)]


@pytest.mark.parametrize("pair", ["non-blocking"], indirect=True)
def test_wake_ends_a_send_to_a_client_that_stopped_reading(pair):
    """Found in review: a stopping server waited for ever on such a session. (Only a
    non-blocking descriptor can wait for room in ``poll``; a blocking write waits in the kernel.)"""
    channel, _ = pair
    threading.Timer(0.2, channel.wake).start()
    started = time.monotonic()
    with pytest.raises(ChannelWoken):
        channel.send(b"x" * (64 << 20))              # far more than the socket buffers hold
    assert time.monotonic() - started < 5
