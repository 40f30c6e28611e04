"""The broker credit score and its helpers: pure functions, no app."""
from decimal import Decimal

from marketplace.brokers import calc


def test_credit_score_on_a_constructed_example():
    p = calc.Performance(introductions=6, signed=3, failed=1, contracts=4, registered=2,
                         value=Decimal("990000"), received=Decimal("495000"), days_to_sign=[30, 90, 200],
                         ratings=[5, 4], training_hours=Decimal("20"), commission=Decimal("30000"))
    score, parts = calc.credit_score(p)
    got = {c["key"]: c["points"] for c in parts}
    # deals 25×2/10 = 5; value 10×log10(1+99)/3 = 6.67 → 6.7; cash 15×0.5 = 7.5; commission 3万:
    # 5×log10(1+3)/1.5 = 2.007 → 2.0; success 15×3/4 = 11.25 → 11.3;
    # rating r = (9+6)/4 = 3.75 → 20×2.75/4 = 13.75 → 13.8; speed median 90 → 5×275/305 = 4.508 → 4.5;
    # training 5×20/40 = 2.5
    assert got == {"deals": Decimal("5.0"), "value": Decimal("6.7"), "cash": Decimal("7.5"),
                   "commission": Decimal("2.0"), "success": Decimal("11.3"), "rating": Decimal("13.8"), "speed": Decimal("4.5"),
                   "training": Decimal("2.5")}
    assert score == Decimal("53.3") == sum(got.values())
    assert [c["max"] for c in parts] == [25, 10, 15, 5, 15, 20, 5, 5] and sum(c["max"] for c in parts) == 100


def test_commission_component_without_a_ledger_and_with_a_net_negative_balance():
    parts = {c["key"]: c for c in calc.components(calc.Performance())}
    assert parts["commission"]["points"] == 0 and parts["commission"]["detail"] == "暂无佣金台账"
    parts = {c["key"]: c for c in calc.components(calc.Performance(commission=Decimal("-5")))}
    assert parts["commission"]["points"] == 0  # a reversal never makes the score fall below zero for it
    parts = {c["key"]: c for c in calc.components(calc.Performance(commission=Decimal("306000")))}
    assert parts["commission"]["points"] == 5


def test_nothing_earned_without_data_and_caps_hold():
    score, parts = calc.credit_score(calc.Performance())
    assert score == 0 and all(c["points"] == 0 for c in parts)
    star = calc.Performance(signed=50, registered=50, value=Decimal("1e9"), received=Decimal("2e9"),
                            days_to_sign=[1] * 5, ratings=[5] * 1000, training_hours=Decimal("400"),
                            commission=Decimal("1e7"))
    score, parts = calc.credit_score(star)
    assert all(c["points"] <= c["max"] for c in parts)
    assert Decimal("99") < score <= 100


def test_one_five_star_rating_is_not_a_perfect_record():
    one = {c["key"]: c["points"] for c in calc.components(calc.Performance(ratings=[5]))}
    assert one["rating"] == Decimal("13.3")  # r = (5 + 6) / 3 = 3.667 → 20 × (r − 1) / 4, not 20


def test_median_and_bands():
    assert calc.median([]) is None and calc.median([3, 1, 2]) == 2 and calc.median([1, 2, 3, 10]) == Decimal("2.5")
    assert calc.amount_band(Decimal("99999.99")) == "10万元以下"
    assert calc.amount_band(Decimal("100000")) == "10万–100万元"
    assert calc.amount_band(Decimal("360000")) == "10万–100万元"
    assert calc.amount_band(Decimal("20000000")) == "1000万元以上"
