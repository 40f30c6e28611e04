"""The semantic term of the matcher (matching/semantic.py, scoring.semantic_part): sentence vectors of the bundled
model, stored in the background, read by the live path and the rebuild alike, one score per pair whichever side
looks, never a stale vector for a changed text, and the term off unless switched on (tests) or configured off."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from marketplace.achievements.models import Achievement
from marketplace.extensions import db
from marketplace.matching import jobs, scoring, semantic, service, store
from marketplace.matching.models import MatchList, MatchRebuild, MatchRefresh, MatchVector

from .matching_library import _empty_tables, _library_ids, library_fixture  # noqa: F401  (fixtures)
from .test_matching_rebuild import disagreements

_memo: dict = {}
_real_embed = semantic.embed


def _memo_embed(kind, texts):
    """The real model, each text embedded once per test session (≈ 0.1 s a text)."""
    todo = [t for t in texts if (kind, t) not in _memo]
    if todo:
        for t, v in zip(todo, _real_embed(kind, todo)):
            _memo[(kind, t)] = v
    return np.stack([_memo[(kind, t)] for t in texts]) if texts else _real_embed(kind, texts)


@pytest.fixture
def on(monkeypatch):
    monkeypatch.setenv("MATCH_SEMANTIC", "1")
    monkeypatch.setattr(semantic, "embed", _memo_embed)
    semantic.reset_cache()
    yield
    semantic.reset_cache()


def test_the_term_is_off_in_tests_unless_switched_on_and_can_be_configured_off(ctx, monkeypatch):
    assert not semantic.enabled()
    monkeypatch.setenv("MATCH_SEMANTIC", "1")
    assert semantic.enabled()
    assert semantic.fingerprint_part() == semantic.MODEL
    monkeypatch.setenv("MATCH_SEMANTIC", "off")
    assert not semantic.enabled()
    assert semantic.fingerprint_part() == "off"


def test_the_bundled_model_reads_a_factorys_complaint_as_the_technology_that_cures_it(ctx):
    """The real model, no stand-in: a plant's words about fading paint are nearer a weather-resistant coating
    than to a battery-recycling process that shares none of the words either."""
    q = semantic.embed("demand", ["外墙漆刷上去半年就掉色发白。我们是做外墙涂料的小厂，客户投诉越来越多"])[0]
    p = semantic.embed("achievement", ["耐候型氟碳外墙涂料。通过引入抗紫外助剂和交联树脂，提高涂层的耐候保色性能",
                                       "废旧锂电池正极材料回收。湿法浸出与萃取分离钴镍锂，回收率高"])
    assert q.shape == (semantic.DIM,) and abs(float(np.linalg.norm(q)) - 1) < 1e-3
    sims = p @ q
    assert sims[0] > sims[1] + 0.02


def test_the_model_reads_a_record_in_traditional_characters_as_the_same_record_in_simplified(ctx):
    """Its vector of 鋰電池正極材料 is not that of 锂电池正极材料 (a Taiwanese-invested firm's demand ranked lower by
    it): the model reads the text folded (search.analysis.fold), so both are one text and one vector."""
    from types import SimpleNamespace
    simplified = SimpleNamespace(title="锂电池正极材料烧结后开裂", description="窑炉温度波动，产品批次间差异大，ＬＥＤ灯检")
    traditional = SimpleNamespace(title="鋰電池正極材料燒結後開裂", description="窯爐溫度波動，產品批次間差異大，LED燈檢")
    assert semantic.text_of(traditional, "demand") == semantic.text_of(simplified, "demand")
    as_written = semantic.embed("demand", [traditional.title + "。" + traditional.description,
                                           semantic.text_of(simplified, "demand")])
    assert float(as_written[0] @ as_written[1]) < 0.99  # the model itself does not read them as one


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 100))
def test_the_semantic_part_grows_with_the_cosine_and_counts_less_the_stronger_the_words(a, b, base):
    assert scoring.semantic_part(None, base) == 0.0
    if a + 1e-6 < b and base < 99.9:
        assert scoring.semantic_part(a, base) < scoring.semantic_part(b, base)
    assert scoring.semantic_part(scoring.SEMANTIC_CENTRE, base) == 0.0
    assert scoring.semantic_part(a, 100) == 0.0  # the words already meet in full: the model adds nothing
    if base < 99:
        assert abs(scoring.semantic_part(a, base + 1)) <= abs(scoring.semantic_part(a, base))


def test_a_pair_the_model_lifts_says_so_in_words_a_broker_reads():
    f = scoring.Features(coverage=0.2, relevance=0.05, shared_terms=["涂料"], semantic=0.97)
    m = scoring.score(f)
    assert m.parts["semantic"] >= scoring.SEMANTIC_SHOWN
    assert any(r.startswith("语义相近") for r in m.reasons)
    plain = scoring.score(scoring.Features(coverage=0.2, relevance=0.05, shared_terms=["涂料"]))
    assert plain.parts["semantic"] == 0.0 and not any("语义" in r for r in plain.reasons)
    assert m.score > plain.score


def test_published_records_get_vectors_and_their_lists_are_queued_again(library, on):
    n = semantic.embed_missing()
    assert n == 54
    rows = MatchVector.query.all()
    assert len(rows) == 54
    for row in rows:
        vec = np.frombuffer(row.vector, dtype=np.float32)
        assert vec.shape == (semantic.DIM,) and abs(float(np.linalg.norm(vec)) - 1) < 1e-3
    assert {(r.entity_type, r.entity_id) for r in MatchRefresh.query.all()} == \
        {("demand", d.id) for d in library["demands"]} | {("achievement", a.id) for a in library["achievements"]}
    assert semantic.embed_missing() == 0  # nothing left


def test_a_large_catch_up_schedules_one_rebuild_instead_of_refreshing_each(library, on, monkeypatch):
    monkeypatch.setattr(semantic, "REQUEUE_MAX", 3)
    monkeypatch.setattr(jobs, "enqueue_rebuild", lambda run_id: None)
    assert semantic.embed_missing(limit=5) == 5
    assert MatchRefresh.query.count() == 0
    run = MatchRebuild.query.one()
    assert (run.reason, run.status) == ("vectors", "queued")


def test_the_score_carries_the_term_and_a_pair_has_one_score_from_either_side(library, on, monkeypatch):
    semantic.embed_missing(requeue=False)
    db.session.commit()
    demands = library["demands"][1:]  # (the first has a 感兴趣 mark: its pair scores differ by side)
    with_term = {d.id: service.match_demand(d, 50)["items"] for d in demands}
    monkeypatch.setenv("MATCH_SEMANTIC", "0")
    service.reset_caches()
    without = {d.id: {i["id"]: i["score"] for i in service.match_demand(d, 50)["items"]} for d in demands}
    monkeypatch.setenv("MATCH_SEMANTIC", "1")
    vec = {a.id: semantic.vectors("achievement", [a]).get(a.id) for a in library["achievements"]}
    moved = lowered = 0
    for d in demands:
        own = np.asarray(semantic.vectors("demand", [d])[d.id], dtype=np.float64)
        for item in with_term[d.id]:
            before = without[d.id].get(item["id"])
            if before is None:
                continue
            cos = round(float(np.asarray(vec[item["id"]], dtype=np.float64) @ own), 6)
            expected = before + scoring.semantic_part(cos, before)
            assert abs(item["score"] - max(0, min(100, expected))) <= 1.5  # both scores rounded
            moved += item["score"] != before
            near = any(r.startswith("语义相近") for r in item["reasons"])
            far = any(r.startswith("语义差别较大") for r in item["reasons"])
            shift = item["score"] - before
            assert not (near and far)
            if shift <= -(scoring.SEMANTIC_SHOWN + 2):
                assert far  # a pair the model put back says so
                lowered += 1
            elif shift >= -(scoring.SEMANTIC_SHOWN - 2):
                assert not far  # and only then
            if shift <= scoring.SEMANTIC_SHOWN - 2:
                assert not near
    assert moved and lowered  # the term changed scores, and put some back by more than SEMANTIC_SHOWN
    # each demand's first pairs, seen from the achievement's side: the same score
    seen = 0
    for d in demands[:6]:
        for item in with_term[d.id][:3]:
            a = next(x for x in library["achievements"] if x.id == item["id"])
            back = {i["id"]: i["score"] for i in service.match_achievement(a, 50)["items"]}
            if d.id in back:
                assert back[d.id] == item["score"]
                seen += 1
    assert seen >= 3


def test_a_changed_text_is_never_read_with_its_old_vector(library, on):
    semantic.embed_missing(requeue=False)
    db.session.commit()
    d = library["demands"][0]
    old = MatchVector.query.filter_by(entity_type="demand", entity_id=d.id).one().digest
    d.description = d.description + " 另外要求设备国产化、占地小。"
    db.session.flush()
    assert d.id not in semantic.vectors("demand", [d])  # the stored one is for the old text
    assert store.refresh("demand", d.id) == "stored"  # the queue's worker: its vector first, then its lists
    row = MatchVector.query.filter_by(entity_type="demand", entity_id=d.id).one()
    assert row.digest != old and row.digest == semantic.digest("demand", semantic.text_of(d, "demand"))
    assert d.id in semantic.vectors("demand", [d])


def test_the_rebuild_with_vectors_stores_exactly_what_the_live_path_gives(library, on):
    semantic.embed_missing(requeue=False)
    db.session.query(MatchRefresh).delete()
    db.session.commit()
    semantic.reset_cache()  # the workers read what is stored
    run = jobs.new_run("all", batch=7)
    db.session.commit()
    jobs.run_rebuild(run.id, workers=2)
    db.session.expire_all()
    assert db.session.get(MatchRebuild, run.id).status == "done"
    assert disagreements(library) == []
    assert not semantic._complete  # the preload's assumption ends with the run


def test_the_embed_command_shows_progress_and_refuses_when_off(app, ctx, library, on, monkeypatch):
    runner = CliRunner()
    out = runner.invoke(app.cli, ["match", "embed", "--limit", "5"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "语义向量：5/5 条" in out.output and "已计算 5 条记录的语义向量" in out.output
    monkeypatch.setenv("MATCH_SEMANTIC", "0")
    out = runner.invoke(app.cli, ["match", "embed"])
    assert out.exit_code != 0 and "语义向量未启用" in out.output


def test_the_queue_embeds_a_record_before_its_lists_and_the_sweep_leaves_queued_ones_to_it(library, on):
    d, a = library["demands"][2], library["achievements"][5]
    store.enqueue("demand", [d.id], kick=False)
    db.session.commit()
    # the sweep's catch-up: everything without a vector except what the queue will embed anyway
    assert set(semantic.missing("demand", skip_queued=True)) == {x.id for x in library["demands"]} - {d.id}
    assert a.id in semantic.missing("achievement", skip_queued=True)
    assert jobs.process_queue() == 1
    row = MatchVector.query.filter_by(entity_type="demand", entity_id=d.id).one()
    assert row.digest == semantic.digest("demand", semantic.text_of(d, "demand"))
    assert MatchList.query.filter_by(entity_type="demand", entity_id=d.id).one().size > 0  # its list, same pass
    assert d.id not in semantic.missing("demand")


def test_a_deleted_records_vector_goes_with_it(ctx, on):
    from . import factories as f
    company = f.user("company")
    d = f.record("demands", company, status="published", title="陶瓷窑炉烟气脱硝", description="隧道窑烟气氮氧化物超标")
    db.session.commit()
    assert semantic.ensure("demand", [d]) == 1
    db.session.commit()
    oid = d.id
    db.session.delete(d)
    db.session.commit()
    assert store.refresh("demand", oid) == "missing"
    db.session.commit()
    assert MatchVector.query.filter_by(entity_type="demand", entity_id=oid).count() == 0


def test_the_match_command_embeds_what_its_answer_lacks_and_answers_as_the_stored_vectors_would(app, library, on,
                                                                                               monkeypatch):
    """A library imported a moment ago has no vectors (no worker has run): the command computes the record's and
    its candidates' (a command may take the seconds a request may not), stores them for the next time, queues their
    stored lists, and answers exactly what the live path answers once every vector is stored."""
    d = library["demands"][3]
    runner = app.test_cli_runner()
    out = runner.invoke(args=["match", "demand", d.ref, "--limit", "10", "--json"])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.stdout)
    stored = {(r.entity_type, r.entity_id) for r in MatchVector.query.all()}
    assert ("demand", d.id) in stored
    embedded_achievements = {oid for kind, oid in stored if kind == "achievement"}
    assert {item["id"] for item in answer["items"]} <= embedded_achievements
    assert f"已为 {len(stored)} 条记录计算并保存语义向量" in out.stderr
    assert {(r.entity_type, r.entity_id) for r in MatchRefresh.query.all()} == stored
    # the same answer as with every vector of the library stored beforehand
    semantic.embed_missing(requeue=False)
    db.session.commit()
    service.reset_caches()
    expected = service.match_demand(d, 10)
    assert [(i["id"], i["score"], i["reasons"]) for i in answer["items"]] == \
        [(i["id"], i["score"], i["reasons"]) for i in expected["items"]]
    assert answer["abstained"] == expected["abstained"]
    monkeypatch.setenv("MATCH_SEMANTIC", "0")
    service.reset_caches()
    plain = service.match_demand(d, 10)
    assert [(i["id"], i["score"]) for i in plain["items"]] != [(i["id"], i["score"]) for i in answer["items"]]
    monkeypatch.setenv("MATCH_SEMANTIC", "1")
    service.reset_caches()
    # the next call has nothing to embed and says nothing on stderr
    again = runner.invoke(args=["match", "demand", d.ref, "--limit", "10", "--json"])
    assert again.exit_code == 0 and again.stderr == "" and json.loads(again.stdout) == answer


def test_the_import_command_embeds_a_small_library_it_published_and_leaves_a_large_one_to_the_worker(app, ctx, on,
                                                                                                     tmp_path):
    """A library imported and published by the command is matched with the semantic term at once (an evaluation
    that imports a set and asks the API right away, without waiting for the worker, got answers without it)."""
    from .test_imports import ROWS, ZH, xlsx_bytes
    path = tmp_path / "成果.xlsx"
    path.write_bytes(xlsx_bytes(ZH, ROWS))
    out = app.test_cli_runner().invoke(args=["import", "achievements", str(path), "--publish", "--embed-limit", "1"])
    assert out.exit_code == 0, out.output
    assert "超过 1 条" in out.stderr and MatchVector.query.count() == 0  # more than the limit: the worker's
    waiting = {("achievement", i) for i in semantic.missing("achievement")} | {
        ("demand", i) for i in semantic.missing("demand")}  # (this module's tables may hold other records)
    assert {("achievement", a.id) for a in Achievement.query.filter_by(ref="A-1")} <= waiting
    out = app.test_cli_runner().invoke(args=["import", "achievements", str(path), "--publish"])
    assert out.exit_code == 0, out.output
    assert f"已为 {len(waiting)} 条记录计算并保存语义向量" in out.stderr
    assert {(v.entity_type, v.entity_id) for v in MatchVector.query} == waiting
    assert not semantic.missing("achievement") and not semantic.missing("demand")
    assert {("achievement", a.id) for a in Achievement.query.filter(Achievement.ref.in_(["A-1", "A-2"]))} <= {
        (r.entity_type, r.entity_id) for r in MatchRefresh.query}  # their stored lists take the term in
