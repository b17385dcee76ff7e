"""Command line: ``gdbstub serve GUEST.elf`` (or ``--demo``, or ``--machine ppce500 IMAGE``) and
``gdbstub fuzz --target HOST:PORT``."""
from __future__ import annotations

import argparse
import functools
import ipaddress
import logging
import sys
import time
from pathlib import Path

import trio

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup   # trio's backport: PyPy is Python 3.9

from .boards.bare import UART_BASE
from .channel import default_busy_poll
from .fuzz.model import Target, Window
from .hwdebug.profiles import PROFILES
from .history import DEFAULT_HISTORY_MIB
from .machine import DEFAULT_RAM_SIZE, Machine
from .server import Server
from .vcpu.elf import ElfLoadError

MAX_RAM_MIB = UART_BASE >> 20   # RAM must end below the first device window


def _serve(args: argparse.Namespace) -> int:
    """Serve until the session ends (``--once``, ``--stdio``) or Ctrl-C.

    A guest that cannot be loaded or an address that cannot be listened on ends it with one
    line on stderr and status 1; Ctrl-C (SIGINT) ends it quietly with status 130 (128 + SIGINT,
    what a shell reports for a command the signal ended).
    """
    if args.demo == (args.guest is not None):
        sys.exit("gdbstub serve: give either GUEST.elf or --demo")
    if args.stdio and (sys.stdin is None or sys.stdout is None):  # Python found fd 0 or 1 closed
        sys.exit("gdbstub serve: --stdio needs stdin and stdout, and one of them is closed")
    if problem := _option_conflict(args):
        sys.exit(f"gdbstub serve: {problem}")
    from .devices.console import SerialSpecError, open_console   # here: `gdbstub fuzz` needs neither
    console = None
    try:
        if args.demo:
            guest = _demo_guest()
        else:
            guest = Path(args.guest)
        console = open_console(_serial_spec(args), stdout_carries_rsp=args.stdio)
        machine = Machine(guest, profile=PROFILES[args.profile], ram_size=_ram_mib(args) << 20,
                          uart_output=console.write, board=_board(args), history_mib=args.history_mib)
        if machine.board.console is not None:
            console.start(machine.type_into_console)
        server = Server(machine, once=args.once or args.stdio, log_packets=args.log_packets,
                        busy_poll=args.busy_poll_us * 1e-6, run_at_start=args.run,
                        idle_timeout=args.idle_timeout or None)
        if args.stdio:
            trio.run(server.serve_stdio)
        elif failure := trio.run(_serve_tcp, server, guest, args):
            sys.exit(f"gdbstub serve: {failure}")
    except (ElfLoadError, OSError, SerialSpecError, ValueError) as exc:   # the image, files, addresses, RAM
        sys.exit(f"gdbstub serve: {exc}")
    except KeyboardInterrupt:
        return 130
    except BaseExceptionGroup as group:   # trio >= 0.25 raises Ctrl-C in a task as a group of one
        if group.split(KeyboardInterrupt)[1] is not None:
            raise
        return 130
    finally:
        if console is not None:
            console.close()
    return 0


def _demo_guest() -> Path:
    """The demo guest, built on first use; without a cross compiler, one line saying so."""
    from .guests.build import GuestBuildError, demo_guest
    try:
        return demo_guest()
    except GuestBuildError as exc:
        sys.exit(f"gdbstub serve: --demo is built on first use, and could not be: {exc}")


def _option_conflict(args: argparse.Namespace) -> str | None:
    """Why these options do not go together, or None."""
    from .boards import ppce500
    if args.machine != "ppce500":
        for option, value in (("--dtb", args.dtb), ("--append", args.append), ("--initrd", args.initrd)):
            if value is not None:
                return f"{option} needs --machine ppce500"
    elif args.demo:
        return "--demo is a bare-machine guest; give --machine ppce500 an IMAGE"
    if args.uart_log and args.serial:
        return "give --serial or --uart-log, not both"
    limit = MAX_RAM_MIB if args.machine == "bare" else ppce500.MAX_RAM_SIZE >> 20
    low = 1 if args.machine == "bare" else ppce500.MIN_RAM_SIZE >> 20
    if args.ram_mib is not None and not low <= args.ram_mib <= limit:
        return f"--ram-mib {args.ram_mib}: the {args.machine} machine takes {low}..{limit} MiB"
    return None


def _ram_mib(args: argparse.Namespace) -> int:
    from .boards import ppce500
    if args.ram_mib is not None:
        return args.ram_mib
    return (DEFAULT_RAM_SIZE if args.machine == "bare" else ppce500.DEFAULT_RAM_SIZE) >> 20


def _serial_spec(args: argparse.Namespace) -> str:
    return f"file:{args.uart_log}" if args.uart_log else args.serial or "stdio"


def _board(args: argparse.Namespace):
    """The board builder for ``--machine`` (None: the bare board); reads --dtb and --initrd."""
    if args.machine == "bare":
        return None
    from .boards import ppce500
    options = ppce500.Options(ram_size=_ram_mib(args) << 20, bootargs=args.append or "",
                              dtb=_read(args.dtb, "--dtb"), initrd=_read(args.initrd, "--initrd"))
    return functools.partial(ppce500.build, options)


