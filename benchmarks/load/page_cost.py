"""CPU per page of the locust mix in one process (Flask test client), optionally under cProfile.

    DATABASE_URL=sqlite:////path/site.db SEARCH_INDEX_DIR=/path/index HUEY_BACKEND=memory SECRET_KEY=x \\
        .venv/bin/python benchmarks/load/page_cost.py [N] [--profile PATH|all] [--member EMAIL]

On a database with the demo data (e.g. an instance kept by `benchmarks/serving_bench.py --keep`: its
`site.db` and `index/`; copy them, the POSTs mark notifications read). For each page of the mix: 3 warm-up
requests, then N timed ones (default 100): CPU ms per request (`time.process_time`) and SQL statements per
request (SQLAlchemy's before_cursor_execute). `--profile /search?q=稀土` prints that page's cProfile (cumulative),
`--profile all` the whole mix's. Numbers are per process: on a shared machine compare A/B runs back to back.
"""
import argparse
import cProfile
import pstats
import re
import time

from sqlalchemy import event

from marketplace import create_app  # the package is installed in the venv (editable)
from marketplace.extensions import db

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100)
    parser.add_argument("--profile", help="a page path of the list below, or 'all'")
    parser.add_argument("--member", default="company@demo.jx")
    parser.add_argument("--password", default="demo12345")
    args = parser.parse_args()
    app = create_app()
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    anon, member = app.test_client(), app.test_client()
    a_id = anon.get("/api/v1/achievements?per_page=5").get_json()["items"][0]["id"]
    d_id = anon.get("/api/v1/demands?per_page=5").get_json()["items"][0]["id"]
    token = CSRF.search(member.get("/login").get_data(as_text=True)).group(1)
    login = member.post("/login", data={"email": args.member, "password": args.password, "csrf_token": token})
    assert login.status_code == 302, f"login as {args.member}: {login.status_code}"
    pages = [(anon, "/about"), (anon, "/"), (anon, "/achievements/"), (anon, "/demands/?industry=新材料"),
             (anon, "/services/?page=2"), (anon, f"/achievements/{a_id}"), (anon, f"/demands/{d_id}"),
             (anon, "/search?q=稀土"), (anon, "/search?q=锂电池&industry=新能源"),
             (anon, f"/api/v1/demands/{d_id}/matches"), (member, "/workbench"), (member, "/notifications"),
             (member, "/api/v1/notifications?per_page=20")]
    everything = cProfile.Profile() if args.profile == "all" else None
    for client, path in pages:
        for _ in range(3):
            assert client.get(path).status_code == 200, path
        profile = everything or (cProfile.Profile() if args.profile == path else None)
        statements[0] = 0
        started = time.process_time()
        if profile:
            profile.enable()
        for _ in range(args.n):
            client.get(path)
        if profile:
            profile.disable()
        ms = (time.process_time() - started) * 1000 / args.n
        who = "member" if client is member else "anon"
        print(f"{who:6} {path:45} {ms:6.2f} ms {statements[0] / args.n:5.1f} SQL", flush=True)
        if profile and not everything:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    notes = member.get("/api/v1/notifications?per_page=20").get_json()["items"]
    if notes:
        token = CSRF.search(member.get("/notifications").get_data(as_text=True)).group(1)
        statements[0] = 0
        started = time.process_time()
        for i in range(args.n):
            member.post(f"/notifications/{notes[i % len(notes)]['id']}/read", data={"csrf_token": token})
        print(f"member {'POST /notifications/[id]/read':45} {(time.process_time() - started) * 1000 / args.n:6.2f} ms "
              f"{statements[0] / args.n:5.1f} SQL")
    if everything:
        stats = pstats.Stats(everything)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)


if __name__ == "__main__":
    main()
