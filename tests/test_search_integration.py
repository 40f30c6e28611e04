"""Search inside the marketplace: the outbox, permissions, the API and pages, crashes and concurrent writers (search
quality on the demo records: test_demo.py, where the demo is loaded once)."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from search import SearchQuery
from search.base import Visibility

from marketplace.core import listings
from marketplace.extensions import db
from marketplace.searching import sync
from marketplace.searching.models import SearchOutbox

from .conftest import login

ROOT = Path(__file__).resolve().parent.parent


def published(f, owner, title, **kw):
    return f.record("achievements", owner, status="published", title=title, **kw)


def test_outbox_rows_are_written_with_the_change_and_only_on_commit(f):
    inst = f.user("institution")
    lib = listings.LIBRARIES["achievements"]
    obj = listings.create(inst, lib, lib.load({**f.ACHIEVEMENT, "title": "回滚的成果"}))
    db.session.flush()
    assert SearchOutbox.query.filter_by(entity_type="achievement", entity_id=obj.id).count() == 1
    db.session.rollback()
    assert SearchOutbox.query.count() == 0
    obj = f.record("achievements", inst, title="提交的成果")
    assert SearchOutbox.query.filter_by(entity_id=obj.id).count() >= 1
    assert sync.apply_pending() >= 1
    assert SearchOutbox.query.count() == 0
    assert sync.backend().get(f"achievement:{obj.id}")["status"] == "draft"


def test_index_follows_every_state_change(client, f):
    inst = f.user("institution")
    admin = f.user("admin")
    tok, atok = f.token(inst), f.token(admin)
    h, ah = {"Authorization": f"Bearer {tok}"}, {"Authorization": f"Bearer {atok}"}
    created = client.post("/api/v1/achievements", json={**f.ACHIEVEMENT, "title": "铜箔表面粗化处理技术"}, headers=h)
    oid = created.json["id"]

    def public_hits():
        return [i["id"] for i in client.get("/api/v1/search?q=铜箔").json["items"]]

    assert public_hits() == []
    client.post(f"/api/v1/achievements/{oid}/submit", headers=h)
    client.post(f"/api/v1/achievements/{oid}/approve", headers=ah)
    assert public_hits() == [oid]
    client.post(f"/api/v1/achievements/{oid}/withdraw", headers=h)
    assert public_hits() == []
    client.patch(f"/api/v1/achievements/{oid}", json={"title": "电解铜箔生箔工艺"}, headers=h)
    assert client.get("/api/v1/search?q=生箔", headers=h).json["items"][0]["id"] == oid
    assert client.delete(f"/api/v1/achievements/{oid}", headers=h).status_code == 403  # withdrawn, not a draft
    assert sync.check()["missing"] == [] and sync.check()["stale"] == []


def test_drafts_are_found_by_their_owner_and_admins_only(client, f):
    owner = f.user("institution", city="鹰潭")
    stranger = f.user("institution")
    draft = f.record("achievements", owner, title="高纯氧化钪萃取提纯草稿")
    published(f, owner, "高纯氧化钪萃取提纯公开版")
    sync.apply_pending()
    query = "/api/v1/search?q=氧化钪"
    anon = client.get(query).json
    assert anon["total"] == 1 and anon["items"][0]["status"] == "published"
    assert anon["facets"]["type"] == [{"value": "achievement", "count": 1, "label": "成果"}]
    mine = client.get(query, headers={"Authorization": f"Bearer {f.token(owner)}"}).json
    assert {i["id"] for i in mine["items"]} >= {draft.id} and mine["total"] == 2
    other = client.get(query, headers={"Authorization": f"Bearer {f.token(stranger)}"}).json
    assert other["total"] == 1
    city_admin = f.user("admin", admin_level="city", city="鹰潭")
    assert client.get(query, headers={"Authorization": f"Bearer {f.token(city_admin)}"}).json["total"] == 2
    far_admin = f.user("admin", admin_level="city", city="九江")
    assert client.get(query, headers={"Authorization": f"Bearer {f.token(far_admin)}"}).json["total"] == 1
    # The library list with q applies the same rules, in its scopes.
    login(client, owner)
    assert client.get("/api/v1/achievements?q=氧化钪&scope=mine").json["total"] == 2
    assert client.get("/api/v1/achievements?q=氧化钪").json["total"] == 1


def test_search_api_results_facets_highlights_and_paging(client, f):
    inst = f.user("institution", name="南昌大学")
    for i in range(12):
        published(f, inst, f"锂离子电池正极材料第{i}代", industry="新能源" if i < 8 else "新材料",
                  asking_price_wan=str(10 + i))
    published(f, inst, "脐橙保鲜技术", industry="现代农业")
    company = f.user("company")
    f.record("demands", company, status="published", title="锂电池正极材料提纯需求")
    sync.apply_pending()
    res = client.get("/api/v1/search?q=锂电&per_page=5").json
    assert res["total"] == 13 and len(res["items"]) == 5 and res["pages"] == 3
    assert {f["value"]: f["count"] for f in res["facets"]["type"]} == {"achievement": 12, "demand": 1}
    assert "<mark>锂离子电池</mark>" in res["items"][0]["title_html"] or "<mark>锂电池</mark>" in res["items"][0]["title_html"]
    only = client.get("/api/v1/search?q=锂电&type=achievement&industry=新材料").json
    assert only["total"] == 4 and all(i["industry"] == "新材料" for i in only["items"])
    cheap = client.get("/api/v1/search?q=锂电&type=achievement&sort=price_asc&per_page=2").json
    assert [i["price_display"] for i in cheap["items"]] == ["10万元", "11万元"]


@pytest.mark.parametrize("query", ["sort=evil", "type=patent", "industry=火星", "page=0", "per_page=500",
                                   "q=" + "长" * 101, "price_min=abc", "price_min=10&price_max=1"])
def test_bad_search_parameters_are_400(client, ctx, query):
    resp = client.get(f"/api/v1/search?{query}")
    assert resp.status_code == 400 and resp.json["error"]["message"]
    assert client.get(f"/search?{query}").status_code == 400


def test_search_page_renders_facets_and_marks(client, f):
    inst = f.user("institution")
    published(f, inst, "钕铁硼稀土永磁材料")
    sync.apply_pending()
    html = client.get("/search?q=稀土永磁").get_data(as_text=True)
    assert "<mark>" in html and 'data-facet="industry"' in html and "共 <strong>1</strong> 条结果" in html
    lib_html = client.get("/achievements/?q=永磁").get_data(as_text=True)
    assert "<mark>永磁</mark>" in lib_html and 'id="facets"' in lib_html


@pytest.mark.parametrize("title, summary, query, field, marked", [
    # a full-width code, as a Chinese input method types it in full-width mode
    ("ＬＥＤ路灯散热模组", None, "LED", "title_html", "<mark>ＬＥＤ</mark>路灯"),
    # traditional characters (a Hong Kong university's listing), found by simplified words, marked as written
    ("鋰電池負極材料包覆工藝", "人造石墨負極的瀝青包覆與燒結，首次效率提升。", "锂电池负极", "title_html", "<mark>鋰電池</mark>"),
    ("鋰電池負極材料包覆工藝", "人造石墨負極的瀝青包覆與燒結，首次效率提升。", "沥青包覆", "snippet_html",
     "<mark>瀝青</mark><mark>包覆</mark>"),
    # a summary hard-wrapped as copied out of a PDF
    ("高镍正极包覆改性", "本发明公开了一种高镍三元正极材\n料的包覆改性方法，循环寿命提升。", "正极材料", "snippet_html",
     "<mark>正极材料</mark>"),
])
def test_text_as_users_bring_it_is_found_and_marked_as_written(client, f, title, summary, query, field, marked):
    inst = f.user("institution")
    published(f, inst, title, **({"summary": summary} if summary else {}))
    sync.apply_pending()
    res = client.get(f"/api/v1/search?q={query}").json
    assert res["total"] == 1 and marked in res["items"][0][field]


def test_reindex_rebuilds_from_the_database(app, f):
    inst = f.user("institution")
    objs = [published(f, inst, f"重建测试成果{i}") for i in range(5)]
    sync.apply_pending()
    sync.backend().delete([f"achievement:{objs[0].id}"])  # the index falls behind behind our back
    assert sync.check()["missing"] == [f"achievement:{objs[0].id}"]
    out = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert out.exit_code == 0 and "重建完成" in out.output
    check = app.test_cli_runner().invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output


def test_an_index_built_under_another_analysis_is_rebuilt_in_the_background(app, f, monkeypatch):
    # a deploy that changes how text is cut (the rules, the dictionary, the stopwords) leaves an index whose words
    # its queries no longer meet: the worker's periodic task rebuilds it, once
    from search import analysis
    from marketplace.searching import tasks as search_tasks
    inst = f.user("institution")
    obj = published(f, inst, "ＬＥＤ路灯散热模组")
    sync.apply_pending()
    be = sync.backend()
    assert be.analysis_stamp() == analysis.stamp()
    before = be.current.resolve()
    search_tasks.reindex_when_outdated.call_local()
    assert be.current.resolve() == before  # current: nothing done
    monkeypatch.setattr(analysis, "stamp", lambda: "rules-of-the-next-deploy")
    search_tasks.reindex_when_outdated.call_local()
    rebuilt = be.current.resolve()
    assert rebuilt != before and be.analysis_stamp() == "rules-of-the-next-deploy"
    assert [i.split(":")[1] for i in be.search(SearchQuery(text="LED")).ids] == [str(obj.id)]
    search_tasks.reindex_when_outdated.call_local()
    assert be.current.resolve() == rebuilt  # once
    (rebuilt / "analysis.stamp").unlink()  # an index built before stamps were kept
    assert be.analysis_stamp() == ""
    search_tasks.reindex_when_outdated.call_local()
    assert be.current.resolve() != rebuilt and be.analysis_stamp() == "rules-of-the-next-deploy"
    monkeypatch.undo()
    sync.reindex()  # (the session's index left under today's stamp for the tests after this one)
    assert be.analysis_stamp() == analysis.stamp()


def _env(app) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"],
               FLASK_APP="wsgi", PYTHONPATH=str(ROOT))
    return env


def test_sync_killed_midway_is_completed_by_the_next_sync(app, f):
    inst = f.user("institution")
    lib = listings.LIBRARIES["achievements"]
    for i in range(240):
        listings.create(inst, lib, lib.load({**f.ACHIEVEMENT, "title": f"崩溃测试成果{i}", "ref": f"K-{i}"}))
    db.session.commit()
    assert SearchOutbox.query.count() == 240
    proc = subprocess.Popen([sys.executable, "-m", "flask", "search", "sync", "--batch", "20"], cwd=ROOT,
                            env=_env(app), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = proc.stderr.readline()  # "已同步 20/240": the first batch is in, the rest under way
    assert "已同步" in line, line
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    left = SearchOutbox.query.count()
    assert 0 < left < 240, "the kill should land in the middle of the sync"
    done = subprocess.run([sys.executable, "-m", "flask", "search", "sync"], cwd=ROOT, env=_env(app),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    db.session.expire_all()
    assert SearchOutbox.query.count() == 0
    check = sync.check()
    assert (check["missing"], check["extra"], check["stale"], check["documents"]) == ([], [], [], 240)


WRITER = """
import sys
from marketplace import create_app
from marketplace.core import listings
from marketplace.extensions import db
from marketplace.accounts.models import User
from marketplace.searching.sync import apply_pending
app = create_app()
with app.app_context():
    lib = listings.LIBRARIES["achievements"]
    user = db.session.get(User, int(sys.argv[1]))
    ids = [int(x) for x in sys.argv[3].split(",")]
    for round_ in range(int(sys.argv[2])):
        for oid in ids:
            obj = db.session.get(lib.model, oid)
            listings.update(user, lib, obj, {"title": f"并发写入{sys.argv[4]}轮{round_}号{oid}"})
            db.session.commit()
            apply_pending(lock_timeout=60)   # what every web request does after its commit
print("ok")
"""


def test_concurrent_writer_processes_lose_no_update(app, f):
    inst = f.user("institution")
    objs = [f.record("achievements", inst, title=f"并发初始{i}") for i in range(4)]
    sync.apply_pending()
    id_list = ",".join(str(o.id) for o in objs)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(inst.id), "6", id_list, name], cwd=ROOT,
                              env=_env(app), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("甲", "乙", "丙")]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0 and "ok" in out, err[-2000:]
        assert "LockError" not in err and "IndexLocked" not in err
    db.session.expire_all()
    check = sync.check()
    assert (check["missing"], check["stale"]) == ([], []), check
    for obj in objs:
        db.session.refresh(obj)
        hits = sync.backend().search(SearchQuery(text=obj.title, visibility=Visibility(everything=True),
                                                 per_page=1))
        assert hits.ids[0] == f"achievement:{obj.id}"
