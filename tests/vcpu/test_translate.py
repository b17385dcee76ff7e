"""Translated blocks against the reference interpreter: same state after every run() slice,
same exits, same debug stops, and coherence when code changes under a translated block."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from gdbstub.guests.build import build_guest
from gdbstub.machine import THREAD, Machine
from gdbstub.session import Z_POINT_KINDS
from gdbstub.vcpu import booke
from gdbstub.vcpu import cpu as cpu_module
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.stops import Halted
from gdbstub.vcpu.memory import Memory
from gdbstub.boards.standalone import register_state
from gdbstub.vcpu.translate import COMPUTED_TARGETS, translate

from .conftest import TEST_RAM, load, snippet_elf

ROOT = Path(__file__).resolve().parents[2]
DIFFTEST_GUESTS = ROOT / "tests" / "difftest" / "guests"
BENCH_GUEST = ROOT / "benchmarks" / "guests" / "bench.c"


def state(cpu: Cpu) -> dict:
    """Everything architected, plus the instruction count and memory."""
    return {**register_state(cpu), "ram": bytes(cpu.memory.ram)}


def same_state(translated: Cpu, reference: Cpu) -> bool:
    """``state(translated) == state(reference)``, told cheaply (a board's RAM is 64 MiB, whose
    difference pytest would spend minutes rendering): registers listed, RAM hashed."""
    assert register_state(translated) == register_state(reference)
    return hashlib.sha256(translated.memory.ram).digest() == hashlib.sha256(reference.memory.ram).digest()


def pair(make):
    """Two vCPUs from ``make()``: the interpreter only, and translating from the first visit."""
    reference, translated = make(), make()
    reference.translate_after = None
    translated.translate_after = 0
    return reference, translated


def run_lockstep(reference: Cpu, translated: Cpu, slice_steps: int, max_slices: int = 100_000):
    """run(slice_steps) on both until an exit; equal state after every slice. The exit."""
    for _ in range(max_slices):
        expected, got = reference.run(slice_steps), translated.run(slice_steps)
        assert got == expected
        assert state(translated) == state(reference)
        if expected is not None:
            return expected
    raise AssertionError("no exit")


def _elf_cpu(elf):
    return lambda: load(elf).cpu


def _board_pair(elf, board: str):
    """``pair`` of vCPUs loaded with ``elf`` on the ``bare`` board or on ``ppce500`` (MMU on)."""
    from gdbstub.boards import ppce500

    def make():
        return load(elf).cpu if board == "bare" else Machine(elf, board=ppce500.build).cpu
    return pair(make)


def _in_step(reference: Cpu, translated: Cpu, slices: int, steps: int) -> None:
    """``slices`` runs of ``steps`` on both, with the same outcome and state after each."""
    for _ in range(slices):
        assert translated.run(steps) == reference.run(steps)
        assert same_state(translated, reference)


C_GUESTS = ["arith64", "bits", "bytes", "recursion", "float"]
ASM_GUESTS = ["branches", "carry", "crops", "fpcorner", "interrupts", "invalidforms", "memops", "muldiv", "rotate"]


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
@pytest.mark.parametrize("program", C_GUESTS)
def test_c_guests_match_the_interpreter(program, opt):
    elf = build_guest([DIFFTEST_GUESTS / "support.c", DIFFTEST_GUESTS / f"{program}.c"], opt=opt,
                      name=f"{program}{opt}")
    exit = run_lockstep(*pair(_elf_cpu(elf)), slice_steps=997)
    assert isinstance(exit, Halted)


@pytest.mark.parametrize("program", ASM_GUESTS)
def test_asm_guests_match_the_interpreter(program, monkeypatch):
    """Slices longer than the 64 instructions the interpreter runs before it looks for a block
    (with 61, found in review, these short guests never ran a translated block)."""
    translated_blocks = []

    def counted(*args, **options):
        block = translate(*args, **options)
        translated_blocks.extend([block] if block.run is not None else [])
        return block
    monkeypatch.setattr(cpu_module, "translate", counted)
    elf = build_guest([DIFFTEST_GUESTS / f"{program}.S"], name=program)
    run_lockstep(*pair(_elf_cpu(elf)), slice_steps=97)
    assert translated_blocks


def test_bench_guest_matches_the_interpreter_in_odd_slices():
    run_lockstep(*pair(_elf_cpu(build_guest([BENCH_GUEST], name="bench"))), slice_steps=1013)


def test_a_full_block_cache_is_flushed_and_refilled(monkeypatch):
    monkeypatch.setattr(cpu_module, "_MAX_BLOCKS", 3)
    reference, translated = pair(_elf_cpu(build_guest([BENCH_GUEST], name="bench")))
    run_lockstep(reference, translated, slice_steps=997)
    assert len(translated.code.blocks) <= 3


# --- debug points through the KVM-style controller -----------------------------------------------


def _stops(translate_after, points, resumes=8):
    """Continue to each stop, then step off it with the points removed, as gdb does."""
    machine = Machine(build_guest([BENCH_GUEST], name="bench"), ram_size=TEST_RAM)
    machine.cpu.translate_after = translate_after
    symbols = machine.elf.symbols
    machine.write_memory(THREAD, symbols["rounds"], (3).to_bytes(4, "big"))
    stops = []
    for _ in range(resumes):
        for step in (False, True):
            for z_type, symbol in points:
                (machine.remove_point if step else machine.insert_point)(Z_POINT_KINDS[z_type], symbols[symbol], 4)
            machine.resume(THREAD, step=step)
            stops.append((machine.run(1 << 40), machine.cpu.pc, machine.cpu.icount, list(machine.cpu.gpr)))
    return stops


@pytest.mark.parametrize("points", [
    [(1, "checkpoint")],
    [(2, "result")],
    [(3, "result"), (1, "never_a")],
    [(4, "result"), (0, "checkpoint"), (1, "main")],
    [(0, "checkpoint")],
])
def test_debug_stops_match_the_interpreter(points):
    assert _stops(0, points) == _stops(None, points)


def test_guest_owned_comparators_on_bare_hardware_match():
    """host None: the guest's own IAC/DAC set DBSR[IDE] (MSR[DE]=0) and execution goes on."""
    def make():
        loaded = load(build_guest([BENCH_GUEST], name="bench"))
        cpu, symbols = loaded.cpu, loaded.symbols
        regs = cpu.guest_debug_regs
        regs.iac[0], regs.dac[0] = symbols["checkpoint"], symbols["result"]
        regs.dbcr0 = booke.DBCR0_IDM | booke.DBCR0_IAC[0] | booke.DBCR0_DACW[0]
        cpu.debug_registers_changed()
        return cpu
    run_lockstep(*pair(make), slice_steps=5000)


