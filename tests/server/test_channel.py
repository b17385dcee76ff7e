"""The blocking channel a session thread reads and writes through."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from gdbstub.channel import Channel, ChannelWoken


@pytest.fixture
def pair():
    """A channel on one end of a non-blocking socket pair (as trio leaves its sockets) and the
    other end."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
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


def test_send_to_a_client_that_has_gone_raises_oserror(pair):
    channel, peer = pair
    peer.close()
    with pytest.raises(OSError):
        for _ in range(100):
            channel.send(b"x" * 65536)
