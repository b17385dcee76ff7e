"""Save and restore of the whole machine: a guest run on from a restored copy reaches exactly
the end it reached the first time (registers, SPRs, clocks, debug registers, RAM, UART output,
instruction count)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gdbstub.boards import bare
from gdbstub.guests.build import build_guest, demo_guest
from gdbstub.vcpu import booke
from gdbstub.vcpu.elf import load_elf
from gdbstub.vcpu.standalone import register_state
from gdbstub.vcpu.stops import Halted

RAM = 4 << 20
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "guests" / "bench.c"


def _board(guest: str = "demo"):
    """The demo (about 1,100 instructions, UART output) or bench.c's two passes (about 260,000
    instructions, mostly translated blocks) on a fresh bare board."""
    uart = bytearray()
    board = bare.build(ram_size=RAM, uart_output=uart.extend)
    elf = demo_guest() if guest == "demo" else build_guest([BENCH], name="bench")
    symbols = load_elf(elf, board.cpu).symbols
    if guest == "bench":
        board.cpu.write_memory(symbols["rounds"], (2).to_bytes(4, "big"))
    return board, uart, symbols


def _end(board, uart: bytearray) -> dict:
    """Run to the halt; everything the run could have changed."""
    cpu = board.cpu
    start = len(uart)
    outcome = cpu.run(10_000_000)
    assert isinstance(outcome, Halted), outcome
    return {"outcome": outcome, **register_state(cpu), "timers": [cpu.read_spr(n) for n in (22, 268, 269, 336, 340)],
            "debug": repr(cpu.guest_debug_regs), "uart": bytes(uart[start:]),
            "ram": hashlib.sha256(board.memory.ram).hexdigest(), "devices": board.memory.save()[1]}


def _arm_a_comparator(board, symbols) -> None:
    """An IAC on bare hardware (MSR[DE] clear): each hit only sets DBSR[IAC1|IDE], which the
    end state then shows; the guest's registers and the active set are part of the snapshot."""
    cpu = board.cpu
    cpu.write_spr(booke.SPR_IAC1, symbols["checkpoint" if "checkpoint" in symbols else "main"])
    cpu.write_spr(booke.SPR_DBCR0, booke.DBCR0_IDM | booke.DBCR0_IAC1)


@pytest.mark.parametrize("guest, steps", [("demo", 1), ("demo", 300), ("demo", 900), ("bench", 150_001)])
def test_a_restored_machine_runs_on_to_the_same_end(guest, steps):
    board, uart, symbols = _board(guest)
    _arm_a_comparator(board, symbols)
    assert board.cpu.run(steps) is None
    saved = board.save()
    first = _end(board, uart)
    assert first["icount"] > steps and first["dbsr"] & booke.DBSR_IAC1
    assert bool(first["uart"]) == (guest == "demo")
    board.restore(saved)                         # the vCPU ran on to its halt meanwhile
    assert not board.cpu.halt_pending
    assert _end(board, uart) == first
    board.restore(saved)                         # a snapshot can be restored again
    assert _end(board, uart) == first


def test_a_snapshot_restored_into_another_machine_gives_the_same_end():
    board, uart, symbols = _board("bench")
    _arm_a_comparator(board, symbols)
    assert board.cpu.run(30_000) is None
    saved = board.save()
    first = _end(board, uart)
    other, other_uart, _ = _board("demo")
    other.cpu.translate_after = None             # a different guest elsewhere, interpreted
    assert other.cpu.run(500) is None
    other.restore(saved)
    assert other.cpu.icount == 30_000
    assert _end(other, other_uart) == first


def test_a_halt_and_the_reservation_are_saved():
    board, _, _ = _board()
    cpu = board.cpu
    cpu.reservation = (0x2000, 7)
    cpu.gpr[3] = 0x42
    cpu.write_memory(bare.GUTS_BASE + 0xB0, (2).to_bytes(4, "big"))   # the debugger halts it
    saved = board.save()
    cpu.reservation = None
    cpu.halt_pending = False
    board.restore(saved)
    assert cpu.reservation == (0x2000, 7)
    assert cpu.run(10) == Halted(0x42) and cpu.icount == 0


def test_a_host_register_set_stays_the_active_one():
    board, _, _ = _board()
    cpu = board.cpu
    shadow = type(cpu.guest_debug_regs)(dbcr0=booke.DBCR0_IDM | booke.DBCR0_IC)
    cpu.active_debug = shadow
    saved = board.save()
    shadow.dbcr0 = 0
    cpu.active_debug = cpu.guest_debug_regs
    board.restore(saved)
    assert cpu.active_debug is shadow and shadow.dbcr0 == booke.DBCR0_IDM | booke.DBCR0_IC
    assert cpu.run(1) is None and cpu.icount == 1 and shadow.dbsr & booke.DBSR_IC


def test_the_tlb_timers_and_mmu_sprs_are_saved():
    """A core with the BookE MMU: a guest with a DEC interrupt every 1,000 ticks through a
    mapping of its own, saved half-way, runs on from the restored copy to the same end."""
    from gdbstub.vcpu import mmu as m
    from gdbstub.vcpu.cpu import Cpu
    from gdbstub.vcpu.memory import Memory
    from .test_booke_machine import DEC_GUEST, machine, run_to_done

    cpu, symbols = machine(DEC_GUEST)
    cpu.tlb.tlbwe(1 << 28 | 3 << 16, m.MAS1_V | 2 << 8, 0x40000000, 0x00100000 | m.MAS3_PERMS, 0)
    cpu.write_spr(m.SPR_MAS6, 0x00050001)
    cpu.write_spr(booke.SPR_MCAR, 0x1234)
    assert cpu.run(5_500) is None
    assert 0 < cpu.gpr[20] < 10
    saved = cpu.save()

    def end(core: Cpu) -> dict:
        run_to_done(core, symbols)
        return {**register_state(core), "tlb": core.tlb.describe(), "mas6": core.read_spr(m.SPR_MAS6),
                "mcar": core.read_spr(booke.SPR_MCAR),
                "timers": [core.read_spr(n) for n in (22, 268, 269, 336, 340)]}

    first = end(cpu)
    cpu.tlb.write_mmucsr0(m.MMUCSR0_TLB1_FI | m.MMUCSR0_TLB0_FI)
    cpu.write_spr(booke.SPR_TCR, 0)
    cpu.restore(saved)
    assert end(cpu) == first
    other = Cpu(Memory(cpu.memory.ram_size), booke_mmu=True)
    other.memory.write_bytes(0, bytes(cpu.memory.ram))
    other.restore(saved)
    assert end(other) == first
