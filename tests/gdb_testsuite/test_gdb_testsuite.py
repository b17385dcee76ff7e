"""gdb's own testsuite (the files in tests.txt) against the stub and QEMU, held to the baseline.

The run takes minutes, so it happens in CI (``CI=1``) or when ``BOOKE_GDB_TESTSUITE=1`` is set;
there a missing tool fails the tests. The unit tests of the result handling always run.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load_runner():
    spec = importlib.util.spec_from_file_location("gdb_testsuite_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


run = _load_runner()
TESTS = run.curated_tests()
SHORTFALLS = run.known_shortfalls()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Both targets' results, from one run of every curated test file."""
    if not (os.environ.get("CI") or os.environ.get("BOOKE_GDB_TESTSUITE")):
        pytest.skip("gdb's testsuite takes minutes: it runs in CI, or with BOOKE_GDB_TESTSUITE=1")
    try:
        run.check_tools()
        run.unpack_testsuite()
    except run.SetupError as exc:
        pytest.fail(str(exc))
    return run.run_both(TESTS, tmp_path_factory.mktemp("gdb-testsuite"))


def _listing(names) -> str:
    return "\n".join(sorted(names))


@pytest.mark.parametrize("target", run.TARGETS)
def test_no_new_fail(results, target):
    """Nothing fails that the baseline has passing (or not at all), and nothing it has
    passing went missing (a test file that now stops early)."""
    comparison = run.compare(results[target], run.load_baseline(target), TESTS)
    assert not comparison.new_bad, f"new FAIL/UNRESOLVED under {target}:\n{_listing(comparison.new_bad)}"
    assert not comparison.lost_passes, f"PASS in the baseline, absent now:\n{_listing(comparison.lost_passes)}"


@pytest.mark.parametrize("test_file", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=SHORTFALLS[name])) if name in SHORTFALLS
    else name for name in TESTS])
def test_stub_passes_what_qemu_passes(results, test_file):
    """No test FAILs under the stub that PASSes under QEMU on the same program. Files with a
    known stub bug (stub-shortfalls.txt, docs/gdb-testsuite.md) are expected to fail here,
    strictly: once the bug is fixed this XPASSes and the entry must go."""
    short = {name for name in run.stub_short_of_qemu(results["stub"], results["qemu"])
             if name.split(":", 1)[0] == test_file}
    assert not short, f"FAIL under the stub, PASS under QEMU:\n{_listing(short)}"


# --- the result handling itself --------------------------------------------------------------

SUM = """\
Running target booke-stub
PASS: gdb.base/a.exp: break main
FAIL: gdb.base/a.exp: continue to marker (the program exited)
PASS: gdb.base/a.exp: file /tmp/work/outputs/gdb.base/a/a
UNRESOLVED: gdb.base/b.exp: watch
PASS: gdb.base/b.exp: watch
# of expected passes		3
"""


def test_parse_sum_keeps_the_worst_outcome_of_a_repeated_name_and_strips_paths_and_failure_notes():
    results = run.parse_sum(SUM, strip=("/tmp/work/",))
    assert results.outcomes == {
        "gdb.base/a.exp: break main": "PASS",
        "gdb.base/a.exp: continue to marker": "FAIL",
        "gdb.base/a.exp: file outputs/gdb.base/a/a": "PASS",
        "gdb.base/b.exp: watch": "UNRESOLVED",
    }
    assert results.counts == {"PASS": 3, "FAIL": 1, "UNRESOLVED": 1}
    assert run.parse_sum("\n".join(results.lines())).outcomes == results.outcomes


def test_compare_finds_new_failures_lost_passes_and_fixes_in_the_files_run():
    baseline = run.parse_sum("PASS: a.exp: one\nFAIL: a.exp: two\nPASS: a.exp: three\nFAIL: c.exp: x\n")
    now = run.parse_sum("FAIL: a.exp: one\nPASS: a.exp: two\nPASS: a.exp: four\n")
    comparison = run.compare(now, baseline, ["a.exp"])
    assert comparison.new_bad == {"a.exp: one"}
    assert comparison.lost_passes == {"a.exp: three"}
    assert comparison.fixed == {"a.exp: two"}


def test_stub_short_of_qemu_is_stub_failures_that_pass_under_qemu():
    stub = run.parse_sum("FAIL: a.exp: x\nFAIL: a.exp: y\nUNRESOLVED: a.exp: z\nPASS: a.exp: w\n")
    qemu = run.parse_sum("PASS: a.exp: x\nFAIL: a.exp: y\nPASS: a.exp: z\nFAIL: a.exp: w\n")
    assert run.stub_short_of_qemu(stub, qemu) == {"a.exp: x", "a.exp: z"}


def test_every_known_shortfall_is_a_curated_test_file():
    assert set(SHORTFALLS) <= set(TESTS)
