"""Block translation: straight-line guest code compiled into one Python function.

``translate(fetch, pc, debug, namespace)`` decodes instructions from ``pc`` for up to
``MAX_BLOCK`` instructions and emits Python source for them, which ``compile()`` turns into a
function ``block(cpu, left)``. A conditional branch leaves the block when taken; translation
goes on with the fall-through path. While the block is short, an unconditional branch to a
known address is followed (real code ends most of its runs of straight-line code with ``b`` or
``bl``), and so is a ``blr`` back to a call the block followed, behind a test that LR still
holds that return address; any other unconditional branch ends the block. This module names
no instruction: an instruction whose table entry has an emit template (``isa/``,
``@instruction(..., emit=)``) gets the inline code its template writes through the
``_Emitter`` methods below; every other one is a call of its semantics function with its
decoded fields. A branch back to the block's own start loops inside the function while
``left`` allows; such a loop that calls nothing (a call ends it before) keeps the registers it
uses in locals, the CR fields it compares in theirs from pass to pass, and its count in
``left``, and gives them back when it leaves.

The block keeps the interpreter's contract exactly:

* ``cpu.icount`` and ``cpu.cr`` are exact whenever a semantics function runs (the time base
  reads the count), and on every exit; ``cpu.pc`` is set to each called instruction's own
  address. In between, a compare's CR field lives in a local that branches test directly.
* Any exception leaves with ``cpu.pc`` on the instruction that raised and ``cpu.icount``
  counting the instructions before it: the run loop then finishes it as the interpreter would
  (interrupt entry with SRR0, halt, host exit, DebugEvent with the access undone).
* Debug decisions are taken here, from ``debug`` (a ``DebugKey``): no block contains an
  armed IAC address (the run loop interprets that instruction with the comparators), and
  inline loads/stores call ``cpu.check_dac`` when the access may overlap a byte an armed DAC
  watches. IC single-stepping never runs blocks.
* A store to a line holding translated code drops the affected blocks (``cpu.forget_code``)
  and ends the block after the store; after a called instruction, ``cpu.code_or_debug_changed``
  (set by icbi, stores to code, debug register writes) ends it too.

Only portable Python is generated (no bytecode tricks), so it runs on PyPy as well.
"""
from __future__ import annotations

import re
import struct
from typing import Callable, NamedTuple

from .addressing import PAGE_MASK
from .isa import lookup

MAX_BLOCK = 16   # longer superblocks compiled slower and ran no faster (docs/performance.md)
FOLLOW_WITHIN = 8   # a block follows branches while shorter than this (docs/performance.md)
COMPUTED_TARGETS = 4   # link slots an exit to a computed target keeps, one per target
M32 = 0xFFFFFFFF

_HALF, _WORD = struct.Struct(">H"), struct.Struct(">I")
# the block locals ``Addressing.view`` holds: the read and write RAM page caches and windows, the
# mapping's generation
_READ_VIEW, _WRITE_VIEW = "rp, rlo, rl1, rl2, rl4, rd", "wp, wlo, wl1, wl2, wl4, wd"
_VIEWS = {frozenset("rw"): f"{_READ_VIEW}, {_WRITE_VIEW}, gen = addressing.view",
          frozenset("r"): f"{_READ_VIEW}, gen = addressing.read_view",
          frozenset("w"): f"{_WRITE_VIEW}, gen = addressing.write_view", frozenset(): "gen = addressing.generation"}


class DebugKey(NamedTuple):
    """What translated code depends on: armed IAC addresses, and the byte ranges
    ``(first, end)`` the armed DACs watch for reads and for writes."""
    iac: frozenset = frozenset()
    dac_read: tuple = ()
    dac_write: tuple = ()


NO_DEBUG = DebugKey()


