"""When U-Boot writes each console line, in instructions from reset, on QEMU and on our ppce500.

QEMU runs recording its execution (``-icount ...,rr=record``), so that the monitor's ``info
replay`` states the instruction count (the time base will not do: U-Boot writes it), with a gdb
write watchpoint on the UART's transmit register at U-Boot's virtual address for it. Hits while
LCR[DLAB] is set are divisor writes, not characters; the others pair in order with the bytes of
the serial output.
Our count is the machine's instruction count when the UART is handed each line's first byte.
"""
from __future__ import annotations

import re
from pathlib import Path

from gdbstub.boards import ppce500
from gdbstub.difftest import PPCE500, QemuTarget
from gdbstub.vcpu.stops import Halted

UART0_EA = 0xE0004500          # U-Boot maps CCSR at EA 0xe0000000
LCR_DLAB = 0x80
_ICOUNT = re.compile(r"instruction count = (\d+)")
RUN_SLICE = 100_000

Lines = list[tuple[int, bytes]]   # (instruction count at the line's first byte, the line)


def _lines(text: bytes, counts: list[int], until: bytes) -> Lines:
    """The lines of ``text`` (``counts[i]`` at byte i) up to the one starting with ``until``."""
    lines, start = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((counts[start], line.rstrip(b"\r\n")))
        if line.startswith(until):
            return lines
        start += len(line)
    raise ValueError(f"{until!r} not in the console output {text[-200:]!r}")


def qemu_console_lines(image: Path, work: Path, until: bytes = b"Net:", timeout: float = 60.0) -> Lines:
    serial = work / "qemu-console.txt"
    machine = (*PPCE500, "-serial", f"file:{serial}", "-icount", f"shift=0,rr=record,rrfile={work / 'replay.bin'}")
    counts: list[int] = []
    with QemuTarget(image, machine=machine, timeout=timeout) as qemu:
        qemu.watch_writes(UART0_EA, 1)
        while until not in serial.read_bytes() or len(counts) < len(serial.read_bytes()):
            if not qemu.resume():
                raise RuntimeError(f"QEMU ended before {until!r}: {serial.read_bytes()[-200:]!r}")
            if qemu.read_memory(UART0_EA + 3, 1)[0] & LCR_DLAB:
                continue
            counts.append(int(_ICOUNT.search(qemu.monitor("info replay"))[1]))
    return _lines(serial.read_bytes(), counts, until)


def our_console_lines(image: Path, until: bytes = b"Net:", limit: int = 20_000_000) -> Lines:
    text, counts = bytearray(), []

    def output(data: bytes) -> None:
        counts.extend([cpu.icount] * len(data))
        text.extend(data)
    board = ppce500.build(uart_output=output)
    board.boot(image)
    cpu = board.cpu
    while until not in text:
        outcome = cpu.run(RUN_SLICE)
        if isinstance(outcome, Halted) or cpu.icount > limit:
            raise RuntimeError(f"no {until!r} after {cpu.icount} instructions: {bytes(text[-200:])!r}")
    return _lines(bytes(text), counts, until)
