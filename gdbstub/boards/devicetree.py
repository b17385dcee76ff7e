"""The ppce500 device tree, generated from a description of the machine with libfdt.

The tree has the nodes of QEMU 7.2's ``-M ppce500`` tree for what this machine models — cpus,
memory, the CCSR ``soc`` bus with its 16550 UARTs, MPIC and GUTS, the PCI host, aliases and
chosen — with the same compatible strings, reg/ranges, interrupts and cell sizes, so U-Boot
and Linux find the same hardware in both. QEMU's nodes for devices this machine lacks (the
platform bus, MSI, I2C and its RTC, GPIO power-off) are left out, and so is ``rng-seed``, which
would make runs differ.

Built with libfdt's sequential writer (the ``pylibfdt`` package), never by packing bytes here.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import libfdt

MIB = 1 << 20

CPU_NAME = "PowerPC,8544"
CACHE_SIZE = 0x8000
CACHE_LINE_SIZE = 64

PCI_CLOCK_FREQUENCY = 66666666
PCI_IRQ = 24
PCI_MMIO_CPU_BASE = 0xC_0000_0000
PCI_MMIO_BUS_BASE = 0xE000_0000
PCI_MMIO_SIZE = 0x2000_0000
PCI_IO_CPU_BASE = 0xF_E100_0000
PCI_IO_SIZE = 0x10000
PCI_FIRST_SLOT = 1
PCI_SLOTS = 31
PCI_SLOT_IRQS = 4   # MPIC sources 1..4 take INTA..INTD, rotated by slot

IRQ_LEVEL_HIGH = 2   # MPIC interrupt specifier sense: level, active high
IRQ_LEVEL_LOW = 1

MPIC_PHANDLE = 1


@dataclass(frozen=True)
class MachineDescription:
    """What the tree describes; addresses are physical, UART offsets inside the CCSR."""

    ram_size: int = 128 * MIB
    timebase_frequency: int = 400_000_000
    clock_frequency: int = 400_000_000
    ccsr_base: int = 0xF_E000_0000
    ccsr_size: int = 1 * MIB
    uart_offsets: tuple[int, ...] = (0x4500,)
    uart_irq: int = 42
    uart_clock_frequency: int = 400_000_000
    mpic_offset: int = 0x40000
    mpic_size: int = 0x40000
    guts_offset: int = 0xE0000
    pci_offset: int = 0x8000
    bootargs: str = ""
    initrd: tuple[int, int] | None = None        # physical start, end
    boot_kernel: tuple[int, int] | None = None   # QEMU's qemu,boot-kernel: address, size

    @property
    def soc_path(self) -> str:
        return f"/soc@{self.ccsr_base:x}"

    @property
    def stdout_path(self) -> str:
        return f"{self.soc_path}/serial@{self.uart_offsets[0]:x}"

    @property
    def pci_path(self) -> str:
        return f"/pci@{self.ccsr_base + self.pci_offset:x}"


def _cells(*values: int) -> bytes:
    return struct.pack(f">{len(values)}I", *values)


def _split(value: int) -> tuple[int, int]:
    """A 64-bit value as two cells."""
    return value >> 32, value & 0xFFFFFFFF


class _Writer:
    """libfdt's sequential writer with the growth it needs and a node context manager."""

    def __init__(self):
        self.sw = libfdt.FdtSw()
        self.sw.finish_reservemap()

    def node(self, name: str) -> "_Node":
        return _Node(self.sw, name)

    def prop(self, name: str, value: bytes | str | int | tuple[int, ...] | None = None) -> None:
        if value is None:
            self.sw.property(name, b"")
        elif isinstance(value, str):
            self.sw.property_string(name, value)
        elif isinstance(value, int):
            self.sw.property_u32(name, value)
        elif isinstance(value, tuple):
            self.sw.property(name, _cells(*value))
        else:
            self.sw.property(name, value)

    def finish(self) -> bytes:
        fdt = self.sw.as_fdt()
        fdt.pack()
        return bytes(fdt.as_bytearray())


class _Node:
    def __init__(self, sw: libfdt.FdtSw, name: str):
        self.sw, self.name = sw, name

    def __enter__(self) -> None:
        self.sw.begin_node(self.name)

    def __exit__(self, *exc: object) -> None:
        self.sw.end_node()


def pci_interrupt_map(mpic_phandle: int) -> tuple[int, ...]:
    """INTA..INTD of every slot to MPIC sources 1..4, rotated by slot as on QEMU's board."""
    entries: list[int] = []
    for slot in range(PCI_FIRST_SLOT, PCI_FIRST_SLOT + PCI_SLOTS):
        for pin in range(4):
            source = (slot + pin) % PCI_SLOT_IRQS + 1
            entries += [slot << 11, 0, 0, pin + 1, mpic_phandle, source, IRQ_LEVEL_LOW]
    return tuple(entries)


