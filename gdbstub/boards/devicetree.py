"""The ppce500 device tree, generated from a description of the machine with libfdt.

The tree is QEMU 7.2's ``-M ppce500`` tree, node for node, property for property and in the
same order (QEMU's libfdt calls prepend, so its blob lists them in reverse order of creation;
phandles are QEMU's too): the empty platform bus, the PCI host, the CCSR ``soc`` bus with the
GPIO power-off, the MPIC's MSI block, GUTS, I2C with its RTC, the 16550 UARTs and the MPIC, then
aliases, cpus, chosen and memory. Only ``rng-seed`` is left out: it would make runs differ.
The nodes of devices this machine does not model (GPIO, I2C and the RTC) stay, their registers
reading zero: U-Boot binds a driver to every node it knows, and each one fewer than on QEMU
would make it run tens of thousands of instructions fewer before its first line of output.

Built with libfdt's sequential writer (the ``pylibfdt`` package), never by packing bytes here.
The blob is QEMU's size, 1 MiB, the rest free space: U-Boot copies the whole blob as it
relocates itself and edits the tree in place, so a packed blob would make it run some 300,000
instructions fewer than on QEMU before its first line of output.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import libfdt

MIB = 1 << 20
TREE_SIZE = 1 * MIB      # QEMU's FDT_MAX_SIZE: the blob's totalsize, free space included

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
IRQ_EDGE_FALLING = 0

MPIC_PHANDLE, MSI_PHANDLE, GPIO_PHANDLE = 0x8003, 0x8004, 0x8005   # as QEMU allocates them

PLATFORM_BUS_BASE = 0xF_0000_0000
PLATFORM_BUS_SIZE = 128 * MIB
MSI_OFFSET, MSI_SIZE, MSI_IRQS = 0x41600, 0x200, range(0xE0, 0xE8)
GPIO_OFFSET, GPIO_IRQ = 0xFF000, 47
I2C_OFFSET, I2C_SIZE, I2C_IRQ = 0x3000, 0x14, 43
RTC_ADDRESS = 0x68


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
        fdt.resize(TREE_SIZE)
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
        w.prop("#size-cells", 2)
        w.prop("#address-cells", 2)
        _platform(w)
        _pci(w, machine)
        _soc(w, machine)
        _aliases(w, machine)
        _cpus(w, machine)
        _chosen(w, machine)
        with w.node("memory"):
            w.prop("reg", (0, 0, *_split(machine.ram_size)))
            w.prop("device_type", "memory")
    return w.finish()


def _platform(w: _Writer) -> None:
    """QEMU's dynamic sysbus (for -device eTSEC and the like): here always empty."""
    with w.node(f"platform@{PLATFORM_BUS_BASE:x}"):
        w.prop("interrupt-parent", MPIC_PHANDLE)
        w.prop("ranges", (0, *_split(PLATFORM_BUS_BASE), PLATFORM_BUS_SIZE))
        w.prop("#address-cells", 1)
        w.prop("#size-cells", 1)
        w.prop("compatible", b"qemu,platform\0simple-bus\0")


def _pci(w: _Writer, machine: MachineDescription) -> None:
    with w.node(machine.pci_path[1:]):
        w.prop("#address-cells", 3)
        w.prop("#size-cells", 2)
        w.prop("#interrupt-cells", 1)
        w.prop("clock-frequency", PCI_CLOCK_FREQUENCY)
        w.prop("reg", (*_split(machine.ccsr_base + machine.pci_offset), 0, 0x1000))
        w.prop("ranges", (0x2000000, 0, PCI_MMIO_BUS_BASE, *_split(PCI_MMIO_CPU_BASE),
                          *_split(PCI_MMIO_SIZE),
                          0x1000000, 0, 0, *_split(PCI_IO_CPU_BASE), *_split(PCI_IO_SIZE)))
        w.prop("fsl,msi", MSI_PHANDLE)
        w.prop("bus-range", (0, 255))
        w.prop("interrupts", (PCI_IRQ, IRQ_LEVEL_HIGH))
        w.prop("interrupt-parent", MPIC_PHANDLE)
        w.prop("interrupt-map", pci_interrupt_map(MPIC_PHANDLE))
        w.prop("interrupt-map-mask", (0xF800, 0, 0, 7))
        w.prop("device_type", "pci")
        w.prop("compatible", "fsl,mpc8540-pci")
        w.prop("cell-index", 0)


