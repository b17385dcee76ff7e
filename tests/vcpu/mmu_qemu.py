"""A TLB scenario run twice: on the MMU model and, as a bare assembly guest, on QEMU's ppce500.

A scenario is a list of operations. ``run_on_model`` applies them to ``Mmu``, with a dictionary
standing in for the SPR file; ``guest_source`` turns them into a guest doing the same with mtspr,
tlbwe, tlbre, tlbsx, tlbivax, tlbilx, MMUCSR0 and accesses through the new mappings, whose
interrupt handlers (DSI, ISI, Program, DTLB and ITLB miss) record what the interrupt left in ESR,
DEAR and the MAS registers and skip the access. Both sides record the same words, each with a mask
of the bits that compare (where QEMU 7.2 departs from the manual, the model's docstring says so).
"""
from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gdbstub.rsp.client import RspClient
from gdbstub.vcpu import booke
from gdbstub.vcpu import mmu as m
from gdbstub.vcpu.interrupts import GuestInterrupt

QEMU = "qemu-system-ppc"
QEMU_ARGS = ("-M", "ppce500", "-cpu", "e500mc", "-nographic", "-monitor", "none", "-serial", "none",
             "-no-reboot", "-S")
READ_MAS = (m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3, m.SPR_MAS7)
WRITE_MAS = (m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3, m.SPR_MAS7)
FAULT_MAS = (m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3, m.SPR_MAS6, m.SPR_MAS7)
HANDLED = {booke.IVOR_DATA_STORAGE: False, booke.IVOR_INSN_STORAGE: True, booke.IVOR_PROGRAM: False,
           booke.IVOR_DTLB_MISS: False, booke.IVOR_ITLB_MISS: True}  # ivor -> a fetch (return to LR)
RESULTS = 0x00300000  # real (= effective) address of the recorded words, inside the boot mapping
SENTINEL = 0xD0D0D0D0  # written after the last recorded word: the guest got to the end
FAULTED = 0xEEEEEEEE  # what an access that took an interrupt leaves in r3
DONE = 0x600D600D  # what a store or a fetch that completed leaves in r3
ESR_BEFORE, DEAR_BEFORE = 0x00000100, 0x0BADBEEF  # set before each access: "left unchanged" shows
ALL = 0xFFFFFFFF
SPR_IVPR = 63
BLR = 0x4E800020
MEMORY_CHUNK = 0x400


@dataclass(frozen=True)
class Op:
    kind: str
    args: tuple
    masks: tuple[int, ...] = field(default=(ALL,) * len(READ_MAS))


def tlbwe(mas0: int, mas1: int, mas2: int, mas3: int, mas7: int = 0) -> Op:
    return Op("tlbwe", (mas0, mas1, mas2, mas3, mas7))


def refill(mas3: int) -> Op:
    """tlbwe with MAS0-2 as the last TLB miss preloaded them (and MAS7 0), MAS3 = ``mas3``."""
    return Op("refill", (mas3,))


def tlbre(mas0: int, mas2: int = 0) -> Op:
    return Op("tlbre", (mas0, mas2))


def tlbsx(ea: int, mas6: int, mas4: int = 0, masks: tuple[int, ...] = (ALL,) * len(READ_MAS)) -> Op:
    return Op("tlbsx", (ea, mas6, mas4), masks)


def tlbivax(ea: int) -> Op:
    return Op("tlbivax", (ea,))


def tlbilx(t: int, ea: int, mas6: int) -> Op:
    return Op("tlbilx", (t, ea, mas6))


def mtspr(spr: int, value: int) -> Op:
    """mtspr of MMUCSR0, PID, MAS4 or MAS6."""
    return Op("mtspr", (spr, value))


def data_space(space: int) -> Op:
    """Set MSR[DS]: data accesses in address space ``space`` from here on."""
    return Op("data_space", (space,))


def marker(real: int, value: int) -> Op:
    """Store ``value`` at ``real`` through the boot identity mapping (in address space 0)."""
    return Op("marker", (real, value))


def access(kind: int, ea: int, user: bool = False) -> Op:
    """A load (records the word), a store (of DONE) or a call (``bctrl``) to ``ea``; with
    ``user`` in problem state (entered by rfi, left by sc)."""
    return Op("access", (kind, ea, user))


# --- the model side --------------------------------------------------------------------------

