"""The stub's side of debugging on the KVM model: what QEMU does around ``KVM_SET_GUEST_DEBUG``.

gdb's points become ``kvm_guest_debug_arch.bp[]`` entries as QEMU maps them (a hardware
breakpoint is BREAKPOINT, a write/read/access watchpoint WATCH_WRITE/WATCH_READ/both); each
insert first checks that the whole set still programs (``compute_debug_regs``), so a refused
insert changes nothing. A watchpoint must never miss an access, and an exact DAC matches only
accesses that include its address: single-byte watchpoints get a DAC each while two suffice;
otherwise both DACs hold one range over every watchpoint (DBCR2[DAC12M]), where the core has
the range mode, and the accesses it catches that touch no watchpoint (or not in the watched
direction) run on unreported. A watch stop reports the first watched byte the access touched.
A software breakpoint is the profile's debug instruction written over the guest's word, which
is saved and shown to the client instead. The one the guest last stopped on is lifted for a
single internal step when the guest resumes from it; one the guest reached otherwise (a
step, a jump, a PC the client wrote) stops it at once, as on QEMU. The debug exits KVM hands back
(:class:`~.hwdebug.controller.Userspace`) are named as the target's stop events.
"""
from __future__ import annotations

import contextlib
import signal
from dataclasses import dataclass

from .hwdebug.abi import (KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP,
                          KVM_GUESTDBG_USE_SW_BP, KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_RANGE,
                          KVMPPC_DEBUG_WATCH_READ, KVMPPC_DEBUG_WATCH_WRITE, BreakpointSpec, DebugExit,
                          GuestDebug)
from .hwdebug.controller import DebugController
from .hwdebug.guest_debug import GuestDebugError, compute_debug_regs
from .hwdebug.profiles import CoreProfile
from .target import (BreakpointStop, NoSuchPoint, PointKind, PointRefused, SignalStop, StopEvent,
                     WatchStop)
from .vcpu import booke
from .vcpu.debug import dac_range
from .vcpu.isa.bits import MASK32

KVM_POINT_TYPES = {
    PointKind.HARDWARE: KVMPPC_DEBUG_BREAKPOINT,
    PointKind.WATCH_WRITE: KVMPPC_DEBUG_WATCH_WRITE,
    PointKind.WATCH_READ: KVMPPC_DEBUG_WATCH_READ,
    PointKind.WATCH_ACCESS: KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE,
}
GDB_COMMANDS = {PointKind.HARDWARE: "hbreak (Z1)", PointKind.WATCH_WRITE: "watch (Z2)",
                PointKind.WATCH_READ: "rwatch (Z3)", PointKind.WATCH_ACCESS: "awatch (Z4)"}
WORD = 4
HW_CONTROL = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP


@dataclass(frozen=True)
class HardwarePoint:
    kind: PointKind
    addr: int
    length: int

    @property
    def kvm_type(self) -> int:
        return KVM_POINT_TYPES[self.kind]

    @property
    def end(self) -> int:
        return self.addr + max(self.length, 1)


