"""The code caches are bounded whatever the guest executes (issue #18): a guest that writes code
over its RAM and runs it (``benchmarks/guests/allram.c``) never has more decoded instructions,
decoded words, translated blocks, counted branch targets or cached page translations than the
bounds allow (made small here, so that a short run reaches each of them), and still computes
what it should, on the bare machine and under the ppce500's MMU. What the real bounds do to
the server's RSS over all of the guest's RAM is a row of ``scripts/bench.py``."""
from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

from gdbstub.boards import ppce500
from gdbstub.guests.build import build_guest
from gdbstub.machine import THREAD, Machine
from gdbstub.target import BreakpointStop, PointKind
from gdbstub.vcpu import addressing, cpu as cpu_module

ALLRAM = Path(__file__).resolve().parents[2] / "benchmarks" / "guests" / "allram.c"
BOUNDS = {"decoded": 1024, "by_word": 1024, "blocks": 16, "heat": 16, "pages": 8}
CODE_END = 0x140000    # about 180 KiB of code above the guest's stack: 5,800 chunks


@pytest.fixture
def small_bounds(monkeypatch):
    monkeypatch.setattr(cpu_module, "_MAX_DECODED", BOUNDS["decoded"])
    monkeypatch.setattr(cpu_module, "_MAX_BLOCKS", BOUNDS["blocks"])
    monkeypatch.setattr(cpu_module, "_MAX_HEAT", BOUNDS["heat"])
    monkeypatch.setattr(addressing, "MAX_CACHED_PAGES", BOUNDS["pages"])


def allram_machine(board=None, **words: int) -> Machine:
    """The guest with its knobs set, to stop at its ``_exit`` (the ppce500 has no halt port)."""
    machine = Machine(build_guest([ALLRAM]), board=board)
    symbols = machine.elf.symbols
    for name, value in {"code_end": CODE_END, **words}.items():
        machine.write_memory(THREAD, symbols[name], value.to_bytes(4, "big"))
    machine.insert_point(PointKind.SOFTWARE, symbols["_exit"], 4)
    machine.resume(THREAD, step=False)
    return machine


def assert_counted_right(machine: Machine, stop) -> None:
    assert isinstance(stop, BreakpointStop) and stop.address == machine.elf.symbols["_exit"], stop
    assert machine.cpu.gpr[3] == 0, "the code over RAM counted wrong"


def sizes(machine: Machine) -> dict[str, int]:
    code, translation = machine.cpu.code, machine.cpu.addressing
    return {"decoded": len(code.decoded), "by_word": len(code.by_word), "blocks": len(code.blocks),
            "heat": len(code.heat),
            "pages": max(map(len, (*translation.page_cache, *translation.ram_cache)))}


@pytest.mark.parametrize("board", [None, functools.partial(ppce500.build, ppce500.Options())],
                         ids=["bare", "ppce500"])
def test_code_caches_stay_within_their_bounds(small_bounds, board):
    machine = allram_machine(board, passes=2)
    largest = dict.fromkeys(BOUNDS, 0)
    stop = None
    while stop is None:
        stop = machine.run(2_000)
        for name, size in sizes(machine).items():
            assert size <= BOUNDS[name], f"{name}: {size} kept, the bound is {BOUNDS[name]}"
            largest[name] = max(largest[name], size)
    assert_counted_right(machine, stop)
    # the caches came near their bounds, so growing past one would have shown (words decoded
    # alike are fewer than the instructions decoded, whose bound empties both)
    for name in ("decoded", "blocks", "heat", "pages"):
        assert largest[name] > BOUNDS[name] // 2, (name, largest[name])


def test_a_bound_reached_keeps_the_translated_run_equal_to_the_interpreter(small_bounds):
    translated, interpreted = allram_machine(passes=1, loops=40), allram_machine(passes=1, loops=40)
    interpreted.cpu.translate_after = None
    for machine in (translated, interpreted):
        assert_counted_right(machine, machine.run(1 << 30))
    assert translated.cpu.icount == interpreted.cpu.icount
    assert translated.cpu.gpr == interpreted.cpu.gpr


RSS_PROBE = """
import gc, resource, sys
from gdbstub.machine import THREAD, Machine
def resident():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() >> 10
machine = Machine(sys.argv[1])
before = resident()
for name, value in (("code_end", 4 << 20), ("loops", 1), ("passes", 1)):
    machine.write_memory(THREAD, machine.elf.symbols[name], value.to_bytes(4, "big"))
assert machine.run(1 << 30) is not None
ran = resident()
machine.reset()
gc.collect()
print(before, ran, resident())
"""


def test_reset_gives_the_caches_memory_back():
    """Run 3 MiB of code (more words than the real decoded bound, so the caches start over once:
    glibc then kept the freed tables), then ``reset``: the resident set falls back near where it
    started, the caches and the RAM touched gone."""
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, str(build_guest([ALLRAM]))],
                         capture_output=True, text=True, check=True)
    before, ran, after = map(int, out.stdout.split())
    assert ran - before > 24 << 10, f"the run grew the server by {ran - before} KiB only"
    assert after - before < (ran - before) / 3, f"{after - before} of {ran - before} KiB still held after reset"