class ModelRun:
    """The MMU model and the registers around it, recording words and their masks."""

    def __init__(self) -> None:
        self.mmu = m.Mmu()
        self.mmu.install_boot_mapping()
        self.spr = dict.fromkeys((*FAULT_MAS, m.SPR_MAS4, m.SPR_PID), 0)
        self.space = 0
        self.memory: dict[int, int] = {}
        self.words: list[int] = []
        self.masks: list[int] = []

    def record(self, values, masks) -> None:
        for value, mask in zip(values, masks):
            self.words.append(value & mask)
            self.masks.append(mask)

    def apply(self, op: Op) -> None:
        mmu, spr = self.mmu, self.spr
        if op.kind in ("tlbwe", "refill"):
            values = op.args if op.kind == "tlbwe" else (*(spr[n] for n in WRITE_MAS[:3]), op.args[0], 0)
            spr.update({n: value & m.MAS_WRITABLE[n] for n, value in zip(WRITE_MAS, values)})
            try:
                mmu.tlbwe(*(spr[n] for n in WRITE_MAS))
            except GuestInterrupt as interrupt:
                self.fault(interrupt.ivor, interrupt.esr, None, {})
        elif op.kind == "tlbre":
            spr[m.SPR_MAS0], spr[m.SPR_MAS2] = op.args
            spr.update(mmu.tlbre(spr[m.SPR_MAS0], spr[m.SPR_MAS2]))
            self.record((spr[n] for n in READ_MAS), op.masks)
        elif op.kind == "tlbsx":
            ea, spr[m.SPR_MAS6], spr[m.SPR_MAS4] = op.args
            spr.update(mmu.tlbsx(ea, spr[m.SPR_MAS4], spr[m.SPR_MAS6]))
            self.record((spr[n] for n in READ_MAS), op.masks)
        elif op.kind == "tlbivax":
            mmu.tlbivax(*op.args)
        elif op.kind == "tlbilx":
            t, ea, spr[m.SPR_MAS6] = op.args
            mmu.tlbilx(t, ea, spr[m.SPR_MAS6])
        elif op.kind == "mtspr":
            number, value = op.args
            if number == m.SPR_MMUCSR0:
                mmu.write_mmucsr0(value)
            else:
                spr[number] = value & (m.PID_MASK if number == m.SPR_PID else m.MAS_WRITABLE[number])
        elif op.kind == "data_space":
            self.space = op.args[0]
        elif op.kind == "marker":
            self.memory[op.args[0]] = op.args[1]
        else:
            self.access(*op.args)

    def access(self, kind: int, ea: int, user: bool) -> None:
        space = 0 if kind == m.Access.FETCH else self.space
        found = self.mmu.translate(ea, kind, space, self.spr[m.SPR_PID], not user, mas4=self.spr[m.SPR_MAS4])
        if isinstance(found, m.TlbFault):
            self.fault(found.ivor, found.esr, found.dear, found.mas)
            self.record((FAULTED,), (ALL,))
        elif kind == m.Access.LOAD:
            self.record((self.memory.get(found.real, 0),), (ALL,))
        else:
            if kind == m.Access.STORE:
                self.memory[found.real] = DONE
            self.record((DONE,), (ALL,))

    def fault(self, ivor: int, esr: int | None, dear: int | None, mas: dict[int, int]) -> None:
        """What the guest's handler for ``ivor`` records: ivor, ESR, DEAR and the MAS registers.

        QEMU also writes DEAR and ESR on an instruction TLB miss (the hardware does not): those two
        words do not compare there.
        """
        self.spr.update(mas)
        unchecked = 0 if ivor == booke.IVOR_ITLB_MISS else ALL
        self.record((0xFA000000 | ivor, ESR_BEFORE if esr is None else esr, DEAR_BEFORE if dear is None else dear,
                     *(self.spr[n] for n in FAULT_MAS)), (ALL, unchecked, unchecked, *(ALL,) * len(FAULT_MAS)))


def run_on_model(ops: list[Op]) -> tuple[list[int], list[int]]:
    """The words the scenario records on the model, and the mask of each."""
    run = ModelRun()
    for op in ops:
        run.apply(op)
    return run.words, run.masks


# --- the guest side ----------------------------------------------------------------------------

def _li(register: int, value: int) -> str:
    high, low = value >> 16 & 0xFFFF, value & 0xFFFF
    return f"    lis {register}, {high:#x}\n    ori {register}, {register}, {low:#x}\n"


def _mtspr(spr: int, value: int) -> str:
    return _li(3, value) + f"    mtspr {spr}, 3\n"


def _store_words(registers_from: str) -> str:
    return f"{registers_from}    stw 3, 0(31)\n    addi 31, 31, 4\n"


def _record_sprs(numbers) -> str:
    return "".join(_store_words(f"    mfspr 3, {n}\n") for n in numbers)


def _tlbilx_word(t: int, ra: int, rb: int) -> int:
    return 31 << 26 | t << 21 | ra << 16 | rb << 11 | 18 << 1


def _handler(ivor: int, fetch: bool) -> str:
    """Record ivor, ESR, DEAR, MAS0-3/6/7; leave FAULTED in r3; resume after the access."""
    resume = "    mflr 29\n" if fetch else "    mfsrr0 29\n    addi 29, 29, 4\n"
    return (f"    .align 4\nhandler_{ivor}:\n" + _li(3, 0xFA000000 | ivor) + _store_words("")
            + _record_sprs((62, 61, *FAULT_MAS)) + _li(3, FAULTED) + resume + "    mtsrr0 29\n    rfi\n")


