"""The KVM PowerPC guest-debug ABI: control flags, breakpoint types, the debug exit.

Mirrors ``arch/powerpc/include/uapi/asm/kvm.h`` as merged (``address`` + ``status`` in the exit,
not the seed's ``pc`` + ``exception``).
"""
from dataclasses import dataclass, field

KVM_GUESTDBG_ENABLE = 0x00000001
KVM_GUESTDBG_SINGLESTEP = 0x00000002
KVM_GUESTDBG_USE_SW_BP = 0x00010000
KVM_GUESTDBG_USE_HW_BP = 0x00020000

KVMPPC_DEBUG_NONE = 0x0
KVMPPC_DEBUG_BREAKPOINT = 1 << 1
KVMPPC_DEBUG_WATCH_WRITE = 1 << 2
KVMPPC_DEBUG_WATCH_READ = 1 << 3
KVMPPC_DEBUG_VALID_TYPES = KVMPPC_DEBUG_BREAKPOINT | KVMPPC_DEBUG_WATCH_WRITE | KVMPPC_DEBUG_WATCH_READ
# This model's extension (the merged ABI has no DAC ranges): a watch entry with this flag is
# the start of a range that the next entry's address ends (exclusive), held by both DACs in
# the DBCR2[DAC12M] range mode, as Linux's ptrace programs its ranged watchpoints.
KVMPPC_DEBUG_RANGE = 1 << 4
# More of this model's extensions, for what BookE has and the ABI cannot name (``monitor``):
# BREAKPOINT|RANGE is the IAC1/IAC2 range [addr, next entry's addr) (DBCR1[IAC12M]), OUTSIDE
# makes it exclusive; a watch entry with VALUE also compares the data (DVC, ``value`` and its
# byte lanes ``lanes``) in the DAC slot it gets; ``GuestDebug.events`` are DBCR0 event enables.
KVMPPC_DEBUG_OUTSIDE = 1 << 5
KVMPPC_DEBUG_VALUE = 1 << 6
KVMPPC_DEBUG_EXTENSIONS = KVMPPC_DEBUG_RANGE | KVMPPC_DEBUG_OUTSIDE | KVMPPC_DEBUG_VALUE

KVM_GUESTDBG_BP_COUNT = 16  # length of kvm_guest_debug_arch.bp[]


@dataclass(frozen=True)
class BreakpointSpec:
    """One ``kvm_guest_debug_arch.bp[]`` entry (entries are replaced, never changed)."""
    addr: int = 0
    type: int = KVMPPC_DEBUG_NONE
    value: int = 0      # KVMPPC_DEBUG_VALUE: the DVC word ...
    lanes: int = 0      # ... and its byte lanes (0x8 = the most significant byte)


UNUSED_BREAKPOINT = BreakpointSpec()


@dataclass
class GuestDebug:
    """``struct kvm_guest_debug``: what the stub asks the vCPU's debug facility to do."""
    control: int = 0
    bp: list[BreakpointSpec] = field(default_factory=lambda: [UNUSED_BREAKPOINT] * KVM_GUESTDBG_BP_COUNT)
    events: int = 0     # DBCR0 BRT/IRPT/RET/TRAP to enable (this model's extension)


@dataclass(frozen=True)
class DebugExit:
    """``struct kvm_debug_exit_arch``: why the vCPU stopped for the stub.

    ``status`` is 0 (single step, software breakpoint) or KVMPPC_DEBUG_BREAKPOINT /
    WATCH_WRITE / WATCH_READ; ``address`` is the PC, or the DAC value for a watchpoint.
    ``events`` (this model's extension): the DBSR bits of the address-less events (BRT, IRPT,
    RET, TIE) behind a status-0 exit.
    """
    address: int
    status: int
    events: int = 0
