"""evidence_many (one record against all its candidates, with an Aho-Corasick automaton of its own forms and a
table of its own text's substrings) must give exactly pair_evidence's numbers, pair by pair."""
import random

import pytest

from marketplace.matching import service
from marketplace.matching.service import _Counts, _Scanner, evidence_many, pair_evidence

from .matching_library import _empty_tables, _library_ids, library_fixture  # noqa: F401  (real texts)


def _same(e1, e2) -> bool:
    return (e1.text, e1.text_d, e1.graph, e1.learned, e1.shared_terms, e1.coverage,
            [(alt, link.key, tech) for alt, link, tech in e1.paths], e1.learned_notes) == \
        (e2.text, e2.text_d, e2.graph, e2.learned, e2.shared_terms, e2.coverage,
         [(alt, link.key, tech) for alt, link, tech in e2.paths], e2.learned_notes)


def test_evidence_many_equals_pair_evidence_on_real_texts(library):
    service.reset_caches()
    dps = service.profiles(library["demands"], "demand")
    aps = service.profiles(library["achievements"], "achievement")
    assert any(p.glinks for p in dps)  # graph paths are part of what is compared
    # ... and tokens with several forms (synonyms: the best form counts) and forms longer than the substring table's
    assert any(len(forms) > 1 for p in dps + aps for forms, _ in p.tok)
    assert any(p.tok_long for p in dps + aps)
    pairs = 0
    for d in dps:
        for d_e, ref in zip(evidence_many(d, "demand", aps), (pair_evidence(d, a) for a in aps)):
            assert _same(d_e, ref)
            pairs += 1
    for a in aps:
        for a_e, ref in zip(evidence_many(a, "achievement", dps), (pair_evidence(d, a) for d in dps)):
            assert _same(a_e, ref)
    assert pairs == len(dps) * len(aps)
    assert sum(1 for d in dps for e in evidence_many(d, "demand", aps) if e.text > 0.1) > 20
    assert any(e.paths for d in dps for e in evidence_many(d, "demand", aps))


def test_counts_are_str_count_on_overlaps_long_forms_and_mixed_text(ctx):
    rng = random.Random(7)
    alphabet = list("哈哈涂料氟碳掉色锂电池ab ") + ["lifepo4", "aa"]
    forms = ("哈哈", "哈哈哈", "aa", "aba", "涂料", "氟碳涂料掉色锂电池涂料", "lifepo4", "a", "料", "ab ab")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        table = _Counts.substrings(text)
        vals = table.values(forms, tuple(j for j, f in enumerate(forms) if len(f) > service.SHORT))
        assert [v or 0 for v in vals] == [text.count(f) for f in forms], text
        has = table.has_all(tuple(f for f in forms if len(f) > service.SHORT))
        assert [has(f) for f in forms] == [f in text for f in forms]


def test_the_scanner_counts_like_str_count(ctx):
    p = service._build_profile("demand", 1, [("外墙涂料哈哈哈掉色", 2.0), ("", 1.0), ("氟碳涂料 lifepo4", 1.0)])
    scanner = _Scanner(p, with_graph=True)
    texts = ["涂料涂料哈哈哈哈 lifepo4lifepo4", "", "没有关系的一段话", "外墙涂料哈哈哈掉色", "哈哈哈哈哈"]
    m = scanner.matrix(texts)  # all the texts at once: one row each, a column per form (then one of zeros)
    assert m.tolist() == [[t.count(f) for f in scanner.forms] + [0] for t in texts]
    assert [m[r, scanner.tok_cols].tolist() for r in range(len(texts))] == \
        [[t.count(f) for f in p.tok_flat] for t in texts]
    assert any(len(f) > 1 and service._border(f) for f in scanner.forms)  # 哈哈: overlaps recounted
    assert not service._border("涂料") and service._border("哈哈") and service._border("1.1")


@pytest.mark.parametrize("kind", ["demand", "achievement"])
def test_a_difference_in_one_count_shows(library, kind, monkeypatch):
    """The comparison above is not blind: a scanner that misses one form changes some pair's evidence."""
    service.reset_caches()
    dps = service.profiles(library["demands"], "demand")
    aps = service.profiles(library["achievements"], "achievement")
    own, others = (dps[0], aps) if kind == "demand" else (aps[0], dps)
    real = _Scanner.matrix

    def lossy(self, texts):  # the longest form found is lost
        m = real(self, texts)
        found = [i for i in range(len(self.forms)) if m[:, i].any()]
        if found:
            m[:, max(found, key=lambda i: len(self.forms[i]))] = 0
        return m
    monkeypatch.setattr(_Scanner, "matrix", lossy)
    got = evidence_many(own, kind, others)
    refs = [pair_evidence(own, o) if kind == "demand" else pair_evidence(o, own) for o in others]
    assert not all(_same(g, r) for g, r in zip(got, refs))


