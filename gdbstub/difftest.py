"""Differential testing of the vCPU against QEMU, which is the oracle for instruction semantics.

``run_difftest(elf)`` starts ``qemu-system-ppc`` (MPC8544DS, e500mc) stopped at the ELF's entry
with its gdbstub on a local port, copies QEMU's initial registers into a fresh vCPU loaded with
the same ELF, then single-steps both in lockstep. After every step it compares the core
registers (GPRs, PC, MSR, CR, LR, CTR, XER) and the bytes a store just wrote; the FPRs and
FPSCR after floating-point instructions (or when ours changed); and all guest memory (the
ELF's loaded segments up to ``__stack_top``) every ``memory_every`` steps and before the halt.
The first difference ends the run with a report naming the step, the instruction and what
differs.

The guest halts by writing HRESET_REQ to the GUTS reset register (see
``gdbstub/guests/crt0.S``). QEMU's ``-kernel`` boot maps only RAM in the TLB, so under QEMU
that store takes a data TLB miss instead of resetting; the harness therefore ends the run at
that store: it compares everything before it and expects the vCPU to report ``Halted``.

    python3 -m gdbstub.difftest GUEST.elf --steps N
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

from . import e500mc
from .boards import bare
from .guests.build import cross_prefix
from .rsp.client import RspClient, RspError
from .vcpu.cpu import Cpu
from .vcpu.elf import load_elf
from .vcpu.stops import Halted
from .vcpu.memory import BusError

QEMU = "qemu-system-ppc"
QEMU_ARGS = ("-M", "mpc8544ds", "-cpu", "e500mc", "-nographic", "-monitor", "none", "-serial", "none",
             "-no-reboot", "-S")
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

    def __init__(self, elf: str | Path, *, qemu: str = QEMU, timeout: float = 10.0) -> None:
        if shutil.which(qemu) is None:
            raise QemuError(f"{qemu} not found")
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [qemu, *QEMU_ARGS, "-gdb", f"tcp:127.0.0.1:{self.port}", "-kernel", str(elf)],
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

    def read_memory(self, addr: int, length: int) -> bytes:
        return b"".join(self.client.read_memory(a, min(MEMORY_CHUNK, addr + length - a))
                        for a in range(addr, addr + length, MEMORY_CHUNK))

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
    return None


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


def new_vcpu(elf: str | Path) -> Cpu:
    """A fresh vCPU with the ELF loaded, as the debug server would make it."""
    cpu = bare.build().cpu
    load_elf(elf, cpu)
    return cpu


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

    @property
    def ok(self) -> bool:
        return self.mismatch is None

    def report(self) -> str:
        name = self.image.path.name
        if self.mismatch is None:
            end = "the guest halted" if self.halted else "no halt yet"
            return f"{name}: {self.steps} steps match QEMU ({end})"
        m = self.mismatch
        lines = [f"{name}: MISMATCH at step {m.step}: {m.what}",
                 f"  instruction: {self.image.describe(m.pc, m.word)}"]
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
    """One lockstep run; ``core``/``fpu`` hold the last state both sides agreed on."""

    def __init__(self, image: GuestImage, qemu: QemuTarget, cpu) -> None:
        self.image, self.qemu, self.cpu = image, qemu, cpu
        self.trace: deque[tuple[int, int | None]] = deque(maxlen=TRACE_LENGTH)
        state = {**qemu.core_registers(), **qemu.fpu_registers()}
        set_vcpu_registers(cpu, state)
        self.core = {name: state[name] for name in CORE}
        self.fpu = vcpu_registers(cpu, FPU)

    def run(self, steps: int, memory_every: int) -> DiffResult:
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
        return DiffResult(self.image, step, halted, mismatch, list(self.trace))

    def halt(self) -> Problem | None:
        """The halting store, which QEMU cannot execute (see the module docstring)."""
        problem = self.compare_all_memory("before the halt")
        exit_ = self.cpu.step()
        if problem is None and not isinstance(exit_, Halted):
            problem = (f"the guest halts here but the vCPU returned {exit_!r}", [], [])
        return problem

    def step(self, step: int, word: int | None, store: tuple[int, int] | None, memory_every: int) -> Problem | None:
        running = self.qemu.step()
        exit_ = self.cpu.step()
        if not running:
            return f"QEMU ended the guest; the vCPU returned {exit_!r}", [], []
        self.core = self.qemu.core_registers()
        if exit_ is not None:
            return f"the vCPU stopped with {exit_!r}; QEMU went on to pc {self.core['pc']:#x}", [], []
        if diffs := _register_diff(self.core, vcpu_registers(self.cpu, CORE)):
            return "registers differ", diffs, []
        if store is not None and (diffs := self.compare_memory(*store)):
            return f"the store to {store[0]:#x} differs", [], diffs
        fpu, periodic = vcpu_registers(self.cpu, FPU), step % memory_every == 0
        if (word is not None and is_floating_point(word)) or fpu != self.fpu or periodic:
            if problem := self.compare_fpu():
                return problem
        self.fpu = fpu
        return self.compare_all_memory(f"(checked every {memory_every} steps)") if periodic else None

    def compare_memory(self, addr: int, length: int) -> list[tuple[int, bytes, bytes]]:
        return _memory_diff(addr, self.qemu.read_memory(addr, length), bytes(self.cpu.read_memory(addr, length)))

    def compare_all_memory(self, when: str) -> Problem | None:
        diffs = [diff for start, end in self.image.regions for diff in self.compare_memory(start, end - start)]
        return (f"memory differs {when}", [], diffs) if diffs else None

    def compare_fpu(self, when: str = "") -> Problem | None:
        diffs = _register_diff(self.qemu.fpu_registers(), vcpu_registers(self.cpu, FPU))
        return (f"floating-point registers differ {when}".rstrip(), diffs, []) if diffs else None


def run_difftest(elf: str | Path, *, steps: int = 20_000, memory_every: int = 256, cpu=None,
                 qemu: str = QEMU, timeout: float = 10.0) -> DiffResult:
    """Single-step ``elf`` on QEMU and on ``cpu`` (default: a fresh vCPU) for up to ``steps``
    instructions or until the guest halts; the result holds the first mismatch, if any."""
    image = GuestImage(elf)
    with QemuTarget(elf, qemu=qemu, timeout=timeout) as target:
        return _Lockstep(image, target, new_vcpu(elf) if cpu is None else cpu).run(steps, memory_every)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m gdbstub.difftest", description=__doc__.split("\n\n")[0])
    parser.add_argument("elf", type=Path)
    parser.add_argument("--steps", type=int, default=20_000, help="most instructions to execute (20000)")
    parser.add_argument("--memory-every", type=int, default=256, help="full memory compare period (256)")
    parser.add_argument("--qemu", default=QEMU, help=f"the QEMU binary ({QEMU})")
    args = parser.parse_args(argv)
    result = run_difftest(args.elf, steps=args.steps, memory_every=args.memory_every, qemu=args.qemu)
    print(result.report())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
