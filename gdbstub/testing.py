"""Run a server in a background thread, for tests and automated sessions."""
from __future__ import annotations

import queue
import threading

import trio

from .machine import Machine
from .server import Server


class ServerThread:
    """``with ServerThread(machine) as srv:`` serves ``machine`` on 127.0.0.1:``srv.port``.

    The server runs its own trio loop in a daemon thread; leaving the block stops it and
    re-raises anything that crashed it.
    """

    def __init__(self, machine: Machine, *, host: str = "127.0.0.1", **server_options):
        self.machine = machine
        self.host = host
        self.server = Server(machine, **server_options)
        self.port: int | None = None
        self._started: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="gdbstub-server", daemon=True)

    def __enter__(self) -> "ServerThread":
        self._thread.start()
        started = self._started.get(timeout=30)
        if isinstance(started, BaseException):
            raise started
        self.port = started
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            trio.from_thread.run_sync(self._cancel.cancel, trio_token=self._token)
            self._thread.join(timeout=30)
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # reported to the owning thread
            self._error = exc
            self._started.put(exc)

    async def _serve(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        async with trio.open_nursery() as nursery:
            self._cancel = nursery.cancel_scope
            port = await nursery.start(self.server.serve_tcp, self.host, 0)
            self._started.put(port)
