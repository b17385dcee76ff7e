"""The BookE debug registers and the host interface the comparators report to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .cpu import Cpu


@dataclass
class DebugRegs:
    """DBCR0/1/2, DBSR, the address comparators (IAC3/4 exist only on 440-class cores) and
    the data value comparators DVC1/DVC2 (440 only; only a host programs them here: the
    e500mc's SPR table has no DVC registers for the guest).

    ``guest_in_user_mode``: PR-style KVM runs the guest with MSR[PR]=1 on the real core, so
    the DBCR1/DBCR2 user/supervisor qualifiers of these registers see user mode whatever
    the guest's own MSR says.
    """
    dbcr0: int = 0
    dbcr1: int = 0
    dbcr2: int = 0
    dbsr: int = 0
    iac: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    dac: list[int] = field(default_factory=lambda: [0, 0])
    dvc: list[int] = field(default_factory=lambda: [0, 0])
    guest_in_user_mode: bool = False


class DebugHost(Protocol):
    """What the vCPU calls when its debug facility fires (``cpu.host``).

    Each hook returns an object that stops ``run()`` (handed to its caller as it is), or
    ``None`` to carry on from ``cpu.pc``. If a "before" event's hook (IAC, DAC, TRAP) leaves
    PC on the instruction, the instruction then executes with those comparators skipped once.
    """

    def on_debug_event(self, cpu: Cpu, bits: int) -> object | None:
        """DBSR ``bits`` (already ORed into ``cpu.active_debug.dbsr``) fired at ``cpu.pc``."""

    def on_debug_instruction(self, cpu: Cpu) -> object | None:
        """``cpu.debug_instruction`` is about to execute at ``cpu.pc``."""

    def on_guest_debug_write(self, cpu: Cpu) -> None:
        """The guest wrote DBCR0/1/2, IACn or DACn (``cpu.guest_debug_regs``) with mtspr."""

    def guest_owns(self, dbsr_bits: int) -> bool:
        """True if the events of ``dbsr_bits`` come from the guest's own settings merged into
        the host's set (they follow the guest's MSR[DE], not the host's forced one)."""