def _guest_op(op: Op) -> str:
    preset = _mtspr(62, ESR_BEFORE) + _mtspr(61, DEAR_BEFORE)  # before whatever may interrupt
    if op.kind in ("tlbwe", "refill"):
        values = zip(WRITE_MAS, op.args) if op.kind == "tlbwe" else ((m.SPR_MAS3, op.args[0]), (m.SPR_MAS7, 0))
        return preset + "".join(_mtspr(n, value) for n, value in values) + "    isync\n    tlbwe\n    isync\n"
    if op.kind == "tlbre":
        return _mtspr(m.SPR_MAS0, op.args[0]) + _mtspr(m.SPR_MAS2, op.args[1]) + "    tlbre\n    isync\n" \
            + _record_sprs(READ_MAS)
    if op.kind == "tlbsx":
        ea, mas6, mas4 = op.args
        return _mtspr(m.SPR_MAS6, mas6) + _mtspr(m.SPR_MAS4, mas4) + _li(4, ea) + "    tlbsx 0, 4\n    isync\n" \
            + _record_sprs(READ_MAS)
    if op.kind == "tlbivax":
        return _li(4, op.args[0]) + "    tlbivax 0, 4\n    tlbsync\n    isync\n"
    if op.kind == "tlbilx":
        t, ea, mas6 = op.args
        return _mtspr(m.SPR_MAS6, mas6) + _li(4, ea) + f"    .long {_tlbilx_word(t, 0, 4):#x}\n    isync\n"
    if op.kind == "mtspr":
        return _mtspr(*op.args) + "    isync\n"
    if op.kind == "data_space":
        change = "or" if op.args[0] else "andc"
        return f"    mfmsr 3\n    li 5, {booke.MSR_DS:#x}\n    {change} 3, 3, 5\n    mtmsr 3\n    isync\n"
    if op.kind == "marker":
        return _li(4, op.args[0]) + _li(5, op.args[1]) + "    stw 5, 0(4)\n"
    kind, ea, user = op.args
    the_access = ("    lwz 3, 0(4)\n" if kind == m.Access.LOAD else
                  _li(5, DONE) + "    stw 5, 0(4)\n" if kind == m.Access.STORE else "    mtctr 4\n    bctrl\n")
    return (preset + _li(4, ea) + (_ENTER_USER if user else "") + _li(3, DONE) + _store_words(the_access)
            + ("    sc\n" if user else ""))


# rfi to the next instruction with MSR[PR] set; the sc handler clears it again
_ENTER_USER = (f"    lis 29, 2f@ha\n    addi 29, 29, 2f@l\n    mtsrr0 29\n    mfmsr 29\n"
               f"    ori 29, 29, {booke.MSR_PR:#x}\n    mtsrr1 29\n    rfi\n2:\n")
_SYSCALL_HANDLER = (f"    .align 4\nhandler_sc:\n    mfsrr1 29\n    li 28, {booke.MSR_PR:#x}\n    andc 29, 29, 28\n"
                    "    mtsrr1 29\n    rfi\n")


def guest_source(ops: list[Op]) -> str:
    """The scenario as a bare guest: handlers first (IVPR is the image's 64 KiB page), then the ops."""
    vectors = "".join(f"    li 3, handler_{ivor}@l\n    mtspr {400 + ivor}, 3\n" for ivor in HANDLED) \
        + f"    li 3, handler_sc@l\n    mtspr {400 + booke.IVOR_SYSCALL}, 3\n"
    out = ["    .globl _start\n_start:\n    b main\n",
           *(_handler(ivor, fetch) for ivor, fetch in HANDLED.items()), _SYSCALL_HANDLER,
           "main:\n", _li(31, RESULTS), "    lis 3, _start@h\n", f"    mtspr {SPR_IVPR}, 3\n", vectors,
           *(_guest_op(op) for op in ops),
           _li(3, SENTINEL), "    stw 3, 0(31)\n    .globl done\ndone:\n    b done\n"]
    return "".join(out)


# --- running it on QEMU -----------------------------------------------------------------------

def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _connect(proc: subprocess.Popen, port: int, timeout: float) -> RspClient:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"QEMU exited with {proc.returncode}: {proc.stderr.read().decode()}")
        try:
            return RspClient.connect("127.0.0.1", port, timeout=timeout)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_on_qemu(elf: Path, done: int, count: int, timeout: float = 30.0) -> list[int]:
    """Run ``elf`` on QEMU's ppce500 until it reaches ``done``; the ``count`` recorded words."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([QEMU, *QEMU_ARGS, "-gdb", f"tcp:127.0.0.1:{port}", "-kernel", str(elf)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        with _connect(proc, port, timeout) as client:
            if client.request(f"Z0,{done:x},4") != b"OK":
                raise RuntimeError("QEMU refused the breakpoint")
            stop = client.request("c")
            size = 4 * count + 4
            data = b"".join(client.read_memory(RESULTS + offset, min(MEMORY_CHUNK, size - offset))
                            for offset in range(0, size, MEMORY_CHUNK))
        words = [int.from_bytes(data[n:n + 4], "big") for n in range(0, len(data), 4)]
        if not stop.startswith((b"T", b"S")) or words[-1] != SENTINEL:
            raise RuntimeError(f"the guest stopped ({stop!r}) before its end: {[hex(w) for w in words]}")
        return words[:-1]
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