class Block(NamedTuple):
    """A translated block: ``run(cpu, left)`` executes at most ``length`` instructions per pass
    and loops only while ``left`` has room for another full pass, and returns the link slot of
    the exit it took (None if that exit has none); it starts at the physical ``physical`` and
    its code is the physical ranges ``spans`` (``(first, end)`` each; more than one where it
    followed a branch)."""
    run: Callable | None
    length: int
    physical: int
    spans: tuple[tuple[int, int], ...]


INTERPRET = Block(None, 0, -1, ())
"""Entry for an address the interpreter must execute (armed IAC, not RAM, not aligned)."""


def _indented(lines) -> list[str]:
    return ["    " + line for line in lines]


def _sign_extended(expr: str, size: int) -> str:
    sign = 1 << (8 * size - 1)
    return f"((({expr}) ^ {sign:#x}) - {sign:#x}) & 0xFFFFFFFF"


_CR_FLUSH = "@cr-flush"   # write pending CR fields here (on this path only)
_CR_FLUSH_UNCARRIED, _CR_FLUSH_CARRIED = "@cr-flush-uncarried", "@cr-flush-carried"   # ... those not / only carried
# A loop's counting, written when the block's text is put together (``_Emitter.source``): at a
# back-edge, the instructions of the pass; where the loop leaves after its last pass, what its
# passes owe. A loop that calls nothing keeps the passes' count in ``left`` (``left0 - left``)
# instead of adding each pass to cpu.icount, and its exits add it.
_PASS, _PASSES = "@pass", "@passes"


