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

Beyond gdb's points, ``monitor`` programs what gdb has no name for (:meth:`StubDebug.monitor`):
an IAC range (IAC1/IAC2, before any gdb hbreak), a write watch with a value compare (DAC1 +
DVC1, 440 only, before gdb's watchpoints) and the BRT/IRPT/RET/TRAP events; their stops are
``DebugEventStop``s that say what happened. Resuming from one that came before its instruction
(all but IRPT) lets that instruction run once with the comparators skipped, as the hardware
debugger's handler would, so a ``continue`` moves on.
"""
from __future__ import annotations

import contextlib
import signal
from dataclasses import dataclass

from .hwdebug.abi import (KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP,
                          KVM_GUESTDBG_USE_SW_BP, KVMPPC_DEBUG_BREAKPOINT, KVMPPC_DEBUG_OUTSIDE,
                          KVMPPC_DEBUG_RANGE, KVMPPC_DEBUG_VALUE, KVMPPC_DEBUG_WATCH_READ,
                          KVMPPC_DEBUG_WATCH_WRITE, BreakpointSpec, DebugExit, GuestDebug)
from .hwdebug.controller import DebugController
from .hwdebug.guest_debug import GuestDebugError, compute_debug_regs
from .hwdebug.profiles import CoreProfile
from .target import (BreakpointStop, DebugEventStop, MonitorError, NoSuchPoint, PointKind, PointRefused,
                     SignalStop, StopEvent, WatchStop)
from .vcpu import booke
from .vcpu.cpu import interrupt_name
from .vcpu.debug import dac_range, dvc_compare, iac_range
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
# ``monitor catch NAME``: DBCR0 enable, DBSR event, how a stop names it
EVENTS = {"branch": (booke.DBCR0_BT, booke.DBSR_BT, "branch taken (BRT)"),
          "interrupt": (booke.DBCR0_IRPT, booke.DBSR_IRPT, "interrupt taken (IRPT)"),
          "return": (booke.DBCR0_RET, booke.DBSR_RET, "return from interrupt (RET)"),
          "trap": (booke.DBCR0_TRAP, booke.DBSR_TIE, "trap (TRAP)")}
MONITOR_USAGE = {
    "catch": "monitor catch branch|interrupt|return|trap [off]",
    "range": "monitor range START END [outside] | monitor range off",
    "dvc": "monitor dvc ADDR VALUE [SIZE] | monitor dvc off",
}


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


@dataclass(frozen=True)
class IacRange:
    """``monitor range``: stop before any instruction in [start, end), or with ``outside``
    before any instruction not in it."""
    start: int
    end: int
    outside: bool

    def __str__(self) -> str:
        return f"{'outside' if self.outside else 'inside'} {self.start:#010x}-{self.end:#010x}"

    def entries(self) -> list[BreakpointSpec]:
        kind = KVMPPC_DEBUG_BREAKPOINT | KVMPPC_DEBUG_RANGE | (KVMPPC_DEBUG_OUTSIDE if self.outside else 0)
        return [BreakpointSpec(self.start, kind), BreakpointSpec(self.end, KVMPPC_DEBUG_BREAKPOINT)]


@dataclass(frozen=True)
class ValueWatch:
    """``monitor dvc``: stop before a store of ``value`` (``size`` bytes) at ``addr``: DAC1 on
    the address and DVC1 on the value's byte lanes in its word."""
    addr: int
    size: int
    value: int

    def __str__(self) -> str:
        return f"{self.size}-byte store of {self.value:#x} to {self.addr:#010x}"

    def entries(self) -> list[BreakpointSpec]:
        shift = 8 * (WORD - (self.addr & 3) - self.size)
        lanes = ((1 << self.size) - 1) << (WORD - (self.addr & 3) - self.size)
        return [BreakpointSpec(self.addr, KVMPPC_DEBUG_WATCH_WRITE | KVMPPC_DEBUG_VALUE,
                               value=self.value << shift, lanes=lanes)]


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
        self.events = 0                             # DBCR0 enables of ``monitor catch``
        self.range: IacRange | None = None          # ``monitor range``
        self.value_watch: ValueWatch | None = None  # ``monitor dvc``
        self.last_event: str | None = None          # what the last event stop said
        self._event_stop: DebugEventStop | None = None   # the stop of the last exit, if an event's
        self._before_at: int | None = None          # the PC of an event stop before its instruction

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
        """Remove every point and ``monitor`` setting and hand the debug facility back to the guest."""
        self._restore_lifted()
        for addr in list(self.software):
            self._remove_software(addr)
        self.hardware.clear()
        self.events, self.range, self.value_watch = 0, None, None
        self._requests.clear()
        self._arm(step=False)

    def _find_hardware(self, kind: PointKind, addr: int) -> HardwarePoint | None:
        return next((p for p in self.hardware if p.kind is kind and p.addr == addr), None)

    def _insert_hardware(self, point: HardwarePoint) -> None:
        if self._find_hardware(point.kind, point.addr):
            return
        try:
            self._check(self.hardware + [point], self.range, self.value_watch)
        except GuestDebugError as exc:
            raise PointRefused(f"cannot insert a {point.kind.value} at {point.addr:#x}: {exc}") from None
        self.hardware.append(point)
        self._requests.clear()

    def _check(self, hardware: list[HardwarePoint], iac: IacRange | None, value: ValueWatch | None) -> None:
        """GuestDebugError unless these points and settings program together."""
        compute_debug_regs(self._guest_debug(hardware, control=HW_CONTROL, iac=iac, value=value), self.profile)

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
    def _guest_debug(self, hardware: list[HardwarePoint], *, control: int, iac: IacRange | None,
                     value: ValueWatch | None) -> GuestDebug:
        """A ``GuestDebug`` with ``control`` and the hardware points: the IAC range, the
        breakpoints in insertion order, the value watch, then the watchpoints, a DAC each or
        one range over them all; with the ``monitor catch`` events."""
        profile = self.profile
        entries = iac.entries() if iac else []
        entries += [BreakpointSpec(p.addr, p.kvm_type) for p in hardware if p.kind is PointKind.HARDWARE]
        entries += value.entries() if value else []
        watches = [p for p in hardware if p.kind.is_watch]
        dacs_free = profile.dac_slots - bool(value)
        if (all(p.length <= 1 for p in watches) and len(watches) <= dacs_free) or not profile.dac_range:
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
        dbg = GuestDebug(control=control, events=self.events)
        dbg.bp[:len(entries)] = entries
        return dbg

    def _arm(self, *, step: bool) -> None:
        """``KVM_SET_GUEST_DEBUG`` for the points now, and a single step if ``step`` (the
        request is built once per control word: every resume sends one)."""
        control = KVM_GUESTDBG_ENABLE if self.events else 0
        if self.software:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP
        if self.hardware or self.range or self.value_watch:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP
        if step:
            control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP
        request = self._requests.get(control)
        if request is None:
            request = self._requests[control] = self._guest_debug(self.hardware, control=control, iac=self.range,
                                                                  value=self.value_watch)
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
        before_at, self._before_at = self._before_at, None
        if before_at == pc:
            self.cpu.debug.skip_checks_at = pc

    def pc_written(self) -> None:
        """The client set the PC: a breakpoint (or event) there is one to stop on, not to step over."""
        self._stopped_on = self._before_at = None

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
        self._event_stop = None
        pc = self.cpu.pc
        if debug_exit.events:
            self._event_stop = self._event_named(debug_exit.events, pc)
            return debug_exit
        if (debug_exit.status & KVMPPC_DEBUG_BREAKPOINT and self.range
                and not self._find_hardware(PointKind.HARDWARE, pc)):
            self._event_stop = self._event(f"IAC range {self.range} (DBCR1 IAC12M) hit at pc {pc:#010x}",
                                           before=True)
            return debug_exit
        if debug_exit.status & (KVMPPC_DEBUG_WATCH_READ | KVMPPC_DEBUG_WATCH_WRITE):
            self._watch_hit = self._watched_by(debug_exit.status)
            if self._watch_hit is None:
                self._event_stop = self._value_hit()
                if self._event_stop is None:   # bytes of the DAC range that no watchpoint asked for
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

    def _event(self, message: str, *, before: bool) -> DebugEventStop:
        """The stop for an event gdb has no name for; ``before``: its instruction has not run."""
        self.last_event = message
        self._before_at = self.cpu.pc if before else None
        return DebugEventStop(self.thread, f"BookE debug event: {message}\n")

    def _event_named(self, bits: int, pc: int) -> DebugEventStop:
        """The stop for the ``monitor catch`` events in DBSR ``bits``."""
        names = " and ".join(text for _, event, text in EVENTS.values() if bits & event)
        if bits & booke.DBSR_IRPT:
            ivor = self.cpu.debug.interrupt_taken
            where = (f"entered the {interrupt_name(ivor)} interrupt (IVOR{ivor}) at {pc:#010x}, "
                     f"SRR0 {self.cpu.read_spr(booke.SPR_SRR0):#010x}")
        elif bits & booke.DBSR_RET:
            where = f"rfi at {pc:#010x} to {self.cpu.read_spr(booke.SPR_SRR0):#010x}, not executed yet"
        else:
            where = f"at {pc:#010x}, not executed yet"
        return self._event(f"{names}: {where}", before=not bits & booke.DBSR_IRPT)

    def _value_hit(self) -> DebugEventStop | None:
        """The stop for an access the value watch caught (DAC1 with DVC1 matched), if it was."""
        ea, size = self.cpu.debug.dac_access
        watch = self.value_watch
        if watch is None or not (ea < watch.addr + watch.size and watch.addr < ea + size):
            return None
        return self._event(f"value compare (DAC1 + DVC1): {watch} at pc {self.cpu.pc:#010x}, "
                           "not written yet", before=True)

    def stop_event(self, debug_exit: DebugExit) -> StopEvent:
        """The client's name for a debug exit; a watch stop names how its point was inserted."""
        event, self._event_stop = self._event_stop, None
        if event is not None:
            return event
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
        self._step_over = self._stopped_on = self._before_at = None
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

    # --- monitor ------------------------------------------------------------------------------
    def monitor(self, words: list[str]) -> str:
        """``monitor catch|range|dvc ...`` (``MONITOR_USAGE``): program what gdb has no command
        for; MonitorError (nothing changed) when it is malformed or cannot be programmed."""
        command, args = words[0], words[1:]
        try:
            if command == "catch":
                return self._monitor_catch(args)
            if args == ["off"]:
                iac, value = (None, self.value_watch) if command == "range" else (self.range, None)
            elif command == "range" and len(args) in (2, 3) and args[2:] in ([], ["outside"]):
                iac, value = IacRange(_number(args[0]), _number(args[1]), len(args) == 3), self.value_watch
            elif command == "dvc" and len(args) in (2, 3):
                size = _number(args[2]) if len(args) == 3 else WORD
                addr, number = _number(args[0]), _number(args[1])
                if size not in (1, 2, 4) or addr % size or not 0 <= number < 1 << 8 * size:
                    raise MonitorError(f"'monitor dvc': {number:#x} is no {size}-byte value at an address "
                                       f"aligned to it ({addr:#x}); SIZE is 1, 2 or 4")
                iac, value = self.range, ValueWatch(addr, size, number)
            else:
                raise MonitorError(f"usage: {MONITOR_USAGE[command]}")
            self._check(self.hardware, iac, value)
        except GuestDebugError as exc:
            raise MonitorError(f"'monitor {' '.join(words)}': {exc}") from None
        self.range, self.value_watch = iac, value
        self._requests.clear()
        self._arm(step=False)
        setting = iac if command == "range" else value
        return f"{command}: {setting or 'off'}\n"

    def _monitor_catch(self, args: list[str]) -> str:
        if args:
            if args[0] not in EVENTS or args[1:] not in ([], ["off"]):
                raise MonitorError(f"usage: {MONITOR_USAGE['catch']}")
            enable = EVENTS[args[0]][0]
            self.events = self.events & ~enable if args[1:] else self.events | enable
            self._requests.clear()
            self._arm(step=False)
        caught = [name for name, (enable, _, _) in EVENTS.items() if self.events & enable]
        return f"catching: {', '.join(caught) or 'nothing'}\n"

    def describe(self) -> str:
        """The ``monitor debug`` text: registers, each slot with its owner and mode, the
        events, and gdb's limits for this profile."""
        profile = self.profile
        regs = self.cpu.active_debug
        ours = self.kvm.vmm_owns_facility
        lines = [f"profile {profile.name}: {profile.iac_slots} IAC + {profile.dac_slots} DAC slots; "
                 f"debug facility owned by the {'stub (gdb)' if ours else 'guest'}",
                 f"gdb: set remote hardware-breakpoint-limit {profile.iac_slots}; "
                 f"set remote hardware-watchpoint-limit {profile.dac_slots}",
                 f"DBCR0 {regs.dbcr0:#010x}  DBCR1 {regs.dbcr1:#010x}  DBCR2 {regs.dbcr2:#010x}  "
                 f"DBSR {regs.dbsr:#010x}"]
        control = regs.dbcr0 if regs.dbcr0 & booke.DBCR0_IDM else 0

        def owner(dbsr_bits: int, stub_owner: str) -> str:
            return "guest" if self.kvm.guest_owns(dbsr_bits) else stub_owner

        span = iac_range(regs)
        iac_points = [p for p in self.hardware if p.kind is PointKind.HARDWARE]
        first = 0
        if span and control & (booke.DBCR0_IAC1 | booke.DBCR0_IAC2):
            lines.append(f"IAC1-IAC2  range {'outside' if span[2] else 'inside'} {span[0]:#010x}-{span[1]:#010x} "
                         f"(DBCR1 IAC12M) for {owner(booke.DBSR_IAC1 | booke.DBSR_IAC2, 'stub: monitor range')}")
            first = 2
        for slot in range(first, profile.iac_slots):
            if not control & booke.DBCR0_IAC[slot]:
                lines.append(f"IAC{slot + 1}  free")
                continue
            index = slot - (2 if self.range else 0)
            point = f"gdb {GDB_COMMANDS[PointKind.HARDWARE]}" if 0 <= index < len(iac_points) else "stub"
            lines.append(f"IAC{slot + 1}  {regs.iac[slot]:#010x}  {owner(booke.DBSR_IAC[slot], point)}  (exact)")
        dac_points = [p for p in self.hardware if p.kind.is_watch]
        dac_span = dac_range(regs)
        if dac_span and control & (booke.DBCR0_DAC1R | booke.DBCR0_DAC1W):
            points = ", ".join(f"{GDB_COMMANDS[p.kind]} {p.addr:#x}-{p.end:#x}" for p in dac_points)
            lines.append(f"DAC1-DAC2  range {dac_span[0]:#010x}-{dac_span[1]:#010x} (DBCR2 DAC12M) "
                         f"for {owner(booke.DBSR_DAC_ANY, points)}")
        else:
            for slot in range(profile.dac_slots):
                bits = booke.DBSR_DACR[slot] | booke.DBSR_DACW[slot]
                if not control & (booke.DBCR0_DACR[slot] | booke.DBCR0_DACW[slot]):
                    lines.append(f"DAC{slot + 1}  free")
                    continue
                compare = dvc_compare(regs, slot)
                mode = (f"DVC{slot + 1} {regs.dvc[slot]:#010x} lanes {compare[1]:#x}" if compare else "exact")
                index = slot - bool(self.value_watch)
                stub_owner = ("stub: monitor dvc" if compare and self.value_watch
                              else f"gdb {GDB_COMMANDS[dac_points[index].kind]}" if 0 <= index < len(dac_points)
                              else "stub")
                lines.append(f"DAC{slot + 1}  {regs.dac[slot]:#010x}  {owner(bits, stub_owner)}  ({mode})")
        caught = [f"{text}: {owner(event, 'stub: monitor catch')}"
                  for enable, event, text in EVENTS.values() if control & enable]
        lines.append(f"events: {'; '.join(caught) or 'none'}")
        if self.last_event:
            lines.append(f"last event: {self.last_event}")
        for addr in sorted(self.software):
            lines.append(f"software breakpoint {addr:#010x} (saved word {self.software[addr].hex()})")
        return "\n".join(lines) + "\n"


def _number(text: str) -> int:
    """An address or value of ``monitor`` (C syntax: 0x..., decimal)."""
    try:
        number = int(text, 0)
    except ValueError:
        raise MonitorError(f"{text!r} is not a number") from None
    if not 0 <= number <= MASK32:
        raise MonitorError(f"{text} is not a 32-bit number")
    return number