class RecordingHost:
    """A debug host that notes every event and lets the guest go on."""

    def __init__(self):
        self.events = []

    def on_debug_event(self, cpu, bits):
        self.events.append((cpu.pc, cpu.icount, bits))

    def on_debug_instruction(self, cpu):
        self.events.append((cpu.pc, cpu.icount, "debug instruction"))

    def on_guest_debug_write(self, cpu):
        pass


@pytest.mark.parametrize("comparators", [
    [("iac", 0, "checkpoint", 0)],
    [("dacw", 0, "result", 3)],                               # a word store covers it from below
    [("dacr", 0, "crc_table", 5), ("dacw", 1, "keys", 6)],    # byte and word accesses, both slots
    [("iac", 1, "checkpoint", 0), ("dacr", 1, "buffer", 100), ("dacw", 0, "composite", 7)],
])
@pytest.mark.parametrize("translate_after", [0, 2])
def test_every_comparator_event_matches_the_interpreter(comparators, translate_after):
    """Same events (PC, instruction count, DBSR bits) on the same instructions, IAC before
    execution and DAC before the access, with blocks translated at once or once hot."""
    enables = {"iac": booke.DBCR0_IAC, "dacr": booke.DBCR0_DACR, "dacw": booke.DBCR0_DACW}
    elf = build_guest([BENCH_GUEST], name="bench")

    def make():
        loaded = load(elf)
        cpu, regs = loaded.cpu, loaded.cpu.active_debug
        cpu.write_memory(loaded.symbols["rounds"], (3).to_bytes(4, "big"))
        cpu.host = RecordingHost()
        regs.dbcr0 = booke.DBCR0_IDM
        for kind, slot, symbol, offset in comparators:
            (regs.iac if kind == "iac" else regs.dac)[slot] = loaded.symbols[symbol] + offset
            regs.dbcr0 |= enables[kind][slot]
        return cpu
    reference, translated = pair(make)
    translated.translate_after = translate_after
    run_lockstep(reference, translated, slice_steps=4000)
    assert translated.host.events == reference.host.events and len(reference.host.events) >= 3


# stmw and lmw move their words inline in a block; a DAC on one of those words must stop them
# before the access, as the interpreter does.
WATCHED_MULTIPLE_WORDS = """
    lis     9, buffer@ha
    addi    9, 9, buffer@l
    li      6, 0
loop:
    addi    28, 6, 1
    addi    29, 6, 2
    addi    30, 6, 3
    addi    31, 6, 4
    stmw    28, 0(9)
    lmw     24, 0(9)
    addi    6, 6, 1
    cmpwi   6, 200
    bne     loop
    b       done
    .balign 16
buffer:
    .space  64
"""


