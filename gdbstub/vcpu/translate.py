"""Block translation: straight-line guest code compiled into one Python function.

``translate(fetch, pc, debug, namespace)`` decodes instructions from ``pc`` up to an
unconditional branch or ``MAX_BLOCK`` instructions (a conditional branch leaves the block when
taken; translation goes on with the fall-through path) and emits Python source for them, which
``compile()`` turns into a function ``block(cpu, left)``. Common integer instructions,
loads/stores and branches get inline code; every other instruction (whatever family registered
it) is a call of its semantics function with its decoded fields, so the block stays generic
over the instruction table. A branch back to the block's own start loops inside the function
while ``left`` allows.

The block keeps the interpreter's contract exactly:

* ``cpu.icount`` and ``cpu.cr`` are exact whenever a semantics function runs (the time base
  reads the count), and on every exit; ``cpu.pc`` is set to each called instruction's own
  address. In between, a compare's CR field lives in a local that branches test directly.
* Any exception leaves with ``cpu.pc`` on the instruction that raised and ``cpu.icount``
  counting the instructions before it: the run loop then finishes it as the interpreter would
  (interrupt entry with SRR0, halt, host exit, DebugEvent with the access undone).
* Debug decisions are taken here, from ``debug`` (a ``DebugKey``): no block contains an
  armed IAC address (the run loop interprets that instruction with the comparators), and
  inline loads/stores call ``cpu.check_dac`` when the access may overlap an armed DAC
  address. IC single-stepping never runs blocks.
* A store to a line holding translated code drops the affected blocks (``cpu.forget_code``)
  and ends the block after the store; after a called instruction, ``cpu.code_or_debug_changed``
  (set by icbi, stores to code, debug register writes) ends it too.

Only portable Python is generated (no bytecode tricks), so it runs on PyPy as well.
"""
from __future__ import annotations

import re
import struct
from typing import Callable, NamedTuple

from .isa import lookup
from .isa.integer import rotate_mask

MAX_BLOCK = 16   # longer superblocks compiled slower and ran no faster (docs/performance.md)
M32 = 0xFFFFFFFF
_SPR_LR, _SPR_CTR = 8, 9

_HALF, _WORD = struct.Struct(">H"), struct.Struct(">I")


class DebugKey(NamedTuple):
    """What translated code depends on: armed IAC addresses and DAC read/write addresses."""
    iac: frozenset = frozenset()
    dac_read: tuple = ()
    dac_write: tuple = ()


NO_DEBUG = DebugKey()


class Block(NamedTuple):
    """A translated block: ``run(cpu, left)`` executes at most ``length`` instructions per pass
    and loops only while ``left`` has room for another full pass."""
    run: Callable | None
    length: int
    end: int          # address after the last instruction


INTERPRET = Block(None, 0, 0)
"""Entry for an address the interpreter must execute (armed IAC, not RAM, not aligned)."""


def _signed(expr: str) -> str:
    return f"((({expr}) ^ 0x80000000) - 0x80000000)"


def _signed_sized(expr: str, size: int) -> str:
    sign = 1 << (8 * size - 1)
    return f"((({expr}) ^ {sign:#x}) - {sign:#x}) & 0xFFFFFFFF"


def _record(result: str) -> list[str]:
    """CR0 of an Rc=1 instruction: LT/GT/EQ of the signed result, and XER[SO]."""
    return [f"cpu.cr = cpu.cr & 0x0FFFFFFF | ((8 if {result} & 0x80000000 else 4 if {result} else 2)"
            f" | cpu.xer >> 31) << 28"]


def _carry(condition: str) -> list[str]:
    return [f"cpu.xer = (cpu.xer | 0x20000000) if {condition} else (cpu.xer & 0xDFFFFFFF)"]


def _compare(field: int, a: str, b: str) -> list[str]:
    """The CR field goes to the local ``f<field>``; the block writes it to ``cpu.cr`` later."""
    lines = [f"a = {a}"]
    if not b.lstrip("-").isdigit():
        lines.append(f"b = {b}")
        b = "b"
    return lines + [f"f{field} = (8 if a < {b} else 4 if a > {b} else 2) | cpu.xer >> 31", f"{_CR_SET} {field}"]


# --- integer instructions: name -> emitter(fields) -> source lines, or None to call --------------