class _Emitter:
    """Source lines of one block being built, and the API the emit templates write through.

    A template ``emit(e, *fields)`` runs for one instruction, at address ``e.pc``; the code it
    adds sees ``cpu``, ``g`` (``cpu.gpr``) and may use scratch locals other than the
    framework's (``n``, ``left``, ``length``, ``ea``, ``slot``, ``f0``..``f7``, ``X<k>`` and the
    names ``access`` emits). Its means: ``line`` (statements), ``set_cr_field`` /
    ``cr_bit`` (CR fields kept in locals), ``access`` (the one way to reach memory), ``jump``
    (branches), ``exact_count`` (what reads the time) and ``call`` (give this instance to its
    semantics function after all)."""

    def __init__(self, start: int, debug: DebugKey, paged: bool, carried: frozenset = frozenset()):
        self.start = start
        self.debug = debug
        self.paged = paged
        self.carried = carried     # CR fields a loop keeps in their locals from pass to pass
        self.views: set[str] | None = None   # "r"/"w": the read/write caches the code reads (``_VIEWS``)
        self.lines: list[str] = []
        self.owners: list[int] = []        # the instruction each line belongs to
        self.synced = 0            # instructions already added to cpu.icount at this point
        self.deltas: dict[int, int] = {}   # instruction that may raise -> icount it still lacks
        self.pending_at: dict[int, set[int]] = {}   # ... -> CR fields cpu.cr still lacks
        self.constants: dict[str, object] = {}
        self.links: list[str] = []         # the names of the exits' link slots
        self.loops = False
        self.closed = False        # an unconditional branch ended the block
        self.compared: set[int] = set(carried)   # CR fields whose f<field> local is current here
        self.pending: set[int] = set(carried)    # of those, the ones cpu.cr does not hold yet
        self.back_edges: list[tuple[frozenset, frozenset]] = []   # (pending, compared) at each
        self.calls = False         # a semantics function is called (it reads cpu.gpr, cpu.icount)
        self.addresses: list[int] = []    # of each instruction, in block order
        self.next_pc: int | None = None    # where a followed branch goes on
        self.returns: list[int] = []       # the return addresses of the calls followed
        self.index, self.pc, self._semantics, self._fields = 0, start, None, ()

    def begin(self, index: int, pc: int, semantics: Callable, fields: tuple) -> None:
        """Instruction ``index`` of the block, at ``pc``, is next."""
        self.index, self.pc, self._semantics, self._fields = index, pc, semantics, fields
        self.addresses.append(pc)
        self.next_pc = None

    # --- the template API ---------------------------------------------------------------
    def line(self, *lines: str) -> None:
        """Append statements (leading spaces nest them). Writing ``cpu.cr =`` first stores
        the CR fields pending in locals."""
        self.emit(lines)

    def set_cr_field(self, field: int, value: str) -> None:
        """CR field ``field`` = the 4-bit ``value``, kept in the local ``f<field>`` that later
        branches test; ``cpu.cr`` gets it at exits, calls and before other CR writers."""
        self.emit([f"f{field} = {value}"])
        self.compared.add(field)
        self.pending.add(field)

    def cr_bit(self, bit: int) -> str:
        """An expression, true when CR bit ``bit`` (0 = most significant) is set."""
        if bit >> 2 in self.compared:
            return f"f{bit >> 2} & {8 >> (bit & 3)}"
        return f"cpu.cr >> {31 - bit} & 1"

    def access(self, size: int, ea: str, data: str, *, store: bool, signed: bool = False,
               then: tuple[str, ...] = ()) -> None:
        """A ``size``-byte big-endian access at ``ea`` (a 32-bit expression, kept in the local
        ``ea``): a store of the expression ``data`` (its low bytes), or a load into the target
        ``data`` (sign-extended if ``signed``); ``then`` runs after the access. The only code
        that reaches memory: RAM inline (at ``ea`` itself, or through the RAM page cache of the
        current translation when ``paged``), anything else and the DAC comparators through
        ``cpu``; a store that reaches translated code ends the block."""
        lines = [f"ea = {ea}", *self._dac_check(size, store)]
        if store:
            leave = _indented([*then, *self.exit_lines(self.index, self.pc + 4, linked=False)])
            write = (f"ram[{{}}] = {data} & 0xFF" if size == 1 else
                     f"pack{size}(ram, {{}}, {data}{' & 0xFFFF' if size == 2 else ''})")
            # RAM without code inline; anything else (a device, a line holding code) through cpu
            slow = [f"if cpu.store_ends_block(ea, {size}, {data}):", *leave]
            if self.paged:
                lines += ["try:", f"    if code_lines[(pa := {self._paged_address(size, store)}) >> 6]:",
                          "        raise KeyError", "    " + write.format("pa"), "except KeyError:", *_indented(slow)]
            else:
                lines += [f"if ea <= ram_last_{size} and not code_lines[ea >> 6]:", "    " + write.format("ea"),
                          "el" + slow[0], *slow[1:]]
        else:
            def loaded(read: str) -> str:
                return _sign_extended(read, size) if signed else read
            slow = loaded(f"cpu.load(ea, {size})")
            if self.paged:
                at = self._paged_address(size, store)
                lines += ["try:", f"    {data} = {loaded(f'ram[{at}]' if size == 1 else f'unpack{size}(ram, {at})[0]')}",
                          "except KeyError:", f"    {data} = {slow}"]
            else:
                fast = loaded("ram[ea]" if size == 1 else f"unpack{size}(ram, ea)[0]")
                lines.append(f"{data} = {fast} if ea <= ram_last_{size} else {slow}")
        lines += then
        self.may_raise(self.index)
        self.emit(lines)

    def _paged_address(self, size: int, store: bool) -> str:
        """The physical address of a ``size``-byte access at ``ea`` under the MMU: in the window
        (``Addressing.windows``) its distance added; else through the RAM page cache, which
        raises KeyError for a page it does not hold, and so does the key -1 for an access that
        would cross into the next page (mapped anywhere)."""
        kind = "w" if store else "r"
        self.views_used(kind)
        page = f"ea >> 12 if ea & 0xFFF <= {0x1000 - size} else -1" if size > 1 else "ea >> 12"
        return f"ea + {kind}d if ea <= {kind}l{size} and ea >= {kind}lo else ea + {kind}p[{page}]"

    def _dac_check(self, size: int, store: bool) -> list[str]:
        """The call of ``cpu.check_dac`` for a ``size``-byte access at ``ea`` that may overlap a
        byte an armed DAC watches (which raises DebugEvent for one that does), if any."""
        watched = self.debug.dac_write if store else self.debug.dac_read
        if not watched:
            return []
        near = " or ".join(f"{first - size} < ea < {end}" for first, end in watched)
        return [f"if {near}:", f"    cpu.check_dac(ea, {size}, {store})"]

    def access_words(self, ea: str, first: int, store: bool) -> None:
        """lmw/stmw: registers ``first``..31 from or to the aligned words at ``ea`` (kept in
        ``ea``), one struct call (see ``_access_range``)."""
        words = f"W{32 - first}"
        self.constants[words] = struct.Struct(f">{32 - first}I")
        move = f"{words}.pack_into(ram, {{}}, *g[{first}:])" if store else f"g[{first}:] = {words}.unpack_from(ram, {{}})"
        self._access_range(ea, 4 * (32 - first), store, move, aligned=4)

    def zero_bytes(self, ea: str, size: int) -> None:
        """``size`` zero bytes at ``ea`` (kept in ``ea``; a multiple of ``size``, which divides
        the page): dcbz (see ``_access_range``)."""
        self.constants[f"Z{size}"] = bytes(size)
        self._access_range(ea, size, True, f"ram[{{0}}:{{0}} + {size}] = Z{size}")

    def _access_range(self, ea: str, size: int, store: bool, move: str, aligned: int = 1) -> None:
        """``move`` (a statement, ``{}`` standing for the physical address) inline where the
        ``size`` bytes at ``ea`` lie in one cached RAM page and ``ea`` is a multiple of
        ``aligned``, after the DAC comparators that may match; anything else (an Alignment
        interrupt, a page crossing, a device) is the instruction's semantics function, called."""
        index, pc = self.index, self.pc
        name = f"F{index}"
        self.constants[name] = self._semantics
        self.calls = True
        self.sync(index)              # the call below sees exact icount and CR
        self.flush_cr()
        misaligned = [f"ea & {aligned - 1}"] if aligned > 1 else []
        lines = [f"ea = {ea}"]
        if self.paged:
            cache = "wp" if store else "rp"
            self.views_used(cache[0])
            lines += ["try:", f"    if {' or '.join([f'ea & 0xFFF > {0x1000 - size}', *misaligned])}:", "        raise KeyError",
                      f"    pa = ea + {cache}[ea >> 12]", "except KeyError:"]
            at = "pa"
        else:
            lines.append(f"if {' or '.join([*misaligned, f'ea > ram_last_1 - {size - 1}'])}:")
            at = "ea"
        fields = "".join(f", {a!r}" for a in self._fields)
        leave = _indented(_indented(self.exit_lines(index, pc + 4, linked=False)))
        lines += [f"    cpu.pc = {pc:#x}", f"    {name}(cpu{fields})",
                  "    if cpu.code_or_debug_changed:", "        cpu.code_or_debug_changed = False", *leave,
                  "else:", *_indented(self._dac_check(size, store)), "    " + move.format(at)]
        if store:
            lines += [f"    if (code_lines[{at} >> 6] or code_lines[{at} + {size - 1} >> 6]) and cpu.forget_code({at}, {size}):",
                      *leave]
        self.may_raise(index)
        self.emit(lines)

    def jump(self, target: int | str, conditions: tuple[str, ...] | list[str] = (), *,
             call: bool = False, returns: bool = False) -> None:
        """Branch to ``target`` (an address, or an expression) when all ``conditions`` hold,
        else fall through. Without conditions the block follows an address it may (``call``:
        the branch set LR to its return address) and goes on at the innermost followed call's
        return address for a ``returns`` branch (``target`` is LR), if LR still holds it;
        otherwise it ends here."""
        index = self.index
        if not conditions and isinstance(target, int) and self.may_follow(target):
            if call:
                self.returns.append(self.pc + 4)
            self.next_pc = target
            return
        if not conditions and returns and self.returns and self.may_follow(self.returns[-1]):
            back = self.returns.pop()
            self.emit([f"if {target} != {back:#x}:"])
            self.emit(self.exit_lines(index, target), 1)
            self.next_pc = back
            return
        if target == self.start:
            self.loops = True
            self.back_edges.append((frozenset(self.pending), frozenset(self.compared)))
            taken = [_CR_FLUSH_UNCARRIED, f"{_PASS} {index + 1 - self.synced}", f"left -= {index + 1}",
                     "if left >= length:", "    continue", _CR_FLUSH_CARRIED, _PASSES,
                     f"cpu.pc = {self.start:#x}", "return"]
        else:
            taken = self.exit_lines(index, target)
        if not conditions:
            self.emit(taken)
            self.closed = True
            return
        self.emit([f"if {' and '.join(conditions)}:"])
        self.emit(taken, 1)

    def exact_count(self) -> str:
        """An expression, the instruction count before this instruction as the interpreter
        has it (``cpu.icount`` brought up to date here; the block then keeps no loop in locals,
        which counts in ``left``)."""
        self.calls = True
        self.sync(self.index)
        return "cpu.icount"

    def call(self) -> None:
        """The instruction as a call of its semantics function, with its fields."""
        index, pc = self.index, self.pc
        name = f"F{index}"
        self.constants[name] = self._semantics
        self.calls = True
        self.sync(index)
        self.flush_cr()
        self.may_raise(index)
        self.compared.clear()
        self.emit([f"cpu.pc = {pc:#x}", f"r = {name}(cpu{''.join(f', {a!r}' for a in self._fields)})",
                   "if r is not None or cpu.code_or_debug_changed:"])
        self.emit(["cpu.code_or_debug_changed = False", "cpu.icount += 1",
                   f"cpu.pc = {pc + 4:#x} if r is None else r", "return"], 1)

    # --- bookkeeping --------------------------------------------------------------------
    def may_follow(self, target: int) -> bool:
        """Whether the block goes on at ``target``: while it is short (in a long one, following
        mostly adds code that runs rarely, which costs its compile for a dispatch it seldom
        saves), to code it does not hold yet (it would unroll a loop, or ``b .``), and under
        the MMU within the start's page (whose one translation covers the whole block)."""
        return (self.index + 1 < FOLLOW_WITHIN and target not in self.addresses
                and not (self.paged and (target ^ self.start) & ~PAGE_MASK))

    def may_raise(self, index: int) -> None:
        """Mark instruction ``index`` as one that may raise: what the handler must complete."""
        self.deltas[index] = index - self.synced
        self.pending_at[index] = set(self.pending)

    def emit(self, lines, indent: int = 0) -> None:
        """Append lines; pending CR fields go to ``cpu.cr`` at exits (``@cr-flush``) and
        before another CR writer."""
        for line in lines:
            pad = "    " * indent + line[:len(line) - len(line.lstrip())]
            flushed = self._flushed(line.strip())
            if flushed is not None:
                self._append(pad + write for write in self.cr_writes(flushed))
                continue
            if "cpu.cr =" in line:
                self.flush_cr(pad)
                self.compared.clear()
            self._append(["    " * indent + line])

    def _flushed(self, statement: str) -> set[int] | None:
        """The CR fields a flush marker writes here, None if ``statement`` is not one."""
        if statement == _CR_FLUSH:
            return self.pending
        if statement == _CR_FLUSH_UNCARRIED:
            return self.pending - self.carried
        if statement == _CR_FLUSH_CARRIED:
            return self.pending & self.carried
        return None

    def _append(self, lines) -> None:
        for line in lines:
            self.lines.append(line)
            self.owners.append(self.index)

    @staticmethod
    def cr_writes(fields) -> list[str]:
        """The statement that writes the locals of ``fields`` into ``cpu.cr``, if any."""
        return [f"cpu.cr = {_merged(fields)}"] if fields else []

    def cr_value(self) -> str:
        """An expression, the whole CR here (with the fields pending in locals)."""
        return f"({_merged(self.pending)})" if self.pending else "cpu.cr"

    def flush_cr(self, pad: str = "") -> None:
        """Write the pending CR fields on this path (unconditional code only)."""
        self._append(pad + write for write in self.cr_writes(self.pending))
        self.pending.clear()

    def exit_lines(self, index: int, target: int | str, linked: bool = True) -> list[str]:
        """Leave after instruction ``index`` completed, continuing at ``target`` (an address, or
        an expression). The exit returns its link slot, ``[run, length, generation]`` of the
        block there, filled by the run loop the first time (``CodeCache.link``), so that it runs
        next without a lookup (``CodeCache.unlink`` empties the slots when blocks go); an
        expression's exit keeps a slot per value it took (``_slot_for``). When ``paged``, an
        exit out of the start's page (whose translation the run loop checked) returns a filled
        slot only while the mapping is the one it was linked in (its ``generation``). An
        exit that is not ``linked`` (to an address, after a store or a call that changed code, a
        device or what the run loop looks at) returns None: the run loop looks first."""
        lines = [_CR_FLUSH]
        if index + 1 - self.synced:
            lines.append(f"cpu.icount += {index + 1 - self.synced}")
        if not linked:
            return lines + [f"cpu.pc = {target:#x}", "return"]
        name = f"X{len(self.links)}"
        self.links.append(name)
        if isinstance(target, str):
            self.constants[name] = {}
            lines += [f"cpu.pc = {target}", f"slot = {name}.get({target}) or slot_for({name}, {target})"]
            if self.paged:
                return lines + [f"return slot if slot is None or {self._still_mapped('slot')} else None"]
            return lines + ["return slot"]
        lines.append(f"cpu.pc = {target:#x}")
        self.constants[name] = [None, 0, None]
        if self.paged and (target ^ self.start) & ~PAGE_MASK:
            return lines + [f"return {name} if {self._still_mapped(name)} else None"]
        return lines + [f"return {name}"]

    def _still_mapped(self, slot: str) -> str:
        """A condition: the link slot ``slot`` may be taken, the mapping (``gen``) being the one
        it was linked in, or the slot is still empty (the run loop then fills it)."""
        self.views_used()
        return f"{slot}[2] == gen or {slot}[0] is None"

    def views_used(self, *kinds: str) -> None:
        """The code reads the mapping's generation, and the RAM caches and windows of ``kinds``
        ("r", "w") of ``Addressing``: the block's head unpacks them."""
        self.views = {*(self.views or ()), *kinds}

    def sync(self, index: int) -> None:
        """Bring ``cpu.icount`` up to the start of instruction ``index``."""
        if index - self.synced:
            self.emit([f"cpu.icount += {index - self.synced}"])
            self.synced = index

    def loop_carried(self) -> frozenset:
        """For a block that loops and calls nothing: the CR fields pending at its back-edges,
        which a second pass may keep in their locals round the loop (if every back-edge has
        them current); empty for any other block."""
        if not self.loops or self.calls:
            return frozenset()
        carried = frozenset().union(*(pending for pending, _ in self.back_edges))
        return carried if all(carried <= compared for _, compared in self.back_edges) else frozenset()

    def source(self, length: int) -> str:
        """The function's text: the lines inside ``try`` (and a loop), the exception handler.
        The handler finds the instruction that raised by the line it was on (``LN``), so that
        the code keeps no instruction index as it goes; ``D`` and ``A`` give that instruction's
        missing count and its address. A loop that calls nothing keeps the registers it uses
        in locals (and its ``carried`` CR fields in theirs) and its count in ``left``."""
        in_locals = self.loops and not self.calls
        body = list(zip(self.lines, self.owners))   # (line, instruction), within the try (and loop)
        if self.loops:
            dropped = _PASS if in_locals else _PASSES
            body = [(_counted(line, in_locals), owner) for line, owner in body if line.split()[:1] != [dropped]]
        head = ["def block(cpu, left):", "    g = cpu.gpr", *([f"    length = {length}"] if self.loops else [])]
        if self.views is not None:
            head.append("    " + _VIEWS[frozenset(self.views)])
        stores, after = [], []    # after: the lines following the loop, within the try
        if in_locals:
            body, loads, stores = _state_in_locals(body)
            head += ["    left0 = left", *(f"    f{f} = cpu.cr >> {28 - 4 * f} & 0xF" for f in sorted(self.carried)),
                     *("    " + load for load in loads)]
            after = [*stores, "return out"]
        head.append("    try:")
        if self.loops:
            head.append("        while True:")
        indent = "    " * (3 if self.loops else 2)
        text = [indent + line for line, _ in body] + ["        " + line for line in after]
        self.constants["LN"] = (0,) * (len(head) + 1) + tuple(owner for _, owner in body)   # by line number, from 1
        self.constants["D"] = tuple(self.deltas.get(i, 0) for i in range(length))
        self.constants["A"] = tuple(self.addresses)
        tail = ["    except BaseException as x:", *("        " + line for line in stores),
                "        n = LN[x.__traceback__.tb_lineno]"]
        for index, fields in self.pending_at.items():
            if fields:
                tail += [f"        if n == {index}:"] + ["            " + w for w in self.cr_writes(fields)]
        tail += [f"        cpu.icount += {'left0 - left + ' if in_locals else ''}D[n]", "        cpu.pc = A[n]",
                 "        raise"]
        return "\n".join(head + text + tail) + "\n"


