"""The ``fsl,mpc8540-pci`` host controller at CCSR+0x8000 with no device behind it.

Configuration space is reached through CFG_ADDR (+0x0, a big-endian word: enable bit 31, bus,
device/function, register) and CFG_DATA (+0x4..+0x7, the selected dword in PCI's little-endian
byte order, so byte ``CFG_DATA + i`` is configuration byte ``register + i``). Only the host
bridge itself answers, at bus 0 device 0 function 0, with the header QEMU 7.2 gives its
``e500-host-bridge`` (Freescale 0x1957, device 0x0030, class 0x0b20 "PowerPC processor", BAR0
a 1 MiB memory window); every other function reads as all ones and ignores writes, which is how
an empty PCI bus answers, and a disabled CFG_ADDR reads all ones too.

The outbound/inbound ATMU windows (+0xC00..+0xFFF) are plain storage: with nothing on the bus
there is nothing for them to route. Everything else in the 4 KiB window reads zero.

Reads have no side effects, so :meth:`peek` is :meth:`read`.
"""
from __future__ import annotations

from typing import Any

SIZE = 0x1000
CFG_ADDR = 0x0
CFG_DATA = 0x4
ATMU = range(0xC00, 0x1000)

CFG_ENABLE = 0x80000000

VENDOR_FREESCALE = 0x1957
DEVICE_MPC8533E = 0x0030
CLASS_POWERPC_PROCESSOR = 0x0B2000   # class, subclass, programming interface
SUBSYSTEM_VENDOR = 0x1AF4            # QEMU's default subsystem ids
SUBSYSTEM_ID = 0x1100
BAR0_SIZE = 1 << 20

CONFIG_SIZE = 256
COMMAND_WRITABLE = 0x0547   # I/O, memory, bus master, parity, SERR, INTx disable


def _bridge_config() -> tuple[bytearray, bytearray]:
    """The host bridge's reset configuration bytes and the mask of bits software may write."""
    config = bytearray(CONFIG_SIZE)
    writable = bytearray(CONFIG_SIZE)
    config[0x00:0x04] = (VENDOR_FREESCALE | DEVICE_MPC8533E << 16).to_bytes(4, "little")
    config[0x09:0x0C] = CLASS_POWERPC_PROCESSOR.to_bytes(3, "little")
    config[0x2C:0x30] = (SUBSYSTEM_VENDOR | SUBSYSTEM_ID << 16).to_bytes(4, "little")
    writable[0x04:0x06] = COMMAND_WRITABLE.to_bytes(2, "little")
    writable[0x0C] = writable[0x0D] = 0xFF                          # cache line, latency
    writable[0x10:0x14] = (~(BAR0_SIZE - 1) & 0xFFFFFFFF).to_bytes(4, "little")
    writable[0x3C] = 0xFF                                          # interrupt line
    return config, writable


class PciHost:
    """CFG_ADDR/CFG_DATA over a bus holding only the host bridge, and ATMU storage."""

    size = SIZE

    def __init__(self):
        self.config, self.writable = _bridge_config()
        self.cfg_addr = 0
        self.atmu = bytearray(len(ATMU))

    def _selected(self) -> int | None:
        """Offset of the selected dword in the host bridge's configuration, if it is selected."""
        if not self.cfg_addr & CFG_ENABLE or self.cfg_addr & 0x00FFFF00:
            return None
        return self.cfg_addr & 0xFC

    def _byte(self, offset: int) -> int:
        if offset < CFG_DATA:
            return self.cfg_addr >> 8 * (3 - offset) & 0xFF
        if offset < CFG_DATA + 4:
            register = self._selected()
            return 0xFF if register is None else self.config[register + offset - CFG_DATA]
        if offset in ATMU:
            return self.atmu[offset - ATMU.start]
        return 0

    def read(self, offset: int, size: int) -> int:
        value = 0
        for i in range(offset, offset + size):
            value = value << 8 | self._byte(i)
        return value

    peek = read

    def write(self, offset: int, size: int, value: int) -> None:
        data = value.to_bytes(size, "big")
        for i, byte in zip(range(offset, offset + size), data):
            if i < CFG_DATA:
                shift = 8 * (3 - i)
                self.cfg_addr = self.cfg_addr & ~(0xFF << shift) | byte << shift
            elif i < CFG_DATA + 4:
                register = self._selected()
                if register is not None:
                    at = register + i - CFG_DATA
                    mask = self.writable[at]
                    self.config[at] = self.config[at] & ~mask | byte & mask
            elif i in ATMU:
                self.atmu[i - ATMU.start] = byte

    def save(self) -> dict[str, Any]:
        return {"cfg_addr": self.cfg_addr, "config": bytes(self.config), "atmu": bytes(self.atmu)}

    def restore(self, state: dict[str, Any]) -> None:
        self.cfg_addr = state["cfg_addr"]
        self.config = bytearray(state["config"])
        self.atmu = bytearray(state["atmu"])
