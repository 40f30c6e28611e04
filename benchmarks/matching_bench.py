"""Stored matches at scale: recompute rate, detail page with matches, matches API (SQLite or PostgreSQL;
Whoosh).

    .venv/bin/python benchmarks/matching_bench.py [--achievements 5000] [--demands 500] [--sample 200]
                                                   [--requests 300] [--keep DIR] [--database-url URL]

Builds a SQLite database (or, with `--database-url postgresql+psycopg://…`, fills that empty PostgreSQL
database) with the demo content (215 achievements, 85 demands and their organisations), then
adds synthetic records up to the sizes asked, inserted in bulk with SQLAlchemy Core: each achievement is
recombined from the demo's and the labelled set's real achievements (a title, sentences of three summaries,
their keywords, industry, maturity, price and transfer modes), each demand from their real demands (a title,
sentences of two descriptions, indicators, industry, a city, a budget, a cooperation mode), so vocabulary and
term frequencies are those of real listings. The index is built with `flask search reindex`'s code.

Then a fresh process (a web worker's view):
1. recomputes the stored matches (the rebuild's own code: matching.service, then store.write_list, committed
   per batch) of a random sample of demands and achievements → records per second;
2. GETs the detail page of each of those records (signed in as the demo broker, who sees the reasons) and
   3. their matches API (`?limit=10`), a warm-up pass then a measured pass → p50 / p95 / max.
`make bench` runs it at the small default size; the figures in docs/notes/matching-store.md were measured
with larger sizes (the command is written there).
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

CITIES = ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]
COOPERATION = ["技术转让", "技术许可", "合作开发", "委托开发", "技术咨询", "技术服务"]


def env_for(folder: Path, url: str | None = None) -> dict:
    # memory queue: the bench must never write into the site's instance/huey.db
    return dict(os.environ, DATABASE_URL=url or f"sqlite:///{folder}/bench.db",
                SEARCH_INDEX_DIR=str(folder / "index"), SECRET_KEY="bench", SEARCH_BACKEND="whoosh",
                HUEY_BACKEND="memory")


def built(folder: Path, url: str | None) -> bool:
    """Was this folder's database built (its SQLite file; for another database, the URL noted when built)?"""
    if not url:
        return (folder / "bench.db").exists()
    mark = folder / "database-url"
    return mark.exists() and mark.read_text().strip() == url


def _jsonl(paths) -> list[dict]:
    rows = []
    for path in paths:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？])", text or "") if s.strip()]