def _slot_for(slots: dict, target: int) -> list | None:
    """A new, empty link slot for a computed exit's ``target``, kept in its ``slots``; None
    once the exit has as many as ``COMPUTED_TARGETS`` (a return from a function called from
    many places goes on unlinked rather than holding a slot per caller)."""
    if len(slots) >= COMPUTED_TARGETS:
        return None
    slot = slots[target] = [None, 0, None]
    return slot


def _merged(fields) -> str:
    """``cpu.cr`` with the locals of ``fields`` in their places."""
    keep = M32 & ~sum(0xF << (28 - 4 * field) for field in fields)
    return f"cpu.cr & {keep:#x}" + "".join(f" | f{f} << {28 - 4 * f}" for f in sorted(fields))


_COUNTED = re.compile(r"^(\s*)cpu\.icount \+= (\d+)$")


def _counted(line: str, in_locals: bool) -> str:
    """A loop's line with its counting written out (the markers of the other way dropped): a
    loop that keeps its passes' count in ``left`` adds it at every exit, and after its last
    pass."""
    statement = line.lstrip()
    pad = line[:len(line) - len(statement)]
    if statement == _PASSES:
        return pad + "cpu.icount += left0 - left"
    if statement.startswith(_PASS):
        return f"{pad}cpu.icount += {statement.split()[1]}"
    return _COUNTED.sub(r"\1cpu.icount += left0 - left + \2", line) if in_locals else line


