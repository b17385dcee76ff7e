"""The client's connection as file descriptors, for a session that runs in a worker thread.

A session reads and writes with blocking system calls: a packet then costs a ``poll``, a
``read`` and a ``write``, a few microseconds. Through trio's streams the same packet took
three rounds of its scheduler, some 20 µs, which was most of a round trip. Reads also watch a
wake-up pipe, so that the event loop can end a waiting session at once (:meth:`Channel.wake`).
"""
from __future__ import annotations

import os
import select

READ_SIZE = 65536


class ChannelWoken(Exception):
    """:meth:`Channel.wake` was called: the server wants the session to end."""


class Channel:
    """Reads from ``read_fd`` and writes to ``write_fd`` (the same socket, or stdin and stdout).

    The descriptors may be non-blocking (trio leaves its sockets so): reads wait in ``poll``,
    writes wait for room when the kernel's buffer is full.
    """

    def __init__(self, read_fd: int, write_fd: int | None = None) -> None:
        self.read_fd = read_fd
        self.write_fd = read_fd if write_fd is None else write_fd
        self._wake_r, self._wake_w = os.pipe()
        self._readable = select.poll()
        self._readable.register(read_fd, select.POLLIN)
        self._readable.register(self._wake_r, select.POLLIN)
        self._writable = select.poll()
        self._writable.register(self.write_fd, select.POLLOUT)

    def receive(self, timeout: float | None = None) -> bytes | None:
        """The next bytes from the client, ``b""`` once it has gone, or None if nothing came
        within ``timeout`` seconds (None: wait as long as it takes). Raises
        :class:`ChannelWoken` if :meth:`wake` was called."""
        while True:
            ready = self._readable.poll(None if timeout is None else timeout * 1000)
            if not ready:
                return None
            if any(fd == self._wake_r for fd, _ in ready):
                raise ChannelWoken()
            try:
                return os.read(self.read_fd, READ_SIZE)
            except BlockingIOError:
                continue  # a spurious wake-up
            except OSError:
                return b""  # reset by the peer: gone, like an orderly close

    def send(self, data: bytes) -> None:
        """Write all of ``data``; raises ``OSError`` if the client has gone."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.write_fd, view):]
            except BlockingIOError:
                self._writable.poll()

    def wake(self) -> None:
        """Make a waiting (or the next) :meth:`receive` raise :class:`ChannelWoken`. Safe to
        call from any thread."""
        os.write(self._wake_w, b"!")

    def close(self) -> None:
        """Close the wake-up pipe (the connection's descriptors belong to the caller)."""
        os.close(self._wake_r)
        os.close(self._wake_w)
