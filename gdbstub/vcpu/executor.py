"""The run loop of one vCPU: translated blocks while they fit, the reference interpreter for
the rest, the debug comparators around single instructions, and the input pins between
instructions.

``run()`` executes hot code as translated blocks (``translate.py``) and everything else,
including every instruction with an armed IAC, and all of them while an event that needs a
look at each instruction is armed (IC single-stepping, BRT, RET, an IAC range, a value
compare: ``DebugFacility.per_instruction``), with the interpreter
(``execute``/``step_checked``); both give the same results.

Timer interrupts cost nothing per instruction: the timers name the instruction count of their
next event (``timer_deadline``), blocks and interpreter slices are cut short there, and only
then are the timer levels re-derived. A level that is up (timer or input pin) makes the loop
look at it between every two instructions until it is taken or goes down, which is how the
level-sensitive interrupts are re-examined after mtmsr, wrtee(i), rfi and TSR writes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import booke
from .booke_timers import DECREMENTER, FIXED_INTERVAL, WATCHDOG
from .addressing import PAGE_MASK
from .interrupts import DebugEvent, GuestInterrupt, HaltNow, HostStop
from .isa import touches_only_registers
from .stops import Halted
from .translate import INTERPRET

if TYPE_CHECKING:
    from .cpu import Cpu

_COLD_STEPS = 64  # most instructions interpreted at a time before looking for a block again
_NO_BLOCK = object()  # run(): no translated block fits at the PC, the interpreter goes on
_NEVER = float("inf")  # timer_deadline with no timer event to come


class Executor:
    """Runs ``cpu``. ``attention``: the interpreter comes back to the loop after each
    instruction (armed comparators, a pending interrupt level, a changed mapping);
    ``interpret_only``: no blocks (per-instruction debug events, a pending interrupt level)."""

    def __init__(self, cpu: Cpu):
        self.cpu = cpu
        self.debug_armed = False
        self.inputs_pending = False    # an input pin or a timer interrupt level is up
        self.timer_levels = 0          # booke_timers.pending() as of the last look
        self.timer_deadline = _NEVER   # icount of the next timer event
        self.attention = self.interpret_only = False
        self.interrupt_acknowledge = None   # the board's (``Cpu.interrupt_acknowledge``)
        self.translate_after: int | None = 2    # see ``Cpu.translate_after``

    def settle(self) -> None:
        """Re-decide ``attention`` and ``interpret_only`` from what is armed and pending.
        An input the MSR masks needs no look between instructions: the instructions that
        unmask (``Cpu.msr_changed``) settle again and end a running block."""
        cpu = self.cpu
        self.debug_armed = cpu.debug.armed
        takeable = self.inputs_pending and self._input_unmasked()
        self.attention = self.debug_armed or takeable
        self.interpret_only = cpu.debug.per_instruction or takeable

    def _input_unmasked(self) -> bool:
        """True if a pending input would be taken now (as ``_take_input_interrupt`` decides)."""
        cpu = self.cpu
        msr, levels = cpu.msr, self.timer_levels
        return bool(msr & booke.MSR_CE and (cpu.critical_input.level or levels & WATCHDOG)
                    or msr & booke.MSR_EE and (cpu.external_input.level or levels & (FIXED_INTERVAL | DECREMENTER)))

    def inputs_changed(self) -> None:
        """An input pin or a timer level changed."""
        cpu = self.cpu
        self.inputs_pending = bool(cpu.external_input.level or cpu.critical_input.level or self.timer_levels)
        self.settle()

    def timers_changed(self) -> None:
        """Re-derive the timer levels and the next timer event from the timers."""
        cpu = self.cpu
        self.timer_levels = cpu.timers.pending(cpu.icount)
        event = cpu.timers.next_event(cpu.icount)
        self.timer_deadline = _NEVER if event is None else event
        self.inputs_changed()
        self.attention = True   # the interpreter's budget was cut to the old deadline: look again

    def wait_for_interrupt(self) -> int | None:
        """``wait``: see ``Cpu.wait_for_interrupt``; the next PC (None: the one after)."""
        cpu = self.cpu
        if self.inputs_pending:
            return None
        if self.timer_deadline is _NEVER:
            return cpu.pc
        cpu.icount = max(cpu.icount, self.timer_deadline - 1)   # the wait itself is the last one
        cpu.code_or_debug_changed = self.attention = True
        return None

    def _take_input_interrupt(self):
        """Enter the highest-priority interrupt whose level is up and MSR enables (critical
        input, watchdog; external input, fixed-interval, decrementer); the outcome (a Fault
        without a handler) or None."""
        cpu = self.cpu
        msr, levels = cpu.msr, self.timer_levels
        if msr & booke.MSR_CE:
            if cpu.critical_input.level:
                return cpu.deliver_interrupt(booke.IVOR_CRITICAL, cpu.pc)
            if levels & WATCHDOG:
                return cpu.deliver_interrupt(booke.IVOR_WATCHDOG, cpu.pc)
        if msr & booke.MSR_EE:
            if cpu.external_input.level:
                acknowledge = self.interrupt_acknowledge
                vector = None if acknowledge is None else acknowledge()
                if vector is not None:
                    cpu.sprs[booke.SPR_EPR] = vector & 0xFFFFFFFF
                return cpu.deliver_interrupt(booke.IVOR_EXTERNAL, cpu.pc)
            if levels & FIXED_INTERVAL:
                return cpu.deliver_interrupt(booke.IVOR_FIT, cpu.pc)
            if levels & DECREMENTER:
                return cpu.deliver_interrupt(booke.IVOR_DECREMENTER, cpu.pc)
        return None

    def debug_event(self, bits: int, *, before: bool):
        """Report comparator ``bits`` at ``cpu.pc`` to the host, or act as bare hardware."""
        cpu = self.cpu
        debug = cpu.debug
        debug.active.dbsr |= bits
        if debug.host is not None:
            pc = cpu.pc
            stop = debug.host.on_debug_event(cpu, bits)
            cpu.debug_registers_changed()
            if stop is None and before and cpu.pc == pc:
                debug.skip_checks_at = pc
            return stop
        if cpu.msr & booke.MSR_DE:
            return cpu.deliver_interrupt(booke.IVOR_DEBUG, cpu.pc)
        debug.active.dbsr |= booke.DBSR_IDE
        if before:
            debug.skip_checks_at = cpu.pc
        return None

    def execute(self, budget: int, stop_at: dict | None = None):
        """Execute up to ``budget`` instructions (each possibly entering an interrupt), or one
        at a time while ``attention`` holds: ``(outcome or None, instructions done)``.
        With ``stop_at`` (cold code, between translated blocks), also stop after a taken branch,
        so that the run loop counts its target towards a block (a loop in cold code becomes
        hot), and where the PC reaches one of its keys (a translated block).
        A DebugEvent escapes with its instruction undone."""
        cpu = self.cpu
        decoded = cpu.code.decoded
        identity = cpu.addressing.identity
        code_address = cpu.addressing.code_address
        sequel = -1    # under the MMU: the PC after the last instruction, whose page it knows
        for done in range(1, budget + 1):
            pc = cpu.pc
            # decoded is keyed by physical address. Under the MMU the fetch page cache gives it;
            # the next instruction of the same page is 4 bytes on, unless an instruction changed
            # the translation context (which sets code_or_debug_changed) or an interrupt came
            if identity:
                physical = pc
            elif pc == sequel and pc & PAGE_MASK and not cpu.code_or_debug_changed:
                physical += 4
            else:
                cpu.code_or_debug_changed = False
                physical = code_address(pc)   # None: not fetched in this context yet
            semantics, args = decoded.get(physical) or cpu.decode(pc)
            try:
                next_pc = semantics(cpu, *args)
            except (GuestInterrupt, HaltNow, HostStop) as exc:
                sequel = -1
                outcome = self._instruction_raised(exc, pc)
                if outcome is not None:
                    return outcome, done
            else:
                cpu.icount += 1
                sequel = -1 if physical is None else pc + 4
                if next_pc is None:
                    cpu.pc = pc + 4
                else:
                    cpu.pc = next_pc
                    if stop_at is not None:
                        return None, done
            if self.attention or (stop_at is not None and cpu.pc in stop_at):
                return None, done
        return None, budget

    def _instruction_raised(self, exc: Exception, pc: int):
        """Finish the instruction at ``pc`` that raised ``exc`` (not yet counted): enter the
        interrupt, halt, or stop for the host; the outcome or None."""
        if isinstance(exc, HostStop):
            return exc.stop
        cpu = self.cpu
        cpu.icount += 1
        if isinstance(exc, HaltNow):
            cpu.pc = pc + 4
            return Halted(cpu.gpr[3] & 0xFF)
        return cpu.deliver_interrupt(exc.ivor, pc if exc.srr0 is None else exc.srr0, esr=exc.esr, dear=exc.dear)

    def step_checked(self):
        """One instruction with the armed comparators: IAC before, DAC/TRAP/BRT/RET during
        (before it takes effect), IC after.

        The guest's own IC event is recognized only for an instruction that began with
        MSR[DE] = 1 (EREF): an rfi into a single-stepped user program, which sets DE, is not its
        first step, and an instruction that clears DE still is one. That holds also while a
        host's set is active with the guest's IC merged into it; the host's own IC sees every
        instruction (KVM forces MSR[DE] in the real MSR while it debugs)."""
        cpu = self.cpu
        pc = cpu.pc
        debug = cpu.debug
        began_with_de = cpu.msr & booke.MSR_DE
        skip = debug.skip_checks_at == pc
        debug.skip_checks_at = None
        if skip:
            cpu.suspend_data_comparators()
        elif debug.iac_armed:
            bits = debug.iac_hits(pc, cpu.msr)
            if bits:
                return self.debug_event(bits, before=True)
        try:
            outcome, _ = self.execute(1)
        except DebugEvent as event:
            return self.debug_event(event.bits, before=True)
        finally:
            if skip:
                cpu.debug_registers_changed()
        if outcome is None and debug.ic_armed:
            host = debug.host
            guests = debug.active is cpu.guest_debug_regs or host is not None and host.guest_owns(booke.DBSR_IC)
            if began_with_de or not guests:
                return self.debug_event(booke.DBSR_IC, before=False)
        return outcome

    def next_step_is_quiet(self) -> bool:
        """True if the next step certainly ends in the IC event after executing the instruction
        at PC: IC is armed, no IAC matches first, no taken-branch event is armed, and the
        instruction touches only registers
        (``registers_only`` in the ISA table: no memory, no interrupt, no debug register, no
        halt). The stub answers such a step before running it."""
        cpu = self.cpu
        pc = cpu.pc
        debug = cpu.debug
        if cpu.halt_pending or self.inputs_pending or not debug.ic_armed or debug.branch_armed:
            return False
        if debug.iac_armed and debug.skip_checks_at != pc and debug.iac_hits(pc, cpu.msr):
            return False
        semantics, _ = cpu.decode(pc)
        return touches_only_registers(semantics)

    def run(self, max_steps: int):
        """Execute up to ``max_steps`` instructions; the outcome that stopped it, or None.

        A step is an instruction (possibly entering an interrupt) or a debug event before one.
        An input pin that is high and enabled is taken between instructions. Translated blocks
        run while they fit in the budget; the interpreter takes the rest."""
        cpu = self.cpu
        if cpu.halt_pending:
            return Halted(cpu.gpr[3] & 0xFF)
        cpu.debug_registers_changed()
        remaining = max_steps
        code = cpu.code
        blocks = code.blocks
        addressing = cpu.addressing
        paged = not addressing.identity   # a block is then checked against its start's translation
        # Arriving by falling through (at a slice start, or after one interpreted instruction
        # of cold code) does not make an address hot: blocks start where control branches to.
        fell_through = cpu.icount
        while remaining > 0:
            if cpu.icount >= self.timer_deadline:
                self.timers_changed()
            if self.inputs_pending:
                outcome = self._take_input_interrupt()
                if outcome is not None:
                    return outcome
                self.settle()         # the interrupt taken (if any) masks what is still up
            if self.translate_after is not None and cpu.debug.skip_checks_at is None:
                start = cpu.icount
                limit = start + remaining
                slot = None    # the link slot of the exit the last block took, if any
                try:
                    while not self.interpret_only:
                        pc = cpu.pc
                        block = blocks.get(pc)
                        if block is None or paged and block.run and block.physical != addressing.code_address(pc):
                            block = INTERPRET if cpu.icount == fell_through else cpu.hot_block(pc)
                        run, length, _, _ = block
                        end = self.timer_deadline
                        if limit < end:
                            end = limit
                        if run is not None and cpu.icount + length <= end:
                            if slot is not None:
                                code.link(slot, block, addressing.generation)
                            slot = run(cpu, end - cpu.icount)
                            # linked blocks: an exit that leaves nothing to look at (a called
                            # instruction that changes anything ends its block unlinked)
                            while slot is not None:
                                run, length, _ = slot
                                if run is None:
                                    break
                                if cpu.icount + length > end:
                                    slot = None
                                    break
                                slot = run(cpu, end - cpu.icount)
                        elif run is None and not self.attention and end > cpu.icount:
                            slot = None
                            # cold code: interpreted up to the next taken branch or block
                            # start, without the round through the outer loop (nothing it looks
                            # at is pending)
                            steps = min(end - cpu.icount, _COLD_STEPS)
                            outcome, done = self.execute(steps, blocks)
                            if outcome is not None:
                                return outcome
                            if done == steps:   # stopped by the budget, not at a branch target
                                fell_through = cpu.icount
                        else:
                            break
                except DebugEvent as event:
                    start -= 1                      # the event is a step, as in step_checked
                    outcome = self.debug_event(event.bits, before=True)
                except (GuestInterrupt, HaltNow, HostStop) as exc:
                    outcome = self._instruction_raised(exc, cpu.pc)
                else:
                    # progress made: back to the top, which looks at timers and inputs first
                    # (an unmasking instruction may have ended the loop); none: interpret a step
                    outcome = _NO_BLOCK if cpu.icount == start else None
                if outcome is not None and outcome is not _NO_BLOCK:
                    return outcome
                remaining -= cpu.icount - start
                if outcome is None or remaining <= 0:
                    continue
            self.settle()
            if self.debug_armed:
                pc = cpu.pc
                outcome, done = self.step_checked(), 1
                if cpu.pc == pc + 4 and blocks.get(pc) is not INTERPRET:
                    fell_through = cpu.icount
            else:
                budget = max(1, min(remaining, self.timer_deadline - cpu.icount))
                if self.translate_after is None:
                    outcome, done = self.execute(budget)
                else:
                    steps = min(budget, _COLD_STEPS)
                    outcome, done = self.execute(steps, blocks)
                    if done == steps:   # as above: stopped by the budget, not at a branch target
                        fell_through = cpu.icount
            if outcome is not None:
                return outcome
            remaining -= done
        return None
