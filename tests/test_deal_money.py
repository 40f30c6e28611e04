"""The pure deal-money module: schedules, royalties, allocation, status, splits (hypothesis where it helps)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.contracts import money
from marketplace.contracts.money import Line, MilestoneTerm, MoneyError, Terms

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@settings(max_examples=300)
@given(amounts, st.integers(1, 60), st.integers(0, 36), st.integers(1, 12), dates)
def test_deferred_instalments_add_up_to_the_fee(fee, n, defer, interval, start):
    items = money.schedule(Terms(kind="deferred", amount=fee, instalments=n, defer_months=defer,
                                 interval_months=interval), start)
    assert len(items) == n and money.schedule_total(items) == fee
    assert all(i.amount >= 0 and i.amount == money.fen(i.amount) for i in items)
    assert [i.due_on for i in items] == sorted(i.due_on for i in items)
    assert items[0].due_on == money.add_months(start, defer)
    assert max(i.amount for i in items) - min(i.amount for i in items) < Decimal("0.01") * n


def test_each_term_kind_makes_its_schedule():
    start = date(2026, 1, 31)
    lump = money.schedule(Terms(kind="lump_sum", amount=Decimal("100000"), due_days=15), start)
    assert [(i.kind, i.amount, i.due_on) for i in lump] == [("lump_sum", Decimal("100000.00"), date(2026, 2, 15))]
    deferred = money.schedule(Terms(kind="deferred", amount=Decimal("100000"), defer_months=1, instalments=3,
                                    interval_months=1), start)
    assert [i.amount for i in deferred] == [Decimal("33333.33"), Decimal("33333.33"), Decimal("33333.34")]
    assert [i.due_on for i in deferred] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    zero = money.schedule(Terms(kind="zero_threshold", royalty_rate=Decimal("3"), milestones=(
        MilestoneTerm("中试完成", Decimal("50000"), "中试报告通过验收"),
        MilestoneTerm("首批量产", Decimal("80000"), due_on=date(2027, 6, 30)))), start)
    assert [(i.kind, i.amount, i.due_on) for i in zero] == [
        ("milestone", Decimal("50000.00"), None), ("milestone", Decimal("80000.00"), date(2027, 6, 30))]
    assert money.schedule_total(zero) == Decimal("130000.00")  # no entry fee: nothing else is due up front
    equity = money.schedule(Terms(kind="equity", amount=Decimal("2000000"), equity_percent=Decimal("15")), start)
    assert equity[0].kind == "equity" and "15%" in equity[0].label


@pytest.mark.parametrize("terms, field", [
    (Terms(kind="lump_sum", amount=Decimal("-1")), "amount"),
    (Terms(kind="lump_sum", amount=Decimal("1.001")), "amount"),
    (Terms(kind="zero_threshold", royalty_rate=Decimal("120")), "royalty_rate"),
    (Terms(kind="zero_threshold", royalty_rate=Decimal("3"), royalty_min=Decimal("9"), royalty_cap=Decimal("5")),
     "royalty_min"),
    (Terms(kind="zero_threshold"), "royalty_rate"),
    (Terms(kind="deferred", amount=Decimal("10"), instalments=0), "instalments"),
    (Terms(kind="equity", amount=Decimal("10")), "equity_percent"),
    (Terms(kind="barter"), "kind"),
])
def test_bad_terms_are_refused_with_the_field(terms, field):
    with pytest.raises(MoneyError) as err:
        money.schedule(terms, date(2026, 1, 1))
    assert err.value.field == field and str(err.value)


@settings(max_examples=300)
@given(st.decimals(min_value=0, max_value=Decimal("1e9"), places=2), percents,
       st.decimals(min_value=0, max_value=Decimal("1e7"), places=2),
       st.one_of(st.none(), st.decimals(min_value=0, max_value=Decimal("1e7"), places=2)))
def test_royalty_is_never_negative_and_respects_the_cap(sales, rate, already, cap):
    due = money.royalty_for_report(sales, rate, already, cap)
    assert due >= 0 and due == money.fen(due)
    assert due <= money.fen(sales * rate / 100)
    if cap is not None:
        assert already + due <= max(cap, already)


@given(st.lists(st.decimals(min_value=0, max_value=Decimal("1e6"), places=2), max_size=4),
       st.decimals(min_value=0, max_value=Decimal("1e6"), places=2))
def test_minimum_top_up_reaches_the_minimum_exactly(royalties, minimum):
    total = sum(royalties, Decimal(0))
    top = money.minimum_top_up(total, minimum)
    assert top >= 0 and (total + top == minimum if total < minimum else top == 0)


def test_royalty_rounds_half_up_once():
    assert money.royalty_for_report(Decimal("1000.50"), Decimal("2.5"), 0) == Decimal("25.01")  # 25.0125
    assert money.royalty_for_report(Decimal("333.30"), Decimal("1.5"), 0) == Decimal("5.00")    # 4.9995
    with pytest.raises(MoneyError):
        money.royalty_for_report(Decimal("-1"), Decimal("3"), 0)


def test_report_periods_must_be_whole_and_reported_once():
    start = date(2026, 1, 1)
    money.check_period(start, "quarter", date(2026, 4, 1), date(2026, 6, 30), [date(2026, 1, 1)])
    with pytest.raises(MoneyError, match="重复"):
        money.check_period(start, "quarter", date(2026, 1, 1), date(2026, 3, 31), [date(2026, 1, 1)])
    with pytest.raises(MoneyError, match="完整周期"):
        money.check_period(start, "quarter", date(2026, 2, 1), date(2026, 4, 30), [])
    with pytest.raises(MoneyError, match="早于"):
        money.check_period(start, "quarter", date(2025, 10, 1), date(2025, 12, 31), [])
    assert money.licence_year(start, date(2026, 12, 31)) == 0 and money.licence_year(start, date(2027, 1, 1)) == 1


@given(st.lists(amounts, min_size=1, max_size=8), st.decimals(min_value=0, max_value=Decimal("1e9"), places=2))
def test_allocation_never_pays_more_than_due_or_received(dues, received):
    lines = [Line(i, a, date(2026, 1, 1) + timedelta(days=30 * i)) for i, a in enumerate(dues)]
    paid = money.allocate(lines, received)
    assert sum(paid.values()) == min(received, sum(dues))
    assert all(0 <= paid[line.key] <= line.amount for line in lines)
    # earliest first: a later line is paid only when every earlier one is paid in full
    for a, b in zip(lines, lines[1:]):
        assert paid[b.key] == 0 or paid[a.key] == a.amount


def test_status_on_a_given_date():
    d = date(2026, 3, 31)
    assert money.line_status(100, 0, d, date(2026, 3, 30)) == "not_due"
    assert money.line_status(100, 0, d, d) == "due"
    assert money.line_status(100, 0, d, date(2026, 4, 1)) == "overdue"
    assert money.line_status(100, 40, d, date(2026, 3, 1)) == "partly_paid"
    assert money.line_status(100, 40, d, date(2026, 4, 1)) == "overdue"
    assert money.line_status(100, 100, d, date(2030, 1, 1)) == "paid"
    assert money.line_status(100, 0, None, date(2030, 1, 1)) == "waiting"
    assert money.deal_status(["paid", "overdue", "not_due"]) == "overdue"
    assert money.deal_status(["paid", "not_due"]) == "partly_paid"
    assert money.deal_status(["paid", "paid"]) == "paid"


@settings(max_examples=300)
@given(st.decimals(min_value=0, max_value=Decimal("1e9"), places=2),
       st.lists(st.integers(0, 10000), min_size=1, max_size=6))
def test_split_adds_up_to_the_fen(total, weights):
    if sum(weights) == 0:
        weights[0] = 1
    # percentages with two decimals that add up to exactly 100
    raw = [Decimal(w) * 100 / sum(weights) for w in weights]
    pcts = [r.quantize(Decimal("0.01"), rounding="ROUND_DOWN") for r in raw]
    pcts[0] += Decimal(100) - sum(pcts)
    shares = money.split(total, {f"p{i}": p for i, p in enumerate(pcts)})
    assert sum(shares.values()) == total and all(v >= 0 for v in shares.values())
    for i, p in enumerate(pcts):
        assert abs(shares[f"p{i}"] - total * p / 100) < Decimal("0.01")


def test_split_refuses_bad_shares_and_warns_below_70():
    with pytest.raises(MoneyError, match="100%"):
        money.split(100, {"team": 60, "inst": 30})
    with pytest.raises(MoneyError, match="负数"):
        money.split(100, {"team": 110, "inst": -10})
    assert money.split(Decimal("100.00"), {"a": Decimal("33.33"), "b": Decimal("33.33"), "c": Decimal("33.34")}) == {
        "a": Decimal("33.33"), "b": Decimal("33.33"), "c": Decimal("33.34")}
    assert money.team_warning(69) and money.team_warning(Decimal("70")) is None


@pytest.mark.parametrize("d, years, expected", [
    (date(2024, 2, 29), 3, date(2021, 2, 28)), (date(2023, 3, 1), 3, date(2020, 3, 1)),
    (date(2026, 11, 22), 3, date(2023, 11, 22))])
def test_years_before_handles_29_february(d, years, expected):
    assert money.years_before(d, years) == expected


two_place_weights = st.lists(st.integers(1, 10000), min_size=1, max_size=7)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("1e9"), places=2), two_place_weights)
def test_shown_shares_and_amounts_agree_and_add_up(total, weights):
    """The percentages stored and shown are the ones the amounts were computed from: both add up exactly
    (100.00 and the total to the fen) and every amount is its shown share of the total, within a fen."""
    cents = [w * 10000 // sum(weights) for w in weights]  # hundredths of a percent
    cents[0] += 10000 - sum(cents)
    given_pcts = {f"p{i}": Decimal(c) / 100 for i, c in enumerate(cents)}
    shares = money.split_shares(total, given_pcts)
    assert list(shares) == list(given_pcts)
    assert sum(s.percent for s in shares.values()) == Decimal("100.00")
    assert sum(s.amount for s in shares.values()) == total
    for name, s in shares.items():
        assert s.percent == given_pcts[name] and s.percent == s.percent.quantize(Decimal("0.01"))
        assert s.amount == money.fen(s.amount) and s.amount >= 0
        assert abs(s.amount - total * s.percent / 100) < Decimal("0.01")


@pytest.mark.parametrize("pcts", [
    {"a": Decimal("33.3333"), "b": Decimal("33.3333"), "c": Decimal("33.3334")},
    {"a": Decimal("33.333"), "b": Decimal("66.667")},
])
def test_shares_finer_than_stored_are_refused_not_cut(pcts):
    with pytest.raises(MoneyError, match="2位小数"):
        money.split_shares(Decimal("100"), pcts)
