"""Import benchmark, end to end: N synthetic achievements from .xlsx or .jsonl into a fresh SQLite or PostgreSQL
database, through the same code as `flask import achievements FILE` (streamed file, batched writes), then the
search index brought up to date (the outbox applied through the Whoosh backend's bulk path). Three runs: the
first import (creates), a re-import of the same file (every row found unchanged: nothing rewritten or reindexed)
and a re-import of a file where every row's summary changed (every row updated and its document replaced).

    .venv/bin/python benchmarks/import_bench.py --rows 20000 --format xlsx --db sqlite
    .venv/bin/python benchmarks/import_bench.py --rows 20000 --format jsonl --db postgresql
    .venv/bin/python benchmarks/import_bench.py --rows 100000 --format xlsx --reader-only   # the file reader alone

With --db postgresql a throwaway server is started with scripts/test-postgres.sh (its own PG_DIR_FILE, so
nobody else's server is touched) and stopped afterwards. Prints rows/s end to end, the rows phase and the index
phase, the rows/s of the rows phase at 10 %, 50 % and 100 % of the file (the rate over the preceding tenth:
flat means the table's growth does not slow it), the peak RSS of the process (and of the index sub-writers),
and the load average. Nothing of the project's instance/ is touched.
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

INDUSTRIES = ["有色金属", "新材料", "新能源", "电子信息", "中医药", "现代农业", "航空", "装备制造"]
WORDS = ["稀土", "永磁", "铜合金", "锂电", "正极材料", "光伏", "脐橙", "中药", "复合材料", "传感器", "连续挤压",
         "催化剂", "废水", "回收", "智能", "检测", "制备", "工艺", "装备", "涂层"]
HEADERS = ["编号", "成果名称", "成果简介", "关键词", "所属产业", "完成单位", "知识产权类型", "专利号", "授权日期",
           "资金来源", "成果类别", "成熟度", "转化方式", "意向价格（万元）"]


def synthetic_rows(rows: int, changed: bool = False):
    rnd = random.Random(42)
    for i in range(rows):
        words = rnd.sample(WORDS, 6)
        summary = ("".join(words) + "，") * 15 + ("本版新增中试验证数据。" if changed else "")
        yield [f"B-{i:06d}", "".join(words[:3]) + f"技术{i}", summary, "、".join(words[:4]),
               rnd.choice(INDUSTRIES), f"基准大学{i % 20}", "发明专利", f"ZL2019{i:07d}.1",
               f"20{rnd.randint(15, 24)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}", "财政资金", "应用技术",
               rnd.choice(["实验室", "小试", "中试", "工业化"]), "许可、转让", rnd.choice(["面议", "35", "120.5"])]


def write_file(rows: int, fmt: str, path: str, changed: bool = False) -> None:
    if fmt == "xlsx":
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(HEADERS)
        for r in synthetic_rows(rows, changed):
            ws.append(r)
        wb.save(path)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            for r in synthetic_rows(rows, changed):
                fh.write(json.dumps(dict(zip(HEADERS, r)), ensure_ascii=False) + "\n")


def children_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class Marks:
    """The rows phase's rate over the tenth of the file before 10 %, 50 % and 100 %."""

    def __init__(self, total: int):
        self.total, self.points = total, []
        self.started = time.perf_counter()

    def __call__(self, done, total):
        self.points.append((done, time.perf_counter() - self.started))

    def rate_at(self, fraction: float) -> float:
        target = self.total * fraction
        window = self.total * 0.1
        end = next(((d, t) for d, t in self.points if d >= target), self.points[-1])
        start = max(((d, t) for d, t in self.points if d <= end[0] - window), default=(0, 0.0))
        return (end[0] - start[0]) / max(end[1] - start[1], 1e-9)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the index sub-writers), user + system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def server_cpu(pg_data: str | None) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster, its live children, and (cutime) the children
    it has reaped (the follower's connections). 0 without a server."""
    if not pg_data:
        return 0.0
    try:
        with open(os.path.join(pg_data, "postmaster.pid")) as fh:
            master = int(fh.readline())
    except (OSError, ValueError):
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid):
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()

    total = 0.0
    try:
        fields = stat(master)
        total += sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
    except OSError:
        return 0.0
    for pid in os.listdir("/proc"):
        if pid.isdigit() and pid != str(master):
            try:
                fields = stat(pid)
            except OSError:
                continue
            if fields[1] == str(master):
                total += (int(fields[11]) + int(fields[12])) / tick
    return total