def _soc(w: _Writer, machine: MachineDescription) -> None:
    with w.node(machine.soc_path[1:]):
        w.prop("bus-frequency", 0)
        w.prop("ranges", (0, *_split(machine.ccsr_base), machine.ccsr_size))
        w.prop("#size-cells", 1)
        w.prop("#address-cells", 1)
        w.prop("compatible", b"fsl,mpc8544-immr\0simple-bus\0")
        w.prop("device_type", "soc")
        with w.node("power-off"):
            w.prop("gpios", (GPIO_PHANDLE, 0, 0))
            w.prop("compatible", "gpio-poweroff")
        with w.node(f"gpio@{GPIO_OFFSET:x}"):
            _phandle(w, GPIO_PHANDLE)
            w.prop("gpio-controller")
            w.prop("#gpio-cells", 2)
            _interrupt(w, GPIO_IRQ)
            w.prop("reg", (GPIO_OFFSET, 0x1000))
            w.prop("compatible", "fsl,qoriq-gpio")
        with w.node(f"msi@{MSI_OFFSET:x}"):
            _phandle(w, MSI_PHANDLE)
            w.prop("interrupts", tuple(cell for irq in MSI_IRQS for cell in (irq, IRQ_EDGE_FALLING)))
            w.prop("interrupt-parent", MPIC_PHANDLE)
            w.prop("msi-available-ranges", (0, 0x100))
            w.prop("reg", (MSI_OFFSET, MSI_SIZE))
            w.prop("compatible", "fsl,mpic-msi")
        with w.node(f"global-utilities@{machine.guts_offset:x}"):
            w.prop("fsl,has-rstcr")
            w.prop("reg", (machine.guts_offset, 0x1000))
            w.prop("compatible", "fsl,mpc8544-guts")
        with w.node(f"i2c@{I2C_OFFSET:x}"):
            _interrupt(w, I2C_IRQ)
            w.prop("cell-index", 0)
            w.prop("reg", (I2C_OFFSET, I2C_SIZE))
            w.prop("compatible", "fsl-i2c")
            w.prop("device_type", "i2c")
            with w.node(f"rtc@{RTC_ADDRESS:x}"):
                w.prop("reg", RTC_ADDRESS)
                w.prop("compatible", "pericom,pt7c4338")
        for index, offset in enumerate(machine.uart_offsets):
            with w.node(f"serial@{offset:x}"):
                w.prop("interrupt-parent", MPIC_PHANDLE)
                w.prop("interrupts", (machine.uart_irq, IRQ_LEVEL_HIGH))
                w.prop("clock-frequency", machine.uart_clock_frequency)
                w.prop("cell-index", index)
                w.prop("reg", (offset, 0x100))
                w.prop("compatible", "ns16550")
                w.prop("device_type", "serial")
        with w.node(f"pic@{machine.mpic_offset:x}"):
            w.prop("interrupt-controller")
            _phandle(w, MPIC_PHANDLE)
            w.prop("#interrupt-cells", 2)
            w.prop("#address-cells", 0)
            w.prop("reg", (machine.mpic_offset, machine.mpic_size))
            w.prop("compatible", "fsl,mpic")
            w.prop("device_type", "open-pic")


def _phandle(w: _Writer, phandle: int) -> None:
    w.prop("linux,phandle", phandle)
    w.prop("phandle", phandle)


def _interrupt(w: _Writer, irq: int) -> None:
    w.prop("interrupt-parent", MPIC_PHANDLE)
    w.prop("interrupts", (irq, IRQ_LEVEL_HIGH))


def _aliases(w: _Writer, machine: MachineDescription) -> None:
    with w.node("aliases"):
        w.prop("pci0", machine.pci_path)
        w.prop("rtc", f"i2c/rtc@{RTC_ADDRESS:x}")     # sic: QEMU's alias is relative
        w.prop("i2c", f"{machine.soc_path}/i2c@{I2C_OFFSET:x}")
        for index, offset in enumerate(machine.uart_offsets):
            w.prop(f"serial{index}", f"{machine.soc_path}/serial@{offset:x}")


def _cpus(w: _Writer, machine: MachineDescription) -> None:
    with w.node("cpus"):
        w.prop("#size-cells", 0)
        w.prop("#address-cells", 1)
        with w.node(f"{CPU_NAME}@0"):
            w.prop("status", "okay")
            w.prop("bus-frequency", 0)
            w.prop("i-cache-size", CACHE_SIZE)
            w.prop("d-cache-size", CACHE_SIZE)
            w.prop("i-cache-line-size", CACHE_LINE_SIZE)
            w.prop("d-cache-line-size", CACHE_LINE_SIZE)
            w.prop("reg", 0)
            w.prop("device_type", "cpu")
            w.prop("timebase-frequency", machine.timebase_frequency)
            w.prop("clock-frequency", machine.clock_frequency)


def _chosen(w: _Writer, machine: MachineDescription) -> None:
    with w.node("chosen"):
        w.prop("stdout-path", machine.stdout_path)
        w.prop("linux,stdout-path", machine.stdout_path)
        w.prop("bootargs", machine.bootargs)
        if machine.boot_kernel is not None:
            address, size = machine.boot_kernel
            w.prop("qemu,boot-kernel", (*_split(address), *_split(size)))
        if machine.initrd is not None:
            start, end = machine.initrd
            w.prop("linux,initrd-end", end)
            w.prop("linux,initrd-start", start)
