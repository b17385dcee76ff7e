"""Run a memory image on the bare board's vCPU: JSON request on stdin, JSON result on stdout.

For Python implementations that lack the rest of the project's dependencies (PyPy has no
``lief``), so that the same guest runs on both and the results can be compared::

    pypy3 -m gdbstub.boards.standalone < request.json

The request names the RAM size, the entry point, the loaded segments (hex), how many
instructions to run at most and whether to translate blocks; the result carries the outcome, the
instruction count, the seconds the run took and the architected state (RAM as a SHA-256).
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from . import bare
from ..vcpu.cpu import Cpu


def image_request(cpu: Cpu, segments, *, steps: int, translate: bool = True) -> dict:
    """The request that reruns what ``cpu`` has loaded: ``segments`` as :func:`.elf.load_elf`
    reports them (``address``, ``memsz``)."""
    return {"ram_size": cpu.memory.ram_size, "entry": cpu.pc, "steps": steps, "translate": translate,
            "segments": [[s.address, cpu.read_memory(s.address, s.memsz).hex()] for s in segments]}


def register_state(cpu: Cpu) -> dict:
    """Everything architected but memory, and the instruction count, as JSON values."""
    return {"pc": cpu.pc, "icount": cpu.icount, "gpr": list(cpu.gpr), "fpr": list(cpu.fpr), "cr": cpu.cr,
            "lr": cpu.lr, "ctr": cpu.ctr, "xer": cpu.xer, "msr": cpu.msr, "fpscr": cpu.fpscr,
            "sprs": {str(n): v for n, v in sorted(cpu.sprs.items())},
            "reservation": None if cpu.reservation is None else list(cpu.reservation),
            "dbsr": cpu.guest_debug_regs.dbsr}


def architected_state(cpu: Cpu) -> dict:
    """:func:`register_state` and a digest of RAM."""
    return {**register_state(cpu), "ram_sha256": hashlib.sha256(cpu.memory.ram).hexdigest()}


def run_image(request: dict) -> dict:
    cpu = bare.build(ram_size=request["ram_size"]).cpu
    for addr, data in request["segments"]:
        cpu.write_memory(addr, bytes.fromhex(data))
    cpu.pc = request["entry"]
    if not request["translate"]:
        cpu.translate_after = None
    start = time.perf_counter()
    outcome = cpu.run(request["steps"])
    seconds = time.perf_counter() - start
    return {"implementation": sys.implementation.name, "outcome": repr(outcome), "seconds": seconds,
            "state": architected_state(cpu)}


def run_image_in(python: str, request: dict) -> dict:
    """:func:`run_image` under another interpreter (``pypy3``, say), which imports this package
    from where it lies."""
    child = subprocess.run([python, "-m", __name__], input=json.dumps(request), capture_output=True, text=True,
                           cwd=Path(__file__).resolve().parents[2])
    if child.returncode != 0:
        raise RuntimeError(f"{python} -m {__name__} failed:\n{child.stderr}")
    return json.loads(child.stdout)


if __name__ == "__main__":
    json.dump(run_image(json.load(sys.stdin)), sys.stdout)
