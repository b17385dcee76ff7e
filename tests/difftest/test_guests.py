"""Every guest program single-stepped in lockstep on QEMU and on the vCPU: no difference allowed.

A case known to expose a vCPU bug is marked ``xfail(strict=True)`` with the mismatch it
shows, so it starts failing (and must be unmarked) once the bug is fixed.
"""
from __future__ import annotations

import pytest

from gdbstub.difftest import run_difftest

from .conftest import build_c, build_s

MAX_STEPS = 20_000

C_PROGRAMS = {
    "recursion": ("-O0", "-O2", "-O3"),
    "bytes": ("-O0", "-O2", "-O3"),
    "arith64": ("-O0", "-O2"),
    "bits": ("-O0", "-O2", "-O3"),
    "float": ("-O0", "-O2"),
}
ASM_PROGRAMS = ("carry", "muldiv", "rotate", "crops", "branches", "memops", "fpcorner", "interrupts",
                "invalidforms")

# case id -> the vCPU bug it exposes (keep the list specific; remove entries once fixed)
KNOWN_MISMATCHES: dict[str, str] = {}


def _cases():
    cases = [(f"{program}{opt}", build_c, (program, opt)) for program, opts in C_PROGRAMS.items() for opt in opts]
    cases += [(program, build_s, (program,)) for program in ASM_PROGRAMS]
    for case_id, build, args in cases:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISMATCHES[case_id])] if case_id in KNOWN_MISMATCHES else []
        yield pytest.param(build, args, id=case_id, marks=marks)


@pytest.mark.parametrize(("build", "args"), _cases())
def test_guest_matches_qemu(difftest_tools, build, args):
    result = run_difftest(build(*args), steps=MAX_STEPS)
    if not result.ok:
        pytest.fail(result.report(), pytrace=False)
    if not result.halted:
        pytest.fail(f"the guest did not halt within {MAX_STEPS} steps", pytrace=False)
