"""The vCPU as a real e500mc: the BookE MMU behind address translation, the MMU and cache
SPRs, timer interrupts, ``wait`` and the external input with EPR (coreint)."""
from __future__ import annotations

import logging

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.vcpu import booke
from gdbstub.vcpu import mmu as m
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.elf import load_elf
from gdbstub.vcpu.interrupts import GuestInterrupt
from gdbstub.vcpu.memory import BusError, Memory

RAM = 8 << 20
REMOTE_EA = 0x40000000   # where the guests map their own image (linked at 1 MiB) a second time

# IVPR = the image's 64 KiB page; IVORn = a handler's offset in it
_VECTORS = "    lis 3, _start@h\n    mtspr 63, 3\n"


def _vector(ivor: int, label: str) -> str:
    number = booke.SPR_IVOR0 + ivor if ivor < 16 else {36: 532, 37: 533}[ivor]
    return f"    li 3, {label}@l\n    mtspr {number}, 3\n"


def machine(text: str, *, booke_mmu: bool = True) -> tuple[Cpu, dict[str, int]]:
    """A vCPU (with QEMU's boot mapping when ``booke_mmu``) holding the guest ``text``, which
    defines ``_start`` and ends in a ``done: b done`` loop."""
    cpu = Cpu(Memory(RAM), booke_mmu=booke_mmu)
    if booke_mmu:
        cpu.tlb.install_boot_mapping()
    symbols = load_elf(build_asm(text, name="vcpu-booke"), cpu).symbols
    return cpu, symbols


def run_to_done(cpu: Cpu, symbols: dict[str, int], slices: int = 200, size: int = 10_000) -> None:
    for _ in range(slices):
        outcome = cpu.run(size)
        assert outcome is None, outcome
        if cpu.pc == symbols["done"]:
            return
    raise AssertionError(f"done not reached (pc={cpu.pc:#x})")


def _li(register: int, value: int) -> str:
    return f"    lis {register}, {value >> 16 & 0xFFFF:#x}\n    ori {register}, {register}, {value & 0xFFFF:#x}\n"


def _tlb1_entry(esel: int, ea: int, real: int, tsize: int, perms: int = m.MAS3_PERMS, ts: int = 0) -> str:
    mas0 = 1 << 28 | esel << 16
    mas1 = m.MAS1_V | tsize << 8 | (m.MAS1_TS if ts else 0)
    return "".join(_li(3, value) + f"    mtspr {spr}, 3\n" for spr, value in (
        (m.SPR_MAS0, mas0), (m.SPR_MAS1, mas1), (m.SPR_MAS2, ea), (m.SPR_MAS3, real | perms),
        (m.SPR_MAS7, 0))) + "    isync\n    tlbwe\n    isync\n"


# --- the MMU ---------------------------------------------------------------------------------


REMOTE_GUEST = f"""
    .globl _start
_start:
{_tlb1_entry(1, REMOTE_EA, 0x00100000, 2)}
    lis     4, {REMOTE_EA >> 16:#x}
    addi    4, 4, remote - _start
    mtctr   4
    bctrl                           # run the image's copy at REMOTE_EA
    .globl done
done:
    b       done
remote:
    lis     5, {REMOTE_EA >> 16:#x}
    lwz     20, value - _start(5)   # data through the second mapping
    addi    20, 20, 1
    stw     20, stored - _start(5)
    mflr    21
    blr
    .align 2
value:
    .long   0x1234
stored:
    .long   0
"""


def test_code_and_data_run_at_a_second_mapping_of_the_image():
    cpu, symbols = machine(REMOTE_GUEST)
    run_to_done(cpu, symbols)
    assert cpu.gpr[20] == 0x1235
    assert cpu.memory.read(symbols["stored"], 4) == 0x1235, "the store reached the physical word"
    offset = symbols["stored"] - symbols["_start"]
    assert cpu.read_memory(REMOTE_EA + offset, 4) == (0x1235).to_bytes(4, "big")
    assert cpu.read_memory(symbols["stored"], 4) == (0x1235).to_bytes(4, "big")