# XO-form add family: RT = a + b + carry in, and whether XER[CA] is recorded.
_ADDS = {
    "add": ("A", "B", "", False), "addc": ("A", "B", "", True), "adde": ("A", "B", "CA", True),
    "addme": ("A", "ONES", "CA", True), "addze": ("A", "", "CA", True), "subf": ("NA", "B", "1", False),
    "subfc": ("NA", "B", "1", True), "subfe": ("NA", "B", "CA", True), "subfme": ("NA", "ONES", "CA", True),
    "subfze": ("NA", "", "CA", True), "neg": ("NA", "", "1", False),
}
_LOGICAL = {
    "and": "s & b", "andc": "s & ~b", "or": "s | b", "orc": "s | ~b", "xor": "s ^ b",
    "nand": "~(s & b)", "nor": "~(s | b)", "eqv": "~(s ^ b)",
    "extsb": "((s & 0xFF) ^ 0x80) - 0x80", "extsh": "((s & 0xFFFF) ^ 0x8000) - 0x8000",
    "cntlzw": "32 - s.bit_length()",
    "slw": "0 if b & 0x20 else s << (b & 0x1F)", "srw": "0 if b & 0x20 else s >> (b & 0x1F)",
}
_S, _B = re.compile(r"\bs\b"), re.compile(r"\bb\b")
_LOGICAL_IMMEDIATE = {"ori": ("|", 0), "oris": ("|", 16), "xori": ("^", 0), "xoris": ("^", 16),
                      "andi.": ("&", 0), "andis.": ("&", 16)}


def _result(reg: int, expr: str, rc) -> list[str]:
    """``g[reg] = expr``, and CR0 from it when ``rc``."""
    if not rc:
        return [f"g[{reg}] = {expr}"]
    return [f"g[{reg}] = r = {expr}"] + _record("r")


def _add(name, rt, ra, rb, oe, rc):
    if oe:
        return None
    operands = {"A": f"g[{ra}]", "NA": f"(~g[{ra}] & 0xFFFFFFFF)", "B": f"g[{rb}]", "ONES": "0xFFFFFFFF",
                "CA": "(cpu.xer >> 29 & 1)", "1": "1"}
    *terms, record_carry = _ADDS[name]
    total = " + ".join(operands[t] for t in terms if t)
    if not record_carry:
        return _result(rt, f"({total}) & 0xFFFFFFFF", rc)
    return [f"t = {total}"] + _carry("t > 0xFFFFFFFF") + _result(rt, "t & 0xFFFFFFFF", rc)


def _logical(name, rs, ra, rb, rc):
    if name == "or" and rs == rb:
        return _result(ra, f"g[{rs}]", rc)
    expr = _LOGICAL[name]
    if len(_S.findall(expr)) == 1 and len(_B.findall(expr)) <= 1:       # operands used once: inline
        inline = _B.sub(f"g[{rb}]", _S.sub(f"g[{rs}]", expr))
        return _result(ra, f"({inline}) & 0xFFFFFFFF", rc)
    return [f"s = g[{rs}]", f"b = g[{rb}]"] + _result(ra, f"({expr}) & 0xFFFFFFFF", rc)


def _logical_immediate(name, rs, ra, ui):
    op, shift = _LOGICAL_IMMEDIATE[name]
    if ui == 0 and rs == ra and op != "&":
        return []                       # nop (ori 0,0,0) and the like
    return _result(ra, f"g[{rs}] {op} {ui << shift:#x}", name.endswith("."))


def _addi(name, rt, ra, si):
    value = si << 16 if name == "addis" else si
    if ra == 0:
        return [f"g[{rt}] = {value & M32:#x}"]
    return [f"g[{rt}] = (g[{ra}] + {value}) & 0xFFFFFFFF"]


def _rotate(rs, sh, mask):
    """``rotl32(g[rs], sh) & mask``; a shift alone when the mask keeps only one side."""
    if sh == 0:
        return f"g[{rs}] & {mask:#x}"
    if not mask & ((1 << sh) - 1):
        return f"(g[{rs}] << {sh}) & {mask:#x}"
    if not mask >> sh:
        return f"(g[{rs}] >> {32 - sh}) & {mask:#x}"
    return f"((g[{rs}] << {sh}) | (g[{rs}] >> {32 - sh})) & {mask:#x}"


def _rlwinm(name, rs, ra, sh, mb, me, rc):
    return _result(ra, _rotate(rs, sh, rotate_mask(mb, me)), rc)


def _rlwimi(name, rs, ra, sh, mb, me, rc):
    mask = rotate_mask(mb, me)
    return _result(ra, f"({_rotate(rs, sh, mask)}) | (g[{ra}] & {~mask & M32:#x})", rc)


