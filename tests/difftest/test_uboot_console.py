"""U-Boot prints each console line up to ``Net:`` within 1 % of the instructions it takes on QEMU
(``-M ppce500 -cpu e500mc -nic none``, the same hardware as our board), and the same lines.

Measured when this test was written: QEMU's first byte at 1,079,611 instructions and ``Net:`` at
6,158,250; ours at 1,077,687 and 6,154,409 (QEMU's tree has an ``rng-seed`` ours lacks). Before
our device tree had QEMU's size (1 MiB) and nodes, ours were 749,026 and 4,604,010: U-Boot copies
the whole blob and binds a driver to each node it knows.
"""
from __future__ import annotations

import pytest

from .uboot_console import our_console_lines, qemu_console_lines

TOLERANCE = 0.01


@pytest.fixture(scope="module")
def lines(uboot, tmp_path_factory):
    return qemu_console_lines(uboot, tmp_path_factory.mktemp("qemu")), our_console_lines(uboot)


def test_uboot_prints_what_it_prints_on_qemu(lines):
    qemu, ours = lines
    assert [text for _, text in ours[:-1]] == [text for _, text in qemu[:-1]]
    assert qemu[-1][1] == b"Net:" and ours[-1][1].startswith(b"Net:")   # QEMU stopped at its first byte
    assert any(text.startswith(b"Core:  12 devices") for _, text in ours)


def test_console_lines_come_within_one_percent_of_qemus_instruction_counts(lines):
    qemu, ours = lines
    report = "\n".join(f"{q:>10,} {o:>10,} {(o - q) / q:+.3%}  {text.decode(errors='replace')}"
                       for (q, text), (o, _) in zip(qemu, ours))
    assert all(abs(o - q) <= TOLERANCE * q for (q, _), (o, _) in zip(qemu, ours)), \
        f"instructions at each line (QEMU, ours):\n{report}"
