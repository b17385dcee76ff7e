"""The stub's breakpoints and watchpoints, built from gdb's Z packets as QEMU does.

Z0 is a software breakpoint: the profile's debug instruction written over the guest's word,
which is saved and shown to gdb instead. Z1-Z4 are hardware points: each call to ``insert``
re-checks that the whole set still programs (``compute_debug_regs``), so a refused insert
changes nothing.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass

from ..vcpu.isa.bits import MASK32
from .abi import (KVM_GUESTDBG_BP_COUNT, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_USE_HW_BP, KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_WATCH_READ,
                  KVMPPC_DEBUG_WATCH_WRITE, BreakpointSpec, GuestDebug)
from .guest_debug import GuestDebugError, compute_debug_regs
from .profiles import CoreProfile

Z_SOFTWARE = 0
Z_KVM_TYPES = {
    1: KVMPPC_DEBUG_BREAKPOINT,
    2: KVMPPC_DEBUG_WATCH_WRITE,
    3: KVMPPC_DEBUG_WATCH_READ,
    4: KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE,
}
Z_NAMES = {0: "break", 1: "hbreak", 2: "watch", 3: "rwatch", 4: "awatch"}
WORD = 4
HW_CONTROL = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP


class PointError(Exception):
    """A Z/z request that cannot be carried out."""
    errno = errno.EINVAL


class InvalidPoint(PointError):
    """Bad arguments (e.g. a misaligned software breakpoint)."""


class SlotsExhausted(PointError):
    """No free IAC/DAC slot: gdb gets E22 and nothing changes."""


class UnsupportedPoint(PointError):
    """A Z type this target does not implement: gdb gets the empty reply."""


class NoSuchPoint(PointError):
    """Removing a point that is not inserted."""
    errno = errno.ENOENT


@dataclass(frozen=True)
class HardwarePoint:
    z_type: int
    addr: int
    length: int

    @property
    def kvm_type(self) -> int:
        return Z_KVM_TYPES[self.z_type]


class Points:
    """The inserted points; ``cpu`` provides ``read_memory``/``write_memory``."""

    def __init__(self, cpu, profile: CoreProfile):
        self.cpu = cpu
        self.profile = profile
        self.hardware: list[HardwarePoint] = []
        self.software: dict[int, bytes] = {}   # address -> the guest's original word

    # --- insertion and removal --------------------------------------------------------------
    def insert(self, z_type: int, addr: int, length: int) -> None:
        if not 0 <= addr <= MASK32:    # refused, not cut to 32 bits
            raise InvalidPoint(f"{addr:#x} is not a 32-bit address")
        if z_type == Z_SOFTWARE:
            self._insert_software(addr)
        elif z_type in Z_KVM_TYPES:
            self._insert_hardware(HardwarePoint(z_type, addr, length))
        else:
            raise UnsupportedPoint(f"Z{z_type} is not supported")

    def remove(self, z_type: int, addr: int, length: int) -> None:
        if z_type == Z_SOFTWARE:
            self._remove_software(addr)
        elif z_type in Z_KVM_TYPES:
            point = self._find_hardware(z_type, addr)
            if point is None:
                raise NoSuchPoint(f"no {Z_NAMES[z_type]} point at {addr:#x}")
            self.hardware.remove(point)
        else:
            raise UnsupportedPoint(f"z{z_type} is not supported")

    def clear(self) -> None:
        for addr in list(self.software):
            self._remove_software(addr)
        self.hardware.clear()

    def _find_hardware(self, z_type: int, addr: int) -> HardwarePoint | None:
        return next((p for p in self.hardware if p.z_type == z_type and p.addr == addr), None)

    def _insert_hardware(self, point: HardwarePoint) -> None:
        if self._find_hardware(point.z_type, point.addr):
            return
        if len(self.hardware) >= self.profile.iac_slots + self.profile.dac_slots:
            # set_guest_debug reads only that many bp[] entries; QEMU refuses the rest (ENOBUFS)
            raise SlotsExhausted(f"cannot insert {Z_NAMES[point.z_type]} at {point.addr:#x}: "
                                 f"all {len(self.hardware)} hardware slots are in use")
        try:
            compute_debug_regs(self.guest_debug(self.hardware + [point], control=HW_CONTROL), self.profile)
        except GuestDebugError as exc:
            raise SlotsExhausted(f"cannot insert {Z_NAMES[point.z_type]} at {point.addr:#x}: {exc}") from None
        self.hardware.append(point)

    def _insert_software(self, addr: int) -> None:
        if addr & (WORD - 1):
            raise InvalidPoint(f"software breakpoint at {addr:#x} is not word aligned")
        if addr in self.software:
            return
        original = self.cpu.read_memory(addr, WORD)
        self.cpu.write_memory(addr, self.profile.debug_instruction.to_bytes(WORD, "big"))
        self.software[addr] = original

    def _remove_software(self, addr: int) -> None:
        original = self.software.pop(addr, None)
        if original is None:
            raise NoSuchPoint(f"no software breakpoint at {addr:#x}")
        if self.cpu.read_memory(addr, WORD) == self.profile.debug_instruction.to_bytes(WORD, "big"):
            self.cpu.write_memory(addr, original)

    # --- what the debug facility is asked to do ------------------------------------------------
    def guest_debug(self, hardware: list[HardwarePoint] | None = None, *, control: int) -> GuestDebug:
        """A ``GuestDebug`` with ``control`` and the hardware points in insertion order."""
        points = self.hardware if hardware is None else hardware
        if len(points) > KVM_GUESTDBG_BP_COUNT:
            raise GuestDebugError("more points than kvm_guest_debug_arch.bp[] holds")
        dbg = GuestDebug(control=control)
        for slot, point in enumerate(points):
            dbg.bp[slot] = BreakpointSpec(point.addr, point.kvm_type)
        return dbg

    # --- guest memory with software breakpoints hidden ---------------------------------------
    def _overlapping(self, addr: int, length: int):
        return [(bp, orig) for bp, orig in self.software.items() if bp < addr + length and addr < bp + WORD]

    def read_memory(self, addr: int, length: int) -> bytes:
        """Guest memory as gdb should see it: original words under software breakpoints."""
        raw = self.cpu.read_memory(addr, length)
        overlapping = self.software and self._overlapping(addr, length)
        if not overlapping:
            return raw
        data = bytearray(raw)
        for bp, original in overlapping:
            for i in range(max(bp, addr), min(bp + WORD, addr + length)):
                data[i - addr] = original[i - bp]
        return bytes(data)

    def write_memory(self, addr: int, data: bytes) -> None:
        """Write guest memory; under a software breakpoint the saved word takes the new bytes
        and the breakpoint stays in place."""
        data = bytearray(data)
        trap = self.profile.debug_instruction.to_bytes(WORD, "big")
        for bp, original in self._overlapping(addr, len(data)):
            saved = bytearray(original)
            for i in range(max(bp, addr), min(bp + WORD, addr + len(data))):
                saved[i - bp] = data[i - addr]
                data[i - addr] = trap[i - bp]
            self.software[bp] = bytes(saved)
        self.cpu.write_memory(addr, bytes(data))
