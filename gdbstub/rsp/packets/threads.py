"""Thread packets: ``H`` selects, ``T`` asks if alive, ``qC``/``qfThreadInfo``/``qsThreadInfo`` list."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import BadArguments, ThreadId, no_args, thread_id


@dataclass(frozen=True)
class SetThread:
    op: str
    thread: ThreadId


@dataclass(frozen=True)
class ThreadAlive:
    thread: ThreadId


@dataclass(frozen=True)
class CurrentThread:
    pass


@dataclass(frozen=True)
class ThreadInfoFirst:
    pass


@dataclass(frozen=True)
class ThreadInfoNext:
    pass


def _set_thread(args: bytes) -> SetThread:
    op = args[:1]
    if op not in (b"g", b"c"):
        raise BadArguments(f"unsupported H operation {op!r}")
    return SetThread(op.decode(), thread_id(args[1:]))


LETTERS = {
    b"H": _set_thread,
    b"T": lambda a: ThreadAlive(thread_id(a)),
}

NAMED = [
    (b"qfThreadInfo", no_args(ThreadInfoFirst), b""),
    (b"qsThreadInfo", no_args(ThreadInfoNext), b""),
    (b"qC", no_args(CurrentThread), b""),
]
