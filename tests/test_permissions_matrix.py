"""Object-level permissions, object by object: who is not concerned gets a 404 for what is not public (the same
answer as for something that does not exist) and a 403 for writing to what is public, on every read and write
endpoint — the JSON API with a Bearer token, the pages with a session.

The outsiders: a user of another organisation (of the owner's own kind), a broker with no link to the object,
and an administrator out of scope (a city centre of another city; every owner here is in 南昌).

A page refuses a write to a public object the way pages do (a redirect with the message); whatever the answer,
no outsider's request may change anything: the audit log, where every change of state is written, stays as it
was. Lists (and JSON, decoded) must not show the object's title."""
import json
from dataclasses import dataclass, field
from datetime import date

import pytest

from marketplace.core.models import AuditLog
from marketplace.extensions import db

from . import factories

from .conftest import login

OUTSIDERS = ("other_org", "broker", "admin_out_of_scope")
MARKER = "权限矩阵专用标题"  # in every object's title: a list that shows it leaks the object
TERMS = {"kind": "lump_sum"}


@dataclass
class Case:
    owner: object
    reads: list                                   # (method, url, body)
    writes: list
    public: bool = False                          # reads answer 200, writes 403 (pages: a redirect)
    lists: list = field(default_factory=list)     # urls whose answer must not show the MARKER
    internal: list = field(default_factory=list)  # reads of a public object's internals: 404


def bearer(f, user) -> dict:
    return {"Authorization": f"Bearer {f.token(user)}"}


def outsider(f, who, owner_role):
    if who == "other_org":
        return f.user(owner_role)
    if who == "broker":
        return f.user("broker")
    return f.user("admin", admin_level="city", city="赣州")


# The objects -----------------------------------------------------------------------------------------------

def library_case(f, library, role, status="draft"):
    owner = f.user(role)
    obj = f.record(library, owner, status=status, ref=f"PM-{library}", title=f"{MARKER}：{library}稀土铜线技术")
    base, page = f"/api/v1/{library}/{obj.id}", f"/{library}/{obj.id}"
    reads = [("GET", base, None), ("GET", page, None)]
    if library in ("achievements", "demands"):
        reads.append(("GET", f"{base}/matches", None))
    internal = [("GET", f"{base}/history", None)]
    full = {**factories.DEFAULTS[library], "title": "改写他人记录的标题"}
    writes = [("PATCH", base, {"title": "改写他人记录的标题"}), ("PUT", base, full),
              ("DELETE", base, None), ("GET", f"{page}/edit", None), ("POST", f"{page}/edit", {"title": "改写"}),
              ("POST", f"{page}/delete", {})]
    for action in ("submit", "approve", "reject", "withdraw"):
        writes += [("POST", f"{base}/{action}", {"reason": "资料不全"}), ("POST", f"{page}/{action}", {"reason": "资料不全"})]
    lists = [] if status == "published" else [f"/api/v1/{library}?q={MARKER}", f"/api/v1/{library}?scope=mine",
                                              f"/api/v1/{library}?scope=review", f"/{library}/?scope=review"]
    if status != "published":
        reads, internal = reads + internal, []
    return Case(owner, reads, writes, public=status == "published", lists=lists, internal=internal)


