"""Where QEMU 7.2's ``-M ppce500 -kernel IMAGE -initrd FILE -append ARGS`` puts the device tree
and the initrd, and what its /chosen says, against our board booting the same image.

QEMU is stopped at the entry: r3 is the tree's address, and the tree read from its memory there
is the blob ``-machine dumpdtb=FILE`` writes. Facts from QEMU's ``hw/ppc/e500.c``: the initrd goes
``INITRD_LOAD_PAD`` (32 MiB) past max(32 MiB, image end), aligned down to 16 MiB; the tree
``DTC_LOAD_PAD`` (24 MiB) past the image end, aligned down to 1 MiB; /chosen holds
linux,initrd-start/-end (end = start + size) and qemu,boot-kernel (the image's lowest address and
loaded size).
"""
from __future__ import annotations

import subprocess

import libfdt
import pytest

from gdbstub.boards import ppce500
from gdbstub.difftest import PPCE500, QemuTarget
from gdbstub.guests.build import cross_prefix

MIB = 1 << 20

# A kernel linked at 0xc0000000 and loaded at 0 whose bss takes it to ~2.5 MiB, as a vmlinux.
KERNEL_S = ".globl _start\n_start: b _start\n.section .bss\n.space 0x280000\n"
KERNEL_LD = ("ENTRY(_start)\nSECTIONS { . = 0xc0000000; .text : AT(0) { *(.text) } "
             ".bss : { *(.bss) } /DISCARD/ : { *(.note*) } }\n")


@pytest.fixture(scope="module")
def vmlinux(difftest_tools, tmp_path_factory):
    work = tmp_path_factory.mktemp("vmlinux")
    (work / "k.S").write_text(KERNEL_S)
    (work / "k.ld").write_text(KERNEL_LD)
    subprocess.run([cross_prefix() + "gcc", "-nostdlib", "-static", "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
                    "-T", work / "k.ld", work / "k.S", "-o", work / "k.elf"], check=True)
    return work / "k.elf"


def _chosen(blob: bytes) -> dict[str, bytes]:
    fdt = libfdt.Fdt(blob)
    chosen, props = fdt.path_offset("/chosen"), {}
    offset = fdt.first_property_offset(chosen, libfdt.QUIET_NOTFOUND)
    while offset >= 0:
        prop = fdt.get_property_by_offset(offset)
        props[prop.name] = bytes(prop)
        offset = fdt.next_property_offset(offset, libfdt.QUIET_NOTFOUND)
    return props


@pytest.mark.parametrize(("image_name", "ram_mib", "initrd_size"), [
    ("uboot", 128, 1000),
    ("uboot", 256, 5 * MIB + 3),
    ("vmlinux", 128, 3 * MIB),
    ("vmlinux", 128, None),
])
def test_initrd_and_tree_go_where_qemu_puts_them(request, tmp_path, image_name, ram_mib, initrd_size):
    image = request.getfixturevalue(image_name)
    bootargs = "console=ttyS0 root=/dev/ram0"
    initrd = None if initrd_size is None else bytes((n * 7 + 1) & 0xFF for n in range(initrd_size))
    args = [*PPCE500, "-serial", "null", "-m", str(ram_mib), "-append", bootargs]
    if initrd is not None:
        (tmp_path / "initrd").write_bytes(initrd)
        args += ["-initrd", str(tmp_path / "initrd")]
    with QemuTarget(image, machine=tuple(args)) as qemu:
        dtb_address = qemu.core_registers()["r3"]
        size = int.from_bytes(qemu.read_memory(dtb_address + 4, 4), "big")
        qemu_chosen = _chosen(qemu.read_memory(dtb_address, size))
        qemu_initrd = None
        if initrd is not None:
            start = int.from_bytes(qemu_chosen["linux,initrd-start"], "big")
            qemu_initrd = qemu.read_physical(start, 64) + qemu.read_physical(start + len(initrd) - 64, 64)

    board = ppce500.build(ppce500.Options(ram_size=ram_mib * MIB, bootargs=bootargs, initrd=initrd))
    board.boot(image)
    info = board.boot_info
    assert board.cpu.gpr[3] == info.dtb_address == dtb_address
    ours = _chosen(board.memory.read_bytes(info.dtb_address, info.dtb_size))
    assert ours == {name: value for name, value in qemu_chosen.items() if name != "rng-seed"}
    if initrd is not None:
        start, end = info.initrd
        assert end - start == len(initrd)
        assert board.memory.read_bytes(start, 64) + board.memory.read_bytes(end - 64, 64) == qemu_initrd
        assert qemu_initrd == initrd[:64] + initrd[-64:]
