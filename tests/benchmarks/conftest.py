"""What the benchmark tests need: missing tools skip them, or fail them under CI."""
from __future__ import annotations

import os
import shutil

import pytest

from gdbstub.difftest import QEMU
from gdbstub.guests.build import GuestBuildError, cross_prefix


def _require(missing: str) -> None:
    if missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)


@pytest.fixture(scope="session")
def compiler():
    """The PowerPC cross compiler the guests are built with."""
    try:
        cross_prefix()
    except GuestBuildError as exc:
        _require(str(exc))


@pytest.fixture(scope="session")
def tools(compiler):
    """The cross compiler and QEMU."""
    _require("" if shutil.which(QEMU) else f"{QEMU} is not installed")