def build_dtb(machine: MachineDescription) -> bytes:
    """The flattened device tree blob for ``machine``."""
    if not machine.uart_offsets:
        raise ValueError("the machine needs a UART for its console")
    w = _Writer()
    with w.node(""):
        w.prop("compatible", "fsl,qemu-e500")
        w.prop("model", "QEMU ppce500")
        w.prop("#address-cells", 2)
        w.prop("#size-cells", 2)
        _chosen(w, machine)
        _aliases(w, machine)
        with w.node("memory"):
            w.prop("device_type", "memory")
            w.prop("reg", (0, 0, *_split(machine.ram_size)))
        _cpus(w, machine)
        _soc(w, machine)
        _pci(w, machine)
    return w.finish()


def _chosen(w: _Writer, machine: MachineDescription) -> None:
    with w.node("chosen"):
        w.prop("bootargs", machine.bootargs)
        w.prop("stdout-path", machine.stdout_path)
        w.prop("linux,stdout-path", machine.stdout_path)
        if machine.initrd is not None:
            start, end = machine.initrd
            w.prop("linux,initrd-start", start)
            w.prop("linux,initrd-end", end)
        if machine.boot_kernel is not None:
            address, size = machine.boot_kernel
            w.prop("qemu,boot-kernel", (*_split(address), *_split(size)))


def _aliases(w: _Writer, machine: MachineDescription) -> None:
    with w.node("aliases"):
        for index, offset in enumerate(machine.uart_offsets):
            w.prop(f"serial{index}", f"{machine.soc_path}/serial@{offset:x}")
        w.prop("pci0", machine.pci_path)


def _cpus(w: _Writer, machine: MachineDescription) -> None:
    with w.node("cpus"):
        w.prop("#address-cells", 1)
        w.prop("#size-cells", 0)
        with w.node(f"{CPU_NAME}@0"):
            w.prop("device_type", "cpu")
            w.prop("reg", 0)
            w.prop("clock-frequency", machine.clock_frequency)
            w.prop("timebase-frequency", machine.timebase_frequency)
            w.prop("d-cache-line-size", CACHE_LINE_SIZE)
            w.prop("i-cache-line-size", CACHE_LINE_SIZE)
            w.prop("d-cache-size", CACHE_SIZE)
            w.prop("i-cache-size", CACHE_SIZE)
            w.prop("bus-frequency", 0)
            w.prop("status", "okay")


def _soc(w: _Writer, machine: MachineDescription) -> None:
    with w.node(machine.soc_path[1:]):
        w.prop("device_type", "soc")
        w.prop("compatible", b"fsl,mpc8544-immr\0simple-bus\0")
        w.prop("#address-cells", 1)
        w.prop("#size-cells", 1)
        w.prop("ranges", (0, *_split(machine.ccsr_base), machine.ccsr_size))
        w.prop("bus-frequency", 0)
        with w.node(f"pic@{machine.mpic_offset:x}"):
            w.prop("device_type", "open-pic")
            w.prop("compatible", "fsl,mpic")
            w.prop("reg", (machine.mpic_offset, machine.mpic_size))
            w.prop("#address-cells", 0)
            w.prop("#interrupt-cells", 2)
            w.prop("interrupt-controller")
            w.prop("phandle", MPIC_PHANDLE)
            w.prop("linux,phandle", MPIC_PHANDLE)
        for index, offset in enumerate(machine.uart_offsets):
            with w.node(f"serial@{offset:x}"):
                w.prop("device_type", "serial")
                w.prop("compatible", "ns16550")
                w.prop("reg", (offset, 0x100))
                w.prop("cell-index", index)
                w.prop("clock-frequency", machine.uart_clock_frequency)
                w.prop("interrupts", (machine.uart_irq, IRQ_LEVEL_HIGH))
                w.prop("interrupt-parent", MPIC_PHANDLE)
        with w.node(f"global-utilities@{machine.guts_offset:x}"):
            w.prop("compatible", "fsl,mpc8544-guts")
            w.prop("reg", (machine.guts_offset, 0x1000))
            w.prop("fsl,has-rstcr")


def _pci(w: _Writer, machine: MachineDescription) -> None:
    with w.node(machine.pci_path[1:]):
        w.prop("compatible", "fsl,mpc8540-pci")
        w.prop("device_type", "pci")
        w.prop("cell-index", 0)
        w.prop("reg", (*_split(machine.ccsr_base + machine.pci_offset), 0, 0x1000))
        w.prop("#address-cells", 3)
        w.prop("#size-cells", 2)
        w.prop("#interrupt-cells", 1)
        w.prop("interrupt-parent", MPIC_PHANDLE)
        w.prop("interrupts", (PCI_IRQ, IRQ_LEVEL_HIGH))
        w.prop("interrupt-map-mask", (0xF800, 0, 0, 7))
        w.prop("interrupt-map", pci_interrupt_map(MPIC_PHANDLE))
        w.prop("bus-range", (0, 255))
        w.prop("clock-frequency", PCI_CLOCK_FREQUENCY)
        w.prop("ranges", (0x2000000, 0, PCI_MMIO_BUS_BASE, *_split(PCI_MMIO_CPU_BASE),
                          *_split(PCI_MMIO_SIZE),
                          0x1000000, 0, 0, *_split(PCI_IO_CPU_BASE), *_split(PCI_IO_SIZE)))
