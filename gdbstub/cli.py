"""Command line: ``gdbstub serve GUEST.elf`` (or ``--demo``)."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import trio

from .hwdebug.profiles import PROFILES
from .machine import DEFAULT_RAM_SIZE, Machine
from .server import Server


def _serve(args: argparse.Namespace) -> int:
    if args.demo == (args.guest is not None):
        sys.exit("gdbstub serve: give either GUEST.elf or --demo")
    if args.demo:
        from .guests.build import demo_guest
        guest = demo_guest()
    else:
        guest = Path(args.guest)
    uart = _uart_sink(args)
    machine = Machine(guest, profile=PROFILES[args.profile], ram_size=args.ram_mib << 20, uart_output=uart)
    server = Server(machine, once=args.once or args.stdio, log_packets=args.log_packets)
    if args.stdio:
        trio.run(server.serve_stdio)
    else:
        trio.run(_serve_tcp, server, guest, args)
    return 0


async def _serve_tcp(server: Server, guest: Path, args: argparse.Namespace) -> None:
    async with trio.open_nursery() as nursery:
        port = await nursery.start(server.serve_tcp, args.host, args.port)
        print(f"serving {guest} on {args.host}:{port} (gdb: target remote {args.host}:{port})",
              file=sys.stderr, flush=True)
        if args.port_file:
            tmp = Path(f"{args.port_file}.tmp")
            tmp.write_text(f"{port}\n")
            tmp.replace(args.port_file)


def _uart_sink(args: argparse.Namespace):
    """Where the guest's UART output goes: a file, or stdout (stderr when stdout carries RSP)."""
    if args.uart_log:
        stream = open(args.uart_log, "ab", buffering=0)
    else:
        stream = (sys.stderr if args.stdio else sys.stdout).buffer

    def write(data: bytes) -> None:
        stream.write(data)
        stream.flush()
    return write


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdbstub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a guest ELF to gdb over the Remote Serial Protocol")
    serve.add_argument("guest", nargs="?", help="the guest ELF (32-bit big-endian PowerPC)")
    serve.add_argument("--demo", action="store_true", help="serve the bundled demo guest (built on demand)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=1234, help="TCP port (default 1234, 0 = any free port)")
    serve.add_argument("--port-file", metavar="FILE", help="write the bound port to FILE once listening")
    serve.add_argument("--stdio", action="store_true", help="speak RSP on stdin/stdout: target remote | gdbstub serve --stdio X.elf")
    serve.add_argument("--once", action="store_true", help="exit after the first session ends")
    serve.add_argument("--log-packets", action="store_true", help="log every packet in both directions")
    serve.add_argument("--uart-log", metavar="FILE", help="append the guest's UART output to FILE")
    serve.add_argument("--profile", choices=sorted(PROFILES), default="e500mc", help="core debug profile")
    serve.add_argument("--ram-mib", type=int, default=DEFAULT_RAM_SIZE >> 20, help="guest RAM in MiB (default 64)")
    serve.add_argument("-v", "--verbose", action="store_true", help="log server events")
    serve.set_defaults(func=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.INFO if (args.verbose or args.log_packets) else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="gdbstub: %(name)s: %(message)s")
    return args.func(args)
