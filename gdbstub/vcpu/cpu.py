"""The e500mc vCPU: the facade other layers use.

``Cpu`` is the core's architected state (``state.ArchState``: plain attributes, read directly
by instruction semantics and translated code) with its parts beside it: the debug facility
(``debug``), the code caches (``code``), address translation (``addressing``), the bus (``memory``)
and the run loop (``executor.Executor``). See ``docs/architecture.md`` for the contract other
layers rely on.
"""
from __future__ import annotations

import logging
import signal
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ..devices.irq import IrqLine
from . import booke
from .codecache import LINE_MASK, LINE_SHIFT, CodeCache
from .debug import DebugFacility, SavedDebug
from .debugregs import DebugHost, DebugRegs
from .executor import Executor
from .interrupts import DebugEvent, GuestInterrupt, HaltNow, HostStop, illegal
from .isa import decode
from .isa.bits import MASK32
from .memory import BusError, Memory
from .addressing import EFFECTIVE_MASK, PAGE_MASK, PAGE_SIZE, Access, Addressing
from .mmu import Mmu
from .tlb_addressing import TlbAddressing
from .spr import UnknownSpr, ivor_spr, spr_table
from .state import ArchState, SavedState
from .stops import Fault
from .translate import INTERPRET, Block, translate

_READ, _WRITE = int(Access.READ), int(Access.WRITE)   # plain ints index the caches faster
_SIZE_MASK = {1: 0xFF, 2: 0xFFFF, 4: MASK32, 8: (1 << 64) - 1}
# The code caches' bounds: past one, that cache starts over (as QEMU flushes its TBs), so that
# the server's memory stays bounded whatever the guest executes (tests/vcpu/test_memory_bounds.py).
_MAX_BLOCKS = 4096       # translated blocks kept (~7 KB each) per debug key
_MAX_DECODED = 1 << 18   # decoded instructions kept (~260 B each; as many words): past that all code caches start over
_WORDS = struct.Struct(">I")
_MAX_HEAT = 1 << 16      # branch targets counted towards translation (~100 B each)
# Past this many blocks translated, a guest runs code of a large footprint (a kernel, firmware),
# most of which runs a few times each: translating waits LATER more branches there (a block
# costs ~0.5 ms to compile, what interpreting ~400 instructions costs; docs/performance.md).
LARGE_CODE, LATER = 512, 32
_MAX_NOTED_SPRS = 256  # unmodelled-SPR accesses logged (one line per place); later ones are not
_log = logging.getLogger(__name__)

# Interrupt classes: (save/restore registers, MSR bits kept on entry). Base class otherwise.
_BASE_CLASS = (booke.SPR_SRR0, booke.SPR_SRR1, booke.MSR_CE | booke.MSR_ME | booke.MSR_DE)
_INTERRUPT_CLASS = {
    booke.IVOR_CRITICAL: (booke.SPR_CSRR0, booke.SPR_CSRR1, booke.MSR_ME | booke.MSR_DE),
    booke.IVOR_WATCHDOG: (booke.SPR_CSRR0, booke.SPR_CSRR1, booke.MSR_ME | booke.MSR_DE),
    booke.IVOR_MACHINE_CHECK: (booke.SPR_MCSRR0, booke.SPR_MCSRR1, 0),
    booke.IVOR_DEBUG: (booke.SPR_DSRR0, booke.SPR_DSRR1, booke.MSR_ME),
}
_INTERRUPT_NAMES = {
    booke.IVOR_CRITICAL: "critical input", booke.IVOR_MACHINE_CHECK: "machine check",
    booke.IVOR_DATA_STORAGE: "data storage", booke.IVOR_INSN_STORAGE: "instruction storage",
    booke.IVOR_EXTERNAL: "external input", booke.IVOR_ALIGNMENT: "alignment",
    booke.IVOR_PROGRAM: "program", booke.IVOR_FP_UNAVAILABLE: "floating-point unavailable",
    booke.IVOR_SYSCALL: "system call", booke.IVOR_DECREMENTER: "decrementer",
    booke.IVOR_FIT: "fixed-interval timer", booke.IVOR_WATCHDOG: "watchdog",
    booke.IVOR_DTLB_MISS: "data TLB miss", booke.IVOR_ITLB_MISS: "instruction TLB miss",
    booke.IVOR_DEBUG: "debug",
}
_SEGV_INTERRUPTS = {booke.IVOR_MACHINE_CHECK, booke.IVOR_DATA_STORAGE, booke.IVOR_INSN_STORAGE,
                    booke.IVOR_ALIGNMENT, booke.IVOR_DTLB_MISS, booke.IVOR_ITLB_MISS}