@pytest.mark.parametrize("watched", [[("dacw", 0, 8)], [("dacr", 1, 28), ("dacw", 0, 12)]])
def test_a_dac_on_the_words_of_stmw_and_lmw_stops_them_in_a_block(watched):
    enables = {"dacr": booke.DBCR0_DACR, "dacw": booke.DBCR0_DACW}
    elf = snippet_elf(WATCHED_MULTIPLE_WORDS, "translate-watched-multiple-words")

    def make():
        loaded = load(elf)
        cpu, regs = loaded.cpu, loaded.cpu.active_debug
        cpu.host = RecordingHost()
        regs.dbcr0 = booke.DBCR0_IDM
        for kind, slot, offset in watched:
            regs.dac[slot] = loaded.symbols["buffer"] + offset
            regs.dbcr0 |= enables[kind][slot]
        return cpu
    reference, translated = pair(make)
    run_lockstep(reference, translated, slice_steps=500)
    assert translated.host.events == reference.host.events
    assert len(reference.host.events) == 200 * len(watched)


GUEST_ARMS_IC = """
    lis     10, _start@h
    mtspr   63, 10              /* IVPR */
    li      11, dbg_handler - _start
    mtspr   415, 11             /* IVOR15 */
    mfmsr   14
    ori     14, 14, 0x200       /* MSR[DE] */
    mtmsr   14
    lis     13, 0x4800          /* DBCR0 = IDM | IC */
    li      3, 0
    li      20, 0
    mtspr   308, 13             /* the Debug interrupt comes after the next instruction */
    addi    3, 3, 1
second:
    addi    3, 3, 1
    addi    3, 3, 1
    b       done
    .balign 16
dbg_handler:
    mfspr   20, 574             /* DSRR0: where the interrupt came */
    li      15, 0
    mtspr   308, 15
    mfspr   16, 304
    mtspr   304, 16
    rfdi
"""


def test_guest_arming_single_step_in_a_block_gets_its_debug_interrupt_at_once():
    elf = snippet_elf(GUEST_ARMS_IC, "translate-ic")
    reference, translated = pair(lambda: load(elf).cpu)
    run_lockstep(reference, translated, slice_steps=1000)
    assert translated.gpr[20] == load(elf).symbols["second"] and translated.gpr[3] == 3


# --- blocks that follow branches -------------------------------------------------------------------

# A loop calling a leaf function in another 4 KiB page: the loop's block follows ``bl`` into it
# and its ``blr`` back. On every other pass the leaf returns one instruction further (it adds
# r10, 0 or 4, to LR), past the ``addi 3, 3, 1``: the block leaves at the test of the return
# address. In pass 200 (after its call) the loop rewrites the leaf's ``addi 3, 3, 2``: the
# loop's block, which holds the leaf's code, must go.
FOLLOWED_CALLS = """
    li      3, 0
    li      4, 300
    mtctr   4
    li      10, 0
    lis     5, patched@ha
    addi    5, 5, patched@l
    lis     6, 0x3863        /* addi 3, 3, 16 */
    ori     6, 6, 16
loop:
    bl      leaf
    addi    3, 3, 1
back:
    xori    10, 10, 4
    mfctr   7
    cmpwi   7, 100
    bne     1f
    stw     6, 0(5)
1:  bdnz    loop
    b       done
    .balign 4096
leaf:
    mflr    9
    add     9, 9, 10
    mtlr    9
patched:
    addi    3, 3, 2
    blr
"""


def _translations(monkeypatch) -> list:
    """Every block the vCPUs translate from now on, in order."""
    blocks = []

    def kept(*args, **options):
        blocks.append(translate(*args, **options))
        return blocks[-1]
    monkeypatch.setattr(cpu_module, "translate", kept)
    return blocks


def test_a_block_follows_calls_and_returns_as_the_interpreter_runs_them(monkeypatch):
    blocks = _translations(monkeypatch)
    elf = snippet_elf(FOLLOWED_CALLS, "translate-follow")
    symbols = load(elf).symbols
    reference, translated = pair(lambda: load(elf).cpu)
    run_lockstep(reference, translated, slice_steps=1000)
    passes, skipped = 300, 150            # every other pass returns past the addi
    patched = 99                          # passes after the leaf was rewritten (ctr 99..1)
    assert translated.gpr[3] == 2 * (passes - patched) + 16 * patched + passes - skipped
    # the loop's block went on into the leaf, in its other page, and back
    followed = [b for b in blocks if b.run is not None and len(b.spans) > 1]
    assert any(first <= symbols["leaf"] < end for b in followed for first, end in b.spans)
    assert sum(1 for b in blocks if b.physical == symbols["loop"]) >= 2   # dropped by the patch, made again