def usefirst_item(f, inst, title=MARKER + "：先用后转成果"):
    from marketplace.usefirst import services as uf
    from marketplace.usefirst.models import UseFirstItem
    a = f.record("achievements", inst, status="published", ref="PM-UF", title=title, ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    return UseFirstItem.query.filter_by(achievement_id=a.id).one()


def usefirst_case(f, status):
    from marketplace.usefirst import services as uf
    inst = f.user("institution")
    item = usefirst_item(f, inst)
    if status == "kept_off":
        uf.keep_off(inst, item, {"reason": "涉及国家安全或保密", "evidence": "项目任务书第5条保密要求，文号赣科密〔2021〕3号"})
    elif status == "listed":
        uf.confirm(inst, item, {})
    db.session.commit()
    api, page = f"/api/v1/usefirst/{item.id}", f"/usefirst/{item.id}"
    reads = [("GET", api, None), ("GET", page, None)]
    writes = [("POST", f"{api}/confirm", {}), ("POST", f"{page}/confirm", {}),
              ("POST", f"{api}/keep-off", {"reason": "涉及国家安全或保密", "evidence": "项目任务书第5条保密要求（测试）"}),
              ("POST", f"{page}/keep-off", {"reason": "涉及国家安全或保密", "evidence": "项目任务书第5条保密要求（测试）"}),
              ("POST", f"{api}/challenge", {"note": "理由不充分，请重新确认"}),
              ("POST", f"{page}/challenge", {"note": "理由不充分，请重新确认"})]
    if status != "listed":  # applying to a listed item is what companies are meant to do
        reads.append(("GET", f"{api}/applications", None))
        writes += [("POST", f"{api}/applications", {"plan": "拟在我司产线上试用十二个月"}),
                   ("POST", f"{page}/apply", {"plan": "拟在我司产线上试用十二个月"})]
    lists = [] if status == "listed" else ["/api/v1/usefirst/decisions", "/usefirst/manage", "/api/v1/usefirst",
                                           "/usefirst", "/usefirst/feed.xml"]
    return Case(inst, reads, writes, public=status == "listed", lists=lists)


def _application(f):
    from marketplace.usefirst import services as uf
    inst = f.user("institution")
    item = usefirst_item(f, inst, title="铜渣贫化综合利用技术")  # public: only the application is private here
    uf.confirm(inst, item, {})
    company = f.user("company")
    row = uf.apply(company, item, {"plan": f"{MARKER}：在我司二号线试用十二个月"})
    db.session.commit()
    return inst, item, company, row


def application_case(f):
    _, item, company, row = _application(f)
    api = f"/api/v1/usefirst/applications/{row.id}"
    accept = {"starts_on": "2026-02-01", "after_terms": "按挂牌标准条款许可"}
    writes = [("POST", f"{api}/accept", accept), ("POST", f"/usefirst/applications/{row.id}/accept", accept),
              ("POST", f"{api}/decline", {"note": "不接受"}),
              ("POST", f"/usefirst/applications/{row.id}/decline", {"note": "不接受"})]
    return Case(company, [("GET", api, None)], writes,
                lists=[f"/api/v1/usefirst/{item.id}/applications", f"/usefirst/{item.id}"])


def trial_case(f):
    from marketplace.usefirst import services as uf
    inst, _, company, row = _application(f)
    trial = uf.accept(inst, row, {"starts_on": "2026-02-01", "after_terms": "按挂牌标准条款许可"})
    db.session.commit()
    api, page = f"/api/v1/usefirst/trials/{trial.id}", f"/usefirst/trials/{trial.id}"
    convert = {"amount": "300000", "signed_on": "2027-02-01"}
    writes = [("POST", f"{api}/convert", convert), ("POST", f"{page}/convert", convert),
              ("POST", f"{api}/terminate", {"reason": "试用效果未达预期"}),
              ("POST", f"{page}/terminate", {"reason": "试用效果未达预期"})]
    return Case(company, [("GET", api, None), ("GET", page, None)], writes)


def introduction_case(f):
    from marketplace.brokers import services as brokers
    company = f.user("company")
    demand = f.record("demands", company, status="published", ref="PM-D", title=MARKER + "：铜线断线")
    ach = f.record("achievements", f.user("institution"), status="published", ref="PM-A")
    broker = f.user("broker")
    intro = brokers.claim(broker, demand)
    brokers.introduce(broker, intro, ach)
    db.session.commit()
    page = f"/brokers/introductions/{intro.id}"
    writes = [("POST", f"{page}/{stage}", {"note": "推进"}) for stage in ("contacted", "failed")]
    writes.append(("POST", f"{page}/introduced", {"achievement_id": ach.id}))
    return Case(company, [("GET", page, None)], writes, lists=["/brokers/workbench"])


def contract_case(f):
    from marketplace.contracts import services as contracts
    inst, company = f.user("institution"), f.user("company")
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": MARKER + "：专利实施许可合同",
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "100000",
                                "signed_on": "2025-03-01", "city": "南昌", "industry": "新材料"})
    db.session.commit()
    api, page = f"/api/v1/contracts/{c.id}", f"/contracts/{c.id}"
    reads = [("GET", api, None), ("GET", f"{api}/history", None), ("GET", f"{api}/schedule.xlsx", None),
             ("GET", page, None), ("GET", f"{page}/schedule.xlsx", None)]
    writes = [("PUT", f"{api}/terms", {"terms": TERMS}), ("POST", f"{api}/submit", {}),
              ("POST", f"{api}/register", {}), ("POST", f"{api}/return", {"reason": "资料不全"}),
              ("POST", f"{api}/payments", {"amount": "1000", "paid_on": "2025-04-01"}),
              ("POST", f"{api}/royalty-reports", {"period_start": "2025-01-01", "period_end": "2025-03-31",
                                                  "sales": "100000"}),
              ("POST", f"{api}/milestones/1/reached", {"reached_on": "2025-04-01", "evidence": "验收报告"}),
              ("PUT", f"{api}/income-split", {"team_percent": "70"}),
              ("POST", f"{page}/submit", {}), ("POST", f"{page}/register", {}), ("POST", f"{page}/payment", {}),
              ("POST", f"{page}/milestones/1/reached", {})]
    return Case(inst, reads, writes, lists=["/api/v1/contracts", "/contracts"])


