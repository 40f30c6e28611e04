"""The events JSON API (/api/v1/events): a whole run through it with Bearer tokens, hostile input, and the
events operations fuzzed against the OpenAPI document with real ids."""
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from marketplace.extensions import db

from . import factories_events as fe


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def test_api_run_create_publish_register_waitlist_cancel_checkin_interest_outcomes(client, f):
    admin = fe.organiser()
    inst = f.user("institution")
    ach = f.record("achievements", inst, status="published")
    broker = f.user("broker")
    a, b, c = f.user("company"), f.user("company"), f.user("institution")
    ta, tb, tc, tadmin, tbroker = (f.token(u) for u in (a, b, c, admin, broker))
    body = fe.body(capacity=1, achievement_ids=[ach.id], broker_ids=[broker.id], starts_at=fe.when(0, -1),
                   ends_at=fe.when(0, 5), registration_deadline=fe.when(0, 4),
                   agenda=[{"starts_at": fe.when(0, -1), "ends_at": fe.when(0, 0), "title": "开幕致辞"}])
    r = client.post("/api/v1/events", json=body, headers=_h(tadmin))
    assert r.status_code == 201, r.json
    ev = r.json
    assert ev["status"] == "draft" and ev["ref"].startswith("JX-EVT-") and ev["starts_at"].endswith("+08:00")
    assert client.get(f"/api/v1/events/{ev['id']}").status_code == 404  # a draft: organisers only
    assert client.post(f"/api/v1/events/{ev['id']}/publish", headers=_h(ta)).status_code == 404
    r = client.post(f"/api/v1/events/{ev['id']}/publish", headers=_h(tadmin))
    assert r.status_code == 200 and r.json["status"] == "published" and r.json["registration_open"]
    ra = client.post(f"/api/v1/events/{ev['id']}/registrations", json={"note": "两人参会"}, headers=_h(ta))
    rb = client.post(f"/api/v1/events/{ev['id']}/registrations", headers=_h(tb))
    assert (ra.status_code, ra.json["status"], rb.status_code, rb.json["status"]) == \
        (201, "registered", 201, "waitlisted")
    assert rb.json["waitlist_position"] == 1
    assert client.post(f"/api/v1/events/{ev['id']}/registrations", headers=_h(ta)).status_code == 409
    assert client.get(f"/api/v1/events/{ev['id']}/registrations", headers=_h(ta)).status_code == 403
    listed = client.get(f"/api/v1/events/{ev['id']}/registrations", headers=_h(tadmin)).json
    assert listed["total"] == 2
    # b cannot cancel a's registration; a cancels, b is promoted
    assert client.post(f"/api/v1/events/registrations/{ra.json['id']}/cancel", headers=_h(tb)).status_code == 404
    assert client.post(f"/api/v1/events/registrations/{ra.json['id']}/cancel", headers=_h(ta)).json["status"] \
        == "cancelled"
    mine = client.get("/api/v1/events/registrations/mine", headers=_h(tb)).json
    assert mine["items"][0]["status"] == "registered"
    code = mine["items"][0]["code"]
    assert client.post(f"/api/v1/events/{ev['id']}/checkin", json={"code": code}, headers=_h(tb)).status_code == 403
    r = client.post(f"/api/v1/events/{ev['id']}/checkin", json={"code": code}, headers=_h(tadmin))
    assert r.status_code == 200 and r.json["checked_in_at"]
    r = client.post(f"/api/v1/events/{ev['id']}/interests", json={"achievement_id": ach.id}, headers=_h(tb))
    assert r.status_code == 201 and r.json["status"] == "new"
    assert client.post(f"/api/v1/events/{ev['id']}/interests", json={"achievement_id": ach.id},
                       headers=_h(tc)).status_code == 403  # no seat
    leads = client.get("/api/v1/events/leads", headers=_h(tbroker)).json
    assert [i["achievement_id"] for i in leads["items"]] == [ach.id]
    out = client.get(f"/api/v1/events/{ev['id']}/outcomes").json
    assert (out["registered"], out["attendees"], out["interests"], out["contract_value"]) == (1, 1, 1, "0.00")
    r = client.put(f"/api/v1/events/{ev['id']}", json={"venue": "赣州国际会展中心"}, headers=_h(tadmin))
    assert r.status_code == 200 and r.json["venue"] == "赣州国际会展中心"
    assert client.post(f"/api/v1/events/{ev['id']}/cancel", json={}, headers=_h(tadmin)).status_code == 422
    assert client.post(f"/api/v1/events/{ev['id']}/hold", headers=_h(tadmin)).json["status"] == "held"
    listed = client.get("/api/v1/events?when=past").json
    assert [e["id"] for e in listed["items"]] == [ev["id"]]


