"""Page cost, second pass: the cheaper facet/pager links give exactly url_for's URLs; the home page's data is
cached per process for HOME_CACHE_SECONDS; the workbench counts unread notifications once per request."""
from flask import url_for
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.searching.links import facet_hrefs, link_base, query_url

from .conftest import login


PARAMS = [{}, {"q": "稀土 永磁"}, {"q": "a&b=c/d:e", "industry": "新能源", "page": "3"},
          {"industry": "电子信息", "q": "锂电", "sort": "newest"}, {"city": "鹰潭", "x": "!$'()*,;?@ %+#"}]


def test_links_are_exactly_what_url_for_gives(app):
    with app.test_request_context("/"):
        base = link_base("searching.page")
        assert base == url_for("searching.page")
        assert link_base("achievements.detail") is None  # a rule with variables: callers fall back to url_for
        for params in PARAMS:
            assert query_url(base, params) == url_for("searching.page", **params)
            for key in ("industry", "q", "city", "new"):
                values = ["新能源", "电子信息", "a b&c", "x/y:z"]
                active = params.get(key)
                got = facet_hrefs(base, params, key, values, active)
                want = []
                for v in values:
                    p = dict(params)
                    if v == active:
                        p.pop(key, None)
                    else:
                        p[key] = v
                    want.append(url_for("searching.page", **p))
                assert got == want, (params, key)


def _count_sql(app):
    n = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: n.__setitem__(0, n[0] + 1))
    return n


def test_home_page_data_is_cached_for_a_few_seconds(app, client, f):
    f.record("achievements", f.user("institution"), status="published", title="缓存首页的成果")
    app.config["HOME_CACHE_SECONDS"] = 60
    n = _count_sql(app)
    first = client.get("/").get_data(as_text=True)
    queries_first = n[0]
    n[0] = 0
    second = client.get("/").get_data(as_text=True)
    assert n[0] < queries_first and n[0] <= 1, (queries_first, n[0])  # the data came from the cache
    assert "缓存首页的成果" in first
    assert second.split('id="home-figures"')[1] == first.split('id="home-figures"')[1]
    app.config["HOME_CACHE_SECONDS"] = 0
    n[0] = 0
    client.get("/")
    assert n[0] == queries_first  # 0: every request reads the database again


def test_workbench_counts_unread_notifications_once(app, client, f):
    from marketplace.notifications import service
    company = f.user(role="company")
    with app.test_request_context():
        service.tell(company, "match", "新的匹配", "正文", "/workbench")
        db.session.commit()
    login(client, company)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda c, cur, st, *a: statements.append(st))
    html = client.get("/workbench").get_data(as_text=True)
    assert sum("FROM notifications" in s for s in statements) == 1, statements
    assert 'id="unread-count">1<' in html  # the badge: the providers' count, reused