def notification_case(f):
    from marketplace.notifications.models import Notification
    from marketplace.notifications.service import tell
    owner = f.user("institution")
    tell(owner, "match", MARKER + "：匹配通知", "正文", "/achievements/1")
    db.session.commit()
    note = Notification.query.filter_by(user_id=owner.id).one()
    writes = [("POST", f"/api/v1/notifications/{note.id}/read", {}), ("POST", f"/notifications/{note.id}/read", {})]
    return Case(owner, [], writes, lists=["/api/v1/notifications", "/notifications"])


def import_job_case(f):
    from marketplace.imports.models import ImportJob
    owner = f.user("institution")
    job = ImportJob(library="achievements", filename=MARKER + ".xlsx", source=f"org:{owner.org_id}", status="previewed",
                    user_id=owner.id, org_id=owner.org_id)
    db.session.add(job)
    db.session.commit()
    page = f"/imports/job/{job.id}"
    return Case(owner, [("GET", page, None), ("GET", f"{page}/status.json", None)],
                [("POST", f"{page}/run", {})], lists=["/imports/achievements"])


KINDS = {
    "achievement draft": lambda f: library_case(f, "achievements", "institution"),
    "demand draft": lambda f: library_case(f, "demands", "company"),
    "service draft": lambda f: library_case(f, "services", "broker"),
    "published achievement": lambda f: library_case(f, "achievements", "institution", "published"),
    "先用后转 candidate": lambda f: usefirst_case(f, "candidate"),
    "先用后转 kept_off": lambda f: usefirst_case(f, "kept_off"),
    "先用后转 listed": lambda f: usefirst_case(f, "listed"),
    "trial application": application_case,
    "trial": trial_case,
    "broker introduction": introduction_case,
    "contract draft": contract_case,
    "notification": notification_case,
    "import job": import_job_case,
}
XFAIL = {}  # (kind, outsider) -> reason, for holes in code this session does not own


def _call(client, headers, method, url, body):
    if url.startswith("/api/"):
        return client.open(url, method=method, json=body, headers=headers)
    return client.open(url, method=method, data=body)


def _text(resp) -> str:
    if resp.is_json:
        return json.dumps(resp.json, ensure_ascii=False)
    return resp.get_data().decode("utf-8", "replace")


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_outsiders_cannot_read_or_write(client, f, kind, who, request):
    if (kind, who) in XFAIL:
        request.applymarker(pytest.mark.xfail(strict=True, reason=XFAIL[(kind, who)]))
    case = KINDS[kind](f)
    if case.reads:  # the URLs are right: the owner reads them
        login(client, case.owner)
        method, url, body = case.reads[0]
        assert _call(client, bearer(f, case.owner), method, url, body).status_code == 200, url
        client.post("/logout")
    user = outsider(f, who, case.owner.role)
    login(client, user)  # pages act as the session's user, the API as the token's: the same outsider
    headers = bearer(f, user)
    audit = AuditLog.query.count()
    wrong = []
    for method, url, body in case.reads:
        status = _call(client, headers, method, url, body).status_code
        if status != (200 if case.public else 404):
            wrong.append((method, url, status))
    for method, url, body in case.internal:
        status = _call(client, headers, method, url, body).status_code
        if status != 404:
            wrong.append((method, url, status))
    for method, url, body in case.writes:
        status = _call(client, headers, method, url, body).status_code
        page_refusal = case.public and not url.startswith("/api/") and status in (302, 303)
        if status != (403 if case.public else 404) and not page_refusal:
            wrong.append((method, url, status))
    for url in case.lists:
        resp = _call(client, headers, "GET", url, None)
        if resp.status_code >= 500 or MARKER in _text(resp):
            wrong.append(("list", url, resp.status_code))
    db.session.expire_all()
    if AuditLog.query.count() != audit:
        wrong.append(("audit", [(e.entity_type, e.action) for e in AuditLog.query.order_by(AuditLog.id)][audit:]))
    assert wrong == [], "\n".join(map(str, wrong))


# Match feedback and next steps ------------------------------------------------------------------------------

