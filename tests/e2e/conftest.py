"""The end-to-end guest, built once per test run."""
from __future__ import annotations

from pathlib import Path

import pytest

from gdbstub.guests.build import build_guest


@pytest.fixture(scope="session")
def e2e_elf():
    """The e2e guest at -O0, so that every source line and local is where gdb expects it."""
    return build_guest([Path(__file__).parent / "guests" / "e2e.c"], opt="-O0", name="e2e")