class StubDebug:
    """gdb's points on one vCPU (``cpu`` provides ``read_memory``/``write_memory``) and the
    VMM side of its :class:`DebugController`; stops are reported for ``thread``."""

    def __init__(self, cpu, profile: CoreProfile, thread: int):
        self.cpu = cpu
        self.profile = profile
        self.thread = thread
        self.kvm = DebugController(cpu, self, profile)
        self.hardware: list[HardwarePoint] = []
        self.software: dict[int, bytes] = {}   # address -> the guest's original word
        self.plain_step = SignalStop(thread, signal.SIGTRAP)
        self._trap_word = profile.debug_instruction.to_bytes(WORD, "big")
        self._step_over: int | None = None     # a software breakpoint lifted for one step
        self._user_step = False
        self._software_hit = False             # the last status-0 exit was a software breakpoint
        self._stopped_on: int | None = None    # the software breakpoint of the last stop, if any
        self._watch_hit: WatchStop | None = None   # the stop of the last watch exit
        self._requests: dict[int, GuestDebug] = {}   # by control word, for the hardware points now

    # --- inserting and removing ---------------------------------------------------------------
    # Like QEMU's kvm_insert_breakpoint/kvm_remove_breakpoint, every change is applied at once
    # (KVM_SET_GUEST_DEBUG), so ``monitor debug`` shows what gdb has inserted right now.
    def insert(self, kind: PointKind, addr: int, length: int) -> None:
        if not 0 <= addr <= MASK32:    # refused, not cut to 32 bits
            raise PointRefused(f"{addr:#x} is not a 32-bit address")
        if kind is PointKind.SOFTWARE:
            self._insert_software(addr)
        else:
            self._insert_hardware(HardwarePoint(kind, addr, length))
        self._arm(step=False)

    def remove(self, kind: PointKind, addr: int, length: int) -> None:
        if kind is PointKind.SOFTWARE:
            self._remove_software(addr)
        else:
            point = self._find_hardware(kind, addr)
            if point is None:
                raise NoSuchPoint(f"no {kind.value} at {addr:#x}")
            self.hardware.remove(point)
            self._requests.clear()
        self._arm(step=False)

    def clear(self) -> None:
        """Remove every point and hand the debug facility back to the guest."""
        self._restore_lifted()
        for addr in list(self.software):
            self._remove_software(addr)
        self.hardware.clear()
        self._requests.clear()
        self._arm(step=False)

    def _find_hardware(self, kind: PointKind, addr: int) -> HardwarePoint | None:
        return next((p for p in self.hardware if p.kind is kind and p.addr == addr), None)

    def _insert_hardware(self, point: HardwarePoint) -> None:
        if self._find_hardware(point.kind, point.addr):
            return
        try:
            compute_debug_regs(self._guest_debug(self.hardware + [point], control=HW_CONTROL), self.profile)
        except GuestDebugError as exc:
            raise PointRefused(f"cannot insert a {point.kind.value} at {point.addr:#x}: {exc}") from None
        self.hardware.append(point)
        self._requests.clear()

    def _insert_software(self, addr: int) -> None:
        if addr & (WORD - 1):
            raise PointRefused(f"software breakpoint at {addr:#x} is not word aligned")
        if addr in self.software:
            return
        original = self.cpu.read_memory(addr, WORD)
        self.cpu.write_memory(addr, self._trap_word)
        self.software[addr] = original

    def _remove_software(self, addr: int) -> None:
        original = self.software.pop(addr, None)
        if original is None:
            raise NoSuchPoint(f"no software breakpoint at {addr:#x}")
        if self.cpu.read_memory(addr, WORD) == self._trap_word:
            self.cpu.write_memory(addr, original)

    # --- what KVM is asked to do --------------------------------------------------------------
    def _guest_debug(self, hardware: list[HardwarePoint], *, control: int) -> GuestDebug:
        """A ``GuestDebug`` with ``control`` and the hardware points: the breakpoints in
        insertion order, then the watchpoints, a DAC each or one range over them all."""
        profile = self.profile
        entries = [BreakpointSpec(p.addr, p.kvm_type) for p in hardware if p.kind is PointKind.HARDWARE]
        watches = [p for p in hardware if p.kind.is_watch]
        if (all(p.length <= 1 for p in watches) and len(watches) <= profile.dac_slots) or not profile.dac_range:
            wide = next((p for p in watches if p.length > 1), None)
            if wide is not None:
                raise GuestDebugError(f"{wide.length} bytes: a DAC watches one byte and the {profile.name} "
                                      "core has no DAC range mode")
            entries += [BreakpointSpec(p.addr, p.kvm_type) for p in watches]
        elif watches:
            kinds = 0
            for p in watches:
                kinds |= p.kvm_type
            entries += [BreakpointSpec(min(p.addr for p in watches), kinds | KVMPPC_DEBUG_RANGE),
                        BreakpointSpec(max(p.end for p in watches), kinds)]
        if len(entries) > profile.iac_slots + profile.dac_slots:
            # set_guest_debug reads only that many bp[] entries; QEMU refuses the rest (ENOBUFS)
            raise GuestDebugError(f"all {profile.iac_slots + profile.dac_slots} hardware slots are in use")
        dbg = GuestDebug(control=control)
        dbg.bp[:len(entries)] = entries
        return dbg

    def _arm(self, *, step: bool) -> None:
        """``KVM_SET_GUEST_DEBUG`` for the points now, and a single step if ``step`` (the
        request is built once per control word: every resume sends one)."""
        control = 0
        if self.software:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP
        if self.hardware:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP
        if step:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP
        request = self._requests.get(control)
        if request is None:
            request = self._requests[control] = self._guest_debug(self.hardware, control=control)
        self.kvm.set_guest_debug(request)

    # --- resuming -----------------------------------------------------------------------------
    def resume(self, step: bool) -> None:
        """Program KVM for one resume; SINGLESTEP applies to this resume only. The software
        breakpoint the guest stopped on is lifted for one internal step, then re-inserted."""
        self._restore_lifted()
        self._user_step = step
        pc = self.cpu.pc
        stopped_on, self._stopped_on = self._stopped_on, None
        if pc == stopped_on and pc in self.software:
            self.cpu.write_memory(pc, self.software[pc])
            self._step_over = pc
        self._arm(step=step or self._step_over is not None)

    def pc_written(self) -> None:
        """The client set the PC: a breakpoint there is one to stop on, not to step over."""
        self._stopped_on = None

    def _restore_lifted(self) -> None:
        if self._step_over is not None:
            addr, self._step_over = self._step_over, None
            if addr in self.software:
                self.cpu.write_memory(addr, self._trap_word)

    def next_ic_is_a_step(self) -> bool:
        """True if an IC event now would end the resume as the client's single step: KVM would
        exit for it and no software breakpoint is lifted."""
        return self._step_over is None and self.kvm.next_ic_exits()

    # --- KVM's exits (hwdebug.controller.Userspace) --------------------------------------------
    def claims_debug_instruction(self, pc: int) -> bool:
        self._software_hit = pc in self.software
        return self._software_hit

    def handle_debug_exit(self, debug_exit: DebugExit) -> DebugExit | None:
        self._software_hit = False
        if debug_exit.status & (KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE):
            self._watch_hit = self._watched_by(debug_exit.status)
            if self._watch_hit is None:   # bytes of the DAC range that no watchpoint asked for
                return None
        if self._step_over is not None and debug_exit.status == 0:
            self._restore_lifted()
            if not self._user_step:   # the internal step over a lifted breakpoint: run on
                self._arm(step=False)
                return None
        return debug_exit

    def _watched_by(self, status: int) -> WatchStop | None:
        """The stop for the access the DACs just caught (``cpu.debug.dac_access``): the first
        watchpoint it touches in its direction, at the first byte of that point it touches."""
        ea, size = self.cpu.debug.dac_access
        for point in self.hardware:
            if point.kind.is_watch and point.kvm_type & status and ea < point.end and point.addr < ea + size:
                return WatchStop(self.thread, point.kind, max(ea, point.addr))
        return None

    def stop_event(self, debug_exit: DebugExit) -> StopEvent:
        """The client's name for a debug exit; a watch stop names how its point was inserted."""
        if debug_exit.status & KVMPPC_DEBUG_BREAKPOINT:
            return BreakpointStop(self.thread, PointKind.HARDWARE, debug_exit.address)
        if debug_exit.status:
            return self._watch_hit
        if self._software_hit:
            self._stopped_on = debug_exit.address
            return BreakpointStop(self.thread, PointKind.SOFTWARE, debug_exit.address)
        return self.plain_step

    # --- the machine's execution history (gdbstub/history.py) ---------------------------------
    @contextlib.contextmanager
    def software_hidden(self):
        """RAM as the guest wrote it, without the breakpoint words, while the body runs (a
        snapshot of the machine); they are written back after."""
        lifted = [addr for addr in self.software if self.cpu.read_memory(addr, WORD) == self._trap_word]
        for addr in lifted:
            self.cpu.write_memory(addr, self.software[addr])
        try:
            yield
        finally:
            for addr in lifted:
                self.cpu.write_memory(addr, self._trap_word)

    def disarm(self) -> None:
        """No point stops the guest until the next resume (the machine replays its history to
        an instruction count); the guest's own comparators work as without a debugger."""
        self.kvm.set_guest_debug(GuestDebug())

    def reload(self) -> None:
        """The machine went back in time, so RAM holds the guest's words again: insert the
        software breakpoints anew over them, program the hardware points again, and forget
        the breakpoint of the last stop."""
        self._step_over = self._stopped_on = None
        for addr in self.software:
            word = self.cpu.read_memory(addr, WORD)
            if word != self._trap_word:
                self.software[addr] = word
                self.cpu.write_memory(addr, self._trap_word)
        self._arm(step=False)

    def note_stop(self, stop: StopEvent) -> None:
        """The machine reports ``stop`` after going back: resuming from a software breakpoint
        steps over it, as after a stop going forwards."""
        if isinstance(stop, BreakpointStop) and stop.kind is PointKind.SOFTWARE:
            self._stopped_on = stop.address

    # --- guest memory with software breakpoints hidden ---------------------------------------
    def _overlapping(self, addr: int, length: int):
        return [(bp, orig) for bp, orig in self.software.items() if bp < addr + length and addr < bp + WORD]

    def read_memory(self, addr: int, length: int) -> bytes:
        """Guest memory as gdb should see it: original words under software breakpoints (a
        word the guest has overwritten since is shown as it is now)."""
        raw = self.cpu.read_memory(addr, length)
        overlapping = self.software and self._overlapping(addr, length)
        if not overlapping:
            return raw
        data = bytearray(raw)
        for bp, original in overlapping:
            if self.cpu.read_memory(bp, WORD) != self._trap_word:
                continue
            for i in range(max(bp, addr), min(bp + WORD, addr + length)):
                data[i - addr] = original[i - bp]
        return bytes(data)

    def write_memory(self, addr: int, data: bytes) -> None:
        """Write guest memory, all or nothing (a range that is partly unmapped raises BusError
        before a byte is written); under a software breakpoint the saved word takes the new
        bytes and the breakpoint stays in place."""
        self.cpu.read_memory(addr, len(data))   # side-effect free, and raises where unmapped
        data = bytearray(data)
        for bp, original in self._overlapping(addr, len(data)):
            saved = bytearray(original)
            for i in range(max(bp, addr), min(bp + WORD, addr + len(data))):
                saved[i - bp] = data[i - addr]
                data[i - addr] = self._trap_word[i - bp]
            self.software[bp] = bytes(saved)
        self.cpu.write_memory(addr, bytes(data))

    # --- monitor debug ------------------------------------------------------------------------
    def describe(self) -> str:
        """The ``monitor debug`` text: registers, slots and their owners."""
        regs = self.cpu.active_debug
        ours = self.kvm.vmm_owns_facility
        owner = "stub (gdb)" if ours else "guest"
        lines = [f"profile {self.profile.name}: {self.profile.iac_slots} IAC + {self.profile.dac_slots} DAC slots; "
                 f"debug facility owned by the {owner}",
                 f"DBCR0 {regs.dbcr0:#010x}  DBCR1 {regs.dbcr1:#010x}  DBCR2 {regs.dbcr2:#010x}  "
                 f"DBSR {regs.dbsr:#010x}"]
        iac_points = [p for p in self.hardware if p.kind is PointKind.HARDWARE]
        dac_points = [p for p in self.hardware if p.kind is not PointKind.HARDWARE]
        families = [("IAC", self.profile.iac_slots, [booke.DBCR0_IAC[n] for n in range(4)], regs.iac, iac_points)]
        span = dac_range(regs)
        if not span:
            families.append(("DAC", self.profile.dac_slots,
                             [booke.DBCR0_DACR[n] | booke.DBCR0_DACW[n] for n in range(2)], regs.dac, dac_points))
        for name, count, enables, values, owners in families:
            for slot in range(count):
                if not regs.dbcr0 & enables[slot]:
                    lines.append(f"{name}{slot + 1}  free")
                    continue
                point = owners[slot] if ours and slot < len(owners) else None
                who = f"gdb {GDB_COMMANDS[point.kind]}" if point else "guest"
                lines.append(f"{name}{slot + 1}  {values[slot]:#010x}  {who}")
        if span:
            owners = ", ".join(f"{GDB_COMMANDS[p.kind]} {p.addr:#x}-{p.end:#x}" for p in dac_points) if ours \
                else "the guest"
            lines.append(f"DAC1-DAC2  range {span[0]:#010x}-{span[1]:#010x} (DBCR2 DAC12M) for {owners}")
        for addr in sorted(self.software):
            lines.append(f"software breakpoint {addr:#010x} (saved word {self.software[addr].hex()})")
        return "\n".join(lines) + "\n"
