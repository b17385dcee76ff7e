"""Run a memory image on the bare vCPU: JSON request on stdin, JSON result on stdout.

For Python implementations that lack the rest of the project's dependencies (PyPy has no
``lief``), so that the same guest runs on both and the results can be compared::

    pypy3 -m gdbstub.vcpu.standalone < request.json

The request names the RAM size, the entry point, the loaded segments (hex), how many
instructions to run at most and whether to translate blocks; the result carries the exit, the
instruction count, the seconds the run took and the architected state (RAM as a SHA-256).
"""
from __future__ import annotations

import hashlib
import json
import sys
import time

from .cpu import Cpu
from .memory import Memory


def image_request(cpu: Cpu, segments, *, steps: int, translate: bool = True) -> dict:
    """The request that reruns what ``cpu`` has loaded: ``segments`` are (address, length)."""
    return {"ram_size": cpu.memory.ram_size, "entry": cpu.pc, "steps": steps, "translate": translate,
            "segments": [[addr, cpu.read_memory(addr, length).hex()] for addr, length in segments]}


def architected_state(cpu: Cpu) -> dict:
    """Registers, the instruction count and a digest of RAM, as JSON values."""
    return {"pc": cpu.pc, "icount": cpu.icount, "gpr": list(cpu.gpr), "fpr": list(cpu.fpr), "cr": cpu.cr,
            "lr": cpu.lr, "ctr": cpu.ctr, "xer": cpu.xer, "msr": cpu.msr, "fpscr": cpu.fpscr,
            "sprs": {str(n): v for n, v in sorted(cpu.sprs.items())},
            "ram_sha256": hashlib.sha256(cpu.memory.ram).hexdigest()}


def run_image(request: dict) -> dict:
    cpu = Cpu(Memory(size=request["ram_size"]))
    for addr, data in request["segments"]:
        cpu.write_memory(addr, bytes.fromhex(data))
    cpu.pc = request["entry"]
    if not request["translate"]:
        cpu.translate_after = None
    start = time.perf_counter()
    exit = cpu.run(request["steps"])
    seconds = time.perf_counter() - start
    return {"implementation": sys.implementation.name, "exit": repr(exit), "seconds": seconds,
            "state": architected_state(cpu)}


if __name__ == "__main__":
    json.dump(run_image(json.load(sys.stdin)), sys.stdout)
