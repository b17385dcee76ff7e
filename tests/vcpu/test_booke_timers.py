"""BookE timers as a function of the instruction count: TB, DEC/DECAR, TSR/TCR, FIT, watchdog."""
from __future__ import annotations

from fractions import Fraction

import pytest

from gdbstub.vcpu.booke_timers import (
    DECREMENTER, FIXED_INTERVAL, SPR_DEC, SPR_DECAR, SPR_TBL_READ, SPR_TBL_WRITE, SPR_TBU_READ,
    SPR_TBU_WRITE, SPR_TCR, SPR_TSR, TCR_ARE, TCR_DIE, TCR_FIE, TCR_WIE, TSR_DIS, TSR_ENW,
    TSR_FIS, TSR_WIS, TSR_WRS_MASK, WATCHDOG, BookeTimers,
)


def running(rate=1, at: int = 0) -> BookeTimers:
    timers = BookeTimers(rate)
    timers.set_timebase_enabled(True, at)
    return timers


def fit_tcr(ibm_bit: int) -> int:
    """TCR[FPEXT]||TCR[FP] selecting time-base bit ``ibm_bit`` (0 = most significant)."""
    return (ibm_bit >> 2) << 13 | (ibm_bit & 3) << 24


def watchdog_tcr(ibm_bit: int) -> int:
    return (ibm_bit >> 2) << 17 | (ibm_bit & 3) << 30


def test_bit_positions_are_reg_booke_h():
    assert (TCR_WIE, TCR_DIE, TCR_FIE, TCR_ARE) == (0x08000000, 0x04000000, 0x00800000, 0x00400000)
    assert (TSR_ENW, TSR_WIS, TSR_DIS, TSR_FIS) == (0x80000000, 0x40000000, 0x08000000, 0x04000000)
    assert TSR_WRS_MASK == 0x30000000


def test_time_base_advances_with_icount_only_while_tben():
    timers = BookeTimers(3)
    assert timers.read_timebase(100) == 0          # TBEN clear: stopped
    timers.set_timebase_enabled(True, 100)
    assert timers.read_timebase(110) == 30
    timers.set_timebase_enabled(False, 120)
    assert timers.read_timebase(1000) == 60
    timers.set_timebase_enabled(True, 1000)
    assert timers.read_timebase(1001) == 63


def test_fractional_rate_rounds_down_consistently():
    timers = running(Fraction(5, 2))
    assert [timers.read_timebase(n) for n in range(1, 6)] == [2, 5, 7, 10, 12]


def test_tbl_tbu_read_and_write_split_the_64_bit_time_base():
    timers = running(1)
    timers.write_spr(SPR_TBU_WRITE, 0x12345678, 0)
    timers.write_spr(SPR_TBL_WRITE, 0xFFFFFFFE, 0)
    assert timers.read_spr(SPR_TBU_READ, 3) == 0x12345679
    assert timers.read_spr(SPR_TBL_READ, 3) == 0x00000001
    timers.write_spr(SPR_TBU_WRITE, 0xFFFFFFFF, 3)
    timers.write_spr(SPR_TBL_WRITE, 0xFFFFFFFF, 3)
    assert timers.read_timebase(4) == 0            # wraps at 64 bits


def test_decrementer_counts_down_and_1_to_0_sets_dis():
    timers = running(2)
    timers.write_spr(SPR_DEC, 10, 0)
    assert timers.read_spr(SPR_DEC, 4) == 2
    assert not timers.read_spr(SPR_TSR, 4) & TSR_DIS
    assert timers.read_spr(SPR_DEC, 5) == 0
    assert timers.read_spr(SPR_TSR, 5) & TSR_DIS
    assert timers.read_spr(SPR_DEC, 50) == 0       # stops at zero without ARE