def test_the_debugger_translates_without_side_effects_and_gets_bus_errors_where_unmapped():
    cpu, symbols = machine(REMOTE_GUEST)
    run_to_done(cpu, symbols)
    mas_before = {n: cpu.sprs[n] for n in (m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3)}
    esr, dear = cpu.sprs[booke.SPR_ESR], cpu.sprs[booke.SPR_DEAR]
    with pytest.raises(BusError):
        cpu.read_memory(0x50000000, 4)
    with pytest.raises(BusError):
        cpu.write_memory(0x50000000, b"\0\0\0\0")
    assert {n: cpu.sprs[n] for n in mas_before} == mas_before
    assert (cpu.sprs[booke.SPR_ESR], cpu.sprs[booke.SPR_DEAR]) == (esr, dear)
    offset = symbols["value"] - symbols["_start"]
    cpu.write_memory(REMOTE_EA + offset, b"\0\0\0\x07")   # a debugger write through the TLB
    assert cpu.memory.read(symbols["value"], 4) == 7


def test_a_data_tlb_miss_is_refilled_by_its_handler_and_the_load_retried():
    cpu, symbols = machine(f"""
    .globl _start
_start:
    b       main
    .align 4
dtlb_miss:                          # MAS0-2 hold the auto-fill: add the real page, write it
    addi    22, 22, 1
    mfspr   23, 61                  # DEAR
    mfspr   24, {m.SPR_MAS2}
    {_li(3, 0x00100000 | m.MAS3_SR | m.MAS3_SW).strip()}
    mtspr   {m.SPR_MAS3}, 3
    tlbwe
    isync
    rfi
main:
{_VECTORS}{_vector(booke.IVOR_DTLB_MISS, "dtlb_miss")}
    {_li(3, 1 << 8).strip()}
    mtspr   {m.SPR_MAS4}, 3          # TLB0, 4 KiB
    lis     4, 0x7000
    lwz     20, 8(4)                # a miss, then the same word through TLB0
    lwz     21, 12(4)               # a hit
    .globl done
done:
    b       done
""")
    run_to_done(cpu, symbols)
    image = cpu.memory.read_bytes(0x00100000, 16)
    assert cpu.gpr[20] == int.from_bytes(image[8:12], "big")
    assert cpu.gpr[21] == int.from_bytes(image[12:16], "big")
    assert cpu.gpr[22] == 1 and cpu.gpr[23] == 0x70000008 and cpu.gpr[24] == 0x70000000
    assert "TLB0" in cpu.tlb.describe() and "0x70000000" in cpu.tlb.describe()


def test_permissions_raise_dsi_and_isi_with_esr():
    cpu, symbols = machine(f"""
    .globl _start
_start:
    b       main
    .align 4
dsi:
    mfspr   20, 62                  # ESR
    mfspr   21, 61                  # DEAR
    mfsrr0  3
    addi    3, 3, 4
    mtsrr0  3
    rfi
    .align 4
isi:
    mfsrr0  22
    mtsrr0  25                      # back after the bctrl
    rfi
main:
{_VECTORS}{_vector(booke.IVOR_DATA_STORAGE, "dsi")}{_vector(booke.IVOR_INSN_STORAGE, "isi")}
{_tlb1_entry(1, REMOTE_EA, 0x00100000, 2, perms=m.MAS3_SR)}
    lis     4, {REMOTE_EA >> 16:#x}
    stw     4, 0x100(4)             # read-only page: DSI, ESR[ST]
    bl      1f
1:  mflr    25
    addi    25, 25, 2f - 1b
    mtctr   4
    bctr                            # not executable: ISI
2:
    .globl done
done:
    b       done
""")
    run_to_done(cpu, symbols)
    assert cpu.gpr[20] == booke.ESR_ST and cpu.gpr[21] == REMOTE_EA + 0x100
    assert cpu.gpr[22] == REMOTE_EA


