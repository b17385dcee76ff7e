"""A TLB scenario run twice: on the MMU model and, as a bare assembly guest, on QEMU's ppce500.

A scenario is a list of operations. ``run_on_model`` applies them to ``Mmu`` with a dictionary of
MAS registers standing in for the SPR file; ``guest_source`` turns them into a guest that does the
same with mtspr/tlbwe/tlbre/tlbsx/tlbivax/tlbilx/MMUCSR0 and loads through the new mappings. Both
record the same words (MAS values after each read, each loaded word) so the two lists compare.
"""
from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gdbstub.rsp.client import RspClient
from gdbstub.vcpu import mmu as m

QEMU = "qemu-system-ppc"
QEMU_ARGS = ("-M", "ppce500", "-cpu", "e500mc", "-nographic", "-monitor", "none", "-serial", "none",
             "-no-reboot", "-S")
READ_MAS = (m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3, m.SPR_MAS7)
SPR_HID0 = 1008
RESULTS = 0x00300000  # real (= effective) address of the recorded words, inside the boot mapping
SENTINEL = 0xD0D0D0D0  # written after the last recorded word: the guest got to the end


@dataclass(frozen=True)
class Op:
    """``kind`` with its arguments; ``mask`` limits which bits of each recorded MAS compare."""
    kind: str  # tlbwe, tlbre, tlbsx, tlbivax, tlbilx, mmucsr0, probe, marker
    args: tuple
    mask: tuple[int, ...] = (0xFFFFFFFF,) * len(READ_MAS)


def tlbwe(mas0: int, mas1: int, mas2: int, mas3: int, mas7: int = 0) -> Op:
    return Op("tlbwe", (mas0, mas1, mas2, mas3, mas7))


def tlbre(mas0: int, mas2: int = 0) -> Op:
    return Op("tlbre", (mas0, mas2))


def tlbsx(ea: int, mas6: int, mas4: int = 0, mask: tuple[int, ...] | None = None) -> Op:
    return Op("tlbsx", (ea, mas6, mas4), mask or (0xFFFFFFFF,) * len(READ_MAS))


def tlbivax(ea: int) -> Op:
    return Op("tlbivax", (ea,))


def tlbilx(t: int, ea: int, mas6: int) -> Op:
    return Op("tlbilx", (t, ea, mas6))


def mmucsr0(value: int) -> Op:
    return Op("mmucsr0", (value,))


def marker(real: int, value: int) -> Op:
    """Store ``value`` at ``real`` through the boot identity mapping (before any probe)."""
    return Op("marker", (real, value))


def probe(ea: int) -> Op:
    """Load the word at ``ea`` (data, address space 0, PID 0, supervisor)."""
    return Op("probe", (ea,))


# --- the model side --------------------------------------------------------------------------

def run_on_model(ops: list[Op]) -> list[int]:
    mmu = m.Mmu()
    mmu.install_boot_mapping()
    mas = dict.fromkeys((*READ_MAS, m.SPR_MAS4, m.SPR_MAS6), 0)
    memory: dict[int, int] = {}
    recorded: list[int] = []
    for op in ops:
        if op.kind == "tlbwe":
            for spr, value in zip((m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3, m.SPR_MAS7), op.args):
                mas[spr] = value & m.MAS_WRITABLE[spr]
            mmu.tlbwe(mas[m.SPR_MAS0], mas[m.SPR_MAS1], mas[m.SPR_MAS2], mas[m.SPR_MAS3], mas[m.SPR_MAS7])
        elif op.kind in ("tlbre", "tlbsx"):
            if op.kind == "tlbre":
                mas[m.SPR_MAS0], mas[m.SPR_MAS2] = op.args
                mas.update(mmu.tlbre(mas[m.SPR_MAS0], mas[m.SPR_MAS2], True))
            else:
                ea, mas[m.SPR_MAS6], mas[m.SPR_MAS4] = op.args
                mas.update(mmu.tlbsx(ea, mas[m.SPR_MAS4], mas[m.SPR_MAS6], True))
            recorded += [mas[spr] & mask for spr, mask in zip(READ_MAS, op.mask)]
        elif op.kind == "tlbivax":
            mmu.tlbivax(*op.args)
        elif op.kind == "tlbilx":
            t, ea, mas[m.SPR_MAS6] = op.args
            mmu.tlbilx(t, ea, mas[m.SPR_MAS6])
        elif op.kind == "mmucsr0":
            mmu.write_mmucsr0(*op.args)
        elif op.kind == "marker":
            memory[op.args[0]] = op.args[1]
        else:
            found = mmu.translate(op.args[0], m.Access.LOAD, 0, 0, True)
            if not isinstance(found, m.Translation):
                raise ValueError(f"probe of unmapped {op.args[0]:#x} would leave the guest: {found.reason}")
            recorded.append(memory.get(found.real, 0))
    return recorded


