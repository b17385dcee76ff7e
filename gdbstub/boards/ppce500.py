"""QEMU 7.2's ``-M ppce500`` board with an e500mc core, and its ``-kernel`` boot protocol.

RAM at physical 0 (128 MiB unless told), the 1 MiB CCSR window at 0xF_E000_0000 holding the
16550 UART (+0x4500, on MPIC source 42; QEMU's default, one serial port), the PCI host (+0x8000), the
MPIC (+0x40000, its output driving the core's external input, its acknowledge cycle the core's
EPR source) and GUTS (+0xE0000, whose reset request halts the machine: gdb sees the guest exit).
The core has the BookE MMU and timers enabled.

Guest time is the instruction count: the time base advances one tick per instruction and the
device tree states :data:`TIMEBASE_FREQUENCY`, roughly the instructions per second this vCPU
runs U-Boot at, so that a guest second (U-Boot's boot delay, say) takes about a wall second.

:meth:`Ppce500Board.boot` is QEMU's ``-kernel`` protocol: PT_LOAD segments at their physical
addresses, the entry moved to physical when the image is linked elsewhere, the device tree
(generated, or the ``dtb`` given) 24 MiB past the image's end rounded down to 1 MiB (QEMU's
``DTC_LOAD_PAD``/``DTC_PAD_MASK``: U-Boot at 0xF00000 finds it at 0x2700000), an initrd 32 MiB
past max(32 MiB, image end) rounded down to 16 MiB, the ePAPR register state and TLB1[0]
mapping the first 64 MiB. The generated tree's /chosen names the image as QEMU's does
(``qemu,boot-kernel``: its lowest address and loaded size), and the initrd.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import e500mc
from ..devices import ccsr
from ..devices.ccsr import Ccsr
from ..devices.guts import GUTS_SIZE, Guts
from ..devices.irq import IrqLine
from ..devices.mpic import Mpic
from ..devices.ns16550 import Ns16550
from ..devices.pci import PciHost
from ..vcpu.cpu import Cpu, SavedCpu
from ..vcpu.elf import ElfLoadError, LoadedElf, load_elf
from ..vcpu.memory import BusError, Memory

MIB = 1 << 20
DEFAULT_RAM_SIZE = 128 * MIB
MIN_RAM_SIZE = 64 * MIB        # the boot mapping covers 64 MiB; the device tree lives in it
MAX_RAM_SIZE = 2048 * MIB

TIMEBASE_FREQUENCY = 1_000_000   # ticks (= instructions) per guest second: ~ this vCPU's U-Boot speed
CLOCK_FREQUENCY = 400_000_000     # QEMU's core clock; U-Boot only prints it
TICKS_PER_INSTRUCTION = 1

UART_IRQ = 42
BOOT_MAPPING_SIZE = 64 * MIB
INITIAL_STACK = 0x00FFFFF8
EPAPR_MAGIC = 0x45504150

DTB_PAD = 0x1800000          # QEMU's DTC_LOAD_PAD and DTC_PAD_MASK
DTB_ALIGN_MASK = 0xFFFFF
INITRD_PAD = 0x2000000       # QEMU's INITRD_LOAD_PAD and INITRD_PAD_MASK
INITRD_ALIGN_MASK = 0xFFFFFF
BLOBS_ABOVE = 32 * MIB       # QEMU loads blobs above the 32 MiB U-Boot may occupy


@dataclass(frozen=True)
class Options:
    """What ``gdbstub serve --machine ppce500`` lets a user choose."""
    ram_size: int = DEFAULT_RAM_SIZE
    dtb: bytes | None = None        # use this device tree instead of the generated one
    bootargs: str = ""
    initrd: bytes | None = None

    def description(self, initrd_span: tuple[int, int] | None = None,
                    boot_kernel: tuple[int, int] | None = None):
        """The :class:`~.devicetree.MachineDescription` the generated device tree is built from."""
        from .devicetree import MachineDescription   # libfdt: only a booting ppce500 needs it
        return MachineDescription(ram_size=self.ram_size, timebase_frequency=TIMEBASE_FREQUENCY,
                                  clock_frequency=CLOCK_FREQUENCY, uart_offsets=(ccsr.UART0_OFFSET,),
                                  uart_irq=UART_IRQ, bootargs=self.bootargs, initrd=initrd_span,
                                  boot_kernel=boot_kernel)


@dataclass(frozen=True)
class SavedPpce500:
    """The whole machine: the vCPU (with its TLBs and timers) and the bus (RAM, every device)."""
    cpu: SavedCpu
    memory: tuple


@dataclass
class BootInfo:
    """Where :meth:`Ppce500Board.boot` put things, for the monitor and the tests."""
    dtb_address: int
    dtb_size: int
    initrd: tuple[int, int] | None


class Ppce500Board:
    registers = e500mc.WITH_MMU

    def __init__(self, options: Options, uart_output: Callable[[bytes], None], iac_slots: int):
        if not MIN_RAM_SIZE <= options.ram_size <= MAX_RAM_SIZE:
            raise ValueError(f"ppce500 RAM must be {MIN_RAM_SIZE >> 20}..{MAX_RAM_SIZE >> 20} MiB, "
                             f"not {options.ram_size >> 20} MiB")
        self.options = options
        self.memory = Memory(options.ram_size)
        self.cpu = Cpu(self.memory, iac_slots=iac_slots, booke_mmu=True,
                       ticks_per_instruction=TICKS_PER_INSTRUCTION)
        self.mpic = Mpic(self.cpu.external_input)
        self.cpu.interrupt_acknowledge = self._acknowledge
        uart_line = IrqLine("uart0")
        uart_line.connect(lambda level: self.mpic.irq_in(UART_IRQ, level))
        self.uart = Ns16550(uart_output, uart_line)
        self.guts = Guts(on_reset_request=self.cpu.request_halt)
        self.pci = PciHost()
        self.ccsr = Ccsr([(ccsr.UART0_OFFSET, Ns16550.size, self.uart),
                          (ccsr.PCI_OFFSET, PciHost.size, self.pci),
                          (ccsr.MPIC_OFFSET, Mpic.size, self.mpic),
                          (ccsr.GUTS_OFFSET, GUTS_SIZE, self.guts)])
        self.memory.map_device(ccsr.BASE, ccsr.SIZE, self.ccsr)
        self.boot_info: BootInfo | None = None

    @property
    def console(self) -> Ns16550:
        """The UART the device tree names as stdout (typed input goes here)."""
        return self.uart

    def _acknowledge(self) -> int | None:
        """The vector the core latches into EPR as it takes an external input, in proxy mode."""
        return self.mpic.acknowledge() if self.mpic.external_proxy else None

    # --- boot -------------------------------------------------------------------------------
    def boot(self, image: str | Path) -> LoadedElf:
        """Load ``image`` and set the core up as QEMU's ``-kernel`` does (ElfLoadError if it
        does not fit)."""
        elf = load_elf(image, self.cpu)
        if not elf.segments:
            raise ElfLoadError(f"{image}: no PT_LOAD segment")
        low = min(segment.address for segment in elf.segments)
        image_end = low + sum(segment.memsz for segment in elf.segments)   # as QEMU's load_elf counts
        initrd_span = None
        if self.options.initrd is not None:
            start = (max(image_end, BLOBS_ABOVE) + INITRD_PAD) & ~INITRD_ALIGN_MASK
            initrd_span = (start, start + len(self.options.initrd))
            self._place(image, "initrd", start, self.options.initrd, self.options.ram_size)
        if self.options.dtb is not None:
            dtb = self.options.dtb
        else:
            from .devicetree import build_dtb
            dtb = build_dtb(self.options.description(initrd_span, (low, image_end - low)))
        dtb_address = (image_end + DTB_PAD) & ~DTB_ALIGN_MASK
        self._place(image, "device tree", dtb_address, dtb, BOOT_MAPPING_SIZE)
        self.boot_info = BootInfo(dtb_address, len(dtb), initrd_span)
        cpu = self.cpu
        cpu.pc = _physical_entry(elf.segments, elf.entry)
        cpu.msr = 0
        cpu.gpr[:10] = [0, INITIAL_STACK, 0, dtb_address, 0, 0, EPAPR_MAGIC, BOOT_MAPPING_SIZE, 0, 0]
        cpu.tlb.install_boot_mapping(BOOT_MAPPING_SIZE)
        cpu.mapping_changed()
        return elf

    def _place(self, image: str | Path, what: str, address: int, data: bytes, limit: int) -> None:
        """Copy ``data`` to ``address``; it must end below ``limit`` (the device tree inside the
        boot mapping, where the guest can read it before it sets up its own)."""
        if address + len(data) > limit:
            raise ElfLoadError(f"{image}: the {what} ({len(data)} bytes at {address:#x}) does not fit "
                               f"below {limit >> 20} MiB")
        try:
            self.cpu.write_physical(address, data)
        except BusError as exc:
            raise ElfLoadError(f"{image}: cannot place the {what} at {address:#x}: {exc}") from None

    # --- snapshots --------------------------------------------------------------------------
    def save(self) -> SavedPpce500:
        return SavedPpce500(self.cpu.save(), self.memory.save())

    def restore(self, saved: SavedPpce500) -> None:
        self.memory.restore(saved.memory)
        self.cpu.restore(saved.cpu)


def _physical_entry(segments, entry: int) -> int:
    """``entry`` moved from the segment's virtual to its physical address (a vmlinux linked at
    0xc0000000 and loaded at 0 starts at 0); unchanged when no segment holds it."""
    for segment in segments:
        if segment.virtual <= entry < segment.virtual + segment.memsz:
            return entry - segment.virtual + segment.address
    return entry


def build(options: Options = Options(), *, uart_output: Callable[[bytes], None] | None = None,
          iac_slots: int = 2) -> Ppce500Board:
    """A fresh ppce500 board; the console UART's output bytes go to ``uart_output``."""
    return Ppce500Board(options, uart_output or (lambda data: None), iac_slots)
