"""Linux 6.1 on the ppce500 machine, as a user runs it:

    python -m gdbstub.guests.linux            # the kernel and its device tree (cached)
    gdbstub serve --machine ppce500 --dtb ppce500-….dtb [--run] vmlinux-…
    gdb-multiarch vmlinux-… -ex 'target remote :1234'

The kernel boots through the MMU (TLB1 entries it writes itself, TLB0 misses it refills, AS1
trampolines), takes decrementer and MPIC interrupts, runs its /init (gdbstub/guests/linux/init.c)
which prints its uname, single-steps a child of its own through ptrace and watches another's
write with a hardware watchpoint (the kernel's own use of the debug facility: with no debugger,
and beside gdb's own hardware points, whose slots it shares) and restarts the machine through
GUTS (or, told so on the command line, pauses for ever while the kernel idles). gdb debugs it with vmlinux's symbols at kernel virtual
addresses: an hbreak on start_kernel, a watchpoint on jiffies, a software breakpoint patched into
kernel text, backtraces, MMU registers, ``monitor tlb``, stepping into the decrementer interrupt
from the idle loop's ``wait``, Ctrl-C while the kernel idles, and a late attach to a running
kernel.
"""
from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pygdbmi.gdbcontroller import GdbController

from gdbstub.gdb_session import GdbSession, find_gdb
from gdbstub.guests.linux import IDLE_ARGUMENT, linux_dtb

BOOT_TIMEOUT = 900.0        # seconds to the init's lines: ~25 M instructions interpreted, a loaded CI
KERNEL_BASE = 0xC0000000    # PAGE_OFFSET: kernel text and data
UNAME = b"init: uname: Linux 6.1."
PTRACE = b"init: ptrace single-stepped its child 5 times, one instruction each; the child exited with 0"
WATCH = b"init: ptrace watchpoint stopped its child at the write, SIGTRAP with the address; ok"
RESTART = b"reboot: Restarting system"


class Server:
    """``gdbstub serve --machine ppce500`` on the kernel, its console in a file."""

    def __init__(self, vmlinux: Path, dtb: Path, tmp: Path, *options: str):
        self.console, port_file = tmp / "console.txt", tmp / "port"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gdbstub", "serve", "--machine", "ppce500", "--dtb", str(dtb), "--port", "0",
             "--port-file", str(port_file), "--serial", f"file:{self.console}", *options, str(vmlinux)],
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text():
            assert self.process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def output(self) -> bytes:
        return self.console.read_bytes() if self.console.exists() else b""

    def wait_for(self, text: bytes, timeout: float = BOOT_TIMEOUT) -> bytes:
        """The console output once it holds ``text``."""
        deadline = time.monotonic() + timeout
        while text not in (seen := self.output()):
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s; console: {seen[-800:]!r}"
            assert self.process.poll() is None, f"the server died; console: {seen[-800:]!r}"
            time.sleep(0.2)
        return seen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class KernelGdb(GdbSession):
    """gdb-multiarch with vmlinux's symbols, attached to a server this test started."""

    def __init__(self, vmlinux: Path, port: int, timeout: float = BOOT_TIMEOUT):
        self.port, self.timeout = port, timeout
        self._tokens = itertools.count(1)
        self._backlog, self._stops = [], []
        self.server = None
        self.gdb = GdbController(command=[find_gdb(), "--nx", "--quiet", "--interpreter=mi3", str(vmlinux)])
        self.cmd("-gdb-set confirm off")
        self.cmd("-gdb-set mi-async on")

    def attach(self) -> None:
        self.cmd(f"-target-select remote 127.0.0.1:{self.port}")
        self._stops.clear()

    def frames(self) -> list[str]:
        """The function names of ``bt``, innermost first."""
        records = self.cmd("-stack-list-frames")
        return [frame.get("func", "??") for frame in records[-1]["payload"]["stack"]]

    def pc(self) -> int:
        return self.address("$pc")

    def address(self, expression: str) -> int:
        """The value of a code address expression (gdb prints it as ``0x… <symbol>``)."""
        return int(re.search(r"0x[0-9a-f]+", self.evaluate(expression)).group(), 0)


@pytest.fixture
def session(linux_guest, tmp_path):
    """``session(*serve_options, dtb=)`` -> (server, gdb), both stopped at the end of the test."""
    vmlinux, default_dtb = linux_guest
    started = []

    def start(*options: str, dtb: Path = default_dtb):
        server = Server(vmlinux, dtb, tmp_path, *options)
        started.append(server)
        gdb = KernelGdb(vmlinux, server.port)
        started.append(gdb)
        return server, gdb
    yield start
    for thing in reversed(started):
        if isinstance(thing, KernelGdb):
            thing.gdb.exit()
        else:
            thing.stop()


def test_the_kernels_own_debugging_works_with_no_debugger(linux_guest, tmp_path):
    """The init's ptrace single steps (DBCR0[IC]) and its watchpoint (a DAC) on the machine alone:
    the guest owns the facility and its events are Debug interrupts by the hardware's rules."""
    server = Server(*linux_guest, tmp_path, "--run")
    try:
        console = server.wait_for(RESTART)
    finally:
        server.stop()
    for line in (PTRACE, WATCH, b"init: restarting"):
        assert line in console, console[-1500:]


