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


def _live_api_operations(app) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every /api/v1 route in the URL map; a `<library>` or `<any(...)>` part is
    expanded into the values it takes (a library name outside LIBRARIES answers 404)."""
    import itertools
    import re
    from werkzeug.routing import AnyConverter
    from marketplace.core import listings
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        choices = {}
        for name, conv in rule._converters.items():
            if isinstance(conv, AnyConverter):
                choices[name] = sorted(conv.items)
            elif name == "library":
                choices[name] = sorted(listings.LIBRARIES)
        names = list(choices)
        for values in itertools.product(*(choices[k] for k in names)):
            fixed = dict(zip(names, values))
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: fixed.get(m.group(1), "{%s}" % m.group(1)), rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.add((method, path))
    return out


def test_openapi_documents_every_live_route_and_nothing_else(app, client):
    spec = client.get("/api/v1/openapi.json").json
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    live = _live_api_operations(app)
    assert not live - documented, f"live but undocumented: {sorted(live - documented)}"
    assert not documented - live, f"documented but not live: {sorted(documented - live)}"


def test_openapi_numbers_are_numbers_and_ids_bounded(client):
    spec = client.get("/api/v1/openapi.json").json

    def walk(value, where):
        if isinstance(value, dict):
            for key in ("minimum", "maximum", "minLength", "maxLength", "maxItems", "multipleOf"):
                if key in value:
                    assert isinstance(value[key], (int, float)) and not isinstance(value[key], bool), (where, key)
            for key, item in value.items():
                walk(item, f"{where}/{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}/{i}")

    walk(spec, "#")
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    assert p["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, (path, p)
    out = spec["components"]["schemas"]["AchievementOut"]["properties"]
    assert out["published_at"]["nullable"] and out["published_at"]["format"] == "date-time"
    assert out["asking_price"]["nullable"]


def test_api_datetimes_carry_their_offset(client, f):
    from datetime import datetime
    u = f.user("institution")
    a = f.record("achievements", u, status="published")
    body = client.get(f"/api/v1/achievements/{a.id}").json
    for key in ("created_at", "updated_at", "published_at", "submitted_at"):
        assert datetime.fromisoformat(body[key]).utcoffset() is not None, (key, body[key])