# --- the guest side ----------------------------------------------------------------------------

def _li(register: int, value: int) -> str:
    high, low = value >> 16 & 0xFFFF, value & 0xFFFF
    return f"    lis {register}, {high:#x}\n    ori {register}, {register}, {low:#x}\n"


def _mtspr(spr: int, value: int) -> str:
    return _li(3, value) + f"    mtspr {spr}, 3\n"


def _record_mas() -> str:
    return "".join(f"    mfspr 3, {spr}\n    stw 3, 0(31)\n    addi 31, 31, 4\n" for spr in READ_MAS)


def _tlbilx_word(t: int, ra: int, rb: int) -> int:
    return 31 << 26 | t << 21 | ra << 16 | rb << 11 | 18 << 1


def guest_source(ops: list[Op]) -> str:
    out = ["    .globl _start\n_start:\n", _li(31, RESULTS),
           f"    mfspr 3, {SPR_HID0}\n    ori 3, 3, {m.HID0_EN_MAS7_UPDATE:#x}\n    mtspr {SPR_HID0}, 3\n"]
    for op in ops:
        if op.kind == "tlbwe":
            for spr, value in zip((m.SPR_MAS0, m.SPR_MAS1, m.SPR_MAS2, m.SPR_MAS3, m.SPR_MAS7), op.args):
                out.append(_mtspr(spr, value))
            out.append("    isync\n    tlbwe\n    isync\n")
        elif op.kind == "tlbre":
            out += [_mtspr(m.SPR_MAS0, op.args[0]), _mtspr(m.SPR_MAS2, op.args[1]), "    tlbre\n    isync\n",
                    _record_mas()]
        elif op.kind == "tlbsx":
            ea, mas6, mas4 = op.args
            out += [_mtspr(m.SPR_MAS6, mas6), _mtspr(m.SPR_MAS4, mas4), _li(4, ea),
                    "    tlbsx 0, 4\n    isync\n", _record_mas()]
        elif op.kind == "tlbivax":
            out += [_li(4, op.args[0]), "    tlbivax 0, 4\n    tlbsync\n    isync\n"]
        elif op.kind == "tlbilx":
            t, ea, mas6 = op.args
            out += [_mtspr(m.SPR_MAS6, mas6), _li(4, ea), f"    .long {_tlbilx_word(t, 0, 4):#x}\n    isync\n"]
        elif op.kind == "mmucsr0":
            out += [_mtspr(m.SPR_MMUCSR0, op.args[0]), "    isync\n"]
        elif op.kind == "marker":
            out += [_li(4, op.args[0]), _li(5, op.args[1]), "    stw 5, 0(4)\n"]
        else:
            out += [_li(4, op.args[0]), "    lwz 3, 0(4)\n    stw 3, 0(31)\n    addi 31, 31, 4\n"]
    out += [_li(3, SENTINEL), "    stw 3, 0(31)\n    .globl done\ndone:\n    b done\n"]
    return "".join(out)


# --- running it on QEMU -----------------------------------------------------------------------

def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_on_qemu(elf: Path, done: int, count: int, timeout: float = 30.0) -> list[int]:
    """Run ``elf`` on QEMU's ppce500 until it reaches ``done``; the ``count`` recorded words."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([QEMU, *QEMU_ARGS, "-gdb", f"tcp:127.0.0.1:{port}", "-kernel", str(elf)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"QEMU exited with {proc.returncode}: {proc.stderr.read().decode()}")
            try:
                client = RspClient.connect("127.0.0.1", port, timeout=timeout)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with client:
            if client.request(f"Z0,{done:x},4") != b"OK":
                raise RuntimeError("QEMU refused the breakpoint")
            stop = client.request("c")
            data = client.read_memory(RESULTS, 4 * count + 4)
        words = [int.from_bytes(data[n:n + 4], "big") for n in range(0, len(data), 4)]
        if not stop.startswith((b"T", b"S")) or words[-1] != SENTINEL:
            raise RuntimeError(f"the guest stopped ({stop!r}) before its end: {words}")
        return words[:-1]
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