_PROGRAM_CAUSES = ((booke.ESR_PIL, "illegal instruction"), (booke.ESR_PPR, "privileged instruction"),
                   (booke.ESR_PTR, "trap"), (booke.ESR_FP, "floating-point enabled exception"),
                   (booke.ESR_PUO, "unimplemented operation"))


def interrupt_name(ivor: int) -> str:
    """The interrupt of IVOR ``ivor`` in words ("system call")."""
    return _INTERRUPT_NAMES.get(ivor, f"IVOR{ivor}")


def _fault(ivor: int, pc: int, esr: int | None, dear: int | None) -> Fault:
    """The outcome for an interrupt the guest has no handler for."""
    esr = esr or 0
    if ivor == booke.IVOR_DEBUG:
        signo = signal.SIGTRAP
    elif ivor in _SEGV_INTERRUPTS:
        signo = signal.SIGSEGV
    elif ivor == booke.IVOR_PROGRAM and esr & booke.ESR_FP:
        signo = signal.SIGFPE
    elif ivor == booke.IVOR_PROGRAM and esr & booke.ESR_PTR:   # as Linux: a trap is SIGTRAP
        signo = signal.SIGTRAP
    else:
        signo = signal.SIGILL
    reason = f"unhandled {interrupt_name(ivor)} interrupt"
    if ivor == booke.IVOR_PROGRAM:
        reason += "".join(f" ({text})" for bit, text in _PROGRAM_CAUSES if esr & bit)
    if dear is not None:
        reason += f" at data address {dear:#010x}"
    return Fault(int(signo), pc, reason)


def _debug_instruction_hit(cpu: Cpu) -> int:
    """Semantics of ``cpu.debug_instruction``: the host's breakpoint, else an illegal word."""
    if cpu.host is None:
        raise illegal()
    stop = cpu.host.on_debug_instruction(cpu)
    cpu.debug_registers_changed()
    if stop is not None:
        raise HostStop(stop)
    return cpu.pc


def _instruction_storage(cpu: Cpu) -> None:
    """Semantics of fetching from an address that is not RAM (or not word aligned)."""
    raise GuestInterrupt(booke.IVOR_INSN_STORAGE, esr=0)


def _raise(cpu: Cpu, interrupt: GuestInterrupt) -> None:
    """Semantics of fetching where translation faulted: that interrupt."""
    raise interrupt


@dataclass(frozen=True)
class SavedCpu:
    """Everything of one vCPU that ``Cpu.restore`` puts back (its caches are not in it)."""
    state: SavedState
    debug: SavedDebug
    inputs: tuple[bool, bool]
    tlb: tuple | None


