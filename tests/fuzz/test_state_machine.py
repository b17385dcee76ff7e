"""The state machine against our server. CI runs a bounded number of sequences; set
``GDBSTUB_FUZZ_EXAMPLES`` (e.g. 100000) and ``GDBSTUB_FUZZ_SEED`` for a long campaign."""
from __future__ import annotations

import os

from gdbstub.fuzz.runner import run

EXAMPLES = int(os.environ.get("GDBSTUB_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ["GDBSTUB_FUZZ_SEED"]) if "GDBSTUB_FUZZ_SEED" in os.environ else 20261125


def test_the_server_keeps_every_invariant(fuzz_target):
    result = run(fuzz_target, examples=EXAMPLES, seed=SEED, steps=40)
    assert result.ok, f"minimal failing sequence:\n{result.failure}"