def test_decrementer_interrupt_is_a_level_gated_by_die_and_cleared_by_w1c():
    timers = running(1)
    timers.write_spr(SPR_DEC, 5, 0)
    assert timers.pending(10) == 0                 # DIS set, DIE clear
    timers.write_spr(SPR_TCR, TCR_DIE, 10)
    assert timers.pending(10) == DECREMENTER
    assert timers.pending(11) == DECREMENTER       # a level: it stays until cleared
    timers.write_spr(SPR_TSR, TSR_FIS, 11)         # writing other bits leaves DIS
    assert timers.pending(11) == DECREMENTER
    timers.write_spr(SPR_TSR, TSR_DIS, 11)
    assert timers.pending(11) == 0


def test_auto_reload_fires_every_decar_ticks():
    timers = running(1)
    timers.write_spr(SPR_DECAR, 100, 0)
    timers.write_spr(SPR_TCR, TCR_ARE | TCR_DIE, 0)
    timers.write_spr(SPR_DEC, 10, 0)
    assert timers.read_spr(SPR_DEC, 10) == 100     # reloaded on the tick that would reach 0
    assert timers.pending(10) == DECREMENTER
    timers.write_spr(SPR_TSR, TSR_DIS, 10)
    assert timers.next_event(10) == 110
    assert timers.read_spr(SPR_DEC, 109) == 1
    assert timers.pending(109) == 0
    assert timers.pending(110) == DECREMENTER
    assert timers.read_spr(SPR_DEC, 135) == 75


def test_dec_and_timers_freeze_while_tben_is_clear():
    timers = running(1)
    timers.write_spr(SPR_DEC, 10, 0)
    timers.set_timebase_enabled(False, 4)
    assert timers.read_spr(SPR_DEC, 1000) == 6
    timers.write_spr(SPR_TCR, TCR_DIE, 1000)
    assert timers.next_event(1000) is None
    timers.set_timebase_enabled(True, 1000)
    assert timers.next_event(1000) == 1006


def test_next_event_converts_ticks_back_to_the_first_icount_reaching_them():
    timers = running(Fraction(7, 3))
    timers.write_spr(SPR_TCR, TCR_DIE, 0)
    timers.write_spr(SPR_DEC, 100, 0)
    event = timers.next_event(0)
    assert timers.ticks(event) >= 100 > timers.ticks(event - 1)
    assert timers.pending(event - 1) == 0
    assert timers.pending(event) == DECREMENTER


def test_next_event_ignores_conditions_that_cannot_interrupt():
    timers = running(1)
    timers.write_spr(SPR_DEC, 10, 0)
    assert timers.next_event(0) is None            # no DIE, no FIE, no watchdog armed


def test_fit_sets_fis_on_each_rise_of_the_selected_bit():
    timers = running(1)
    timers.write_spr(SPR_TCR, fit_tcr(63 - 4) | TCR_FIE, 0)   # bit of weight 16
    assert timers.next_event(0) == 16
    assert timers.pending(15) == 0
    assert timers.pending(16) == FIXED_INTERVAL
    timers.write_spr(SPR_TSR, TSR_FIS, 16)
    assert timers.next_event(16) == 48             # next 0->1 of that bit: period 32
    assert timers.pending(47) == 0
    assert timers.pending(48) == FIXED_INTERVAL


def test_fit_period_extension_bits_select_high_bits():
    timers = running(1)
    timers.write_spr(SPR_TCR, fit_tcr(63 - 20) | TCR_FIE, 0)
    assert timers.next_event(0) == 1 << 20


def test_watchdog_steps_enw_then_wis_then_resets_with_wrc():
    # rises of the weight-8 bit come at 8, 24, 40: ENW at 8, WIS at 24, the reset at 40
    timers = running(1)
    timers.write_spr(SPR_TCR, watchdog_tcr(63 - 3) | TCR_WIE | 2 << 28, 0)
    assert timers.next_event(0) == 24
    assert timers.read_spr(SPR_TSR, 8) == TSR_ENW
    assert timers.pending(23) == 0
    assert timers.pending(24) == WATCHDOG
    assert timers.read_spr(SPR_TSR, 24) == TSR_ENW | TSR_WIS
    assert timers.next_event(24) == 40             # now only the reset is ahead
    assert timers.take_watchdog_reset() == 0
    assert timers.read_spr(SPR_TSR, 40) & TSR_WRS_MASK == 2 << 28
    assert timers.take_watchdog_reset() == 2
    assert timers.take_watchdog_reset() == 0


