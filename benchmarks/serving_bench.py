"""Serving benchmark: gunicorn (gunicorn.conf.py) on loopback with the demo data, driven by locust headless.

    .venv/bin/python benchmarks/serving_bench.py [--db sqlite|postgresql|both] [--achievements N]
        [--seconds 30] [--workers 3 --threads 4] [--saturation-users 30] [--users 50] [--no-warm]

For each database: a fresh instance (migrations, `flask demo load`, plus N generated published achievements
indexed with `flask search reindex` when --achievements is given), then gunicorn is started and
1. cold start: the first search and the first detail page with its matches, as soon as the workers are up
   (they open and warm the index before their first request; --no-warm shows the cost without);
2. saturation: locust users without think time (benchmarks/load/locustfile.py), requests/s;
3. --users users pausing 0.5–1.5 s (about 1 s) between pages: p50/p95 and errors;
4. the workers' memory (RSS and PSS from /proc) after the runs.
PostgreSQL is the throwaway server of scripts/test-postgres.sh. Locust runs on the same 2 cores as the site,
so requests/s are a lower bound of what the site alone would serve. Prints `BENCH serving.<db>.<metric>
<value> <unit>` lines for benchmarks/run_all.py.
"""
import argparse
import csv
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def flask(env, *args, quiet=True):
    out = subprocess.run([str(BIN / "flask"), *args], env=env, cwd=ROOT, capture_output=quiet, text=True)
    if out.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


GENERATE = r"""
import random, sys
from datetime import datetime
sys.path.insert(0, sys.argv[2])
from benchmarks.search_bench import corpus, vocabulary
from marketplace import create_app
from marketplace.extensions import db
from marketplace.achievements.models import Achievement
from marketplace.accounts.models import Organisation
n = int(sys.argv[1])
app = create_app()
with app.app_context():
    orgs = [o.id for o in Organisation.query.filter_by(kind="institution")]
    now = datetime(2020, 1, 1)  # older than the demo records: the lists' first pages stay the demo's
    rows, table = [], Achievement.__table__
    for i, d in enumerate(corpus(n, vocabulary())):
        rows.append(dict(title=d["title"][:200], summary=d["body"], keywords=d["keywords"].replace(" ", "、"),
                         industry=d["industry"], category="应用技术", funding_source=d["funding_source"],
                         maturity=d["maturity"], transfer_modes="、".join(d["transfer_modes"]),
                         asking_price=None, price_negotiable=True, inventors="", status="published",
                         source="bench", ref=f"B{i}", owner_org_id=random.choice(orgs), published_at=now,
                         created_at=now, updated_at=now))
        if len(rows) == 5000:
            db.session.execute(table.insert(), rows); db.session.commit(); rows = []
    if rows:
        db.session.execute(table.insert(), rows); db.session.commit()
print(n)
"""


ADD_DEMO_DOCS = """
from marketplace import create_app
from marketplace.searching import sync
app = create_app()
with app.app_context():
    print(sync.backend().index(list(sync.all_documents())))
"""


def prepare(env, achievements: int):
    flask(env, "db", "upgrade")
    flask(env, "demo", "load")
    # What the task worker does after the demo load: the stored matches the detail pages read.
    t0 = time.perf_counter()
    flask(env, "match", "rebuild")
    print(f"  stored matches computed in {time.perf_counter() - t0:.0f} s", flush=True)
    if achievements:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", GENERATE, str(achievements), str(ROOT)], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        flask(env, "search", "reindex")
        print(f"  generated and indexed {achievements} achievements in {time.perf_counter() - t0:.0f} s", flush=True)


def get(url, timeout=60):
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        resp.read()
        return resp.status, (time.perf_counter() - t0) * 1000