def one_run(app, path: str, name: str, n: int, alongside: bool = True, pg_data: str | None = None) -> dict:
    from marketplace.extensions import db
    from marketplace.imports.indexing import IndexFollower
    from marketplace.imports.readers import stream_file
    from marketplace.imports.service import import_rows
    from marketplace.searching.sync import apply_pending
    with app.app_context():
        follower = IndexFollower(app) if alongside else None
        t0, c0, s0 = time.perf_counter(), cpu_seconds(), server_cpu(pg_data)
        with open(path, "rb") as fh:
            raw = fh.read()
        marks = Marks(n)
        with stream_file(name, raw, max_rows=max(n, 50000)) as stream:  # as `flask import --max-rows`
            report = import_rows("achievements", stream.headers, stream.rows, publish=True, progress=marks,
                                 total=n, index_alongside=follower or False)
        del raw
        t1, c1, s1 = time.perf_counter(), cpu_seconds(), server_cpu(pg_data)
        indexed = apply_pending(lock_timeout=60)
        t2, c2, s2 = time.perf_counter(), cpu_seconds(), server_cpu(pg_data)
        db.session.remove()
    # The follower's CPU (child + its sub-writers) is counted in RUSAGE_CHILDREN once it is reaped, i.e. in the
    # rows phase's figure: it is index work, moved to the index's figure.
    follow_cpu = follower.cpu_seconds if follower else 0.0
    return {"report": report, "rows_s": t1 - t0, "index_s": t2 - t1, "total_s": t2 - t0,
            "indexed": indexed + report.indexed, "indexed_alongside": report.indexed,
            "rows_cpu": c1 - c0 - follow_cpu, "index_cpu": c2 - c1 + follow_cpu,
            "server_cpu": s2 - s0, "server_rows_cpu": s1 - s0, "marks": {f: marks.rate_at(f) for f in (0.1, 0.5, 1.0)}}


