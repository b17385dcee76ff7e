"""The PCI host: configuration space holds the host bridge only, as QEMU 7.2 presents it."""
from __future__ import annotations

import pytest

from gdbstub.devices.pci import CFG_ADDR, CFG_DATA, PciHost


def select(pci: PciHost, bus: int, device: int, function: int, register: int) -> None:
    pci.write(CFG_ADDR, 4, 0x80000000 | bus << 16 | device << 11 | function << 8 | register)


def config_dword(pci: PciHost, register: int, bus: int = 0, device: int = 0) -> int:
    """A dword as drivers read it: in_le32 on CFG_DATA."""
    select(pci, bus, device, 0, register)
    return int.from_bytes(pci.read(CFG_DATA, 4).to_bytes(4, "big"), "little")


def write_config_dword(pci: PciHost, register: int, value: int) -> None:
    select(pci, 0, 0, 0, register)
    pci.write(CFG_DATA, 4, int.from_bytes(value.to_bytes(4, "little"), "big"))


@pytest.fixture
def pci():
    return PciHost()


def test_host_bridge_header_matches_qemu_under_u_boot(pci):
    # U-Boot's "pci display.l 0.0.0 0 0x10" on QEMU 7.2's ppce500 (after U-Boot set command
    # and BAR0): 00301957 00000006 0b200000 00000000 e0000000 ... 11001af4
    assert config_dword(pci, 0x00) == 0x00301957
    assert config_dword(pci, 0x04) == 0x00000000
    assert config_dword(pci, 0x08) == 0x0B200000
    assert config_dword(pci, 0x0C) == 0
    assert config_dword(pci, 0x2C) == 0x11001AF4
    write_config_dword(pci, 0x04, 0x0006)
    write_config_dword(pci, 0x10, 0xE0000000)
    assert config_dword(pci, 0x04) == 0x0006
    assert config_dword(pci, 0x10) == 0xE0000000


def test_bar0_sizes_as_a_1_mib_memory_window(pci):
    write_config_dword(pci, 0x10, 0xFFFFFFFF)
    assert config_dword(pci, 0x10) == 0xFFF00000


def test_read_only_fields_ignore_writes(pci):
    write_config_dword(pci, 0x00, 0xFFFFFFFF)
    write_config_dword(pci, 0x08, 0xFFFFFFFF)
    assert config_dword(pci, 0x00) == 0x00301957
    assert config_dword(pci, 0x08) == 0x0B200000


def test_byte_and_halfword_config_access_use_pci_byte_order(pci):
    select(pci, 0, 0, 0, 0x00)
    assert pci.read(CFG_DATA, 1) == 0x57             # in_8(cfg_data + 0): vendor low byte
    assert pci.read(CFG_DATA + 2, 2) == 0x3000       # in_le16(cfg_data + 2) swaps to 0x0030


def test_other_devices_and_buses_read_all_ones_and_ignore_writes(pci):
    assert config_dword(pci, 0x00, device=1) == 0xFFFFFFFF
    assert config_dword(pci, 0x00, bus=1) == 0xFFFFFFFF
    select(pci, 0, 3, 0, 0x04)
    pci.write(CFG_DATA, 4, 0x06000000)
    assert config_dword(pci, 0x04, device=3) == 0xFFFFFFFF
    assert config_dword(pci, 0x04) == 0


def test_disabled_config_address_reads_all_ones(pci):
    pci.write(CFG_ADDR, 4, 0x00000000)
    assert pci.read(CFG_DATA, 4) == 0xFFFFFFFF
    assert pci.read(CFG_ADDR, 4) == 0


def test_cfg_addr_reads_back(pci):
    select(pci, 0, 0, 0, 0x10)
    assert pci.read(CFG_ADDR, 4) == 0x80000010


def test_atmu_registers_are_plain_storage_and_the_rest_reads_zero(pci):
    pci.write(0xC20, 4, 0x000E0000)    # POTAR1, as U-Boot writes it
    pci.write(0xC30, 4, 0x8004401C)    # POWAR1
    pci.write(0xDF0, 4, 0xA0F5501E)    # PIWAR1
    assert [pci.read(a, 4) for a in (0xC20, 0xC30, 0xDF0)] == [0x000E0000, 0x8004401C, 0xA0F5501E]
    assert pci.peek(0xC20, 4) == 0x000E0000
    pci.write(0x100, 4, 0x12345678)
    assert pci.read(0x100, 4) == 0


def test_save_and_restore_round_trip(pci):
    write_config_dword(pci, 0x10, 0xE0000000)
    pci.write(0xC20, 4, 0x1234)
    state = pci.save()
    write_config_dword(pci, 0x10, 0)
    pci.write(0xC20, 4, 0)
    pci.restore(state)
    assert config_dword(pci, 0x10) == 0xE0000000
    assert pci.read(0xC20, 4) == 0x1234
