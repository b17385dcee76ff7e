"""The BookE timer facility (time base, DEC/DECAR, TCR/TSR, FIT, watchdog) driven by icount.

Guest time is a function of the instruction count so that runs repeat exactly and a snapshot
can be rewound: the time base advances ``ticks_per_instruction`` ticks per instruction (an
integer or a fraction; the tick count after ``n`` instructions is ``floor(n · rate)``) while
HID0[TBEN] is set, and the decrementer, fixed-interval timer and watchdog all run off it.

Nothing here runs per instruction. State is brought up to date lazily: every access names the
icount it happens at, and :meth:`next_event` tells the run loop (and ``wait``) the icount at
which the next interrupt condition appears, valid until the next timer SPR write or TBEN change.

Semantics (EREF / Power ISA Book III-E, bit positions from Linux's ``reg_booke.h``):

* DEC counts down at the time-base rate; the tick that takes it from 1 to 0 sets TSR[DIS] and,
  with TCR[ARE], loads DECAR instead of 0, so it fires every DECAR ticks. At 0 it stops.
* FIT: TCR[FPEXT]‖TCR[FP] names a time-base bit (0 = most significant); each 0→1 transition of
  that bit sets TSR[FIS]. (QEMU 7.2 fires on every transition of the bit below it, twice as
  often; neither U-Boot nor Linux on this board uses the FIT.)
* Watchdog: TCR[WPEXT]‖TCR[WP] names a bit likewise; its 0→1 transitions step TSR: first ENW,
  then WIS, then — with TCR[WRC] non-zero — a reset: TSR[WRS] takes WRC and
  :attr:`watchdog_reset` is set for the board to act on. TCR[WRC] cannot be cleared once set.
* TSR is write-one-to-clear.
* :meth:`pending` gives the interrupt levels: decrementer (DIS and DIE), fixed-interval (FIS and
  FIE), watchdog (WIS and WIE). They are levels: the core delivers them when MSR[EE] (MSR[CE]
  for the watchdog) allows and re-examines them after mtmsr, wrtee(i) and rfi.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

SPR_DEC = 22
SPR_DECAR = 54
SPR_TBL_READ = 268
SPR_TBU_READ = 269
SPR_TBL_WRITE = 284
SPR_TBU_WRITE = 285
SPR_TSR = 336
SPR_TCR = 340
READABLE_SPRS = frozenset({SPR_DEC, SPR_TBL_READ, SPR_TBU_READ, SPR_TSR, SPR_TCR})
WRITABLE_SPRS = frozenset({SPR_DEC, SPR_DECAR, SPR_TBL_WRITE, SPR_TBU_WRITE, SPR_TSR, SPR_TCR})

TCR_WP_MASK = 0xC0000000
TCR_WP_SHIFT = 30
TCR_WRC_MASK = 0x30000000
TCR_WRC_SHIFT = 28
TCR_WIE = 0x08000000
TCR_DIE = 0x04000000
TCR_FP_MASK = 0x03000000
TCR_FP_SHIFT = 24
TCR_FIE = 0x00800000
TCR_ARE = 0x00400000
TCR_WPEXT_MASK = 0x001E0000
TCR_WPEXT_SHIFT = 17
TCR_FPEXT_MASK = 0x0001E000
TCR_FPEXT_SHIFT = 13

TSR_ENW = 0x80000000
TSR_WIS = 0x40000000
TSR_WRS_MASK = 0x30000000
TSR_WRS_SHIFT = 28
TSR_DIS = 0x08000000
TSR_FIS = 0x04000000

HID0_TBEN = 0x00004000   # the HID0 bit whose changes the core reports with set_timebase_enabled

DECREMENTER = 1
FIXED_INTERVAL = 2
WATCHDOG = 4

WORD = 0xFFFFFFFF
TB_MASK = (1 << 64) - 1


def _selected_bit(tcr: int, mask: int, shift: int, ext_mask: int, ext_shift: int) -> int:
    """The time-base bit TCR selects, as a shift from the least significant end."""
    ibm_bit = (tcr & ext_mask) >> ext_shift << 2 | (tcr & mask) >> shift
    return 63 - ibm_bit


def _rises(bit: int, after: int, upto: int) -> int:
    """How many 0→1 transitions of ``bit`` the time base makes going from ``after`` to ``upto``."""
    half = 1 << bit
    return (upto - half) // (2 * half) - (after - half) // (2 * half)


def _ticks_to_rise(bit: int, tb: int) -> int:
    """Ticks from ``tb`` until ``bit`` next goes from 0 to 1."""
    half = 1 << bit
    return 1 + (half - tb - 1) % (2 * half)


class BookeTimers:
    """Time base and timers; ``ticks_per_instruction`` is an int or a positive fraction."""

    def __init__(self, ticks_per_instruction: int | Fraction = 1):
        rate = Fraction(ticks_per_instruction)
        if rate <= 0:
            raise ValueError(f"ticks_per_instruction must be positive, not {ticks_per_instruction}")
        self.rate_numerator = rate.numerator
        self.rate_denominator = rate.denominator
        self.anchor_icount = 0
        self.timebase = 0      # at the anchor; may exceed 64 bits internally, read modulo 2**64
        self.dec = 0           # at the anchor
        self.decar = 0
        self.tcr = 0
        self.tsr = 0
        self.enabled = False   # HID0[TBEN]
        self.watchdog_reset = 0   # WRC of a watchdog reset not yet taken by the board

    def ticks(self, icount: int) -> int:
        """Time-base ticks in ``icount`` instructions of running time base."""
        return icount * self.rate_numerator // self.rate_denominator

    def _icount_at_tick(self, tick: int) -> int:
        """The first icount whose tick count reaches ``tick``."""
        return -(-tick * self.rate_denominator // self.rate_numerator)

    # --- bringing the state up to date -----------------------------------------------------

    def _elapsed(self, icount: int) -> int:
        """Ticks from the anchor to ``icount``."""
        if icount < self.anchor_icount:
            raise ValueError(f"timers are at icount {self.anchor_icount}; cannot go back to {icount}"
                             " (restore a snapshot instead)")
        return self.ticks(icount) - self.ticks(self.anchor_icount) if self.enabled else 0

    def sync(self, icount: int) -> None:
        """Advances every timer to ``icount``, setting the status bits of what happened since."""
        elapsed = self._elapsed(icount)
        self.anchor_icount = icount
        if elapsed <= 0:
            return
        self._advance_decrementer(elapsed)
        before, self.timebase = self.timebase, self.timebase + elapsed
        if _rises(self._fit_bit(), before, self.timebase):
            self.tsr |= TSR_FIS
        for _ in range(min(3, _rises(self._watchdog_bit(), before, self.timebase))):
            self._watchdog_step()

    def _advance_decrementer(self, elapsed: int) -> None:
        if self.dec == 0 or elapsed < self.dec:
            self.dec = max(0, self.dec - elapsed)
            return
        self.tsr |= TSR_DIS
        if self.tcr & TCR_ARE and self.decar:
            self.dec = self.decar - (elapsed - self.dec) % self.decar
        else:
            self.dec = 0

    def _watchdog_step(self) -> None:
        if not self.tsr & TSR_ENW:
            self.tsr |= TSR_ENW
        elif not self.tsr & TSR_WIS:
            self.tsr |= TSR_WIS
        else:
            action = (self.tcr & TCR_WRC_MASK) >> TCR_WRC_SHIFT
            if action:
                self.tsr = self.tsr & ~TSR_WRS_MASK | action << TSR_WRS_SHIFT
                self.watchdog_reset = action

    def _fit_bit(self) -> int:
        return _selected_bit(self.tcr, TCR_FP_MASK, TCR_FP_SHIFT, TCR_FPEXT_MASK, TCR_FPEXT_SHIFT)

    def _watchdog_bit(self) -> int:
        return _selected_bit(self.tcr, TCR_WP_MASK, TCR_WP_SHIFT, TCR_WPEXT_MASK, TCR_WPEXT_SHIFT)

    # --- what the core asks ----------------------------------------------------------------

    def pending(self, icount: int) -> int:
        """Asserted interrupt conditions at ``icount``: DECREMENTER | FIXED_INTERVAL | WATCHDOG."""
        self.sync(icount)
        levels = 0
        if self.tsr & TSR_DIS and self.tcr & TCR_DIE:
            levels |= DECREMENTER
        if self.tsr & TSR_FIS and self.tcr & TCR_FIE:
            levels |= FIXED_INTERVAL
        if self.tsr & TSR_WIS and self.tcr & TCR_WIE:
            levels |= WATCHDOG
        return levels

    def next_event(self, icount: int) -> int | None:
        """The icount at which a new interrupt condition or a watchdog reset appears, if any."""
        self.sync(icount)
        if not self.enabled:
            return None
        waits = []
        if self.tcr & TCR_DIE and not self.tsr & TSR_DIS and self.dec:
            waits.append(self.dec)
        if self.tcr & TCR_FIE and not self.tsr & TSR_FIS:
            waits.append(_ticks_to_rise(self._fit_bit(), self.timebase))
        steps = []
        if self.tcr & TCR_WIE and not self.tsr & TSR_WIS:
            steps.append(1 if self.tsr & TSR_ENW else 2)
        if self.tcr & TCR_WRC_MASK and not self.watchdog_reset:
            steps.append(1 + (not self.tsr & TSR_ENW) + (not self.tsr & TSR_WIS))
        if steps:
            bit = self._watchdog_bit()
            waits.append(_ticks_to_rise(bit, self.timebase) + (min(steps) - 1) * (2 << bit))
        if not waits:
            return None
        return self._icount_at_tick(self.ticks(icount) + min(waits))

    def take_watchdog_reset(self) -> int:
        """The WRC action of a watchdog reset that happened (0 if none), which is then taken."""
        action, self.watchdog_reset = self.watchdog_reset, 0
        return action

    # --- registers -------------------------------------------------------------------------

    def read_timebase(self, icount: int) -> int:
        """The time base at ``icount``; reading it advances nothing (a delay loop reads it
        often, and the other timers follow when they are next looked at)."""
        return (self.timebase + self._elapsed(icount)) & TB_MASK

    def set_timebase_enabled(self, enabled: bool, icount: int) -> None:
        """HID0[TBEN] changed (or was written) at ``icount``."""
        self.sync(icount)
        self.enabled = bool(enabled)

    def read_spr(self, spr: int, icount: int) -> int:
        if spr == SPR_TBL_READ:
            return self.read_timebase(icount) & WORD
        if spr == SPR_TBU_READ:
            return self.read_timebase(icount) >> 32
        self.sync(icount)
        if spr == SPR_DEC:
            return self.dec
        if spr == SPR_TSR:
            return self.tsr
        if spr == SPR_TCR:
            return self.tcr
        raise ValueError(f"SPR {spr} is not a readable timer register")

    def write_spr(self, spr: int, value: int, icount: int) -> None:
        self.sync(icount)
        value &= WORD
        if spr == SPR_DEC:
            self.dec = value
        elif spr == SPR_DECAR:
            self.decar = value
        elif spr == SPR_TBL_WRITE:
            self.timebase = self.timebase & ~WORD | value
        elif spr == SPR_TBU_WRITE:
            self.timebase = self.timebase & WORD | value << 32
        elif spr == SPR_TSR:
            self.tsr &= ~value
        elif spr == SPR_TCR:
            wrc = self.tcr & TCR_WRC_MASK or value & TCR_WRC_MASK
            self.tcr = value & ~TCR_WRC_MASK | wrc
        else:
            raise ValueError(f"SPR {spr} is not a writable timer register")

    def reset(self, icount: int) -> None:
        """Core reset: TCR and TSR clear except TSR[WRS] (why the core reset); DEC stops."""
        self.sync(icount)
        self.tcr = 0
        self.tsr &= TSR_WRS_MASK
        self.dec = 0
        self.decar = 0

    # --- snapshots -------------------------------------------------------------------------

    _STATE = ("anchor_icount", "timebase", "dec", "decar", "tcr", "tsr", "enabled",
              "watchdog_reset")

    def save(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._STATE}

    def restore(self, state: dict[str, Any]) -> None:
        for name in self._STATE:
            setattr(self, name, state[name])
