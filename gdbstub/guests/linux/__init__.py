"""Build the Linux 6.1 kernel that boots on the ppce500 machine, with a cache.

The kernel comes from Debian's ``linux-source-6.1`` (``/usr/src/linux-source-6.1.tar.xz``),
configured as ``tinyconfig`` plus this package's ``e500.config`` fragment, with a built-in
initramfs holding our own ``/init`` (``init.c``: raw system calls, no libc). The build takes
about 15 minutes on two cores, so its ``vmlinux`` (with DWARF for gdb) is cached under
``$BOOKE_GDBSTUB_CACHE/guests/linux/`` keyed by a hash of every input: the tarball's name, size
and mtime, the fragment, the init's source and the cross compiler's version. Nothing built here
is ever committed.

Linux wants its own device tree too (:func:`linux_dtb`): the board's states a time base of
about the instructions per second this vCPU runs U-Boot at, where Linux's 250 Hz tick would come
every 4,000 instructions and its tick handling would take most of them; and it has no rng-seed
(runs would differ), where Linux then polls for randomness every two seconds for ever.

Run ``python -m gdbstub.guests.linux`` to build (or find) the kernel and its device tree and
print their paths.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..build import GuestBuildError, _compiler_version, cache_dir, cross_prefix

HERE = Path(__file__).resolve().parent
SOURCE_TARBALL = Path(os.environ.get("BOOKE_GDBSTUB_LINUX_SOURCE", "/usr/src/linux-source-6.1.tar.xz"))
FRAGMENT = HERE / "e500.config"
INIT_SOURCE = HERE / "init.c"
IDLE_ARGUMENT = "booke_idle"   # on the kernel command line: the init idles instead of restarting
INIT_CFLAGS = (f'-DIDLE_ARGUMENT="{IDLE_ARGUMENT}"', "-mcpu=e500mc", "-msoft-float", "-Os", "-ffreestanding",
               "-fno-pic", "-fno-stack-protector", "-nostdlib", "-static", "-Wl,--build-id=none")
# Fixed, so that uname's version string (which the tests print) does not change with each build.
BUILD_STAMP = ("KBUILD_BUILD_TIMESTAMP=2023-01-01", "KBUILD_BUILD_USER=booke", "KBUILD_BUILD_HOST=gdbstub")
# Guest time is the instruction count: at this rate a 250 Hz tick comes every 100,000 instructions.
TIMEBASE_FREQUENCY = 25_000_000
# /chosen/rng-seed: fixed, so that runs repeat (nothing here needs secret randomness).
RNG_SEED = hashlib.sha256(b"booke-gdbstub ppce500 Linux").digest()
# The initramfs: the console device node the kernel opens for init's fds 0-2, and the init.
INITRAMFS_LIST = """dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init {init} 0755 0 0
"""


def _key() -> str:
    if not SOURCE_TARBALL.exists():
        raise GuestBuildError(f"{SOURCE_TARBALL} is missing (apt-get install linux-source-6.1)")
    stat = SOURCE_TARBALL.stat()
    digest = hashlib.sha256()
    for part in (SOURCE_TARBALL.name, str(stat.st_size), str(int(stat.st_mtime)), _compiler_version(),
                 *INIT_CFLAGS, *BUILD_STAMP, INITRAMFS_LIST, FRAGMENT.read_text(), INIT_SOURCE.read_text()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def _run(cmd: list[str], cwd: Path, log) -> None:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise GuestBuildError(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log.name}")


def _check_config(config: Path) -> None:
    """Kconfig silently drops an option whose dependencies fail: every line of the fragment
    must have survived into the final ``.config``."""
    final = config.read_text().splitlines()
    for line in FRAGMENT.read_text().splitlines():
        if not line.startswith("CONFIG_"):
            continue
        name, value = line.split("=", 1)
        if value == "n":
            if f"{name}=y" in final:
                raise GuestBuildError(f"{line} did not hold: the final config has {name}=y")
        elif line not in final:
            have = next((f for f in final if f.startswith(name + "=") or f == f"# {name} is not set"), "nothing")
            raise GuestBuildError(f"{line} did not hold: the final config has {have}")


def _build(out: Path, jobs: int, log) -> None:
    make = ["make", "ARCH=powerpc", f"CROSS_COMPILE={cross_prefix()}", f"-j{jobs}", *BUILD_STAMP]
    with tempfile.TemporaryDirectory(dir=out.parent, prefix="build-") as tmp:
        tree = Path(tmp)
        _run(["tar", "xf", str(SOURCE_TARBALL), "--strip-components=1"], tree, log)
        init = tree / "init-bin"
        _run([cross_prefix() + "gcc", *INIT_CFLAGS, str(INIT_SOURCE), "-lgcc", "-o", str(init)], tree, log)
        (tree / "initramfs.list").write_text(INITRAMFS_LIST.format(init=init))
        fragment = tree / "booke.config"
        fragment.write_text(FRAGMENT.read_text() + f'CONFIG_INITRAMFS_SOURCE="{tree / "initramfs.list"}"\n')
        _run([*make, "tinyconfig"], tree, log)
        _run(["scripts/kconfig/merge_config.sh", "-m", ".config", str(fragment)], tree, log)
        _run([*make, "olddefconfig"], tree, log)
        _check_config(tree / ".config")
        _run([*make, "vmlinux"], tree, log)
        shutil.copyfile(tree / ".config", out.with_suffix(".config"))
        os.replace(tree / "vmlinux", out)  # atomic: a reader never sees half a kernel


def linux_kernel(*, jobs: int = 2) -> Path:
    """The path of the cached ``vmlinux``, building it first (about 15 minutes) if needed.

    Concurrent callers wait on a lock instead of building twice. The build's output goes to
    ``build.log`` beside the kernel; its ``.config`` is kept beside it too.
    """
    root = cache_dir() / "linux"
    root.mkdir(exist_ok=True)
    out = root / f"vmlinux-{_key()}"
    if out.exists():
        return out
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if out.exists():
            return out
        started = time.monotonic()
        with open(root / "build.log", "w") as log:
            _build(out, jobs, log)
            log.write(f"built {out} in {time.monotonic() - started:.0f} s\n")
            log.flush()
    return out


def linux_dtb(bootargs: str = "") -> Path:
    """The ppce500 device tree (``--dtb``) for the kernel: the board's generated one with a
    time base of :data:`TIMEBASE_FREQUENCY`, :data:`RNG_SEED` and ``bootargs`` (empty: the
    kernel's built-in ``console=ttyS0``), written to the cache once."""
    import libfdt
    from ...boards import ppce500
    from ...boards.devicetree import build_dtb
    fdt = libfdt.Fdt(build_dtb(replace(ppce500.Options(bootargs=bootargs).description(),
                                       timebase_frequency=TIMEBASE_FREQUENCY)))
    fdt.resize(fdt.totalsize() + len(RNG_SEED) + 64)
    fdt.setprop(fdt.path_offset("/chosen"), "rng-seed", RNG_SEED)
    fdt.pack()
    dtb = bytes(fdt.as_bytearray())
    out = cache_dir() / "linux" / f"ppce500-{hashlib.sha256(dtb).hexdigest()[:16]}.dtb"
    if not out.exists():
        out.parent.mkdir(exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}")
        tmp.write_bytes(dtb)
        os.replace(tmp, out)
    return out
