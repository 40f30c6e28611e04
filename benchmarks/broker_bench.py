"""Broker workbench speed: the workbench page and its JSON list with 1,000 open demands and N achievements.

    .venv/bin/python benchmarks/broker_bench.py [--achievements 100000] [--demands 1000] [--requests 300]

Builds a SQLite database (the migrations, then rows written in bulk): 250 companies, 60 institutions, N published
achievements, D published demands (a tenth past their deadline or claimed by another broker), 3 stored matches
(match_pushes) for every second demand, and 60 introductions of the measured broker across all stages (the
pipeline board). Then, signed in as that broker, it requests the workbench page and the JSON list with a mix
of filters, sorts and pages (first, middle, last) and prints p50 / p95 / max in ms, warm (after one pass).
The default for `make bench` is smaller (20,000 achievements); the issue's target is p95 < 300 ms at 100,000.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITIES = ["南昌", "九江", "景德镇", "萍乡", "新余", "鹰潭", "赣州", "宜春", "上饶", "吉安", "抚州"]
INDUSTRIES = ["有色金属", "电子信息", "装备制造", "新材料", "生物医药", "现代农业", "节能环保", "数字经济"]
STAGES = ["claimed", "introduced", "contacted", "negotiating", "signed", "failed"]


def build(folder: Path, n_achievements: int, n_demands: int):
    os.environ.update(DATABASE_URL=f"sqlite:///{folder}/bench.db", SEARCH_INDEX_DIR=str(folder / "index"),
                      SECRET_KEY="bench", HUEY_BACKEND="memory")
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from marketplace import create_app
    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import Organisation
    from marketplace.achievements.models import Achievement
    from marketplace.brokers.models import Introduction
    from marketplace.core.uscc import make_uscc
    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.matching.models import MatchPush

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1", "WTF_CSRF_ENABLED": False})
    rnd = random.Random(12)
    now = datetime(2026, 11, 1)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        agency = accounts.get_or_create_org("基准测试技术转移机构", "agency", uscc=make_uscc("基准测试技术转移机构"),
                                            city="南昌", approved=True)
        db.session.flush()
        broker = accounts.create_user("bench-broker@test.cn", "benchmark1", "broker", agency)
        other = accounts.create_user("bench-other@test.cn", "benchmark1", "broker", agency)
        db.session.execute(insert(Organisation), [
            {"name": f"基准企业{i}", "kind": "company", "city": CITIES[i % 11], "status": "approved",
             "uscc": make_uscc(f"基准企业{i}"), "created_at": now, "updated_at": now} for i in range(250)] + [
            {"name": f"基准高校{i}", "kind": "institution", "city": CITIES[i % 11], "status": "approved",
             "created_at": now, "updated_at": now} for i in range(60)])
        companies = [o.id for o in Organisation.query.filter_by(kind="company")]
        institutions = [o.id for o in Organisation.query.filter_by(kind="institution")]
        t0 = time.perf_counter()
        for start in range(0, n_achievements, 5000):
            db.session.execute(insert(Achievement), [
                {"title": f"基准成果{i}号：{INDUSTRIES[i % 8]}关键技术", "summary": "用于基准测试的成果简介，长度足够。" * 4,
                 "industry": INDUSTRIES[i % 8], "maturity": "中试", "status": "published", "source": "bench",
                 "ref": f"A{i}", "owner_org_id": institutions[i % 60], "published_at": now - timedelta(minutes=i),
                 "created_at": now, "updated_at": now, "price_negotiable": True, "keywords": "", "inventors": "",
                 "transfer_modes": "许可"} for i in range(start, min(start + 5000, n_achievements))])
        def demands(first, count):
            return [
                {"title": f"基准需求{i}号：{INDUSTRIES[i % 8]}工艺难题", "description": "用于基准测试的需求描述。" * 3,
                 "industry": INDUSTRIES[i % 8], "city": CITIES[i % 11], "cooperation": "合作开发", "status": "published",
                 "source": "bench", "ref": f"D{i}", "owner_org_id": companies[i % 250],
                 "budget": None if i % 7 == 0 else 10000 * rnd.randint(1, 600), "budget_negotiable": i % 7 == 0,
                 "deadline": date(2025, 1, 1) if i % 20 == 0 else date(2028, 1, 1) + timedelta(days=i % 365),
                 "published_at": now - timedelta(hours=i * 3), "created_at": now, "updated_at": now}
                for i in range(first, first + count)]
        db.session.execute(insert(Demand), demands(0, n_demands))
        demand_ids = [d for (d,) in db.session.execute(db.select(Demand.id).order_by(Demand.id))]
        ach_max = n_achievements
        db.session.execute(insert(MatchPush), [
            {"demand_id": d, "achievement_id": rnd.randint(1, ach_max), "score": rnd.randint(50, 95), "band": "强"}
            for d in demand_ids[::2] for _ in range(3)])
        intros = [{"demand_id": demand_ids[i], "broker_id": broker.id, "stage": STAGES[i % 6],
                   "achievement_id": None if i % 6 == 0 else rnd.randint(1, ach_max), "created_at": now,
                   "updated_at": now} for i in range(1, 121, 2)]
        intros += [{"demand_id": demand_ids[i], "broker_id": other.id, "stage": "contacted",
                    "achievement_id": rnd.randint(1, ach_max), "created_at": now, "updated_at": now}
                   for i in range(200, 260)]
        db.session.execute(insert(Introduction), intros)
        # Past-deadline and claimed demands are not open: top up until exactly n_demands are open.
        from marketplace.brokers.services import open_demands_query
        total = n_demands
        while True:
            open_now = db.session.scalar(db.select(db.func.count()).select_from(
                open_demands_query(today=now.date()).subquery()))
            if open_now >= n_demands:
                break
            extra = [d for d in demands(total, n_demands - open_now + 10) if d["deadline"] > now.date()]
            db.session.execute(insert(Demand), extra[:n_demands - open_now])
            total += n_demands - open_now + 10
        db.session.commit()
        print(f"built: {n_achievements} achievements, {n_demands} demands in {time.perf_counter() - t0:.1f} s",
              flush=True)
    return app


def measure(app, requests: int) -> None:
    client = app.test_client()
    resp = client.post("/login", data={"email": "bench-broker@test.cn", "password": "benchmark1"})
    assert resp.status_code == 302, resp.status_code
    first = client.get("/api/v1/brokers/workbench/demands").get_json()
    pages = first["pages"]
    print(f"open demands: {first['total']} ({pages} pages of 20)")
    urls = ["/brokers/workbench", f"/brokers/workbench?page={pages // 2}", f"/brokers/workbench?page={pages}",
            "/brokers/workbench?city=鹰潭", "/brokers/workbench?industry=新材料&sort=budget",
            "/brokers/workbench?budget=100-500&age=90", "/brokers/workbench?sort=deadline&page=3",
            "/brokers/workbench?q=工艺", "/api/v1/brokers/workbench/demands",
            f"/api/v1/brokers/workbench/demands?page={pages}&sort=oldest",
            "/api/v1/brokers/workbench/demands?city=赣州&industry=有色金属"]
    for url in urls:  # warm-up pass
        assert client.get(url).status_code == 200, url
    timings = {"page": [], "api": []}
    for i in range(requests):
        url = urls[i % len(urls)]
        t0 = time.perf_counter()
        resp = client.get(url)
        timings["api" if url.startswith("/api/") else "page"].append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200
    everything = timings["page"] + timings["api"]
    for name, values in (("workbench page", timings["page"]), ("JSON list", timings["api"]), ("all", everything)):
        values = sorted(values)
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"{name:<15} n={len(values):>4}  p50 {statistics.median(values):6.1f} ms  p95 {p95:6.1f} ms  "
              f"max {values[-1]:6.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--achievements", type=int, default=20_000)
    parser.add_argument("--demands", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=330)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="broker-bench-") as tmp:
        app = build(Path(tmp), args.achievements, args.demands)
        measure(app, args.requests)


if __name__ == "__main__":
    main()
