"""The e500mc vCPU: architected state, the decode cache, the run loop, interrupts and the
debug comparators. See ``docs/architecture.md`` for the contract other layers rely on.

``run()`` executes hot code as translated blocks (``translate.py``) and everything else,
including every instruction with an armed IAC or under IC single-stepping, with the
reference interpreter (``_execute``/``_step_checked``); both give the same results."""
from __future__ import annotations

import signal

from . import booke
from .debugregs import DebugHost, DebugRegs
from .exits import Fault, Halted
from .guts import HaltRequest
from .interrupts import DebugEvent, GuestInterrupt, illegal
from .isa import decode, touches_only_registers
from .isa.bits import MASK32
from .memory import BusError, Memory
from .spr import UnknownSpr, initial_storage, ivor_spr, spr_table
from .translate import INTERPRET, NO_DEBUG, Block, DebugKey, translate

_SIZE_MASK = {1: 0xFF, 2: 0xFFFF, 4: MASK32, 8: (1 << 64) - 1}
_LINE_SHIFT = 6  # decode-cache bookkeeping granule: the 64-byte cache line
_COLD_STEPS = 64  # most instructions interpreted at a time before looking for a block again
_NO_BLOCK = object()  # run(): no translated block fits at the PC, the interpreter goes on
_MAX_BLOCKS = 4096    # translated blocks kept (~7 KB each); past that all are dropped, as QEMU flushes its TBs

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
    booke.IVOR_WATCHDOG: "watchdog", booke.IVOR_DEBUG: "debug",
}
_SEGV_INTERRUPTS = {booke.IVOR_MACHINE_CHECK, booke.IVOR_DATA_STORAGE, booke.IVOR_INSN_STORAGE,
                    booke.IVOR_ALIGNMENT, booke.IVOR_DTLB_MISS, booke.IVOR_ITLB_MISS}
_PROGRAM_CAUSES = ((booke.ESR_PIL, "illegal instruction"), (booke.ESR_PPR, "privileged instruction"),
                   (booke.ESR_PTR, "trap"), (booke.ESR_FP, "floating-point enabled exception"),
                   (booke.ESR_PUO, "unimplemented operation"))


def _fault(ivor: int, pc: int, esr: int | None, dear: int | None) -> Fault:
    """The exit for an interrupt the guest has no handler for."""
    esr = esr or 0
    if ivor == booke.IVOR_DEBUG:
        signo = signal.SIGTRAP
    elif ivor in _SEGV_INTERRUPTS:
        signo = signal.SIGSEGV
    elif ivor == booke.IVOR_PROGRAM and esr & booke.ESR_FP:
        signo = signal.SIGFPE
    else:
        signo = signal.SIGILL
    reason = f"unhandled {_INTERRUPT_NAMES.get(ivor, f'IVOR{ivor}')} interrupt"
    if ivor == booke.IVOR_PROGRAM:
        reason += "".join(f" ({text})" for bit, text in _PROGRAM_CAUSES if esr & bit)
    if dear is not None:
        reason += f" at data address {dear:#010x}"
    return Fault(int(signo), pc, reason)


class HostExit(Exception):
    """A debug host hook asked to stop with ``exit``."""

    def __init__(self, exit):
        super().__init__(exit)
        self.exit = exit


def _debug_instruction_hit(cpu: Cpu) -> int:
    """Semantics of ``cpu.debug_instruction``: the host's breakpoint, else an illegal word."""
    if cpu.host is None:
        raise illegal()
    exit = cpu.host.on_debug_instruction(cpu)
    cpu.debug_registers_changed()
    if exit is not None:
        raise HostExit(exit)
    return cpu.pc


def _instruction_storage(cpu: Cpu) -> None:
    """Semantics of fetching from an address that is not RAM (or not word aligned)."""
    raise GuestInterrupt(booke.IVOR_INSN_STORAGE, esr=0)


def _privilege_allows(regs: DebugRegs, msr: int, control: int, us_mask: int) -> bool:
    """DBCR1 IACnUS / DBCR2 DACnUS: 0b10 supervisor only, 0b11 user only, else both."""
    mode = (control & us_mask) >> ((us_mask & -us_mask).bit_length() - 1)
    user = regs.guest_in_user_mode or bool(msr & booke.MSR_PR)
    if mode == 0b10:
        return not user
    if mode == 0b11:
        return user
    return True