def wait_up(base, proc, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def wait_workers(log: Path, workers: int, warm: bool, timeout=300):
    """Until every worker has booted (and, with the warm-up, opened and warmed its index)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if text.count("Booting worker") >= workers and (not warm or text.count(" warm in ") >= workers):
            time.sleep(0.3)
            return
        time.sleep(0.2)
    raise SystemExit(f"workers not ready; see {log}")


def workers_of(master_pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def memory_mib(pid: int) -> tuple[float, float]:
    rss = pss = 0.0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes (the workers), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


WRITE_NAME = "/notifications/[id]/read (POST)"  # the locustfile's committing write


LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"


def site_cpu_seconds(master_pid: int) -> float:
    """The workers' CPU so far: the live workers' own, plus what the master has reaped from workers that exited
    (recycled by max_requests: their CPU is not lost, and a replacement's warm-up counts, as it costs)."""
    try:
        fields = Path(f"/proc/{master_pid}/stat").read_text().rsplit(")", 1)[1].split()
        reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        reaped = 0.0
    return cpu_seconds(workers_of(master_pid)) + reaped


def postgres_cpu_seconds(pg_file: Path) -> float:
    """The throwaway PostgreSQL server's CPU so far (postmaster, live backends, exited backends): on SQLite the
    database's work is inside the workers, on PostgreSQL it is here, on the same two cores."""
    try:
        pid = int((Path(pg_file.read_text().strip()) / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return cpu_seconds([pid]) + site_cpu_seconds(pid)


def stop(proc, sig, seconds) -> None:
    """Ask a process started here to stop, kill it after `seconds`."""
    if proc is None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()


def locust(base, users, seconds, think, prefix):
    env = {**os.environ, "THINK_MIN": str(think[0]), "THINK_MAX": str(think[1])}
    cmd = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless",
           "-u", str(users), "-r", str(max(1, users // 2)), "-t", f"{seconds}s", "--host", base,
           "--csv", prefix, "--only-summary", "--exit-code-on-error", "0", "--stop-timeout", "5"]
    # Locust's own CPU (it shares the two cores with the site): the children's rusage around its run.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    worst = sorted((r for r in rows if r["Name"] != "Aggregated" and int(r["Request Count"]) >= 5),
                   key=lambda r: -float(r["95%"] or 0))[:4]
    failures = []
    try:
        failures = [(r["Method"], r["Name"], r["Error"][:120], r["Occurrences"])
                    for r in csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8"))]
    except OSError:
        pass
    by_name = {r["Name"]: (float(r["50%"] or 0), float(r["95%"] or 0), int(r["Request Count"])) for r in rows}
    return {"failure_kinds": failures, "locust_cpu": locust_cpu, "by_name": by_name, "rps": float(agg["Requests/s"]), "requests": int(agg["Request Count"]),
            "failures": int(agg["Failure Count"]), "p50": float(agg["50%"]), "p95": float(agg["95%"]),
            "p99": float(agg["99%"]),
            "worst": [(r["Name"], float(r["50%"]), float(r["95%"]), int(r["Request Count"])) for r in worst]}


def run_one(dbname, args, summary):
    reuse = bool(args.reuse) and dbname == "sqlite"
    tmp = Path(args.reuse) if reuse else Path(tempfile.mkdtemp(prefix=f"serving-{dbname}-"))
    pg_file = tmp / "pg-dir"
    env = {**os.environ, "FLASK_APP": "wsgi", "SECRET_KEY": "bench-secret",
           "SEARCH_INDEX_DIR": str(tmp / "index"), "HUEY_SQLITE_FILE": str(tmp / "huey.db"),
           "UPLOAD_DIR": str(tmp / "uploads"), "MAIL_SERVER": "", "PG_DIR_FILE": str(pg_file)}
    if dbname == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'site.db'}"
    else:
        url = subprocess.run([str(ROOT / "scripts" / "test-postgres.sh"), "start"], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        env["DATABASE_URL"] = url
    master = worker = None
    try:
        print(f"== {dbname}: {'reusing ' + str(tmp) if reuse else 'preparing'} (demo data{f' + {args.achievements} achievements' if args.achievements else ''})",
              flush=True)
        if not reuse:
            prepare(env, args.achievements)
        if args.index and not reuse:
            # A prebuilt index (e.g. 100,000 generated achievements: /tmp/serving-build100k.py or search_bench
            # --keep) in place of the demo's, the demo records added to it: the cost of opening a big index.
            shutil.rmtree(tmp / "index")
            shutil.copytree(args.index, tmp / "index", symlinks=True)
            subprocess.run([sys.executable, "-c", ADD_DEMO_DOCS], env=env, cwd=ROOT, check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        genv = {**env, "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": str(args.workers),
                "WEB_THREADS": str(args.threads), "WEB_WARM": "0" if args.no_warm else "1",
                "WEB_LOG_LEVEL": "info"}
        t0 = time.perf_counter()
        # The task worker runs beside the site, as in production (pushes, e-mails, match refreshes).
        worker = subprocess.Popen([str(BIN / "flask"), "imports", "worker", "-w", "1"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=open(tmp / "worker.log", "w"))
        master = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                                  env=genv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp / "gunicorn.log", "w"))
        wait_up(base, master)
        wait_workers(tmp / "gunicorn.log", args.workers, warm=not args.no_warm)
        # The workers accept connections once warm (post_worker_init); the first requests show the cold start.
        _, first_search = get(f"{base}/search?q=%E7%A8%80%E5%9C%9F")
        with urllib.request.urlopen(f"{base}/api/v1/demands?per_page=5") as resp:
            demand_ids = [i["id"] for i in json.load(resp)["items"]]
        _, first_match = get(f"{base}/demands/{demand_ids[0]}")
        _, first_match_api = get(f"{base}/api/v1/demands/{demand_ids[-1]}/matches")
        up_s = time.perf_counter() - t0
        print(f"  started in {up_s:.1f} s; first search {first_search:.0f} ms, first detail page with matches "
              f"{first_match:.0f} ms, first matches API {first_match_api:.0f} ms", flush=True)
        cpu0, db0 = site_cpu_seconds(master.pid), postgres_cpu_seconds(pg_file) if dbname == "postgresql" else 0.0
        sat = locust(base, args.saturation_users, args.seconds, (0, 0), str(tmp / "sat"))
        db_ms = ((postgres_cpu_seconds(pg_file) - db0) * 1000 / max(sat["requests"], 1)
                 if dbname == "postgresql" else 0.0)
        # CPU spent by the workers per request: on a machine shared with other work, the capacity the site
        # would have on two cores of its own is about 2 / (CPU seconds per request).
        cpu_ms = (site_cpu_seconds(master.pid) - cpu0) * 1000 / max(sat["requests"], 1)
        think = (locust(base, args.users, args.seconds, (0.5, 1.5), str(tmp / "think")) if not args.saturation_only
                 else {"rps": 0, "p50": 0, "p95": 0, "p99": 0, "failures": 0, "requests": 0})
        mem = [memory_mib(pid) for pid in workers_of(master.pid)]
        rss, pss = max(m[0] for m in mem), max(m[1] for m in mem)
        print(f"  saturation ({args.saturation_users} users, no pause): {sat['rps']:.0f} requests/s, "
              f"p50 {sat['p50']:.0f} ms, p95 {sat['p95']:.0f} ms, failures {sat['failures']}/{sat['requests']}")
        print(f"  {args.users} users pausing ~1 s: {think['rps']:.0f} requests/s, p50 {think['p50']:.0f} ms, "
              f"p95 {think['p95']:.0f} ms, p99 {think['p99']:.0f} ms, failures {think['failures']}/{think['requests']}")
        for run in (sat, think):
            for method, name, error, count in run.get("failure_kinds", []):
                print(f"  failed: {count} × {method} {name}: {error}")
        print(f"  workers' CPU per request at saturation: {cpu_ms:.1f} ms → about {2000 / cpu_ms:.0f} requests/s "
              f"on two cores of its own")
        if dbname == "postgresql":
            print(f"  PostgreSQL server's CPU per request at saturation: {db_ms:.1f} ms → site (workers + database) "
                  f"{cpu_ms + db_ms:.1f} ms, about {2000 / (cpu_ms + db_ms):.0f} requests/s on two cores of its own")
        locust_ms = sat["locust_cpu"] * 1000 / max(sat["requests"], 1)
        print(f"  locust's CPU per request at saturation: {locust_ms:.1f} ms "
              f"({100 * locust_ms / max(locust_ms + cpu_ms, 1e-9):.0f} % of locust + workers)")
        print("  slowest at saturation (p50 / p95 ms, count): " + "; ".join(
            f"{n} {a:.0f}/{b:.0f} ({c})" for n, a, b, c in sat["worst"]))
        post = sat["by_name"].get(WRITE_NAME, (0, 0, 0))
        print(f"  the write {WRITE_NAME} at saturation: p50 {post[0]:.0f} ms, p95 {post[1]:.0f} ms ({post[2]} requests)")
        print(f"  worker memory: RSS ≤ {rss:.0f} MiB, PSS ≤ {pss:.0f} MiB ({len(mem)} workers × {args.threads} threads)")
        key = f"serving.{dbname}" + f".{args.workers}x{args.threads}" * (args.workers != 2 or args.threads != 8) + (
            f".{args.achievements // 1000}k" if args.achievements else "") + (
            ".bigindex" if args.index else "") + (".cold" if args.no_warm else "")
        lines = [(f"{key}.first_search", first_search, "ms"), (f"{key}.first_match_page", first_match, "ms"),
                 (f"{key}.saturation_rps", sat["rps"], "req/s"), (f"{key}.cpu_per_request", cpu_ms, "ms"),
                 (f"{key}.projected_rps_2_cores", 2000 / cpu_ms, "req/s"),
                 (f"{key}.locust_cpu_per_request", locust_ms, "ms"),
                 *([(f"{key}.db_cpu_per_request", db_ms, "ms"),
                    (f"{key}.projected_rps_2_cores_with_db", 2000 / (cpu_ms + db_ms), "req/s")]
                   if dbname == "postgresql" else []), (f"{key}.write_p95_saturation", post[1], "ms"), (f"{key}.p50_50users", think["p50"], "ms"),
                 (f"{key}.p95_50users", think["p95"], "ms"),
                 (f"{key}.errors", sat["failures"] + think["failures"], "requests"),
                 (f"{key}.worker_rss", rss, "MiB"), (f"{key}.worker_pss", pss, "MiB")]
        summary.extend(lines)
    finally:
        stop(worker, signal.SIGINT, 20)
        stop(master, signal.SIGTERM, 30)
        if dbname == "postgresql":
            subprocess.run([str(ROOT / "scripts" / "test-postgres.sh"), "stop", pg_file.read_text().strip()
                            if pg_file.exists() else ""], env=env, capture_output=True)
        if not args.keep and not reuse:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"  kept {tmp}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--achievements", type=int, default=0, help="generated achievements added to the demo")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 8)))
    parser.add_argument("--saturation-users", type=int, default=30)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--no-warm", action="store_true", help="workers do not open the index before serving")
    parser.add_argument("--index", help="a prebuilt search index directory to serve (copied)")
    parser.add_argument("--keep", action="store_true", help="keep the instance (printed) for --reuse")
    parser.add_argument("--reuse", help="serve this kept SQLite instance again (no preparation)")
    parser.add_argument("--saturation-only", action="store_true", help="skip the think-time run")
    parser.add_argument("--locustfile", help="another locustfile (e.g. an older mix, for an A/B of the load generator)")
    args = parser.parse_args()
    if args.locustfile:
        global LOCUSTFILE
        LOCUSTFILE = Path(args.locustfile).resolve()
    random.seed(1)
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} "
          f"(1/5/15 min) on {os.cpu_count()} cores", flush=True)
    summary = []
    for dbname in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run_one(dbname, args, summary)
    for name, value, unit in summary:
        print(f"BENCH {name} {value:.1f} {unit}")


if __name__ == "__main__":
    main()