_REGISTER = re.compile(r"\bg\[(\d+)\]")
_SPR = re.compile(r"\bcpu\.(cr|xer|lr|ctr)\b")


def _state_in_locals(body: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[str], list[str]]:
    """A loop's lines (each with its instruction) with the GPRs as locals (``g[N]`` as
    ``rN``) and CR, XER, LR and CTR too (``cpu.cr`` as ``cr_``), every exit leaving the loop
    with what it returns in ``out``, for one place after the loop that gives the written ones
    back: the lines, the loads that fill the locals on entry, the stores (which the handler
    makes too). Only for code that calls nothing, which would see ``cpu``; code that takes a
    slice of ``g`` keeps the GPRs there."""
    text = "\n".join(line for line, _ in body)
    names = {f"cpu.{spr}": f"{spr}_" for spr in _SPR.findall(text)}
    written = [f"cpu.{spr}" for spr in sorted(set(re.findall(r"\bcpu\.(cr|xer|lr|ctr) =(?!=)", text)))]
    text = _SPR.sub(r"\1_", text)
    if not re.search(r"\bg\[(?!\d+\])", text):
        names.update({f"g[{n}]": f"r{n}" for n in _REGISTER.findall(text)})
        written += [f"g[{n}]" for n in sorted(set(re.findall(r"\bg\[(\d+)\] =(?!=)", text)), key=int)]
        text = _REGISTER.sub(r"r\1", text)
    lines = []
    for line, (_, owner) in zip(text.split("\n"), body):
        statement = line.lstrip()
        if statement == "return" or statement.startswith("return "):
            pad = line[:len(line) - len(statement)]
            lines += [(f"{pad}out = {statement[7:] or 'None'}", owner), (f"{pad}break", owner)]
        else:
            lines.append((line, owner))
    return lines, [f"{names[name]} = {name}" for name in sorted(names)], [f"{name} = {names[name]}" for name in written]


