"""Run-control packets: the stop reason ``?``, resuming (``c C s S`` and ``vCont``), going
backwards (``bs`` reverse step, ``bc`` reverse continue), and ending the session (``D`` detach,
``k`` kill)."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import BadArguments, ThreadId, no_args, number, optional_addr, optional_pid, signal, split, thread_id


@dataclass(frozen=True)
class QueryHaltReason:
    pass


@dataclass(frozen=True)
class Continue:
    addr: int | None


@dataclass(frozen=True)
class ContinueSignal:
    signal: int
    addr: int | None


@dataclass(frozen=True)
class Step:
    addr: int | None


@dataclass(frozen=True)
class StepSignal:
    signal: int
    addr: int | None


@dataclass(frozen=True)
class VContQuery:
    pass


@dataclass(frozen=True)
class VContAction:
    """One ``vCont`` action; ``kind`` is one of ``c C s S t r``."""

    kind: str
    signal: int | None = None
    thread: ThreadId | None = None
    range: tuple[int, int] | None = None


@dataclass(frozen=True)
class VCont:
    actions: tuple[VContAction, ...]


@dataclass(frozen=True)
class ReverseStep:
    pass


@dataclass(frozen=True)
class ReverseContinue:
    pass


def _reverse(args: bytes) -> ReverseStep | ReverseContinue | None:
    """``bs`` or ``bc``; any other ``b`` packet is unknown (``b`` alone was a baud rate)."""
    return {b"s": ReverseStep(), b"c": ReverseContinue()}.get(args)


@dataclass(frozen=True)
class Detach:
    pid: int | None


@dataclass(frozen=True)
class Kill:
    pass


def _signal_addr(args: bytes) -> tuple[int, int | None]:
    sig, sep, addr = args.partition(b";")
    return signal(sig), number(addr, "address") if sep else None


def _vcont_action(raw: bytes) -> VContAction:
    action, colon, thread = raw.partition(b":")
    tid = thread_id(thread) if colon else None
    kind, arg = action[:1], action[1:]
    if kind in (b"c", b"s", b"t"):
        if arg:
            raise BadArguments(f"unexpected argument to vCont action {kind!r}")
        return VContAction(kind.decode(), thread=tid)
    if kind in (b"C", b"S"):
        return VContAction(kind.decode(), signal=signal(arg), thread=tid)
    if kind == b"r":
        start, end = split(arg, b",", "vCont range")
        return VContAction("r", thread=tid, range=(number(start, "address"), number(end, "address")))
    raise BadArguments(f"unknown vCont action {action[:8]!r}")


def _vcont(args: bytes) -> VCont:
    if not args.startswith(b";") or len(args) == 1:
        raise BadArguments("expected ';action'")
    return VCont(tuple(_vcont_action(a) for a in args[1:].split(b";")))


LETTERS = {
    b"?": no_args(QueryHaltReason),
    b"c": lambda a: Continue(optional_addr(a)),
    b"C": lambda a: ContinueSignal(*_signal_addr(a)),
    b"s": lambda a: Step(optional_addr(a)),
    b"S": lambda a: StepSignal(*_signal_addr(a)),
    b"b": _reverse,
    b"D": lambda a: Detach(optional_pid(a, b";")),
    b"k": no_args(Kill),
}

NAMED = [
    (b"vCont?", no_args(VContQuery), b""),   # before vCont, which would take it as unknown
    (b"vCont", _vcont, b";"),
]
