"""The host ends of the console UART (``gdbstub serve --serial``): where the guest's output goes
and where typed input comes from.

Each backend offers ``write(data)`` (called from the vCPU's thread with the UART's output) and
``start(type_into)``, which begins handing host input to ``type_into(data)`` from a thread of
its own (:meth:`~gdbstub.machine.Machine.type_into_console` queues it for the UART), and
``close()``.

``tcp:HOST:PORT`` listens as QEMU's ``-serial tcp::PORT,server,nowait`` does: the guest never
waits for a client; one client at a time; bytes flow both ways. Unlike QEMU, output produced
while no client is connected is kept (the last :data:`BACKLOG_LIMIT` bytes) and sent when one
connects, so the banner a guest prints before anyone connects is not lost.

``file:PATH`` (and ``--uart-log PATH``) appends, but a guest spinning on its UART must not fill
the disk: once the file holds :data:`FILE_LIMIT` bytes it becomes ``PATH.old`` (replacing the
previous one) and ``PATH`` starts again, so at most twice that is kept, the newest output last.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
from typing import BinaryIO, Callable

BACKLOG_LIMIT = 1 << 16
FILE_LIMIT = 64 << 20


class SerialSpecError(ValueError):
    """A ``--serial`` value that names no backend."""


class NullConsole:
    """``none``: output is dropped, nothing is typed."""

    def write(self, data: bytes) -> None:
        pass

    def start(self, type_into: Callable[[bytes], None]) -> None:
        pass

    def close(self) -> None:
        pass


class StreamConsole(NullConsole):
    """Output to a byte stream (a file, stdout); with ``input_fd``, typed input from it."""

    def __init__(self, stream: BinaryIO, input_fd: int | None = None):
        self.stream = stream
        self.input_fd = input_fd

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.stream.flush()

    def start(self, type_into: Callable[[bytes], None]) -> None:
        if self.input_fd is not None:
            threading.Thread(target=self._read_input, args=(type_into,), daemon=True,
                             name="console input").start()

    def _read_input(self, type_into: Callable[[bytes], None]) -> None:
        while data := os.read(self.input_fd, 4096):
            type_into(data)


class FileConsole(StreamConsole):
    """``file:PATH``: output appended to PATH, kept below ``limit`` bytes a file (see above)."""

    def __init__(self, path: str, limit: int = FILE_LIMIT):
        super().__init__(open(path, "ab", buffering=0))
        self.path, self.limit = path, limit
        self.size = os.fstat(self.stream.fileno()).st_size

    def write(self, data: bytes) -> None:
        if self.size and self.size + len(data) > self.limit:
            self.stream.close()
            os.replace(self.path, f"{self.path}.old")
            self.stream, self.size = open(self.path, "ab", buffering=0), 0
        self.stream.write(data)
        self.size += len(data)

    def close(self) -> None:
        self.stream.close()


class TcpConsole(NullConsole):
    """A listening socket; one client at a time is the console's other end."""

    def __init__(self, host: str, port: int):
        self.listener = socket.create_server((host, port))
        self.address = self.listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._client: socket.socket | None = None
        self._backlog = bytearray()

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._client is not None:
                try:
                    self._client.sendall(data)
                    return
                except OSError:
                    self._client = None
            self._backlog += data
            del self._backlog[:-BACKLOG_LIMIT]

    def start(self, type_into: Callable[[bytes], None]) -> None:
        threading.Thread(target=self._accept, args=(type_into,), daemon=True, name="console tcp").start()

    def _accept(self, type_into: Callable[[bytes], None]) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:   # closed
                return
            with self._lock:
                try:
                    client.sendall(self._backlog)
                    self._backlog.clear()
                except OSError:
                    client.close()
                    continue
                self._client = client
            try:
                while data := client.recv(4096):
                    type_into(data)
            except OSError:
                pass
            with self._lock:
                if self._client is client:
                    self._client = None
            client.close()

    def close(self) -> None:
        self.listener.close()
        with self._lock:
            if self._client is not None:
                self._client.close()


def open_console(spec: str, *, stdout_carries_rsp: bool = False):
    """The backend ``spec`` names: ``stdio``, ``tcp:HOST:PORT``, ``file:PATH`` or ``none``
    (SerialSpecError if it names none; OSError if the file or the address cannot be had)."""
    kind, _, rest = spec.partition(":")
    if spec == "none":
        return NullConsole()
    if spec == "stdio":
        if stdout_carries_rsp:   # stdin and stdout speak RSP; the console can only print
            return StreamConsole(sys.stderr.buffer)
        return StreamConsole(sys.stdout.buffer, input_fd=sys.stdin.fileno())
    if kind == "file" and rest:
        return FileConsole(rest)
    if kind == "tcp":
        host, sep, port = rest.rpartition(":")
        if sep and port.isdigit() and int(port) <= 0xFFFF:
            return TcpConsole(host or "127.0.0.1", int(port))
    raise SerialSpecError(f"--serial {spec!r}: expected stdio, tcp:HOST:PORT, file:PATH or none")