def test_an_instruction_tlb_miss_has_no_handler_and_says_so():
    cpu, symbols = machine("""
    .globl _start
_start:
    lis     4, 0x6000
    mtctr   4
    bctr
    .globl done
done:
    b       done
""")
    outcome = cpu.run(100)
    assert "instruction TLB miss" in outcome.reason
    assert cpu.sprs[m.SPR_MAS2] & m.MAS2_EPN == 0x60000000, "the MAS auto-fill happened"


def test_tlb_instructions_are_illegal_without_the_booke_mmu_and_privileged_in_user_mode():
    cpu, _ = machine("    .globl _start\n_start:\n    tlbwe\n    .globl done\ndone:\n    b done\n", booke_mmu=False)
    outcome = cpu.run(10)
    assert "illegal instruction" in outcome.reason
    cpu, _ = machine("    .globl _start\n_start:\n    tlbsx 0, 4\n    .globl done\ndone:\n    b done\n")
    cpu.msr = booke.MSR_PR
    with pytest.raises(GuestInterrupt) as raised:
        semantics, args = cpu.decode(cpu.pc)
        semantics(cpu, *args)
    assert raised.value.esr == booke.ESR_PPR


def test_changing_address_space_pid_and_tlb_is_seen_at_once():
    cpu = Cpu(Memory(RAM), booke_mmu=True)
    cpu.tlb.install_boot_mapping()
    cpu.memory.write(0x2000, 4, 0xAAAA0000)
    cpu.memory.write(0x3000, 4, 0xBBBB0000)
    mas = (1 << 28 | 2 << 16, m.MAS1_V | 5 << 16 | m.MAS1_TS | 1 << 8, 0x2000, 0x3000 | m.MAS3_PERMS, 0)
    cpu.tlb.tlbwe(*mas)                                   # AS 1, TID 5: 0x2000 -> 0x3000
    assert cpu.load(0x2000, 4) == 0xAAAA0000
    cpu.msr = booke.MSR_DS
    with pytest.raises(GuestInterrupt) as raised:
        cpu.load(0x2000, 4)                               # PID 0: no entry in AS 1
    assert raised.value.ivor == booke.IVOR_DTLB_MISS
    cpu.write_spr(booke.SPR_PID, 5)
    assert cpu.load(0x2000, 4) == 0xBBBB0000
    cpu.tlb.write_mmucsr0(m.MMUCSR0_TLB1_FI)              # the boot entry goes too (no IPROT)
    with pytest.raises(GuestInterrupt):
        cpu.load(0x2000, 4)


def test_save_and_restore_cover_the_tlb():
    cpu = Cpu(Memory(RAM), booke_mmu=True)
    cpu.tlb.install_boot_mapping()
    saved = cpu.save()
    cpu.tlb.write_mmucsr0(m.MMUCSR0_TLB1_FI)
    with pytest.raises(BusError):
        cpu.read_memory(0x1000, 4)
    cpu.restore(saved)
    assert cpu.read_memory(0x1000, 4) == b"\0\0\0\0"


def test_the_mmu_sprs():
    cpu = Cpu(Memory(RAM), booke_mmu=True)
    for number, value in m.CONFIGURATION.items():
        assert cpu.read_spr(number) == value
    cpu.write_spr(m.SPR_MAS1, 0xFFFFFFFF)
    assert cpu.read_spr(m.SPR_MAS1) == m.MAS_WRITABLE[m.SPR_MAS1]
    cpu.tlb.install_boot_mapping()
    cpu.write_spr(m.SPR_MMUCSR0, m.MMUCSR0_TLB1_FI)
    assert cpu.read_spr(m.SPR_MMUCSR0) == 0 and cpu.tlb.describe() == "no valid TLB entries"
    assert Cpu(Memory(RAM)).spr_accessor(m.SPR_MAS0) is None, "no MAS registers without the MMU"


