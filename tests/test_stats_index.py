"""The institution conversion index (stats/index.py): pure functions, no app, on constructed examples whose
ranking is worked out by hand."""
from decimal import Decimal as D

import pytest

from marketplace.stats import index
from marketplace.stats.index import ContractFact, InstitutionInput, SplitFact, UseFirstFunnel


def _example(a_sells_to_sme=True):
    """Three institutions:
    甲: one 许可 of 200万 fully paid to a Jiangxi small company (中小企业), team 80%, 先用后转 2 eligible / 2 listed /
        1 trial / 1 licence;
    乙: one 技术开发 of 5万 to a large buyer outside Jiangxi, nothing paid;
    丙: nothing at all."""
    a = InstitutionInput(1, "甲大学", [ContractFact("许可", D("2000000.00"), D("2000000.00"), True, a_sells_to_sme)],
                         [SplitFact(D("100000.00"), D("80.00"))], UseFirstFunnel(2, 2, 1, 1))
    b = InstitutionInput(2, "乙研究院", [ContractFact("技术开发", D("50000.00"), D("0"), False, False)])
    c = InstitutionInput(3, "丙学院")
    return [c, b, a]


def test_known_ranking_and_indexes():
    rows = index.score(_example())
    assert [(r["rank"], r["name"]) for r in rows] == [(1, "甲大学"), (2, "乙研究院"), (3, "丙学院")]
    a, b, c = rows
    # Weights: transfer amount 25, count 10, 技术开发/咨询/服务 10, cash 15, ≥100万 5, Jiangxi 10, 中小企业 5,
    # team 10, 先用后转 10 (= 100).
    # 甲: every volume score is the maximum (100) except 技术开发/咨询/服务 (0); every ratio 100 (中小企业 too: its
    # one buyer is small) but 先用后转 (2+1+1)/(3×2) = 66.67.
    # (25+10+0×10+15+5+10+5+10)×100 + 10×66.666… over 100 = 86.67.
    assert a["index"] == D("86.67")
    assert a["scores"]["usefirst_clearance"] == D("66.67")
    assert a["scores"]["sme_share"] == D("100.00")
    # 乙: 技术开发 100 (weight 10), cash 0 (15), ≥100万 0 (5), Jiangxi 0 (10), 中小企业 0 (5: a large buyer),
    # transfer volumes 0 (25 + 10); no splits, no 先用后转 items: left out. 10×100 / 80 = 12.50.
    assert b["index"] == D("12.50")
    assert b["scores"]["sme_share"] == D("0.00")
    assert b["scores"]["team_ratio"] is None and b["scores"]["usefirst_clearance"] is None
    # 丙 has nothing: volumes 0, ratios left out.
    assert c["index"] == D("0.00")
    assert c["scores"]["sme_share"] is None


def test_sales_to_smes_weigh_in_the_index():
    # 甲 selling the same licence to a large company loses the 中小企业 component's 5 points: 86.67 − 5 = 81.67.
    a = next(r for r in index.score(_example(a_sells_to_sme=False)) if r["name"] == "甲大学")
    assert a["scores"]["sme_share"] == D("0.00") and a["index"] == D("81.67")
    # A buyer of unknown size is left out of the share (neither SME nor not): 甲 then scores over the others.
    a = next(r for r in index.score(_example(a_sells_to_sme=None)) if r["name"] == "甲大学")
    assert a["scores"]["sme_share"] is None
    assert a["index"] == ((D(25 + 10 + 15 + 5 + 10 + 10) * 100 + 10 * D(400) / 6) / 95).quantize(D("0.01"))


def test_sme_share_is_by_amount_over_buyers_of_known_size():
    f = index.figures(InstitutionInput(9, "丁", [
        ContractFact("转让", D("3000000.00"), sme_buyer=True),     # 小型
        ContractFact("许可", D("1000000.00"), sme_buyer=False),    # 大型
        ContractFact("技术服务", D("100000.00"), sme_buyer=None),  # size not known: not counted either way
    ]))
    assert f["sme_share"] == D("0.75")


