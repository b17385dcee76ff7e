"""KVM's side of booke guest debug for one vCPU, installed as the vCPU's debug host.

While the VMM debugs (``KVM_GUESTDBG_ENABLE``), ``cpu.active_debug`` is the shadow register set
programmed by :meth:`DebugController.set_guest_debug`; the guest's own DBCR0/IAC/DAC values are
kept untouched and become active again when the VMM disables. The VMM's settings win, but the
guest's comparators stay live in the slots the VMM does not use, and their events (like any
event the VMM's settings did not ask for) are re-injected into the guest rather than reported.
When the VMM does not debug, the guest owns the facility and its events are delivered by KVM's
rules.

Events the VMM asked for leave KVM as a :class:`~.abi.DebugExit` handed to the
:class:`Userspace` (QEMU's ``kvm_handle_debug``), which decides synchronously whether the
guest stops or runs on. This module knows KVM's ABI only: nothing of gdb's point types or stop
names.
"""
from __future__ import annotations

from typing import Protocol

from ..vcpu import booke
from ..vcpu.debugregs import DebugRegs
from .abi import KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_SW_BP, DebugExit, GuestDebug
from .exit import decode_debug_exit
from .guest_debug import set_guest_debug
from .profiles import E500MC, CoreProfile


class Userspace(Protocol):
    """The VMM that KVM's debug exits go to."""

    def claims_debug_instruction(self, pc: int) -> bool:
        """True if the debug instruction at ``pc`` is one of the VMM's software breakpoints
        (else the guest gets the Program interrupt the instruction would raise)."""

    def handle_debug_exit(self, debug_exit: DebugExit) -> DebugExit | None:
        """The exit that ends the run, or None to let the guest run on."""


