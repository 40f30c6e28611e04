"""揭榜挂帅 arithmetic (pure): shares and weights add up exactly, funding adds up to the bounty, amounts to the fen."""
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from marketplace.challenges import calc

D = Decimal


def test_shares_must_make_exactly_100():
    calc.check_shares([D("33.33"), D("33.33"), D("33.34")])
    with pytest.raises(calc.CalcError, match="合计应为 100%"):
        calc.check_shares([D("33.33"), D("33.33"), D("33.33")])
    with pytest.raises(calc.CalcError, match="两位小数|2位小数"):
        calc.check_shares([D("33.333"), D("66.667")])
    with pytest.raises(calc.CalcError):
        calc.check_shares([D("0"), D("100")])
    with pytest.raises(calc.CalcError):
        calc.check_shares([])


def test_weights_are_whole_numbers_adding_to_100():
    calc.check_weights([50, 30, 20])
    for bad in ([50, 30], [50, 30, 21], [100, 0], [True, 99], ["50", 50], [50.0, 50]):
        with pytest.raises(calc.CalcError):
            calc.check_weights(bad)


def test_funding_adds_up_to_the_bounty_to_the_fen():
    calc.check_funding(D("1000000.00"), D("700000.00"), D("300000.00"))
    calc.check_funding(D("100.01"), D("100.01"), None)
    with pytest.raises(calc.CalcError, match="之和应等于悬赏金额"):
        calc.check_funding(D("1000000.00"), D("700000.00"), D("299999.99"))
    with pytest.raises(calc.CalcError):
        calc.check_funding(None, D("1"), None)
    calc.check_funding(None, None, None)


@given(total=st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2),
       cuts=st.lists(st.integers(1, 9999), min_size=1, max_size=8))
def test_milestone_amounts_add_up_to_the_total(total, cuts):
    # shares with two decimals adding to exactly 100.00
    raw = [D(c) for c in cuts]
    shares = [(x * 100 / sum(raw)).quantize(D("0.01"), rounding="ROUND_DOWN") for x in raw]
    shares[-1] += D(100) - sum(shares)
    if any(s <= 0 for s in shares):
        return
    amounts = calc.milestone_amounts(total, shares)
    assert sum(amounts) == total
    assert all(a == a.quantize(D("0.01")) and a >= 0 for a in amounts)
    for a, s in zip(amounts, shares):
        assert abs(a - total * s / 100) < D("0.01")


def test_milestone_amounts_of_a_third():
    assert calc.milestone_amounts(D("100.00"), [D("33.33"), D("33.33"), D("33.34")]) == [D("33.33"), D("33.33"), D("33.34")]
    assert calc.milestone_amounts(D("0.10"), [D("33.33"), D("33.33"), D("33.34")]) == [D("0.03"), D("0.03"), D("0.04")]


def test_weighted_scores_and_average():
    assert calc.weighted({1: 80, 2: 90}, {1: 60, 2: 40}) == D("84.00")
    assert calc.weighted({1: 77, 2: 0, 3: 100}, {1: 33, 2: 33, 3: 34}) == D("59.41")
    with pytest.raises(calc.CalcError):
        calc.weighted({1: 80}, {1: 60, 2: 40})
    assert calc.average([D("84.00"), D("75.50")]) == D("79.75")
    assert calc.average([]) is None
