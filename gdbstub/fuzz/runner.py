"""Run the state machine against a target and report the minimal failing sequence."""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, seed as hypothesis_seed, settings
from hypothesis.stateful import run_state_machine_as_test

from .stateful import Failure, state_machine
from .model import Target


@dataclass
class Result:
    """How a campaign went: ``failure`` holds hypothesis's shrunk steps and the violation."""

    examples: int
    seconds: float
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def run(target: Target, *, examples: int, seed: int | None = None, steps: int = 50,
        shrink: bool = True) -> Result:
    """Run ``examples`` sequences of up to ``steps`` steps against ``target``."""
    failures: list[Failure] = []
    machine = state_machine(target, failures)
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    phases = [Phase.generate, Phase.target] + ([Phase.shrink] if shrink else [])
    config = settings(max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
                      phases=phases, suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                      print_blob=False)
    started = time.monotonic()
    try:
        run_state_machine_as_test(machine, settings=config)
    except Exception as exc:  # any failure of the target is what we report
        failure = str(reported(failures)) if failures else "".join(traceback.format_exception_only(exc)).strip()
        return Result(examples, time.monotonic() - started, failure)
    return Result(examples, time.monotonic() - started)


def reported(failures: list[Failure]) -> Failure:
    """The failure to report: the last run that failed beyond attaching (hypothesis's final
    replay of the shrunk sequence, or the last sequence shrinking kept), not the replays that
    then could not even attach to a target the real failure left wedged; the first failure
    if no run got beyond attaching."""
    beyond_attaching = [failure for failure in failures if len(failure.steps) > 1]
    return beyond_attaching[-1] if beyond_attaching else failures[0]
