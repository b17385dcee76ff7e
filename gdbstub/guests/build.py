"""Build guest ELFs from C/assembly sources with the PowerPC cross compiler, with a cache.

Guests are never committed as binaries: they are built on demand and cached under
``$BOOKE_GDBSTUB_CACHE`` (default ``~/.cache/booke-gdbstub``), keyed by a hash of the
sources, flags and compiler version.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Iterable

GUEST_DIR = Path(__file__).resolve().parent
CROSS_PREFIXES = ("powerpc-linux-gnu-", "powerpc-unknown-linux-gnu-", "powerpc-elf-", "powerpc-eabi-")
BASE_CFLAGS = ("-mcpu=e500mc", "-mbig-endian", "-m32", "-ffreestanding", "-fno-pic", "-fno-stack-protector",
               "-nostdlib", "-static", "-g", "-Wl,--build-id=none", "-Wa,-me500mc",
               "-Wl,-z,noexecstack", "-Wl,--no-warn-rwx-segments")


class GuestBuildError(RuntimeError):
    """The cross compiler is missing or rejected the sources."""


@lru_cache(maxsize=None)
def cross_prefix() -> str:
    """The prefix of the installed PowerPC cross toolchain, e.g. ``powerpc-linux-gnu-``."""
    for prefix in CROSS_PREFIXES:
        if shutil.which(prefix + "gcc"):
            return prefix
    raise GuestBuildError("no PowerPC cross compiler found (install gcc-powerpc-linux-gnu)")


@lru_cache(maxsize=None)
def _compiler_version() -> str:
    out = subprocess.run([cross_prefix() + "gcc", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0]


def cache_dir() -> Path:
    root = Path(os.environ.get("BOOKE_GDBSTUB_CACHE", Path.home() / ".cache" / "booke-gdbstub"))
    path = root / "guests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_guest(sources: Iterable[str | os.PathLike], *, opt: str = "-O2", cflags: Iterable[str] = (),
                crt0: bool = True, name: str | None = None) -> Path:
    """Compile and link ``sources`` into a cached ELF and return its path.

    With ``crt0`` the shared start-up code (stack, FPU, call ``main``, halt) and ``uart.h`` are
    used; pure assembly guests that define ``_start`` themselves pass ``crt0=False``.
    """
    srcs = [Path(s).resolve() for s in sources]
    if crt0:
        srcs.insert(0, GUEST_DIR / "crt0.S")
    flags = [*BASE_CFLAGS, opt, *cflags, "-I", str(GUEST_DIR), "-T", str(GUEST_DIR / "guest.ld")]
    digest = hashlib.sha256()
    for part in (_compiler_version(), *flags):
        digest.update(part.encode() + b"\0")
    for src in [*srcs, GUEST_DIR / "guest.ld", GUEST_DIR / "uart.h"]:
        digest.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    stem = name or srcs[-1].stem
    out = cache_dir() / f"{stem}-{digest.hexdigest()[:16]}.elf"
    if out.exists():
        return out
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        tmp_out = Path(tmp) / out.name
        cmd = [cross_prefix() + "gcc", *flags, *map(str, srcs), "-lgcc", "-o", str(tmp_out)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise GuestBuildError(f"{' '.join(cmd)}\n{proc.stderr}")
        os.replace(tmp_out, out)  # atomic, so concurrent builders never see a half-written ELF
    return out


def build_asm(text: str, *, name: str = "snippet") -> Path:
    """Assemble and link a stand-alone assembly guest given as text (it must define ``_start``)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    src = cache_dir() / f"{name}-{digest}.S"
    if not src.exists():
        src.write_text(text)
    return build_guest([src], crt0=False, name=name)


def demo_guest() -> Path:
    """The bundled demo guest (``demo.c``), built on demand and for debugging (``-O0``): a
    breakpoint on a function stops in it, not in an inlined helper, and locals keep values."""
    return build_guest([GUEST_DIR / "demo.c"], opt="-O0", name="demo")
