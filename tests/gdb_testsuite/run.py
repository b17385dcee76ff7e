"""Run a curated part of gdb's own testsuite against booke-gdbstub and against QEMU.

    python3 tests/gdb_testsuite/run.py                 # both targets, compare with the baseline
    python3 tests/gdb_testsuite/run.py --target stub gdb.base/break.exp
    python3 tests/gdb_testsuite/run.py --update-baseline

The testsuite comes from Debian's ``gdb-source`` (``/usr/src/gdb.tar.xz``): its
``gdb/testsuite`` is unpacked once into ``~/.cache/booke-gdbstub/gdb-testsuite`` and reused.
``runtest`` (DejaGnu) runs the tests in ``tests.txt`` with the boards in ``boards/``: the test
programs are built with the repo's crt0 and guest.ld and the C library in ``libc/``, then
debugged through ``python3 -m gdbstub serve --stdio`` or ``qemu-system-ppc -gdb stdio``.
The tests are shared out over ``--jobs`` runtest processes. Each target's results (gdb.sum
lines) are compared with ``baseline/<target>.sum``; see docs/gdb-testsuite.md.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from gdbstub.guests.build import BASE_CFLAGS, GUEST_DIR, cross_prefix  # noqa: E402

GDB_SOURCE = Path("/usr/src/gdb.tar.xz")
TARGETS = ("stub", "qemu")
GDB = "gdb-multiarch"
QEMU = "qemu-system-ppc"
CURATED = HERE / "tests.txt"
SHORTFALLS = HERE / "stub-shortfalls.txt"
BASELINE_DIR = HERE / "baseline"
LIBC_DIR = HERE / "libc"
# Outcomes gdb.sum records per test; FAIL and UNRESOLVED are the ones that count against a run.
OUTCOMES = ("PASS", "FAIL", "XFAIL", "XPASS", "KFAIL", "KPASS", "UNRESOLVED", "UNTESTED", "UNSUPPORTED")
BAD = ("FAIL", "UNRESOLVED")
RESULT_LINE = re.compile(r"^(%s): (.*)$" % "|".join(OUTCOMES))
# What gdb's testsuite appends to the name of a test that went wrong; without it, a test has
# the same name whatever its outcome, and targets and runs can be compared name by name.
FAILURE_SUFFIX = re.compile(r" \((timeout|eof|the program exited|the program is no longer running|"
                            r"GDB internal error|got interactive prompt)\)$")
# The library is built without debug information, like a distribution's libc, so that
# `step` steps over printf instead of into it.
LIBC_CFLAGS = ("-O2", "-fno-tree-loop-distribute-patterns", "-Wall", "-Werror")


def cache_root() -> Path:
    root = Path(os.environ.get("BOOKE_GDBSTUB_CACHE", Path.home() / ".cache" / "booke-gdbstub"))
    path = root / "gdb-testsuite"
    path.mkdir(parents=True, exist_ok=True)
    return path


class SetupError(RuntimeError):
    """A tool or the gdb sources are missing."""


# --- preparing the testsuite, the C library and runtest's configuration -----------------------

def _publish(dest: Path, build) -> Path:
    """``dest``, made by ``build(directory)`` in a temporary directory beside it and renamed
    into place, so that concurrent runs see all of it or none; the first to finish wins."""
    if dest.exists():
        return dest
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=dest.name + "."))
    try:
        build(tmp)
        os.replace(tmp, dest)
    except OSError:
        if not dest.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def unpack_testsuite(tarball: Path = GDB_SOURCE) -> Path:
    """gdb's ``testsuite`` directory, unpacked from ``tarball`` into the cache on first use."""
    if not tarball.exists():
        raise SetupError(f"{tarball} not found (apt-get install gdb-source)")
    stat = tarball.stat()

    def unpack(directory: Path) -> None:
        with tarfile.open(tarball) as tar:
            # the testsuite, and the DWARF definitions its DWARF assembler reads
            members = [m for m in tar.getmembers() if m.name.startswith(("gdb/gdb/testsuite/", "gdb/include/"))]
            tar.extractall(directory, members=members, filter="data")

    dest = _publish(cache_root() / f"gdb-{stat.st_size}-{int(stat.st_mtime)}", unpack)
    return dest / "gdb" / "gdb" / "testsuite"


def _compiler() -> str:
    return cross_prefix() + "gcc"


