"""The ppce500 board: QEMU 7.2's -kernel boot state (r3 measured with QEMU's monitor
``info registers`` for Debian's U-Boot), its device tree, the CCSR devices and snapshots."""
from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import libfdt
import pytest

from gdbstub.boards import ppce500
from gdbstub.boards.devicetree import build_dtb
from gdbstub.devices import ccsr
from gdbstub.machine import Machine
from gdbstub.target import MonitorError
from gdbstub.vcpu.elf import ElfLoadError

UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
UART0 = ccsr.BASE + ccsr.UART0_OFFSET
GUTS_RSTCR = ccsr.BASE + ccsr.GUTS_OFFSET + 0xB0


def _machine(image=UBOOT, **options) -> Machine:
    return Machine(image, board=functools.partial(ppce500.build, ppce500.Options(**options)),
                   uart_output=bytearray().extend)


def _tree(machine: Machine) -> libfdt.Fdt:
    info = machine.board.boot_info
    return libfdt.Fdt(machine.memory.read_bytes(info.dtb_address, info.dtb_size))


def test_uboot_starts_in_qemus_boot_state():
    cpu = _machine().cpu
    assert cpu.pc == 0xF00000 and cpu.msr == 0
    assert cpu.gpr[:10] == [0, 0xFFFFF8, 0, 0x2700000, 0, 0, 0x45504150, 0x4000000, 0, 0]
    assert cpu.tlb.describe() == "TLB1[0]: EA 0x00000000 -> RA 0x000000000 64M TID 0 TS 0 S:rwx U:rwx -"


def test_the_device_tree_states_the_machine():
    machine = _machine(ram_size=256 << 20, bootargs="console=ttyS0")
    tree = _tree(machine)
    cpu = tree.path_offset("/cpus/PowerPC,8544@0")
    assert tree.getprop(cpu, "timebase-frequency").as_uint32() == ppce500.TIMEBASE_FREQUENCY
    assert tree.getprop(tree.path_offset("/chosen"), "bootargs").as_str() == "console=ttyS0"
    assert tree.getprop(tree.path_offset("/chosen"), "stdout-path").as_str() == "/soc@fe0000000/serial@4500"
    reg = bytes(tree.getprop(tree.path_offset("/memory"), "reg"))
    assert int.from_bytes(reg[8:], "big") == 256 << 20


def test_an_initrd_goes_where_qemu_puts_it_and_the_tree_says_so():
    machine = _machine(initrd=b"\x5a" * 1000)
    start, end = machine.board.boot_info.initrd
    assert (start, end) == (0x4000000, 0x4000000 + 1000)   # 32 MiB past 32 MiB, 16 MiB aligned
    assert machine.memory.read_bytes(start, 4) == b"\x5a" * 4
    chosen = _tree(machine).path_offset("/chosen")
    assert _tree(machine).getprop(chosen, "linux,initrd-start").as_uint32() == start


def test_a_given_dtb_is_used_as_it_is():
    blob = build_dtb(ppce500.Options(bootargs="mine").description())
    machine = _machine(dtb=blob)
    assert machine.memory.read_bytes(machine.cpu.gpr[3], len(blob)) == blob


def test_an_image_linked_high_starts_at_its_physical_entry(tmp_path):
    gcc = shutil.which("powerpc-linux-gnu-gcc")
    assert gcc, "powerpc-linux-gnu-gcc is installed by scripts/setup.sh"
    (tmp_path / "k.S").write_text(".globl _start\n_start: nop\n b _start\n")
    (tmp_path / "k.ld").write_text("ENTRY(_start)\nSECTIONS { . = 0xc0000000; .text : AT(0x10000) { *(.text) } /DISCARD/ : { *(.note*) } }\n")
    subprocess.run([gcc, "-nostdlib", "-static", "-Wl,--build-id=none", "-T", tmp_path / "k.ld", tmp_path / "k.S", "-o", tmp_path / "k.elf"],
                   check=True)
    machine = _machine(tmp_path / "k.elf")
    assert machine.cpu.pc == 0x10000
    assert machine.memory.read_bytes(0x10000, 4) == bytes.fromhex("60000000")
    assert machine.cpu.gpr[3] == 0x1800000   # (0x10000 + 8 + 24 MiB) rounded down to 1 MiB


def test_the_console_uart_transmits_receives_and_interrupts_through_the_mpic():
    out = bytearray()
    machine = Machine(UBOOT, board=functools.partial(ppce500.build), uart_output=out.extend)
    memory, board = machine.memory, machine.board
    memory.write(UART0, 1, ord("A"))
    assert out == b"A"
    memory.write(UART0 + 1, 1, 0x01)   # IER: receive data available
    machine.type_into_console(b"x")
    machine.run(1)   # typed input reaches the UART as the guest runs
    assert memory.read(UART0 + 5, 1) & 0x01   # LSR[DR]
    assert board.mpic.pending[ppce500.UART_IRQ]
    assert memory.read(UART0, 1) == ord("x")
    assert not board.mpic.pending[ppce500.UART_IRQ]


def test_unmodelled_ccsr_registers_read_zero():
    machine = _machine()
    assert machine.memory.read(ccsr.BASE + 0x5000, 4) == 0
    machine.memory.write(ccsr.BASE + 0x5000, 4, 0x1234)


def test_a_reset_request_halts_the_machine():
    machine = _machine()
    machine.memory.write(GUTS_RSTCR, 4, 2)
    assert machine.cpu.halt_pending


def test_save_and_restore_bring_back_the_whole_board():
    machine = _machine()
    board = machine.board
    saved = board.save()
    machine.memory.write(UART0 + 7, 1, 0x77)                       # UART scratch
    machine.memory.write(ccsr.BASE + ccsr.MPIC_OFFSET + 0x20080, 4, 3)   # CTPR
    machine.cpu.tlb.install_boot_mapping(16 << 20)
    machine.cpu.gpr[5] = 99
    board.restore(saved)
    assert machine.memory.read(UART0 + 7, 1) == 0
    assert board.mpic.ctpr == 15
    assert "64M" in machine.cpu.tlb.describe()
    assert machine.cpu.gpr[5] == 0


def test_monitor_tlb_and_mmu():
    machine = _machine()
    assert machine.monitor("tlb").startswith("TLB1[0]: EA 0x00000000")
    assert "0x00001000 -> RA 0x000001000" in machine.monitor("mmu 0x1000")
    assert "not mapped" in machine.monitor("mmu 0xe0004505")
    with pytest.raises(MonitorError, match="not an address"):
        machine.monitor("mmu nowhere")


def test_the_bare_machine_says_it_has_no_mmu(spin_elf):
    machine = Machine(spin_elf)
    for command in ("tlb", "mmu 0"):
        with pytest.raises(MonitorError, match="this machine has no MMU"):
            machine.monitor(command)


def test_a_device_tree_that_does_not_fit_is_refused():
    with pytest.raises(ElfLoadError, match="device tree"):
        _machine(dtb=bytes(48 << 20))
