"""The generated device tree, node by node against the one QEMU 7.2 generates for ppce500."""
from __future__ import annotations

import subprocess

import libfdt
import pytest

from gdbstub.boards.devicetree import MachineDescription, build_dtb, pci_interrupt_map
from gdbstub.guests.build import build_asm

MIB = 1 << 20

TINY_KERNEL = """
    .globl _start
_start:
    b       _start
"""

# What QEMU's tree has that this machine deliberately lacks (see the module docstring).
ABSENT_PROPERTIES = {
    ("/chosen", "rng-seed"),                 # random each run: runs must repeat
}
PHANDLE_PROPERTIES = {"interrupt-parent", "gpios", "fsl,msi"}
INTERRUPT_MAP_ENTRY = 7   # child unit address (3), child pin (1), parent phandle, parent spec (2)


def read_tree(blob: bytes) -> dict[str, dict[str, bytes]]:
    """Every node's path with its properties, phandle references replaced by target paths."""
    fdt = libfdt.Fdt(blob)
    nodes: dict[str, dict[str, bytes]] = {}
    paths_by_phandle: dict[int, str] = {}

    def visit(offset: int, path: str) -> None:
        props: dict[str, bytes] = {}
        prop_offset = fdt.first_property_offset(offset, libfdt.QUIET_NOTFOUND)
        while prop_offset >= 0:
            prop = fdt.get_property_by_offset(prop_offset)
            props[prop.name] = bytes(prop)
            prop_offset = fdt.next_property_offset(prop_offset, libfdt.QUIET_NOTFOUND)
        if "phandle" in props:
            paths_by_phandle[int.from_bytes(props["phandle"], "big")] = path
        nodes[path] = props
        child = fdt.first_subnode(offset, libfdt.QUIET_NOTFOUND)
        while child >= 0:
            visit(child, f"{path.rstrip('/')}/{fdt.get_name(child)}")
            child = fdt.next_subnode(child, libfdt.QUIET_NOTFOUND)

    visit(0, "/")
    return {path: _resolve(props, paths_by_phandle) for path, props in nodes.items()}


def _resolve(props: dict[str, bytes], paths_by_phandle: dict[int, str]) -> dict[str, object]:
    resolved: dict[str, object] = {}
    for name, value in props.items():
        cells = [int.from_bytes(value[i:i + 4], "big") for i in range(0, len(value) - 3, 4)]
        if name in ("phandle", "linux,phandle"):
            resolved[name] = "<this node>"
        elif name in PHANDLE_PROPERTIES:
            resolved[name] = (paths_by_phandle[cells[0]], *cells[1:])
        elif name == "interrupt-map":
            resolved[name] = tuple(paths_by_phandle[c] if i % INTERRUPT_MAP_ENTRY == 4 else c
                                   for i, c in enumerate(cells))
        else:
            resolved[name] = value
    return resolved


def qemu_tree(tmp_path, *args: str) -> dict[str, dict[str, object]]:
    dtb = tmp_path / "qemu.dtb"
    kernel = build_asm(TINY_KERNEL, name="dtb-kernel")
    subprocess.run(["qemu-system-ppc", "-M", "ppce500", "-cpu", "e500mc", "-kernel", str(kernel),
                    "-display", "none", "-monitor", "none", *args,
                    "-machine", f"dumpdtb={dtb}"],
                   check=True, capture_output=True, timeout=120)
    return read_tree(dtb.read_bytes())


def cells(tree, path, name) -> list[int]:
    value = tree[path][name]
    return [int.from_bytes(value[i:i + 4], "big") for i in range(0, len(value), 4)]


def assert_same_tree(mine: dict, qemu: dict) -> None:
    assert list(mine) == list(qemu)   # in QEMU's order too
    for path in qemu:
        expected = {name: value for name, value in qemu[path].items()
                    if (path, name) not in ABSENT_PROPERTIES}
        assert mine[path] == expected, path


@pytest.mark.parametrize("serials, uarts", [
    (["-serial", "null"], (0x4500,)),
    (["-serial", "null", "-serial", "null"], (0x4500, 0x4600)),
])
def test_tree_matches_qemu_node_by_node(tmp_path, serials, uarts):
    initrd = tmp_path / "initrd"
    initrd.write_bytes(bytes(3000))
    qemu = qemu_tree(tmp_path, "-m", "256", "-append", "console=ttyS0 quiet",
                     "-initrd", str(initrd), *serials)
    boot_kernel = cells(qemu, "/chosen", "qemu,boot-kernel")
    machine = MachineDescription(
        ram_size=256 * MIB, uart_offsets=uarts, bootargs="console=ttyS0 quiet",
        initrd=(cells(qemu, "/chosen", "linux,initrd-start")[0],
                cells(qemu, "/chosen", "linux,initrd-end")[0]),
        boot_kernel=(boot_kernel[0] << 32 | boot_kernel[1], boot_kernel[2] << 32 | boot_kernel[3]),
    )
    assert_same_tree(read_tree(build_dtb(machine)), qemu)


def test_default_machine_matches_qemu_defaults_without_initrd(tmp_path):
    qemu = qemu_tree(tmp_path, "-serial", "null")
    qemu["/chosen"].pop("qemu,boot-kernel")
    assert_same_tree(read_tree(build_dtb(MachineDescription())), qemu)


def test_description_values_reach_the_tree():
    machine = MachineDescription(ram_size=64 * MIB, timebase_frequency=25_000_000,
                                 clock_frequency=500_000_000, bootargs="root=/dev/ram")
    tree = read_tree(build_dtb(machine))
    cpu = "/cpus/PowerPC,8544@0"
    assert cells(tree, cpu, "timebase-frequency") == [25_000_000]
    assert cells(tree, cpu, "clock-frequency") == [500_000_000]
    assert cells(tree, "/memory", "reg") == [0, 0, 0, 64 * MIB]
    assert tree["/chosen"]["bootargs"] == b"root=/dev/ram\0"
    assert tree["/chosen"]["stdout-path"] == b"/soc@fe0000000/serial@4500\0"
    assert "linux,initrd-start" not in tree["/chosen"]
    assert "fsl,has-rstcr" in tree["/soc@fe0000000/global-utilities@e0000"]
    assert cells(tree, "/soc@fe0000000", "ranges") == [0, 0xF, 0xE0000000, MIB]


def test_pci_interrupt_map_rotates_pins_by_slot():
    table = pci_interrupt_map(7)
    entries = [table[i:i + INTERRUPT_MAP_ENTRY] for i in range(0, len(table), INTERRUPT_MAP_ENTRY)]
    assert len(entries) == 31 * 4
    assert entries[0] == (0x800, 0, 0, 1, 7, 2, 1)    # slot 1 INTA -> source 2
    assert entries[3] == (0x800, 0, 0, 4, 7, 1, 1)    # slot 1 INTD -> source 1
    assert entries[4] == (0x1000, 0, 0, 1, 7, 3, 1)   # slot 2 INTA -> source 3


def test_a_machine_without_a_console_uart_is_refused():
    with pytest.raises(ValueError, match="UART"):
        build_dtb(MachineDescription(uart_offsets=()))
