"""``serve --stdio`` with stdin or stdout closed exits at once with one line (issue 19 item 9)."""
from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("redirect", ["0<&-", "1>&-"], ids=["stdin-closed", "stdout-closed"])
def test_serve_stdio_with_a_closed_descriptor_exits(loop_elf, redirect):
    command = f"exec {sys.executable} -m gdbstub serve --stdio {loop_elf} {redirect}"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr == "gdbstub serve: --stdio needs stdin and stdout, and one of them is closed\n"