# A loop that calls nothing runs with its registers in locals: the GPRs, CTR, XER (addc, addze)
# and CR, whose field 0 (cmpwi) stays in its local from pass to pass. Its loads walk off the
# end of RAM: the Data Storage interrupt in the middle of a pass must see every register,
# the count and CR0 as the interpreter leaves them.
LOOP_IN_LOCALS = f"""
    lis     9, handler@ha
    addi    9, 9, handler@l
    mtspr   {booke.SPR_IVPR}, 9
    mtspr   {booke.SPR_IVOR0 + booke.IVOR_DATA_STORAGE}, 9
    li      3, -40
    li      6, 0
    li      7, 1000
    mtctr   7
    lis     4, {(TEST_RAM - 64) >> 16:#x}
    ori     4, 4, {(TEST_RAM - 64) & 0xFFFF:#x}
    li      8, -1
    stw     8, 0(4)
    stw     8, 8(4)
loop:
    lwz     5, 0(4)
    addc    3, 3, 5
    addze   6, 6
    addi    4, 4, 4
    cmpwi   3, 0
    bdnz    loop
    b       done
    .balign 16
handler:
    mfcr    10
    mfctr   11
    b       done
"""


def test_a_loop_keeps_its_registers_in_locals_and_gives_them_back_at_an_interrupt(monkeypatch):
    blocks = _translations(monkeypatch)
    elf = snippet_elf(LOOP_IN_LOCALS, "translate-loop-locals")
    loop = load(elf).symbols["loop"]
    reference, translated = pair(lambda: load(elf).cpu)
    run_lockstep(reference, translated, slice_steps=50)
    assert translated.gpr[4] == TEST_RAM and translated.gpr[11] == 1000 - 16   # faulted in pass 17
    assert translated.gpr[6] == 2 and translated.gpr[10] >> 28 == 0b1000      # carries; CR0: -42 < 0
    names = {name for block in blocks if block.physical == loop for name in block.run.__code__.co_varnames}
    assert {"r3", "ctr_", "xer_", "cr_", "left0"} <= names


# mfcr and mtcrf inline between a compare, whose CR field is still in its local, and a branch
# that reads the field mtcrf wrote.
CR_MOVES = """
    li      3, 5
    li      4, 40
    li      9, 64
    mtctr   9
    li      10, 0
loop:
    cmpw    1, 3, 4
    mfcr    5
    xor     6, 5, 3
    mtcrf   0x40, 6
    mfocrf  7, 0x40
    add     10, 10, 7
    addi    3, 3, 1
    isel    11, 3, 4, 6
    add     10, 10, 11
    bdnz    loop
"""


def test_cr_moves_see_the_fields_a_block_keeps_in_locals():
    reference, translated = pair(lambda: load(snippet_elf(CR_MOVES, "translate-cr-moves")).cpu)
    run_lockstep(reference, translated, slice_steps=37)
    assert translated.gpr[10] != 0


def test_once_a_guest_has_made_many_blocks_translating_waits_longer(monkeypatch):
    """A kernel or firmware runs most of its large code a few times each: past LARGE_CODE
    blocks, a branch target needs LATER more arrivals before it is translated."""
    loaded = load(snippet_elf(PING_PONG, "translate-links"))
    cpu, ping, pong = loaded.cpu, loaded.symbols["ping"], loaded.symbols["pong"]
    cpu.translate_after = 0
    assert cpu.hot_block(ping).run is not None           # at once: few blocks made so far
    monkeypatch.setattr(cpu_module, "LARGE_CODE", 1)
    arrivals = [cpu.hot_block(pong).run is not None for _ in range(cpu_module.LATER + 1)]
    assert arrivals == [False] * cpu_module.LATER + [True]


# A loop entered by falling through from code run once (longer than the interpreter's
# budget for one run of cold code): only the interpreter ever sees it.
COLD_LOOP = """
    li      3, 0
    li      4, 300
    mtctr   4
    .rept   70
    addi    7, 7, 1
    .endr
loop:
    addi    3, 3, 1
    xori    5, 3, 7
    add     6, 5, 3
    bdnz    loop
"""


def test_a_loop_in_cold_code_becomes_a_block_at_its_branch_target():
    """The interpreter hands each taken branch back to the run loop, which counts the target
    towards a block: the loop's start is translated after ``translate_after`` passes, and no
    block starts where a run of interpreted instructions merely ran out of budget."""
    loaded = load(snippet_elf(COLD_LOOP, "translate-cold-loop"))
    cpu, loop = loaded.cpu, loaded.symbols["loop"]
    cpu.translate_after = 2
    cpu.run(3 + 70 + 4 * 5)
    assert cpu.code.blocks[loop].run is not None
    assert [pc for pc in cpu.code.blocks if pc != loop] == []
    assert set(cpu.code.heat) == {loop}


# --- code that changes under a translated block ----------------------------------------------------

PATCHING_LOOP = """
    li      3, 0
    li      4, 40
    mtctr   4
    lis     5, patched@ha
    addi    5, 5, patched@l
    lis     6, 0x3863        /* addi 3, 3, 2 */
    ori     6, 6, 2
loop:
patched:
    addi    3, 3, 1
    mfctr   7
    cmpwi   7, 20
    bne     1f
    stw     6, 0(5)          /* rewrites the loop body: a store to translated code */
1:  bdnz    loop
"""


