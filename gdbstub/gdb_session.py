"""Automated gdb sessions for CI: the server and gdb-multiarch (over MI, via pygdbmi) together.

    with GdbSession("guest.elf") as gdb:
        gdb.cmd("-break-insert main")
        stop = gdb.run("-exec-continue")       # waits for *stopped
        print(gdb.console("info registers pc"))

Everything started is stopped on exit, also when the block fails.
"""
from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

from pygdbmi.gdbcontroller import GdbController

from .hwdebug.profiles import PROFILES
from .machine import Machine
from .testing import ServerThread

GDB_CANDIDATES = ("powerpc-linux-gnu-gdb", "gdb-multiarch")


class GdbError(RuntimeError):
    """gdb answered ^error, or did not answer in time."""


def find_gdb() -> str:
    """The PowerPC-capable gdb on PATH."""
    for name in GDB_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise GdbError("no PowerPC gdb found: install gdb-multiarch")


class GdbSession:
    """A served guest with a real gdb attached over MI."""

    def __init__(self, elf: str | Path, *, profile: str = "e500mc", gdb: str | None = None,
                 timeout: float = 30.0, machine: Machine | None = None):
        """``machine``: serve this one (booted already, on any board; ``elf`` is then only
        gdb's symbol file) instead of ``elf`` on a fresh bare machine."""
        self.elf = Path(elf)
        self.timeout = timeout
        self.uart = bytearray()
        self.machine = machine or Machine(self.elf, profile=PROFILES[profile], uart_output=self.uart.extend)
        self._gdb_path = gdb or find_gdb()
        self._tokens = itertools.count(1)
        self._backlog: list[dict] = []   # records read but not yet consumed
        self._stops: list[dict] = []     # *stopped records a reader passed over, oldest first
        self.server: ServerThread | None = None
        self.gdb: GdbController | None = None

    def __enter__(self) -> "GdbSession":
        try:
            self.server = ServerThread(self.machine).__enter__()
            self.gdb = GdbController(command=[self._gdb_path, "--nx", "--quiet", "--interpreter=mi3",
                                              str(self.elf)])
            self.cmd("-gdb-set confirm off")
            self.cmd("-gdb-set mi-async on")      # so that -exec-interrupt works while running
            self.attach()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop gdb and the server (idempotent)."""
        if self.gdb is not None:
            self.gdb.exit()
            self.gdb = None
        if self.server is not None:
            server, self.server = self.server, None
            server.stop()

    def attach(self) -> None:
        """Connect gdb to the server (again, after a ``detach`` or ``kill``).

        The ``*stopped`` gdb prints on connecting (before ``^connected``) is no stop to wait for.
        """
        self.cmd(f"-target-select remote 127.0.0.1:{self.server.port}")
        self._stops.clear()

    def cmd(self, command: str, *, timeout: float | None = None) -> list[dict]:
        """Send an MI (or CLI) command; return every record up to and including its result.

        Raises ``GdbError`` on ``^error``. For commands that resume the target use ``run``.
        """
        token = next(self._tokens)
        self.gdb.write(f"{token}{command}", read_response=False)
        records = self._read_until(lambda r: r["type"] == "result" and r.get("token") == token, timeout)
        _raise_on_error(command, records)
        return records

    def run(self, command: str, *, timeout: float | None = None) -> dict:
        """Resume with ``command`` (``-exec-continue``, ``-exec-step`` …) and wait for the stop.

        Returns the payload of the ``*stopped`` record (``reason``, ``frame`` …). A resume that
        gdb aborts (e.g. a breakpoint the target refused) raises ``GdbError`` with gdb's message.
        Stops not waited for until ``command`` was accepted are dropped: gdb prints a resume's
        ``^running`` before its ``*stopped``, so they ended before this resume.
        """
        self.cmd(command, timeout=timeout)
        self._stops.clear()
        records = self._read_until(lambda r: _is_stop(r) or _is_error(r), timeout)
        _raise_on_error(command, records)
        return records[-1]["payload"]

    def wait_stopped(self, *, timeout: float | None = None) -> dict:
        """Return the payload of the oldest ``*stopped`` record not yet waited for: one that
        an earlier command read past (the target may stop by itself at any time), else the next."""
        if self._stops:
            return self._stops.pop(0)["payload"]
        return self._read_until(_is_stop, timeout)[-1]["payload"]

    def interrupt(self) -> dict:
        """Ctrl-C the running target (``-exec-interrupt``) and return the stop (the one it
        had already come to by itself, e.g. at a breakpoint or its exit, if it beat the Ctrl-C)."""
        self.cmd("-exec-interrupt")
        return self.wait_stopped()

    def console(self, command: str, *, timeout: float | None = None) -> str:
        """Run a CLI command and return what it printed (``monitor`` answers included)."""
        records = self.cmd(f'-interpreter-exec console "{_mi_quote(command)}"', timeout=timeout)
        return "".join(r["payload"] for r in records
                       if r["type"] in ("console", "target", "output") and r["payload"])

    def evaluate(self, expression: str) -> str:
        """The value of an expression as gdb prints it."""
        records = self.cmd(f'-data-evaluate-expression "{_mi_quote(expression)}"')
        return records[-1]["payload"]["value"]

    def _read_until(self, done, timeout: float | None) -> list[dict]:
        deadline = time.monotonic() + (timeout or self.timeout)
        records: list[dict] = []
        while True:
            while self._backlog:
                record = self._backlog.pop(0)
                records.append(record)
                if done(record):
                    return records
                if _is_stop(record):
                    self._stops.append(record)
            if time.monotonic() > deadline:
                break
            self._backlog = self.gdb.get_gdb_response(timeout_sec=0.1, raise_error_on_timeout=False)
        raise GdbError(f"gdb did not answer in time; last records: {records[-5:]}")


def _mi_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _is_stop(record: dict) -> bool:
    return record["type"] == "notify" and record["message"] == "stopped"


def _is_error(record: dict) -> bool:
    return record["type"] == "result" and record["message"] == "error"


def _raise_on_error(command: str, records: list[dict]) -> None:
    """Raise ``GdbError`` with gdb's own words if the last record is ``^error``."""
    if not _is_error(records[-1]):
        return
    said = "".join(r["payload"] for r in records if r["type"] == "log" and isinstance(r["payload"], str))
    message = records[-1]["payload"].get("msg", records[-1]["payload"])
    raise GdbError(f"{command}: {said}{message}")