def test_the_kernels_own_debugging_works_beside_gdbs_hardware_points(session):
    """gdb holds IAC1 (an hbreak on panic) and DAC1 (a write watchpoint on one byte of
    panic_cpu: a wider one would take both DACs as a range) from reset to the restart, and
    neither fires. The kernel's own IC and DAC, which its ptrace sets for the init's children, must
    work all the same: merged into the stub's registers (the DAC moved to the free DAC2), their
    events re-injected into the kernel and not reported to gdb."""
    server, gdb = session()
    gdb.attach()
    assert "Hardware assisted breakpoint" in gdb.console("hbreak panic")
    assert "Hardware watchpoint" in gdb.console("watch *(char *) &panic_cpu")
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "exited-normally", stop
    console = server.output()
    for line in (b"init: hello from user space", PTRACE, WATCH, b"init: restarting", RESTART):
        assert line in console, console[-1500:]


def test_the_kernel_boots_to_its_init_and_restarts_under_a_gdb_attached_late(session):
    server, gdb = session("--run")
    banner = server.wait_for(b"Linux version 6.1")
    assert b"printk: bootconsole [udbg0] enabled" in banner
    gdb.attach()    # the running kernel stops where it is
    assert gdb.pc() >= KERNEL_BASE, "it runs at kernel virtual addresses"
    assert gdb.frames()[0] != "??", "vmlinux's symbols name where it stopped"
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "exited-normally", stop     # the restart: GUTS's reset request
    console = server.output()
    print(console.decode(errors="replace")[-1500:])
    for line in (b"Run /init as init process", b"init: hello from user space", UNAME, PTRACE, WATCH,
                 b"init: restarting", RESTART):
        assert line in console, line
    uname = console[console.index(UNAME):].split(b"\n")[0]
    assert uname.endswith(b" ppc\r") or uname.endswith(b" ppc"), uname


def test_gdb_debugs_the_kernel_through_the_mmu(session):
    server, gdb = session(dtb=linux_dtb(f"console=ttyS0 {IDLE_ARGUMENT}"))
    gdb.attach()    # at the reset state: the kernel's physical entry, MMU mapping EA 0 only
    assert gdb.pc() == 0

    gdb.console("hbreak start_kernel")      # an IAC: no memory to patch at a not yet mapped EA
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "breakpoint-hit" and stop["frame"]["func"] == "start_kernel", stop
    assert "start_kernel" in gdb.frames()[0]
    registers = gdb.console("info registers msr mas0 mas1 mas2 mas3 pid")
    for name in ("msr", "mas0", "mas1", "mas2", "mas3", "pid"):
        assert name in registers, registers
    tlb = gdb.console("monitor tlb")
    assert "EA 0xc0000000 -> RA 0x000000000" in tlb and "TLB1" in tlb, tlb
    gdb.console("delete")

    gdb.console("watch jiffies")            # a DAC on a kernel virtual address
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "watchpoint-trigger", stop
    old, new = int(stop["value"]["old"], 0), int(stop["value"]["new"], 0)
    assert new == (old + 1) & 0xFFFFFFFF, stop["value"]
    gdb.console("delete")

    gdb.console("break kernel_init")        # a software breakpoint written through the MMU
    stop = gdb.run("-exec-continue")
    assert stop["reason"] == "breakpoint-hit" and stop["frame"]["func"] == "kernel_init", stop
    assert gdb.frames()[:2] == ["kernel_init", "ret_from_kernel_thread"]
    gdb.console("delete")

    gdb.cmd("-exec-continue")
    console = server.wait_for(b"init: idling")
    assert PTRACE in console and WATCH in console, "the kernel's own single steps and watchpoint still work"
    time.sleep(1)
    stop = gdb.interrupt()                  # Ctrl-C while the init pauses and the kernel idles
    assert stop["reason"] == "signal-received" and stop["signal-name"] == "SIGINT", stop
    assert gdb.pc() >= KERNEL_BASE
    frames = gdb.frames()
    print("Ctrl-C stopped in", frames)
    # `wait` skips guest time to the next timer event, so an idle kernel's wall time goes to the
    # idle loop around it and to the decrementer interrupt that ends it (bt unwinds through it)
    assert {"do_idle", "Decrementer"} & set(frames), frames

    gdb.console("hbreak e500_idle")         # wrteei 1; wait: then the decrementer's interrupt
    stop = gdb.run("-exec-continue")
    assert stop["frame"]["func"] == "e500_idle", stop
    assert "do_idle" in gdb.frames()
    gdb.console("delete")
    wait = gdb.address("e500_idle") + 16    # e500_idle's four instructions, then wait
    gdb.console(f"tbreak *{wait:#x}")
    gdb.run("-exec-continue")
    assert gdb.pc() == wait
    gdb.run("-exec-step-instruction")       # the wait: time skips to the next timer event
    gdb.run("-exec-step-instruction")       # into the decrementer interrupt
    assert gdb.frames()[0] == "Decrementer", gdb.frames()
    assert int(gdb.evaluate("(int) $msr"), 0) & 0x8000 == 0, "EE is off in the handler"
    gdb.console("hbreak timer_interrupt")
    stop = gdb.run("-exec-continue")
    assert stop["frame"]["func"] == "timer_interrupt", stop
    gdb.console("delete")
    stop = gdb.run("-exec-finish")          # out of the handler, back towards the idle loop
    assert stop["reason"] == "function-finished", stop
