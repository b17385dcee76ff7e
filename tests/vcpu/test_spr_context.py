"""SPR accessors see the vCPU only through ``SprContext``: every one of them works on an object
that has nothing else."""
from __future__ import annotations

from gdbstub.vcpu.debugregs import DebugRegs
from gdbstub.vcpu.spr import initial_storage, spr_table
from gdbstub.vcpu.booke_timers import BookeTimers
from gdbstub.vcpu.mmu import Mmu


class OnlyTheContext:
    """SprContext and not one attribute more (``__slots__``; ``icount`` drives ``timers``,
    ``written`` and ``timer_notices`` count the notices)."""
    __slots__ = ("sprs", "ivors_installed", "xer", "lr", "ctr", "timers", "tlb", "guest_debug_regs",
                 "icount", "written", "timer_notices", "context_notices")

    def __init__(self):
        self.sprs = initial_storage()
        self.ivors_installed = set()
        self.xer = self.lr = self.ctr = self.icount = self.written = self.timer_notices = 0
        self.context_notices = 0
        self.timers = BookeTimers()
        self.tlb = Mmu()
        self.guest_debug_regs = DebugRegs()

    def guest_debug_written(self) -> None:
        self.written += 1

    def timers_changed(self) -> None:
        self.timer_notices += 1

    def translation_context_changed(self) -> None:
        self.context_notices += 1


def test_every_accessor_reads_and_writes_through_the_context_alone():
    context = OnlyTheContext()
    table = spr_table(4, booke_mmu=True)
    for number, access in sorted(table.items()):
        if access.write is not None:
            access.write(context, 0x12345678)
        if access.read is not None:
            assert 0 <= access.read(context) <= 0xFFFFFFFF, number
    assert context.written == 3 + 2 + 4          # DBCR0-2, DAC1-2, IAC1-4 tell the vCPU
    assert context.context_notices == 1          # PID
    assert context.lr == context.ctr == 0x12345678 and context.xer == 0x12345678 & 0xE000007F
    assert context.guest_debug_regs.iac == [0x12345678] * 4
    assert 4 in context.ivors_installed and context.timers.read_spr(22, 0) == 0x12345678
    assert context.timer_notices == 6 + 1         # DEC DECAR TBL TBU TSR TCR, HID0