def _read(path: str | None, option: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise OSError(f"{option} {path}: {exc.strerror or exc}") from None


async def _serve_tcp(server: Server, guest: Path, args: argparse.Namespace) -> str | None:
    """Serve on ``args.host:args.port``; return why not if it cannot listen there."""
    async with trio.open_nursery() as nursery:
        try:
            port = await nursery.start(server.serve_tcp, args.host, args.port)
        except OSError as exc:   # returned, not raised: newer trio wraps what leaves a nursery in a group
            return f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        if not _is_loopback(args.host):
            print(f"gdbstub serve: warning: listening on {args.host}: whoever reaches port {port} controls the "
                  "guest (memory, registers, execution); --host 127.0.0.1 keeps it to this machine",
                  file=sys.stderr, flush=True)
        print(f"serving {guest} on {args.host}:{port} (gdb: target remote {args.host}:{port})",
              file=sys.stderr, flush=True)
        if args.port_file:
            tmp = Path(f"{args.port_file}.tmp")
            tmp.write_text(f"{port}\n")
            tmp.replace(args.port_file)


def _is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (a name other than localhost may be anything)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


def _int_in(low: int, high: int):
    """An argparse type: an integer from ``low`` to ``high``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in {low}..{high}")
        return value
    return parse


def _window(text: str) -> Window:
    try:
        return Window.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fuzz(args: argparse.Namespace) -> int:
    try:
        from .fuzz.runner import run
    except ImportError as exc:
        sys.exit(f"gdbstub fuzz needs hypothesis (pip install 'booke-gdbstub[fuzz]' or hypothesis): {exc}")
    host, port = args.target
    target = Target(host=host, port=port, memory=args.memory, code=args.code,
                    registers=args.registers, pc_regnum=args.pc_regnum, break_kind=args.break_kind,
                    byteorder="little" if args.little_endian else "big", reset_monitor=args.reset_monitor or None,
                    run_time=args.run_time, allow_kill=args.allow_kill, lenient=args.lenient)
    print(f"fuzzing {host}:{port}: {args.examples} examples of up to {args.steps} steps, memory {target.memory}, "
          f"code {target.code}" + (f", seed {args.seed}" if args.seed is not None else ""), flush=True)
    result = run(target, examples=args.examples, seed=args.seed, steps=args.steps)
    if result.ok:
        print(f"ok: no invariant broken in {result.examples} examples ({result.seconds:.1f} s)")
        return 0
    print(f"FAILED after {result.seconds:.1f} s; minimal failing sequence:\n{result.failure}")
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdbstub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a guest ELF to gdb over the Remote Serial Protocol")
    serve.add_argument("guest", nargs="?", help="the guest ELF (32-bit big-endian PowerPC; on ppce500 a "
                       "kernel or firmware image such as U-Boot's uboot.elf)")
    serve.add_argument("--machine", choices=("bare", "ppce500"), default="bare",
                       help="bare: flat RAM, no MMU, for crt0 guests (default); ppce500: QEMU's ppce500 "
                       "board with an e500mc core, MMU, timers, MPIC, booted as QEMU's -kernel")
    serve.add_argument("--demo", action="store_true", help="serve the bundled demo guest (built on demand)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; any other "
                       "lets whoever reaches the port control the guest, and says so)")
    serve.add_argument("--port", type=_int_in(0, 0xffff), default=1234,
                       help="TCP port (default 1234, 0 = any free port)")
    serve.add_argument("--port-file", metavar="FILE", help="write the bound port to FILE once listening")
    serve.add_argument("--stdio", action="store_true", help="speak RSP on stdin/stdout: target remote | gdbstub serve --stdio X.elf")
    serve.add_argument("--once", action="store_true", help="exit after the first session ends")
    serve.add_argument("--idle-timeout", type=float, default=0.0, metavar="SECONDS",
                       help="disconnect a client that sends nothing for SECONDS while the guest is stopped "
                       "(default 0: never, for gdb at a prompt; a client silent 30 s after connecting "
                       "always is)")
    serve.add_argument("--log-packets", action="store_true", help="log every packet in both directions")
    serve.add_argument("--uart-log", metavar="FILE", help="append the guest's UART output to FILE "
                       "(as --serial file:FILE)")
    serve.add_argument("--serial", metavar="stdio|tcp:HOST:PORT|file:PATH|none",
                       help="the console: stdio (default; on ppce500 stdin is typed into the UART), "
                       "tcp:HOST:PORT (listen there, bytes both ways), file:PATH (append output), none")
    serve.add_argument("--run", action="store_true", help="start the guest at once; a gdb that attaches "
                       "stops it (without --run the guest waits for gdb)")
    serve.add_argument("--dtb", metavar="FILE", help="ppce500: boot with this device tree blob instead "
                       "of the generated one")
    serve.add_argument("--append", metavar="ARGS", help="ppce500: the kernel command line (/chosen/bootargs)")
    serve.add_argument("--initrd", metavar="FILE", help="ppce500: load FILE as the initial RAM disk")
    serve.add_argument("--profile", choices=sorted(PROFILES), default="e500mc", help="core debug profile")
    serve.add_argument("--ram-mib", type=_int_in(1, MAX_RAM_MIB),
                       help=f"guest RAM in MiB (bare: default 64, at most {MAX_RAM_MIB}; ppce500: "
                       "default 128, 64..2048)")
    serve.add_argument("--history-mib", type=_int_in(0, 1 << 20), default=DEFAULT_HISTORY_MIB, metavar="N",
                       help="memory for the execution history that reverse execution replays (default "
                            "%(default)s; the oldest is dropped first; 0 = no history, no reverse execution)")
    serve.add_argument("--busy-poll-us", type=float, default=default_busy_poll() * 1e6, metavar="N",
                       help="poll the connection without sleeping for up to N µs after a reply (default "
                            "%(default)g: on when there is more than one CPU; 0 = off)")
    serve.add_argument("-v", "--verbose", action="store_true", help="log server events")
    serve.set_defaults(func=_serve)

    fuzz = sub.add_parser("fuzz", help="drive an RSP stub with random packet sequences and check every answer",
                          description="Runs a hypothesis state machine against the stub at --target and prints "
                          "the minimal failing sequence when the stub breaks an invariant (exit status 1). "
                          "It connects to that address only, writes memory only inside --memory and "
                          "puts breakpoints only inside --code.")
    fuzz.add_argument("--target", required=True, type=_host_port, metavar="HOST:PORT", help="the stub to fuzz")
    fuzz.add_argument("--examples", type=int, default=100, help="how many packet sequences (default 100)")
    fuzz.add_argument("--steps", type=int, default=50, help="steps per sequence at most (default 50)")
    fuzz.add_argument("--seed", type=int, help="seed for a reproducible campaign")
    fuzz.add_argument("--memory", type=_window, default=Target.memory, metavar="ADDR:LEN",
                      help=f"memory to read, write and watch (default {Target.memory}, unused by our guests)")
    fuzz.add_argument("--code", type=_window, default=Target.code, metavar="ADDR:LEN",
                      help=f"where breakpoints go (default {Target.code}, the start of our guests)")
    fuzz.add_argument("--registers", type=int, default=Target.registers, metavar="N",
                      help=f"read and write registers 0..N-1 (default {Target.registers})")
    fuzz.add_argument("--pc-regnum", type=int, default=Target.pc_regnum,
                      help=f"gdb's number of the PC (default {Target.pc_regnum}, PowerPC)")
    fuzz.add_argument("--break-kind", type=int, default=Target.break_kind,
                      help=f"the kind of Z0/Z1 packets (default {Target.break_kind})")
    fuzz.add_argument("--little-endian", action="store_true", help="the target's registers are little-endian")
    fuzz.add_argument("--reset-monitor", default=Target.reset_monitor, metavar="COMMAND",
                      help="monitor command sent before each sequence to reload the guest ('' for none; "
                      f"default {Target.reset_monitor!r}; its answer is ignored)")
    fuzz.add_argument("--run-time", type=float, default=Target.run_time,
                      help=f"seconds a resumed guest runs before Ctrl-C (default {Target.run_time})")
    fuzz.add_argument("--allow-kill", action="store_true", help="also send k (the stub must accept a new client after it)")
    fuzz.add_argument("--lenient", action="store_true",
                      help="accept any one reply to a malformed packet, and send none that would write (QEMU)")
    fuzz.set_defaults(func=_fuzz, verbose=False, log_packets=False)
    return parser


class RepeatLimit(logging.Filter):
    """At most ``burst`` lines of one kind (logger and message template) per ``window``
    seconds: a client sending garbage, or a flood of Ctrl-C, makes the same line again and
    again. The first line of a kind after a window in which some were held back says how many."""

    MAX_KINDS = 1000   # kinds remembered at most (templates are few; this bounds the memory anyway)

    def __init__(self, burst: int = 5, window: float = 10.0, clock=time.monotonic):
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self._kinds: dict[tuple, list] = {}   # kind -> [window start, lines in it]

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        kind = (record.name, str(record.msg))
        seen = self._kinds.get(kind)
        if seen is None or now - seen[0] >= self.window:
            if len(self._kinds) >= self.MAX_KINDS:
                self._kinds.clear()
            if seen is not None and seen[1] > self.burst:
                record.msg = f"{record.msg} (and {seen[1] - self.burst} more such lines held back before)"
            self._kinds[kind] = [now, 1]
            return True
        seen[1] += 1
        return seen[1] <= self.burst


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.INFO if (args.verbose or args.log_packets) else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("gdbstub: %(name)s: %(message)s"))
    if not args.log_packets:   # --log-packets asks for every line
        handler.addFilter(RepeatLimit())
    logging.basicConfig(level=level, handlers=[handler])   # (nothing, if logging is set up already)
    return args.func(args)
