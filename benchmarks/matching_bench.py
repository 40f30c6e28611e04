"""Matching speed: top-10 achievements for one demand against 100,000 published achievements (Whoosh).

    .venv/bin/python benchmarks/matching_bench.py [--achievements 100000] [--keep DIR]

Builds a SQLite database with the demo content (215 achievements, 85 demands), then adds synthetic
achievements up to N, each recombined from the demo's and the labelled set's real achievements (a title,
sentences of two or three summaries, their keywords, their industry, maturity, price and transfer modes),
so the vocabulary and the term frequencies are those of real listings rather than random words.
The index is built with the production path (`flask search reindex` = sync.reindex). Then a fresh process
(a web worker's view) opens the database and the index and runs `match_demand(demand, 10)` for each of the
85 demo demands twice: the first pass warms caches, the second is measured. Prints p50 / p95 / max and the
measuring process's peak RSS.
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def env_for(folder: Path) -> dict:
    return dict(os.environ, DATABASE_URL=f"sqlite:///{folder}/bench.db", SEARCH_INDEX_DIR=str(folder / "index"),
                SECRET_KEY="bench", SEARCH_BACKEND="whoosh")


def sources() -> list[dict]:
    rows = []
    for path in sorted((ROOT / "marketplace/demo/data").glob("achievements_*.jsonl")) + [
            ROOT / "benchmarks/matching/achievements.jsonl"]:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；])", text) if s.strip()]


def build(folder: Path, total: int) -> None:
    os.environ.update(env_for(folder))
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.achievements.models import Achievement
    from marketplace.accounts.models import Organisation
    from marketplace.demo.loader import load_demo
    from marketplace.extensions import db
    from marketplace.searching import sync
    from marketplace.searching.models import SearchOutbox

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        started = time.time()
        load_demo(progress=lambda msg: None)
        have = db.session.scalar(db.select(db.func.count(Achievement.id)))
        orgs = list(db.session.scalars(db.select(Organisation.id).where(Organisation.kind == "institution")))
        src = sources()
        rnd = random.Random(5)
        from marketplace.core.models import utcnow
        now = utcnow()
        table = Achievement.__table__
        batch = []
        for i in range(have, total):
            a, b, c = rnd.sample(src, 3)
            body = sentences(a["summary"])[:3] + sentences(b["summary"])[:2] + sentences(c["summary"])[-1:]
            rnd.shuffle(body)
            keywords = list(dict.fromkeys(a["keywords"].split("、")[:3] + b["keywords"].split("、")[:2]))
            price = a.get("asking_price_wan")
            batch.append(dict(
                title=f"{a['title']}（{b['keywords'].split('、')[0]}方向）", summary="".join(body),
                keywords="、".join(keywords), industry=a["industry"], category="应用技术",
                funding_source="财政资金", maturity=a.get("maturity") or "小试",
                transfer_modes=a.get("transfer_modes") or "许可", price_negotiable=price in (None, "面议"),
                asking_price=None if price in (None, "面议") else int(float(price) * 10000),
                owner_org_id=orgs[i % len(orgs)], status="published", source="bench", ref=f"BENCH-{i:06d}",
                inventors="", created_at=now, updated_at=now, published_at=now))
            if len(batch) == 5000:
                db.session.execute(table.insert(), batch)
                batch = []
        if batch:
            db.session.execute(table.insert(), batch)
        db.session.execute(db.delete(SearchOutbox))  # the rebuild below indexes everything
        db.session.commit()
        print(f"database: {total} achievements in {time.time() - started:.1f} s", flush=True)
        started = time.time()
        report = sync.reindex()
        print(f"index: {report['indexed']} documents in {time.time() - started:.1f} s", flush=True)


def measure(folder: Path) -> None:
    os.environ.update(env_for(folder))
    from marketplace import create_app
    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.matching import service as matching

    app = create_app()
    with app.app_context():
        demands = list(db.session.scalars(db.select(Demand).where(Demand.source != "bench").order_by(Demand.id)))
        t0 = time.perf_counter()
        matching.match_demand(demands[0], 10)
        first = time.perf_counter() - t0
        first_pass = []
        for d in demands:  # first pass: every demand seen for the first time (its terms' counts not cached)
            t0 = time.perf_counter()
            matching.match_demand(d, 10)
            first_pass.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
        first_pass.sort()
        times, abstained, found = [], 0, 0
        for d in demands:
            t0 = time.perf_counter()
            result = matching.match_demand(d, 10)
            times.append((time.perf_counter() - t0) * 1000)
            abstained += result["abstained"]
            found += len(result["items"])
            db.session.rollback()
        times.sort()
        pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"first pass (each demand new): p50 {first_pass[len(first_pass) // 2]:.1f} ms, "
              f"p95 {first_pass[min(len(first_pass) - 1, int(0.95 * len(first_pass)))]:.1f} ms, "
              f"max {first_pass[-1]:.1f} ms")
        print(f"match_demand top-10 over {len(demands)} demands: p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, "
              f"max {times[-1]:.1f} ms; first call (cold caches) {first * 1000:.0f} ms; "
              f"{abstained} abstained, {found / len(demands):.1f} items on average; peak RSS {rss:.0f} MiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--achievements", type=int, default=100000)
    parser.add_argument("--keep", help="build in (or reuse) this folder and keep it")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(Path(args.measure))
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="match-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if not (folder / "bench.db").exists():
            build(folder, args.achievements)
        subprocess.run([sys.executable, __file__, "--measure", str(folder)], check=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