def test_guest_store_to_its_own_translated_code_takes_effect_at_once():
    reference, translated = pair(lambda: load(snippet_elf(PATCHING_LOOP, "translate-patch")).cpu)
    run_lockstep(reference, translated, slice_steps=10_000)
    assert translated.gpr[3] == 21 * 1 + 19 * 2   # ctr 40..20 add 1, then the patched body adds 2


def test_debugger_write_replaces_a_translated_block():
    loaded = load(snippet_elf(PATCHING_LOOP, "translate-patch"))
    cpu, patched = loaded.cpu, loaded.symbols["patched"]
    cpu.translate_after = 0
    cpu.run(30)                                         # the loop is translated and running
    cpu.write_memory(patched, (0x38630000 | 100).to_bytes(4, "big"))   # addi 3, 3, 100
    before = cpu.gpr[3]
    cpu.run(5)                                          # one more pass of the 5-instruction loop
    assert cpu.gpr[3] == before + 100


# A loop that stores a counter into a word that shares its 64-byte line with the loop's code.
DATA_BESIDE_CODE = """
    li      3, 0
    li      4, 5000
    mtctr   4
    lis     5, counter@ha
    addi    5, 5, counter@l
loop:
    addi    3, 3, 1
    stw     3, 0(5)
    bdnz    loop
    b       1f
counter:
    .long   0
1:
"""


def test_a_store_to_data_beside_code_keeps_the_translated_blocks():
    """Regression: such a store dropped every block of the line and ended the running one, so
    the loop was re-translated on each pass (about 1000 times slower)."""
    elf = snippet_elf(DATA_BESIDE_CODE, "translate-data-beside-code")
    reference, translated = pair(lambda: load(elf).cpu)
    assert run_lockstep(reference, translated, slice_steps=50_000) == Halted(5000 & 0xFF)
    loaded = load(elf)
    cpu, loop = loaded.cpu, loaded.symbols["loop"]
    assert loop >> 6 == loaded.symbols["counter"] >> 6          # really the same cache line
    cpu.translate_after = 0
    cpu.run(500)
    block = cpu.code.blocks[loop]
    cpu.run(5000)
    assert cpu.code.blocks[loop] is block                          # still the block first translated
    assert cpu.read_memory(loaded.symbols["counter"], 4) == cpu.gpr[3].to_bytes(4, "big")


def test_the_exit_after_a_store_that_ends_the_block_is_not_linked():
    """A store that changed code or a device (an input pin it raised, say) ends its block with
    no link slot, so that the run loop looks at what changed before the next block runs."""
    cpu = Cpu(Memory(0x10000))
    cpu.write_memory(0x1000, (0x90640000).to_bytes(4, "big") + (0x48000000).to_bytes(4, "big"))  # stw 3,0(4); b .
    cpu.gpr[4] = 0x20000                               # beyond RAM: the store's slow path
    cpu.store_ends_block = lambda ea, size, value: True
    cpu.pc, cpu.translate_after = 0x1000, 0
    block = cpu.hot_block(0x1000)
    assert block.run(cpu, 100) is None
    assert (cpu.pc, cpu.icount) == (0x1004, 1)


def test_icount_is_exact_when_a_called_instruction_reads_the_time_base():
    text = "    li 3, 1\n    li 4, 2\n    add 5, 3, 4\n    mftb 6\n    addi 6, 6, 0\n    mftb 7\n"
    reference, translated = pair(lambda: load(snippet_elf(text, "translate-tb")).cpu)
    run_lockstep(reference, translated, slice_steps=100)
    assert translated.gpr[6] == 3 and translated.gpr[7] == 5


# A loop over the SPR moves blocks inline (LR), with Rc=1: mfspr. is illegal, mtspr. a move (QEMU).
SPR_MOVES_WITH_RC = """
    lis     9, _start@h
    mtspr   63, 9                       # IVPR
    li      9, handler@l
    mtspr   406, 9                      # IVOR6
    li      3, 0x1234
    li      5, 0x5678
    li      4, 50
    mtctr   4
loop:
    mtlr    3
    .long   0x7cc802a7                  # mfspr. 6, LR
    .long   0x7ca803a7                  # mtspr. LR, 5
    mflr    7
    bdnz    loop
    b       done
    .balign 16
handler:
    addi    20, 20, 1
    mfsrr0  21
    addi    21, 21, 4
    mtsrr0  21
    rfi
"""


def test_translated_spr_moves_with_rc_set_match_the_interpreter():
    elf = snippet_elf(SPR_MOVES_WITH_RC, "translate-spr-rc")
    reference, translated = pair(lambda: load(elf).cpu)
    run_lockstep(reference, translated, slice_steps=10_000)
    assert load(elf).symbols["loop"] in translated.code.blocks
    assert (translated.gpr[20], translated.gpr[6], translated.gpr[7]) == (50, 0, 0x5678)


# --- random straight-line code -------------------------------------------------------------------