def _emit(fetch: Callable, start: int, physical: int, debug: DebugKey, paged: bool,
          carried: frozenset) -> tuple[_Emitter, int, list[list[int]]]:
    """One pass of translation: the emitter holding the block's lines, its length, its spans."""
    emitter = _Emitter(start, debug, paged, carried)
    addr, index, spans = start, 0, []
    while not emitter.closed and index < MAX_BLOCK and not (index and (addr in debug.iac or (addr ^ start) & ~PAGE_MASK and paged)):
        at = physical + addr - start
        fetched = fetch(at)
        if fetched is None:
            break
        word, semantics, args = fetched
        encoding = lookup(word)
        known = encoding is not None and encoding.semantics is semantics
        inline = known and encoding.emit is not None
        if emitter.loops and not inline:
            break               # a loop keeps its registers in locals only if it calls nothing
        if spans and spans[-1][1] == at:
            spans[-1][1] += 4
        else:
            spans.append([at, at + 4])
        emitter.begin(index, addr, semantics, args)
        if inline:
            encoding.emit(emitter, *args)
        else:
            emitter.call()
        addr = addr + 4 if emitter.next_pc is None else emitter.next_pc
        index += 1
        if not known:           # an illegal word or invalid form, or the debug instruction
            break
    if not emitter.closed:
        emitter.emit(emitter.exit_lines(index - 1, addr))
    return emitter, index, spans


