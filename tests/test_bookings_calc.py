"""Booking arithmetic without an app: opening hours, the slots of a day (blackouts, past, taken, horizon),
available hours of a year, fees exact to the fen."""
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, strategies as st

from marketplace.bookings import calc

HOURS = {"1": "09:00-12:00,14:00-17:00", "2": "09:00-12:00,14:00-17:00", "6": "09:00-11:30"}
MONDAY = date(2026, 12, 7)


def test_opening_hours_are_parsed_and_normalised():
    assert calc.parse_day("9:00-12:00， 14:00-17:30") == [(540, 720), (840, 1050)]
    assert calc.parse_day("９：００－１２：００，１４:００～１７：３０") == [(540, 720), (840, 1050)]  # full-width, as typed
    assert calc.parse_day("9：00-12：00") == [(540, 720)]  # a full-width colon alone, the commonest
    assert calc.normalise_hours({"1": "9:00-12:00", 3: "13:00 - 18:00"}) == {
        "1": "09:00-12:00", "2": "", "3": "13:00-18:00", "4": "", "5": "", "6": "", "7": ""}


@pytest.mark.parametrize("bad", ["9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", "25:00-26:00", "09:60-10:00",
                                 "08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00,16:00-17:00", "abc"])
def test_bad_opening_hours_are_refused(bad):
    with pytest.raises(calc.HoursError):
        calc.parse_day(bad)


@pytest.mark.parametrize("raw", [{}, {"8": "09:00-10:00"}, {"1": ""}, ["09:00-10:00"]])
def test_opening_hours_need_a_day(raw):
    with pytest.raises(calc.HoursError):
        calc.normalise_hours(raw)


def test_slots_follow_opening_hours_whole_slots_only():
    starts = [s.strftime("%H:%M") for s, _ in calc.opening_slots(HOURS, MONDAY, 60)]
    assert starts == ["09:00", "10:00", "11:00", "14:00", "15:00", "16:00"]
    saturday = MONDAY.replace(day=12)
    assert [s.strftime("%H:%M") for s, _ in calc.opening_slots(HOURS, saturday, 60)] == ["09:00", "10:00"]  # 11:00-11:30 is not a whole slot
    assert calc.opening_slots(HOURS, MONDAY.replace(day=9), 60) == []  # Wednesday: closed
    assert len(calc.opening_slots(HOURS, MONDAY, 30)) == 12


def test_slot_states_past_taken_blackout_and_horizon():
    now = datetime(2026, 12, 7, 10, 30)
    taken = {datetime(2026, 12, 7, 14, 0)}
    states = {s.start.strftime("%H:%M"): s.state for s in calc.day_slots(HOURS, MONDAY, 60, taken=taken, now=now)}
    assert states == {"09:00": "past", "10:00": "past", "11:00": "free", "14:00": "taken", "15:00": "free",
                      "16:00": "free"}
    closed = calc.day_slots(HOURS, MONDAY, 60, blackouts={MONDAY}, now=datetime(2026, 12, 1, 8, 0))
    assert {s.state for s in closed} == {"closed"}
    far = calc.day_slots(HOURS, MONDAY, 60, now=datetime(2026, 11, 1, 8, 0), advance_days=30)
    assert {s.state for s in far} == {"far"} and not any(s.bookable for s in far)


def test_available_hours_count_opening_hours_minus_blackouts():
    # 2026: 52 Mondays, 52 Tuesdays, 52 Saturdays (1 January 2026 is a Thursday)
    full = calc.available_hours(HOURS, 60, date(2026, 1, 1), date(2026, 12, 31))
    assert full == Decimal(52 * 6 + 52 * 6 + 52 * 2)
    less = calc.available_hours(HOURS, 60, date(2026, 1, 1), date(2026, 12, 31), {MONDAY, date(2026, 12, 9)})
    assert less == full - 6  # the Wednesday blackout changes nothing: closed anyway
    assert calc.available_hours(HOURS, 120, MONDAY, MONDAY) == Decimal(4)  # 09-11, 14-16: whole 2-hour slots


def test_fee_kinds():
    assert calc.fee("hours", Decimal("300.00"), Decimal("2.5")) == Decimal("750.00")
    assert calc.fee("samples", Decimal("180.00"), samples=7) == Decimal("1260.00")
    assert calc.fee("quoted", None, Decimal(3)) is None
    assert calc.fee("hours", Decimal("333.33"), Decimal("0.33")) == Decimal("110.00")  # 109.9989 → half-up


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
hours = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


@given(prices, hours)
def test_hourly_fee_is_exact_to_the_fen(price, h):
    out = calc.fee("hours", price, h)
    exact = price * h
    assert out.as_tuple().exponent == -2
    assert abs(out - exact) <= Decimal("0.005")
    assert out == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(f"{out:.2f}") == out  # the API's string says the same amount


@given(prices, st.integers(min_value=0, max_value=100000))
def test_sample_fee_is_price_times_count_exactly(price, n):
    assert calc.fee("samples", price, samples=n) == price * n


@given(st.lists(st.tuples(prices, hours), min_size=1, max_size=30))
def test_yearly_income_adds_up_to_the_fen(rows):
    fees = [calc.fee("hours", p, h) for p, h in rows]
    total = sum(fees, Decimal("0.00"))
    assert total == sum((Decimal(f"{x:.2f}") for x in fees), Decimal("0.00"))
    assert total.as_tuple().exponent == -2