def test_a_rebuild_batch_reads_each_candidate_once_and_the_answers_do_not_change(library):
    from sqlalchemy import event

    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.matching import store
    ids = [d.id for d in library["demands"][:6]]
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        if "FROM achievements" in statement:
            statements.append(statement)

    def answers(hold: bool):
        db.session.expunge_all()  # nothing of the fixture's left in the session
        service.reset_caches()
        demands = [db.session.get(Demand, i) for i in ids]
        del statements[:]
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            if hold:
                with service.holding():
                    return [store.compute(d, 50) for d in demands], len(statements)
            return [store.compute(d, 50) for d in demands], len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    plain, reads_plain = answers(False)
    held, reads_held = answers(True)
    assert held == plain and plain[0]["items"]
    # without holding, every demand reads its candidates again; held, the later ones take them from the session
    assert reads_plain >= len(ids)
    assert reads_held < reads_plain, (reads_held, reads_plain)


def test_the_others_bm25_all_at_once_equals_one_by_one_even_with_a_token_without_forms(ctx):
    texts = ["外墙涂料半年掉色，氟碳涂料耐候", "锂电池正极材料 lifepo4 包覆改性，循环寿命", "哈哈哈 涂料 涂料 涂料"]
    ps = [service._build_profile("achievement", i, [(t, 2.0), ("", 1.0), (t[::-1], 1.0)]) for i, t in enumerate(texts)]
    odd = ps[1]  # a token that has no surface form (kept by the profile, never counted)
    odd.tok = odd.tok[:1] + (((), "空"),) + odd.tok[1:] + (((), "尾"),)
    odd.tok_flat, odd.tok_owner = service._flatten(forms for forms, _ in odd.tok)
    first = {}
    for j, k in enumerate(odd.tok_owner):
        first.setdefault(k, j)
    odd.tok_start = tuple(first.get(k, 0) for k in range(len(odd.tok)))
    odd.tok_long = tuple(j for j, f in enumerate(odd.tok_flat) if len(f) > service.SHORT)
    odd.tok_idf = ()
    odd.tok_sizes = service.np.array([len(forms) for forms, _ in odd.tok], dtype=service.np.intp)
    own = "涂料掉色的外墙，氟碳涂料 lifepo4 循环寿命哈哈哈哈，一段很长很长的说明文字用于超过八个字的形式"
    table = _Counts.substrings(own)
    norm = service._norm(own)
    got = service._bm25_in(ps, table, norm)
    want = [service._bm25v(p, table.values(p.tok_flat, p.tok_long), norm) for p in ps]
    assert got == want and all(v > 0 for v in want)


def test_measures_general_words_and_places_are_not_telling_terms(ctx):
    # jieba leaves "0.05V", "85%RH", "GB/T" as Latin tokens, and 连续, 缩短, 南昌 are shared whatever the
    # technology: none is a telling term, so none is shown as "技术要点相同" (nor counts in coverage, title cover,
    # learnt pairs)
    for term in ("v", "rh", "mm", "1.5mpa", "100mg/m", "gb/t", "c", "连续", "缩短", "下降", "万元", "南昌", "赣南"):
        assert not service.specific(term), term
    for term in ("led", "p507", "ul94", "wo3", "烧结", "萃取", "钝化"):
        assert service.specific(term), term
    service.reset_caches()
    fields = [("硅衬底黄光LED芯片钝化层改进", 2.0), ("85%RH 1000h光通量衰减≤10%；正向电压变化≤0.05V", 1.2),
              ("南昌某厂连续生产，GB/T 标准试验，缩短周期，钝化层PECVD氧化硅", 1.0)]
    d = service._build_profile("demand", 1, fields)
    a = service._build_profile("achievement", 2, [("硅衬底LED芯片钝化与电极技术", 2.0), ("LED、钝化", 1.5),
                                                  ("南昌研究团队，连续化生产，缩短周期，0.05V，85%RH，GB/T 标准", 1.0)])
    shared = service.pair_evidence(d, a).shared_terms
    assert "钝化" in shared and "led" in shared
    assert not {"v", "rh", "gb/t", "南昌", "连续", "缩短", "周期", "标准"} & set(shared), shared
