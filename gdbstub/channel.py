"""The client's connection as file descriptors, for a session that runs in a worker thread.

A session reads and writes with blocking system calls: a packet then costs a ``poll``, a
``read`` and a ``write``, a few microseconds. Through trio's streams the same packet took
three rounds of its scheduler, some 20 µs, which was most of a round trip. Reads also watch a
wake-up pipe, so that the event loop can end a waiting session at once (:meth:`Channel.wake`).

Waking a sleeping thread is the dearest part of a round trip in a virtual machine (~35 µs
here, more than handling the packet), and gdb sends its next packet within microseconds
while it steps or reads memory. So a blocking :meth:`Channel.receive` first polls without
sleeping for a while, and sizes that while as KVM's halt polling does: it grows (from
``POLL_START``, doubling up to ``busy_poll``) when input came soon after the channel went
to sleep, and drops to nothing after a pause longer than ``busy_poll``, so an idle or slow
client costs no CPU.
"""
from __future__ import annotations

import os
import select
import time

READ_SIZE = 65536
POLL_START = 10e-6          # the first busy-poll window after a quick wake-up, in seconds
BUSY_POLL = 500e-6          # the longest window, where a second CPU is there to poll on


def default_busy_poll() -> float:
    """``BUSY_POLL`` if this process may run on more than one CPU, else 0: on one CPU a busy
    poll would only keep the client from sending."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return BUSY_POLL if len(usable) > 1 else 0.0


class ChannelWoken(Exception):
    """:meth:`Channel.wake` was called: the server wants the session to end."""


class Channel:
    """Reads from ``read_fd`` and writes to ``write_fd`` (the same socket, or stdin and stdout).

    The descriptors may be non-blocking (trio leaves its sockets so): reads wait in ``poll``,
    writes wait for room when the kernel's buffer is full.
    """

    def __init__(self, read_fd: int, write_fd: int | None = None, *, busy_poll: float = 0.0) -> None:
        self.read_fd = read_fd
        self.busy_poll = busy_poll  # the longest busy-poll window, in seconds (0: always sleep)
        self.poll_window = 0.0
        self.write_fd = read_fd if write_fd is None else write_fd
        self._woken = False
        self._wake_r, self._wake_w = os.pipe()
        self._readable = select.poll()
        self._readable.register(read_fd, select.POLLIN)
        self._readable.register(self._wake_r, select.POLLIN)
        self._writable = select.poll()
        self._writable.register(self.write_fd, select.POLLOUT)
        self._writable.register(self._wake_r, select.POLLIN)

    def receive(self, timeout: float | None = None) -> bytes | None:
        """The next bytes from the client, ``b""`` once it has gone, or None if nothing came
        within ``timeout`` seconds (None: wait as long as it takes, polling busily first).
        Raises :class:`ChannelWoken` if :meth:`wake` was called."""
        start = time.perf_counter()
        waits = timeout is None or timeout > 0
        if waits and (data := self._busy_read(start)) is not None:
            return data     # the window was long enough: it stays as it is
        while True:
            left = None if timeout is None else max(0.0, start + timeout - time.perf_counter())
            if not self._readable.poll(None if left is None else left * 1000):
                return None
            self._raise_if_woken()
            if (data := self._read_now()) is not None:    # None: a spurious wake-up
                if waits:
                    self._size_window(start)
                return data

    def _read_now(self) -> bytes | None:
        """What the client has sent, ``b""`` if it has gone, or None if a non-blocking
        descriptor had nothing after all (a spurious wake-up)."""
        try:
            return os.read(self.read_fd, READ_SIZE)
        except BlockingIOError:
            return None
        except OSError:
            return b""  # reset by the peer: gone, like an orderly close

    def _busy_read(self, start: float) -> bytes | None:
        """Input read within ``poll_window`` seconds of ``start`` without sleeping, or None.
        (Each try is a ``poll``: a non-blocking ``read`` that finds nothing costs more, for
        the exception Python makes of it.)"""
        clock, deadline, poll = time.perf_counter, start + self.poll_window, self._readable.poll
        while clock() < deadline:
            if poll(0):
                self._raise_if_woken()
                if (data := self._read_now()) is not None:
                    return data
        return None

    def _size_window(self, start: float) -> None:
        """After a wait that went to sleep, size the next busy-poll window from how long the
        wait lasted (see the module)."""
        waited, window = time.perf_counter() - start, self.poll_window
        if waited > self.busy_poll:
            self.poll_window = 0.0
        elif window < self.busy_poll:
            self.poll_window = min(self.busy_poll, max(2 * window, POLL_START))

    def send(self, data: bytes) -> None:
        """Write all of ``data``; raises ``OSError`` if the client has gone, and
        :class:`ChannelWoken` if :meth:`wake` is called while it waits for room (a client
        that stopped reading)."""
        pending = data
        while pending:
            try:
                sent = os.write(self.write_fd, pending)
            except BlockingIOError:
                self._writable.poll()
                self._raise_if_woken()
                continue
            if sent == len(pending):
                return
            pending = memoryview(pending)[sent:]

    def _raise_if_woken(self) -> None:
        if self._woken:
            raise ChannelWoken()

    def wake(self) -> None:
        """Make a waiting (or the next) :meth:`receive` or :meth:`send` raise
        :class:`ChannelWoken`. Safe to call from any thread."""
        self._woken = True          # before the write, so that whoever the pipe wakes sees it
        os.write(self._wake_w, b"!")

    def close(self) -> None:
        """Close the wake-up pipe (the connection's descriptors belong to the caller)."""
        os.close(self._wake_r)
        os.close(self._wake_w)
