"""The KVM side's seam to the VMM (``controller.Userspace``), on a bare vCPU: KVM hands its
debug exits over and runs the guest on when the VMM says so; a debug instruction the VMM does
not claim is the guest's Program interrupt."""
from __future__ import annotations

import signal

from gdbstub.hwdebug.abi import KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_SW_BP, DebugExit, GuestDebug
from gdbstub.hwdebug.controller import DebugController
from gdbstub.vcpu import booke
from gdbstub.vcpu.cpu import Cpu
from gdbstub.vcpu.memory import Memory

ADDI = (0x38630001).to_bytes(4, "big")       # addi 3,3,1
START = 0x1000


class Userspace:
    def __init__(self, *, claims: bool, stop_after: int = 1):
        self.claims, self.stop_after, self.exits = claims, stop_after, []

    def claims_debug_instruction(self, pc):
        return self.claims

    def handle_debug_exit(self, debug_exit):
        self.exits.append(debug_exit)
        return debug_exit if len(self.exits) >= self.stop_after else None


def vcpu(code: bytes) -> Cpu:
    cpu = Cpu(memory=Memory(size=1 << 20))
    cpu.write_memory(START, code)
    cpu.pc = START
    return cpu


def test_single_step_exits_go_to_the_vmm_which_may_run_the_guest_on():
    cpu = vcpu(ADDI * 4)
    userspace = Userspace(claims=False, stop_after=3)
    DebugController(cpu, userspace).set_guest_debug(GuestDebug(control=KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP))
    assert cpu.run(10) == DebugExit(START + 12, 0)
    assert userspace.exits == [DebugExit(START + 4, 0), DebugExit(START + 8, 0), DebugExit(START + 12, 0)]
    assert cpu.gpr[3] == 3


def test_a_debug_instruction_is_a_breakpoint_only_if_the_vmm_claims_it():
    trap = booke.EHPRIV_DEBUG.to_bytes(4, "big")
    claimed = vcpu(ADDI + trap)
    DebugController(claimed, Userspace(claims=True)).set_guest_debug(
        GuestDebug(control=KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP))
    assert claimed.run(10) == DebugExit(START + 4, 0)
    refused = vcpu(ADDI + trap)
    DebugController(refused, Userspace(claims=False)).set_guest_debug(
        GuestDebug(control=KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP))
    assert refused.run(10).signal == signal.SIGILL      # Program interrupt, no handler installed