def compile_flags() -> list[str]:
    """Flags for every test program's compilation: the repo's guest flags, our headers only,
    and call-frame information in .debug_frame (guest.ld may discard .eh_frame)."""
    gcc_include = subprocess.run([_compiler(), "-print-file-name=include"], capture_output=True,
                                 text=True, check=True).stdout.strip()
    flags = [f for f in BASE_CFLAGS if f != "-g"]
    return [*flags, "-fno-asynchronous-unwind-tables", "-nostdinc", "-isystem", gcc_include,
            "-isystem", str(LIBC_DIR / "include")]


# Linked as objects, ahead of the library: crt0, and the entry that runs before it.
STARTUP = (GUEST_DIR / "crt0.S", LIBC_DIR / "src" / "entry.S")


def build_libc() -> tuple[list[Path], Path]:
    """The start-up objects and libbooke.a, built into the cache (keyed by sources, flags and
    compiler)."""
    flags = [*compile_flags(), *LIBC_CFLAGS, "-I", str(GUEST_DIR)]
    library = [src for src in sorted((LIBC_DIR / "src").glob("*.[cS]")) if src not in STARTUP]
    sources = [*STARTUP, *library, GUEST_DIR / "uart.h", *sorted((LIBC_DIR / "include").rglob("*.h"))]
    version = subprocess.run([_compiler(), "--version"], capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256(version.encode())
    for part in flags:
        digest.update(part.encode() + b"\0")
    for src in sources:
        digest.update(str(src.relative_to(REPO)).encode() + b"\0" + src.read_bytes() + b"\0")

    def build(directory: Path) -> None:
        for src in [*STARTUP, *library]:
            _run([_compiler(), *flags, "-c", str(src), "-o", str(directory / (src.stem + ".o"))])
        _run([cross_prefix() + "ar", "rcs", str(directory / "libbooke.a"),
              *(str(directory / (src.stem + ".o")) for src in library)])

    out = _publish(cache_root() / f"libc-{digest.hexdigest()[:16]}", build)
    return [out / (src.stem + ".o") for src in STARTUP], out / "libbooke.a"


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SetupError(f"{' '.join(cmd)}\n{proc.stdout}{proc.stderr}")


def _tcl(value: str) -> str:
    """``value`` as one Tcl word."""
    return "{" + value + "}"


def write_site_exp(directory: Path, testsuite: Path, startup: list[Path], libc: Path, *,
                   log_packets: bool = False) -> None:
    """The site.exp runtest reads from its working directory: where things are, and the
    booke_* settings the boards use."""
    ldflags = ["-nostdlib", "-static", "-T", str(GUEST_DIR / "guest.ld"), *map(str, startup),
               "-Wl,-e,__booke_entry", "-Wl,--wrap=main"]
    settings = {
        "srcdir": str(testsuite),
        "objdir": str(directory),
        "tool": "gdb",
        "enable_libctf": "no",
        "host_triplet": "x86_64-pc-linux-gnu",
        "build_triplet": "x86_64-pc-linux-gnu",
        "target_triplet": "powerpc-unknown-eabi",
        "target_alias": "powerpc-eabi",
        "GDB": shutil.which(GDB) or GDB,
        "GDB_DATA_DIRECTORY": "/usr/share/gdb",
        "booke_compiler": _compiler(),
        "booke_cflags": " ".join(compile_flags()),
        "booke_ldflags": " ".join(ldflags),
        "booke_libs": f"{libc} -lgcc",
        "booke_python": sys.executable,
        "booke_qemu": shutil.which(QEMU) or QEMU,
        "booke_stub_flags": "--log-packets" if log_packets else "",
    }
    lines = [f"set {name} {_tcl(value)}" for name, value in settings.items()]
    lines.append(f"lappend boards_dir {_tcl(str(HERE / 'boards'))}")
    (directory / "site.exp").write_text("\n".join(lines) + "\n")


def check_tools() -> None:
    missing = [tool for tool in ("runtest", GDB, QEMU, "setpriv") if not shutil.which(tool)]
    try:
        cross_prefix()
    except RuntimeError as exc:
        missing.append(str(exc))
    if missing:
        raise SetupError(f"the gdb testsuite needs {', '.join(missing)} (see scripts/setup.sh)")


# --- results ----------------------------------------------------------------------------------

@dataclass
class Results:
    """The outcome of every test of one target: ``{name: outcome}`` plus counts per outcome."""
    outcomes: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str, name: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        # a name gdb reports twice keeps its worst outcome, so a FAIL is never hidden
        if self.outcomes.get(name) not in BAD:
            self.outcomes[name] = outcome

    def bad(self) -> set[str]:
        return {name for name, outcome in self.outcomes.items() if outcome in BAD}

    def passed(self) -> set[str]:
        return {name for name, outcome in self.outcomes.items() if outcome == "PASS"}

    def file_counts(self, test_file: str) -> dict[str, int]:
        """Outcome counts of one test file's distinct test names."""
        counts: dict[str, int] = {}
        for name, outcome in self.outcomes.items():
            if name.split(":", 1)[0] == test_file:
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def lines(self) -> list[str]:
        return [f"{outcome}: {name}" for name, outcome in sorted(self.outcomes.items())]


def parse_sum(text: str, *, strip: tuple[str, ...] = ()) -> Results:
    """The results in gdb.sum text; the paths in ``strip`` are removed from test names (they
    differ from run to run)."""
    results = Results()
    for line in text.splitlines():
        match = RESULT_LINE.match(line)
        if match:
            name = FAILURE_SUFFIX.sub("", match.group(2).strip())
            for path in strip:
                name = name.replace(path, "")
            results.add(match.group(1), name)
    return results


def load_baseline(target: str) -> Results:
    path = BASELINE_DIR / f"{target}.sum"
    return parse_sum(path.read_text()) if path.exists() else Results()


def _entries(path: Path) -> list[str]:
    """The lines of ``path`` without comments (``#`` to the end of the line) or blank lines."""
    entries = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entries.append(line)
    return entries


def curated_tests(path: Path = CURATED) -> list[str]:
    """The test files to run, one per line."""
    return _entries(path)


def known_shortfalls(path: Path = SHORTFALLS) -> dict[str, str]:
    """``{test file: the stub bug}`` for the test files with a FAIL under the stub that
    passes under QEMU: lines of the test file, then what is wrong."""
    known = {}
    for line in _entries(path):
        test_file, _, reason = line.partition(" ")
        known[test_file] = reason.strip()
    return known


@dataclass
class Comparison:
    """What a run did that its baseline did not, and where the stub falls short of QEMU."""
    new_bad: set[str]        # FAIL/UNRESOLVED now, not in the baseline
    lost_passes: set[str]    # PASS in the baseline, absent now (the test stopped early)
    fixed: set[str]          # FAIL/UNRESOLVED in the baseline, PASS now


def compare(run: Results, baseline: Results, tests: list[str]) -> Comparison:
    ran = set(tests)
    in_scope = {name for name in baseline.outcomes if name.split(":", 1)[0] in ran}
    base_bad = baseline.bad() & in_scope
    return Comparison(new_bad=run.bad() - base_bad,
                      lost_passes=(baseline.passed() & in_scope) - set(run.outcomes),
                      fixed=base_bad & run.passed())


def stub_short_of_qemu(stub: Results, qemu: Results) -> set[str]:
    """Tests that PASS under QEMU and FAIL (or are unresolved) under the stub."""
    return qemu.passed() & stub.bad()


# --- running runtest --------------------------------------------------------------------------

def _chunks(tests: list[str], jobs: int) -> list[list[str]]:
    """Share the tests out round-robin, so each runtest gets a mix of long and short ones."""
    return [chunk for chunk in (tests[i::jobs] for i in range(jobs)) if chunk]


def _runtest(target: str, tests: list[str], directory: Path, testsuite: Path, libc: tuple[list[Path], Path],
             timeout: float, log_packets: bool) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    write_site_exp(directory, testsuite, *libc, log_packets=log_packets)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    cmd = ["runtest", "--tool", "gdb", "--srcdir", str(testsuite), "--outdir", str(directory),
           f"--target_board=booke-{target}", *tests]
    with open(directory / "runtest.out", "w") as out:
        proc = subprocess.Popen(cmd, cwd=directory, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # what it finished is in gdb.sum; the rest counts as lost
            print(f"runtest in {directory} took more than {timeout:.0f} s and was killed", file=sys.stderr)
        finally:
            _kill_group(proc)
    summary = directory / "gdb.sum"
    return summary.read_text(errors="replace") if summary.exists() else ""


def _kill_group(proc: subprocess.Popen) -> None:
    """End runtest if it still runs, and whatever it left behind (a stub server, a QEMU):
    they are all in the process group it leads."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_target(target: str, tests: list[str], workdir: Path, *, jobs: int = os.cpu_count() or 1,
               timeout: float = 1200, log_packets: bool = False) -> Results:
    """Run ``tests`` against ``target`` ('stub' or 'qemu') in ``jobs`` runtest processes."""
    check_tools()
    testsuite = unpack_testsuite()
    libc = build_libc()
    chunks = _chunks(tests, jobs)
    directories = [workdir / target / f"job{n}" for n in range(len(chunks))]
    with ThreadPoolExecutor(max_workers=len(chunks) or 1) as pool:
        sums = list(pool.map(lambda chunk, directory: _runtest(target, chunk, directory, testsuite, libc, timeout,
                                                               log_packets), chunks, directories))
    return parse_sum("\n".join(sums), strip=(*(f"{d}/" for d in directories), f"{testsuite}/"))


def run_both(tests: list[str], workdir: Path, *, jobs: int = os.cpu_count() or 1,
             timeout: float = 1200) -> dict[str, Results]:
    """Both targets, one after the other (each already uses ``jobs`` processes)."""
    return {target: run_target(target, tests, workdir, jobs=jobs, timeout=timeout) for target in TARGETS}


def markdown_table(tests: list[str], stub: Results, qemu: Results) -> str:
    """PASS and FAIL (with UNRESOLVED) per test file, the stub's beside QEMU's, and totals."""
    rows = ["| test file | stub PASS | stub FAIL | QEMU PASS | QEMU FAIL |", "|---|---:|---:|---:|---:|"]
    totals = [0, 0, 0, 0]
    for test_file in tests:
        cells = []
        for results in (stub, qemu):
            counts = results.file_counts(test_file)
            cells += [counts.get("PASS", 0), sum(counts.get(o, 0) for o in BAD)]
        totals = [t + c for t, c in zip(totals, cells)]
        rows.append(f"| {test_file} | " + " | ".join(map(str, cells)) + " |")
    rows.append("| **total** | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return "\n".join(rows)


# --- the command line -------------------------------------------------------------------------

def _report(target: str, results: Results, comparison: Comparison) -> None:
    counts = ", ".join(f"{results.counts.get(o, 0)} {o}" for o in OUTCOMES if results.counts.get(o))
    print(f"{target}: {counts}")
    for title, names in (("new FAIL/UNRESOLVED", comparison.new_bad), ("PASS lost", comparison.lost_passes),
                         ("fixed (update the baseline)", comparison.fixed)):
        for name in sorted(names):
            print(f"  {title}: {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tests", nargs="*", help="test files (default: tests.txt)")
    parser.add_argument("--target", choices=(*TARGETS, "both"), default="both")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workdir", type=Path, help="where runtest works (default: a fresh temporary directory)")
    parser.add_argument("--log-packets", action="store_true", help="the stub logs every packet (PROGRAM.server.log)")
    parser.add_argument("--markdown", action="store_true", help="print the per-file table docs/gdb-testsuite.md shows")
    parser.add_argument("--update-baseline", action="store_true", help="write the results as the new baseline")
    args = parser.parse_args(argv)
    tests = args.tests or curated_tests()
    targets = TARGETS if args.target == "both" else (args.target,)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gdb-testsuite-"))
    print(f"runtest works in {workdir}")
    failed = False
    results = {}
    for target in targets:
        start = time.monotonic()
        results[target] = run_target(target, tests, workdir, jobs=args.jobs, log_packets=args.log_packets)
        print(f"{target}: {time.monotonic() - start:.0f} s")
        comparison = compare(results[target], load_baseline(target), tests)
        _report(target, results[target], comparison)
        failed |= bool(comparison.new_bad or comparison.lost_passes)
        if args.update_baseline:
            BASELINE_DIR.mkdir(exist_ok=True)
            (BASELINE_DIR / f"{target}.sum").write_text("\n".join(results[target].lines()) + "\n")
    if len(results) == 2:
        for name in sorted(stub_short_of_qemu(results["stub"], results["qemu"])):
            print(f"  stub FAIL, QEMU PASS: {name}")
        if args.markdown:
            print(markdown_table(tests, results["stub"], results["qemu"]))
    return 1 if failed and not args.update_baseline else 0


if __name__ == "__main__":
    sys.exit(main())
