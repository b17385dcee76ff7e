"""Fixtures for the device model tests."""
from __future__ import annotations

import pytest


class RecordingLine:
    """A fake interrupt line (duck-typed like the board's IrqLine) that records every level."""

    def __init__(self):
        self.level = False
        self.changes: list[bool] = []

    def set(self, level: bool) -> None:
        self.level = level
        self.changes.append(level)


@pytest.fixture
def make_line():
    return RecordingLine