def _srawi(name, rs, ra, sh, rc):
    lines = [f"v = g[{rs}]", f"s = {_signed('v')}"]
    return lines + _carry(f"s < 0 and v & {(1 << sh) - 1:#x}") + _result(ra, f"(s >> {sh}) & 0xFFFFFFFF", rc)


def _multiply(name, rt, ra, rb, oe, rc):
    if oe:
        return None
    # the low word of a product does not depend on the operands' signedness
    product = f"g[{ra}] * g[{rb}]" if name == "mullw" else f"(g[{ra}] * g[{rb}]) >> 32"
    return _result(rt, f"({product}) & 0xFFFFFFFF", rc)


def _mulli(name, rt, ra, si):
    return [f"g[{rt}] = (g[{ra}] * {si}) & 0xFFFFFFFF"]


def _cmp(name, bf_l, ra, rb, rc):
    """Signed compares compare the operands with their sign bits flipped."""
    if name == "cmp":
        return _compare(bf_l >> 2, f"g[{ra}] ^ 0x80000000", f"g[{rb}] ^ 0x80000000")
    return _compare(bf_l >> 2, f"g[{ra}]", f"g[{rb}]")


def _cmp_immediate(name, bf_l, ra, imm):
    if name == "cmpi":
        return _compare(bf_l >> 2, f"g[{ra}] ^ 0x80000000", str(imm + 0x80000000))
    return _compare(bf_l >> 2, f"g[{ra}]", str(imm))


def _move_spr(name, reg, spr, rc):
    attribute = {_SPR_LR: "lr", _SPR_CTR: "ctr"}.get(spr)
    if attribute is None or (rc and name == "mfspr"):   # mfspr. is illegal: left to its semantics
        return None
    return [f"g[{reg}] = cpu.{attribute}"] if name == "mfspr" else [f"cpu.{attribute} = g[{reg}]"]


_INTEGER = {
    **dict.fromkeys(_ADDS, _add), **dict.fromkeys(_LOGICAL, _logical),
    **dict.fromkeys(_LOGICAL_IMMEDIATE, _logical_immediate), "addi": _addi, "addis": _addi,
    "rlwinm": _rlwinm, "rlwimi": _rlwimi, "srawi": _srawi, "mullw": _multiply, "mulhwu": _multiply,
    "mulli": _mulli, "cmp": _cmp, "cmpl": _cmp, "cmpi": _cmp_immediate, "cmpli": _cmp_immediate,
    "mfspr": _move_spr, "mtspr": _move_spr,
}

# --- loads and stores: name -> (size, is a store, sign-extends) -------------------------------------

_ACCESSES = {"lbz": (1, False, False), "lhz": (2, False, False), "lha": (2, False, True),
             "lwz": (4, False, False), "stb": (1, True, False), "sth": (2, True, False),
             "stw": (4, True, False)}
_ACCESS_FORMS = {name + suffix: (name, suffix) for name in _ACCESSES for suffix in ("", "u", "x", "ux")}

_CR_SET = "@cr-set"       # a compare's field is in its local
_CR_FLUSH = "@cr-flush"   # write pending fields here (on this path only)


