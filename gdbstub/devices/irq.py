"""Interrupt lines: a level a device (or an interrupt controller) drives and others watch.

A board connects a device's output line to an input: the vCPU's ``external_input`` and
``critical_input`` pins are lines too, so that an interrupt controller can sit in between later.
"""
from __future__ import annotations

from typing import Callable


class IrqLine:
    """One wire: ``set(level)`` changes it, and every listener hears each change of level."""

    def __init__(self, name: str = ""):
        self.name = name
        self.level = False
        self._listeners: list[Callable[[bool], None]] = []

    def connect(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(level)`` whenever the level changes."""
        self._listeners.append(listener)

    def set(self, level: bool) -> None:
        level = bool(level)
        if level == self.level:
            return
        self.level = level
        for listener in self._listeners:
            listener(level)

    def __repr__(self) -> str:
        return f"IrqLine({self.name!r}, level={self.level})"