def translate(fetch: Callable, start: int, physical: int, debug: DebugKey, namespace: dict,
              paged: bool = False) -> Block:
    """The block at effective ``start``, whose code is at ``physical``. ``fetch(addr)`` gives
    ``(word, semantics, args)`` for the physical ``addr`` or None where nothing can be fetched;
    ``namespace`` holds the memory names the code uses (``ram``, ``code_lines``, ``ram_last_1/2/4``
    and, when ``paged`` (the mapping is not the identity), ``addressing``). Under the MMU a
    block's code lies in its start's 4 KiB page, so that the one translation of its start
    covers all of it."""
    if start in debug.iac or fetch(physical) is None:
        return INTERPRET
    emitter, index, spans = _emit(fetch, start, physical, debug, paged, frozenset())
    carried = emitter.loop_carried()
    if carried:     # once more, with those CR fields in their locals from the loop's start
        emitter, index, spans = _emit(fetch, start, physical, debug, paged, carried)
    source = emitter.source(index)
    scope = {**namespace, **emitter.constants, "slot_for": _slot_for, "pack2": _HALF.pack_into, "pack4": _WORD.pack_into,
             "unpack2": _HALF.unpack_from, "unpack4": _WORD.unpack_from}
    exec(compile(source, f"<block {start:#010x}>", "exec"), scope)
    return Block(scope["block"], index, physical, tuple((first, end) for first, end in spans))