@pytest.mark.parametrize("path, body, status", [
    ("/api/v1/events", [], 400),
    ("/api/v1/events", {"title": "x"}, 422),
    ("/api/v1/events", {**fe.body(), "capacity": -1}, 422),
    ("/api/v1/events", {**fe.body(), "capacity": 1e9}, 422),
    ("/api/v1/events", {**fe.body(), "starts_at": "9999-99-99 99:99"}, 422),
    ("/api/v1/events", {**fe.body(), "achievement_ids": "1,2"}, 422),
    ("/api/v1/events", {**fe.body(), "achievement_ids": [True]}, 422),
    ("/api/v1/events", {**fe.body(), "agenda": [{"title": "无时间"}]}, 422),
    ("/api/v1/events", {**fe.body(), "surprise": 1}, 422),
    ("/api/v1/events", {**fe.body(), "title": {"$gt": ""}}, 422),
])
def test_hostile_bodies_are_400_or_422(client, f, path, body, status):
    token = f.token(fe.organiser())
    r = client.post(path, json=body, headers=_h(token))
    assert r.status_code == status, r.json
    assert r.json["error"]["message"]


def test_hostile_arguments(client, f):
    assert client.get("/api/v1/events?kind=<script>").status_code == 400
    assert client.get("/api/v1/events?page=0").status_code == 400
    assert client.get("/events?city=火星").status_code == 400
    assert client.get("/events/99999999999999").status_code == 404
    e = fe.event()
    token = f.token(f.user("company"))
    assert client.post(f"/api/v1/events/{e.id}/registrations", json={"note": "x" * 501},
                       headers=_h(token)).status_code == 422
    assert client.post(f"/api/v1/events/{e.id}/registrations", data="nonsense", headers=_h(token),
                       content_type="application/json").status_code in (400, 422)


def test_events_operations_answer_as_documented(app, f):
    """Schemathesis over the events operations only, with real ids (the whole-API fuzz has no events); 15
    requests an operation, fewer on SQLite when PostgreSQL is tested too (test_openapi_fuzz.depth)."""
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    from .test_openapi_fuzz import depth
    inst = f.user("institution")
    ach = f.record("achievements", inst, status="published")
    admin = fe.organiser(level="province", city="南昌")
    company, broker = f.user("company"), f.user("broker")
    e = fe.event(admin, achievements=[ach], brokers=[broker], starts_at=fe.when(0, -1), ends_at=fe.when(1),
                 registration_deadline=fe.when(1))
    from marketplace.events import services
    reg = services.register(company, e)
    interest = services.mark_interest(company, e, {"achievement_id": ach.id})
    db.session.commit()
    tokens = {r: f.token(u) for r, u in (("admin", admin), ("company", company), ("broker", broker),
                                         ("institution", inst))}
    ids = {"event_id": [e.id], "reg_id": [reg.id], "interest_id": [interest.id]}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    failures, statuses = {}, Counter()
    for result in schema.get_all_operations():
        op = result.ok()
        if not op.path.startswith("/api/v1/events"):
            continue

        @settings(max_examples=min(15, depth(app)), deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(), data=st.data())
        def run(case, data):
            for name, value in list((case.path_parameters or {}).items()):
                if name in ids:
                    case.path_parameters[name] = data.draw(st.sampled_from(ids[name] * 3 + [value]))
            role = data.draw(st.sampled_from(sorted(tokens)))
            random.seed()
            response = case.call(headers=_h(tokens[role]))
            statuses[(op.label, response.status_code // 100)] += 1
            try:
                case.validate_response(response, checks=checks)
            except FailureGroup as group:
                for exc in group.exceptions:
                    failures.setdefault((op.label, str(exc).splitlines()[0][:120]), f"{op.label} as {role}: "
                                        f"{str(group)[:1500]}")
        run()
    assert len({label for label, _ in statuses}) >= 18
    assert not any(kind == 5 for _, kind in statuses)
    assert not failures, "\n\n".join(failures.values())