# --- SPRs ---------------------------------------------------------------------------------


def test_cache_machine_check_and_configuration_sprs():
    cpu = Cpu(Memory(RAM))
    cpu.write_spr(booke.SPR_L1CSR0, 0x1 | booke.L1CSR_CFI | booke.L1CSR_CLFC)
    cpu.write_spr(booke.SPR_L1CSR1, 0x1 | booke.L1CSR_CFI)
    cpu.write_spr(booke.SPR_L2CSR0, 0x80000000 | booke.L2CSR0_L2FI)
    assert (cpu.read_spr(booke.SPR_L1CSR0), cpu.read_spr(booke.SPR_L1CSR1), cpu.read_spr(booke.SPR_L2CSR0)) \
        == (1, 1, 0x80000000)
    assert cpu.read_spr(booke.SPR_L1CFG0) == cpu.read_spr(booke.SPR_L1CFG1) == 0x01003820
    cpu.sprs[booke.SPR_MCSR] = 0xC0000000
    cpu.write_spr(booke.SPR_MCSR, 0x80000000)
    assert cpu.read_spr(booke.SPR_MCSR) == 0x40000000
    cpu.write_spr(booke.SPR_MCAR, 0x1234)
    assert cpu.read_spr(booke.SPR_MCAR) == 0x1234
    assert cpu.read_spr(booke.SPR_EPR) == 0 and cpu.spr_accessor(booke.SPR_EPR).write is None
    cpu.write_spr(532, 0x120)
    cpu.write_spr(436, 0x130)
    assert 36 in cpu.ivors_installed and 42 in cpu.ivors_installed
    assert cpu.read_spr(532) == 0x120 and cpu.read_spr(436) == 0x130


def test_an_unmodelled_spr_is_a_program_interrupt_logged_once_per_place(caplog):
    cpu, symbols = machine("""
    .globl _start
_start:
    li      5, 3
1:  mtspr   999, 3
    addi    5, 5, -1
    cmpwi   5, 0
    bne     1b
    .globl done
done:
    b       done
""", booke_mmu=False)
    with caplog.at_level(logging.WARNING, logger="gdbstub.vcpu.cpu"):
        outcome = cpu.run(10)
        assert "illegal instruction" in outcome.reason
        cpu.pc = symbols["_start"] + 4
        cpu.run(10)
    lines = [r.getMessage() for r in caplog.records if "SPR 999" in r.getMessage()]
    assert len(lines) == 1 and "mtspr" in lines[0]


# --- timers and interrupts --------------------------------------------------------------------


DEC_GUEST = f"""
    .globl _start
_start:
    b       main
    .align 4
decrementer:
    addi    20, 20, 1
    {_li(3, 0x08000000).strip()}     # TSR[DIS]
    mtspr   336, 3
    rfi
main:
{_VECTORS}{_vector(booke.IVOR_DECREMENTER, "decrementer")}
    li      3, 1000
    mtspr   54, 3                   # DECAR
    mtspr   22, 3                   # DEC
    {_li(3, 0x04400000).strip()}     # TCR[DIE, ARE]
    mtspr   340, 3
    wrteei  1
    li      20, 0
1:  cmpwi   20, 10
    blt     1b
    wrteei  0
    mfspr   21, 22
    mftb    22
    .globl done
done:
    b       done
"""


def _one_shot_decrementer(record: str) -> str:
    """A guest's start: a DEC handler that runs ``record`` and turns TCR off, and TCR[DIE]."""
    return f"""
    .globl _start
_start:
    b       main
    .align 4
decrementer:
    {record}
    li      3, 0
    mtspr   340, 3                  # TCR: no more
    rfi
main:
{_VECTORS}{_vector(booke.IVOR_DECREMENTER, "decrementer")}
    {_li(3, 0x04000000).strip()}
    mtspr   340, 3                  # TCR[DIE]
"""


