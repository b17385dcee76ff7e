"""KVM's side of booke guest debug for one vCPU, installed as the vCPU's debug host.

While the VMM debugs (``KVM_GUESTDBG_ENABLE``), ``cpu.active_debug`` is the shadow register set
programmed by :meth:`DebugController.set_guest_debug`; the guest's own DBCR0/IAC/DAC values are
kept untouched and become active again when the VMM disables. The VMM's settings win, but the
guest's comparators stay live in the slots the VMM does not use (in another free one when the
VMM holds their own), and their events (like any event the VMM's settings did not ask for) are
re-injected into the guest, under the guest's own slots, rather than reported.
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
        self._moved: list[tuple[int, int]] = []   # (shadow event, guest event) of a slot moved elsewhere
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
            self._moved = []
            self.cpu.active_debug = self.cpu.guest_debug_regs
        self._request = dbg

    def _merge_guest_comparators(self) -> None:
        """Keep the guest's own comparators live in the slots the VMM leaves free: each in its
        own slot if that is free, else in another free one (Linux's ptrace takes DAC1 and IAC1
        first, as gdb's first watchpoint and hbreak do); a guest range pair stays in place."""
        guest, shadow = self.cpu.guest_debug_regs, self.shadow
        self._guest_bits = 0
        self._moved = []
        if not guest.dbcr0 & booke.DBCR0_IDM:
            return
        merged = 0
        iac_free = [slot for slot in range(self.profile.iac_slots) if not shadow.dbcr0 & booke.DBCR0_IAC[slot]
                    and not (slot < 2 and shadow.dbcr1 & booke.DBCR1_IAC12MODE)]
        iac_wanted = [slot for slot in range(self.profile.iac_slots) if guest.dbcr0 & booke.DBCR0_IAC[slot]]
        iac_pinned = {0, 1} if guest.dbcr1 & booke.DBCR1_IAC12MODE else set()
        for slot, place in _places(iac_wanted, iac_free, iac_pinned).items():
            shadow.iac[place] = guest.iac[slot]
            merged |= booke.DBCR0_IAC[place]
            self._take(booke.DBSR_IAC[place], booke.DBSR_IAC[slot])
        dac_rw = [booke.DBCR0_DACR[slot] | booke.DBCR0_DACW[slot] for slot in range(self.profile.dac_slots)]
        dac_free = ([] if shadow.dbcr2 & booke.DBCR2_DAC12MODE   # (a range of ours holds both)
                    else [slot for slot, rw in enumerate(dac_rw) if not shadow.dbcr0 & rw])
        dac_wanted = [slot for slot, rw in enumerate(dac_rw) if guest.dbcr0 & rw]
        dac_pinned = {0, 1} if guest.dbcr2 & booke.DBCR2_DAC12MODE else set()
        for slot, place in _places(dac_wanted, dac_free, dac_pinned).items():
            shadow.dac[place] = guest.dac[slot]
            if guest.dbcr0 & booke.DBCR0_DACR[slot]:
                merged |= booke.DBCR0_DACR[place]
            if guest.dbcr0 & booke.DBCR0_DACW[slot]:
                merged |= booke.DBCR0_DACW[place]
            self._take(booke.DBSR_DACR[place], booke.DBSR_DACR[slot])
            self._take(booke.DBSR_DACW[place], booke.DBSR_DACW[slot])
        for enable, event in ((booke.DBCR0_IC, booke.DBSR_IC), (booke.DBCR0_TRAP, booke.DBSR_TIE),
                              (booke.DBCR0_BT, booke.DBSR_BT), (booke.DBCR0_IRPT, booke.DBSR_IRPT),
                              (booke.DBCR0_RET, booke.DBSR_RET)):
            if guest.dbcr0 & enable and not shadow.dbcr0 & enable:
                merged |= enable
                self._guest_bits |= event
        if merged:
            shadow.dbcr0 |= merged | booke.DBCR0_IDM

    def _take(self, shadow_event: int, guest_event: int) -> None:
        """A shadow slot's event ``shadow_event`` is the guest's ``guest_event``."""
        self._guest_bits |= shadow_event
        if shadow_event != guest_event:
            self._moved.append((shadow_event, guest_event))

    def _as_guests(self, bits: int) -> int:
        """Shadow-set DBSR ``bits`` of merged guest comparators, under the guest's own slots."""
        for shadow_event, guest_event in self._moved:   # (never a swap: a guest slot's own comes first)
            if bits & shadow_event:
                bits = bits & ~shadow_event | guest_event
        return bits

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
            theirs = self._as_guests(guest_bits)
            cpu.guest_debug_regs.dbsr |= theirs
            return self._deliver_to_guest(theirs)
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


def _places(wanted: list[int], free: list[int], pinned: set[int]) -> dict[int, int]:
    """Guest slot -> shadow slot for the guest's ``wanted`` slots among the ``free`` ones:
    its own where free, else the first free one left (never for a ``pinned`` slot)."""
    places = {slot: slot for slot in wanted if slot in free}
    left = [slot for slot in free if slot not in places]
    for slot in wanted:
        if slot not in places and slot not in pinned and left:
            places[slot] = left.pop(0)
    return places
