"""Physical memory: one RAM bytearray at address 0 plus memory-mapped devices.

All multi-byte accessors are big-endian. An access that is neither wholly inside RAM nor
inside one device window raises ``BusError``.
"""
from __future__ import annotations

import mmap
from typing import Callable, Protocol

from .guts import GUTS_BASE, GUTS_SIZE, Guts
from .uart import UART_BASE, UART_SIZE, Uart16550

DEFAULT_RAM_SIZE = 64 << 20


class BusError(Exception):
    """No RAM or device answers at ``addr`` for an access of ``size`` bytes."""

    def __init__(self, addr: int, size: int, write: bool):
        super().__init__(f"bus error: {'write' if write else 'read'} of {size} bytes at {addr:#010x}")
        self.addr = addr
        self.size = size
        self.write = write


class Device(Protocol):
    """An MMIO device: ``offset`` is relative to the start of its window."""

    def read(self, offset: int, size: int) -> int: ...

    def write(self, offset: int, size: int, value: int) -> None: ...


class Memory:
    """RAM of ``size`` bytes at physical address 0 and MMIO windows above it.

    By default the MPC8544DS devices the guests use are mapped: the 16550 UART (output bytes
    go to ``uart_output``) and the GUTS block whose reset register halts the machine.
    RAM is an anonymous mapping: creating it costs nothing, and only the pages a guest (or
    gdb) touches take host memory.
    """

    def __init__(self, size: int = DEFAULT_RAM_SIZE, *, uart_output: Callable[[bytes], None] | None = None):
        self.ram = mmap.mmap(-1, size)
        self.ram_size = size
        self._windows: list[tuple[int, int, Device]] = []
        self.map_device(UART_BASE, UART_SIZE, Uart16550(uart_output or (lambda data: None)))
        self.map_device(GUTS_BASE, GUTS_SIZE, Guts())

    def release(self) -> None:
        """Give the RAM back to the host now; this memory can no longer be accessed."""
        self.ram.close()

    def map_device(self, base: int, size: int, device: Device) -> None:
        """Route accesses to ``[base, base + size)`` to ``device``."""
        end = base + size
        if base < self.ram_size or any(base < e and s < end for s, e, _ in self._windows):
            raise ValueError(f"device window {base:#x}+{size:#x} overlaps RAM or another device")
        self._windows.append((base, end, device))

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
