"""The CCSR window (1 MiB at physical 0xF_E000_0000 on ppce500): routes accesses to devices.

Offsets no device claims read as zero and ignore writes, as on QEMU (U-Boot reads the LBC's
LCRR at +0x5000 early and must not fault there). Each such register is logged once, the first
time the guest touches it, and at most ``log_limit`` of them in all, so a guest sweeping the
window cannot flood the log. Debugger reads (:meth:`peek`) go to the devices' own side-effect-
free ``peek`` and never log.
"""
from __future__ import annotations

import bisect
import logging
from typing import Any, Iterable, Protocol

BASE = 0xF_E000_0000
SIZE = 0x100000

UART0_OFFSET = 0x4500
UART1_OFFSET = 0x4600
PCI_OFFSET = 0x8000
MPIC_OFFSET = 0x40000
GUTS_OFFSET = 0xE0000

DEFAULT_LOG_LIMIT = 64

log = logging.getLogger("gdbstub.devices.ccsr")


class Device(Protocol):
    def read(self, offset: int, size: int) -> int: ...
    def write(self, offset: int, size: int, value: int) -> None: ...
    def peek(self, offset: int, size: int) -> int: ...
    def save(self) -> Any: ...
    def restore(self, state: Any) -> None: ...


class Ccsr:
    """``devices`` are ``(offset, size, device)`` windows inside the CCSR; they must not overlap."""

    size = SIZE

    def __init__(self, devices: Iterable[tuple[int, int, Device]],
                 log_limit: int = DEFAULT_LOG_LIMIT):
        windows = sorted(devices, key=lambda window: window[0])
        for offset, size, _ in windows:
            if size <= 0 or offset < 0 or offset + size > SIZE:
                raise ValueError(f"device window +{offset:#x} ({size:#x} bytes) is not inside CCSR")
        for (offset, size, _), (following, _, _) in zip(windows, windows[1:]):
            if offset + size > following:
                raise ValueError(f"device windows at +{offset:#x} and +{following:#x} overlap")
        self.windows = windows
        self.starts = [offset for offset, _, _ in windows]
        self.log_limit = log_limit
        self.logged: set[int] = set()

    def _find(self, offset: int, size: int) -> tuple[int, Device] | None:
        """The device whose window holds the whole access, and the access's offset in it."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if index < 0:
            return None
        start, length, device = self.windows[index]
        if offset + size > start + length:
            return None
        return offset - start, device

    def read(self, offset: int, size: int) -> int:
        found = self._find(offset, size)
        if found is None:
            self._note_unmodelled(offset, size, "read")
            return 0
        return found[1].read(found[0], size)

    def peek(self, offset: int, size: int) -> int:
        found = self._find(offset, size)
        return 0 if found is None else found[1].peek(found[0], size)

    def write(self, offset: int, size: int, value: int) -> None:
        found = self._find(offset, size)
        if found is None:
            self._note_unmodelled(offset, size, "write")
        else:
            found[1].write(found[0], size, value)

    def _note_unmodelled(self, offset: int, size: int, access: str) -> None:
        if offset in self.logged or len(self.logged) > self.log_limit:
            return
        self.logged.add(offset)
        if len(self.logged) > self.log_limit:
            log.warning("more unmodelled CCSR registers touched; no longer logging them")
        else:
            log.warning("CCSR+%#07x: unmodelled register (%d-byte %s); reads 0, ignores writes",
                        offset, size, access)

    def save(self) -> list[Any]:
        """The devices' states, in window order (the log of unmodelled registers is not state)."""
        return [device.save() for _, _, device in self.windows]

    def restore(self, state: list[Any]) -> None:
        if len(state) != len(self.windows):
            raise ValueError(f"CCSR snapshot has {len(state)} devices, this CCSR {len(self.windows)}")
        for (_, _, device), device_state in zip(self.windows, state):
            device.restore(device_state)