class Cpu:
    """One e500mc core. Registers are plain attributes; ``run()`` executes guest code."""

    translate_after = 2
    """How often control must branch to an address with no block before one is translated
    there (0: at once); None runs everything with the interpreter."""

    def __init__(self, memory: Memory | None = None, *, iac_slots: int = 2):
        self.memory = memory if memory is not None else Memory()
        self._ram, self._ram_size = self.memory.ram, self.memory.ram_size
        # one flag per cache line that may hold decoded code (set on the line before, too,
        # so that an access starting there and crossing into a code line is seen)
        self._code_lines = bytearray((self._ram_size >> _LINE_SHIFT) + 2)
        self._blocks: dict[int, Block] = {}
        self._block_lines: dict[int, list[int]] = {}
        self._heat: dict[int, int] = {}
        self._debug_key = NO_DEBUG
        self.code_or_debug_changed = False   # ends a running block after a called instruction
        self._block_scope = {"ram": self._ram, "code_lines": self._code_lines,
                             **{f"ram_last_{n}": self._ram_size - n for n in (1, 2, 4)}}
        self.gpr = [0] * 32
        self.fpr = [0] * 32
        self.cr = self.lr = self.ctr = self.xer = self.msr = self.pc = self.fpscr = 0
        self.sprs = initial_storage()
        self.ivors_installed: set[int] = set()
        self.icount = 0              # instructions executed; drives the time base and DEC
        self._timebase_offset = 0
        self._dec_value = 0
        self._dec_written_at = 0
        self.reservation: tuple[int, int] | None = None   # lwarx (address, value)
        self.iac_slots = iac_slots
        self._sprs = spr_table(iac_slots)
        self.host: DebugHost | None = None
        self.guest_debug_regs = DebugRegs()
        self._active_debug = self.guest_debug_regs
        self._debug_instruction = booke.EHPRIV_DEBUG
        self._decoded: dict[int, tuple] = {}
        self._skip_checks_at: int | None = None
        self._halt_pending = False
        self.debug_registers_changed()

    # --- debug facility configuration ------------------------------------------------
    @property
    def active_debug(self) -> DebugRegs:
        """The registers the comparators use (``guest_debug_regs`` unless a host swaps them)."""
        return self._active_debug

    @active_debug.setter
    def active_debug(self, regs: DebugRegs) -> None:
        self._active_debug = regs
        self.debug_registers_changed()

    @property
    def debug_instruction(self) -> int:
        """The word that calls ``host.on_debug_instruction`` (ehpriv 1 by default)."""
        return self._debug_instruction

    @debug_instruction.setter
    def debug_instruction(self, word: int) -> None:
        self._debug_instruction = word
        self._forget_all_code()

    def debug_registers_changed(self) -> None:
        """Re-derive the comparator flags; call after changing ``active_debug`` fields directly
        (``run()``/``step()`` also do so on entry). A running block stops after the current
        instruction, and blocks specialised for other comparator addresses are dropped."""
        control = self._active_debug.dbcr0 if self._active_debug.dbcr0 & booke.DBCR0_IDM else 0
        self._iac_armed = bool(control & (booke.DBCR0_IAC1 | booke.DBCR0_IAC2 | booke.DBCR0_IAC3
                                          | booke.DBCR0_IAC4))
        self._dac_armed = bool(control & (booke.DBCR0_DAC1R | booke.DBCR0_DAC1W | booke.DBCR0_DAC2R
                                          | booke.DBCR0_DAC2W))
        self.trap_armed = bool(control & booke.DBCR0_TRAP)
        self._ic_armed = bool(control & booke.DBCR0_IC)
        self._debug_armed = self._iac_armed or self._dac_armed or self.trap_armed or self._ic_armed
        self.code_or_debug_changed = True
        key = self._translation_key(control) if self._iac_armed or self._dac_armed else NO_DEBUG
        if key != self._debug_key:
            self._debug_key = key
            self._drop_blocks()

    def _translation_key(self, control: int) -> DebugKey:
        """The armed comparator addresses that translated code is specialised for."""
        regs = self._active_debug
        return DebugKey(frozenset(regs.iac[slot] & ~3 for slot in range(4) if control & booke.DBCR0_IAC[slot]),
                        tuple(regs.dac[slot] for slot in range(2) if control & booke.DBCR0_DACR[slot]),
                        tuple(regs.dac[slot] for slot in range(2) if control & booke.DBCR0_DACW[slot]))

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

    def timebase(self) -> int:
        """The 64-bit time base: one tick per executed instruction."""
        return (self._timebase_offset + self.icount) & ((1 << 64) - 1)

    def set_timebase(self, value: int) -> None:
        self._timebase_offset = value - self.icount

    def decrementer(self) -> int:
        """DEC counts down one per instruction and stops at 0 (no interrupt is raised)."""
        return max(0, self._dec_value - (self.icount - self._dec_written_at))

    def set_decrementer(self, value: int) -> None:
        self._dec_value = value & MASK32
        self._dec_written_at = self.icount

    # --- memory as instructions see it ------------------------------------------------------
    def check_dac(self, ea: int, size: int, write: bool) -> None:
        """The DAC comparators for one access: DebugEvent if any armed one matches."""
        regs = self._active_debug
        enables, events = ((booke.DBCR0_DACW, booke.DBSR_DACW) if write
                           else (booke.DBCR0_DACR, booke.DBSR_DACR))
        bits = 0
        for slot in range(2):
            if (regs.dbcr0 & enables[slot] and ea <= regs.dac[slot] < ea + size
                    and _privilege_allows(regs, self.msr, regs.dbcr2, booke.DBCR2_DACUS[slot])):
                bits |= events[slot]
        if bits:
            raise DebugEvent(bits)

    def load(self, ea: int, size: int) -> int:
        """A guest load of ``size`` bytes (big-endian), after the DAC read comparators."""
        if self._dac_armed:
            self.check_dac(ea, size, False)
        if ea + size <= self._ram_size:
            return int.from_bytes(self._ram[ea:ea + size], "big")
        try:
            return self.memory.read(ea, size)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=0, dear=ea) from None

    def store(self, ea: int, size: int, value: int) -> None:
        """A guest store of the low ``size`` bytes of ``value``, after the DAC write comparators."""
        if self._dac_armed:
            self.check_dac(ea, size, True)
        if ea + size <= self._ram_size:
            self._ram[ea:ea + size] = (value & _SIZE_MASK[size]).to_bytes(size, "big")
            if self._code_lines[ea >> _LINE_SHIFT]:
                self.forget_code(ea, size)
        else:
            try:
                self.memory.write(ea, size, value & _SIZE_MASK[size])
            except BusError:
                raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=booke.ESR_ST, dear=ea) from None

    def load_bytes(self, ea: int, length: int) -> bytes:
        """A guest load of ``length`` raw bytes (lmw), compared against the DACs as one access."""
        if self._dac_armed:
            self.check_dac(ea, length, False)
        try:
            return self.memory.read_bytes(ea, length)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=0, dear=ea) from None

    def store_bytes(self, ea: int, data: bytes) -> None:
        """A guest store of raw bytes (stmw, dcbz), compared against the DACs as one access."""
        if self._dac_armed:
            self.check_dac(ea, len(data), True)
        try:
            self.memory.write_bytes(ea, data)
        except BusError:
            raise GuestInterrupt(booke.IVOR_DATA_STORAGE, esr=booke.ESR_ST, dear=ea) from None
        self.forget_code(ea, len(data))

    # --- debugger access ---------------------------------------------------------------------
    def read_memory(self, addr: int, length: int) -> bytes:
        """Debugger read (no comparators); BusError where nothing is mapped."""
        return self.memory.read_bytes(addr, length)

    def write_memory(self, addr: int, data: bytes) -> None:
        """Debugger write (no comparators); keeps decoded instructions coherent."""
        try:
            self.memory.write_bytes(addr, data)
        except HaltRequest:
            self._halt_pending = True
        self.forget_code(addr, len(data))

    # --- the decode cache ------------------------------------------------------------------
    def forget_code(self, addr: int, length: int) -> bool:
        """Drop decoded instructions and translated blocks overlapping ``[addr, addr + length)``;
        True if there were any (a store into data that shares a line with code drops nothing)."""
        first, last = addr >> _LINE_SHIFT, (addr + length - 1) >> _LINE_SHIFT
        if not any(self._code_lines[first:last + 1]):
            return False
        decoded, blocks, end = self._decoded, self._blocks, addr + length
        dropped = False
        for word in range(addr & ~3, end, 4):
            dropped |= decoded.pop(word, None) is not None
        for line in range(first, last + 1):
            starts = self._block_lines.get(line)
            if not starts:
                continue
            kept = []
            for start in starts:
                block = blocks.get(start)     # None: already dropped through another line
                if block is not None and start < end and addr < block.end:
                    del blocks[start]
                    dropped = True
                elif block is not None:
                    kept.append(start)
            self._block_lines[line] = kept
        if dropped:
            self.code_or_debug_changed = True
        return dropped

    def invalidate_code_line(self, ea: int) -> None:
        """icbi: forget the decoded instructions of the cache line holding ``ea``."""
        self.forget_code(ea & ~(booke.E500MC_CACHE_LINE - 1), booke.E500MC_CACHE_LINE)

    def _forget_all_code(self) -> None:
        self._decoded.clear()
        self._code_lines[:] = bytes(len(self._code_lines))
        self._drop_blocks()
        self.code_or_debug_changed = True

    def _drop_blocks(self) -> None:
        self._blocks.clear()
        self._block_lines.clear()

    def _mark_code(self, first: int, last: int) -> None:
        """Flag lines ``first..last`` (and the line before) as holding decoded code."""
        self._code_lines[first - 1 if first else 0:last + 1] = b"\x01" * (last + 1 - max(first - 1, 0))

    def _decode(self, pc: int) -> tuple:
        if pc & 3 or not self.memory.is_ram(pc, 4):
            return _instruction_storage, ()
        word = self.memory.read(pc, 4)
        entry = (_debug_instruction_hit, ()) if word == self._debug_instruction else decode(word)
        self._decoded[pc] = entry
        self._mark_code(pc >> _LINE_SHIFT, pc >> _LINE_SHIFT)
        return entry

    def _fetch(self, pc: int) -> tuple | None:
        """``(word, semantics, args)`` at ``pc`` for the translator, None if not fetchable RAM."""
        if pc & 3 or not self.memory.is_ram(pc, 4):
            return None
        semantics, args = self._decoded.get(pc) or self._decode(pc)
        return self.memory.read(pc, 4), semantics, args

    def _hot_block(self, pc: int) -> Block:
        """The block at ``pc``, translated once the interpreter has been there often enough."""
        heat = self._heat.get(pc, 0)
        if heat < self.translate_after:
            self._heat[pc] = heat + 1
            return INTERPRET
        if len(self._blocks) >= _MAX_BLOCKS:
            self._drop_blocks()
            self._heat.clear()
        block = translate(self._fetch, pc, self._debug_key, self._block_scope)
        self._blocks[pc] = block
        if block.run is not None:
            first, last = pc >> _LINE_SHIFT, (block.end - 1) >> _LINE_SHIFT
            self._mark_code(first, last)
            for line in range(first, last + 1):
                self._block_lines.setdefault(line, []).append(pc)
        return block

    # --- interrupts ------------------------------------------------------------------------
    def deliver_interrupt(self, ivor: int, srr0: int, *, esr: int | None = None,
                          dear: int | None = None) -> Fault | None:
        """Enter interrupt ``ivor`` as BookE does: save PC (``srr0``) and MSR in the class's
        save/restore pair, set ESR/DEAR when given, clear MSR but the bits the class keeps and
        jump to IVPR | IVORn. If the guest never wrote that IVOR nothing changes and the
        ``Fault`` exit is returned instead."""
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
        return None

    def _debug_event(self, bits: int, *, before: bool):
        """Report comparator ``bits`` at ``self.pc`` to the host, or act as bare hardware."""
        self._active_debug.dbsr |= bits
        if self.host is not None:
            pc = self.pc
            exit = self.host.on_debug_event(self, bits)
            self.debug_registers_changed()
            if exit is None and before and self.pc == pc:
                self._skip_checks_at = pc
            return exit
        if self.msr & booke.MSR_DE:
            return self.deliver_interrupt(booke.IVOR_DEBUG, self.pc)
        self._active_debug.dbsr |= booke.DBSR_IDE
        if before:
            self._skip_checks_at = self.pc
        return None

    # --- execution ----------------------------------------------------------------------------
    def _execute(self, budget: int, stop_at: dict | None = None):
        """Execute up to ``budget`` instructions (each possibly entering an interrupt) while no
        comparator is armed, or exactly one if one is: ``(exit or None, instructions done)``.
        With ``stop_at``, also stop where the PC reaches one of its keys (a translated block).
        A DebugEvent escapes with its instruction undone."""
        decoded = self._decoded
        for done in range(1, budget + 1):
            pc = self.pc
            semantics, args = decoded.get(pc) or self._decode(pc)
            try:
                next_pc = semantics(self, *args)
            except (GuestInterrupt, HaltRequest, HostExit) as exc:
                exit = self._instruction_raised(exc, pc)
                if exit is not None:
                    return exit, done
            else:
                self.icount += 1
                self.pc = pc + 4 if next_pc is None else next_pc
            if self._debug_armed or (stop_at is not None and self.pc in stop_at):
                return None, done
        return None, budget

    def _instruction_raised(self, exc: Exception, pc: int):
        """Finish the instruction at ``pc`` that raised ``exc`` (not yet counted): enter the
        interrupt, halt, or stop for the host; the exit or None."""
        if isinstance(exc, HostExit):
            return exc.exit
        self.icount += 1
        if isinstance(exc, HaltRequest):
            self.pc = pc + 4
            return Halted(self.gpr[3] & 0xFF)
        return self.deliver_interrupt(exc.ivor, pc if exc.srr0 is None else exc.srr0, esr=exc.esr, dear=exc.dear)

    def _step_checked(self):
        """One instruction with the armed comparators: IAC before, DAC/TRAP during, IC after."""
        pc = self.pc
        skip = self._skip_checks_at == pc
        self._skip_checks_at = None
        if skip:
            self._dac_armed = self.trap_armed = False
        elif self._iac_armed:
            bits = self._iac_hits(pc)
            if bits:
                return self._debug_event(bits, before=True)
        try:
            exit, _ = self._execute(1)
        except DebugEvent as event:
            return self._debug_event(event.bits, before=True)
        finally:
            if skip:
                self.debug_registers_changed()
        if exit is None and self._ic_armed:
            return self._debug_event(booke.DBSR_IC, before=False)
        return exit

    def _iac_hits(self, pc: int) -> int:
        regs = self._active_debug
        bits = 0
        for slot in range(4):
            if (regs.dbcr0 & booke.DBCR0_IAC[slot] and pc == regs.iac[slot] & ~3
                    and _privilege_allows(regs, self.msr, regs.dbcr1, booke.DBCR1_IACUS[slot])):
                bits |= booke.DBSR_IAC[slot]
        return bits

    def next_step_is_quiet(self) -> bool:
        """True if the next step certainly ends in the IC event after executing the instruction
        at PC: IC is armed, no IAC matches first, and the instruction touches only registers
        (``registers_only`` in the ISA table: no memory, no interrupt, no debug register, no
        halt). The stub answers such a step before running it."""
        pc = self.pc
        if self._halt_pending or not self._ic_armed:
            return False
        if self._iac_armed and self._skip_checks_at != pc and self._iac_hits(pc):
            return False
        semantics, _ = self._decoded.get(pc) or self._decode(pc)
        return touches_only_registers(semantics)

    def step(self):
        """Execute one instruction (or enter one interrupt); an exit object or None."""
        return self.run(1)

    def run(self, max_steps: int):
        """Execute up to ``max_steps`` instructions; the exit that stopped it, or None.

        A step is an instruction (possibly entering an interrupt) or a debug event before one.
        Translated blocks run while they fit in the budget; the interpreter takes the rest."""
        if self._halt_pending:
            return Halted(self.gpr[3] & 0xFF)
        self.debug_registers_changed()
        remaining = max_steps
        blocks = self._blocks
        # Arriving by falling through (at a slice start, or after one interpreted instruction
        # of cold code) does not make an address hot: blocks start where control branches to.
        fell_through = self.icount
        while remaining > 0:
            if self.translate_after is not None and self._skip_checks_at is None:
                start = self.icount
                limit = start + remaining
                try:
                    while not self._ic_armed:
                        run, length, _ = blocks.get(self.pc) or (
                            INTERPRET if self.icount == fell_through else self._hot_block(self.pc))
                        if run is None or self.icount + length > limit:
                            break
                        run(self, limit - self.icount)
                except DebugEvent as event:
                    start -= 1                      # the event is a step, as in _step_checked
                    exit = self._debug_event(event.bits, before=True)
                except (GuestInterrupt, HaltRequest, HostExit) as exc:
                    exit = self._instruction_raised(exc, self.pc)
                else:
                    exit = _NO_BLOCK
                if exit is not None and exit is not _NO_BLOCK:
                    return exit
                remaining -= self.icount - start
                if exit is None or remaining <= 0:
                    continue
            if self._debug_armed:
                pc = self.pc
                exit, done = self._step_checked(), 1
                if self.pc == pc + 4 and blocks.get(pc) is not INTERPRET:
                    fell_through = self.icount
            else:
                exit, done = (self._execute(remaining) if self.translate_after is None
                              else self._execute(min(remaining, _COLD_STEPS), blocks))
            if exit is not None:
                return exit
            remaining -= done
        return None
