"""The bulk rebuild (`flask match rebuild`: batches, forked workers, the writer in the parent) stores exactly what
the live path (`match_demand` / `match_achievement`, used on first read and by the evaluation) gives for every
record, and the sparse candidate search (matching/fastsearch.py) answers exactly as the Whoosh backend."""
import random
import re
import string

import pytest

from marketplace.achievements.models import Achievement
from marketplace.extensions import db
from marketplace.matching import fastsearch, jobs, service, store
from marketplace.matching.models import MatchList, MatchRebuild, StoredMatch
from marketplace.searching import sync
from search import SearchQuery
from search.analysis import fold
from search.base import Visibility

from .matching_library import _empty_tables, _library_ids, library_fixture  # noqa: F401  (fixtures)


def stored(etype, oid) -> dict:
    lst = MatchList.query.filter_by(entity_type=etype, entity_id=oid).one_or_none()
    col = store.COLUMN[store.OTHER[etype]]
    rows = StoredMatch.query.filter_by(direction=etype, **{store.COLUMN[etype]: oid}).all()
    return {"abstained": None if lst is None else lst.abstained, "terms": None if lst is None else list(lst.terms),
            "size": None if lst is None else lst.size, "decision": None if lst is None else lst.decision,
            "rows": {getattr(r, col): (r.score, r.band, list(r.reasons), list(r.shared_terms), r.coverage)
                     for r in rows}}


def live(obj) -> dict:
    result = store.compute(obj, store.LIMIT)
    items = result["items"][:store.LIMIT]
    return {"abstained": bool(result["abstained"]), "terms": list(result["terms"]), "size": len(items),
            "decision": store.decision_of(result),
            "rows": {i["id"]: (int(i["score"]), i["band"], list(i["reasons"]), list(i["shared_terms"]),
                               float(i["coverage"])) for i in items}}


def live_answers(library) -> dict:
    """Every record's live answer, computed afresh (not from the rebuild's profiles)."""
    service.reset_caches()
    out = {}
    for etype, objs in (("demand", library["demands"]), ("achievement", library["achievements"])):
        for obj in objs:
            db.session.refresh(obj)
            out[(etype, obj.id)] = live(obj)
    return out


def disagreements(library, answers=None) -> list:
    answers = answers or live_answers(library)
    return [key for key, answer in answers.items() if stored(*key) != answer]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_rebuild_stores_exactly_what_the_live_path_gives(library, workers):
    run = jobs.new_run("all", batch=7)
    db.session.commit()
    jobs.run_rebuild(run.id, workers=workers)
    db.session.expire_all()
    run = db.session.get(MatchRebuild, run.id)
    assert (run.status, run.done, run.total) == ("done", 54, 54)
    assert MatchList.query.count() == 54
    lists = [stored("demand", d.id) for d in library["demands"]]
    assert sum(len(x["rows"]) for x in lists) > 100  # real lists, not empty ones
    assert all(x["decision"]["signals"].get("ratio") is not None for x in lists if x["rows"])  # why, kept
    answers = live_answers(library)
    assert disagreements(library, answers) == []
    # the comparison sees a difference of one score
    row = StoredMatch.query.filter_by(direction="achievement").first()
    row.score += 1
    db.session.commit()
    assert disagreements(library, answers) == [("achievement", row.achievement_id)]


def test_above_the_prebuild_limit_the_workers_build_profiles_themselves_and_agree(library, monkeypatch):
    """A large library is not held in memory as profiles up front (5 GB at 100,000 records)."""
    monkeypatch.setenv("MATCHING_REBUILD_PREBUILD_MAX", "10")
    monkeypatch.setattr(jobs, "_prebuild_profiles", lambda workers: pytest.fail("profiles built up front"))
    run = jobs.new_run("all", batch=9)
    db.session.commit()
    jobs.run_rebuild(run.id, workers=2)
    db.session.expire_all()
    assert db.session.get(MatchRebuild, run.id).status == "done"
    assert disagreements(library) == []


def test_an_interrupted_parallel_rebuild_resumes_without_doing_a_record_twice(library, monkeypatch):
    written = []
    real = store.write_many

    def spy(etype, results, **kw):
        written.extend((etype, oid) for oid, _ in results)
        return real(etype, results, **kw)
    monkeypatch.setattr(store, "write_many", spy)
    run = jobs.new_run("all", batch=5)
    db.session.commit()

    class Stop(Exception):
        pass

    def stop_after_two(p):
        if p["done"] >= 10 and p["status"] == "running":
            raise Stop()
    with pytest.raises(Stop):
        jobs.run_rebuild(run.id, on_progress=stop_after_two, workers=2)
    db.session.expire_all()
    run = db.session.get(MatchRebuild, run.id)
    assert (run.status, run.done) == ("failed", 10)
    assert MatchList.query.count() == 10
    run.status = "queued"
    db.session.commit()
    jobs.run_rebuild(run.id, workers=2)
    db.session.expire_all()
    assert db.session.get(MatchRebuild, run.id).status == "done"
    assert len(written) == len(set(written)) == 54
    assert disagreements(library) == []


