#!/usr/bin/env python3
"""Benchmarks of this stub side by side with QEMU's gdbstub, printed as one table.

    python3 scripts/bench.py [--rounds 80] [--no-qemu] [--no-gdb]

The guest (``benchmarks/guests/bench.c``) is built at run time. Our server runs as a
subprocess (``python -m gdbstub serve --port 0 --port-file F``) so that its peak RSS can be
read; QEMU (``qemu-system-ppc -M mpc8544ds -cpu e500mc``, started by ``gdbstub.difftest``'s
launcher) gets exactly the same packets from the same client. Every stub row starts a fresh
target stopped at the ELF entry. Instruction counts come from running the guest in-process,
which also gives the vCPU-only rows (no stub, no QEMU counterpart). The execution-history rows
run the guest in-process in run-control-sized slices with history off and on, then time one
reverse-stepi and a reverse-continue back to ``main`` over ten million instructions; the rows
through the stub have history on, as every attached client does. The realistic guests
(``benchmarks/guests``: CoreMark, Dhrystone, firmware logging) are timed by the CPU time of the
server process (ours or QEMU), bare, armed and on ppce500 with the MMU on. One row reads the peak
RSS of a server whose guest (``allram.c``) runs all of its 64 MiB of RAM as code.
"""
from __future__ import annotations

import argparse
import ctypes
import functools
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gdbstub.channel import BUSY_POLL, Channel  # noqa: E402
from gdbstub.difftest import QemuTarget  # noqa: E402
from gdbstub.guests.build import build_guest  # noqa: E402
from gdbstub.guests.linux import SOURCE_TARBALL, linux_dtb, linux_kernel  # noqa: E402
from gdbstub.machine import THREAD, Machine  # noqa: E402
from gdbstub.rsp.client import RspClient  # noqa: E402
from gdbstub.rsp.framing import encode_packet  # noqa: E402
from gdbstub.session import Z_POINT_KINDS  # noqa: E402
from gdbstub.target import GuestExited  # noqa: E402
from gdbstub.boards.standalone import image_request, run_image, run_image_in  # noqa: E402

GUEST_SOURCE = ROOT / "benchmarks" / "guests" / "bench.c"
PC_REGNUM = 0x40             # gdb's power-core numbering, used by both stubs
READ_SIZE = 0x400            # m packets of 1 KiB
READ_BASE = 0x100000         # the guest image
READ_SPAN = 0x10000
ROUND_TRIPS = 2000
READS = 4000
STEPI = 1000
PYPY = ROOT / ".venv-pypy" / "bin" / "python"   # scripts/setup.sh makes it
LONG_ROUNDS = 400            # a long run (about 51 M instructions): PyPy's JIT is warm for most of it


@dataclass
class Row:
    name: str
    unit: str
    ours: float | None
    qemu: float | None = None
    higher_is_better: bool = True
    target: str = ""

    def cells(self) -> list[str]:
        ratio = ""
        if self.ours and self.qemu:
            ratio = f"{self.ours / self.qemu:.2f}×"
        return [self.name, self.unit, _fmt(self.ours), _fmt(self.qemu), ratio,
                "higher" if self.higher_is_better else "lower", self.target]


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


# --- targets ----------------------------------------------------------------------------------


