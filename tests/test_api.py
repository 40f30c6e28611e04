"""The JSON API's contract: error shape, bad bodies (never a 500), CSRF on session writes, OpenAPI."""
import pytest

from marketplace.achievements.models import Achievement

from .conftest import csrf_token, login

BAD_BODIES = [
    ({}, 422, "title"),
    ({"title": None}, 422, "title"),
    ({"title": 123}, 422, "title"),
    ({"title": "题" * 201}, 422, "title"),
    ({"summary": "简" * 5001}, 422, "summary"),
    ({"industry": "火星产业"}, 422, "industry"),
    ({"maturity": ["中试"]}, 422, "maturity"),
    ({"asking_price_wan": "十万"}, 422, "asking_price_wan"),
    ({"asking_price_wan": -5}, 422, "asking_price_wan"),
    ({"asking_price": "1.001"}, 422, "asking_price"),
    ({"implemented_on": "2021-02-30"}, 422, "implemented_on"),
    ({"ip_type": "发明专利", "ip_filed_on": "2022-01-01", "ip_granted_on": "2021-01-01"}, 422, "ip_granted_on"),
    ({"ip_type": None, "patent_no": "ZL1"}, 422, "ip_type"),
    ({"ip_items": [{"ip_type": "发明专利", "granted_on": "yesterday"}]}, 422, "ip_items.0.granted_on"),
    ({"ip_items": "ZL1"}, 422, "ip_items"),
    ({"keywords": {"a": 1}}, 422, "keywords"),
    ({"keywords": ["词" * 31]}, 422, "keywords"),
    ({"transfer_modes": ["白送"]}, 422, "transfer_modes"),
    ({"contact_email": "nobody"}, 422, "contact_email"),
    ({"contact_phone": "<script>"}, 422, "contact_phone"),
    ({"unknown_field": 1}, 422, "unknown_field"),
]


@pytest.mark.parametrize("change,status,field", BAD_BODIES)
def test_bad_achievement_bodies_get_field_errors(client, f, change, status, field):
    tok = f.token(f.user("institution"))
    body = {**f.ACHIEVEMENT, **change} if change else {}
    resp = client.post("/api/v1/achievements", json=body, headers={"Authorization": f"Bearer {tok}"})
    assert resp.status_code == status, resp.json
    err = resp.json["error"]
    assert err["code"] == "validation_failed" and err["message"] and field in err["fields"]
    assert Achievement.query.count() == 0


@pytest.mark.parametrize("data,ctype,fragment", [
    ("not json", "application/json", "JSON"),
    ("[1, 2]", "application/json", "对象"),
    ("title=x", "application/x-www-form-urlencoded", "JSON"),
    ("\xff\xfe", "application/json", "JSON"),
])
def test_malformed_bodies_are_400(client, f, data, ctype, fragment):
    tok = f.token(f.user("institution"))
    resp = client.post("/api/v1/achievements", data=data, content_type=ctype,
                       headers={"Authorization": f"Bearer {tok}"})
    assert resp.status_code == 400 and fragment in resp.json["error"]["message"]


def test_writes_need_authentication(client, ctx):
    resp = client.post("/api/v1/achievements", json={})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthenticated"


def test_unknown_routes_and_methods_answer_json(client, ctx):
    assert client.get("/api/v1/nothing").json["error"]["code"] == "not_found"
    assert client.get("/api/v1/achievements/999999").status_code == 404
    resp = client.put("/api/v1/achievements")
    assert resp.status_code == 405 and resp.json["error"]["code"] == "method_not_allowed"


def test_price_is_exact_and_negotiable_is_explicit(client, f):
    tok = f.token(f.user("institution"))
    h = {"Authorization": f"Bearer {tok}"}
    exact = client.post("/api/v1/achievements", json={**f.ACHIEVEMENT, "asking_price_wan": "12.345678"}, headers=h)
    assert exact.json["asking_price"] == "123456.78" and exact.json["price_negotiable"] is False
    yuan = client.post("/api/v1/achievements", json={**f.ACHIEVEMENT, "asking_price_wan": None,
                                                     "asking_price": "99999.99"}, headers=h)
    assert yuan.json["asking_price"] == "99999.99"
    talk = client.post("/api/v1/achievements", json={**f.ACHIEVEMENT, "asking_price_wan": "面议"}, headers=h)
    assert talk.json["asking_price"] is None and talk.json["asking_price_display"] == "面议"


def test_session_writes_through_the_api_need_the_csrf_token(client, f, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    inst = f.user("institution")
    token = csrf_token(client)
    client.post("/login", data={"email": inst.email, "password": f.PASSWORD, "csrf_token": token})
    refused = client.post("/api/v1/achievements", json=f.ACHIEVEMENT)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    ok = client.post("/api/v1/achievements", json=f.ACHIEVEMENT, headers={"X-CSRFToken": csrf_token(client, "/")})
    assert ok.status_code == 201


def test_html_forms_need_the_csrf_token(client, f, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    inst = f.user("institution")
    resp = client.post("/login", data={"email": inst.email, "password": f.PASSWORD})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)


def test_openapi_document_lists_every_library(client, ctx):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for lib in ("achievements", "demands", "services"):
        assert f"/api/v1/{lib}" in spec["paths"] and f"/api/v1/{lib}/{{obj_id}}/approve" in spec["paths"]
    props = spec["components"]["schemas"]["AchievementIn"]["properties"]
    assert {"title", "summary", "asking_price_wan", "ip_items"} <= set(props)
    assert "AchievementOut" in spec["components"]["schemas"]
    assert "/api/v1/search" in spec["paths"]


def test_login_page_form_round_trip(client, f):
    u = f.user("company")
    login(client, u)
    assert client.get("/api/v1/me").json["email"] == u.email
