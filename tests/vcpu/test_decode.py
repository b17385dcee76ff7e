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


def _xo(rt, ra, rb, xo, rc=0, opcode=31):
    return opcode << 26 | rt << 21 | ra << 16 | rb << 11 | xo << 1 | rc


def _spr_move(rt, spr, xo, rc):
    return _xo(rt, spr & 31, spr >> 5, xo, rc)


# invalid forms the table knows (reserved bits set, or fields that make no valid form)
INVALID_FORMS = {
    "mulhwo 3,4,5": _xo(3, 4, 5, 1 << 9 | 75), "mulhwuo. 3,4,5": _xo(3, 4, 5, 1 << 9 | 11, 1),
    "mfspr. 6,LR": _spr_move(6, 8, 339, 1), "mftb. 6": _spr_move(6, 268, 371, 1), "mftb 6,0": _spr_move(6, 0, 371, 0),
    "mfcr. 6": _xo(6, 0, 0, 19, 1), "mfcr 6 with bit 11": _xo(6, 0, 1, 19), "mtcrf. 0xff,4": _xo(4, 15, 30, 144, 1),
    "bcctr with BO=0": _xo(0, 0, 0, 528, opcode=19), "lwzu 3,0(0)": 33 << 26 | 3 << 21,
    "lwzu 3,0(3)": 33 << 26 | 3 << 21 | 3 << 16, "stwu 3,0(0)": 37 << 26 | 3 << 21, "lhzux 3,3,4": _xo(3, 3, 4, 311),
    "fadd with frC": _xo(1, 2, 3, 4 << 5 | 21, opcode=63), "fres with frA": _xo(1, 2, 3, 24, opcode=59),
}
# the same instructions in valid forms next to them
VALID_FORMS = {
    "mulhw. 3,4,5": (_xo(3, 4, 5, 75, 1), "mulhw"), "mtspr. LR,4": (_spr_move(4, 8, 467, 1), "mtspr"),
    "mftb 6,269": (_spr_move(6, 269, 371, 0), "mftb"), "mfocrf 6,0x80": (_xo(6, 1 << 4 | 8, 0, 19), "mfcr"),
    "bcctr with BO=20": (_xo(20, 0, 0, 528, opcode=19), "bcctr"), "lwzu 3,0(4)": (33 << 26 | 3 << 21 | 4 << 16, "lwzu"),
    "stwu 3,0(3)": (37 << 26 | 3 << 21 | 3 << 16, "stwu"), "fmul with frC": (_xo(1, 2, 0, 4 << 5 | 25, opcode=63), "fmul"),
}


@pytest.mark.parametrize("text", sorted(INVALID_FORMS))
def test_invalid_forms_decode_to_illegal(text):
    """The table entry is found, but the word executes as an illegal instruction."""
    word = INVALID_FORMS[text]
    assert lookup(word) is not None
    assert decode(word) == (illegal_instruction, ())


@pytest.mark.parametrize("text", sorted(VALID_FORMS))
def test_valid_forms_beside_them_decode_to_their_entries(text):
    word, name = VALID_FORMS[text]
    encoding = lookup(word)
    assert encoding.name == name
    assert decode(word) == (encoding.semantics, encoding.form.extract(word))


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
