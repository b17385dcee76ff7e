"""The Freescale MPIC (``fsl,mpic``, v4.2 as QEMU 7.2's ppce500 has it) for one CPU.

Offsets are relative to the MPIC window (CCSR+0x40000, 256 KiB):

* global: BRR1 +0x0, FRR +0x1000, GCR +0x1020 (reset bit, self-clearing; mixed/proxy mode),
  VIR +0x1080, PIR +0x1090, IPI vector/priority +0x10A0..+0x10D0, spurious vector +0x10E0;
  the current CPU's registers are also aliased at +0x40..+0xB0.
* sources: +0x10000 + 0x20·n — IVPR (+0x0), IDR (+0x10), ILR (+0x18) for n < 256 (external
  sources 0–15, internal ones from 16: the DUART is 42).
* CPU 0: +0x20000 — IPI dispatch +0x40..+0x70, CTPR +0x80, WHOAMI +0x90, IACK +0xA0, EOI +0xB0.

Arbitration is QEMU's: a source is *raised* while it is pending, unmasked and aimed at the CPU;
the output to the core's external input is asserted while the highest raised priority is above
both CTPR and the highest priority in service. IACK (or :meth:`acknowledge`, what the core does
in external proxy mode to latch EPR) moves that source into service and returns its vector, or
the spurious vector; EOI retires the highest-priority source in service. Priority ties go to the
lower source number. External sources are edge- or level-sensitive by IVPR[S]; internal ones are
level-sensitive; IPIs and timers are edge-sensitive.

Not modelled (U-Boot and Linux on this board use none of them; Linux's ``mpic_timer`` driver
is optional and unused for timekeeping): the global timers' counting (TFRR and the timer
registers at +0x10F0.. are plain storage; their sources 260–263 never fire), MSIs (+0x1600,
read as zero), the summary registers (+0x3800, zero), and PIR's core-reset outputs (PIR reads 0
as on QEMU). Word registers only: a narrower access reads the containing word's bytes and writes
the value shifted into place, as QEMU's memory core does for 4-byte-only registers; an access
straddling two words is split between them.

Debugger reads use :meth:`peek`: IACK then shows the vector that would be acknowledged without
acknowledging it.
"""
from __future__ import annotations

from typing import Any, Protocol

SIZE = 0x40000

EXTERNAL_SOURCES = 16
SOURCE_COUNT = 256
IPI_BASE = 256
TIMER_BASE = 260
IRQ_COUNT = 264
MODELLED_SOURCES = 196   # what FRR reports (QEMU's nb_irqs for MPIC v4.2)

BRR1_VALUE = 0x00400402
FRR_VALUE = (MODELLED_SOURCES - 1) << 16 | 0 << 8 | 2   # one CPU, version 1.2
VECTOR_MASK = 0xFFFF

GCR_RESET = 0x80000000
GCR_MODE_MASK = 0x60000000
GCR_MODE_PROXY = 0x60000000

IVPR_MASK = 0x80000000
IVPR_ACTIVITY = 0x40000000
IVPR_POLARITY = 0x00800000
IVPR_SENSE = 0x00400000
IVPR_PRIORITY_SHIFT = 16
IVPR_PRIORITY_MASK = 0xF << IVPR_PRIORITY_SHIFT
IVPR_WRITABLE = IVPR_MASK | IVPR_PRIORITY_MASK | IVPR_SENSE | IVPR_POLARITY | VECTOR_MASK

ILR_TARGET_MASK = 0xFF
OUTPUT_INT, OUTPUT_CRITICAL, OUTPUT_MACHINE_CHECK = 0, 1, 2

GLOBAL_BRR1 = 0x0000
GLOBAL_CPU_ALIAS = range(0x40, 0xC0)
GLOBAL_FRR = 0x1000
GLOBAL_GCR = 0x1020
GLOBAL_VIR = 0x1080
GLOBAL_PIR = 0x1090
GLOBAL_IPI_VPR = 0x10A0   # four, 0x10 apart
GLOBAL_SPVR = 0x10E0
TIMERS = range(0x10F0, 0x1310)
TIMER_WORDS = len(TIMERS) // 4
SOURCES = range(0x10000, 0x10000 + SOURCE_COUNT * 0x20)
CPU0 = range(0x20000, 0x20100)
OTHER_CPUS = range(0x20100, 0x40000)

