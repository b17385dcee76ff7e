"""A guest file that is or turns bad: one clear error, nothing served; a server already
serving keeps serving and says why it could not reload (issue 19 items 7 and 8)."""
from __future__ import annotations

import logging
import struct
import subprocess
import sys

import pytest

from gdbstub.machine import Machine
from gdbstub.rsp.client import RspClient
from gdbstub.testing import ServerThread


def _memsz_below_filesz(elf_bytes: bytes) -> bytes:
    data = bytearray(elf_bytes)
    phoff, = struct.unpack_from(">I", data, 28)
    index = 0
    while struct.unpack_from(">I", data, phoff + 32 * index)[0] != 1:   # the first PT_LOAD
        index += 1
    struct.pack_into(">I", data, phoff + 32 * index + 20, 0)
    return bytes(data)


def test_a_reload_of_a_file_turned_bad_leaves_the_server_serving(loop_elf, tmp_path, caplog):
    elf = tmp_path / "guest.elf"
    elf.write_bytes(loop_elf.read_bytes())
    with ServerThread(Machine(elf)) as server:
        with RspClient.connect("127.0.0.1", server.port) as client:
            assert client.request("c") == b"W0a"
        elf.write_bytes(_memsz_below_filesz(loop_elf.read_bytes()))
        with caplog.at_level(logging.ERROR):
            for _ in range(2):      # each client finds the guest exited, as it was
                with RspClient.connect("127.0.0.1", server.port) as client:
                    assert client.request("?") == b"W0a"
    assert "could not reload the guest" in caplog.text and "p_memsz 0x0 is less than p_filesz" in caplog.text


@pytest.mark.parametrize("spoil", [lambda data: data[:len(data) // 2],
                                   lambda data: data[:52] + b"garbage" * 100],
                         ids=["truncated", "garbage-after-the-header"])
def test_serve_of_a_bad_file_is_one_error_line_and_no_server(loop_elf, tmp_path, spoil):
    elf = tmp_path / "bad.elf"
    elf.write_bytes(spoil(loop_elf.read_bytes()))
    result = subprocess.run([sys.executable, "-m", "gdbstub", "serve", "--port", "0", str(elf)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "gdbstub serve:" in result.stderr, result.stderr
    assert "serving" not in result.stderr
