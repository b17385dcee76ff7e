"""Translated blocks under the e500mc MMU give what the interpreter gives, on real firmware:
U-Boot, from reset through its relocation, its first console lines and the exception vectors
it installs, run both ways to the same instruction count, ends in the same state."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from gdbstub.boards import ppce500
from gdbstub.machine import Machine

UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
STEPS = 3_000_000     # past its relocation to the top of RAM and its first console lines

pytestmark = pytest.mark.skipif(not UBOOT.exists() and not os.environ.get("CI"),
                                reason="u-boot-qemu is not installed")


def _run(translate_after):
    out = bytearray()
    machine = Machine(UBOOT, board=ppce500.build, uart_output=out.extend)
    cpu = machine.cpu
    cpu.translate_after = translate_after
    done = 0
    while done < STEPS:
        assert machine.run(min(100_000, STEPS - done)) is None
        done = cpu.icount
    ram = hashlib.sha256(cpu.memory.ram).hexdigest()
    return cpu.save(), ram, bytes(out), len(cpu.code.blocks)


def test_uboot_translated_under_the_mmu_ends_as_interpreted():
    translated, ram, out, blocks = _run(translate_after=2)
    assert blocks > 100                       # the path under test ran
    assert b"U-Boot" in out
    interpreted = _run(translate_after=None)
    assert interpreted[3] == 0
    assert (translated, ram, out) == interpreted[:3]
