"""The e500mc as gdb sees it: register numbering, sizes, access, target description, address
width (:data:`DESCRIPTION`, the :class:`~.target.Architecture` a thread of the machine has).

The numbering follows gdb's ``org.gnu.gdb.power.core`` and ``org.gnu.gdb.power.fpu`` features
(r0-r31 = 0-31, f0-f31 = 32-63, pc 64, msr 65, cr 66, lr 67, ctr 68, xer 69, fpscr 70),
followed by a ``org.gnu.gdb.power.booke`` feature with the BookE SPRs a debugger wants.
``g``/``G``/``p``/``P`` and ``target.xml`` are all derived from one :class:`RegisterSet`: the bare
machine's (:data:`CORE`), or the ppce500's (:data:`WITH_MMU`), which adds the MMU and timer SPRs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from .target import Architecture
from .vcpu import booke, mmu

CORE_FEATURE = "org.gnu.gdb.power.core"
FPU_FEATURE = "org.gnu.gdb.power.fpu"
BOOKE_FEATURE = "org.gnu.gdb.power.booke"
# gdb 13 has no powerpc:e500mc (its rs6000 variants stop at the FPU-less e500v2, powerpc:e500):
# users get e500mc disassembly with "set disassembler-options e500mc" (docs/user-guide.md).
GDB_ARCHITECTURE = "powerpc:common"
ADDRESS_BITS = 32


@dataclass(frozen=True)
class Register:
    """One gdb register: its number is its index in ``REGISTERS``."""
    name: str
    bits: int
    feature: str
    read: Callable[[object], int]
    write: Callable[[object, int], None]
    type: str = "uint32"
    group: str | None = None
    read_only: bool = False

    @property
    def size(self) -> int:
        return self.bits // 8


def _list_item(attr: str, index: int, name: str, bits: int, feature: str, type_: str) -> Register:
    def read(cpu):
        return getattr(cpu, attr)[index]

    def write(cpu, value):
        getattr(cpu, attr)[index] = value
    return Register(name, bits, feature, read, write, type_)


def _attribute(attr: str, name: str, feature: str, type_: str = "uint32") -> Register:
    def read(cpu):
        return getattr(cpu, attr)

    def write(cpu, value):
        setattr(cpu, attr, value)
    return Register(name, 32, feature, read, write, type_)


def _spr(name: str, number: int) -> Register:
    def read(cpu):
        return cpu.read_spr(number)

    def write(cpu, value):
        cpu.write_spr(number, value)
    return Register(name, 32, BOOKE_FEATURE, read, write, "uint32", "booke", read_only=number == booke.SPR_PVR)


def _dbsr() -> Register:
    """DBSR is write-one-to-clear for the guest; the debugger sets its exact value."""
    def read(cpu):
        return cpu.guest_debug_regs.dbsr

    def write(cpu, value):
        cpu.guest_debug_regs.dbsr = value
    return Register("dbsr", 32, BOOKE_FEATURE, read, write, "uint32", "booke")


BOOKE_SPRS = (
    [("dbcr0", booke.SPR_DBCR0), ("dbcr1", booke.SPR_DBCR1), ("dbcr2", booke.SPR_DBCR2),
     ("dbsr", booke.SPR_DBSR)]
    + [("iac1", booke.SPR_IAC1), ("iac2", booke.SPR_IAC2), ("dac1", booke.SPR_DAC1), ("dac2", booke.SPR_DAC2)]
    + [("srr0", booke.SPR_SRR0), ("srr1", booke.SPR_SRR1), ("csrr0", booke.SPR_CSRR0),
       ("csrr1", booke.SPR_CSRR1), ("dsrr0", booke.SPR_DSRR0), ("dsrr1", booke.SPR_DSRR1),
       ("esr", booke.SPR_ESR), ("dear", booke.SPR_DEAR), ("ivpr", booke.SPR_IVPR)]
    + [(f"ivor{n}", booke.SPR_IVOR0 + n) for n in range(16)]
    + [("pir", booke.SPR_PIR), ("pvr", booke.SPR_PVR)]
    + [(f"sprg{n}", booke.SPR_SPRG0 + n) for n in range(8)]
    + [("dec", booke.SPR_DEC), ("tbl", booke.SPR_TBL_R), ("tbu", booke.SPR_TBU_R)]
)


def _tb_register(name: str, read_spr: int, write_spr: int) -> Register:
    """The time base is read and written through different SPR numbers."""
    def read(cpu):
        return cpu.read_spr(read_spr)

    def write(cpu, value):
        cpu.write_spr(write_spr, value)
    return Register(name, 32, BOOKE_FEATURE, read, write, "uint32", "booke")


def _booke_register(name: str, number: int) -> Register:
    if name == "dbsr":
        return _dbsr()
    if name == "tbl":
        return _tb_register(name, booke.SPR_TBL_R, booke.SPR_TBL_W)
    if name == "tbu":
        return _tb_register(name, booke.SPR_TBU_R, booke.SPR_TBU_W)
    return _spr(name, number)


REGISTERS: tuple[Register, ...] = tuple(
    [_list_item("gpr", n, f"r{n}", 32, CORE_FEATURE, "uint32") for n in range(32)]
    + [_list_item("fpr", n, f"f{n}", 64, FPU_FEATURE, "ieee_double") for n in range(32)]
    + [_attribute("pc", "pc", CORE_FEATURE, "code_ptr"), _attribute("msr", "msr", CORE_FEATURE),
       _attribute("cr", "cr", CORE_FEATURE), _attribute("lr", "lr", CORE_FEATURE, "code_ptr"),
       _attribute("ctr", "ctr", CORE_FEATURE), _attribute("xer", "xer", CORE_FEATURE),
       replace(_attribute("fpscr", "fpscr", FPU_FEATURE), group="float")]
    + [_booke_register(name, number) for name, number in BOOKE_SPRS]
)

MMU_SPRS = (
    [("mas0", mmu.SPR_MAS0), ("mas1", mmu.SPR_MAS1), ("mas2", mmu.SPR_MAS2), ("mas3", mmu.SPR_MAS3),
     ("mas4", mmu.SPR_MAS4), ("mas6", mmu.SPR_MAS6), ("mas7", mmu.SPR_MAS7), ("pid", mmu.SPR_PID)]
    + [("tcr", booke.SPR_TCR), ("tsr", booke.SPR_TSR), ("hid0", booke.SPR_HID0),
       ("l1csr0", booke.SPR_L1CSR0)]
)
"""What a machine with the BookE MMU and timers adds (ppce500; the e500mc has no MAS5)."""


class RegisterSet:
    """One machine's gdb registers: a register's number is its index in ``registers``."""

    def __init__(self, registers: tuple[Register, ...]):
        self.registers = registers
        self.by_name = {reg.name: number for number, reg in enumerate(registers)}
        self.pc_regnum = self.by_name["pc"]
        self.description = Architecture(GDB_ARCHITECTURE, address_bits=ADDRESS_BITS,
                                        pc_regnum=self.pc_regnum, target_xml=self.target_xml())

    def read_register(self, cpu, regno: int) -> bytes:
        """The big-endian bytes of register ``regno`` (IndexError when there is no such register)."""
        reg = self.registers[regno]
        return reg.read(cpu).to_bytes(reg.size, "big")

    def write_register(self, cpu, regno: int, data: bytes) -> None:
        """Set register ``regno`` from its big-endian bytes (ValueError on a size mismatch or a
        read-only register such as PVR)."""
        reg = self.registers[regno]
        if len(data) != reg.size:
            raise ValueError(f"{reg.name} is {reg.size} bytes, got {len(data)}")
        if reg.read_only:
            raise ValueError(f"{reg.name} is read-only")
        reg.write(cpu, int.from_bytes(data, "big"))

    def read_all(self, cpu) -> bytes:
        """The ``g`` block: every register in order."""
        return b"".join(self.read_register(cpu, n) for n in range(len(self.registers)))

    def write_all(self, cpu, data: bytes) -> None:
        """Apply a ``G`` block; a short block sets the leading registers (as gdb may send).

        Only registers whose value changes are written, and only once the whole block has been
        checked: writing back what ``g`` returned changes nothing (PVR is accepted unchanged, IVORs
        are not marked as installed), and a bad block changes nothing either.
        """
        changes = []
        offset = 0
        for regno, reg in enumerate(self.registers):
            if offset == len(data):
                break
            value = data[offset:offset + reg.size]
            if len(value) != reg.size:
                raise ValueError("G block ends inside a register")
            if value != self.read_register(cpu, regno):
                if reg.read_only:
                    raise ValueError(f"G block changes read-only {reg.name}")
                changes.append((regno, value))
            offset += reg.size
        if offset != len(data):
            raise ValueError("G block is longer than the register file")
        for regno, value in changes:
            self.write_register(cpu, regno, value)

    def target_xml(self) -> str:
        """The target description served through ``qXfer:features:read:target.xml``."""
        lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
                 "<target>", f"  <architecture>{GDB_ARCHITECTURE}</architecture>"]
        for feature in dict.fromkeys(reg.feature for reg in self.registers):
            lines.append(f'  <feature name="{feature}">')
            for regno, reg in enumerate(self.registers):
                if reg.feature == feature:
                    group = f' group="{reg.group}"' if reg.group else ""
                    lines.append(f'    <reg name="{reg.name}" bitsize="{reg.bits}" regnum="{regno}" '
                                 f'type="{reg.type}"{group}/>')
            lines.append("  </feature>")
        lines.append("</target>")
        return "\n".join(lines) + "\n"


CORE = RegisterSet(REGISTERS)
"""The bare machine's registers."""
WITH_MMU = RegisterSet(REGISTERS + tuple(_spr(name, number) for name, number in MMU_SPRS))
"""The ppce500's: the core's and the MMU and timer SPRs after them."""

BY_NAME = CORE.by_name
PC_REGNUM = CORE.pc_regnum
read_register = CORE.read_register
write_register = CORE.write_register
read_all = CORE.read_all
write_all = CORE.write_all
target_xml = CORE.target_xml
DESCRIPTION = CORE.description
