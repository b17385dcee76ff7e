"""Debian's U-Boot on the ppce500 machine, as a user runs it:

    gdbstub serve --machine ppce500 --run --serial tcp:127.0.0.1:PORT uboot.elf

U-Boot boots to its prompt by itself and answers commands typed over the TCP console; then
gdb-multiarch attaches to the running U-Boot, reads registers and memory at virtual addresses,
stops on an hbreak in U-Boot's relocated code and on an rwatch of the UART's line-status
register (U-Boot maps CCSR at EA 0xe0000000), steps, continues and detaches, and the console
still answers.
"""
from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pygdbmi.gdbcontroller import GdbController

from gdbstub.gdb_session import GdbSession, find_gdb

UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")
BOOT_TIMEOUT = 600.0          # seconds to the prompt, generous for a loaded CI machine
PROMPT = b"=> "
UART0_LSR_EA = 0xE0004505     # CCSR + 0x4500 + LSR, at U-Boot's virtual address for CCSR
RELOCATED_BASE = 0x07000000   # U-Boot relocates itself below the top of its 128 MiB


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Console:
    """The TCP end of U-Boot's serial console."""

    def __init__(self, port: int):
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.seen = bytearray()

    def read_until(self, marker: bytes, timeout: float, *, answer: dict[bytes, bytes] | None = None) -> bytes:
        """Everything up to and including ``marker``; ``answer`` types a reply to a text seen."""
        deadline = time.monotonic() + timeout
        answered = set()
        while marker not in self.seen:
            for text, reply in (answer or {}).items():
                if text in self.seen and text not in answered:
                    self.sock.sendall(reply)
                    answered.add(text)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} within {timeout} s; console so far: {bytes(self.seen[-500:])!r}")
            self.sock.settimeout(1)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError(f"console closed; so far: {bytes(self.seen[-500:])!r}")
            self.seen += data
        end = self.seen.index(marker) + len(marker)
        text = bytes(self.seen[:end])
        del self.seen[:end]
        return text

    def command(self, line: str, timeout: float = 120) -> str:
        """Type ``line`` at the prompt and return U-Boot's answer (up to the next prompt)."""
        self.sock.sendall(line.encode() + b"\n")
        return self.read_until(PROMPT, timeout).decode(errors="replace")


class RemoteGdb(GdbSession):
    """gdb-multiarch attached to a server this test started itself (no ELF: U-Boot relocates)."""

    def __init__(self, port: int, timeout: float = 120.0):
        self.port, self.timeout = port, timeout
        self._tokens = itertools.count(1)
        self._backlog, self._stops = [], []
        self.server = None
        self.gdb = GdbController(command=[find_gdb(), "--nx", "--quiet", "--interpreter=mi3"])
        self.cmd("-gdb-set confirm off")
        self.cmd("-gdb-set mi-async on")
        self.cmd("-gdb-set endian big")   # with no ELF loaded gdb-multiarch guesses little-endian

    def attach(self) -> None:
        self.cmd(f"-target-select remote 127.0.0.1:{self.port}")
        self._stops.clear()


@pytest.fixture(scope="module")
def uboot(tmp_path_factory):
    """The served U-Boot at its prompt: (console, gdb port, seconds it took)."""
    port_file = tmp_path_factory.mktemp("uboot") / "port"
    serial_port = _free_port()
    start = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "gdbstub", "serve", "--machine", "ppce500", "--run",
                               "--port", "0", "--port-file", str(port_file),
                               "--serial", f"tcp:127.0.0.1:{serial_port}", str(UBOOT)],
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        console = Console(serial_port)
        banner = console.read_until(PROMPT, BOOT_TIMEOUT, answer={b"autoboot": b"\n"})
        seconds = time.monotonic() - start
        print(f"\nU-Boot prompt after {seconds:.1f} s wall")
        while not port_file.exists():
            time.sleep(0.05)
        yield banner, console, int(port_file.read_text()), seconds
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_uboot_prints_its_banner_and_prompt(uboot):
    banner, *_ = uboot
    assert b"U-Boot 2023.01" in banner
    assert b"DRAM:" in banner and b"Net:" in banner


def test_uboot_answers_typed_commands(uboot):
    _, console, _, _ = uboot
    assert "U-Boot 2023.01" in console.command("version")
    assert "hello from the board test" in console.command("echo hello from the board test")
    helptext = console.command("help")
    assert "md        - memory display" in helptext and "version   - print monitor" in helptext
    # the entry instruction U-Boot was loaded with, still in RAM at 0xf00000
    assert console.command("md.l 0xf00000 1").split("\n")[1].startswith("00f00000:")


def test_gdb_attaches_breaks_watches_steps_and_detaches(uboot):
    _, console, gdb_port, _ = uboot
    gdb = RemoteGdb(gdb_port)
    try:
        gdb.attach()   # the running U-Boot stops
        pc = int(gdb.evaluate("$pc"), 0)
        assert pc >= RELOCATED_BASE, f"U-Boot waits in its relocated code, not at {pc:#x}"
        assert int(gdb.evaluate("(int) $msr"), 0) & 0x30 == 0   # U-Boot runs in address space 0
        # memory at a virtual address: the UART's LSR through U-Boot's CCSR mapping
        lsr = int(gdb.evaluate(f"(int) *(unsigned char *){UART0_LSR_EA:#x}"), 0)
        assert lsr & 0x60 == 0x60, f"LSR {lsr:#x}: THRE and TEMT"
        code = gdb.console(f"x/2xw {pc:#x}")
        assert f"{pc:#x}" in code

        gdb.console(f"hbreak *{pc:#x}")   # U-Boot polls the console in a loop: it comes back here
        stop = gdb.run("-exec-continue")
        assert stop["reason"] == "breakpoint-hit" and int(stop["frame"]["addr"], 0) == pc
        gdb.console("delete")

        # stepi, not nexti: a decrementer interrupt may be taken at this very instruction, and
        # nexti would then run the handler and come back to the same PC
        stop = gdb.run("-exec-step-instruction")
        assert stop["reason"] == "end-stepping-range"
        assert int(gdb.evaluate("$pc"), 0) != pc

        gdb.console(f"rwatch *(unsigned char *){UART0_LSR_EA:#x}")
        stop = gdb.run("-exec-continue")
        assert stop["reason"] == "read-watchpoint-trigger", stop
        gdb.console("delete")
        assert "TLB1" in gdb.console("monitor tlb")
        assert "-> RA 0xfe0004505" in gdb.console(f"monitor mmu {UART0_LSR_EA:#x}")
        gdb.cmd("-target-detach")
    finally:
        gdb.gdb.exit()
    assert "still here" in console.command("echo still here")