CPU_IPI_DISPATCH = 0x40   # four, 0x10 apart
CPU_CTPR = 0x80
CPU_WHOAMI = 0x90
CPU_IACK = 0xA0
CPU_EOI = 0xB0

ALL_ONES = 0xFFFFFFFF


class InterruptLine(Protocol):
    def set(self, level: bool) -> None: ...


def _word_pieces(offset: int, size: int) -> list[tuple[int, int]]:
    """An access split at word boundaries, as (offset, length) pieces."""
    pieces = []
    end = offset + size
    while offset < end:
        length = min(end, (offset & ~3) + 4) - offset
        pieces.append((offset, length))
        offset += length
    return pieces


def _shift(offset: int, length: int) -> int:
    """Where bytes at ``offset`` of ``length`` sit in their big-endian word."""
    return 8 * (4 - length - (offset & 3))


def _priority(ivpr: int) -> int:
    return (ivpr & IVPR_PRIORITY_MASK) >> IVPR_PRIORITY_SHIFT


class Mpic:
    """The interrupt controller; ``output`` is the core's external input (INT).

    ``critical`` and ``machine_check`` optionally receive sources whose ILR targets them.
    """

    size = SIZE

    def __init__(self, output: InterruptLine, critical: InterruptLine | None = None,
                 machine_check: InterruptLine | None = None):
        self.lines = {OUTPUT_INT: output, OUTPUT_CRITICAL: critical,
                      OUTPUT_MACHINE_CHECK: machine_check}
        self.levels = {target: False for target in self.lines}
        self.pending = [False] * IRQ_COUNT   # input state, kept across a GCR reset
        self.reset()

    # --- reset -----------------------------------------------------------------------------

    def reset(self) -> None:
        """GCR[RST]: every register back to its reset value (the controller is never busy)."""
        self.gcr = 0
        self.spvr = VECTOR_MASK
        self.ivpr = [IVPR_MASK | (IVPR_POLARITY if EXTERNAL_SOURCES <= n < SOURCE_COUNT else 0)
                     for n in range(IRQ_COUNT)]
        self.idr = [1] * IRQ_COUNT
        self.target = [OUTPUT_INT] * IRQ_COUNT
        self.ctpr = 15
        self.raised: set[int] = set()
        self.in_service: set[int] = set()
        self.critical_active: set[int] = set()
        self.timer_registers = [0] * TIMER_WORDS
        for n in range(IRQ_COUNT):
            if not self._is_level(n):
                self.pending[n] = False
        self._drive(OUTPUT_INT, False)
        for target in (OUTPUT_CRITICAL, OUTPUT_MACHINE_CHECK):
            self._drive(target, False)

    # --- inputs from devices ---------------------------------------------------------------

    def irq_in(self, n: int, level: bool) -> None:
        """A device's interrupt output ``n`` (QEMU's numbering: DUART 42) is at ``level``."""
        if not 0 <= n < IRQ_COUNT:
            raise ValueError(f"MPIC source {n} out of range 0..{IRQ_COUNT - 1}")
        if self._is_level(n):
            self.pending[n] = bool(level)
            self._update_source(n)
        elif level:
            self.pending[n] = True
            self._update_source(n)
            if self.target[n] != OUTPUT_INT:
                self.pending[n] = False
                self._update_source(n)

    @property
    def external_proxy(self) -> bool:
        """GCR selects external proxy: the core latches the vector in EPR as it takes IVOR4."""
        return self.gcr & GCR_MODE_MASK == GCR_MODE_PROXY

    def acknowledge(self) -> int:
        """The interrupt acknowledge cycle (IACK read): the vector for EPR, or the spurious one."""
        self._drive(OUTPUT_INT, False)
        n = self._highest(self.raised)
        if n is None:
            return self.spvr
        if not self.ivpr[n] & IVPR_ACTIVITY or _priority(self.ivpr[n]) <= self.ctpr:
            self._update_source(n)
            vector = self.spvr
        else:
            self.in_service.add(n)
            vector = self.ivpr[n] & VECTOR_MASK
        if not self._is_level(n):
            self.ivpr[n] &= ~IVPR_ACTIVITY
            self.pending[n] = False
            self.raised.discard(n)
        if IPI_BASE <= n < TIMER_BASE:
            self.idr[n] = 0   # the CPU has seen this IPI; the next dispatch re-aims it
        return vector

    # --- bus side --------------------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        return self._read(offset, size, acknowledge=True)

    def peek(self, offset: int, size: int) -> int:
        return self._read(offset, size, acknowledge=False)

    def _read(self, offset: int, size: int, acknowledge: bool) -> int:
        value = 0
        for start, length in _word_pieces(offset, size):
            word = self._read_word(start & ~3, acknowledge)
            value = value << 8 * length | word >> _shift(start, length) & ((1 << 8 * length) - 1)
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        for start, length in _word_pieces(offset, size):
            size -= length
            piece = value >> 8 * size & ((1 << 8 * length) - 1)
            self._write_word(start & ~3, piece << _shift(start, length))

    def _read_word(self, offset: int, acknowledge: bool) -> int:
        if offset in GLOBAL_CPU_ALIAS:
            return self._read_cpu(offset, acknowledge)
        if offset in CPU0:
            return self._read_cpu(offset - CPU0.start, acknowledge)
        if offset in SOURCES:
            return self._read_source(offset - SOURCES.start)
        if offset in TIMERS:
            return self._read_timer(offset)
        if offset in OTHER_CPUS:
            return ALL_ONES
        if offset < TIMERS.start:
            return self._read_global(offset)
        return 0

    def _write_word(self, offset: int, value: int) -> None:
        if offset in GLOBAL_CPU_ALIAS:
            self._write_cpu(offset, value)
        elif offset in CPU0:
            self._write_cpu(offset - CPU0.start, value)
        elif offset in SOURCES:
            self._write_source(offset - SOURCES.start, value)
        elif offset in TIMERS:
            self._write_timer(offset, value)
        elif offset < TIMERS.start:
            self._write_global(offset, value)

    def _read_global(self, offset: int) -> int:
        if offset == GLOBAL_BRR1:
            return BRR1_VALUE
        if offset == GLOBAL_FRR:
            return FRR_VALUE
        if offset == GLOBAL_GCR:
            return self.gcr
        if offset in (GLOBAL_VIR, GLOBAL_PIR):
            return 0
        if offset == GLOBAL_SPVR:
            return self.spvr
        ipi = self._ipi_index(offset)
        return self.ivpr[IPI_BASE + ipi] if ipi is not None else ALL_ONES

    def _write_global(self, offset: int, value: int) -> None:
        if offset == GLOBAL_GCR:
            if value & GCR_RESET:
                self.reset()
            else:
                self.gcr = value & GCR_MODE_MASK
        elif offset == GLOBAL_SPVR:
            self.spvr = value & VECTOR_MASK
        else:
            ipi = self._ipi_index(offset)
            if ipi is not None:
                self._write_ivpr(IPI_BASE + ipi, value)

    @staticmethod
    def _ipi_index(offset: int) -> int | None:
        index, rest = divmod(offset - GLOBAL_IPI_VPR, 0x10)
        return index if 0 <= index < 4 and rest == 0 else None

    def _read_timer(self, offset: int) -> int:
        index, register = divmod(offset - TIMERS.start - 0x10, 0x40)
        if offset == TIMERS.start or register not in (0x20, 0x30):
            return self.timer_registers[(offset - TIMERS.start) // 4]
        source = TIMER_BASE + index
        return self.ivpr[source] if register == 0x20 else self.idr[source]

    def _write_timer(self, offset: int, value: int) -> None:
        index, register = divmod(offset - TIMERS.start - 0x10, 0x40)
        if offset == TIMERS.start or register not in (0x20, 0x30):
            self.timer_registers[(offset - TIMERS.start) // 4] = value
        elif register == 0x20:
            self._write_ivpr(TIMER_BASE + index, value)
        else:
            self._write_idr(TIMER_BASE + index, value)

    def _read_source(self, offset: int) -> int:
        n, register = divmod(offset, 0x20)
        if register == 0x00:
            return self.ivpr[n]
        if register == 0x10:
            return self.idr[n]
        if register == 0x18:
            return self.target[n]
        return ALL_ONES

    def _write_source(self, offset: int, value: int) -> None:
        n, register = divmod(offset, 0x20)
        if register == 0x00:
            self._write_ivpr(n, value)
        elif register == 0x10:
            self._write_idr(n, value)
        elif register == 0x18:
            target = value & ILR_TARGET_MASK
            self.target[n] = target if target in self.lines else OUTPUT_INT

    def _read_cpu(self, offset: int, acknowledge: bool) -> int:
        if offset == CPU_CTPR:
            return self.ctpr
        if offset == CPU_WHOAMI:
            return 0
        if offset == CPU_IACK:
            return self.acknowledge() if acknowledge else self._vector_to_acknowledge()
        if offset == CPU_EOI:
            return 0
        return ALL_ONES

    def _write_cpu(self, offset: int, value: int) -> None:
        if offset == CPU_CTPR:
            self.ctpr = value & 0xF
            self._reevaluate_output()
        elif offset == CPU_EOI:
            n = self._highest(self.in_service)
            if n is not None:
                self.in_service.discard(n)
                self._reevaluate_output()
        elif CPU_IPI_DISPATCH <= offset < CPU_CTPR and value & 1:
            n = IPI_BASE + (offset - CPU_IPI_DISPATCH) // 0x10
            self.idr[n] = 1
            self.irq_in(n, True)
            self.irq_in(n, False)

    # --- source registers ------------------------------------------------------------------

    def _is_level(self, n: int) -> bool:
        if n < EXTERNAL_SOURCES:
            return bool(self.ivpr[n] & IVPR_SENSE)
        return n < SOURCE_COUNT

    def _write_ivpr(self, n: int, value: int) -> None:
        value = self.ivpr[n] & IVPR_ACTIVITY | value & IVPR_WRITABLE
        if n >= SOURCE_COUNT:
            value &= ~(IVPR_POLARITY | IVPR_SENSE)
        elif n >= EXTERNAL_SOURCES:
            value &= ~IVPR_SENSE
        self.ivpr[n] = value
        self._update_source(n)

    def _write_idr(self, n: int, value: int) -> None:
        self.idr[n] = value & 1
        self._update_source(n)

    # --- arbitration -----------------------------------------------------------------------

    def _highest(self, sources: set[int]) -> int | None:
        """The source of highest priority, the lower number among equals."""
        if not sources:
            return None
        return min(sources, key=lambda n: (-_priority(self.ivpr[n]), n))

    def _ceiling(self, sources: set[int]) -> int:
        n = self._highest(sources)
        return -1 if n is None else _priority(self.ivpr[n])

    def _update_source(self, n: int) -> None:
        active = self.pending[n] and not self.ivpr[n] & IVPR_MASK
        was_active = bool(self.ivpr[n] & IVPR_ACTIVITY)
        if not active and not was_active:
            return
        if active:
            self.ivpr[n] |= IVPR_ACTIVITY
        else:
            self.ivpr[n] &= ~IVPR_ACTIVITY
        if not self.idr[n]:
            return
        target = self.target[n]
        if target != OUTPUT_INT:
            if active:
                self.critical_active.add(n)
            else:
                self.critical_active.discard(n)
            self._drive(target, any(self.target[s] == target for s in self.critical_active))
            return
        if active:
            self.raised.add(n)
        else:
            self.raised.discard(n)
        self._reevaluate_output()

    def _reevaluate_output(self) -> None:
        ceiling = self._ceiling(self.raised)
        self._drive(OUTPUT_INT, ceiling > self.ctpr and ceiling > self._ceiling(self.in_service))

    def _vector_to_acknowledge(self) -> int:
        n = self._highest(self.raised)
        if n is None or _priority(self.ivpr[n]) <= self.ctpr:
            return self.spvr
        return self.ivpr[n] & VECTOR_MASK

    def _drive(self, target: int, level: bool) -> None:
        if level != self.levels[target]:
            self.levels[target] = level
            line = self.lines[target]
            if line is not None:
                line.set(level)

    # --- snapshots -------------------------------------------------------------------------

    def save(self) -> dict[str, Any]:
        return {
            "gcr": self.gcr, "spvr": self.spvr, "ctpr": self.ctpr,
            "ivpr": list(self.ivpr), "idr": list(self.idr), "target": list(self.target),
            "pending": list(self.pending), "raised": sorted(self.raised),
            "in_service": sorted(self.in_service), "critical_active": sorted(self.critical_active),
            "timer_registers": list(self.timer_registers), "levels": dict(self.levels),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Puts every register back; output lines are not driven (the machine restores them)."""
        self.gcr, self.spvr, self.ctpr = state["gcr"], state["spvr"], state["ctpr"]
        for name in ("ivpr", "idr", "target", "pending", "timer_registers"):
            setattr(self, name, list(state[name]))
        for name in ("raised", "in_service", "critical_active"):
            setattr(self, name, set(state[name]))
        self.levels = dict(state["levels"])