def test_match_feedback_needs_an_own_side_and_a_visible_other_side(client, f):
    from marketplace.matching.models import MatchFeedback
    company, inst = f.user("company"), f.user("institution")
    demand = f.record("demands", company, status="published", ref="FB-D")
    draft_demand = f.record("demands", company, ref="FB-D-DRAFT")
    published = f.record("achievements", inst, status="published", ref="FB-A")
    draft = f.record("achievements", inst, ref="FB-A-DRAFT")

    def post(user, d, a, **body):
        return client.post("/api/v1/matches/feedback", headers=bearer(f, user),
                           json={"demand_id": d, "achievement_id": a, "verdict": "interested", **body})

    missing = post(company, demand.id, draft.id + 999)
    assert missing.status_code == 404
    # Another organisation's draft on the other side: the same answer as a pair that does not exist, whatever
    # the body (a validation error would tell that the draft exists).
    for body in ({}, {"verdict": "maybe"}, {"verdict": "irrelevant"}):
        r = post(company, demand.id, draft.id, **body)
        assert (r.status_code, r.json["error"]["message"]) == (404, missing.json["error"]["message"]), body
    assert post(inst, draft_demand.id, published.id).status_code == 404
    # Not a side of the pair at all: another company, a broker, even the provincial administrator.
    for user in (f.user("company"), f.user("broker"), f.user("admin")):
        r = post(user, demand.id, published.id)
        assert (r.status_code, r.json["error"]["message"]) == (404, missing.json["error"]["message"])
    assert MatchFeedback.query.count() == 0
    # Its own side and a visible other side: its own draft against a published demand, or two published records.
    assert post(inst, demand.id, draft.id).json["side"] == "achievement"
    assert post(company, demand.id, published.id).json["side"] == "demand"
    assert post(company, draft_demand.id, published.id).status_code == 200


def test_next_step_is_for_the_demand_owner_brokers_and_administrators_in_scope(client, f):
    company = f.user("company")  # 南昌
    demand = f.record("demands", company, status="published", ref="NS-D")
    draft = f.record("demands", company, ref="NS-DRAFT")

    def post(user, obj, step="push"):
        return client.post(f"/api/v1/demands/{obj.id}/next-step", json={"step": step}, headers=bearer(f, user))

    out_of_scope = f.user("admin", admin_level="city", city="赣州")
    assert post(out_of_scope, demand).status_code == 403
    assert post(out_of_scope, demand, step="nonsense").status_code == 403  # refused before the input is read
    assert post(out_of_scope, draft).status_code == 404
    assert post(f.user("company"), demand).status_code == 403
    assert post(f.user("broker"), draft).status_code == 404
    assert post(f.user("admin", admin_level="city", city="南昌"), demand).status_code == 201
    assert post(f.user("broker"), demand).status_code == 201
    assert post(company, draft).status_code == 201


# Public pages answer everybody --------------------------------------------------------------------------------

def test_public_pages_answer_visitors_who_are_not_logged_in(client, f):
    from marketplace.searching import sync
    from marketplace.usefirst import services as uf
    inst = f.user("institution")
    a = f.record("achievements", inst, status="published", ref="PUB-A")
    d = f.record("demands", f.user("company"), status="published", ref="PUB-D")
    s = f.record("services", f.user("broker"), status="published", ref="PUB-S")
    item = usefirst_item(f, inst, title="公开页面测试：铜渣贫化技术")
    uf.confirm(inst, item, {})
    db.session.commit()
    sync.apply_pending()
    public = ["/", "/achievements/", f"/achievements/{a.id}", "/demands/", f"/demands/{d.id}", "/services/",
              f"/services/{s.id}", "/search?q=稀土", "/search?q=铜线&library=demands", "/usefirst", f"/usefirst/{item.id}",
              "/usefirst/feed.xml", "/usefirst/export.xlsx", "/achievements/export.xlsx", "/demands/export.xlsx",
              "/services/export.xlsx", "/achievements/template.xlsx", "/login", "/register",
              "/api/v1/achievements", f"/api/v1/achievements/{a.id}", f"/api/v1/achievements/{a.id}/matches",
              f"/api/v1/demands/{d.id}/matches", f"/api/v1/services/{s.id}", "/api/v1/usefirst",
              f"/api/v1/usefirst/{item.id}", "/api/v1/search?q=稀土", "/api/v1/openapi.json"]
    wrong = [(url, r.status_code) for url in public if (r := client.get(url)).status_code != 200]
    # Pages for members only send a visitor to the login page; the API answers 401.
    members = ["/brokers/workbench", "/contracts", "/usefirst/manage", "/notifications", "/admin/",
               f"/achievements/{a.id}/edit", "/achievements/new", "/imports/achievements", "/password"]
    wrong += [(url, r.status_code) for url in members if (r := client.get(url)).status_code not in (302, 303)]
    wrong += [(url, r.status_code) for url in ("/api/v1/me", "/api/v1/notifications", "/api/v1/contracts",
                                               "/api/v1/usefirst/decisions") if (r := client.get(url)).status_code != 401]
    assert wrong == []