def reader_only(args) -> None:
    """The file reader alone (no database): rows/s and CPU of `stream_file` over the whole file."""
    from marketplace.imports.readers import stream_file
    tmp = tempfile.mkdtemp(prefix="import-bench-")
    try:
        path = os.path.join(tmp, f"bench.{args.format}")
        write_file(args.rows, args.format, path)
        with open(path, "rb") as fh:
            raw = fh.read()
        load = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), cpu_seconds()
        count = 0
        with stream_file(os.path.basename(path), raw, max_rows=max(args.rows, 50000)) as stream:
            for _ in stream.rows:
                count += 1
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        print(f"reader {args.format}: {count} rows in {wall:.1f} s = {count / wall:.0f} rows/s wall, "
              f"{cpu * 1000 / count:.3f} ms CPU/row (~{count / cpu:.0f} rows/s on one idle core); load {load:.2f}")
        print(f"BENCH import.reader.{args.format}.rows_per_s {count / wall:.0f} rows/s")
        print(f"BENCH import.reader.{args.format}.cpu_per_row {cpu * 1000 / count:.3f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--format", choices=["xlsx", "jsonl"], default="xlsx")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--reader-only", action="store_true", help="measure the file reader alone")
    parser.add_argument("--sequential", action="store_true",
                        help="index after the rows phase (as before), not alongside it (imports.indexing)")
    args = parser.parse_args()
    if args.reader_only:
        return reader_only(args)
    tmp = tempfile.mkdtemp(prefix="import-bench-")
    pg_dir_file = os.path.join(tmp, "pg-dir")
    env = dict(os.environ, PG_DIR_FILE=pg_dir_file)
    try:
        if args.db == "postgresql":
            url = subprocess.run([os.path.join(ROOT, "scripts", "test-postgres.sh"), "start"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
        else:
            url = f"sqlite:///{tmp}/bench.db"
        os.environ.update(DATABASE_URL=url, SEARCH_INDEX_DIR=f"{tmp}/index", UPLOAD_DIR=f"{tmp}/uploads",
                          HUEY_BACKEND="memory", SECRET_KEY="bench")
        path = os.path.join(tmp, f"bench.{args.format}")
        changed_path = os.path.join(tmp, f"changed.{args.format}")
        t0 = time.perf_counter()
        write_file(args.rows, args.format, path)
        write_file(args.rows, args.format, changed_path, changed=True)
        t_write = time.perf_counter() - t0
        from flask_migrate import upgrade

        from marketplace import create_app
        app = create_app()
        with app.app_context():
            upgrade(directory=os.path.join(ROOT, "migrations"))
        n = args.rows
        print(f"rows                      {n} ({args.format}, {os.path.getsize(path) / 2 ** 20:.1f} MiB, "
              f"written in {t_write:.0f} s), database {args.db}", flush=True)
        cores = min(2, os.cpu_count() or 1)
        tag = f"import.{args.format}.{args.db}"
        bench = []
        for key, label, file in (("first", "first import (create)", path),
                                 ("same", "re-import, same file", path),
                                 ("changed", "re-import, changed rows", changed_path)):
            load_before = os.getloadavg()[0]
            pg_data = None
            if args.db == "postgresql":
                with open(pg_dir_file) as fh:
                    pg_data = os.path.join(fh.read().strip(), "data")
            run = one_run(app, file, os.path.basename(file), n, alongside=not args.sequential, pg_data=pg_data)
            load_after = os.getloadavg()[0]
            r, m = run["report"], run["marks"]
            print(f"{label:25s} {n / run['total_s']:.0f} rows/s end to end ({run['total_s']:.1f} s): "
                  f"rows {n / run['rows_s']:.0f}/s ({run['rows_s']:.1f} s, {run['indexed_alongside']} docs "
                  f"indexed meanwhile), index {run['indexed']} docs "
                  f"{run['indexed'] / max(run['total_s'] if run['indexed_alongside'] else run['index_s'], 1e-9):.0f}"
                  f"/s (after the rows: {run['index_s']:.1f} s); "
                  f"created {r.created}, updated {r.updated}, unchanged {r.unchanged}, rejected {r.rejected}")
            print(f"{'':25s} rows phase at 10% {m[0.1]:.0f}/s, 50% {m[0.5]:.0f}/s, 100% {m[1.0]:.0f}/s")
            # On a shared machine wall time says little: the CPU each phase used, and what that allows on an
            # idle machine with 2 cores (the rows phase runs on one core, the index phase on two).
            quiet = run["rows_cpu"] + run["index_cpu"] / cores
            per_doc = f"{run['index_cpu'] * 1000 / run['indexed']:.2f} ms/doc" if run["indexed"] else \
                f"{run['index_cpu']:.2f} s, nothing to index"
            print(f"{'':25s} CPU: rows {run['rows_cpu'] * 1000 / n:.2f} ms/row, index {per_doc} (all processes) -> "
                  f"~{n / max(quiet, 1e-9):.0f} rows/s end to end if the {cores} cores were ours; "
                  f"load {load_before:.1f} -> {load_after:.1f}", flush=True)
            if pg_data:
                every = run["rows_cpu"] + run["index_cpu"] + run["server_cpu"]
                print(f"{'':25s} PostgreSQL server CPU {run['server_cpu'] * 1000 / n:.2f} ms/row; all CPU "
                      f"{every * 1000 / n:.2f} ms/row -> at best ~{n / max(every / cores, 1e-9):.0f} rows/s on "
                      f"{cores} cores", flush=True)
            bench += [(f"{tag}.{key}.end_to_end", n / run["total_s"], "rows/s"),
                      (f"{tag}.{key}.rows_phase", n / run["rows_s"], "rows/s"),
                      (f"{tag}.{key}.index_phase", run["indexed"] / max(run["index_s"], 1e-9), "docs/s"),
                      (f"{tag}.{key}.cpu_rows", run["rows_cpu"] * 1000 / n, "ms/row"),
                      (f"{tag}.{key}.cpu_index", run["index_cpu"] * 1000 / run["indexed"] if run["indexed"] else 0,
                       "ms/doc"),
                      (f"{tag}.{key}.idle_estimate", n / max(quiet, 1e-9), "rows/s"),
                      (f"{tag}.{key}.load", (load_before + load_after) / 2, "load"),
                      (f"{tag}.{key}.cpu_server", run["server_cpu"] * 1000 / n, "ms/row")]
        peak, sub = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, children_peak_mib()
        print(f"peak RSS                  {peak:.0f} MiB (largest index sub-writer {sub:.0f} MiB)")
        print(f"cores                     {os.cpu_count()}")
        bench += [(f"{tag}.peak_rss", peak, "MiB"), (f"{tag}.peak_rss_subwriter", sub, "MiB")]
        for name, value, unit in bench:
            print(f"BENCH {name} {value:.2f} {unit}")
    finally:
        if args.db == "postgresql":
            subprocess.run([os.path.join(ROOT, "scripts", "test-postgres.sh"), "stop"], env=env, check=False)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
