"""A reference model of what any RSP target must answer, as far as a client can know.

The model never assumes slot counts: it learns them from the target's own answers. An
insertion accepted with some hardware points in place must be accepted again with the same or
fewer points of every type, and one refused must be refused again with the same or more, so
``E22`` comes exactly when the slots are full and a removal frees its slot.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

SOFTWARE = 0
HARDWARE_TYPES = (1, 2, 3, 4)
WATCH_TYPES = {"watch": {2, 4}, "rwatch": {3, 4}, "awatch": {4}}
"""Z types that may report each watch stop reason (an access point may report any access)."""


class Violation(AssertionError):
    """The target broke an invariant of the model."""


@dataclass(frozen=True)
class Window:
    """``length`` bytes at ``start``, written ``ADDR:LEN`` on the command line."""

    start: int
    length: int

    @classmethod
    def parse(cls, text: str) -> "Window":
        addr, sep, length = text.partition(":")
        if not sep:
            raise ValueError(f"expected ADDR:LEN, got {text!r}")
        window = cls(int(addr, 0), int(length, 0))
        if window.length <= 0 or window.start < 0:
            raise ValueError(f"empty or negative window {text!r}")
        return window

    @property
    def end(self) -> int:
        return self.start + self.length

    def __str__(self) -> str:
        return f"{self.start:#x}:{self.length:#x}"


@dataclass(frozen=True)
class Target:
    """What the fuzzer may touch on a stub and how it waits for it."""

    host: str = "127.0.0.1"
    port: int = 1234
    memory: Window = Window(0x3000, 0x100)
    """Read/write freely; watchpoints go here."""
    code: Window = Window(0x100000, 0x100)
    """Breakpoints go here (word-aligned)."""
    registers: int = 32
    """Registers 0..N-1 are read and written."""
    pc_regnum: int = 64
    break_kind: int = 4
    reset_monitor: str | None = "reset"
    """A ``monitor`` command that reloads the guest before each example (its answer is ignored)."""
    run_time: float = 0.1
    """How long a resumed guest may run before the fuzzer sends Ctrl-C."""
    timeout: float = 10.0
    byteorder: str = "big"
    allow_kill: bool = False
    lenient: bool = False
    """Malformed packets may get any one reply (QEMU reads numbers with strtoul)."""


@dataclass(frozen=True)
class Point:
    """An inserted Z point: ``type`` 0-4, ``addr`` and ``kind`` as sent."""

    type: int
    addr: int
    kind: int

    def covers(self, addr: int) -> bool:
        return self.addr <= addr < self.addr + max(self.kind, 1)


@dataclass
class PointModel:
    """Inserted points and what the target's answers taught about its slots."""

    inserted: dict[tuple[int, int], Point] = field(default_factory=dict)
    accepted: dict[int, list[tuple[int, ...]]] = field(default_factory=dict)
    refused: dict[int, list[tuple[int, ...]]] = field(default_factory=dict)

    def counts(self) -> tuple[int, ...]:
        """Hardware points in place, per Z type 1-4."""
        per_type = Counter(p.type for p in self.inserted.values())
        return tuple(per_type[t] for t in HARDWARE_TYPES)

    def expected_insert(self, z_type: int) -> bool | None:
        """True if a hardware insert of ``z_type`` must succeed now, False if it must fail,
        None if the answers so far do not tell."""
        now = self.counts()
        if any(all(n <= a for n, a in zip(now, seen)) for seen in self.accepted.get(z_type, ())):
            return True
        if any(all(n >= r for n, r in zip(now, seen)) for seen in self.refused.get(z_type, ())):
            return False
        return None

    def insert(self, point: Point, ok: bool) -> None:
        """Record the answer to inserting ``point``; raise :class:`Violation` if it contradicts."""
        if point.type in HARDWARE_TYPES:
            expected = self.expected_insert(point.type)
            if expected is not None and expected != ok:
                raise Violation(
                    f"Z{point.type} {'accepted' if ok else 'refused'} with hardware points per type "
                    f"{self.counts()}, but earlier answers say it must be {'accepted' if expected else 'refused'}")
            (self.accepted if ok else self.refused).setdefault(point.type, []).append(self.counts())
        if ok:
            self.inserted[(point.type, point.addr)] = point

    def remove(self, point: Point) -> None:
        self.inserted.pop((point.type, point.addr), None)

    def clear(self) -> None:
        """The target dropped every point (a new connection); what was learned stays."""
        self.inserted.clear()

    def of_types(self, types) -> list[Point]:
        return [p for p in self.inserted.values() if p.type in types]