class DebugController:
    """The vCPU's debug facility under KVM: ``cpu.host`` is this object."""

    def __init__(self, cpu, userspace: Userspace, profile: CoreProfile = E500MC):
        self.cpu = cpu
        self.userspace = userspace
        self.profile = profile
        self.shadow = DebugRegs(guest_in_user_mode=not profile.hv)
        self.control = 0
        self._guest_bits = 0          # DBSR bits of guest comparators merged into the shadow set
        self._request = GuestDebug()  # the last request, re-applied when the guest's registers change
        cpu.debug_instruction = profile.debug_instruction
        cpu.host = self

    @property
    def vmm_owns_facility(self) -> bool:
        return self.cpu.active_debug is self.shadow

    def guest_owns(self, dbsr_bits: int) -> bool:
        """True if the events of ``dbsr_bits`` are the guest's own comparators, merged into
        the VMM's set (or the guest owns the whole facility)."""
        return not self.vmm_owns_facility or bool(self._guest_bits & dbsr_bits)

    def set_guest_debug(self, dbg: GuestDebug) -> None:
        """``KVM_SET_GUEST_DEBUG``: all or nothing (:class:`~.guest_debug.GuestDebugError`)."""
        set_guest_debug(self.shadow, dbg, self.profile)
        self.shadow.dbsr = 0
        self.control = dbg.control
        if dbg.control & KVM_GUESTDBG_ENABLE:
            self._merge_guest_comparators()
            self.cpu.active_debug = self.shadow
        else:
            self._guest_bits = 0
            self.cpu.active_debug = self.cpu.guest_debug_regs
        self._request = dbg

    def _merge_guest_comparators(self) -> None:
        """Keep the guest's own comparators live in the slots the VMM leaves free."""
        guest, shadow = self.cpu.guest_debug_regs, self.shadow
        self._guest_bits = 0
        if not guest.dbcr0 & booke.DBCR0_IDM:
            return
        merged = 0
        for slot in range(self.profile.iac_slots):
            if guest.dbcr0 & booke.DBCR0_IAC[slot] and not shadow.dbcr0 & booke.DBCR0_IAC[slot]:
                shadow.iac[slot] = guest.iac[slot]
                merged |= booke.DBCR0_IAC[slot]
                self._guest_bits |= booke.DBSR_IAC[slot]
        for slot in range(0 if shadow.dbcr2 & booke.DBCR2_DAC12MODE else self.profile.dac_slots):
            rw = booke.DBCR0_DACR[slot] | booke.DBCR0_DACW[slot]   # (a range of ours holds both)
            if guest.dbcr0 & rw and not shadow.dbcr0 & rw:
                shadow.dac[slot] = guest.dac[slot]
                merged |= guest.dbcr0 & rw
                self._guest_bits |= booke.DBSR_DACR[slot] | booke.DBSR_DACW[slot]
        if guest.dbcr0 & booke.DBCR0_IC and not shadow.dbcr0 & booke.DBCR0_IC:
            merged |= booke.DBCR0_IC
            self._guest_bits |= booke.DBSR_IC
        for enable, event in ((booke.DBCR0_TRAP, booke.DBSR_TIE), (booke.DBCR0_BT, booke.DBSR_BT),
                              (booke.DBCR0_IRPT, booke.DBSR_IRPT), (booke.DBCR0_RET, booke.DBSR_RET)):
            if guest.dbcr0 & enable and not shadow.dbcr0 & enable:
                merged |= enable
                self._guest_bits |= event
        if merged:
            shadow.dbcr0 |= merged | booke.DBCR0_IDM

    def next_ic_exits(self) -> bool:
        """True if an IC event now would leave KVM as the VMM's single-step exit: the VMM owns
        the facility and single-steps, the guest does not, and no event is pending."""
        return (self.cpu.active_debug is self.shadow and bool(self.control & KVM_GUESTDBG_SINGLESTEP)
                and not self._guest_bits & booke.DBSR_IC and not self.shadow.dbsr)

    # --- vCPU hooks -------------------------------------------------------------------------------
    def on_guest_debug_write(self, cpu) -> None:
        """The guest wrote one of its debug registers: refresh what is merged while we debug."""
        if self.control & KVM_GUESTDBG_ENABLE:
            self.set_guest_debug(self._request)

    def on_debug_event(self, cpu, bits: int):
        if self.cpu.active_debug is not self.shadow:
            return self._deliver_to_guest(bits)
        guest_bits = bits & self._guest_bits
        self.shadow.dbsr &= ~guest_bits
        if bits & ~guest_bits:
            debug_exit = decode_debug_exit(self.shadow.dbsr, self.shadow, cpu.pc)
            self.shadow.dbsr = 0
            stop = self.userspace.handle_debug_exit(debug_exit)
            if stop is not None:
                return stop
        if guest_bits:
            cpu.guest_debug_regs.dbsr |= guest_bits
            return self._deliver_to_guest(guest_bits)
        return None

    def on_debug_instruction(self, cpu):
        pc = cpu.pc
        if self.control & KVM_GUESTDBG_USE_SW_BP and self.userspace.claims_debug_instruction(pc):
            return DebugExit(pc, 0)
        # Not the VMM's: QEMU injects a Program (illegal instruction) interrupt into the guest.
        return cpu.deliver_interrupt(booke.IVOR_PROGRAM, pc, esr=booke.ESR_PIL)

    def _deliver_to_guest(self, bits: int):
        """KVM's rules for the guest's own debug events (the bits are in the guest's DBSR)."""
        cpu = self.cpu
        guest = cpu.guest_debug_regs
        if cpu.msr & booke.MSR_DE and guest.dbcr0 & booke.DBCR0_IDM:
            return cpu.deliver_interrupt(booke.IVOR_DEBUG, cpu.pc)
        if bits & booke.DBSR_TIE:
            guest.dbsr &= ~booke.DBSR_TIE
            return cpu.deliver_interrupt(booke.IVOR_PROGRAM, cpu.pc, esr=booke.ESR_PTR)
        guest.dbsr |= booke.DBSR_IDE
        return None