@pytest.mark.parametrize("translate_after", [2, None])
def test_the_decrementer_interrupts_and_reloads_from_decar(translate_after):
    cpu, symbols = machine(DEC_GUEST, booke_mmu=False)
    cpu.translate_after = translate_after
    run_to_done(cpu, symbols)
    assert cpu.gpr[20] == 10
    assert 10 * 1000 < cpu.gpr[22] < 11 * 1000, "ten periods of DECAR ticks (one per instruction)"
    assert 0 < cpu.gpr[21] <= 1000


def test_a_pending_decrementer_waits_for_ee_and_is_taken_after_wrteei():
    cpu, symbols = machine(_one_shot_decrementer("mfsrr0  21") + """
    li      3, 5
    mtspr   22, 3
    li      5, 50
1:  addi    5, 5, -1                # EE is off: DIS is up, nothing is taken
    cmpwi   5, 0
    bne     1b
    mfspr   20, 336
    wrteei  1
    .globl after
after:
    nop
    .globl done
done:
    b       done
""", booke_mmu=False)
    run_to_done(cpu, symbols)
    assert cpu.gpr[20] & 0x08000000
    assert cpu.gpr[21] == symbols["after"], "taken right after wrteei"


def test_wait_skips_time_to_the_next_timer_event():
    cpu, symbols = machine(_one_shot_decrementer("mftb    21") + f"""
    {_li(3, 5_000_000).strip()}
    mtspr   22, 3
    mftb    20
    wrteei  1
    wait
    nop
    .globl done
done:
    b       done
""", booke_mmu=False)
    steps = 0
    while cpu.pc != symbols["done"]:
        assert cpu.run(1) is None
        steps += 1
        assert steps < 100, "wait spun instead of skipping ahead"
    assert 4_999_990 <= cpu.gpr[21] - cpu.gpr[20] <= 5_000_010


def test_wait_with_nothing_to_come_stays_on_wait():
    cpu, symbols = machine("    .globl _start\n_start:\n    wait\n    .globl done\ndone:\n    b done\n",
                           booke_mmu=False)
    start = cpu.pc
    assert cpu.run(100) is None
    assert cpu.pc == start and cpu.icount == 100


def test_the_external_input_latches_the_acknowledged_vector_in_epr():
    cpu, symbols = machine(f"""
    .globl _start
_start:
    b       main
    .align 4
external:
    mfspr   20, {booke.SPR_EPR}
    mfsrr0  21
    lis     3, done@h
    ori     3, 3, done@l
    mtsrr0  3
    mfsrr1  3
    li      4, 0
    ori     4, 4, 0x8000
    andc    3, 3, 4                 # return with EE off: the pin stays high
    mtsrr1  3
    rfi
main:
{_VECTORS}{_vector(booke.IVOR_EXTERNAL, "external")}
    wrteei  1
1:  b       1b
    .globl done
done:
    b       done
""", booke_mmu=False)
    acknowledged = []
    cpu.interrupt_acknowledge = lambda: acknowledged.append(1) or 0x42
    assert cpu.run(200) is None
    assert not acknowledged, "no interrupt while the pin is low"
    cpu.external_input.set(True)
    run_to_done(cpu, symbols)
    assert cpu.gpr[20] == 0x42 and acknowledged == [1]


def test_hid0_tben_stops_the_time_base():
    cpu = Cpu(Memory(RAM))
    assert cpu.read_spr(booke.SPR_HID0) & 0x4000, "the time base runs from reset"
    cpu.icount = 10
    cpu.write_spr(booke.SPR_HID0, 0)
    frozen = cpu.timebase()
    cpu.icount = 50
    assert cpu.timebase() == frozen
    cpu.write_spr(booke.SPR_HID0, 0x4000)
    cpu.icount = 60
    assert cpu.timebase() == frozen + 10
