"""Differential testing of the vCPU against QEMU, which is the oracle for instruction semantics.

``run_difftest(elf)`` starts ``qemu-system-ppc`` (MPC8544DS, e500mc) stopped at the ELF's entry
with its gdbstub on a local port, copies QEMU's initial registers into a fresh vCPU loaded with
the same ELF, then single-steps both in lockstep. After every step it compares the core
registers (GPRs, PC, MSR, CR, LR, CTR, XER) and the bytes a store just wrote to RAM; the FPRs
and FPSCR after floating-point instructions (or when ours changed); and all guest memory (the
ELF's loaded segments up to ``__stack_top``) every ``memory_every`` steps and before the halt.
The first difference ends the run with a report naming the step, the instruction and what
differs. Time-base and DEC reads take QEMU's values (its clock is the host's, ours the
instruction count); where QEMU departs from the EREF (mtmsr and MSR[ME]) our state goes into
QEMU and the report notes it.

``machine="ppce500"`` runs QEMU's ``-M ppce500`` against our ppce500 board instead, which boots
the image itself as QEMU's ``-kernel`` does (so its reset state is compared, not copied) with
QEMU's device tree: Debian's U-Boot, for instance.

The guest halts by writing HRESET_REQ to the GUTS reset register (see
``gdbstub/guests/crt0.S``). QEMU's ``-kernel`` boot maps only RAM in the TLB, so under QEMU
that store takes a data TLB miss instead of resetting; the harness therefore ends the run at
that store: it compares everything before it and expects the vCPU to report ``Halted``.

    python3 -m gdbstub.difftest [--machine ppce500] GUEST.elf --steps N
"""
from __future__ import annotations

import argparse
import ctypes
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

from . import e500mc
from .boards import bare, ppce500
from .guests.build import cross_prefix
from .rsp.client import RspClient, RspError
from .vcpu import booke
from .vcpu.addressing import Access
from .vcpu.cpu import Cpu
from .vcpu.elf import load_elf
from .vcpu.stops import Halted
from .vcpu.memory import BusError

QEMU = "qemu-system-ppc"
QEMU_ARGS = ("-nographic", "-monitor", "none", "-no-reboot", "-S")
MPC8544DS = ("-M", "mpc8544ds", "-cpu", "e500mc", "-serial", "none")
PPCE500 = ("-M", "ppce500", "-cpu", "e500mc", "-nic", "none")   # our board has no network card
CORE = tuple(f"r{n}" for n in range(32)) + ("pc", "msr", "cr", "lr", "ctr", "xer")
FPU = tuple(f"f{n}" for n in range(32)) + ("fpscr",)
GUTS_RSTCR = 0xE00E00B0
MEMORY_CHUNK = 0x7F0  # QEMU's PacketSize is 0x1000: a hex reply holds at most 0x7FF bytes
TRACE_LENGTH = 8


class QemuError(RuntimeError):
    """QEMU could not be started or its gdbstub answered something unexpected."""


