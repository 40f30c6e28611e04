"""Send hostile values to every endpoint of the site, on a copy of a SQLite database, and list what answered ≥ 500.

    .venv/bin/python scripts/hostile_probe.py [--database instance/marketplace.db] [--index instance/search-index]
                                              [--part writes,forms,gets]

It never touches the database it is given: it works on a copy (SQLite's backup API) and a copy of the search index,
in a temporary folder removed at the end. The demo database (`make demo`) gives it real objects and its users
(admin@, company@, broker@demo.jx, password demo12345).
- writes: every write operation of the API's OpenAPI document (id 1 in paths), each request-body property set to
  hostile values one at a time, and raw JSON numbers of absurd size, as admin@ and company@ with API tokens;
- forms: every POST route outside the API, id 1, with the session's CSRF token, common field names × hostile values,
  as admin@, company@ and broker@;
- gets: every GET route, id 1, each query parameter the views read × hostile values, as admin@.
It found, on 2026-12-03: three 500s on JSON bodies (a list or a number where a text goes) and a request that never
came back (`1e99999999` turned into an int). Each is now a test; this script is for the next round (on two cores, the
demo's database: writes 64–93 s, forms 859 s, gets 422 s, measured 2026-12-03). Exit status 1 when anything answered
≥ 500.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

JSON_VALUES = [10 ** 30, -1, 0, 1.5, "1e999999", "NaN", "", "9999-12-31", "0001-01-01", "2026-02-30", [], {}, None,
               True, "\u202e反转", "１２３", "1,000.005", "x" * 5000]
RAW_NUMBERS = ["1e100", "-1e100", "123456789012345678901234567890", "1.0000000000000000000000001", "1e99999999",
               "1e999999999999999999999", "1" * 5000]
TEXT_VALUES = ["-1", "99999999999999999999999", "1e99999999", "NaN", "2026-02-30", "9999-12-31", "0001-01-01", "１２",
               "\u202e", "x" * 5000, "", "2026-12-03T25:61"]
FORM_FIELDS = ["reason", "note", "title", "amount", "amount_yuan", "date", "day", "paid_on", "starts_at", "ends_at",
               "year", "month", "score", "rating", "email", "name", "budget_wan", "asking_price_wan", "months", "slots",
               "quota", "rate", "percent", "fee", "cap", "verdict", "step", "action", "kind", "status", "user_id",
               "broker_id", "contract_id", "achievement_id", "demand_id", "quantity", "hours", "value", "target",
               "period"]
QUERY_PARAMS = ["year", "q", "status", "industry", "city", "scope", "org_id", "category", "view", "kind", "date",
                "unread", "text", "table", "start", "stage", "profile", "period", "next", "month", "limit",
                "introduction_id", "days", "contract_id", "code", "broker_id", "bookable_id", "as_of", "agency_id",
                "page", "per_page", "sort"]
USERS = {"admin": "admin@demo.jx", "company": "company@demo.jx", "broker": "broker@demo.jx"}
PASSWORD = "demo12345"


def _fill(rule: str, arguments) -> str:
    for arg in arguments:
        rule = re.sub(r"<[^>]*\b" + arg + ">", "1", rule)
    return rule


def _session(app, email):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    return client, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def writes(app, tokens, found):
    spec = app.test_client().get("/api/v1/openapi.json").json
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body:
                body = spec["components"]["schemas"][body["$ref"].split("/")[-1]]
            props = list((body.get("properties") or {}).keys())
            url = re.sub(r"\{[^}]+\}", "1", path)
            url = url if url.startswith("/api") else "/api/v1" + url
            for who in ("admin", "company"):
                client, headers = app.test_client(), {"Authorization": f"Bearer {tokens[who]}"}
                bodies = [json.dumps({p: v}) for p in props for v in JSON_VALUES] or ["{}"]
                bodies += ['{"%s": %s}' % (p, n) for p in props for n in RAW_NUMBERS]
                for data in bodies:
                    r = client.open(url, method=method.upper(), data=data, headers=headers,
                                    content_type="application/json")
                    if r.status_code >= 500:
                        found.append(("write", who, method.upper(), url, data[:60], r.status_code))
                        break


def forms(app, found):
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and not r.rule.startswith("/api")]
    for who in ("admin", "company", "broker"):
        client, token = _session(app, USERS[who])
        for rule in rules:
            path = _fill(rule.rule, rule.arguments)
            if "<" in path or path == "/logout":
                continue
            for field in FORM_FIELDS:
                for value in TEXT_VALUES:
                    r = client.post(path, data={"csrf_token": token, field: value})
                    if r.status_code >= 500:
                        found.append(("form", who, "POST", path, f"{field}={value[:20]}", r.status_code))
                        break


def gets(app, tokens, found):
    client, _token = _session(app, USERS["admin"])
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/static"):
            continue
        path = _fill(rule.rule, rule.arguments)
        if "<" in path:
            continue
        h = headers if path.startswith("/api") else {}
        for param in QUERY_PARAMS:
            for value in TEXT_VALUES:
                r = client.get(path, query_string={param: value}, headers=h)
                if r.status_code >= 500:
                    found.append(("get", "admin", "GET", path, f"{param}={value[:20]}", r.status_code))
                    break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="instance/marketplace.db")
    parser.add_argument("--index", default="instance/search-index")
    parser.add_argument("--part", default="writes,forms,gets")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="hostile-probe-")
    try:
        copy = os.path.join(work, "probe.db")
        with sqlite3.connect(args.database) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        if os.path.isdir(args.index):
            shutil.copytree(args.index, os.path.join(work, "index"))
        os.environ.update(DATABASE_URL=f"sqlite:///{copy}", SEARCH_INDEX_DIR=os.path.join(work, "index"),
                          MATCH_SEMANTIC="0")
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from marketplace import create_app
        from marketplace.accounts import services
        from marketplace.extensions import db
        app = create_app()
        with app.app_context():
            tokens = {who: services.issue_token(services.find_user(email)) for who, email in USERS.items()}
            db.session.commit()
        found: list = []
        for part in args.part.split(","):
            started = time.monotonic()
            {"writes": lambda: writes(app, tokens, found), "forms": lambda: forms(app, found),
             "gets": lambda: gets(app, tokens, found)}[part.strip()]()
            print(f"{part}: done in {time.monotonic() - started:.0f} s, {len(found)} found so far", flush=True)
        for row in found:
            print(*row, sep="\t")
        return 1 if found else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
