"""Emit templates (``@instruction(..., emit=)``) against their semantics, and translate.py
against naming instructions: one source per instruction."""
from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from gdbstub.vcpu import translate as translate_module
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.isa import decode
from gdbstub.vcpu.isa.table import registered
from gdbstub.vcpu.memory import Memory
from gdbstub.boards.standalone import register_state

ENCODINGS = list(registered())
TEMPLATED = {encoding.name: (word, encoding) for word, encoding in ENCODINGS if encoding.emit is not None}
VARIANTS = 60
CODE = 0x1000
DATA = 0x8000
BRANCH_TO_SELF = 0x48000000


def _random_word(rng: random.Random, word: int, encoding) -> int:
    """``word`` (the entry's opcodes) with random other bits; SPR moves name LR, CTR or a
    time-base half half the time, as only those have inline code."""
    fixed = 0xFC000000 | (encoding.form.xo_mask or 0) << 1            # the opcode bits
    word = word & fixed | rng.getrandbits(32) & ~fixed
    if encoding.form.name == "XFX" and rng.random() < 0.5:
        spr = rng.choice((8, 9, 268, 269))
        word = word & ~(0x3FF << 11) | (spr & 31) << 16 | (spr >> 5) << 11
    return word


def _machine(rng: random.Random, word: int) -> Cpu:
    cpu = Cpu(Memory(0x10000))
    cpu.write_memory(CODE, word.to_bytes(4, "big") + BRANCH_TO_SELF.to_bytes(4, "big"))
    cpu.write_memory(DATA, bytes(rng.getrandbits(8) for _ in range(256)))
    values = (0, 1, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, DATA, DATA + 1, DATA + 2, CODE)
    cpu.gpr = [rng.choice(values) if rng.random() < 0.6 else rng.getrandbits(32) for _ in range(32)]
    cpu.cr, cpu.lr = rng.getrandbits(32), rng.getrandbits(32)
    cpu.ctr = rng.choice((0, 1, 2, rng.getrandbits(32)))
    cpu.xer = rng.getrandbits(32) & 0xE000007F
    cpu.pc = CODE
    return cpu


def _interpreted_and_translated(word: int, seed: int, gprs: dict[int, int] | None = None):
    """Two like machines at ``word`` (GPRs from ``seed``, then ``gprs``): one interpreting, one
    with the block there translated (returned too), short enough to run in 2 steps."""
    reference, translated = _machine(random.Random(seed), word), _machine(random.Random(seed), word)
    for cpu in (reference, translated):
        for number, value in (gprs or {}).items():
            cpu.gpr[number] = value
    reference.translate_after, translated.translate_after = None, 0
    block = translated.hot_block(CODE)
    assert block.run is not None and block.length <= 2
    return reference, translated, block


@pytest.mark.parametrize("name", sorted(TEMPLATED))
def test_an_emit_template_does_what_its_semantics_do(name):
    """The instruction, then a branch, as a translated block and interpreted: the same exit
    and the same state (registers, memory, instruction count). Every template must inline
    its instruction for some operands (not only hand it to its semantics)."""
    word, encoding = TEMPLATED[name]
    rng = random.Random(name)
    inlined = 0
    for _ in range(VARIANTS):
        variant = _random_word(rng, word, encoding)
        if decode(variant)[0] is not encoding.semantics:
            continue                                   # an invalid form: no template involved
        reference, translated, block = _interpreted_and_translated(variant, rng.getrandbits(32))
        calls = []
        scope = block.run.__globals__            # F0, if there, is the call of the semantics
        if "F0" in scope:
            semantics = scope["F0"]
            scope["F0"] = lambda *args: calls.append(args) or semantics(*args)
        assert translated.run(2) == reference.run(2), f"{variant:#010x}"
        inlined += not calls
        assert register_state(translated) == register_state(reference), f"{variant:#010x}"
        assert bytes(translated.memory.ram) == bytes(reference.memory.ram), f"{variant:#010x}"
    assert inlined


# Dividend and divisor: by zero, INT_MIN / -1 (both undefined: the dividend, as QEMU), and each
# combination of signs (the signed quotient rounds towards zero).
DIVISIONS = [(7, 0), (0x80000000, 0xFFFFFFFF), (0x80000000, 0), (0xFFFFFFF9, 2), (7, 0xFFFFFFFE),
             (0xFFFFFFF9, 0xFFFFFFFE), (0xFFFFFFFF, 1), (0, 5), (0xFFFFFFFF, 0x10)]


@pytest.mark.parametrize("xo", [491, 459], ids=["divw", "divwu"])
@pytest.mark.parametrize("rc", [0, 1])
def test_the_divide_templates_at_their_edges(xo, rc):
    word = 31 << 26 | 3 << 21 | 4 << 16 | 5 << 11 | xo << 1 | rc        # rt 3, ra 4, rb 5, OE 0
    for dividend, divisor in DIVISIONS:
        reference, translated, _ = _interpreted_and_translated(word, 0, {4: dividend, 5: divisor})
        assert translated.run(2) == reference.run(2)
        assert register_state(translated) == register_state(reference), (dividend, divisor)


def _string_constants(path: Path) -> set[str]:
    """Every string literal in the module, f-string pieces included."""
    return {node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_translate_names_no_instruction():
    """The translator is generic over the table: no mnemonic appears in it as a string."""
    names = {encoding.name for _, encoding in ENCODINGS}
    assert not _string_constants(Path(translate_module.__file__)) & names


def test_the_mnemonic_scan_finds_a_named_instruction(tmp_path):
    """The scan above sees literals in plain strings and f-strings alike."""
    module = tmp_path / "named.py"
    module.write_text('TABLE = {"lwz": 1}\nline = f"{1}" + "stw"\n')
    assert {"lwz", "stw"} <= _string_constants(module)