def test_figures_by_mode_and_ratios():
    inp = InstitutionInput(9, "丁", [
        ContractFact("转让", D("1000000.00"), D("400000.00"), True),
        ContractFact("许可", D("300000.00"), D("300000.00"), False),
        ContractFact("作价投资", D("2000000.00"), D("0"), True),
        ContractFact("技术服务", D("50000.00"), D("50000.00"), True),
    ], [SplitFact(D("100.00"), D("70.00")), SplitFact(D("300.00"), D("50.00"))])
    f = index.figures(inp)
    assert f["by_mode"]["转让"] == {"count": 1, "amount": D("1000000.00")}
    assert f["by_mode"]["作价投资"]["count"] == 1 and f["by_mode"]["技术开发"]["count"] == 0
    assert f["transfer_count"] == 3 and f["transfer_amount"] == D("3300000.00")
    assert f["service_amount"] == D("50000.00") and f["amount"] == D("3350000.00")
    assert f["received"] == D("750000.00")
    assert f["cash_ratio"] == D("750000") / D("3350000")
    assert f["large_share"] == D("0.5")  # 100万 counts as ≥ 100万: 2 of 4
    assert f["jiangxi_share"] == D("3050000") / D("3350000")
    # team percent weighted by net income: (100×70 + 300×50) / 400 = 55%; against the 70% rule: 55/70.
    assert f["team_percent"] == D("55.00")
    assert f["team_ratio"] == D("55") / D("70")


def test_ratios_are_capped_at_one():
    inp = InstitutionInput(1, "甲", [ContractFact("许可", D("100.00"), D("150.00"))], [SplitFact(D("10"), D("90"))])
    f = index.figures(inp)
    assert f["cash_ratio"] == 1 and f["team_ratio"] == 1


def test_ties_share_a_rank():
    same = [ContractFact("转让", D("500000.00"), D("500000.00"))]
    rows = index.score([InstitutionInput(1, "乙", list(same)), InstitutionInput(2, "甲", list(same)),
                        InstitutionInput(3, "丙")])
    assert [r["rank"] for r in rows] == [1, 1, 3]
    names = [r["name"] for r in rows[:2]]
    assert names == sorted(names)  # equal indexes: by amount, then by name (a stable, reproducible order)


def test_weights_change_the_order_and_are_published():
    # 乙 does only 技术开发: with all the weight on that component it leads.
    rows = index.score(_example(), {"service_amount": 1})
    assert rows[0]["name"] == "乙研究院" and rows[0]["index"] == D("100.00")
    published = {f["key"]: f["weight"] for f in index.formula_rows({"transfer_amount": 3, "cash_ratio": 1})}
    assert published["transfer_amount"] == D("75.00") and published["cash_ratio"] == D("25.00")
    assert published["sme_share"] == D("0.00")
    assert sum(f["weight"] for f in index.formula_rows()) == D("100.00")
    default = {f["key"]: f for f in index.formula_rows()}
    assert default["sme_share"]["weight"] == D("5.00") and "暂不计分" not in default["sme_share"]["definition"]


def test_log_scaling_keeps_small_institutions_visible():
    big = InstitutionInput(1, "大", [ContractFact("转让", D("100000000.00"))])   # 1亿
    small = InstitutionInput(2, "小", [ContractFact("转让", D("1000000.00"))])   # 100万
    rows = {r["name"]: r for r in index.score([big, small])}
    # ln(1+100)/ln(1+10000) ≈ 0.501: a hundredth of the amount still scores half
    assert rows["小"]["scores"]["transfer_amount"] == D("50.11")
    assert rows["大"]["scores"]["transfer_amount"] == D("100.00")


@pytest.mark.parametrize("weights, message", [
    ({"nonsense": 1}, "未知的指标"),
    ({"cash_ratio": -1}, "不能为负数"),
    ({"cash_ratio": "abc"}, "应为数值"),
    ({"cash_ratio": True}, "应为数值"),
    ({"cash_ratio": "NaN"}, "不能为负数"),
    ({}, "不能全部为 0"),
    ([1, 2], "形式"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(index.WeightsError, match=message):
        index.check_weights(weights)


def test_unknown_mode_is_a_programming_error():
    with pytest.raises(ValueError):
        index.figures(InstitutionInput(1, "甲", [ContractFact("捐赠", D("1"))]))
