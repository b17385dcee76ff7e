"""A base for small MMIO devices built from byte-wide registers."""
from __future__ import annotations


class ByteRegisterDevice:
    """Splits multi-byte accesses into big-endian byte accesses to ``read_byte``/``write_byte``."""

    def read_byte(self, offset: int) -> int:
        raise NotImplementedError

    def write_byte(self, offset: int, value: int) -> None:
        raise NotImplementedError

    def read(self, offset: int, size: int) -> int:
        value = 0
        for i in range(size):
            value = value << 8 | self.read_byte(offset + i)
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        for i in range(size):
            self.write_byte(offset + i, value >> (8 * (size - 1 - i)) & 0xFF)