# --- QEMU side -------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Run in QEMU's process before exec: Linux kills it if the harness dies without closing it."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QemuTarget:
    """``qemu-system-ppc`` stopped at the ELF's entry, driven through its gdbstub.

    Use as a context manager: QEMU is killed on close, whatever happened.
    """

    def __init__(self, elf: str | Path, *, qemu: str = QEMU, machine: tuple[str, ...] = MPC8544DS,
                 timeout: float = 10.0) -> None:
        if shutil.which(qemu) is None:
            raise QemuError(f"{qemu} not found")
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [qemu, *machine, *QEMU_ARGS, "-gdb", f"tcp:127.0.0.1:{self.port}", "-kernel", str(elf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        try:
            self.client = self._connect(timeout)
            self.regnums = self._register_numbers()
            self._g_layout = self._core_layout()
        except BaseException:
            self.close()
            raise

    def _connect(self, timeout: float) -> RspClient:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise QemuError(f"QEMU exited with {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            try:
                return RspClient.connect("127.0.0.1", self.port, timeout=timeout)
            except ConnectionRefusedError:
                if time.monotonic() >= deadline:
                    raise QemuError(f"QEMU's gdbstub did not listen on port {self.port}") from None
                time.sleep(0.05)

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stderr.close()

    def __enter__(self) -> "QemuTarget":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- target description ------------------------------------------------------------

    def _xfer(self, annex: str) -> str:
        data, offset = b"", 0
        while True:
            reply = self.client.request(f"qXfer:features:read:{annex}:{offset:x},fff")
            if reply[:1] not in (b"m", b"l"):
                raise QemuError(f"qXfer of {annex} answered {reply[:40]!r}")
            data += reply[1:]
            offset += len(reply) - 1
            if reply[:1] == b"l":
                return data.decode()

    def _features(self) -> list[ET.Element]:
        # QEMU uses xi:include without declaring the namespace, which ElementTree rejects
        target = ET.fromstring(self._xfer("target.xml").replace("xi:include", "include"))
        features = []
        for element in target:
            if element.tag == "include":
                features.append(ET.fromstring(self._xfer(element.get("href"))))
            elif element.tag == "feature":
                features.append(element)
        return features

    def _register_numbers(self) -> dict[str, tuple[int, int, str]]:
        """name -> (gdb register number, bytes, feature); the first of duplicate names wins."""
        regs: dict[str, tuple[int, int, str]] = {}
        regnum = 0
        for feature in self._features():
            for reg in feature.iter("reg"):
                regnum = int(reg.get("regnum", regnum))
                regs.setdefault(reg.get("name"), (regnum, int(reg.get("bitsize")) // 8, feature.get("name")))
                regnum += 1
        missing = [name for name in CORE + FPU if name not in regs]
        if missing:
            raise QemuError(f"QEMU's target description lacks {', '.join(missing)}")
        return regs

    def _core_layout(self) -> list[tuple[str, int]]:
        """The ``g`` block: QEMU sends only the core feature's registers, in number order."""
        core = sorted((num, name, size) for name, (num, size, feature) in self.regnums.items()
                      if feature == e500mc.CORE_FEATURE)
        layout = [(name, size) for _, name, size in core]
        if sum(size for _, size in layout) != len(self.client.read_registers()):
            raise QemuError("QEMU's g packet does not match its core feature")
        return layout

    # --- state -------------------------------------------------------------------------

    def core_registers(self) -> dict[str, int]:
        """GPRs, PC, MSR, CR, LR, CTR and XER (one ``g``)."""
        data, offset, values = self.client.read_registers(), 0, {}
        for name, size in self._g_layout:
            values[name] = int.from_bytes(data[offset:offset + size], "big")
            offset += size
        return {name: values[name] for name in CORE}

    def fpu_registers(self) -> dict[str, int]:
        """FPRs (bit patterns) and FPSCR (one ``p`` each)."""
        return {name: int.from_bytes(self.client.read_register(self.regnums[name][0]), "big") for name in FPU}

    def read_physical(self, addr: int, length: int) -> bytes:
        """Memory at a physical address, mapped or not (QEMU's ``Qqemu.PhyMemMode``)."""
        self._physical_mode(1)
        try:
            return self.read_memory(addr, length)
        finally:
            self._physical_mode(0)

    def _physical_mode(self, on: int) -> None:
        if self.client.request(f"Qqemu.PhyMemMode:{on}") != b"OK":
            raise QemuError("QEMU's gdbstub has no physical memory mode")

    def write_register(self, name: str, value: int) -> None:
        regnum, size, _ = self.regnums[name]
        reply = self.client.request(f"P{regnum:x}={value:0{2 * size}x}")
        if reply != b"OK":
            raise QemuError(f"writing {name} answered {reply!r}")

    def read_memory(self, addr: int, length: int) -> bytes:
        return b"".join(self.client.read_memory(a, min(MEMORY_CHUNK, addr + length - a))
                        for a in range(addr, addr + length, MEMORY_CHUNK))

    def monitor(self, command: str) -> str:
        """The output of a QEMU monitor command (``qRcmd``: ``O`` packets, then ``OK``)."""
        self.client.send(b"qRcmd," + command.encode().hex().encode())
        output = []
        while (reply := self.client.receive()) != b"OK":
            if reply[:1] != b"O" or reply == b"O":
                raise QemuError(f"monitor {command!r} answered {reply[:40]!r}")
            output.append(bytes.fromhex(reply[1:].decode()).decode())
        return "".join(output)

    def watch_writes(self, addr: int, length: int) -> None:
        """A write watchpoint (``Z2``) on effective ``addr``."""
        reply = self.client.request(f"Z2,{addr:x},{length:x}")
        if reply != b"OK":
            raise QemuError(f"watchpoint at {addr:#x} answered {reply!r}")

    def resume(self) -> bytes:
        """Continue until the next stop; its reply (``T``...), or b"" when the guest is gone."""
        try:
            reply = self.client.request(b"vCont;c")
        except RspError:
            if self.proc.poll() is None:
                raise
            return b""
        return b"" if reply[:1] in (b"W", b"X") else reply

    def step(self) -> bool:
        """Execute one instruction; False when QEMU reports the guest gone (``W``/``X``/EOF)."""
        try:
            reply = self.client.request(b"vCont;s:1")
        except RspError:
            if self.proc.poll() is None:
                raise
            return False
        if reply[:1] in (b"W", b"X"):
            return False
        if reply[:1] not in (b"T", b"S"):
            raise QemuError(f"single step answered {reply!r}")
        return True


# --- the guest image ---------------------------------------------------------------------

_OBJDUMP_LINE = re.compile(r"^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} ){4})\s*(.*)$")
_OBJDUMP_SYMBOL = re.compile(r"^([0-9a-f]+) <(.+)>:$")


class GuestImage:
    """What the harness needs from the ELF: memory regions to compare and a disassembly."""

    def __init__(self, elf: str | Path) -> None:
        self.path = Path(elf)
        loaded = load_elf(self.path, bare.build().cpu)
        spans = sorted((seg.virtual, seg.virtual + seg.memsz) for seg in loaded.segments if seg.memsz)
        stack_top = loaded.symbols.get("__stack_top")
        if stack_top is not None and spans and stack_top > spans[-1][1]:
            spans.append((spans[-1][1], stack_top))
        self.regions: list[tuple[int, int]] = []
        for start, end in spans:
            if self.regions and start <= self.regions[-1][1]:
                self.regions[-1] = (self.regions[-1][0], max(end, self.regions[-1][1]))
            else:
                self.regions.append((start, end))

    @cached_property
    def disassembly(self) -> dict[int, str]:
        """address -> ``"<symbol+off>  7c 63 20 14  addc r3,r3,r4"`` for every code word."""
        out = subprocess.run([cross_prefix() + "objdump", "-d", "-M", "e500mc", str(self.path)],
                             capture_output=True, text=True, check=True).stdout
        lines, symbol, base = {}, "?", 0
        for line in out.splitlines():
            if match := _OBJDUMP_SYMBOL.match(line):
                base, symbol = int(match[1], 16), match[2]
            elif match := _OBJDUMP_LINE.match(line):
                addr = int(match[1], 16)
                lines[addr] = f"<{symbol}+{addr - base:#x}>  {match[2]} {match[3].expandtabs(1)}"
        return lines

    def describe(self, pc: int, word: int | None) -> str:
        text = self.disassembly.get(pc)
        if text is None:
            text = f"(outside the ELF's code) {word:08x}" if word is not None else "(outside the ELF's code)"
        return f"{pc:#010x} {text}"


# --- instruction decoding the harness needs ----------------------------------------------

_D_STORES = {36: 4, 37: 4, 38: 1, 39: 1, 44: 2, 45: 2, 52: 4, 53: 4, 54: 8, 55: 8}
_X_STORES = {151: 4, 183: 4, 215: 1, 247: 1, 407: 2, 439: 2, 662: 4, 918: 2, 150: 4, 694: 1, 726: 2,
             663: 4, 695: 4, 727: 8, 759: 8, 983: 4}
_FP_LOADS_X = {535, 567, 599, 631}
_TIMER_SPRS = {22, 268, 269, 284, 285}   # DEC, TBL, TBU and their write numbers (mftb encodes 268/269)
CACHE_LINE = 64


def store_access(word: int, gpr: list[int] | dict, xer: int = 0) -> tuple[int, int] | None:
    """``(address, length)`` of the memory a store instruction writes, from the registers before it."""
    opcode, rs, ra, rb = word >> 26, (word >> 21) & 31, (word >> 16) & 31, (word >> 11) & 31
    base = gpr[ra] if ra else 0
    if opcode in _D_STORES or opcode == 47:  # stmw stores rS..r31
        disp = (word & 0xFFFF) - ((word & 0x8000) << 1)
        length = 4 * (32 - rs) if opcode == 47 else _D_STORES[opcode]
        return (base + disp) & 0xFFFFFFFF, length
    if opcode != 31:
        return None
    xo = (word >> 1) & 0x3FF
    if xo in _X_STORES:
        return (base + gpr[rb]) & 0xFFFFFFFF, _X_STORES[xo]
    if xo == 725:  # stswi
        return base, rb or 32
    if xo == 661:  # stswx
        return (base + gpr[rb]) & 0xFFFFFFFF, xer & 0x7F
    if xo == 1014:  # dcbz zeroes the cache line
        return (base + gpr[rb]) & ~(CACHE_LINE - 1) & 0xFFFFFFFF, CACHE_LINE
    return None


def timer_read(word: int) -> int | None:
    """The register mftb or an mfspr of the time base or DEC writes (their values depend on
    when QEMU runs, so the harness copies QEMU's); None for other instructions."""
    if word >> 26 != 31 or (word >> 1) & 0x3FF not in (339, 371):
        return None
    spr = (word >> 16) & 0x1F | (word >> 6) & 0x3E0
    return (word >> 21) & 31 if spr in _TIMER_SPRS else None


def is_mtmsr(word: int) -> bool:
    """mtmsr with L=0, the form that writes every MSR bit."""
    return word >> 26 == 31 and (word >> 1) & 0x3FF == 146 and not word & 0x10000


def is_floating_point(word: int) -> bool:
    """True for instructions that may write an FPR or the FPSCR."""
    opcode = word >> 26
    return opcode in (48, 49, 50, 51, 59, 63) or (opcode == 31 and (word >> 1) & 0x3FF in _FP_LOADS_X)


# --- our vCPU side -------------------------------------------------------------------------

def vcpu_registers(cpu, names: tuple[str, ...]) -> dict[str, int]:
    return {name: e500mc.REGISTERS[e500mc.BY_NAME[name]].read(cpu) for name in names}


def set_vcpu_registers(cpu, values: dict[str, int]) -> None:
    for name, value in values.items():
        e500mc.REGISTERS[e500mc.BY_NAME[name]].write(cpu, value)


def new_vcpu(elf: str | Path, qemu: "QemuTarget | None" = None) -> Cpu:
    """A fresh bare-board vCPU with the ELF loaded, as the debug server would make it (the
    lockstep then copies QEMU's initial registers into it)."""
    cpu = bare.build().cpu
    load_elf(elf, cpu)
    return cpu


def new_ppce500_vcpu(elf: str | Path, qemu: QemuTarget) -> Cpu:
    """Our ppce500 board booted from ``elf`` as QEMU's ``-kernel`` boots it, but with QEMU's
    device tree (read from its memory at r3): U-Boot reads and copies the whole blob, and ours
    differs from QEMU's in timebase-frequency and in QEMU's random rng-seed."""
    address = qemu.core_registers()["r3"]
    size = int.from_bytes(qemu.read_memory(address + 4, 4), "big")   # fdt header: totalsize
    board = ppce500.build(ppce500.Options(dtb=qemu.read_memory(address, size)))
    board.boot(elf)
    return board.cpu


@dataclass(frozen=True)
class Board:
    """How to run a guest on one of QEMU's machines and on ours."""
    qemu_args: tuple[str, ...]
    new_vcpu: Callable[[Path, QemuTarget], Cpu]
    adopt_qemu_state: bool      # start from QEMU's registers (the bare board has no boot protocol)


BOARDS = {"mpc8544ds": Board(MPC8544DS, new_vcpu, True),
          "ppce500": Board((*PPCE500, "-serial", "null"), new_ppce500_vcpu, False)}  # U-Boot needs a UART


# --- results -------------------------------------------------------------------------------

@dataclass
class Mismatch:
    """The first difference: after executing the instruction at ``pc`` as step ``step``."""
    step: int
    pc: int
    word: int | None
    what: str
    registers: list[tuple[str, int, int]] = field(default_factory=list)
    memory: list[tuple[int, bytes, bytes]] = field(default_factory=list)


@dataclass
class DiffResult:
    """The outcome of a lockstep run: ``ok`` when nothing differed."""
    image: GuestImage
    steps: int
    halted: bool
    mismatch: Mismatch | None = None
    trace: list[tuple[int, int | None]] = field(default_factory=list)
    departures: list[tuple[int, int, str]] = field(default_factory=list)   # (step, pc, what)

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def report(self) -> str:
        name = self.image.path.name
        notes = [f"  step {step}: {self.image.describe(pc, None)}: {what}" for step, pc, what in self.departures]
        if self.mismatch is None:
            end = "the guest halted" if self.halted else "no halt yet"
            return "\n".join([f"{name}: {self.steps} steps match QEMU ({end})", *notes])
        m = self.mismatch
        lines = [f"{name}: MISMATCH at step {m.step}: {m.what}",
                 f"  instruction: {self.image.describe(m.pc, m.word)}", *notes]
        if m.registers:
            lines.append(f"  {'register':<9} {'qemu (expected)':>18} {'vcpu (got)':>18}")
            lines += [f"  {reg:<9} {exp:#18x} {got:#18x}" for reg, exp, got in m.registers]
        for addr, exp, got in m.memory:
            lines.append(f"  memory {addr:#010x}: qemu {exp.hex(' ')}")
            lines.append(f"  {'':<19} vcpu {got.hex(' ')}")
        if self.trace:
            lines.append("  last instructions:")
            lines += [f"    {self.image.describe(pc, word)}" for pc, word in self.trace]
        return "\n".join(lines)


def _register_diff(expected: dict[str, int], got: dict[str, int]) -> list[tuple[str, int, int]]:
    return [(name, value, got[name]) for name, value in expected.items() if got[name] != value]


def _memory_diff(addr: int, expected: bytes, got: bytes, limit: int = 8) -> list[tuple[int, bytes, bytes]]:
    """Differing 16-byte lines, at most ``limit`` of them."""
    diffs = []
    for offset in range(0, len(expected), 16):
        exp, ours = expected[offset:offset + 16], got[offset:offset + 16]
        if exp != ours:
            diffs.append((addr + offset, exp, ours))
            if len(diffs) == limit:
                break
    return diffs


# --- the lockstep run ---------------------------------------------------------------------

Problem = tuple[str, list, list]  # what differs, register differences, memory differences


class _Lockstep:
    """One lockstep run; ``core``/``fpu`` hold the last state both sides agreed on (with
    ``adopt_qemu_state`` the vCPU starts from QEMU's registers; otherwise its own reset state
    is compared from the first step on)."""

    def __init__(self, image: GuestImage, qemu: QemuTarget, cpu, adopt_qemu_state: bool = True) -> None:
        self.image, self.qemu, self.cpu = image, qemu, cpu
        self.trace: deque[tuple[int, int | None]] = deque(maxlen=TRACE_LENGTH)
        self.departures: list[tuple[int, int, str]] = []
        state = {**qemu.core_registers(), **qemu.fpu_registers()}
        if adopt_qemu_state:
            set_vcpu_registers(cpu, state)
        self.core = {name: state[name] for name in CORE}
        self.fpu = vcpu_registers(cpu, FPU)

    def run(self, steps: int, memory_every: int | None) -> DiffResult:
        for step in range(1, steps + 1):
            pc = self.core["pc"]
            try:
                word = int.from_bytes(self.cpu.read_memory(pc, 4), "big")
            except BusError:  # the PC left RAM
                word = None
            self.trace.append((pc, word))
            gprs = [self.core[f"r{n}"] for n in range(32)]
            store = store_access(word, gprs, self.core["xer"]) if word is not None else None
            if store is not None and store[0] == GUTS_RSTCR:
                problem = self.halt()
                if problem is None:
                    return self.result(step, halted=True)
            else:
                problem = self.step(step, word, store, memory_every)
            if problem is not None:
                return self.result(step, Mismatch(step, pc, word, *problem))
        problem = self.compare_fpu("at the end") or self.compare_all_memory("at the end")
        return self.result(steps, problem and Mismatch(steps, self.core["pc"], None, *problem))

    def result(self, step: int, mismatch: Mismatch | None = None, halted: bool = False) -> DiffResult:
        return DiffResult(self.image, step, halted, mismatch, list(self.trace), self.departures)

    def halt(self) -> Problem | None:
        """The halting store, which QEMU cannot execute (see the module docstring)."""
        problem = self.compare_all_memory("before the halt")
        exit_ = self.cpu.step()
        if problem is None and not isinstance(exit_, Halted):
            problem = (f"the guest halts here but the vCPU returned {exit_!r}", [], [])
        return problem

    def step(self, step: int, word: int | None, store: tuple[int, int] | None,
             memory_every: int | None) -> Problem | None:
        pc, in_ram = self.core["pc"], store is not None and self.in_ram(*store)
        running = self.qemu.step()
        exit_ = self.cpu.step()
        if not running:
            return f"QEMU ended the guest; the vCPU returned {exit_!r}", [], []
        self.core = self.qemu.core_registers()
        if exit_ is not None:
            return f"the vCPU stopped with {exit_!r}; QEMU went on to pc {self.core['pc']:#x}", [], []
        ours = vcpu_registers(self.cpu, CORE)
        if word is not None:
            self.reconcile(step, pc, word, ours)
        if diffs := _register_diff(self.core, ours):
            return "registers differ", diffs, []
        if in_ram and (diffs := self.compare_memory(*store)):
            return f"the store to {store[0]:#x} differs", [], diffs
        fpu, periodic = vcpu_registers(self.cpu, FPU), bool(memory_every) and step % memory_every == 0
        if (word is not None and is_floating_point(word)) or fpu != self.fpu or periodic:
            if problem := self.compare_fpu():
                return problem
        self.fpu = fpu
        return self.compare_all_memory(f"(checked every {memory_every} steps)") if periodic else None

    def reconcile(self, step: int, pc: int, word: int, ours: dict[str, int]) -> None:
        """Make the two agree where they may rightly differ after ``word``: a timer read takes
        QEMU's value (into ``ours`` and the vCPU); an mtmsr that set or cleared MSR[ME], which
        QEMU 7.2 keeps (Book III-S's rule) while the EREF's mtmsr writes every MSR bit, puts
        our MSR into QEMU and is noted as a departure."""
        rd = timer_read(word)
        if rd is not None:
            self.cpu.gpr[rd] = ours[f"r{rd}"] = self.core[f"r{rd}"]
        elif (is_mtmsr(word) and ours["msr"] ^ self.core["msr"] == booke.MSR_ME
              and (ours["msr"] ^ self.core[f"r{(word >> 21) & 31}"]) & booke.MSR_ME == 0):
            self.qemu.write_register("msr", ours["msr"])
            self.core["msr"] = ours["msr"]
            self.departures.append((step, pc, "mtmsr wrote MSR[ME] as the EREF says; QEMU kept it"))

    def in_ram(self, addr: int, length: int) -> bool:
        """True if the vCPU maps ``addr`` to RAM: stores elsewhere hit device registers, which
        a debugger read of QEMU's would disturb."""
        physical = self.cpu.addressing.translate(addr, Access.READ, for_debugger=True)
        return physical is not None and self.cpu.memory.is_ram(physical, length)

    def compare_memory(self, addr: int, length: int) -> list[tuple[int, bytes, bytes]]:
        return _memory_diff(addr, self.qemu.read_memory(addr, length), bytes(self.cpu.read_memory(addr, length)))

    def compare_all_memory(self, when: str) -> Problem | None:
        diffs = [diff for start, end in self.image.regions for diff in self.compare_memory(start, end - start)]
        return (f"memory differs {when}", [], diffs) if diffs else None

    def compare_fpu(self, when: str = "") -> Problem | None:
        diffs = _register_diff(self.qemu.fpu_registers(), vcpu_registers(self.cpu, FPU))
        return (f"floating-point registers differ {when}".rstrip(), diffs, []) if diffs else None


def run_difftest(elf: str | Path, *, machine: str = "mpc8544ds", steps: int = 20_000,
                 memory_every: int | None = 256, cpu=None, qemu: str = QEMU, timeout: float = 10.0) -> DiffResult:
    """Single-step ``elf`` on QEMU's ``machine`` and on ``cpu`` (default: a fresh vCPU on the
    matching board, :data:`BOARDS`) for up to ``steps`` instructions or until the guest halts;
    the result holds the first mismatch, if any. ``memory_every=None`` compares memory only
    where stores write and at the end."""
    board, image = BOARDS[machine], GuestImage(elf)
    with QemuTarget(elf, qemu=qemu, machine=board.qemu_args, timeout=timeout) as target:
        cpu = board.new_vcpu(elf, target) if cpu is None else cpu
        return _Lockstep(image, target, cpu, board.adopt_qemu_state).run(steps, memory_every)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m gdbstub.difftest", description=__doc__.split("\n\n")[0])
    parser.add_argument("elf", type=Path)
    parser.add_argument("--machine", choices=sorted(BOARDS), default="mpc8544ds",
                        help="QEMU's machine, with our matching board (mpc8544ds: the bare board)")
    parser.add_argument("--steps", type=int, default=20_000, help="most instructions to execute (20000)")
    parser.add_argument("--memory-every", type=int, default=256,
                        help="full memory compare period (256; 0: only stores and the end)")
    parser.add_argument("--qemu", default=QEMU, help=f"the QEMU binary ({QEMU})")
    args = parser.parse_args(argv)
    result = run_difftest(args.elf, machine=args.machine, steps=args.steps,
                          memory_every=args.memory_every or None, qemu=args.qemu)
    print(result.report())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
