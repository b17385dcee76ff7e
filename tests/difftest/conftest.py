"""Guest builds and tool checks for the QEMU differential tests."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gdbstub.difftest import QEMU
from gdbstub.guests.build import GuestBuildError, build_guest, cross_prefix

GUESTS = Path(__file__).resolve().parent / "guests"
UBOOT = Path("/usr/lib/u-boot/qemu-ppce500/uboot.elf")


@pytest.fixture(scope="session")
def difftest_tools():
    """QEMU and the cross toolchain; missing tools skip locally but fail under CI."""
    missing = [] if shutil.which(QEMU) else [QEMU]
    try:
        cross_prefix()
    except GuestBuildError as exc:
        missing.append(str(exc))
    if missing:
        message = f"differential tests need {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def uboot(difftest_tools) -> Path:
    """Debian's U-Boot for QEMU's ppce500 (package u-boot-qemu)."""
    if not UBOOT.exists():
        message = f"{UBOOT} is installed by scripts/setup.sh (u-boot-qemu)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return UBOOT


def build_c(program: str, opt: str) -> Path:
    """``guests/<program>.c`` with the shared libc bits, at optimisation level ``opt``."""
    return build_guest([GUESTS / "support.c", GUESTS / f"{program}.c"], opt=opt, name=f"{program}{opt}")


def build_s(program: str) -> Path:
    """``guests/<program>.S``: an assembly ``main`` run by the shared crt0."""
    return build_guest([GUESTS / f"{program}.S"], name=program)