def test_servicing_the_watchdog_by_clearing_enw_postpones_it():
    timers = running(1)
    timers.write_spr(SPR_TCR, watchdog_tcr(63 - 3) | TCR_WIE, 0)
    for now in (8, 24, 40, 56):
        timers.write_spr(SPR_TSR, TSR_ENW, now)
    assert timers.pending(60) == 0


def test_wrc_cannot_be_cleared_once_set():
    timers = running(1)
    timers.write_spr(SPR_TCR, 1 << 28, 0)
    timers.write_spr(SPR_TCR, TCR_DIE, 0)
    assert timers.read_spr(SPR_TCR, 0) == TCR_DIE | 1 << 28


def test_many_periods_at_once_are_counted_not_looped():
    # DECAR = DEC = 3: underflows at ticks 3, 6, 9, ..., so DEC at tick t is 3 - (t - 3) % 3
    for now, dec in ((10, 2), (11, 1), (12, 3), (10**15, 2)):
        timers = running(1)
        timers.write_spr(SPR_DECAR, 3, 0)
        timers.write_spr(SPR_TCR, TCR_ARE, 0)
        timers.write_spr(SPR_DEC, 3, 0)
        assert timers.read_spr(SPR_DEC, now) == dec


def test_icount_cannot_go_backwards():
    timers = running(1)
    timers.read_spr(SPR_DEC, 100)                  # reading DEC brings the timers to 100
    with pytest.raises(ValueError, match="snapshot"):
        timers.read_timebase(99)


def test_reading_the_time_base_advances_nothing():
    """A read of TB is the time base then, and leaves the timers where they are: the
    decrementer that expires in between is seen when it is looked at, as if read then."""
    timers, read = running(1), running(1)
    for t in (timers, read):
        t.write_spr(SPR_DEC, 50, 0)
    assert read.read_spr(SPR_TBL_READ, 80) == 80 and read.read_timebase(90) == 90
    assert read.anchor_icount == 0
    assert [read.read_spr(SPR_DEC, 100), read.tsr] == [timers.read_spr(SPR_DEC, 100), timers.tsr]


def test_unknown_sprs_and_bad_rates_are_clear_errors():
    timers = running(1)
    with pytest.raises(ValueError):
        timers.read_spr(SPR_DECAR, 0)              # DECAR is write-only
    with pytest.raises(ValueError):
        timers.write_spr(SPR_TBL_READ, 0, 0)
    with pytest.raises(ValueError):
        BookeTimers(0)


def test_save_and_restore_rewind_exactly():
    timers = running(Fraction(3, 2))
    timers.write_spr(SPR_DECAR, 50, 0)
    timers.write_spr(SPR_TCR, TCR_ARE | TCR_DIE | fit_tcr(58) | TCR_FIE, 0)
    timers.write_spr(SPR_DEC, 20, 0)
    timers.pending(30)
    state = timers.save()
    later = [(timers.read_spr(SPR_DEC, n), timers.pending(n), timers.read_spr(SPR_TSR, n))
             for n in (40, 90, 400)]
    timers.restore(state)
    assert [(timers.read_spr(SPR_DEC, n), timers.pending(n), timers.read_spr(SPR_TSR, n))
            for n in (40, 90, 400)] == later
    other = BookeTimers(Fraction(3, 2))
    other.restore(state)
    assert other.save() == state


def test_core_reset_keeps_only_the_reset_status():
    timers = running(1)
    timers.write_spr(SPR_TCR, watchdog_tcr(63) | 3 << 28, 0)   # weight-1 bit, WRC=3
    timers.read_spr(SPR_TSR, 10)
    assert timers.take_watchdog_reset() == 3
    timers.reset(10)
    assert timers.read_spr(SPR_TCR, 10) == 0
    assert timers.read_spr(SPR_TSR, 10) == 3 << 28
