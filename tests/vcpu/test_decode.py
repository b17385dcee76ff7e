"""The encoding table: assembled instructions decode to their entries; unknown words are illegal."""
from __future__ import annotations

import pytest

from gdbstub.guests.build import build_asm
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.elf import load_elf
from gdbstub.vcpu.isa import decode, instruction, lookup
from gdbstub.vcpu.isa.forms import X
from gdbstub.vcpu.isa.table import illegal_instruction
from gdbstub.vcpu.memory import Memory

# assembler text -> the table entry it must decode to
SAMPLES = {
    "addo. 3,4,5": "add", "subfco 3,4,5": "subfc", "mulhwu 3,4,5": "mulhwu", "divwuo 3,4,5": "divwu",
    "isel 3,4,5,7": "isel", "rlwimi 3,4,5,6,7": "rlwimi", "srawi. 3,4,5": "srawi", "andis. 3,4,1": "andis.",
    "lhaux 3,4,5": "lhaux", "stbu 3,1(4)": "stbu", "lwbrx 3,4,5": "lwbrx", "stwcx. 3,4,5": "stwcx.",
    "dcbz 4,5": "dcbz", "icbi 4,5": "icbi", "bdnzl 0": "bc", "bctrl": "bcctr", "blr": "bclr",
    "crxor 1,2,3": "crxor", "mcrf 1,2": "mcrf", "rfdi": "rfdi", "rfmci": "rfmci", "mtspr 308,3": "mtspr",
    "mftb 3": "mfspr", ".long 0x7c6c42e6": "mftb", "wrteei 1": "wrteei", "msync": "sync", "lwsync": "sync", "mbar": "mbar",
    "isync": "isync", "twi 4,3,1": "twi", "sc": "sc", "mfocrf 3,0x80": "mfcr", "mcrxr 1": "mcrxr",
}


def test_assembled_instructions_decode_to_their_entries():
    text = "    .globl _start\n_start:\n" + "\n".join(f"    {line}" for line in SAMPLES)
    cpu = Cpu(Memory(4 << 20))
    start = load_elf(build_asm(text, name="vcpu-decode"), cpu).entry
    words = [int.from_bytes(cpu.read_memory(start + 4 * n, 4), "big") for n in range(len(SAMPLES))]
    assert [lookup(word).name for word in words] == list(SAMPLES.values())


@pytest.mark.parametrize("word", [0x00000000, 0x04000000, 0x10000000, 0x7C0007FE, 0x4C000002, 0x00DDDD00])
def test_unknown_words_decode_to_illegal(word):
    assert lookup(word) is None
    assert decode(word) == (illegal_instruction, ())


def test_clashing_registrations_fail():
    with pytest.raises(ValueError):
        instruction("clash", 31, 266, form=X)(lambda cpu, *args: None)   # add's extended opcode
    with pytest.raises(ValueError):
        instruction("clash", 14, form=X)(lambda cpu, *args: None)        # addi's primary opcode


def test_random_words_never_raise_python_exceptions():
    """Whatever the word and register contents, executing it yields a state change or an exit."""
    import random
    rng = random.Random(1234)
    cpu = Cpu(Memory(1 << 20))
    for _ in range(3000):
        word = rng.getrandbits(32)
        cpu.gpr = [rng.choice((0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(20)))
                   for _ in range(32)]
        cpu.xer, cpu.cr, cpu.msr = rng.getrandbits(32) & 0xE000007F, rng.getrandbits(32), rng.choice((0, 0x4000))
        cpu.pc = 0x1000
        cpu.write_memory(0x1000, word.to_bytes(4, "big"))
        cpu.step()