def build(folder: Path, n_ach: int, n_dem: int, url: str | None = None) -> None:
    os.environ.update(env_for(folder, url))
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts.models import Organisation
    from marketplace.achievements.models import Achievement
    from marketplace.core.models import utcnow
    from marketplace.demands.models import Demand
    from marketplace.demo.loader import load_demo
    from marketplace.extensions import db
    from marketplace.matching.models import MatchList, MatchRefresh, StoredMatch
    from marketplace.searching import sync
    from marketplace.searching.models import SearchOutbox

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        started = time.time()
        load_demo(progress=lambda msg: None)
        insts = list(db.session.scalars(db.select(Organisation.id).where(Organisation.kind == "institution")))
        companies = list(db.session.scalars(db.select(Organisation.id).where(Organisation.kind == "company")))
        ach_src = _jsonl(sorted((ROOT / "marketplace/demo/data").glob("achievements_*.jsonl"))
                         + [ROOT / "benchmarks/matching/achievements.jsonl"])
        dem_src = _jsonl([ROOT / "marketplace/demo/data/demands.jsonl", ROOT / "benchmarks/matching/demands.jsonl"])
        rnd = random.Random(5)
        now = utcnow()
        have = db.session.scalar(db.select(db.func.count(Achievement.id)))
        batch = []
        for i in range(have, n_ach):
            a, b, c = rnd.sample(ach_src, 3)
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
                owner_org_id=insts[i % len(insts)], status="published", source="bench", ref=f"BENCH-A{i:06d}",
                inventors="", created_at=now, updated_at=now, published_at=now))
            if len(batch) == 5000:
                db.session.execute(Achievement.__table__.insert(), batch)
                batch = []
        if batch:
            db.session.execute(Achievement.__table__.insert(), batch)
        have = db.session.scalar(db.select(db.func.count(Demand.id)))
        batch = []
        for i in range(have, n_dem):
            a, b = rnd.sample(dem_src, 2)
            body = sentences(a["description"])[:3] + sentences(b["description"])[:1]
            budget = a.get("budget_wan")
            batch.append(dict(
                title=a["title"] if i % 3 else f"{a['title']}（二期）", description="".join(body) or a["description"],
                indicators=a.get("indicators") or None, industry=a["industry"], city=rnd.choice(CITIES),
                budget_negotiable=budget in (None, "面议"),
                budget=None if budget in (None, "面议") else int(float(budget) * 10000),
                cooperation=a.get("cooperation") if a.get("cooperation") in COOPERATION else rnd.choice(COOPERATION),
                owner_org_id=companies[i % len(companies)], status="published", source="bench",
                ref=f"BENCH-D{i:06d}", created_at=now, updated_at=now, published_at=now))
            if len(batch) == 5000:
                db.session.execute(Demand.__table__.insert(), batch)
                batch = []
        if batch:
            db.session.execute(Demand.__table__.insert(), batch)
        # the rebuild below indexes everything; the stored matches are measured in the fresh process
        for table in (SearchOutbox, MatchRefresh, StoredMatch, MatchList):
            db.session.execute(db.delete(table))
        db.session.commit()
        print(f"database: {n_ach} achievements, {n_dem} demands in {time.time() - started:.1f} s", flush=True)
        started = time.time()
        report = sync.reindex()
        print(f"index: {report['indexed']} documents in {time.time() - started:.1f} s", flush=True)
    if url:
        (folder / "database-url").write_text(url)


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _row(name, values, target=None):
    return (f"| {name} | {_pct(values, 0.5):.1f} | {_pct(values, 0.95):.1f} | {max(values):.1f} | "
            f"{target or ''} |")


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (the rebuild's forked workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def rebuild(limit: int = 0) -> dict:
    """`flask match rebuild --restart` (all records, both directions, the command's own code: forked workers,
    the writer here), timed: wall records/s, CPU seconds per record (this process + workers), the load."""
    from marketplace.matching import jobs

    class Stop(BaseException):  # not caught by the command: it stops the run (marked failed, resumable)
        pass
    last = {"at": 0.0}
    ready = {}

    def echo(line):
        now = time.perf_counter()
        if "开始计算匹配" in line:  # the profiles are read: the matching itself starts
            ready.update(wall=now, cpu=_cpu())
        if "进行中" not in line or now - last["at"] >= 15:
            print("  " + line, flush=True)
            last["at"] = now
        if limit and "进行中" in line and int(re.search(r"(\d+)/", line).group(1)) >= limit:
            raise Stop()
    load0 = os.getloadavg()[0]
    started, cpu0 = time.perf_counter(), _cpu()
    try:
        run = jobs.rebuild_command("all", 100, background=False, restart=True, echo=echo)
    except Stop:
        run = jobs.latest()
    end, cpu1 = time.perf_counter(), _cpu()
    wall, cpu = end - started, cpu1 - cpu0
    done = run.done
    prep = {"wall": ready["wall"] - started, "cpu": ready["cpu"] - cpu0} if ready else {"wall": 0.0, "cpu": 0.0}
    return {"records": done, "seconds": wall, "rps": done / wall if wall else 0.0,
            "cpu_ms": 1000 * cpu / max(done, 1), "cpu": cpu, "workers": jobs.rebuild_workers(), "prep": prep,
            "match_cpu_ms": 1000 * (cpu - prep["cpu"]) / max(done, 1),
            "match_rps": done / max(wall - prep["wall"], 1e-9),
            "load": (load0, os.getloadavg()[0]),
            "children_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def fill_vectors(kind_texts: dict, how: str) -> int:
    """Store a sentence vector for every record that has none (matching/semantic.py), with the digest of its
    text. `model`: the real model (≈ 0.1 s a record); `synthetic`: unit vectors at a cosine of ≈ 0.8–0.95 from one
    another, like the model's (for the cost of reading and using them at sizes the model would take hours to
    embed: the term's arithmetic is the same, its scores are not the model's)."""
    import numpy as np

    from marketplace.core.models import utcnow
    from marketplace.extensions import db
    from marketplace.matching import semantic
    from marketplace.matching.models import MatchVector
    rnd = np.random.default_rng(5)
    centre = rnd.standard_normal(semantic.DIM)
    n = 0
    for kind, rows in kind_texts.items():
        have = set(db.session.scalars(db.select(MatchVector.entity_id).where(MatchVector.entity_type == kind)))
        rows = [(oid, text) for oid, text in rows if oid not in have]
        for start in range(0, len(rows), 500):
            part = rows[start:start + 500]
            if how == "model":
                vecs = semantic.embed(kind, [t for _, t in part])
            else:
                raw = centre + 0.33 * rnd.standard_normal((len(part), semantic.DIM))  # cosines ≈ 0.9 ± 0.02
                vecs = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)
            now = utcnow()
            db.session.execute(db.insert(MatchVector), [
                {"entity_type": kind, "entity_id": oid, "digest": semantic.digest(kind, text),
                 "vector": vec.tobytes(), "computed_at": now} for (oid, text), vec in zip(part, vecs)])
            db.session.commit()
            n += len(part)
    return n


def measure(folder: Path, sample: int, requests: int, recompute: bool = True, rebuild_limit: int | None = 0,
            url: str | None = None, vectors: str = "none") -> None:
    os.environ.update(env_for(folder, url))
    from marketplace import create_app
    from marketplace.achievements.models import Achievement
    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.matching import store

    app = create_app()
    with app.app_context():
        rb = None
        if vectors != "none":
            from marketplace.matching import semantic
            started = time.perf_counter()
            texts = {"demand": [(d.id, semantic.text_of(d, "demand")) for d in db.session.execute(
                         db.select(Demand.id, Demand.title, Demand.description)).all()],
                     "achievement": [(a.id, semantic.text_of(a, "achievement")) for a in db.session.execute(
                         db.select(Achievement.id, Achievement.title, Achievement.summary)).all()]}
            added = fill_vectors(texts, vectors)
            print(f"sentence vectors ({vectors}): {added} added in {time.perf_counter() - started:.1f} s; the "
                  f"semantic term is {'on' if semantic.enabled() else 'OFF'}", flush=True)
        if rebuild_limit is not None:
            print(f"rebuild{f' (first {rebuild_limit} records)' if rebuild_limit else ''}: load average "
                  f"{os.getloadavg()[0]:.2f}", flush=True)
            rb = rebuild(rebuild_limit)
            print(f"rebuild: {rb['records']} records in {rb['seconds']:.1f} s = {rb['rps']:.1f} records/s (wall), "
                  f"CPU {rb['cpu']:.0f} s = {rb['cpu_ms']:.1f} ms per record (this process + {rb['workers']} "
                  f"workers); load average {rb['load'][0]:.2f} before, {rb['load'][1]:.2f} after; workers' peak "
                  f"RSS {rb['children_rss']:.0f} MiB", flush=True)
            print(f"  of which reading every record's profile (in parallel): {rb['prep']['wall']:.1f} s wall, "
                  f"{rb['prep']['cpu']:.0f} s CPU; then matching: {rb['match_rps']:.1f} records/s wall, "
                  f"{rb['match_cpu_ms']:.1f} ms CPU per record", flush=True)
            db.session.remove()
        phase = time.perf_counter()
        n_ach = db.session.scalar(db.select(db.func.count(Achievement.id)))
        n_dem = db.session.scalar(db.select(db.func.count(Demand.id)))
        rnd = random.Random(11)
        dem_ids = rnd.sample(list(db.session.scalars(db.select(Demand.id).where(Demand.status == "published"))),
                             min(sample, n_dem))
        ach_ids = rnd.sample(list(db.session.scalars(db.select(Achievement.id).where(
            Achievement.status == "published"))), min(sample, n_ach))
        t0 = time.perf_counter()
        store.compute(db.session.get(Demand, dem_ids[0]))  # the process's first search reads every segment
        first_call = time.perf_counter() - t0
        fp = store.fingerprint()
        rates, results = {"demand": 0.0, "achievement": 0.0}, []
        for label, Model, ids in (("demand", Demand, dem_ids), ("achievement", Achievement, ach_ids)):
            if not recompute:
                break
            started = time.perf_counter()
            for k, oid in enumerate(ids, 1):
                obj = db.session.get(Model, oid)
                result = store.compute(obj, store.LIMIT)
                store.write_list(obj, result, fp=fp)
                results.append((obj, result))
                if k % 100 == 0:
                    db.session.commit()
            db.session.commit()
            rates[label] = len(ids) / (time.perf_counter() - started)
        print(f"recompute sample: {time.perf_counter() - phase:.1f} s", flush=True)
        phase = time.perf_counter()
        started = time.perf_counter()  # the store's own part: writing the lists the engine computed
        for k, (obj, result) in enumerate(results, 1):
            store.write_list(obj, result, fp=fp)
            if k % 100 == 0:
                db.session.commit()
        db.session.commit()
        write_rate = len(results) / max(time.perf_counter() - started, 1e-9)
        total_rate = (len(dem_ids) + len(ach_ids)) / sum(len(i) / rates[k] for k, i in (
            ("demand", dem_ids), ("achievement", ach_ids))) if recompute else 0.0
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        resp = client.post("/login", data={"email": "broker@demo.jx", "password": "demo12345", "csrf_token": token})
        assert resp.status_code == 302, resp.status_code
        pages = [f"/demands/{i}" for i in dem_ids] + [f"/achievements/{i}" for i in ach_ids]
        apis = [f"/api/v1/demands/{i}/matches?limit=10" for i in dem_ids] + \
               [f"/api/v1/achievements/{i}/matches?limit=10" for i in ach_ids]
        rnd.shuffle(pages)
        rnd.shuffle(apis)
        pages, apis = pages[:requests], apis[:requests]
        timings = {}
        for name, urls in (("page", pages), ("api", apis)):
            for url in urls:  # warm-up pass: templates compiled, rows in the page cache
                assert client.get(url).status_code == 200, url
            times = []
            for url in urls:
                t0 = time.perf_counter()
                resp = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, url
            timings[name] = times
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load = os.getloadavg()
        print(f"pages and API: {time.perf_counter() - phase:.1f} s", flush=True)
        print()
        print(f"{n_ach} achievements, {n_dem} demands ({db.engine.dialect.name}); recompute sample {len(dem_ids)} + {len(ach_ids)} records; "
              f"{len(pages)} page and {len(apis)} API requests; load average {load[0]:.2f} {load[1]:.2f} "
              f"{load[2]:.2f}; peak RSS {rss:.0f} MiB; first search of the process {first_call:.1f} s")
        print()
        print("| figure | p50 ms | p95 ms | max ms | target |")
        print("|---|---|---|---|---|")
        print(_row("detail page with matches (broker signed in)", timings["page"], "p95 < 50 ms"))
        print(_row("matches API `?limit=10`", timings["api"], "p95 < 30 ms"))
        print()
        if rb is not None:
            print(f"BENCH matching.rebuild_rps {rb['rps']:.1f} records/s")
            print(f"BENCH matching.rebuild_cpu_ms_per_record {rb['cpu_ms']:.1f} ms")
            print(f"BENCH matching.rebuild_match_cpu_ms_per_record {rb['match_cpu_ms']:.1f} ms")
        print(f"BENCH matching.page_p95 {_pct(timings['page'], 0.95):.1f} ms")
        print(f"BENCH matching.api_p95 {_pct(timings['api'], 0.95):.1f} ms")
        if not recompute:
            return
        print()
        print(f"sampled records recomputed one by one in this process, caches cold (the live path after a change, "
              f"not the rebuild above): {total_rate:.1f} records/s (demands {rates['demand']:.1f}/s, "
              f"achievements {rates['achievement']:.1f}/s); of which writing the stored rows alone: "
              f"{write_rate:.0f} records/s (the rest is matching.service computing the lists)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--achievements", type=int, default=5000)
    parser.add_argument("--demands", type=int, default=500)
    parser.add_argument("--sample", type=int, default=30, help="records of each side recomputed and requested")
    parser.add_argument("--requests", type=int, default=200, help="page and API requests measured (each)")
    parser.add_argument("--keep", help="build in (or reuse) this folder and keep it")
    parser.add_argument("--no-recompute", action="store_true",
                        help="time only the pages and the API (lists stored by an earlier run, or on first read)")
    parser.add_argument("--rebuild-limit", type=int, default=0,
                        help="stop the full rebuild after this many records (0: all of them)")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the full rebuild (`flask match rebuild`)")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to fill and measure instead of SQLite "
                        "(e.g. postgresql+psycopg://user@host:port/name); with --keep, reused while it is the same URL")
    parser.add_argument("--vectors", choices=("none", "synthetic", "model"), default="none",
                        help="sentence vectors for records without one before measuring: none (the semantic term "
                        "is absent), synthetic (its cost, at any size), model (the real model, ≈ 0.1 s a record)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(Path(args.measure), args.sample, args.requests, not args.no_recompute,
                       None if args.no_rebuild else args.rebuild_limit, args.database_url, args.vectors)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="match-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if not built(folder, args.database_url):
            build(folder, args.achievements, args.demands, args.database_url)
        subprocess.run([sys.executable, __file__, "--measure", str(folder), "--sample", str(args.sample),
                        "--requests", str(args.requests), "--rebuild-limit", str(args.rebuild_limit),
                        "--vectors", args.vectors]
                       + (["--database-url", args.database_url] if args.database_url else [])
                       + (["--no-recompute"] if args.no_recompute else [])
                       + (["--no-rebuild"] if args.no_rebuild else []), check=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
