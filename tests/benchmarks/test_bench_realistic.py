"""scripts/bench.py's realistic-guest rows measure what they say: the CPU clock they read for the
server process is that process's (checked on this one, where ``time.process_time`` says the
same), and a run that stops anywhere but at ``_exit`` (an armed point that fires) is refused
rather than timed as if the whole guest had run."""
from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_process_cpu_clock_is_the_process_cpu_time(bench):
    before = bench.process_cpu_seconds(os.getpid()), time.process_time()
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    after = bench.process_cpu_seconds(os.getpid()), time.process_time()
    assert after[0] - before[0] == pytest.approx(after[1] - before[1], abs=2e-3)
    assert after[0] - before[0] >= 0.05


def test_cpu_mips_times_a_whole_run_and_refuses_an_early_stop(compiler, bench):
    elf = bench.realistic_guest("dhrystone", "-O2")
    count, _ = bench.instructions_to(elf, 1, "_exit")
    assert bench.cpu_mips(bench.OurServer, elf, 1, count, bench.ARMED, 1) > 0
    with pytest.raises(RuntimeError, match="not _exit"):
        bench.cpu_mips(bench.OurServer, elf, 1, count, [(1, "checkpoint")], 1)


def test_all_ram_rss_reads_the_server_after_the_whole_run(compiler, bench, monkeypatch):
    """The all-of-RAM row (on 2 MiB here) reads the peak RSS of a live server once the guest
    stopped at its ``_exit`` with its own check passed (else ``_expect`` raises)."""
    monkeypatch.setattr(bench, "ALL_RAM", 2 << 20)
    assert bench.all_ram_rss(bench.OurServer) > 20
