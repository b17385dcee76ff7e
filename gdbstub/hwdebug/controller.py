"""The stub side of KVM's booke guest debug, installed as the vCPU's debug host.

While the stub debugs (any point inserted, or a step), ``cpu.active_debug`` is the stub's
shadow register set programmed by ``set_guest_debug``; the guest's own DBCR0/IAC/DAC values
are kept untouched and become active again when the stub disables. The stub's settings win,
but the guest's comparators stay live in the slots the stub does not use, and their events
(like any event that matches no stub point) are re-injected into the guest rather than
reported to gdb. When the stub does not debug, the guest owns the facility and its events
are delivered by KVM's rules.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..vcpu import booke
from ..vcpu.debugregs import DebugRegs
from .abi import (KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP,
                  KVM_GUESTDBG_USE_SW_BP, KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_WATCH_READ,
                  KVMPPC_DEBUG_WATCH_WRITE, DebugExit)
from .exit import decode_debug_exit
from .guest_debug import set_guest_debug
from .points import Z_NAMES, Points
from .profiles import E500MC, CoreProfile

WATCH_KINDS = {2: "watch", 3: "rwatch", 4: "awatch"}
FALLBACK_WATCH_KIND = {KVMPPC_DEBUG_WATCH_WRITE: "watch", KVMPPC_DEBUG_WATCH_READ: "rwatch"}


@dataclass(frozen=True)
class StopInfo:
    """Why the stub stopped: swbreak, hwbreak, watch, rwatch, awatch or step, and where."""
    kind: str
    address: int


class DebugController:
    """Owns the stub's points and the vCPU's debug registers; ``cpu.host`` is this object."""

    def __init__(self, cpu, profile: CoreProfile = E500MC):
        self.cpu = cpu
        self.profile = profile
        self.points = Points(cpu, profile)
        self.shadow = DebugRegs(guest_in_user_mode=not profile.hv)
        self.control = 0
        self._guest_bits = 0          # DBSR bits of guest comparators merged into the shadow set
        self._step_over: int | None = None   # a software breakpoint lifted for one step
        self._user_step = False
        self._last_kind = "step"
        cpu.debug_instruction = profile.debug_instruction
        cpu.host = self

    # --- gdb's points -------------------------------------------------------------------------
    # Like QEMU's kvm_insert_breakpoint/kvm_remove_breakpoint, every change is applied at once
    # (KVM_SET_GUEST_DEBUG), so ``monitor debug`` shows what gdb has inserted right now.
    def insert_point(self, z_type: int, addr: int, length: int) -> None:
        self.points.insert(z_type, addr, length)
        self._arm(step=False)

    def remove_point(self, z_type: int, addr: int, length: int) -> None:
        self.points.remove(z_type, addr, length)
        self._arm(step=False)

    def read_memory(self, addr: int, length: int) -> bytes:
        return self.points.read_memory(addr, length)

    def write_memory(self, addr: int, data: bytes) -> None:
        self.points.write_memory(addr, data)

    def reset(self) -> None:
        """Remove every stub point and hand the debug facility back to the guest."""
        self._restore_lifted()
        self.points.clear()
        self._arm(step=False)

    # --- resuming -------------------------------------------------------------------------------
    def resume(self, step: bool) -> None:
        """Program the facility for one resume; SINGLESTEP applies to this resume only. A
        software breakpoint under the PC is lifted for one internal step, then re-inserted."""
        self._restore_lifted()
        self._user_step = step
        pc = self.cpu.pc
        if pc in self.points.software:
            self.cpu.write_memory(pc, self.points.software[pc])
            self._step_over = pc
        self._arm(step=step or self._step_over is not None)

    def _restore_lifted(self) -> None:
        if self._step_over is not None:
            addr, self._step_over = self._step_over, None
            if addr in self.points.software:
                self.cpu.write_memory(addr, self.profile.debug_instruction.to_bytes(4, "big"))

    def _arm(self, *, step: bool) -> None:
        control = 0
        if self.points.software:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP
        if self.points.hardware:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP
        if step:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP
        set_guest_debug(self.shadow, self.points.guest_debug(control=control), self.profile)
        self.shadow.dbsr = 0
        self.control = control
        if control & KVM_GUESTDBG_ENABLE:
            self._merge_guest_comparators()
            self.cpu.active_debug = self.shadow
        else:
            self._guest_bits = 0
            self.cpu.active_debug = self.cpu.guest_debug_regs

    def _merge_guest_comparators(self) -> None:
        """Keep the guest's own comparators live in the slots the stub leaves free."""
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
        for slot in range(self.profile.dac_slots):
            rw = booke.DBCR0_DACR[slot] | booke.DBCR0_DACW[slot]
            if guest.dbcr0 & rw and not shadow.dbcr0 & rw:
                shadow.dac[slot] = guest.dac[slot]
                merged |= guest.dbcr0 & rw
                self._guest_bits |= booke.DBSR_DACR[slot] | booke.DBSR_DACW[slot]
        if guest.dbcr0 & booke.DBCR0_IC and not shadow.dbcr0 & booke.DBCR0_IC:
            merged |= booke.DBCR0_IC
            self._guest_bits |= booke.DBSR_IC
        if guest.dbcr0 & booke.DBCR0_TRAP:
            merged |= booke.DBCR0_TRAP
            self._guest_bits |= booke.DBSR_TIE
        if merged:
            shadow.dbcr0 |= merged | booke.DBCR0_IDM

    # --- vCPU hooks -------------------------------------------------------------------------------
    def on_guest_debug_write(self, cpu) -> None:
        """The guest wrote one of its debug registers: refresh what is merged while we debug."""
        if self.control & KVM_GUESTDBG_ENABLE:
            self._arm(step=bool(self.control & KVM_GUESTDBG_SINGLESTEP))

    def on_debug_event(self, cpu, bits: int):
        if self.cpu.active_debug is not self.shadow:
            return self._deliver_to_guest(bits)
        guest_bits = bits & self._guest_bits
        stub_bits = bits & ~guest_bits
        self.shadow.dbsr &= ~guest_bits
        if stub_bits & booke.DBSR_IC and self._step_over is not None:
            self._restore_lifted()
            if not self._user_step:
                self._arm(step=False)
                stub_bits &= ~booke.DBSR_IC
                self.shadow.dbsr &= ~booke.DBSR_IC
        if stub_bits:
            exit = decode_debug_exit(self.shadow.dbsr, self.shadow, cpu.pc)
            self.shadow.dbsr = 0
            self._last_kind = "step"
            return exit
        if guest_bits:
            cpu.guest_debug_regs.dbsr |= guest_bits
            return self._deliver_to_guest(guest_bits)
        return None

    def next_ic_is_a_step(self) -> bool:
        """True if an IC event now would end the resume as gdb's single step (plain ``T05``):
        the stub owns the facility and single-steps, and no software breakpoint is lifted."""
        return (self.cpu.active_debug is self.shadow and bool(self.control & KVM_GUESTDBG_SINGLESTEP)
                and self._step_over is None and not self._guest_bits & booke.DBSR_IC and not self.shadow.dbsr)

    def on_debug_instruction(self, cpu):
        pc = cpu.pc
        if self.control & KVM_GUESTDBG_USE_SW_BP and pc in self.points.software:
            self._last_kind = "swbreak"
            return DebugExit(pc, 0)
        # Not ours: QEMU injects a Program (illegal instruction) interrupt into the guest.
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

    # --- reporting --------------------------------------------------------------------------------
    def describe_stop(self, exit: DebugExit) -> StopInfo:
        """Map a debug exit to gdb's stop reason; a watch stop names how its point was inserted."""
        if exit.status & KVMPPC_DEBUG_BREAKPOINT:
            return StopInfo("hwbreak", exit.address)
        if exit.status:
            for point in self.points.hardware:
                if point.addr == exit.address and point.z_type in WATCH_KINDS and point.kvm_type & exit.status:
                    return StopInfo(WATCH_KINDS[point.z_type], exit.address)
            return StopInfo(FALLBACK_WATCH_KIND[exit.status], exit.address)
        return StopInfo(self._last_kind, exit.address)

    def describe(self) -> str:
        """The ``monitor debug`` text: registers, slots and their owners."""
        regs = self.cpu.active_debug
        owner = "stub (gdb)" if regs is self.shadow else "guest"
        lines = [f"profile {self.profile.name}: {self.profile.iac_slots} IAC + {self.profile.dac_slots} DAC slots; "
                 f"debug facility owned by the {owner}",
                 f"DBCR0 {regs.dbcr0:#010x}  DBCR1 {regs.dbcr1:#010x}  DBCR2 {regs.dbcr2:#010x}  "
                 f"DBSR {regs.dbsr:#010x}"]
        iac_points = [p for p in self.points.hardware if p.z_type == 1]
        dac_points = [p for p in self.points.hardware if p.z_type != 1]
        for name, count, enables, values, owners in (
                ("IAC", self.profile.iac_slots, [booke.DBCR0_IAC[n] for n in range(4)], regs.iac, iac_points),
                ("DAC", self.profile.dac_slots,
                 [booke.DBCR0_DACR[n] | booke.DBCR0_DACW[n] for n in range(2)], regs.dac, dac_points)):
            for slot in range(count):
                if not regs.dbcr0 & enables[slot]:
                    lines.append(f"{name}{slot + 1}  free")
                    continue
                point = owners[slot] if regs is self.shadow and slot < len(owners) else None
                who = (f"gdb {Z_NAMES[point.z_type]} (Z{point.z_type})" if point else "guest")
                lines.append(f"{name}{slot + 1}  {values[slot]:#010x}  {who}")
        for addr in sorted(self.points.software):
            lines.append(f"software breakpoint {addr:#010x} (saved word {self.points.software[addr].hex()})")
        return "\n".join(lines) + "\n"
