"""Commission and reward maths (marketplace/commissions/calc.py): property tests and known figures."""
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from marketplace.commissions import calc
from marketplace.commissions.calc import Basis, Tier

D = Decimal
fen_amounts = st.integers(min_value=0, max_value=10**11).map(lambda n: D(n) / 100)
positive = st.integers(min_value=1, max_value=10**11).map(lambda n: D(n) / 100)
rates = st.integers(min_value=1, max_value=100_0000).map(lambda n: D(n) / 10000)  # 0.0001–100 %
caps = st.one_of(st.none(), fen_amounts)
TIERS = (Tier(D(100000), D(1)), Tier(D(1000000), D("0.5")), Tier(None, D("0.1")))


@st.composite
def share_maps(draw, max_size=6):
    """Percentages with two places adding up to exactly 100."""
    n = draw(st.integers(1, max_size))
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=n - 1, max_size=n - 1)))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [10000])]
    return {f"k{i}": D(p) / 100 for i, p in enumerate(parts)}


@st.composite
def bases(draw):
    kind = draw(st.sampled_from(["contract", "received", "fixed", "tiered"]))
    cap = draw(caps)
    if kind == "fixed":
        return Basis(kind, fee=draw(positive), cap=cap)
    if kind == "tiered":
        return Basis(kind, tiers=TIERS, cap=cap)
    return Basis(kind, rate=draw(rates), cap=cap)


@given(bases(), st.lists(positive, min_size=1, max_size=12))
def test_the_accruals_of_a_fully_paid_contract_equal_the_commission_on_the_whole(b, payments):
    received, total = D(0), D(0)
    for p in payments:
        a = calc.accrual_for_payment(b, received, p)
        assert a >= 0 and a == a.quantize(calc.FEN)
        total += a
        received += p
        if b.cap is not None:  # never beyond the cap, at any point
            assert total <= b.cap
    assert total == calc.commission_on(b, sum(payments, D(0)))


@given(bases(), fen_amounts)
def test_a_cap_is_never_exceeded(b, amount):
    c = calc.commission_on(b, amount)
    assert c >= 0
    if b.cap is not None:
        assert c <= b.cap


@given(fen_amounts, fen_amounts)
def test_tiers_are_monotone_and_marginal(a, b):
    lo, hi = sorted((a, b))
    assert calc.tiered(lo, TIERS) <= calc.tiered(hi, TIERS)
    # a marginal scheme never pays more for the part above a bracket than the bracket below it
    assert calc.tiered(hi, TIERS) - calc.tiered(lo, TIERS) <= calc.fen((hi - lo) / 100) + D("0.01")


def test_tiers_known_figures():
    assert calc.tiered(D(100000), TIERS) == D("1000.00")
    assert calc.tiered(D(500000), TIERS) == D("3000.00")        # 1000 + 400000 × 0.5%
    assert calc.tiered(D(3000000), TIERS) == D("7500.00")       # 1000 + 4500 + 2000000 × 0.1%
    assert calc.tiered(D("123456.78"), TIERS) == D("1117.28")   # 1000 + 23456.78 × 0.5% = 1117.2839
    with pytest.raises(calc.CalcError):
        calc.check_tiers((Tier(D(100), D(1)), Tier(D(50), D(1))))
    with pytest.raises(calc.CalcError):
        calc.check_tiers((Tier(None, D(1)), Tier(D(50), D(1))))


@given(st.integers(-10**11, 10**11).map(lambda n: D(n) / 100), share_maps())
def test_splits_add_up_to_the_fen(total, shares):
    parts = calc.split(total, shares)
    assert sum(parts.values(), D(0)) == calc.fen(total)
    assert all(p == p.quantize(calc.FEN) for p in parts.values())
    # each share is within a fen of its exact value
    assert all(abs(parts[k] - total * shares[k] / 100) < D("0.01") for k in shares)


@given(fen_amounts, share_maps(3), share_maps(4))
def test_allocation_between_payers_and_brokers_adds_up(total, payers, brokers):
    out = calc.allocate(total, payers, brokers)
    assert sum(out.values(), D(0)) == total
    assert len(out) == len(payers) * len(brokers)


@given(st.lists(st.tuples(st.sampled_from(["accrual", "confirmation", "payment"]), fen_amounts), max_size=10),
       st.sampled_from(["accrual", "confirmation", "payment"]), fen_amounts)
def test_a_reversal_returns_the_balance_to_where_it_was(entries, kind, amount):
    before = calc.balance(entries)
    after = calc.balance(entries + [(kind, amount), (kind, calc.reverse(amount))])
    assert after == before


def test_payer_shares_and_validation():
    assert calc.payer_shares("both", D(60)) == {"seller": D(60), "buyer": D(40)}
    for payer, share in (("both", None), ("both", D(100)), ("nobody", None)):
        with pytest.raises(calc.CalcError):
            calc.payer_shares(payer, share)
    with pytest.raises(calc.CalcError):
        calc.validate(Basis("contract", rate=D(0)))
    with pytest.raises(calc.CalcError):
        calc.validate(Basis("fixed", fee=D("1.001")))
    with pytest.raises(calc.CalcError):
        calc.validate(Basis("equity", equity_mode="percent"))


def test_equity_is_recorded_as_equity_not_cash():
    b = Basis("equity", equity_mode="percent", equity_percent=D(5))
    assert calc.commission_on(b, D(2000000)) == D("0.00")
    eq = calc.equity_commission(b, seller_equity_percent=D(20), seller_equity_value=D(2000000))
    assert eq.company_percent == D("1.000000") and eq.value == D("100000.00") and eq.shares is None
    shares = calc.equity_commission(Basis("equity", equity_mode="shares", equity_shares=D(50000)))
    assert shares.shares == D(50000) and shares.value == D("0.00")


def test_rewards_known_figures_and_annual_cap():
    assert calc.reward_for_contract("tiered", D(500000), TIERS) == D("3000.00")
    assert calc.reward_for_contract("base_permille", D(800000), base=D(2000), permille=D(5)) == D("6000.00")
    assert calc.apply_annual_cap([D(30000), D(25000), D(1000)], D(50000)) == [D(30000), D(20000), D(0)]
    assert calc.apply_annual_cap([D("1.50")], None) == [D("1.50")]


@given(st.lists(fen_amounts, max_size=8), caps)
def test_an_annual_cap_is_never_exceeded(amounts, cap):
    out = calc.apply_annual_cap(amounts, cap)
    assert all(0 <= o <= a for o, a in zip(out, amounts))
    if cap is not None:
        assert sum(out, D(0)) <= cap
        assert sum(out, D(0)) == min(cap, sum(amounts, D(0)))