def test_the_sparse_candidate_search_answers_as_the_backend(library, monkeypatch):
    queries = []
    monkeypatch.setattr(service, "_search", lambda weighted, et, mm, per_page=service.CANDIDATES:
                        queries.append((tuple(weighted), et, mm, per_page)) or {})
    for etype, objs in (("demand", library["demands"]), ("achievement", library["achievements"])):
        for obj in objs:
            service._candidates(service.profile(obj, etype), store.OTHER[etype], None)
    rnd = random.Random(3)
    for weighted, et, mm, pp in list(queries):  # and harder ones: fewer terms, more required, a short page
        queries.append((tuple(rnd.sample(weighted, max(1, len(weighted) // 2))), et, min(3, len(weighted)), 5))
    assert len(queries) > 150
    be = sync.backend()
    same = 0
    for weighted, et, mm, pp in queries:
        expected = be.search(SearchQuery(weighted_terms=weighted, min_match=mm, types=(et,), visibility=Visibility(),
                                         per_page=pp, facets=False))
        got = fastsearch.search(be, weighted, et, mm, pp)
        assert got == list(zip(expected.ids, expected.scores)), (weighted, et, mm, pp)
        same += bool(got)
    assert same > 100  # most queries found something


def test_a_rebuild_setting_that_is_not_a_number_is_reported_and_the_default_used(ctx, monkeypatch):
    said = []
    monkeypatch.setattr(jobs.log, "warning", lambda msg, *args: said.append(msg % args))
    monkeypatch.setenv("MATCHING_REBUILD_PREBUILD_MAX", "两万")
    monkeypatch.setenv("MATCHING_REBUILD_WORKERS", "2x")
    assert jobs.prebuild_max() == jobs.PREBUILD_MAX
    assert jobs.rebuild_workers() == 1  # the default in tests
    assert any("MATCHING_REBUILD_PREBUILD_MAX" in m for m in said) and any("MATCHING_REBUILD_WORKERS" in m for m in said)
    monkeypatch.setenv("MATCHING_REBUILD_PREBUILD_MAX", "7")
    assert jobs.prebuild_max() == 7


def test_a_demand_typed_with_full_width_letters_is_answered_as_the_same_demand_in_ascii(library):
    # ＬＥＤ、ＰＬＣ、ＳＯ２ as a Chinese input method types them: before, the matcher dropped them from the demand's words
    wide = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits + "-./+"})
    demand = max(library["demands"], key=lambda d: len(re.findall(r"[A-Za-z]{2,}", d.title + d.description)))
    assert len(re.findall(r"[A-Za-z]{2,}", demand.title + demand.description)) >= 2  # (Excel, ERP)
    service.reset_caches()
    ascii_answer = live(demand)
    assert ascii_answer["rows"]
    demand.title, demand.description = demand.title.translate(wide), demand.description.translate(wide)
    demand.indicators = (demand.indicators or "").translate(wide)
    db.session.flush()
    assert not re.search(r"[A-Za-z]", demand.title + demand.description)  # nothing left in ASCII
    service.reset_caches()
    answer = live(demand)
    quoted = [reason for row in answer["rows"].values() for reason in row[2] if re.search("[Ａ-Ｚ]", reason)]
    assert quoted  # a reason quotes the demand as written (需求提到“ＥＲＰ”) …
    for oid, row in answer["rows"].items():  # … and is otherwise the ASCII demand's answer
        answer["rows"][oid] = (row[0], row[1], [fold(r) for r in row[2]], *row[3:])
    assert answer == ascii_answer
    db.session.rollback()


def test_texts_hard_wrapped_as_out_of_a_pdf_are_matched_as_the_texts_themselves(library):
    # a patent's abstract copied out of a PDF breaks its lines every few dozen characters, inside words (正极材\n料)
    def han(ch):
        return "\u4e00" <= ch <= "\u9fff"

    def wrap(text, width=17):  # a line every 17 characters or so, broken inside the Chinese (next to a Han character)
        out, line = [], ""
        for i, ch in enumerate(text):
            if len(line) >= width and (han(ch) or han(text[i - 1])) and (ch.isalnum() and text[i - 1].isalnum()):
                out.append(line)
                line = ""
            line += ch
        return "\n".join(out + [line])

    demand = library["demands"][0]
    service.reset_caches()
    before = live(demand)
    assert before["rows"]
    demand.description = wrap(demand.description)
    for a in library["achievements"]:
        a.summary = wrap(a.summary)
    db.session.flush()
    assert "\n" in demand.description and sum("\n" in a.summary for a in library["achievements"]) > 30
    service.reset_caches()
    assert live(demand) == before
    db.session.rollback()


def test_texts_in_traditional_characters_are_matched_as_the_same_texts_in_simplified(library):
    # a Taiwanese-invested firm's demand (鋰電池…), a Hong Kong university's summaries: before, their words met nothing
    # written in simplified characters
    from search import analysis
    traditional = str.maketrans({chr(simp): chr(trad) for trad, simp in sorted(analysis._FOLD.items())
                                 if 0x4E00 <= simp <= 0x9FFF and trad <= 0xFFFF})
    demand = library["demands"][0]
    service.reset_caches()
    before = live(demand)
    assert before["rows"]
    for obj, names in [(demand, ("title", "description", "indicators"))] + \
            [(a, ("title", "summary", "keywords")) for a in library["achievements"][::2]]:
        for name in names:
            text = getattr(obj, name) or ""
            setattr(obj, name, text.translate(traditional))
            assert fold(getattr(obj, name)) == fold(text)  # the same text, written in traditional characters
    db.session.flush()
    written = [demand.title + demand.description] + [a.summary for a in library["achievements"][::2]]
    assert all(analysis._WIDE.search(text) for text in written)  # really written in traditional characters
    service.reset_caches()
    assert live(demand) == before
    db.session.rollback()


def test_a_rebuild_worker_keeps_every_profile_when_memory_allows(library, monkeypatch):
    """Above the prebuild limit each worker builds profiles as it needs them: it keeps them all (none built twice)
    when half of the memory available holds them in every worker, as many as fit otherwise, never fewer than the
    live path's bound; the setting decides when given; the live path's bound is back after the run."""
    bound = service.PROFILE_CACHE
    gib = 1 << 30
    monkeypatch.setattr(jobs, "_memory_available", lambda: 24 * gib)
    assert jobs.worker_profile_cache(110_000, 2) == 111_000
    monkeypatch.setattr(jobs, "_memory_available", lambda: 12 * gib)
    fit = 12 * gib // 2 // (2 * jobs.PROFILE_BYTES)
    assert jobs.worker_profile_cache(110_000, 2) == fit == 65_536  # as many as fit …
    monkeypatch.setattr(jobs, "_memory_available", lambda: 1 * gib)
    assert jobs.worker_profile_cache(110_000, 2) == bound  # … never fewer than the live path keeps
    monkeypatch.setattr(jobs, "_memory_available", lambda: None)
    assert jobs.worker_profile_cache(110_000, 2) == bound
    monkeypatch.setenv("MATCHING_REBUILD_PROFILE_CACHE", "70000")
    assert jobs.worker_profile_cache(110_000, 2) == 70_000
    # a parallel run above the prebuild limit sets the workers' bound before forking, and restores it
    monkeypatch.setenv("MATCHING_REBUILD_PREBUILD_MAX", "10")
    monkeypatch.setattr(jobs, "_prebuild_profiles", lambda workers: pytest.fail("profiles built up front"))
    seen = []
    forking = jobs.mp.get_context("fork").Pool

    def pool(*args, **kwargs):
        seen.append(service.PROFILE_CACHE)
        return forking(*args, **kwargs)
    monkeypatch.setattr(jobs.mp, "get_context", lambda method: type("Ctx", (), {"Pool": staticmethod(pool)}))
    run = jobs.new_run("all", batch=20)
    db.session.commit()
    jobs.run_rebuild(run.id, workers=2)
    assert seen == [70_000]
    assert service.PROFILE_CACHE == bound
    assert db.session.get(MatchRebuild, run.id).status == "done"


def test_a_worker_holds_its_candidates_across_batches_for_a_while(library, monkeypatch, request):
    """... and reads its own records afresh: the same answers with fewer reads, a change seen in time."""
    from sqlalchemy import event, update

    titles = {x.id: x.title for x in library["achievements"]}

    def restore():  # the library is the module's: the titles changed below are put back
        with db.engine.begin() as conn:
            for oid, title in titles.items():
                conn.execute(update(Achievement).where(Achievement.id == oid).values(title=title))
    request.addfinalizer(restore)
    reads = []

    def seen(conn, cursor, statement, params, context, executemany):
        if "FROM achievements" in statement:
            reads.append(statement)

    d_ids = [d.id for d in library["demands"]]
    tasks = [("demand", d_ids[i:i + 6]) for i in range(0, len(d_ids), 6)]
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        jobs._child.clear()
        plain = []
        for task in tasks:  # each batch on its own: its candidates read again
            plain.append(jobs.compute_batch(task))
            db.session.remove()
        reads_plain = len(reads)
        del reads[:]
        service.reset_caches()
        held = [jobs._child_batch(task) for task in tasks]
        reads_held = len(reads)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert held == plain and any(items for batch in plain for _, items in batch)
    assert reads_held < reads_plain, (reads_held, reads_plain)
    assert jobs._child["held"], "the candidates are kept between batches"

    # an achievement held as a candidate is changed behind the worker's back: as one of the batch's own
    # records it is read afresh at once
    a = library["achievements"][0]
    assert any(o is a or getattr(o, "id", None) == a.id for o in jobs._child["held"])
    with db.engine.begin() as conn:  # not through the session, which would update the held object too
        conn.execute(update(Achievement).where(Achievement.id == a.id).values(title="稀土永磁电机控制器散热新工艺"))
    [(oid, answer)] = jobs._child_batch(("achievement", [a.id]))
    assert "散热" in " ".join(answer["terms"]) or "稀土" in " ".join(answer["terms"])
    # ... and another one, met only as a candidate, once the holding time is over
    listed = [(oid, i["id"]) for batch in plain for oid, answer in batch for i in answer["items"] if i["id"] != a.id]
    d_id, b_id = listed[0]
    with db.engine.begin() as conn:
        conn.execute(update(Achievement).where(Achievement.id == b_id).values(title="铜冶炼烟气余热回收新装置"))
    monkeypatch.setattr(jobs, "HOLD_SECONDS", 0.0)
    jobs._child_batch(tasks[0])  # lets the held records go
    assert jobs._child["held"] == []
    fresh = jobs._child_batch(("demand", [d_id]))
    service.reset_caches()
    db.session.remove()
    assert fresh == jobs.compute_batch(("demand", [d_id]))
    assert "铜冶炼烟气余热回收新装置" in {i["title"] for _, answer in fresh for i in answer["items"]}


def test_an_achievements_own_links_are_fired_only_when_it_is_the_record_matched(library, monkeypatch):
    """A demand's candidates are matched by the demand's graph links, never by their own: an achievement's links are
    fired when it is the record matched (its searches, the summary), from its text, in the graph it was built with;
    a profile built up front by a rebuild worker reaches the parent with its links and without the graph."""
    from marketplace.matching import knowledge
    service.reset_caches()
    texts = []
    real = knowledge.Graph.fired
    monkeypatch.setattr(knowledge.Graph, "fired", lambda self, text: texts.append(text) or real(self, text))
    achs, dems = library["achievements"], library["demands"]
    aps = service.profiles(achs, "achievement")
    assert texts == [] and all(p.links is None for p in aps)
    service.profiles(dems, "demand")
    assert len(texts) == len(dems)  # a demand's own links: at once (its evidence follows them)
    for d in dems:
        service.match_demand(d)
    assert len(texts) == len(dems)  # its candidates' links: not fired
    raw = {a.id: " ".join(t for t, _ in service._fields(a, "achievement")) for a in achs}
    graph = knowledge.graph()
    firing = [a for a in achs if real(graph, raw[a.id])]
    assert firing, "some achievement fires a link"
    a = firing[0]
    result = service.match_achievement(a)
    p = service.profile(a, "achievement")
    assert p.links == real(graph, raw[a.id]) and p.fired_by is None
    assert [g["mechanism"] for g in result["graph"]] == [link.mechanism for link, _ in p.links[:8]]
    assert len(texts) == len(dems) + 1  # once, then kept
    service.match_achievement(a)
    assert len(texts) == len(dems) + 1
    # a rebuild worker's up-front profiles are sent with their links fired and no graph attached
    service.reset_caches()
    sent = dict(jobs._profile_batch(("achievement", [x.id for x in firing])))
    built = sent[("achievement", a.id)][1]
    assert built.links == real(graph, raw[a.id]) and built.fired_by is None


def test_a_graph_edit_made_while_a_rebuild_runs_is_followed_by_another_run(library):
    """The edit's own check finds the run already going and queues nothing; the lists the run writes carry the
    fingerprint it started with. At its end the run sees the change, marks those lists stale and queues another
    (immediate in tests), after which every list follows the edited graph."""
    import jieba

    from marketplace.matching import knowledge

    from . import factories
    broker = factories.user("broker")
    run = jobs.new_run("all", batch=9)
    db.session.commit()
    demand, achievement = library["demands"][0], library["achievements"][0]
    cues = [w for w in jieba.lcut(demand.title) if len(w) >= 2][:2]
    tech = next(w for w in jieba.lcut(achievement.title) if len(w) >= 2)
    edited = []

    def edit_once(p):
        if p["status"] == "running" and p["done"] >= 9 and not edited:
            edited.append(knowledge.add_link(broker, cues=" ".join(cues), mechanism="运行中添加",
                                             technologies=tech))
            store.check_fingerprint()  # what the editor's page does: the run is active, nothing more is queued
            db.session.commit()
            assert MatchRebuild.query.count() == 1
    jobs.run_rebuild(run.id, on_progress=edit_once, workers=1)
    db.session.expire_all()
    assert edited
    runs = MatchRebuild.query.order_by(MatchRebuild.id).all()
    assert [r.status for r in runs] == ["done", "done"] and runs[1].reason == "fingerprint"
    assert f"#{runs[1].id}" in runs[0].message
    now = store.fingerprint(fresh=True)
    assert {(lst.fingerprint, lst.stale) for lst in MatchList.query} == {(now, False)}
    assert disagreements(library) == []


def _stored_all(library) -> dict:
    return {(etype, o.id): stored(etype, o.id) for etype, objs in (("demand", library["demands"]),
                                                                ("achievement", library["achievements"]))
            for o in objs}


@pytest.mark.parametrize("edit", ["add", "disable a file link", "disable then enable"])
def test_a_graph_edit_recomputes_only_the_lists_it_can_change_and_they_end_as_live(library, edit):
    """A link edited in the site: the lists it can change (records whose text fires it, achievements naming one of
    its technologies) are queued; every other list moves to the new fingerprint unchanged, no full rebuild. Once the
    queue is processed every stored list equals the live answer under the edited graph."""
    import jieba

    from marketplace.matching import knowledge
    from marketplace.matching.models import MatchRefresh

    from . import factories
    run = jobs.new_run("all", batch=60)
    db.session.commit()
    jobs.run_rebuild(run.id, workers=1)
    broker = factories.user("broker")
    before = _stored_all(library)
    texts = {d.id: " ".join([d.title, d.indicators or "", d.description or ""]) for d in library["demands"]}
    if edit == "add":
        demand, achievement = library["demands"][0], library["achievements"][0]
        cues = [w for w in jieba.lcut(demand.title) if len(w) >= 2][:2]
        tech = next(w for w in jieba.lcut(achievement.title) if len(w) >= 2)
        knowledge.add_link(broker, cues=" ".join(cues), mechanism="测试", technologies=tech)
    else:  # a file link whose path a stored row shows (需求提到“…”，可能源于{mechanism}，对应技术：…)
        shown = {r for m in StoredMatch.query for reason in m.reasons for r in [reason] if "可能源于" in r}
        link = next(l for l in knowledge.graph().links if l.origin == "file" and l.mechanism
                    and any(f"可能源于{l.mechanism}，" in r for r in shown)
                    and any(knowledge.single(l).fired(t) for t in texts.values()))
        row = knowledge.disable_file_link(broker, link.key, "测试停用")
        if edit == "disable then enable":
            db.session.commit()
            jobs.process_queue()
            db.session.expire_all()
            assert _stored_all(library) != before  # disabled: some lists changed
            knowledge.set_status(broker, row, "enable")
    queued = {(r.entity_type, r.entity_id) for r in MatchRefresh.query}
    stale = {(lst.entity_type, lst.entity_id) for lst in MatchList.query.filter_by(stale=True)}
    assert queued and queued == stale and len(queued) < len(before) // 2
    db.session.commit()
    jobs.process_queue()
    db.session.expire_all()
    assert MatchRebuild.query.count() == 1  # no full rebuild
    now = store.fingerprint(fresh=True)
    assert {(lst.fingerprint, lst.stale) for lst in MatchList.query} == {(now, False)}
    after = _stored_all(library)
    changed = {k for k in before if before[k] != after[k]}
    if edit == "disable then enable":
        assert after == before  # enabled again: back to where it was
    else:
        assert changed and changed <= queued, changed - queued
    assert disagreements(library) == []