class _Emitter:
    """Source lines of one block being built."""

    def __init__(self, start: int, debug: DebugKey):
        self.start = start
        self.debug = debug
        self.lines: list[str] = []
        self.synced = 0            # instructions already added to cpu.icount at this point
        self.deltas: dict[int, int] = {}   # instruction that may raise -> icount it still lacks
        self.pending_at: dict[int, set[int]] = {}   # ... -> CR fields cpu.cr still lacks
        self.constants: dict[str, object] = {}
        self.loops = False
        self.compared: set[int] = set()    # CR fields whose f<field> local is current here
        self.pending: set[int] = set()     # of those, the ones cpu.cr does not hold yet

    def may_raise(self, index: int) -> None:
        """Mark instruction ``index``: an exception from here on leaves it at this address."""
        self.emit([f"n = {index}"])
        self.deltas[index] = index - self.synced
        self.pending_at[index] = set(self.pending)

    def emit(self, lines, indent: int = 0) -> None:
        """Append lines; compares leave their CR field pending in a local, and ``cpu.cr`` gets
        it at exits (``@cr-flush``), before other CR writers and calls, and on exceptions."""
        for line in lines:
            pad = "    " * indent + line[:len(line) - len(line.lstrip())]
            if line.startswith(_CR_SET):
                field = int(line.split()[1])
                self.compared.add(field)
                self.pending.add(field)
                continue
            if line.strip() == _CR_FLUSH:
                self.lines.extend(pad + write for write in self.cr_writes(self.pending))
                continue
            if "cpu.cr =" in line:
                self.flush_cr(pad)
                self.compared.clear()
            self.lines.append("    " * indent + line)

    @staticmethod
    def cr_writes(fields) -> list[str]:
        """The statement that writes the locals of ``fields`` into ``cpu.cr``, if any."""
        if not fields:
            return []
        keep = M32 & ~sum(0xF << (28 - 4 * field) for field in fields)
        return [f"cpu.cr = cpu.cr & {keep:#x}" + "".join(f" | f{f} << {28 - 4 * f}" for f in sorted(fields))]

    def flush_cr(self, pad: str = "") -> None:
        """Write the pending CR fields on this path (unconditional code only)."""
        self.lines.extend(pad + write for write in self.cr_writes(self.pending))
        self.pending.clear()

    def exit_lines(self, index: int, pc_expr: str) -> list[str]:
        """Leave after instruction ``index`` completed, continuing at ``pc_expr``."""
        lines = [_CR_FLUSH]
        if index + 1 - self.synced:
            lines.append(f"cpu.icount += {index + 1 - self.synced}")
        return lines + [f"cpu.pc = {pc_expr}", "return"]

    def sync(self, index: int) -> None:
        """Bring ``cpu.icount`` up to the start of instruction ``index``."""
        if index - self.synced:
            self.emit([f"cpu.icount += {index - self.synced}"])
            self.synced = index

    # --- one instruction ----------------------------------------------------------------
    def call(self, index: int, pc: int, semantics: Callable, args: tuple) -> None:
        """An instruction without inline code: its semantics function, with the fields."""
        name = f"F{index}"
        self.constants[name] = semantics
        self.sync(index)
        self.flush_cr()
        self.may_raise(index)
        self.compared.clear()
        self.emit([f"cpu.pc = {pc:#x}", f"r = {name}(cpu{''.join(f', {a!r}' for a in args)})",
                   "if r is not None or cpu.code_or_debug_changed:"])
        self.emit(["cpu.code_or_debug_changed = False", "cpu.icount += 1",
                   f"cpu.pc = {pc + 4:#x} if r is None else r", "return"], 1)

    def access(self, index: int, pc: int, name: str, fields: tuple) -> bool:
        """Inline load/store; False when the form is invalid (the semantics raise)."""
        base, suffix = _ACCESS_FORMS[name]
        size, store, signed = _ACCESSES[base]
        reg, ra, disp = fields[0], fields[1], fields[2]
        update = "u" in suffix
        if update and (ra == 0 or (not store and ra == reg)):
            return False
        offset = f"g[{disp}]" if "x" in suffix else str(disp)
        lines = [f"ea = ({f'g[{ra}] + ' if ra else ''}{offset}) & 0xFFFFFFFF"]
        addresses = self.debug.dac_write if store else self.debug.dac_read
        if addresses:
            near = " or ".join(f"{a - size} < ea <= {a}" for a in addresses)
            lines += [f"if {near}:", f"    cpu.check_dac(ea, {size}, {store})"]
        lines.append(f"if ea <= ram_last_{size}:")
        if store:
            value = f"g[{reg}]"
            if size == 1:
                body = [f"ram[ea] = {value} & 0xFF"]
            else:
                body = [f"pack{size}(ram, ea, {value}{' & 0xFFFF' if size == 2 else ''})"]
            body += [f"g[{ra}] = ea"] if update else []
            body += [f"if code_lines[ea >> 6] and cpu.forget_code(ea, {size}):"]
            body += ["    " + line for line in self.exit_lines(index, f"{pc + 4:#x}")]
            lines += ["    " + line for line in body]
            lines += ["else:", f"    cpu.store(ea, {size}, {value})"] + ([f"    g[{ra}] = ea"] if update else [])
        else:
            fast, slow = "ram[ea]" if size == 1 else f"unpack{size}(ram, ea)[0]", f"cpu.load(ea, {size})"
            if signed:
                fast, slow = _signed_sized(fast, size), _signed_sized(slow, size)
            lines += [f"    g[{reg}] = {fast}", "else:", f"    g[{reg}] = {slow}"]
            lines += [f"g[{ra}] = ea"] if update else []
        self.may_raise(index)
        self.emit(lines)
        return True

    def branch(self, index: int, pc: int, name: str, fields: tuple) -> bool | None:
        """Inline b/bc/bclr/bcctr: True when it ends the block (always taken), False when
        translation goes on with the not-taken path, None for an invalid bcctr."""
        if name == "b":
            offset, aa, lk = fields
            conditions, target = [], f"{(offset if aa else pc + offset) & M32:#x}"
        else:
            bo, bi = fields[0], fields[1]
            lk = fields[-1]
            if name == "bcctr" and not bo & 4:
                return None
            lines = []
            if name == "bc":
                target = f"{(fields[2] if fields[3] else pc + fields[2]) & M32:#x}"
            else:
                lines.append(f"target = cpu.{'lr' if name == 'bclr' else 'ctr'} & 0xFFFFFFFC")
                target = "target"
            conditions = []
            if not bo & 4:
                lines.append("cpu.ctr = c = (cpu.ctr - 1) & 0xFFFFFFFF")
                conditions.append("c == 0" if bo & 2 else "c != 0")
            if not bo & 0x10:
                fused = bi >> 2 in self.compared
                bit = f"f{bi >> 2} & {8 >> (bi & 3)}" if fused else f"cpu.cr >> {31 - bi} & 1"
                conditions.append(bit if bo & 8 else f"not {bit}")
            self.emit(lines)
        if lk:
            self.emit([f"cpu.lr = {pc + 4:#x}"])
        if target == f"{self.start:#x}":
            self.loops = True
            taken = [_CR_FLUSH, f"cpu.icount += {index + 1 - self.synced}", f"left -= {index + 1}",
                     "if left >= length:", "    continue", f"cpu.pc = {self.start:#x}", "return"]
        else:
            taken = self.exit_lines(index, target)
        if not conditions:
            self.emit(taken)
            return True
        self.emit([f"if {' and '.join(conditions)}:"])
        self.emit(taken, 1)
        return False

    def source(self, length: int) -> str:
        """The function's text: the lines inside ``try`` (and a loop), the exception handler."""
        indent = "    " * (3 if self.loops else 2)
        head = ["def block(cpu, left):", "    g = cpu.gpr", "    n = 0", f"    length = {length}", "    try:"]
        if self.loops:
            head.append("        while True:")
        deltas = tuple(self.deltas.get(i, 0) for i in range(max(self.deltas, default=0) + 1))
        tail = ["    except BaseException:"]
        for index, fields in self.pending_at.items():
            if fields:
                tail += [f"        if n == {index}:"] + ["            " + w for w in self.cr_writes(fields)]
        tail += [f"        cpu.icount += {deltas!r}[n]",
                f"        cpu.pc = {self.start:#x} + 4 * n", "        raise"]
        return "\n".join(head + [indent + line for line in self.lines] + tail) + "\n"