class OurServer:
    """``python -m gdbstub serve`` on a free port (with extra ``options``), with a connected client;
    ``python`` is the interpreter (this one unless told: PyPy's is ``PYPY``)."""

    def __init__(self, elf: Path, options: tuple[str, ...] = (), python: str = sys.executable):
        self._tmp = tempfile.TemporaryDirectory()
        port_file = Path(self._tmp.name) / "port"
        command = [python, "-m", "gdbstub", "serve", str(elf), "--port", "0", "--port-file", str(port_file)]
        self.proc = subprocess.Popen(
            command + list(options),
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("our server did not start")
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        self.client = RspClient.connect("127.0.0.1", self.port, timeout=120)

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()
        self._tmp.cleanup()


class Qemu:
    """QEMU stopped at the entry, through the differential harness's launcher."""

    def __init__(self, elf: Path):
        self.target = QemuTarget(elf, timeout=30)
        self.proc, self.port, self.client = self.target.proc, self.target.port, self.target.client
        self.client.timeout = 120

    def close(self) -> None:
        self.target.close()


class CannedStub:
    """The best a Python stub can do here: a child process that answers each packet with a
    ready-made frame and does nothing else (a process, so that it does not share the client's
    GIL), through the same busy-polling :class:`Channel` as our server. Together with the
    client this bounds what any CPython server can reach."""

    REPLIES = {b"v": encode_packet(b"T05thread:01;"), b"p": encode_packet(b"00100000"),
               b"m": encode_packet(b"00" * READ_SIZE), b"q": encode_packet(b"")}

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.child = multiprocessing.get_context("fork").Process(target=self._serve, daemon=True)
        self.child.start()
        self.client = RspClient.connect("127.0.0.1", self.listener.getsockname()[1])

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        channel = Channel(conn.fileno(), busy_poll=BUSY_POLL)
        pending = b""
        while data := channel.receive():
            pending += data
            while (end := pending.find(b"#")) >= 0 and len(pending) >= end + 3:
                kind = pending[pending.find(b"$") + 1:][:1]
                pending = pending[end + 3:]
                channel.send(b"+" + self.REPLIES[kind])
            pending = pending.lstrip(b"+")

    def close(self) -> None:
        self.client.close()
        self.listener.close()
        self.child.terminate()
        self.child.join()


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


# --- measurements over one client ---------------------------------------------------------------


def _expect(reply: bytes, prefix: bytes, what: str) -> bytes:
    if not reply.startswith(prefix):
        raise RuntimeError(f"{what}: unexpected reply {reply[:80]!r}")
    return reply


def continue_to_stop(client: RspClient, symbols: dict[str, int], rounds: int,
                     points: list[tuple[int, str]], clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds from ``vCont;c`` to the stop, with ``rounds`` set and Z``type`` points inserted
    (by ``clock``: wall time unless told)."""
    client.write_memory(symbols["rounds"], rounds.to_bytes(4, "big"))
    for z_type, symbol in points:
        _expect(client.request(f"Z{z_type},{symbols[symbol]:x},4"), b"OK", f"Z{z_type} {symbol}")
    start = clock()
    _expect(client.request(b"vCont;c:1"), b"T", "continue")
    return clock() - start


NEVER_TRUE = b";X3,220027"   # the agent expression "0": const8 0, end


def conditional_hits(client: RspClient, symbols: dict[str, int], rounds: int, *, in_stub: bool) -> float:
    """Seconds to ``_exit`` with a conditional Z1 on ``checkpoint`` (hit every round) whose
    condition never holds: evaluated by the stub, or by the client as gdb does without
    ``ConditionalBreakpoints+`` (at each hit: read the register the condition needs, step off
    the breakpoint with it removed, put it back, continue)."""
    client.write_memory(symbols["rounds"], rounds.to_bytes(4, "big"))
    condition = NEVER_TRUE if in_stub else b""
    breakpoint = b"1,%x,4" % symbols["checkpoint"]
    _expect(client.request(b"Z" + breakpoint + condition), b"OK", "Z1 checkpoint")
    _expect(client.request(b"Z0,%x,4" % symbols["_exit"]), b"OK", "Z0 _exit")
    exit_pc = b"%08x" % symbols["_exit"]
    start = time.perf_counter()
    while True:
        _expect(client.request(b"vCont;c:1"), b"T", "continue")
        if client.request(b"p%x" % PC_REGNUM) == exit_pc:
            return time.perf_counter() - start
        client.request(b"p3")
        _expect(client.request(b"z" + breakpoint), b"OK", "z1 checkpoint")
        _expect(client.request(b"vCont;s:1"), b"T", "step")
        _expect(client.request(b"Z" + breakpoint), b"OK", "Z1 checkpoint")


class RawClient:
    """The fewest Python operations a packet, so that the client is not what is measured:
    request frames are built once, the ack of a reply goes out with the next request, and a
    reply is found by its ``#`` (checksums are the protocol tests' business, not this one's).
    Takes over the socket of an :class:`RspClient` that has finished its handshake."""

    def __init__(self, client: RspClient) -> None:
        self.sock = client.sock
        self.ack = b"" if client.no_ack else b"+"
        self.pending = b""
        self.buffer = b""

    def request(self, frame: bytes) -> bytes:
        """Send one framed request; the payload of the reply (after the stub's ``+``)."""
        self.sock.sendall(self.pending + frame)
        self.pending = self.ack
        buffer = self.buffer
        while (start := buffer.find(b"$")) < 0 or (end := buffer.find(b"#", start)) < 0 or len(buffer) < end + 3:
            buffer += self.sock.recv(65536)
        self.buffer = buffer[end + 3:]
        return buffer[start + 1:end]

    def close(self) -> None:
        """Send the last ack, so that the stub is left as an RspClient would leave it."""
        self.sock.sendall(self.pending)
        self.pending = b""


def round_trips(client: RspClient) -> float:
    """``vCont;s`` + ``p`` (pc) pairs per second."""
    raw, step, read_pc = RawClient(client), encode_packet(b"vCont;s:1"), encode_packet(b"p%x" % PC_REGNUM)
    start = time.perf_counter()
    for _ in range(ROUND_TRIPS):
        _expect(raw.request(step), b"T", "step")
        _expect(raw.request(read_pc), b"0", "p")
    rate = ROUND_TRIPS / (time.perf_counter() - start)
    raw.close()
    return rate


def memory_reads(client: RspClient) -> float:
    """KiB/s of ``m`` reads in 1 KiB packets."""
    raw = RawClient(client)
    frames = [encode_packet(b"m%x,%x" % (READ_BASE + offset, READ_SIZE)) for offset in range(0, READ_SPAN, READ_SIZE)]
    start = time.perf_counter()
    for n in range(READS):
        reply = raw.request(frames[n % len(frames)])
        if len(reply) < READ_SIZE:     # hex, possibly run-length encoded: never shorter than half
            raise RuntimeError(f"m read answered {reply[:40]!r}")
    rate = READS * READ_SIZE / 1024 / (time.perf_counter() - start)
    raw.close()
    return rate


def gdb_stepi(elf: Path, port: int) -> float | None:
    """``stepi 1000`` in gdb-multiarch: steps per second, timed inside gdb."""
    gdb = shutil.which("gdb-multiarch")
    if gdb is None:
        return None
    out = subprocess.run(
        [gdb, "-nx", "-batch", str(elf), "-ex", "set confirm off", "-ex", "set pagination off",
         "-ex", f"target remote 127.0.0.1:{port}", "-ex", "python import time; t0 = time.perf_counter()",
         "-ex", f"stepi {STEPI}", "-ex", "python print('STEPI-SECONDS', time.perf_counter() - t0)"],
        capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        if line.startswith("STEPI-SECONDS"):
            return STEPI / float(line.split()[1])
    raise RuntimeError(f"gdb stepi failed:\n{out}")


# --- the benchmark ------------------------------------------------------------------------------

def free_run_mips(server: Callable, elf: Path, rounds: int, repeat: int) -> float:
    """MIPS of the guest run free to ``_exit`` through the stub (``vCont;c`` with a Z0 there):
    the best of ``repeat`` fresh ``server`` processes."""
    count, _ = instructions_to(elf, rounds, "_exit")
    symbols = Machine(elf).elf.symbols
    seconds = []
    for _ in range(repeat):
        target = server(elf)
        try:
            target.client.request(b"qSupported:swbreak+;hwbreak+;vContSupported+")
            seconds.append(continue_to_stop(target.client, symbols, rounds, [(0, "_exit")]))
        finally:
            target.close()
    return count / 1e6 / min(seconds)


def pypy_rows(server: Callable, elf: Path, rounds: int, repeat: int, cpython: float, qemu: float | None) -> list[Row]:
    """The free-running stub rows with the server on PyPy beside CPython (``cpython`` MIPS), at
    ``rounds`` and on a long run, where PyPy's JIT has warmed up."""
    if not PYPY.exists():
        return [Row("... the same with the server on PyPy", "MIPS", None, target=f"no {PYPY}: scripts/setup.sh")]
    on_pypy = functools.partial(server, python=str(PYPY))
    short = free_run_mips(on_pypy, elf, rounds, repeat)
    long_cpython = free_run_mips(server, elf, LONG_ROUNDS, repeat)
    long_pypy = free_run_mips(on_pypy, elf, LONG_ROUNDS, repeat)
    return [
        Row("... the same with the server on PyPy", "MIPS", short, qemu, target=f"(is {short / cpython:.1f}× CPython)"),
        Row(f"MIPS through the stub, free-running, a long run ({LONG_ROUNDS} rounds), server on CPython", "MIPS",
            long_cpython),
        Row("... the same with the server on PyPy", "MIPS", long_pypy,
            target=f"≥ 2× CPython (is {long_pypy / long_cpython:.1f}×)"),
    ]


ARMED = [(1, "never_a"), (1, "never_b"), (2, "watched_a"), (2, "watched_b")]


def instructions_to(elf: Path, rounds: int, stop_symbol: str, *, points=(), translate: bool = True):
    """Run the guest in-process to ``stop_symbol``: (instructions, seconds)."""
    machine = Machine(elf)
    symbols = machine.elf.symbols
    if not translate:
        machine.cpu.translate_after = None
    machine.write_memory(THREAD, symbols["rounds"], rounds.to_bytes(4, "big"))
    for z_type, symbol in [*points, (0, stop_symbol)]:
        machine.insert_point(Z_POINT_KINDS[z_type], symbols[symbol], 4)
    machine.resume(THREAD, step=False)
    start = time.perf_counter()
    stop = machine.run(1 << 40)
    elapsed = time.perf_counter() - start
    if getattr(stop, "address", None) != symbols[stop_symbol]:
        raise RuntimeError(f"in-process run stopped with {stop}, not at {stop_symbol}")
    return machine.cpu.icount, elapsed


def bare_mips(elf: Path, rounds: int, repeat: int, python: str | None = None) -> float:
    """MIPS of the bare vCPU (``gdbstub.boards.standalone``: no debug stack) running the guest to
    its halt, in-process or under another interpreter (``python``, e.g. pypy3)."""
    machine = Machine(elf)
    machine.write_memory(THREAD, machine.elf.symbols["rounds"], rounds.to_bytes(4, "big"))
    request = image_request(machine.cpu, machine.elf.segments, steps=1 << 40)
    results = [run_image(request) if python is None else run_image_in(python, request) for _ in range(repeat)]
    return max(r["state"]["icount"] / 1e6 / r["seconds"] for r in results)


SLICE = 16000                # instructions a run slice takes at most (runcontrol.SLICE_STEPS_RANGE)
REVERSE_SPAN = 10_000_000    # instructions a reverse-continue goes back over


def _run_in_slices(machine: Machine, steps: int):
    """Run ``steps`` instructions as the run control does, in slices (history snapshots are
    taken between them); the stop that ended it early, or None."""
    machine.resume(THREAD, step=False)
    end = machine.cpu.icount + steps
    while machine.cpu.icount < end:
        stop = machine.run(min(SLICE, end - machine.cpu.icount))
        if stop is not None:
            return stop
    return None


def history_mips(elf: Path, rounds: int, repeat: int, *, history: bool) -> float:
    """MIPS of the guest run to its halt in slices, with the execution history on or off."""
    best = 0.0
    for _ in range(repeat):
        machine = Machine(elf)
        machine.write_memory(THREAD, machine.elf.symbols["rounds"], rounds.to_bytes(4, "big"))
        if history:
            machine.start_history()
        start = time.perf_counter()
        stop = _run_in_slices(machine, 1 << 40)
        elapsed = time.perf_counter() - start
        if not isinstance(stop, GuestExited):
            raise RuntimeError(f"the history run ended with {stop}")
        best = max(best, machine.cpu.icount / 1e6 / elapsed)
    return best


def reverse_times(elf: Path) -> tuple[float, float, int]:
    """(ms for one reverse-stepi, seconds for a reverse-continue back over ``REVERSE_SPAN``
    instructions to a breakpoint, snapshots in history): the guest runs live past ``main`` for
    that span, then goes back one instruction (the median of 5), then to ``main``."""
    machine = Machine(elf)
    symbols = machine.elf.symbols
    machine.write_memory(THREAD, symbols["rounds"], (REVERSE_SPAN // 100_000).to_bytes(4, "big"))
    machine.start_history()
    machine.insert_point(Z_POINT_KINDS[0], symbols["main"], 4)
    if getattr(_run_in_slices(machine, 1 << 40), "address", None) != symbols["main"]:
        raise RuntimeError("the reverse bench did not reach main")
    machine.remove_point(Z_POINT_KINDS[0], symbols["main"], 4)
    if _run_in_slices(machine, REVERSE_SPAN) is not None:
        raise RuntimeError("the reverse bench stopped early")

    def timed(step: bool) -> float:
        machine.resume_reverse(THREAD, step=step)
        start = time.perf_counter()
        while machine.run(SLICE) is None:
            pass
        return time.perf_counter() - start
    steps = sorted(timed(step=True) for _ in range(5))
    machine.insert_point(Z_POINT_KINDS[0], symbols["main"], 4)
    back = timed(step=False)
    if machine.cpu.pc != symbols["main"]:
        raise RuntimeError(f"reverse-continue stopped at {machine.cpu.pc:#x}, not at main")
    return 1e3 * steps[2], back, len(machine.recorder.history.snapshots)


def measure(kinds: dict[str, Callable], elf: Path, rounds: int, use_gdb: bool, repeat: int) -> list[Row]:
    """Every figure is the best of ``repeat`` runs (other work on the machine only slows runs down)."""
    symbols = Machine(elf).elf.symbols

    def mips(**options):
        runs = [instructions_to(elf, rounds, "_exit", **options) for _ in range(repeat)]
        return max(count / 1e6 / seconds for count, seconds in runs)
    first_count, _ = instructions_to(elf, rounds, "checkpoint")
    free_count, _ = instructions_to(elf, rounds, "_exit")
    results: dict[str, dict[str, float]] = {}
    for label, kind in kinds.items():
        res = results[label] = {}
        rss = []

        def best(fn, *, lowest=False):
            """``fn(target)`` on ``repeat`` fresh targets; the best value."""
            values = []
            for _ in range(repeat):
                target = kind(elf)
                try:
                    # as gdb does; QEMU 7.2 refuses QStartNoAckMode, so both stay in ack mode
                    target.client.request(b"qSupported:swbreak+;hwbreak+;vContSupported+")
                    values.append(fn(target))
                    rss.append(peak_rss_mib(target.proc.pid))
                finally:
                    target.close()
            return min(values) if lowest else max(values)

        res["free"] = free_count / 1e6 / best(
            lambda t: continue_to_stop(t.client, symbols, rounds, [(0, "_exit")]), lowest=True)
        res["armed"] = free_count / 1e6 / best(
            lambda t: continue_to_stop(t.client, symbols, rounds, [*ARMED, (0, "_exit")]), lowest=True)
        res["first"] = 1e3 * best(lambda t: continue_to_stop(t.client, symbols, rounds, [(1, "checkpoint")]),
                                  lowest=True)
        res["conditional"] = 1e3 * best(
            lambda t: conditional_hits(t.client, symbols, rounds, in_stub=False), lowest=True)
        if label == "gdbstub":
            res["conditional_in_stub"] = 1e3 * best(
                lambda t: conditional_hits(t.client, symbols, rounds, in_stub=True), lowest=True)
        res["trips"] = best(lambda t: round_trips(t.client))
        res["reads"] = best(lambda t: memory_reads(t.client))
        if use_gdb:
            def stepi(target):
                target.client.close()
                target.client = None
                return gdb_stepi(elf, target.port)
            res["stepi"] = best(stepi)
        res["rss"] = max(rss)
    ours, qemu = results["gdbstub"], results.get("QEMU", {})
    rows = [
        Row("MIPS, vCPU in-process, interpreter only", "MIPS", mips(translate=False)),
        Row("MIPS, vCPU in-process, no debug points", "MIPS", mips(), target="≥ 15"),
        Row("MIPS, vCPU in-process, 2 IAC + 2 DAC armed", "MIPS", mips(points=ARMED), target="≥ 12"),
        Row("MIPS, bare vCPU (no debug stack), CPython", "MIPS", bare_mips(elf, rounds, repeat)),
    ]
    if shutil.which("pypy3"):
        rows.append(Row("MIPS, bare vCPU (no debug stack), PyPy", "MIPS", bare_mips(elf, rounds, repeat, "pypy3")))
    history_off = history_mips(elf, rounds, repeat, history=False)
    history_on = history_mips(elf, rounds, repeat, history=True)
    stepi_ms, back_seconds, snapshots = reverse_times(elf)
    rows += [
        Row("MIPS in slices, execution history off", "MIPS", history_off),
        Row("MIPS in slices, execution history on", "MIPS", history_on,
            target=f"≥ 80 % of off (is {100 * history_on / history_off:.0f} %)"),
        Row(f"one reverse-stepi, {REVERSE_SPAN // 10**6} M instructions into history", "ms", stepi_ms,
            higher_is_better=False),
        Row(f"reverse-continue back over {REVERSE_SPAN // 10**6} M instructions ({snapshots} snapshots)", "s",
            back_seconds, higher_is_better=False),
    ]
    rows += [
        Row("MIPS through the stub, free-running (vCont;c)", "MIPS", ours["free"], qemu.get("free")),
        *pypy_rows(kinds["gdbstub"], elf, rounds, repeat, ours["free"], qemu.get("free")),
        Row("MIPS through the stub, 2 Z1 + 2 Z2 armed", "MIPS", ours["armed"], qemu.get("armed")),
        Row(f"time to a Z1 breakpoint after {first_count:,} instructions", "ms", ours["first"], qemu.get("first"),
            higher_is_better=False),
        Row(f"to _exit past {rounds} hits of a Z1 whose condition is false, evaluated by the client", "ms",
            ours["conditional"], qemu.get("conditional"), higher_is_better=False),
        Row("... with the condition sent along and evaluated in the stub (QEMU: by the client)", "ms",
            ours["conditional_in_stub"], qemu.get("conditional"), higher_is_better=False),
        Row("round trips vCont;s + p", "per s", ours["trips"], qemu.get("trips"), target="≥ 2× QEMU"),
        Row("m reads, 1 KiB packets", "KiB/s", ours["reads"], qemu.get("reads"), target="≥ QEMU"),
    ]
    if use_gdb:
        rows.append(Row(f"gdb-multiarch stepi {STEPI}", "steps/s", ours["stepi"], qemu.get("stepi"),
                        target="≥ QEMU"))
    rows.append(Row("peak RSS of the server process (64 MiB guest RAM)", "MiB", ours["rss"], qemu.get("rss"),
                    higher_is_better=False, target="< 200 MB"))
    return rows


# --- realistic guests: CoreMark, Dhrystone, firmware logging -----------------------------------

REALISTIC_DIR = ROOT / "benchmarks" / "guests"
REALISTIC = {"coremark": ("CoreMark", 10), "dhrystone": ("Dhrystone 2.1", 10),   # program: title, rounds
             "fwlog": ("firmware logging", 12)}                                  # (2-3.4 M instructions)
REALISTIC_OPTS = ("-O2", "-Os")
ON_PPCE500 = ("--machine", "ppce500")


def realistic_guest(program: str, opt: str) -> Path:
    return build_guest([REALISTIC_DIR / "harness.c", REALISTIC_DIR / f"{program}.c"], opt=opt,
                       name=f"{program}{opt}")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` (another one) has used, all its threads, to the nanosecond:
    its POSIX CPU-time clock (``/proc``'s tick counts are 10 ms coarse, a few % of a run)."""
    clock = ctypes.c_int()
    error = ctypes.CDLL(None).clock_getcpuclockid(pid, ctypes.byref(clock))
    if error:
        raise OSError(error, os.strerror(error))
    return time.clock_gettime(clock.value)


def cpu_mips(server: Callable, elf: Path, rounds: int, count: int, points, repeat: int) -> float:
    """MIPS by the CPU time the ``server`` process spends from ``vCont;c`` to the Z0 on ``_exit``
    (``points`` armed as well, which must not fire): the best of ``repeat`` fresh processes."""
    symbols = Machine(elf).elf.symbols
    exit_pc = b"%08x" % symbols["_exit"]
    seconds = []
    for _ in range(repeat):
        target = server(elf)
        try:
            target.client.request(b"qSupported:swbreak+;hwbreak+;vContSupported+")
            clock = functools.partial(process_cpu_seconds, target.proc.pid)
            seconds.append(continue_to_stop(target.client, symbols, rounds, [*points, (0, "_exit")], clock))
            _expect(target.client.request(b"p%x" % PC_REGNUM), exit_pc, "the stop's pc (not _exit)")
        finally:
            target.close()
    return count / 1e6 / min(seconds)


def realistic_rows(kinds: dict[str, Callable], repeat: int) -> list[Row]:
    """Each realistic guest at -O2 and -Os, run to ``_exit`` through the stub: on the bare
    machine, with 2 IAC + 2 DAC armed, and on ppce500 with the MMU on (mapped as QEMU's
    ``-kernel`` maps it, through a TLB1 entry), beside QEMU (-M mpc8544ds, whose e500 always
    translates) on the same runs. The count comes from an in-process run on the bare machine;
    ppce500 starts the guest at its entry too, so it runs the same instructions."""
    ours, qemu = kinds["gdbstub"], kinds.get("QEMU")
    under_mmu = functools.partial(ours, options=(*ours.keywords.get("options", ()), *ON_PPCE500))
    rows = []
    for program, (title, rounds) in REALISTIC.items():
        for opt in REALISTIC_OPTS:
            elf = realistic_guest(program, opt)
            count, _ = instructions_to(elf, rounds, "_exit")
            free = cpu_mips(ours, elf, rounds, count, [], repeat)
            armed = cpu_mips(ours, elf, rounds, count, ARMED, repeat)
            mmu = cpu_mips(under_mmu, elf, rounds, count, [], repeat)
            qemu_free = qemu and cpu_mips(qemu, elf, rounds, count, [], repeat)
            qemu_armed = qemu and cpu_mips(qemu, elf, rounds, count, ARMED, repeat)
            rows += [Row(f"{title} {opt} ({count / 1e6:.1f} M instructions), MIPS by server CPU, through the stub",
                         "MIPS", free, qemu_free, target="≥ 20"),
                     Row("... with 2 Z1 + 2 Z2 armed", "MIPS", armed, qemu_armed, target="≥ 18"),
                     Row("... on ppce500, MMU on (QEMU: mpc8544ds as above)", "MIPS", mmu, qemu_free,
                         target=f"≥ 90 % of bare (is {100 * mmu / free:.0f} %)")]
    return rows


ALL_RAM = 64 << 20   # the guest RAM of our bare machine, all of it run as code


def all_ram_rss(server: Callable) -> float:
    """Peak RSS (MiB) of the ``server`` process whose guest (``allram.c``) writes code over its
    RAM up to 64 MiB and runs all of it once: every word an instruction decoded (and, alike
    words aside, a distinct one), the worst case for the code caches' bounds."""
    elf = build_guest([REALISTIC_DIR / "allram.c"])
    symbols = Machine(elf).elf.symbols
    target = server(elf)
    try:
        client = target.client
        client.timeout = BOOT_TIMEOUT
        for name, value in (("code_end", ALL_RAM), ("loops", 1), ("passes", 1)):
            client.write_memory(symbols[name], value.to_bytes(4, "big"))
        _expect(client.request(f"Z0,{symbols['_exit']:x},4"), b"OK", "Z0 _exit")
        _expect(client.request(b"vCont;c:1"), b"T", "continue")
        _expect(client.request(b"p%x" % PC_REGNUM), b"%08x" % symbols["_exit"], "the stop's pc (not _exit)")
        _expect(client.request(b"p3"), b"00000000", "main's verdict (r3)")
        return peak_rss_mib(target.proc.pid)
    finally:
        target.close()


def all_ram_row(kinds: dict[str, Callable]) -> Row:
    qemu = kinds.get("QEMU")
    return Row(f"peak RSS, a guest running all {ALL_RAM >> 20} MiB of its RAM as code (allram.c)", "MiB",
               all_ram_rss(kinds["gdbstub"]), qemu and all_ram_rss(qemu), higher_is_better=False,
               target=f"≤ {(ALL_RAM >> 20) + 256} (RAM + 256)")


UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
UBOOT_PROMPT = b"\n=> "
LINUX_FIRST_LINE = b"init: hello from user space"
LINUX_FIRST_WRITE = "sys_write"   # the init's first line is the first write system call
BOOT_TIMEOUT = 600.0
QEMU_E500_TIMEBASE_HZ = 400_000_000   # QEMU's ppce500 time base (PLATFORM_CLK_FREQ_HZ) ...
QEMU_ICOUNT_HZ = 1_000_000_000        # ... and its instructions a virtual second at -icount shift=0


def _ppce500(image: Path, out: bytearray, options: dict) -> Machine:
    from gdbstub.boards import ppce500
    return Machine(image, board=functools.partial(ppce500.build, ppce500.Options(**options)), uart_output=out.extend)


def boot_ours(image: Path, marker: bytes, **options) -> tuple[float, int] | None:
    """Wall seconds and instructions from reset to ``marker`` on the console of our ppce500
    (in-process, nothing armed; ``options`` for ``ppce500.Options``)."""
    out = bytearray()
    machine = _ppce500(image, out, options)
    start = time.perf_counter()
    while marker not in out:
        if machine.run(100_000) is not None or time.perf_counter() - start > BOOT_TIMEOUT:
            return None
    return time.perf_counter() - start, machine.cpu.icount


def instructions_to_symbol(image: Path, symbol: str, **options) -> tuple[int, int] | None:
    """The instructions from reset to the first execution of ``symbol`` on our ppce500 (a
    hardware breakpoint: a separate run from the timed one, which has nothing armed), and its
    address."""
    from gdbstub.target import BreakpointStop, PointKind
    machine = _ppce500(image, bytearray(), options)
    address = machine.elf.symbols[symbol]
    machine.insert_point(PointKind.HARDWARE, address, 4)
    machine.resume(THREAD, step=False)
    start = time.perf_counter()
    while time.perf_counter() - start < BOOT_TIMEOUT:
        stop = machine.run(100_000)
        if isinstance(stop, BreakpointStop) and stop.address == address:
            return machine.cpu.icount, address
        if stop is not None:
            return None
    return None


def boot_qemu(image: Path, marker: bytes) -> float | None:
    """Wall seconds from QEMU's start to ``marker`` (``-M ppce500 -cpu e500mc -kernel``)."""
    start = time.perf_counter()
    qemu = subprocess.Popen(["qemu-system-ppc", "-M", "ppce500", "-cpu", "e500mc", "-kernel", str(image),
                             "-nographic", "-monitor", "none", "-serial", "stdio"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    seen = b""
    try:
        while marker not in seen:
            data = qemu.stdout.read1(4096)
            if not data or time.perf_counter() - start > BOOT_TIMEOUT:
                return None
            seen += data
        return time.perf_counter() - start
    finally:
        qemu.kill()
        qemu.wait()


def qemu_icount_dtb(dtb: bytes) -> bytes:
    """Our device tree for QEMU under ``-icount shift=0``: the time base it states scaled so that
    the kernel's tick and delays take as many instructions there as here (QEMU's time base runs
    at 400 MHz of virtual time, 0.4 ticks an instruction; ours one tick an instruction)."""
    import libfdt
    from gdbstub.boards.ppce500 import TICKS_PER_INSTRUCTION
    fdt = libfdt.Fdt(dtb)
    cpu = fdt.first_subnode(fdt.path_offset("/cpus"))
    ours = fdt.getprop(cpu, "timebase-frequency").as_uint32()
    fdt.setprop_u32(cpu, "timebase-frequency",
                    ours * QEMU_E500_TIMEBASE_HZ // (QEMU_ICOUNT_HZ * TICKS_PER_INSTRUCTION))
    return bytes(fdt.as_bytearray())


def qemu_instructions_to(image: Path, address: int, dtb: bytes) -> int | None:
    """QEMU's instructions from reset to the first execution of ``address`` (a hardware
    breakpoint through its gdbstub), counted by ``-icount`` in record mode (``info replay``);
    booted with ``dtb`` (see :func:`qemu_icount_dtb`)."""
    with tempfile.TemporaryDirectory() as tmp:
        dtb_file = Path(tmp) / "qemu.dtb"
        dtb_file.write_bytes(qemu_icount_dtb(dtb))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        qemu = subprocess.Popen(
            ["qemu-system-ppc", "-M", "ppce500", "-cpu", "e500mc", "-kernel", str(image), "-dtb", str(dtb_file),
             "-icount", f"shift=0,align=off,sleep=off,rr=record,rrfile={tmp}/replay.bin", "-nographic",
             "-monitor", "none", "-serial", "null", "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = RspClient.connect("127.0.0.1", port, timeout=BOOT_TIMEOUT, retries_for=30)
            if client.request(f"Z1,{address:x},4") != b"OK" or not client.request("c").startswith(b"T05"):
                return None
            client.send("qRcmd," + b"info replay".hex())
            said = b""
            while (reply := client.receive()).startswith(b"O") and reply != b"OK":
                said += bytes.fromhex(reply[1:].decode())
            client.close()
            count = said.rpartition(b"instruction count = ")[2].split()
            return int(count[0]) if count else None
        finally:
            qemu.kill()
            qemu.wait()


def boot_row(name: str, image: Path, marker: bytes, use_qemu: bool, target: str, count_to: str | None = None,
             **options) -> Row:
    ours = boot_ours(image, marker, **options)
    if ours is not None:
        counted = f"{ours[1]:,} instructions here"
        if count_to:
            to = instructions_to_symbol(image, count_to, **options)
            counted += f"; to {count_to}: {to[0]:,}" if to else f"; to {count_to}: —"
            if to and use_qemu:
                theirs = qemu_instructions_to(image, to[1], options["dtb"])
                counted += f", {theirs:,} on QEMU -icount" if theirs is not None else ", — on QEMU -icount"
        name += f" ({counted})"
    return Row(name, "s", ours and ours[0], boot_qemu(image, marker) if use_qemu else None,
               higher_is_better=False, target=target)


def uboot_row(use_qemu: bool) -> Row:
    """Nothing typed: the boot delay and the failing autoboot included, as on QEMU."""
    return boot_row("U-Boot 2023.01 on ppce500: reset to the => prompt", UBOOT, UBOOT_PROMPT, use_qemu, "≤ 3 s")


def linux_row(use_qemu: bool) -> Row:
    """Linux 6.1 (``gdbstub.guests.linux``, built if not cached) to its /init's first line; ours
    boots with the kernel's device tree (its time base), QEMU with its own for the wall time and
    with ours, time base scaled, for the instruction count (to the init's first write system
    call, on both: within 5 % is issue 17's target; docs/performance.md)."""
    return boot_row("Linux 6.1 on ppce500: reset to the init's first line", linux_kernel(), LINUX_FIRST_LINE,
                    use_qemu, "≤ 5 s", count_to=LINUX_FIRST_WRITE, dtb=linux_dtb().read_bytes())


def cpu_idle() -> str:
    """How this machine idles its CPUs (Linux cpuidle driver/governor): in a VM it decides what
    waking a sleeping thread costs, which moves every round-trip figure of both stubs."""
    base = Path("/sys/devices/system/cpu/cpuidle")
    try:
        return "/".join((base / name).read_text().strip() for name in ("current_driver", "current_governor_ro"))
    except OSError:
        return "unknown"


def print_table(rows: list[Row], header: str) -> None:
    titles = ["benchmark", "unit", "gdbstub", "QEMU", "ratio", "better", "target"]
    table = [titles] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(titles))]
    print(header)
    for n, line in enumerate(table):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=80, help="workload passes (about 130k instructions each)")
    parser.add_argument("--no-qemu", action="store_true", help="measure only this stub")
    parser.add_argument("--no-gdb", action="store_true", help="skip the gdb-multiarch stepi row")
    parser.add_argument("--serve-option", action="append", default=[], metavar="OPTION",
                        help="pass OPTION to our `gdbstub serve` (repeatable), e.g. --serve-option=--busy-poll-us=0")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is shown (default 3)")
    parser.add_argument("--no-uboot", action="store_true", help="skip the U-Boot boot row (about a minute)")
    parser.add_argument("--no-linux", action="store_true",
                        help="skip the Linux boot row (about a minute and a half; a first run builds the kernel)")
    parser.add_argument("--no-realistic", action="store_true",
                        help="skip the CoreMark/Dhrystone/firmware-logging rows (about a minute)")
    parser.add_argument("--only-realistic", action="store_true", help="only the CoreMark/Dhrystone/logging rows")
    parser.add_argument("--no-all-ram", action="store_true",
                        help="skip the row of a guest running all its RAM as code (about a minute and a half)")
    args = parser.parse_args(argv)
    if args.only_realistic:
        args.no_uboot = args.no_linux = args.no_all_ram = True
    elf = build_guest([GUEST_SOURCE], name="bench")
    kinds: dict[str, Callable] = {"gdbstub": functools.partial(OurServer, options=tuple(args.serve_option))}
    if not args.no_qemu and shutil.which("qemu-system-ppc"):
        kinds["QEMU"] = Qemu
    use_gdb = not args.no_gdb and shutil.which("gdb-multiarch") is not None
    rows = [] if args.only_realistic else measure(kinds, elf, args.rounds, use_gdb, args.repeat)
    if not args.no_realistic:
        rows += realistic_rows(kinds, args.repeat)
    if not args.no_all_ram:
        rows.append(all_ram_row(kinds))
    if not args.no_uboot and UBOOT.exists():
        rows.append(uboot_row("QEMU" in kinds))
    if not args.no_linux and SOURCE_TARBALL.exists():
        rows.append(linux_row("QEMU" in kinds))
    impl = f"{sys.implementation.name} {'.'.join(map(str, sys.version_info[:3]))}"
    print_table(rows, f"# {elf.name}, {args.rounds} rounds, best of {args.repeat}; {impl}; {os.cpu_count()} CPUs; "
                      f"cpuidle {cpu_idle()}; "
                      "ratio = gdbstub / QEMU")
    floor = CannedStub()
    try:
        print(f"do-nothing Python stub (canned replies): {round_trips(floor.client):,.0f} round trips/s, "
              f"{memory_reads(floor.client):,.0f} KiB/s of m reads")
    finally:
        floor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