_CODE_AT = 0x1000
_DATA_AT = 0x8000
_WORDS = st.one_of(
    st.integers(0, 0xFFFFFFFF),
    # D-form integer, logical-immediate, load/store and rotate opcodes with random fields
    st.builds(lambda op, rest: op << 26 | rest,
              st.sampled_from([7, 8, 10, 11, 12, 13, 14, 15, 20, 21, 23, 24, 25, 26, 27, 28, 29,
                               32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45]),
              st.integers(0, (1 << 26) - 1)),
    # X/XO-form opcode 31 with the extended opcodes of the integer and load/store families
    st.builds(lambda xo, fields, rc: 31 << 26 | fields << 11 | xo << 1 | rc,
              st.sampled_from([0, 8, 10, 11, 23, 24, 26, 28, 32, 40, 55, 60, 75, 87, 104, 119, 124, 136, 138,
                               151, 183, 200, 202, 215, 232, 234, 235, 247, 266, 279, 284, 311, 316, 339, 343,
                               375, 407, 412, 439, 444, 459, 467, 476, 491, 536, 792, 824, 922, 954,
                               522, 778, 747, 971, 1003]),
              st.integers(0, (1 << 15) - 1), st.integers(0, 1)),
)


@settings(max_examples=150, deadline=None)
@given(words=st.lists(_WORDS, min_size=1, max_size=40),
       registers=st.lists(st.sampled_from([0, 1, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, _DATA_AT, _DATA_AT + 3])
                          | st.integers(0, 0xFFFFFFFF), min_size=32, max_size=32),
       xer=st.sampled_from([0, 0x20000000, 0xE0000000]), slice_steps=st.integers(1, 50))
def test_random_instruction_sequences_match_the_interpreter(words, registers, xer, slice_steps):
    """Straight-line code from the first instruction on as a translated block (the one at
    ``_CODE_AT``, then those the run loop translates) against the interpreter."""
    code = b"".join(w.to_bytes(4, "big") for w in words) + (0x48000000).to_bytes(4, "big")  # b .

    def make():
        cpu = Cpu(Memory(0x10000))
        cpu.write_memory(_CODE_AT, code)
        cpu.write_memory(_DATA_AT, bytes(range(256)) * 4)
        cpu.gpr[:] = registers
        cpu.xer, cpu.pc, cpu.lr, cpu.ctr = xer, _CODE_AT, _CODE_AT + 8, 3
        return cpu
    reference, translated = pair(make)
    translated.hot_block(_CODE_AT)     # a run would start by interpreting: begin in a block
    for _ in range(3):
        expected, got = reference.run(slice_steps), translated.run(slice_steps)
        assert got == expected
        assert state(translated) == state(reference)
        if expected is not None:
            break


def test_a_full_decode_cache_starts_over(monkeypatch):
    """Host memory stays bounded however much code the guest runs (each decoded word is ~200 B)."""
    monkeypatch.setattr(cpu_module, "_MAX_DECODED", 64)
    reference, translated = pair(_elf_cpu(build_guest([BENCH_GUEST], name="bench")))
    run_lockstep(reference, translated, slice_steps=997)
    assert len(translated.code.decoded) <= 64


# --- links between blocks (an exit's slot leads straight to the next block) ---------------------

# Two blocks that branch to each other with conditional branches to constant targets (a block
# follows an unconditional one), so each exit gets linked.
PING_PONG = """
    li      3, 0
    li      4, 3000
    mtctr   4
    b       ping
    .balign 64
ping:
    addi    3, 3, 1
    cmpwi   3, 0
    bne     pong
    .balign 64
pong:
patched:
    addi    3, 3, 1
    bdnz    ping
"""


def test_a_debugger_write_reaches_a_linked_block():
    loaded = load(snippet_elf(PING_PONG, "translate-links"))
    cpu, patched = loaded.cpu, loaded.symbols["patched"]
    cpu.translate_after = 0
    cpu.run(600)                                         # ping and pong translated and linked
    assert cpu.code.links
    cpu.write_memory(patched, (0x38630000 | 100).to_bytes(4, "big"))   # addi 3, 3, 100
    before = cpu.gpr[3]
    cpu.run(50)                                          # ten more passes
    assert cpu.gpr[3] == before + 10 * 101


def test_a_breakpoint_on_a_linked_block_stops_there():
    machine = Machine(snippet_elf(PING_PONG, "translate-links"), ram_size=TEST_RAM)
    machine.cpu.translate_after = 0
    assert machine.run(600) is None
    assert machine.cpu.code.links
    pong = machine.elf.symbols["pong"]
    machine.insert_point(Z_POINT_KINDS[1], pong, 4)
    machine.resume(THREAD, step=False)
    machine.run(1000)
    assert machine.cpu.pc == pong