_BRANCHES = {"b", "bc", "bclr", "bcctr"}


def translate(fetch: Callable, start: int, debug: DebugKey, namespace: dict) -> Block:
    """The block at ``start``. ``fetch(addr)`` gives ``(word, semantics, args)`` or None where
    nothing can be fetched; ``namespace`` holds the memory names the code uses (``ram``,
    ``code_lines``, ``ram_last_1/2/4``)."""
    if start in debug.iac or fetch(start) is None:
        return INTERPRET
    emitter = _Emitter(start, debug)
    addr, index, ended, branched = start, 0, False, False
    while not ended and index < MAX_BLOCK and not (index and addr in debug.iac):
        fetched = fetch(addr)
        if fetched is None:
            break
        word, semantics, args = fetched
        encoding = lookup(word)
        known = encoding is not None and encoding.semantics is semantics
        name = encoding.name if known else None
        if name in _INTEGER and (lines := _INTEGER[name](name, *args)) is not None:
            emitter.emit(lines)
        elif name in _ACCESS_FORMS and emitter.access(index, addr, name, args):
            pass
        elif name in _BRANCHES and (taken := emitter.branch(index, addr, name, args)) is not None:
            ended = branched = taken
        else:
            emitter.call(index, addr, semantics, args)
            ended = not known       # an illegal word or the debug instruction
        addr += 4
        index += 1
    if not branched:
        emitter.emit(emitter.exit_lines(index - 1, f"{addr:#x}"))
    scope = {**namespace, **emitter.constants, "pack2": _HALF.pack_into, "pack4": _WORD.pack_into,
             "unpack2": _HALF.unpack_from, "unpack4": _WORD.unpack_from}
    exec(compile(emitter.source(index), f"<block {start:#010x}>", "exec"), scope)
    return Block(scope["block"], index, addr)
