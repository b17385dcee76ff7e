"""``gdbstub serve`` as users run it: bad input and Ctrl-C end with one line, not a traceback."""
from __future__ import annotations

import logging
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVE = [sys.executable, "-m", "gdbstub", "serve"]


def _serve(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*SERVE, *map(str, args)], capture_output=True, text=True, timeout=60)


def _one_error_line(stderr: str) -> str:
    """The last line of ``stderr``, after checking that nothing of a traceback came before it."""
    assert "Traceback" not in stderr, stderr
    return stderr.splitlines()[-1]


def test_a_missing_guest(tmp_path):
    missing = tmp_path / "missing.elf"
    run = _serve(missing, "--port", 0)
    assert run.returncode == 1
    assert run.stderr == f"gdbstub serve: {missing}: No such file or directory\n"


def test_a_guest_that_is_no_elf(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a guest\n")
    run = _serve(text, "--port", 0)
    assert run.returncode == 1
    assert run.stderr == f"gdbstub serve: {text}: not an ELF file\n"


@pytest.mark.parametrize("ram_mib", ["0", "-1", "4096"])
def test_a_bad_ram_size_is_a_usage_error(demo_elf, ram_mib):
    run = _serve(demo_elf, "--port", 0, "--ram-mib", ram_mib)
    assert run.returncode == 2
    assert _one_error_line(run.stderr).startswith("gdbstub serve: error: argument --ram-mib: "), run.stderr


def test_a_busy_port(demo_elf):
    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        run = _serve(demo_elf, "--port", port)
    assert run.returncode == 1
    assert run.stderr.startswith(f"gdbstub serve: cannot listen on 127.0.0.1:{port}: "), run.stderr
    assert len(run.stderr.splitlines()) == 1, run.stderr


def _listening_server(demo_elf, tmp_path, *args) -> tuple[subprocess.Popen, int]:
    """A server started with ``args``, once it listens, and its port. Its SIGINT is at the
    default a terminal's Ctrl-C finds, whatever this process inherited (a shell that starts
    the tests in the background ignores SIGINT, and a child inherits that)."""
    port_file = tmp_path / "port"
    server = subprocess.Popen([*SERVE, str(demo_elf), "--port", "0", "--port-file", str(port_file), *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise AssertionError("the server did not start")
        time.sleep(0.05)
    return server, int(port_file.read_text())


def _serve_until_ctrl_c(demo_elf, tmp_path, *args) -> tuple[int, str]:
    """Start a server, Ctrl-C it once it listens; its status and stderr."""
    server, _ = _listening_server(demo_elf, tmp_path, *args)
    try:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    finally:
        server.kill()
        server.wait()
    return server.returncode, stderr


def test_ctrl_c_ends_the_server_quietly(demo_elf, tmp_path):
    status, stderr = _serve_until_ctrl_c(demo_elf, tmp_path)
    assert status == 130
    assert stderr.startswith("serving ") and len(stderr.splitlines()) == 1, stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_listening_beyond_loopback_warns_in_one_line(demo_elf, tmp_path, host):
    status, stderr = _serve_until_ctrl_c(demo_elf, tmp_path, "--host", host)
    warning, serving = stderr.splitlines()
    assert warning.startswith(f"gdbstub serve: warning: listening on {host}: whoever reaches port "), stderr
    assert "controls the guest" in warning and serving.startswith("serving ")


@pytest.mark.parametrize("args, message", [
    (["--dtb", "x.dtb"], "--dtb needs --machine ppce500"),
    (["--append", "console=ttyS0"], "--append needs --machine ppce500"),
    (["--initrd", "x.img"], "--initrd needs --machine ppce500"),
    (["--serial", "tcp:nowhere"], "--serial 'tcp:nowhere': expected stdio, tcp:HOST:PORT, file:PATH or none"),
    (["--serial", "file:"], "--serial 'file:': expected stdio, tcp:HOST:PORT, file:PATH or none"),
    (["--serial", "none", "--uart-log", "x.log"], "give --serial or --uart-log, not both"),
])
def test_bad_board_and_console_options_are_one_line(demo_elf, args, message):
    run = _serve(demo_elf, "--port", 0, *args)
    assert run.returncode == 1
    assert _one_error_line(run.stderr) == f"gdbstub serve: {message}"


@pytest.mark.parametrize("args, message", [
    (["--ram-mib", "32"], "--ram-mib 32: the ppce500 machine takes 64..2048 MiB"),
    (["--ram-mib", "3000"], "--ram-mib 3000: the ppce500 machine takes 64..2048 MiB"),
    (["--dtb", "/nonexistent/x.dtb"], "--dtb /nonexistent/x.dtb: No such file or directory"),
    (["--demo"], "--demo is a bare-machine guest; give --machine ppce500 an IMAGE"),
])
def test_bad_ppce500_options_are_one_line(demo_elf, args, message):
    image = [] if "--demo" in args else [demo_elf]
    run = _serve(*image, "--machine", "ppce500", "--port", 0, *args)
    assert run.returncode == 1
    assert _one_error_line(run.stderr) == f"gdbstub serve: {message}"


def test_an_unknown_machine_is_a_usage_error(demo_elf):
    run = _serve(demo_elf, "--machine", "pc")
    assert run.returncode == 2
    assert "argument --machine: invalid choice: 'pc'" in _one_error_line(run.stderr)


def test_repeated_log_lines_are_held_back_and_counted():
    from gdbstub.cli import RepeatLimit
    now = [0.0]
    limit = RepeatLimit(burst=2, window=10.0, clock=lambda: now[0])

    def record(msg, name="gdbstub.rsp"):
        return logging.LogRecord(name, logging.WARNING, __file__, 0, msg, ("x",), None)
    assert [limit.filter(record("dropped bad frame: %s")) for _ in range(5)] == [True, True, False, False, False]
    assert limit.filter(record("another line %s"))            # another kind has its own count
    now[0] = 10.0
    first = record("dropped bad frame: %s")
    assert limit.filter(first) and first.getMessage() == "dropped bad frame: x (and 3 more such lines held back before)"


def test_a_flood_of_garbage_and_ctrl_c_makes_a_few_log_lines(demo_elf, tmp_path):
    """Issue 19 item 10: 16 bytes of log a byte of garbage; with -v a MiB of Ctrl-C stalled the
    server for seconds, a line each."""
    server, port = _listening_server(demo_elf, tmp_path, "-v")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for _ in range(64):
                sock.sendall(b"$junk#00" * 256 + b"\x03" * 16384)
            sock.sendall(b"$?#3f")
            reply = b""
            while not re.search(rb"\$[^#]*#..", reply):
                reply += sock.recv(1 << 20)
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    finally:
        server.kill()
        server.wait()
    assert b"$S05" in reply or b"$T05" in reply
    assert len(stderr.splitlines()) < 30, stderr


def test_demo_without_the_cross_compiler_is_one_line(tmp_path):
    """Issue 19 item 16: a traceback of GuestBuildError, where the demo is not built yet."""
    env = {"PATH": str(Path(sys.executable).parent), "BOOKE_GDBSTUB_CACHE": str(tmp_path), "HOME": str(tmp_path)}
    run = subprocess.run([*SERVE, "--demo", "--port", "0"], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 1
    assert run.stderr == ("gdbstub serve: --demo is built on first use, and could not be: no PowerPC cross "
                          "compiler found (install gcc-powerpc-linux-gnu)\n"), run.stderr
