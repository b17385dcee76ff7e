"""The physical bus: one RAM at address 0 plus the device windows a board maps.

Addresses are physical (36 bits, as on the e500mc). All multi-byte accessors are big-endian.
An access that is neither wholly inside RAM nor inside one device window raises ``BusError``.
"""
from __future__ import annotations

import mmap
from typing import Protocol

DEFAULT_RAM_SIZE = 64 << 20
PHYSICAL_BITS = 36


class BusError(Exception):
    """No RAM or device answers at ``addr`` for an access of ``size`` bytes."""

    def __init__(self, addr: int, size: int, write: bool):
        super().__init__(f"bus error: {'write' if write else 'read'} of {size} bytes at {addr:#010x}")
        self.addr = addr
        self.size = size
        self.write = write


class Device(Protocol):
    """An MMIO device: ``offset`` is relative to the start of its window. ``save()`` returns
    its state as an immutable value that ``restore()`` takes back (the machine's snapshots)."""

    def read(self, offset: int, size: int) -> int: ...

    def write(self, offset: int, size: int, value: int) -> None: ...

    def save(self) -> object: ...

    def restore(self, saved: object) -> None: ...


class Memory:
    """RAM of ``size`` bytes at physical address 0 and the MMIO windows mapped above it (a board,
    such as :mod:`gdbstub.boards.bare`, maps the devices).

    RAM is a private anonymous mapping: creating it costs nothing, and only the pages a guest
    (or gdb) writes take host memory (reading a page never written maps the kernel's zero page,
    where a shared mapping would allocate it: the execution history reads all of RAM).
    """

    def __init__(self, size: int = DEFAULT_RAM_SIZE):
        self.ram = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.ram_size = size
        self._windows: list[tuple[int, int, Device]] = []

    def release(self) -> None:
        """Give the RAM back to the host now; this memory can no longer be accessed."""
        self.ram.close()

    def map_device(self, base: int, size: int, device: Device) -> None:
        """Route accesses to ``[base, base + size)`` to ``device``."""
        end = base + size
        if base < self.ram_size or any(base < e and s < end for s, e, _ in self._windows):
            raise ValueError(f"device window {base:#x}+{size:#x} overlaps RAM or another device")
        if end > 1 << PHYSICAL_BITS:
            raise ValueError(f"device window {base:#x}+{size:#x} ends beyond the physical address space")
        self._windows.append((base, end, device))

    def save(self) -> tuple[bytes, tuple]:
        """RAM and every device's state."""
        return bytes(self.ram), self.save_devices()

    def restore(self, saved: tuple[bytes, tuple]) -> None:
        ram, devices = saved
        self.ram[:] = ram
        self.restore_devices(devices)

    def save_devices(self) -> tuple:
        """Every device's state, without RAM (the execution history keeps RAM as pages)."""
        return tuple(device.save() for _, _, device in self._windows)

    def restore_devices(self, saved: tuple) -> None:
        for (_, _, device), state in zip(self._windows, saved):
            device.restore(state)

    def is_ram(self, addr: int, size: int) -> bool:
        return 0 <= addr and addr + size <= self.ram_size

    def _device(self, addr: int, size: int, write: bool) -> tuple[Device, int]:
        for base, end, device in self._windows:
            if base <= addr and addr + size <= end:
                return device, addr - base
        raise BusError(addr, size, write)

    def read(self, addr: int, size: int) -> int:
        """The big-endian unsigned value of ``size`` bytes at ``addr``."""
        if addr + size <= self.ram_size:
            return int.from_bytes(self.ram[addr:addr + size], "big")
        device, offset = self._device(addr, size, False)
        return device.read(offset, size)

    def write(self, addr: int, size: int, value: int) -> None:
        """Store the low ``size`` bytes of ``value`` big-endian at ``addr``."""
        if addr + size <= self.ram_size:
            self.ram[addr:addr + size] = value.to_bytes(size, "big")
            return
        device, offset = self._device(addr, size, True)
        device.write(offset, size, value)

    def read_bytes(self, addr: int, length: int) -> bytes:
        """Raw bytes; device registers are read one byte at a time."""
        if addr + length <= self.ram_size:
            return bytes(self.ram[addr:addr + length])
        return bytes(self.read(addr + i, 1) for i in range(length))

    def write_bytes(self, addr: int, data: bytes) -> None:
        """Raw bytes; device registers are written one byte at a time."""
        if addr + len(data) <= self.ram_size:
            self.ram[addr:addr + len(data)] = data
            return
        for i, byte in enumerate(data):
            self.write(addr + i, 1, byte)
