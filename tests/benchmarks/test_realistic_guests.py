"""The realistic benchmark guests (``benchmarks/guests``: CoreMark, Dhrystone 2.1, firmware-style
logging through a vsnprintf), at -O2 and -Os: each runs to its end on the bare vCPU with its
self-check passing, gets there on the ppce500 board with the MMU on too, and ends with the same
checksum, self-check bits and exit value as QEMU (``-M mpc8544ds``) computes for the same ELF.
A self-check that would not notice a wrong result is caught by corrupting what it compares with.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

from gdbstub.boards import ppce500
from gdbstub.difftest import QemuTarget
from gdbstub.guests.build import build_guest
from gdbstub.machine import THREAD, Machine
from gdbstub.session import Z_POINT_KINDS
from gdbstub.target import GuestExited

GUESTS = Path(__file__).resolve().parents[2] / "benchmarks" / "guests"
PROGRAMS = ("coremark", "dhrystone", "fwlog")
OPTS = ("-O2", "-Os")
ROUNDS = 2            # the checkpoint of more than one round counts in the checksum
VALIDATION_SEEDS = {"seed1_volatile": 0x3415, "seed2_volatile": 0x3415}   # CoreMark's 2K validation run


def build(program: str, opt: str) -> Path:
    return build_guest([GUESTS / "harness.c", GUESTS / f"{program}.c"], opt=opt, name=f"{program}{opt}")


@dataclass(frozen=True)
class Outcome:
    """What a guest leaves at ``_exit``: main's return value (r3), the checksum of its rounds and
    its failed self-check bits."""
    r3: int
    result: int
    failed: int


def _words(values: dict[str, int], symbols: dict[str, int]) -> list[tuple[int, bytes]]:
    return [(symbols[name], value.to_bytes(4, "big")) for name, value in values.items()]


def run_ours(elf: Path, *, board=None, writes: dict[str, int] | None = None) -> tuple[Outcome, Machine]:
    """Run the guest in-process (translated) to its ``_exit``, with ``rounds`` and other words of
    ``writes`` written first."""
    machine = Machine(elf, board=board)
    symbols = machine.elf.symbols
    for addr, data in _words({"rounds": ROUNDS, **(writes or {})}, symbols):
        machine.write_memory(THREAD, addr, data)
    machine.insert_point(Z_POINT_KINDS[0], symbols["_exit"], 4)
    machine.resume(THREAD, step=False)
    stop = machine.run(1 << 30)
    assert getattr(stop, "address", None) == symbols["_exit"], f"stopped with {stop}, not at _exit"
    read = lambda name: int.from_bytes(machine.read_memory(THREAD, symbols[name], 4), "big")  # noqa: E731
    return Outcome(machine.cpu.gpr[3], read("result"), read("failed")), machine


def run_qemu(elf: Path, symbols: dict[str, int], writes: dict[str, int] | None = None) -> Outcome:
    with QemuTarget(elf, timeout=30) as qemu:
        qemu.client.timeout = 120
        for addr, data in _words({"rounds": ROUNDS, **(writes or {})}, symbols):
            qemu.client.write_memory(addr, data)
        assert qemu.client.request(f"Z0,{symbols['_exit']:x},4") == b"OK"
        assert qemu.resume().startswith(b"T")
        registers = qemu.core_registers()
        assert registers["pc"] == symbols["_exit"]
        read = lambda name: int.from_bytes(qemu.read_memory(symbols[name], 4), "big")  # noqa: E731
        return Outcome(registers["r3"], read("result"), read("failed"))


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("program", PROGRAMS)
def test_guest_passes_its_self_check_and_matches_qemu(tools, program, opt):
    elf = build(program, opt)
    ours, machine = run_ours(elf)
    assert ours == Outcome(0, ours.result, 0), f"self-check failed: {ours}"
    assert ours.result != 0
    machine.remove_point(Z_POINT_KINDS[0], machine.elf.symbols["_exit"], 4)
    machine.resume(THREAD, step=False)
    assert machine.run(1000) == GuestExited(THREAD, 0)          # on to crt0's halt

    under_mmu, _ = run_ours(elf, board=functools.partial(ppce500.build, ppce500.Options()))
    assert under_mmu == ours
    assert run_qemu(elf, machine.elf.symbols) == ours


def test_coremark_validation_seeds_match_qemu(tools):
    """CoreMark's other set of published CRCs: the same code checked against them."""
    elf = build("coremark", "-O2")
    ours, machine = run_ours(elf, writes=VALIDATION_SEEDS)
    performance, _ = run_ours(elf)
    assert ours == Outcome(0, ours.result, 0)
    assert ours.result != performance.result
    assert run_qemu(elf, machine.elf.symbols, VALIDATION_SEEDS) == ours


CASE_SIZE = 56   # fwlog.c's struct format_case: size, length, text[48]


# (program, words to write, the failed bit expected): an expected value made wrong, so the
# guest's result no longer matches it; unknown CoreMark seeds have no expected CRCs.
CORRUPTIONS = [
    ("coremark", {"known_crcs": 0xE7151FD7}, 1 << 0),   # performance run: list 0xE714 -> 0xE715, matrix kept
    ("coremark", {"seed1_volatile": 1}, 1 << 3),
    ("dhrystone", {"expected": 6}, 1 << 0),             # Int_Glob should be 5
    ("fwlog", {"cases+%d" % (3 * CASE_SIZE + 4): 29}, 1 << 3),   # case 3 returns 30
]


@pytest.mark.parametrize(("program", "writes", "bit"), CORRUPTIONS)
def test_self_check_notices_a_wrong_result(tools, program, writes, bit):
    elf = build(program, "-O2")
    symbols = dict(Machine(elf).elf.symbols)
    for name in writes:
        base, _, offset = name.partition("+")
        symbols[name] = symbols[base] + int(offset or 0)
    machine = Machine(elf)
    for addr, data in _words({"rounds": 1, **writes}, symbols):
        machine.write_memory(THREAD, addr, data)
    machine.resume(THREAD, step=False)
    assert machine.run(1 << 30) == GuestExited(THREAD, 0x80 | bit)
