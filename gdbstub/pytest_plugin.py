"""A pytest fixture for users' own CI: ``gdb_session(elf)`` opens a served guest with gdb attached.

Installed with the package (entry point ``pytest11``), so any test can ask for it:

    def test_breakpoint(gdb_session):
        gdb = gdb_session("guest.elf")
        gdb.cmd("-break-insert main")
        assert gdb.run("-exec-continue")["reason"] == "breakpoint-hit"
"""
from __future__ import annotations

import pytest

from .gdb_session import GdbSession


@pytest.fixture
def gdb_session():
    """Factory fixture: each call starts a server and gdb; all are stopped after the test."""
    sessions: list[GdbSession] = []

    def open_session(elf, **options) -> GdbSession:
        session = GdbSession(elf, **options).__enter__()
        sessions.append(session)
        return session
    yield open_session
    for session in sessions:
        session.close()