# A function returned to from six places, more than a computed exit keeps slots for: each
# call comes after eight instructions of its block, so that it is not followed and ``f``'s
# ``blr`` is an exit of its own.
RETURNS = """
    li      3, 0
    li      4, 40
    mtctr   4
loop:
    .rept   8
    addi    5, 5, 1
    .endr
    bl      f
r0:
    addi    3, 3, 1
    .rept   8
    addi    5, 5, 1
    .endr
    bl      f
r1:
    addi    3, 3, 2
    .rept   8
    addi    5, 5, 1
    .endr
    bl      f
r2:
    addi    3, 3, 3
    .rept   8
    addi    5, 5, 1
    .endr
    bl      f
r3:
    addi    3, 3, 4
    .rept   8
    addi    5, 5, 1
    .endr
    bl      f
r4:
    addi    3, 3, 5
    .rept   8
    addi    5, 5, 1
    .endr
    bl      f
r5:
    addi    3, 3, 6
    bdnz    loop
    b       finish
f:
    addi    3, 3, 1000
    blr
finish:
"""


@pytest.mark.parametrize("board", ["bare", "ppce500"])
def test_a_return_is_linked_to_the_callers_it_goes_back_to(board):
    elf = snippet_elf(RETURNS, "translate-returns")
    reference, translated = _board_pair(elf, board)
    _in_step(reference, translated, slices=12, steps=400)
    assert translated.gpr[3] == reference.gpr[3] > 40 * 6 * 1000
    symbols = load(elf).symbols
    linked = {id(slot[0]) for slot in translated.code.links}
    returned_to = [k for k in range(6) if id(translated.code.blocks[symbols[f"r{k}"]].run) in linked]
    assert len(returned_to) == COMPUTED_TARGETS       # the first ones; the others go on unlinked


def _tlb0_maps(page: str, onto: str) -> str:
    """Assembly writing a TLB0 entry (way 0, valid, 4 KiB, supervisor RWX) that maps the page
    of symbol ``page`` onto that of ``onto``."""
    return f"""    li      8, 0
    mtspr   {0x270}, 8
    lis     8, 0x8000
    ori     8, 8, 0x100
    mtspr   {0x271}, 8
    lis     8, {page}@ha
    addi    8, 8, {page}@l
    mtspr   {0x272}, 8
    lis     8, {onto}@ha
    addi    8, 8, {onto}@l
    ori     8, 8, 0x3f
    mtspr   {0x273}, 8
    li      8, 0
    mtspr   {0x3b0}, 8
    tlbwe
"""


# Under the MMU a link out of its block's page is taken only while the target's page maps where
# it did when linked: the page a constant branch goes to may be mapped elsewhere by the time
# the branch is taken again. Here a TLB0 entry written half-way
# maps ``target``'s page onto ``other``'s, which adds 100 instead of 1.
REMAPPED_TARGET = f"""
    li      3, 0
    li      6, 0
loop:
    b       target
back:
    addi    6, 6, 1
    cmpwi   6, 500
    bne     1f
{_tlb0_maps('target', 'other')}    isync
1:
    cmpwi   6, 1000
    bne     loop
    b       finish
    .balign 4096
target:
    addi    3, 3, 1
    ba      back
    .balign 4096
other:
    addi    3, 3, 100
    ba      back
finish:
"""


def test_under_the_mmu_a_link_into_a_remapped_page_is_not_taken():
    reference, translated = _board_pair(snippet_elf(REMAPPED_TARGET, "translate-remapped-target"), "ppce500")
    assert not translated.addressing.identity
    _in_step(reference, translated, slices=20, steps=500)
    assert translated.gpr[3] == 500 * 1 + 500 * 100


# A TLB0 entry that maps the page being executed onto another one, written by the code in it
# on its second pass: the next instruction comes from the new mapping (``other`` has a nop
# where the old page has the isync, and adds 100 where it adds 1), although the old page's
# instructions there are decoded already. The interpreter, which steps from one instruction
# to the next of a page without translating its PC again, must see that.
REMAPPED_CURRENT_PAGE = f"""
    b       page
    .balign 4096
page:
    li      3, 0
    li      6, 0
loop:
    cmpwi   6, 1
    bne     synced
{_tlb0_maps('page', 'other')}synced:
    isync
    addi    3, 3, 1
    addi    6, 6, 1
    b       loop
    .balign 4096
other:
    .rept   (synced - page) / 4
    nop
    .endr
    nop
    addi    3, 3, 100
    ba      finish
finish:
    b       finish
"""


def test_the_instruction_after_a_remap_of_its_own_page_comes_from_the_new_page():
    reference, translated = _board_pair(snippet_elf(REMAPPED_CURRENT_PAGE, "translate-remapped-page"), "ppce500")
    _in_step(reference, translated, slices=4, steps=16)
    assert reference.gpr[3] == translated.gpr[3] == 1 + 100