@dataclass
class MemoryModel:
    """Bytes of the window whose value the target must report: read or written since the
    guest last ran. Software breakpoints never show."""

    known: dict[int, int] = field(default_factory=dict)

    def write(self, addr: int, data: bytes) -> None:
        self.known.update(zip(range(addr, addr + len(data)), data))

    def check_read(self, addr: int, data: bytes) -> None:
        for offset, byte in enumerate(data):
            expected = self.known.get(addr + offset)
            if expected is not None and expected != byte:
                raise Violation(f"memory at {addr + offset:#x} reads {byte:#04x}, "
                                f"but {expected:#04x} was written or read there before")
        self.write(addr, data)

    def forget(self) -> None:
        """The guest ran (or was reloaded) and may have changed anything."""
        self.known.clear()


@dataclass
class RegisterModel:
    """Register values the target must report, by number, until the guest runs."""

    known: dict[int, bytes] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)

    def check_read(self, regno: int, value: bytes) -> None:
        expected = self.known.get(regno)
        if expected is not None and expected != value:
            raise Violation(f"register {regno} reads {value.hex()}, but {expected.hex()} was written")
        self.known[regno] = value
        self.sizes[regno] = len(value)

    def forget(self) -> None:
        self.known.clear()


_STOP = re.compile(rb"([TS])([0-9a-fA-F]{2})(.*)|([WX])([0-9a-fA-F]{2})(;.*)?", re.S)


@dataclass(frozen=True)
class StopReply:
    """A parsed stop reply: ``letter`` T/S/W/X, the signal or status, and T's ``n:r;`` fields."""

    letter: str
    number: int
    fields: dict[str, bytes]

    @classmethod
    def parse(cls, payload: bytes) -> "StopReply":
        m = _STOP.fullmatch(payload)
        if m is None:
            raise Violation(f"not a stop reply: {payload[:80]!r}")
        if m.group(4):
            return cls(m.group(4).decode(), int(m.group(5), 16), {})
        letter, rest = m.group(1).decode(), m.group(3)
        if letter == "S" and rest:
            raise Violation(f"S stop reply with trailing bytes: {payload[:80]!r}")
        fields = {}
        for item in filter(None, rest.split(b";")):
            name, colon, value = item.partition(b":")
            if not colon:
                raise Violation(f"stop reply field without ':' in {payload[:80]!r}")
            fields[name.decode("latin-1")] = value
        return cls(letter, int(m.group(2), 16), fields)

    @property
    def guest_ended(self) -> bool:
        """``W`` (the guest's exit status) or ``X`` (a signal ended it): the guest is gone."""
        return self.letter in "WX"

    @property
    def watch(self) -> tuple[str, int] | None:
        """``(kind, address)`` of a watchpoint stop, if it is one."""
        for kind in WATCH_TYPES:
            if kind in self.fields:
                try:
                    return kind, int(self.fields[kind], 16)
                except ValueError:
                    raise Violation(f"{kind} stop with a bad address {self.fields[kind]!r}") from None
        return None


def check_stop(stop: StopReply, points: PointModel, pc: int | None) -> None:
    """A stop must be explained by the points in place: a watch stop names an inserted
    watchpoint of a fitting type, a hwbreak/swbreak stop's ``pc`` is an inserted Z1/Z0 address."""
    watch = stop.watch
    if watch is not None:
        kind, addr = watch
        if not any(p.covers(addr) for p in points.of_types(WATCH_TYPES[kind])):
            raise Violation(f"{kind} stop at {addr:#x}, but no fitting watchpoint is inserted there "
                            f"(inserted: {sorted(points.inserted.values(), key=lambda p: p.addr)})")
    for reason, z_type in (("hwbreak", 1), ("swbreak", SOFTWARE)):
        if reason in stop.fields and pc is not None:
            if (z_type, pc) not in points.inserted:
                raise Violation(f"{reason} stop with pc {pc:#x}, which is no inserted Z{z_type} address")