class Cpu(ArchState):
    """One e500mc core. Registers are plain attributes; ``run()`` executes guest code."""

    @property
    def translate_after(self) -> int | None:
        """How often control must branch to an address with no block before one is translated
        there (0: at once; ``LATER`` more once ``LARGE_CODE`` blocks were made); None runs
        everything with the interpreter. (The executor's: a setting kept on the Cpu would be one
        attribute too many for CPython to keep them inline.)"""
        return self._executor.translate_after

    @translate_after.setter
    def translate_after(self, value: int | None) -> None:
        self._executor.translate_after = value

    def __init__(self, memory: Memory | None = None, *, iac_slots: int = 2, booke_mmu: bool = False,
                 ticks_per_instruction: int | Fraction = 1):
        """``booke_mmu``: translate through the e500mc TLBs (``tlb``, empty at reset) instead of
        the identity; ``ticks_per_instruction``: the time-base rate (``booke_timers``)."""
        super().__init__(ticks_per_instruction)
        self.memory = memory if memory is not None else Memory()
        self.tlb: Mmu | None = Mmu() if booke_mmu else None
        ram_size = self.memory.ram_size
        self.addressing = (Addressing(ram_size) if self.tlb is None
                           else TlbAddressing(self, self.tlb, ram_size, self.translation_context_changed))
        # CPython keeps at most 29 attributes of an instance inline, where reading and writing
        # one is cheapest: everything else a Cpu needs lives elsewhere (test_cpu_state.py)
        self._ram = self.memory.ram
        self.code = CodeCache(ram_size)
        self.code_or_debug_changed = False   # ends a running block after a called instruction
        # the namespace of translated code (``addressing``: set by mapping_changed)
        self.code.namespace.update({"ram": self._ram, "code_lines": self.code.code_lines,
                                    **{f"ram_last_{n}": ram_size - n for n in (1, 2, 4)}})
        self._sprs = spr_table(iac_slots, booke_mmu)
        self.debug = DebugFacility()
        self.external_input = IrqLine("external input")
        self.critical_input = IrqLine("critical input")
        self.external_input.connect(self._input_changed)
        self.critical_input.connect(self._input_changed)
        self._executor = Executor(self)
        self.timers_changed()
        self.mapping_changed()
        self.debug_registers_changed()

    @property
    def iac_slots(self) -> int:
        """The instruction address comparators this core has (2 or 4): those its SPRs name."""
        return sum(booke.SPR_IAC1 + n in self._sprs for n in range(4))

    @property
    def interrupt_acknowledge(self) -> Callable[[], int | None] | None:
        """The interrupt controller's acknowledge (coreint): called on entering the external
        input interrupt; an int it returns is latched in EPR."""
        return self._executor.interrupt_acknowledge

    @interrupt_acknowledge.setter
    def interrupt_acknowledge(self, acknowledge: Callable[[], int | None] | None) -> None:
        self._executor.interrupt_acknowledge = acknowledge

    # --- the debug facility ----------------------------------------------------------------
    @property
    def guest_debug_regs(self) -> DebugRegs:
        """The debug registers the guest reads and writes with mfspr/mtspr."""
        return self.debug.guest_regs

    @property
    def active_debug(self) -> DebugRegs:
        """The registers the comparators use (``guest_debug_regs`` unless a host swaps them)."""
        return self.debug.active

    @active_debug.setter
    def active_debug(self, regs: DebugRegs) -> None:
        self.debug.active = regs
        self.debug_registers_changed()

    @property
    def host(self) -> DebugHost | None:
        """Who the debug facility reports to (None: bare hardware)."""
        return self.debug.host

    @host.setter
    def host(self, host: DebugHost | None) -> None:
        self.debug.host = host

    @property
    def trap_armed(self) -> bool:
        """DBCR0[TRAP] is in effect: a trap that fires is a debug event."""
        return self.debug.trap_armed

    @property
    def debug_instruction(self) -> int:
        """The word that calls ``host.on_debug_instruction`` (ehpriv 1 by default)."""
        return self.debug.instruction

    @debug_instruction.setter
    def debug_instruction(self, word: int) -> None:
        self.debug.instruction = word
        self._forget_all_code()

    def debug_registers_changed(self) -> None:
        """Re-derive the comparator flags; call after changing ``active_debug`` fields directly
        (``run()``/``step()`` also do so on entry). A running block stops after the current
        instruction, and blocks specialised for other comparator addresses are dropped."""
        debug = self.debug
        self.code.set_debug_key(debug.rearm())
        self._dac_armed = debug.dac_armed
        self.branch_armed = debug.branch_armed
        self.code_or_debug_changed = True
        self._executor.settle()

    def guest_debug_written(self) -> None:
        """The guest wrote a debug register: tell the host (which may merge the guest's
        comparators into its own) and re-arm."""
        if self.debug.host is not None:
            self.debug.host.on_guest_debug_write(self)
        self.debug_registers_changed()

    def check_dac(self, ea: int, size: int, write: bool, value: int | None = None) -> None:
        """The DAC comparators for one access (``value``: the data stored, for a value compare;
        a load's is read without side effects): DebugEvent if any armed one matches."""
        data = None
        if self.debug.dvc_armed:
            data = value.to_bytes(size, "big") if value is not None else self._debugger_bytes(ea, size)
        bits = self.debug.dac_hits(ea, size, write, self.msr, data)
        if bits:
            raise DebugEvent(bits)

    def _debugger_bytes(self, ea: int, size: int) -> bytes | None:
        try:
            return self.read_memory(ea, size)
        except BusError:
            return None

    def suspend_data_comparators(self) -> None:
        """DAC, TRAP, BRT and RET are off for one instruction (until ``debug_registers_changed``)."""
        self._dac_armed = self.debug.trap_armed = self.debug.return_armed = self.branch_armed = False

    def _input_changed(self, level: bool) -> None:
        self.code_or_debug_changed = True     # a store to a device raised it: the block ends
        self._executor.inputs_changed()

    # --- the board --------------------------------------------------------------------------
    def request_halt(self) -> None:
        """The board halts: ``run()`` stops with ``Halted(r3 & 0xff)`` at the end of the
        current instruction (at once when no instruction is running)."""
        self.halt_pending = True

    # --- SPRs, time base ------------------------------------------------------------------
    def spr_accessor(self, spr: int):
        """The ``Spr(read, write)`` pair for ``spr``, or None when it is not modelled."""
        return self._sprs.get(spr)

    def read_spr(self, spr: int) -> int:
        """Read ``spr`` as mfspr would (no privilege check); UnknownSpr if not modelled."""
        access = self._sprs.get(spr)
        if access is None or access.read is None:
            raise UnknownSpr(spr)
        return access.read(self)

    def write_spr(self, spr: int, value: int) -> None:
        """Write ``spr`` as mtspr would (DBSR/TSR write-one-to-clear); UnknownSpr if not modelled."""
        access = self._sprs.get(spr)
        if access is None or access.write is None:
            raise UnknownSpr(spr)
        access.write(self, value & MASK32)

    def note_unmodelled_spr(self, spr: int, write: bool) -> None:
        """Log (once per place and SPR) a guest mfspr/mtspr of an SPR the vCPU does not model."""
        key = (self.pc, spr << 1 | write)
        noted = self._sprs.unmodelled_noted
        if key in noted or len(noted) >= _MAX_NOTED_SPRS:
            return
        noted.add(key)
        _log.warning("%s of SPR %d, which is not modelled, at %#010x: program interrupt",
                     "mtspr" if write else "mfspr", spr, self.pc)

    def timebase(self) -> int:
        """The 64-bit time base."""
        return self.timers.read_timebase(self.icount)

    def timers_changed(self) -> None:
        """A timer register or HID0[TBEN] changed: re-derive the timer interrupt levels and the
        next timer event (a running block ends after the current instruction)."""
        self.code_or_debug_changed = True
        self._executor.timers_changed()

    def wait_for_interrupt(self) -> int | None:
        """Semantics of ``wait``: time skips to the next timer event (the instruction count
        jumps there, so guest time stays a function of it) unless an interrupt condition is
        already up; with no event to come the core stays on ``wait`` (it re-executes, one
        instruction at a time, until an input pin rises between run slices)."""
        return self._executor.wait_for_interrupt()

    # --- address translation ------------------------------------------------------------
    def mapping_changed(self) -> None:
        """Start translating afresh, with ``addressing`` as it now is (a new one, or a mapping
        changed behind its back): cached translations and translated blocks go, and the direct
        RAM paths hold only while the mapping is the identity. The TLB model's own changes take
        the cheaper way (``translation_context_changed``)."""
        self.addressing.flush()
        self._direct_limit = self.memory.ram_size if self.addressing.identity else 0
        self.code.namespace["addressing"] = self.addressing
        self.code.drop_blocks()
        self.code_or_debug_changed = self._executor.attention = True

    def msr_changed(self) -> None:
        """An instruction wrote MSR (mtmsr, wrtee, wrteei, the rfi family): an input it
        unmasks is taken before the next instruction, so a running block ends after it."""
        self.code_or_debug_changed = True
        self._executor.settle()

    def translation_context_changed(self) -> None:
        """The TLBs, MSR[IS, DS, PR] or PID changed: a running block, whose locals hold the
        page caches of the old context, ends after the current instruction. Blocks themselves
        stay: each is checked against the current translation of its start on entry."""
        self.code_or_debug_changed = True

    def _spans(self, ea: int, length: int, access: Access, for_debugger: bool = False):
        """``[(physical address, length), ...]`` covering ``length`` bytes at ``ea``, one per
        page; None where a debugger access finds nothing mapped (or runs past 4 GiB, where a
        guest access wraps)."""
        spans = []
        while length > 0:
            if ea > EFFECTIVE_MASK:
                if for_debugger:
                    return None
                ea &= EFFECTIVE_MASK
            part = min(length, PAGE_SIZE - (ea & PAGE_MASK))
            physical = self.addressing.translate(ea, access, for_debugger)
            if physical is None:
                return None
            spans.append((physical, part))
            ea += part
            length -= part
        return spans

    def _physical(self, ea: int, size: int, access: Access) -> int | None:
        """The physical address of an access within one page, None if it crosses pages."""
        if (ea & PAGE_MASK) + size > PAGE_SIZE:
            return None
        return self.addressing.translate(ea, access)

    # --- memory as instructions see it ------------------------------------------------------
    def load(self, ea: int, size: int) -> int:
        """A guest load of ``size`` bytes (big-endian), after the DAC read comparators."""
        if self._dac_armed:
            self.check_dac(ea, size, False)
        physical = ea if ea + size <= self._direct_limit else self.addressing.ram_address(ea, size, _READ)
        if physical is not None:
            return int.from_bytes(self._ram[physical:physical + size], "big")
        return self.peek(ea, size)

    def peek(self, ea: int, size: int) -> int:
        """A guest read that meets no comparator (stwcx. checking its reservation)."""
        physical = self._physical(ea, size, Access.READ)
        try:
            if physical is None:
                return int.from_bytes(self._read_spans(ea, size), "big")
            return self.memory.read(physical, size)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=0, dear=ea) from None

    def store(self, ea: int, size: int, value: int) -> None:
        """A guest store of the low ``size`` bytes of ``value``, after the DAC write comparators."""
        value &= _SIZE_MASK[size]
        if self._dac_armed:
            self.check_dac(ea, size, True, value)
        physical = ea if ea + size <= self._direct_limit else self.addressing.ram_address(ea, size, _WRITE)
        if physical is not None:
            self._ram[physical:physical + size] = value.to_bytes(size, "big")
            if self.code.code_lines[physical >> LINE_SHIFT]:
                self.forget_code(physical, size)
            return
        physical = self._physical(ea, size, Access.WRITE)
        try:
            if physical is None:
                self._write_spans(ea, value.to_bytes(size, "big"))
            else:
                self.memory.write(physical, size, value)
                self.forget_code(physical, size)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=booke.ESR_ST, dear=ea) from None
        if self.halt_pending:
            raise HaltNow()

    def store_ends_block(self, ea: int, size: int, value: int) -> bool:
        """A translated block's store that is not to plain RAM (a device, a line holding code,
        an unmapped page): True if it changed code or a device, which ends the block."""
        self.store(ea, size, value)
        changed, self.code_or_debug_changed = self.code_or_debug_changed, False
        return changed

    def load_bytes(self, ea: int, length: int) -> bytes:
        """A guest load of ``length`` raw bytes (lmw), compared against the DACs as one access."""
        if self._dac_armed:
            self.check_dac(ea, length, False)
        try:
            return self._read_spans(ea, length)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=0, dear=ea) from None

    def store_bytes(self, ea: int, data: bytes) -> None:
        """A guest store of raw bytes (stmw, dcbz), compared against the DACs as one access."""
        if self._dac_armed:
            self.check_dac(ea, len(data), True, int.from_bytes(data, "big"))
        try:
            self._write_spans(ea, data)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=booke.ESR_ST, dear=ea) from None
        if self.halt_pending:
            raise HaltNow()

    def _read_spans(self, ea: int, length: int, for_debugger: bool = False) -> bytes:
        physical = ea if ea + length <= self._direct_limit else self.addressing.ram_address(ea, length, _READ)
        if physical is not None:
            return bytes(self._ram[physical:physical + length])
        spans = self._spans(ea, length, Access.READ, for_debugger)
        if spans is None:
            raise BusError(ea, length, False)
        return b"".join(self.memory.read_bytes(physical, part) for physical, part in spans)

    def _write_spans(self, ea: int, data: bytes, for_debugger: bool = False) -> None:
        physical = ea if ea + len(data) <= self._direct_limit else self.addressing.ram_address(ea, len(data), _WRITE)
        if physical is not None:
            self._ram[physical:physical + len(data)] = data
            self.forget_code(physical, len(data))
            return
        spans = self._spans(ea, len(data), Access.WRITE, for_debugger)
        if spans is None:
            raise BusError(ea, len(data), True)
        done = 0
        for physical, part in spans:
            self.write_physical(physical, data[done:done + part])
            done += part

    # --- debugger access ---------------------------------------------------------------------
    def read_memory(self, addr: int, length: int) -> bytes:
        """Debugger read at effective ``addr`` (no comparators, no side effect); BusError where
        nothing is mapped."""
        return self._read_spans(addr, length, for_debugger=True)

    def write_memory(self, addr: int, data: bytes) -> None:
        """Debugger write at effective ``addr`` (no comparators); keeps decoded instructions
        coherent; BusError where nothing is mapped."""
        self._write_spans(addr, data, for_debugger=True)

    def write_physical(self, addr: int, data: bytes) -> None:
        """Raw bytes at physical ``addr`` (an image loader, a debugger write), keeping the
        code caches coherent."""
        self.memory.write_bytes(addr, data)
        self.forget_code(addr, len(data))

    # --- the code caches ----------------------------------------------------------------------
    def forget_code(self, addr: int, length: int) -> bool:
        """Drop decoded instructions and blocks overlapping physical ``[addr, addr + length)``
        (a running block ends after the current instruction); True if there were any."""
        if self.code.forget(addr, length):
            self.code_or_debug_changed = True
            return True
        return False

    def invalidate_code_line(self, ea: int) -> None:
        """icbi: forget the decoded instructions of the cache line holding ``ea``."""
        line = booke.E500MC_CACHE_LINE
        self.forget_code(self.addressing.translate(ea & ~(line - 1), Access.READ), line)

    def _forget_all_code(self) -> None:
        self.code.clear()
        self.code_or_debug_changed = True

    def decode(self, pc: int) -> tuple:
        """``(semantics, args)`` of the instruction at effective ``pc``, decoded (and kept) at
        its physical address; what fetching raises when there is nothing to fetch."""
        if pc & 3:
            return _instruction_storage, ()
        try:
            physical = self.addressing.translate(pc, Access.FETCH)
        except GuestInterrupt as interrupt:
            return _raise, (interrupt,)
        return self._decode_physical(physical)

    def _decode_physical(self, physical: int) -> tuple:
        """The entry at ``physical``. A miss decodes the words from there to the end of its
        64-byte line as well: code goes on there, and one look at memory costs less than one
        a word."""
        code = self.code
        entry = code.decoded.get(physical)
        if entry is not None:
            return entry
        if not self.memory.is_ram(physical, 4):
            return _instruction_storage, ()
        end = (physical | LINE_MASK) + 1
        if len(code.decoded) + (end - physical >> 2) > _MAX_DECODED:   # a guest that ran through much of its RAM
            self._forget_all_code()
        by_word = code.by_word
        entries = []
        for word, in _WORDS.iter_unpack(self._ram[physical:end]):
            entry = by_word.get(word)
            if entry is None:
                entry = (_debug_instruction_hit, ()) if word == self.debug.instruction else decode(word)
                if len(by_word) >= _MAX_DECODED:
                    by_word.clear()
                by_word[word] = entry
            entries.append(entry)
        code.add_decoded(physical, entries)
        return entries[0]

    def _fetch(self, physical: int) -> tuple | None:
        """``(word, semantics, args)`` at ``physical`` for the translator, None if not RAM."""
        if physical & 3 or not self.memory.is_ram(physical, 4):
            return None
        semantics, args = self._decode_physical(physical)
        return self.memory.read(physical, 4), semantics, args

    def hot_block(self, pc: int) -> Block:
        """The block at ``pc``, translated once the interpreter has been there often enough
        (and, with an MMU, has fetched from its page in the current context)."""
        counts = self.code.heat
        heat = counts.get(pc, 0)
        if heat < self._executor.translate_after + (LATER if self.code.translated >= LARGE_CODE else 0):
            if not heat and len(counts) >= _MAX_HEAT:
                counts.clear()
            counts[pc] = heat + 1
            return INTERPRET
        addressing = self.addressing
        physical = pc if addressing.identity else addressing.code_address(pc)
        if physical is None:
            return INTERPRET
        if len(self.code.blocks) >= _MAX_BLOCKS:
            self.code.drop_blocks()
            self.code.heat.clear()
        block = translate(self._fetch, pc, physical, self.code.debug_key, self.code.namespace,
                          paged=not addressing.identity)
        self.code.add_block(pc, block)
        return block

    # --- save and restore ------------------------------------------------------------------------
    def save(self) -> SavedCpu:
        """This vCPU's state (architected, debug, input pins); the bus saves itself."""
        return SavedCpu(self.save_state(), self.debug.save(),
                        (self.external_input.level, self.critical_input.level),
                        None if self.tlb is None else self.tlb.save())

    def restore(self, saved: SavedCpu) -> None:
        """Put ``saved`` back; the code caches start over."""
        self.restore_state(saved.state)
        self.debug.restore(saved.debug)
        self.external_input.set(saved.inputs[0])
        self.critical_input.set(saved.inputs[1])
        if self.tlb is not None:
            self.tlb.restore(saved.tlb)
        self._forget_all_code()
        self.timers_changed()
        self.mapping_changed()
        self.debug_registers_changed()

    # --- interrupts ------------------------------------------------------------------------
    def deliver_interrupt(self, ivor: int, srr0: int, *, esr: int | None = None,
                          dear: int | None = None) -> Fault | None:
        """Enter interrupt ``ivor`` as BookE does: save PC (``srr0``) and MSR in the class's
        save/restore pair, set ESR/DEAR when given, clear MSR but the bits the class keeps and
        jump to IVPR | IVORn. If the guest never wrote that IVOR nothing changes and the
        ``Fault`` outcome is returned instead. Entering a noncritical interrupt with
        DBCR0[IRPT] armed is then an interrupt-taken debug event at the vector (its outcome)."""
        if ivor not in self.ivors_installed:
            return _fault(ivor, self.pc, esr, dear)
        save_pc, save_msr, msr_kept = _INTERRUPT_CLASS.get(ivor, _BASE_CLASS)
        self.sprs[save_pc] = srr0 & MASK32
        self.sprs[save_msr] = self.msr
        if esr is not None:
            self.sprs[booke.SPR_ESR] = esr
        if dear is not None:
            self.sprs[booke.SPR_DEAR] = dear & MASK32
        self.msr &= msr_kept
        self.pc = self.sprs[booke.SPR_IVPR] & 0xFFFF0000 | self.sprs[ivor_spr(ivor)] & 0xFFF0
        if self.debug.interrupt_armed and ivor not in _INTERRUPT_CLASS:
            self.debug.interrupt_taken = ivor
            return self._executor.debug_event(booke.DBSR_IRPT, before=False)
        return None

    # --- execution (executor.py) ------------------------------------------------------------
    def step(self):
        """Execute one instruction (or enter one interrupt); an outcome or None."""
        return self._executor.run(1)

    def run(self, max_steps: int):
        """Execute up to ``max_steps`` instructions; the outcome that stopped it, or None."""
        return self._executor.run(max_steps)

    def next_step_is_quiet(self) -> bool:
        """True if the next step certainly ends in the IC event after an instruction that
        touches only registers (the stub answers such a step before running it)."""
        return self._executor.next_step_is_quiet()