# Under the MMU a block reads and writes the RAM of a large TLB1 entry (here the board's boot
# mapping) through its window, without a page lookup. Half-way, a TLB0 entry maps ``data``'s page
# onto ``other``'s (TLB0 is searched first): the window must give way, also after a miss on
# another page of the entry (``fresh``), which must not open it again over the TLB0 page.
REMAPPED_DATA = f"""
    li      3, 0
    li      6, 0
loop:
    lis     9, more@ha
    lwz     10, more@l(9)
    add     3, 3, 10
    lis     9, data@ha
    lwz     10, data@l(9)
    add     3, 3, 10
    stw     6, data@l+4(9)
    addi    6, 6, 1
    cmpwi   6, 500
    bne     1f
{_tlb0_maps('data', 'other')}    isync
    lis     9, fresh@ha
    lwz     10, fresh@l(9)
1:
    cmpwi   6, 1000
    bne     loop
    b       finish
    .balign 4096
data:
    .long   1, 0
    .balign 4096
other:
    .long   100, 0
    .balign 4096
more:
    .long   0
    .balign 4096
fresh:
    .long   0
finish:
"""


def test_under_the_mmu_a_tlb0_entry_over_a_window_takes_its_page_from_it():
    elf = snippet_elf(REMAPPED_DATA, "translate-remapped-data")
    reference, translated = _board_pair(elf, "ppce500")
    _in_step(reference, translated, slices=30, steps=500)
    assert translated.gpr[3] == 500 * 1 + 500 * 100
    symbols = load(elf).symbols
    assert [translated.memory.read(symbols[name] + 4, 4) for name in ("data", "other")] == [499, 999]
    assert translated.addressing.windows[1][0] > translated.addressing.windows[1][1]   # none: TLB0 overlaps


# A delay loop's kind of code: the time base (running: HID0[TBEN]) read in a loop, after a few
# instructions of the same block, by mftb and by mfspr, into a sum that depends on each read.
TIME_BASE_READS = """
    lis     3, 0x4000@h
    ori     3, 3, 0x4000@l
    mtspr   1008, 3
    li      4, 300
    mtctr   4
loop:
    addi    5, 5, 1
    addi    5, 5, 1
    mftb    6
    add     8, 8, 6
    addi    5, 5, 1
    mfspr   7, 269
    mfspr   6, 268
    add     8, 8, 6
    add     8, 8, 7
    bdnz    loop
"""


@pytest.mark.parametrize("board", ["bare", "ppce500"])
def test_time_base_reads_match_the_interpreter(board):
    reference, translated = _board_pair(snippet_elf(TIME_BASE_READS, "translate-time-base"), board)
    _in_step(reference, translated, slices=10, steps=313)
    assert translated.gpr[8] == reference.gpr[8] > 300 * 300


# lmw/stmw walking through a buffer 44 bytes a pass, so that some cross a page boundary (one
# struct call inline; by the semantics function where the words leave the page or RAM).
MULTIPLE_WORDS = """
    lis     3, buffer@ha
    addi    3, 3, buffer@l
    li      4, 300
    mtctr   4
loop:
    addi    25, 25, 7
    mullw   31, 25, 25
    stmw    20, 0(3)
    lmw     22, 4(3)
    addi    3, 3, 44
    bdnz    loop
    b       finish
    .balign 4096
buffer:
    .space  16384
finish:
"""


# dcbz walking through a buffer a line a pass (the line just written, and the line of code
# ``victim`` at the end, which ran translated before it is zeroed into illegal words).
ZEROED_LINES = """
    lis     3, buffer@ha
    addi    3, 3, buffer@l
    li      4, 0x5a
    li      5, 200
    mtctr   5
loop:
    stw     4, 0(3)
    stw     4, 60(3)
    stw     4, 64(3)
    dcbz    0, 3
    lwz     6, 60(3)
    lwz     7, 64(3)
    add     8, 8, 6
    add     9, 9, 7
    bl      victim
    addi    3, 3, 64
    bdnz    loop
    lis     3, victim@ha
    addi    3, 3, victim@l
    dcbz    0, 3
    bl      victim
    b       finish
    .balign 64
victim:
    addi    10, 10, 1
    blr
    .balign 4096
buffer:
    .space  16384
finish:
"""


@pytest.mark.parametrize("board", ["bare", "ppce500"])
def test_zeroed_lines_match_the_interpreter(board):
    elf = snippet_elf(ZEROED_LINES, "translate-zeroed-lines")
    reference, translated = _board_pair(elf, board)
    outcome = run_lockstep(reference, translated, slice_steps=173)
    assert "illegal instruction" in outcome.reason, outcome
    assert translated.gpr[8] == 0 and translated.gpr[9] == 200 * 0x5a and translated.gpr[10] == 200


@pytest.mark.parametrize("board", ["bare", "ppce500"])
def test_multiple_word_accesses_match_the_interpreter(board):
    elf = snippet_elf(MULTIPLE_WORDS, "translate-multiple-words")
    reference, translated = _board_pair(elf, board)
    _in_step(reference, translated, slices=10, steps=300)
    assert translated.icount == reference.icount > 1800
