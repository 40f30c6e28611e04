"""The pure scoring module: parts, bands, reasons, abstention. No app."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.matching import scoring
from marketplace.matching.scoring import (
    Features,
    explained,
    score,
    weights_from_feedback,
)


def good(**kw):
    base = dict(coverage=0.8, relevance=1.0, shared_terms=["铜合金", "拉丝"], same_industry=True, maturity="中试",
                cooperation="技术许可", price=Decimal("500000"), budget=Decimal("800000"),
                transfer_modes=("许可",), same_city=True)
    base.update(kw)
    return Features(**base)


def test_a_good_match_is_strong_and_explained():
    m = scoring.score(good())
    assert m.band == "强" and 70 <= m.score <= 100
    text = "；".join(m.reasons)
    assert "铜合金、拉丝" in text and "同属一个产业" in text and "预算之内" in text and "正合" in text and "同城" in text


@pytest.mark.parametrize("change,part", [
    ({"same_industry": False}, "industry"),
    ({"maturity": "实验室"}, "maturity"),
    ({"price": Decimal("3000000")}, "price"),
    ({"transfer_modes": ("作价入股",)}, "mode"),
    ({"same_city": False}, "region"),
    ({"relevance": 0.2}, "text"),
])
def test_each_worse_field_lowers_its_part_and_the_score(change, part):
    base, worse = scoring.score(good()), scoring.score(good(**change))
    assert worse.parts[part] < base.parts[part] and worse.score < base.score


def test_structured_fields_cannot_rescue_unrelated_text():
    unrelated = scoring.score(good(coverage=0.05, relevance=0.1, shared_terms=[]))
    assert unrelated.band == "弱" and unrelated.score < scoring.ABSTAIN_BELOW_SCORE


def test_learned_evidence_reranks_related_pairs_but_never_makes_an_unrelated_one_strong():
    # Found on the demo: a term pair learnt from one contract (原料药 × 机理) lifted every achievement whose title
    # says 机理 to 强 79 for a crystal-form demand with no shared words.
    unrelated = scoring.score(good(coverage=0.0, relevance=0.03, shared_terms=[], learned=1.0))
    assert unrelated.band != "强" and unrelated.score < 65
    related, related_learned = scoring.score(good(relevance=0.3)), scoring.score(good(relevance=0.3, learned=1.0))
    assert related_learned.score > related.score  # where the text agrees, what was learnt still counts in full


def test_scores_stay_within_0_100_and_bands_follow_thresholds():
    for cov in (0.0, 0.5, 1.0):
        for rel in (0.0, 1.0):
            m = scoring.score(good(coverage=cov, relevance=rel))
            assert 0 <= m.score <= 100 and m.band == scoring.band_of(m.score)
    assert [scoring.band_of(s) for s in (70, 69, 50, 49)] == ["强", "中", "中", "弱"]


def test_negotiable_price_is_neutral_and_said():
    m = scoring.score(good(price=None))
    assert m.parts["price"] == 0.6 and "价格面议" in m.reasons


def test_maturity_needed_depends_on_cooperation():
    assert scoring.maturity_part("小试", "合作开发")[0] == 1.0
    assert scoring.maturity_part("小试", "技术许可")[0] < 1.0
    assert "不足" in scoring.maturity_part("实验室", "技术转让")[1]


def test_weights_are_configuration():
    text_only = {"text": 1.0, "industry": 0, "maturity": 0, "price": 0, "mode": 0, "region": 0}
    m = scoring.score(good(coverage=1.0, relevance=1.0), weights=text_only)
    assert m.score >= 99 and m.parts["maturity"] == 1.0  # the text alone decides: 100 × (1 − e^(−T/τ))
    half = scoring.score(good(relevance=1.0, same_industry=False, maturity="实验室", price=Decimal("9000000")))
    assert half.score < scoring.score(good(relevance=1.0)).score


def test_abstention_rule():
    assert scoring.should_abstain(1, 80) and scoring.should_abstain(5, 59)
    assert not scoring.should_abstain(2, 60)


def test_pair_feedback_moves_the_score_and_says_why():
    base = scoring.score(good(coverage=0.5, relevance=0.15))
    liked = scoring.apply_pair_feedback(base, "interested", None)
    assert liked.score == base.score + 6 and "您已标记“感兴趣”" in liked.reasons
    other = scoring.apply_pair_feedback(base, None, "interested")
    assert other.score == liked.score  # the same mark moves the pair's one score the same from either side
    both = scoring.apply_pair_feedback(base, "interested", "interested")
    assert both.score == base.score + 12 and "对方已表示感兴趣" in both.reasons
    refused = scoring.apply_pair_feedback(base, None, "irrelevant", "价格不合适")
    assert refused.score == base.score - 15 and "对方认为不相关（价格不合适）" in refused.reasons
    assert scoring.apply_pair_feedback(base, None, None) is base
    top = scoring.apply_pair_feedback(scoring.score(good(coverage=1.0)), "interested", "interested")
    assert top.score == 100 and top.band == "强"


def test_dismissal_reasons_reweight_the_factor_they_name():
    w = scoring.weights_from_feedback({"成熟度不够": 2, "已有方案": 3})
    assert w["maturity"] == pytest.approx(scoring.DEFAULT_WEIGHTS["maturity"] * 2)
    assert {k: v for k, v in w.items() if k != "maturity"} == {k: v for k, v in scoring.DEFAULT_WEIGHTS.items()
                                                              if k != "maturity"}
    assert scoring.weights_from_feedback({"价格不合适": 10})["price"] == pytest.approx(
        scoring.DEFAULT_WEIGHTS["price"] * 2.5)
    # With maturity weighted up, an immature candidate loses more ground against a mature one.
    mature, immature = good(maturity="工业化"), good(maturity="实验室")
    plain_gap = scoring.score(mature).score - scoring.score(immature).score
    fed_gap = scoring.score(mature, w).score - scoring.score(immature, w).score
    assert fed_gap > plain_gap > 0


def test_a_graph_path_raises_the_text_part_and_is_explained_with_its_mechanism():
    from marketplace.matching.knowledge import Link
    link = Link("k", "建材", (("外墙", "掉色"),), "紫外老化使树脂降解", ("氟碳涂料",), "s", "file")
    plain = scoring.score(good(relevance=0.1, shared_terms=[]))
    bridged = scoring.score(good(relevance=0.1, shared_terms=[], graph=0.45, paths=[(("外墙", "掉色"), link, "氟碳涂料")]))
    assert bridged.parts["text"] > plain.parts["text"] and bridged.score > plain.score
    assert bridged.reasons[0] == "需求提到“外墙”“掉色”，可能源于紫外老化使树脂降解，对应技术：氟碳涂料"


def test_a_graph_path_counts_as_far_as_the_texts_agree():
    """A candidate that only names a technology the demand's cue points to (text_d 0) gains nothing from
    the path; one holding GRAPH_AGREE of the demand's text or more gains it in full; in between, in
    proportion."""
    def strength(text_d, graph=0.45):
        return scoring.text_strength(good(relevance=0.1, graph=graph, text_d=text_d))
    bare = strength(0.0, graph=0.0)
    assert strength(0.0) == pytest.approx(bare)
    full = bare + scoring.GRAPH_WEIGHT * 0.45
    assert strength(scoring.GRAPH_AGREE) == pytest.approx(full) and strength(0.9) == pytest.approx(full)
    assert strength(scoring.GRAPH_AGREE / 2) == pytest.approx(bare + scoring.GRAPH_WEIGHT * 0.45 / 2)
    # so a candidate its text is about is no longer overtaken by one that merely names the technology
    about = scoring.score(good(relevance=0.14, graph=0.0, text_d=0.14))
    names_it = scoring.score(good(relevance=0.06, graph=0.7, text_d=0.05))
    assert about.raw > names_it.raw
    # the abstention reads a path the same way: half the agreement, half the path's weight in the strength
    ranked = [(0.1, scoring.GRAPH_AGREE / 2, 0.45, 0.0, 0.1, 2)] + [(0.05, 0.05, 0.0, 0.0, 0.0, 0)] * 4
    assert scoring.confidence(ranked)["signals"]["best"] == round(0.1 + scoring.GRAPH_WEIGHT * 0.45 / 2, 3)


def test_abstention_compares_the_best_with_the_demands_own_background():
    flat = [(0.12, 0.12, 0.0, 0.0, 0.1, 2)] + [(0.10, 0.1, 0.0, 0.0, 0.1, 1)] * 10
    standout = [(0.30, 0.3, 0.0, 0.0, 0.3, 4)] + [(0.05, 0.05, 0.0, 0.0, 0.05, 1)] * 10
    assert scoring.confidence(flat)["abstain"] and not scoring.confidence(standout)["abstain"]
    assert scoring.confidence([])["abstain"]
    # a graph path alone, with no agreement from the texts, does not make a candidate stand out
    graph_only = [(0.03, 0.02, 0.0, 0.0, 0.0, 0)] * 5 + [(0.02, 0.02, 0.45, 0.0, 0.0, 0)]
    assert scoring.confidence(graph_only)["abstain"]


def test_the_abstention_decision_is_a_threshold_on_the_ratio_with_a_monotone_probability():
    assert scoring.ABSTAIN_RATIO == pytest.approx(3.33, abs=0.05)
    silent, p_low = scoring.decide_abstention(2.0)
    answer, p_high = scoring.decide_abstention(5.0)
    assert silent is True and p_low < 0.5 and answer is False and p_high > 0.5
    ps = [scoring.decide_abstention(r)[1] for r in (0.0, 1.0, 3.0, 3.5, 8.0, 1e9)]
    assert ps == sorted(ps) and 0.0 <= ps[0] and ps[-1] <= 1.0
    assert scoring.decide_abstention(scoring.ABSTAIN_RATIO - 0.01)[0]
    assert not scoring.decide_abstention(scoring.ABSTAIN_RATIO + 0.01)[0]
    # a best candidate 2.5× the median of the others no longer counts as standing out (the old rule answered)
    middling = [(0.25, 0.25, 0.0, 0.0, 0.2, 3)] + [(0.08, 0.08, 0.0, 0.0, 0.05, 1)] * 10
    c = scoring.confidence(middling)
    assert c["signals"]["ratio"] == pytest.approx(2.5) and c["abstain"] and c["value"] < 0.5


def test_the_abstention_reads_the_evidence_as_the_ranking_and_looks_at_the_lists_first():
    # a learnt term pair counts only as far as the pair's own text agrees, as in the ranking
    ranked = [(0.30, 0.3, 0.0, 0.0, 0.3, 4), (0.10, 0.1, 0.0, 1.0, 0.0, 0)] + [(0.05, 0.05, 0.0, 0.0, 0.0, 0)] * 5
    signals = scoring.confidence(ranked)["signals"]
    assert scoring.strength(0.10, 0.1, 0.0, 1.0) == pytest.approx(0.10 + scoring.LEARNED_WEIGHT * 0.5)
    assert signals["best"] == 0.3  # the text's, not 0.10 + 0.25 × 1.0 = 0.35 of the learnt pair counted in full
    # the strongest candidate (index 1) does not hold the title, the list's first does: answered (ratio 0.22 /
    # (0.045 + 0.02) ≈ 3.4, between the covered title's bar and the uncovered one's)
    background = [(0.045, 0.045, 0.0, 0.0, 0.05, 1)] * 9
    ranked = [(0.20, 0.2, 0.0, 0.0, 0.2, 3), (0.22, 0.05, 0.0, 0.0, 0.0, 0)] + background
    covers = {0: 0.8, 1: 0.0}
    first = scoring.confidence(ranked, lambda i: covers.get(i, 0.0), False)
    assert scoring.RATIO_COVERED <= first["signals"]["ratio"] < scoring.RATIO_NAMED and not first["abstain"]
    assert first["signals"]["title_cover"] == 0.8
    # ... and when neither holds it, a technical demand that does not stand out very clearly stays silent
    assert scoring.confidence(ranked, lambda i: 0.0, False)["abstain"]


def test_a_demands_list_is_answered_when_its_best_candidate_holds_what_the_title_names():
    # the title's telling terms are in the best candidate: answered at a lower bar than an uncovered title ...
    assert scoring.RATIO_PLAIN < scoring.RATIO_COVERED < scoring.RATIO_NAMED
    assert scoring.decide_abstention(3.3, 0.8, False)[0] is False
    assert scoring.decide_abstention(3.3, 0.2, False)[0] is True
    # ... but not by the cover alone: a look-alike naming the same product that does not stand out is silent
    assert scoring.decide_abstention(2.5, 0.8, False)[0] is True
    assert scoring.decide_abstention(1.5, 1.0, False)[0] is True
    # a named technology that no candidate holds: silent at a ratio that answers a demand in a factory's words
    assert scoring.decide_abstention(3.0, 0.2, False)[0] is True
    assert scoring.decide_abstention(3.0, 0.2, True)[0] is False
    assert scoring.decide_abstention(1.5, 0.2, True)[0] is True
    assert scoring.decide_abstention(2.5, 0.8, True)[0] is False  # the factory's bar, cover or not
    # ... unless the best stands out very clearly
    assert scoring.decide_abstention(scoring.RATIO_NAMED + 0.1, 0.2, False)[0] is False
    # the confidence is 0.5 at each regime's boundary and grows with the ratio
    for plain, cover, bar in ((True, 0.0, scoring.RATIO_PLAIN), (False, 0.0, scoring.RATIO_NAMED),
                              (False, 0.5, scoring.RATIO_COVERED)):
        assert scoring.decide_abstention(bar, cover, plain)[1] == pytest.approx(0.5)
        assert scoring.decide_abstention(bar - 0.01, cover, plain)[0] is True
        assert scoring.decide_abstention(bar, cover, plain)[0] is False
        ps = [scoring.decide_abstention(r, cover, plain)[1] for r in (0.5, 1.0, 2.0, 3.0, 6.0)]
        assert ps == sorted(ps)
    # an answered list whose title is held in full is fully confident; a silent one is not, whatever its cover
    assert scoring.decide_abstention(scoring.RATIO_COVERED, 1.0, False)[1] == pytest.approx(1.0)
    assert scoring.decide_abstention(1.0, 1.0, False)[1] < 0.5
    # the signals carry the decision's inputs, and should_abstain_signals agrees with confidence()
    ranked = [(0.20, 0.2, 0.0, 0.0, 0.2, 3)] + [(0.04, 0.04, 0.0, 0.0, 0.05, 1)] * 10  # ratio ≈ 3.3
    covered = scoring.confidence(ranked, lambda i: 0.9, False)
    named = scoring.confidence(ranked, lambda i: 0.1, False)
    assert not covered["abstain"] and named["abstain"]
    assert covered["signals"]["title_cover"] == 0.9 and named["signals"]["plain"] is False
    assert scoring.should_abstain_signals(named["signals"]) and not scoring.should_abstain_signals(covered["signals"])
    # without title information (an achievement's list) the one-feature rule decides, as before
    assert scoring.confidence(ranked)["abstain"]


@pytest.mark.parametrize("title, plain", [
    ("外墙漆刷上半年就掉色", True),
    ("冷库里的蒜头放到开春全发芽了", True),
    ("烘干出来的茶叶有股烟味，客户不要", True),
    ("注塑件表面老有银纹怎么办", True),
    ("高镍三元正极材料表面包覆改性技术", False),
    ("离子型稀土矿原地浸矿氨氮减排", False),
    ("基于机器视觉的带钢表面缺陷在线检测系统", False),
])
def test_plain_words_tells_a_factorys_sentence_from_a_technologys_name(title, plain):
    assert scoring.plain_words(title) is plain


def test_old_is_not_speech():
    assert scoring.plain_words("南丰蜜桔老果园品质退化改造方案") is False
    assert scoring.plain_words("注塑件表面老有银纹") is True


@settings(max_examples=300, deadline=None)
@given(relevance=st.floats(0, 1.5), graph=st.floats(0, 1), learned=st.floats(-1, 1), coverage=st.floats(0, 1),
       same_industry=st.booleans(), same_city=st.sampled_from([None, True, False]),
       maturity=st.sampled_from([None, "实验室", "小试", "中试", "工业化", "未知"]),
       cooperation=st.sampled_from([None, "技术转让", "技术许可", "合作开发", "其他"]),
       price=st.sampled_from([None, Decimal("50000"), Decimal("1200000")]),
       budget=st.sampled_from([None, Decimal("80000"), Decimal("2000000")]),
       modes=st.sampled_from([(), ("转让",), ("许可", "作价入股")]),
       shared=st.lists(st.sampled_from(["稀土", "永磁", "烧结", "钕铁硼"]), max_size=4, unique=True),
       weighted=st.booleans())
def test_the_reasons_worded_afterwards_are_those_of_the_explained_score(relevance, graph, learned, coverage,
                                                                        same_industry, same_city, maturity,
                                                                        cooperation, price, budget, modes,
                                                                        shared, weighted):
    """A list is ranked with scores computed without their reasons; the rows shown get them worded afterwards
    (`explained`): the result must be the very Match `score` gives with its reasons."""
    f = Features(coverage=coverage, relevance=relevance, shared_terms=shared, same_industry=same_industry,
                 maturity=maturity, cooperation=cooperation, price=price, budget=budget, transfer_modes=modes,
                 same_city=same_city, graph=graph, learned=learned,
                 learned_notes=["与已签约的类似需求相符：“稀土”与“永磁”"] if learned > 0.5 else [])
    weights = weights_from_feedback({"价格不合适": 2}) if weighted else None
    plain = score(f, weights, explain=False)
    assert plain.reasons == []
    full = explained(plain, f)
    assert (full.score, full.band, full.raw, full.parts) == (plain.score, plain.band, plain.raw, plain.parts)
    assert full == score(f, weights)
    expected = ((["技术要点相同：" + "、".join(shared)] if shared else []) + f.learned_notes
                + ["同属一个产业" if same_industry else "跨产业应用",
                   scoring.maturity_part(maturity, cooperation)[1], scoring.price_part(price, budget)[1],
                   scoring.mode_part(modes, cooperation)[1]] + (["同城，便于现场对接"] if same_city else []))
    assert full.reasons == expected


def test_detection_is_not_a_cure_in_the_abstention():
    assert scoring.detects("板式家具封边质量机器视觉在线检测系统") and scoring.detects("锂电池组SOC在线估计软件")
    assert not scoring.detects("封边热熔胶耐湿热改性技术")
    assert scoring.asks_detection("想在线检测封边条开胶") and scoring.asks_detection("一个星期内弄清楚是什么病")
    assert not scoring.asks_detection("柜子封边条用不到一年就翘起来脱掉")
    row = (0.30, 0.30, 0.0, 0.0, 0.3, 5)
    assert scoring.as_answer(row, False) == row
    assert scoring.as_answer(row, True) == pytest.approx((0.30 * scoring.DETECT_DISCOUNT,
                                                          0.30 * scoring.DETECT_DISCOUNT, 0.0, 0.0, 0.3, 5))
    # a factory demand whose best candidate stands out (ratio 0.30 / (0.12 + 0.02) ≈ 2.1 ≥ 1.95) is answered,
    # and stays silent when that candidate only detects the fault (0.21 / 0.14 = 1.5)
    background = [(0.12, 0.12, 0.0, 0.0, 0.1, 2)] * 9
    assert scoring.confidence([row] + background, lambda i: 0.0, True)["abstain"] is False
    detector = scoring.as_answer(row, True)
    assert scoring.confidence([detector] + background, lambda i: 0.0, True)["abstain"] is True


def test_the_decision_is_the_one_its_shown_signals_give():
    # a title cover of 0.4996 is shown as 0.5: the list is decided on what is shown (answered), as a broker or a
    # test recomputing the decision from the signals would decide it
    ranked = [(0.20, 0.2, 0.0, 0.0, 0.2, 3)] + [(0.04, 0.04, 0.0, 0.0, 0.05, 1)] * 9  # ratio ≈ 3.3
    c = scoring.confidence(ranked, lambda i: 0.49960 if i == 0 else 0.0, False)
    assert c["signals"]["title_cover"] == scoring.TITLE_COVER and c["signals"]["ratio"] < scoring.RATIO_NAMED
    assert c["abstain"] is False and scoring.should_abstain_signals(c["signals"]) is False
    # ... and a cover just under what is shown as 0.5 stays silent both ways
    c = scoring.confidence(ranked, lambda i: 0.4994 if i == 0 else 0.0, False)
    assert c["signals"]["title_cover"] == 0.499
    assert c["abstain"] is True and scoring.should_abstain_signals(c["signals"]) is True



@pytest.mark.parametrize("form, text, found", [
    ("in", "转速600r/min", False), ("ii", "iii型胶原蛋白", False), ("na", "china 出口", False),
    ("co", "wc-co硬质合金", True), ("co", "cod超标", False), ("ii", "晶型ii混入", True),
    ("led", "micro-led巨量转移", True), ("mm", "厚度0.5mm", True), ("pcb", "pcb板", True),
    ("voc", "vocs排放", False), ("3d打印", "3d打印件", True), ("5mm", "0.5mm", True),
])
def test_a_latin_form_is_found_only_as_whole_words_of_letters(form, text, found):
    # texts and forms are both bounded, then the substring tests of the Chinese words apply unchanged
    assert (scoring.bounded(form) in scoring.bounded(text)) is found
    assert scoring.unbounded(scoring.bounded(text)) == text


@given(st.text(alphabet="ab1 .-中文", max_size=12), st.text(alphabet="ab1 .-中文", min_size=1, max_size=4))
def test_bounded_finds_what_plain_search_finds_unless_a_letter_run_is_cut(text, form):
    inside = scoring.bounded(form) in scoring.bounded(text)
    whole = any(text[i:i + len(form)] == form
                and not (form[0].isalpha() and form[0].isascii() and i and text[i - 1] in "ab")
                and not (form[-1].isalpha() and form[-1].isascii() and text[i + len(form):i + len(form) + 1] in
                         ("a", "b"))
                for i in range(len(text) - len(form) + 1))
    assert inside == whole


def test_shown_terms_leave_out_business_words_units_counts_and_words_inside_longer_ones():
    terms = ["催化剂", "寻求", "低温", "两家", "催化", "立方米", "scr", "scr脱硝", "温度", "三元", "多级"]
    assert scoring.shown_terms(terms) == ["催化剂", "低温", "scr脱硝", "温度", "三元", "多级"]
    assert scoring.shown_terms([]) == []


def test_a_path_without_a_mechanism_names_related_words_not_a_remedy():
    """A line of concepts.txt ("断线 => 拉丝 …") is words that go together, not a cure: the reason must not call
    拉丝 a countermeasure for 断线; a link of the graph files gives its mechanism."""
    from marketplace.matching.knowledge import Link
    concept = Link("c1", "", (("断线",),), "", ("拉丝",), "", "concepts")
    link = Link("f1", "建材", (("外墙", "掉色"),), "紫外老化使树脂降解。", ("氟碳涂料",), "GB", "file")
    assert scoring.graph_reason([(("断线",), concept, "拉丝")]) == "需求提到“断线”，相关技术：拉丝"
    assert scoring.graph_reason([(("外墙", "掉色"), link, "氟碳涂料")]) == \
        "需求提到“外墙”“掉色”，可能源于紫外老化使树脂降解，对应技术：氟碳涂料"


@settings(max_examples=300, deadline=None)
@given(ratio=st.floats(0, 12, allow_nan=False).map(lambda r: round(r, 2)),
       cover=st.one_of(st.none(), st.floats(0, 1).map(lambda c: round(c, 3))), plain=st.booleans())
def test_the_worded_decision_names_the_bar_the_decision_used(ratio, cover, plain):
    """describe_decision says "需达到 X 倍" exactly when the list is silent, with X the bar decide_abstention held
    the ratio against (the same rule, read back for a broker)."""
    abstained, _p = scoring.decide_abstention(ratio, cover, plain if cover is not None else None)
    signals = {"ratio": ratio, "title_cover": cover, "plain": plain} if cover is not None else {"ratio": ratio}
    text = scoring.describe_decision(signals, abstained)
    bar = scoring.ratio_bar(cover, plain if cover is not None else None)
    assert f"{ratio:.2f} 倍" in text and f"{bar:.2f} 倍" in text
    assert ("需达到" in text) == abstained and ("推荐线" in text) == (not abstained)
    if cover is not None:
        assert abstained == (ratio < bar)
        assert ("企业口语" in text) == plain


def test_the_worded_decision_says_why_in_a_brokers_words():
    silent = scoring.describe_decision({"ratio": 1.62, "title_cover": 0.2, "plain": True}, True)
    assert silent == "最突出的候选成果比其余候选的中位水平强 1.62 倍；需求标题是企业口语（描述现象），需达到 1.95 倍才推荐"
    named = scoring.describe_decision({"ratio": 3.2, "title_cover": 0.3, "plain": False}, True)
    assert "标题所说的技术要点没有哪条成果含一半以上（最多 30%）" in named and "需达到 4.00 倍" in named
    held = scoring.describe_decision({"ratio": 3.5, "title_cover": 0.75, "plain": False}, False)
    assert "最接近的成果含标题所说技术要点的 75%" in held and "推荐线为 3.15 倍" in held
    assert "候选需求" in scoring.describe_decision({"ratio": 2.0}, True, "需求")
    assert scoring.describe_decision({}, True) == "没有找到与之有共同技术要点的候选成果"
    assert scoring.describe_decision(None, True) is None  # a list stored before the signals were kept
