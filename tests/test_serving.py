"""Serving: the Whoosh snapshot shared by the threads of a gunicorn worker (a snapshot is closed only after its
last user), the index opened and warmed at worker start, the gunicorn configuration, and the locust mix."""
import importlib.util
import pathlib
import threading
import time

import pytest

from search.base import SearchQuery
from search.whoosh_backend import WhooshBackend

from .test_search_engine import CORPUS, doc

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def be(tmp_path):
    backend = WhooshBackend(str(tmp_path / "index"))
    backend.rebuild(iter(CORPUS))
    yield backend
    backend.close()


def test_a_snapshot_in_use_survives_a_newer_generation(be):
    with be.reading() as old:
        assert old.users == 1
        be.index([doc(20, "稀土永磁电机控制器", "高效稀土永磁同步电机")])
        be.refresh()
        new = be.snapshot()  # another thread of the worker sees the write and replaces the snapshot
        assert new is not old and not old.closed
        # The old snapshot still reads postings it never decoded (through its own, still open, searcher),
        # and Whoosh's phrase check runs on it.
        assert old.run(SearchQuery(text="晶界扩散")).total == 1
        assert old.run(SearchQuery(text='"稀土永磁"')).total >= 1
    assert old.closed and old.users == 0  # closed by its last user
    assert not new.closed
    assert be.search(SearchQuery(text="电机")).total == 1


def test_a_snapshot_nobody_uses_is_closed_when_replaced(be):
    first = be.snapshot()
    be.index([doc(21, "铜箔表面处理", "电解铜箔")])
    be.refresh()
    second = be.snapshot()
    assert second is not first and first.closed and not second.closed


def test_a_search_in_flight_survives_another_threads_refresh(be, monkeypatch):
    """Thread A is inside a search (its snapshot taken, query parsed) when thread B sees a newer generation
    and replaces the snapshot; A then reads postings through its snapshot. Before the fix B closed A's
    searcher and A failed with ReaderClosed."""
    from search import analysis
    real_parse = analysis.parse_query
    inside, swapped = threading.Event(), threading.Event()

    def parse(text):
        if threading.current_thread().name == "A":
            inside.set()
            assert swapped.wait(10)
        return real_parse(text)

    monkeypatch.setattr(analysis, "parse_query", parse)
    be.search(SearchQuery(text="合金"))  # the snapshot is open
    out, errors = [], []

    def a():
        try:
            out.append(be.search(SearchQuery(text="晶界扩散")).total)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    thread = threading.Thread(target=a, name="A")
    thread.start()
    assert inside.wait(10)
    be.index([doc(30, "稀土永磁电机控制器", "高效稀土永磁同步电机")])
    be.refresh()
    assert be.search(SearchQuery(text="电机")).total == 1  # B: a new snapshot
    swapped.set()
    thread.join(10)
    assert not errors, errors
    assert out == [1]


def test_threads_search_while_the_index_changes(be):
    """Eight threads search (new terms each time: postings are decoded, phrases checked) while a writer adds
    documents and every search may replace the snapshot. With a snapshot closed under a reader this failed
    with closed-file errors or wrong results."""
    errors, counts = [], []
    stop = threading.Event()
    words = ["稀土", "永磁", "合金", "正极", "材料", "芯片", "回收", "保鲜", "工艺", "电池", '"稀土永磁"',
             "晶界扩散", "连续挤压", "驱动芯片"]

    def reader(k):
        i = 0
        try:
            while not stop.is_set():
                be.refresh()  # make every call check for a newer generation
                # A term never looked up before (so its postings are read through the snapshot's readers),
                # and a known one.
                fresh = chr(0x4E00 + (k * 7919 + i * 104729) % 20000) + chr(0x4E00 + (i * 31 + k) % 20000)
                be.search(SearchQuery(text=fresh, per_page=5))
                res = be.search(SearchQuery(text=words[(i + k) % len(words)], per_page=5))
                assert res.total >= 0
                got = be.get("achievement:1")
                assert got is not None and got["digest"] == "d1"
                counts.append(1)
                i += 1
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    try:
        for n in range(30):
            be.index([doc(100 + n, f"稀土永磁新工艺{n}", f"第{n}号 稀土 合金 材料 芯片")])
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors[:3]
    assert len(counts) > 50
    assert be.search(SearchQuery(text="新工艺")).total == 30


def test_warm_opens_the_index_before_the_first_request(be):
    be.close()
    seconds = be.warm()
    assert seconds >= 0 and be._snapshot is not None and not be._snapshot.closed
    started = time.perf_counter()
    be.search(SearchQuery(text="稀土永磁"))
    assert time.perf_counter() - started < 0.5


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_config_warms_each_worker(monkeypatch):
    monkeypatch.delenv("WEB_WORKERS", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    conf = load(ROOT / "gunicorn.conf.py")
    assert conf.workers >= 2 and conf.threads >= 1 and conf.worker_class == "gthread"
    assert conf.bind.startswith("127.0.0.1:") and callable(conf.post_worker_init)
    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.setenv("WEB_THREADS", "5")
    conf = load(ROOT / "gunicorn.conf.py")
    assert (conf.workers, conf.threads) == (3, 5)


def test_locustfile_has_the_realistic_mix():
    """Read, not imported: importing locust monkey-patches the test process with gevent."""
    import ast
    tree = ast.parse((ROOT / "benchmarks" / "load" / "locustfile.py").read_text())
    users = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    assert {"Visitor", "Member"} <= set(users)
    tasks = {fn.name for cls in users.values() for fn in cls.body if isinstance(fn, ast.FunctionDef)
             and any("task" in ast.unparse(d) for d in fn.decorator_list)}
    for wanted in ("home", "list_filtered", "detail", "search", "matches_api", "workbench", "inbox", "mark_read"):
        assert wanted in tasks, wanted
    source = ast.unparse(users["Member"])
    assert "csrf_token" in source and "/login" in source  # logged in, and its writes carry the CSRF token
    # geventhttpclient users (locust shares the site's two cores: a fraction of python-requests' CPU); the
    # login, the logged-in pages and the write judge their own outcome (a lost session cookie is a failure).
    assert all(ast.unparse(users[name].bases[0]) == "FastHttpUser" for name in ("Visitor", "Member"))
    assert source.count("catch_response=True") >= 3 and "allow_redirects=False" in source


def test_serving_bench_counts_the_cpu_of_workers_that_exited():
    """serving_bench's CPU per request: the live workers' CPU plus what the master reaped from recycled ones."""
    import os
    import subprocess
    import sys
    spec = importlib.util.spec_from_file_location("serving_bench", ROOT / "benchmarks" / "serving_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = bench.site_cpu_seconds(os.getpid())
    subprocess.run([sys.executable, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"],
                   check=True)  # a child that burns 0.4 s of CPU and exits (reaped by us, as by the master)
    assert bench.site_cpu_seconds(os.getpid()) - before >= 0.3


def test_the_master_refreshes_sqlite_planner_statistics_before_forking(tmp_path, monkeypatch):
    """gunicorn's when_ready (master, preload) runs ANALYZE on SQLite: without sqlite_stat1 the planner guessed
    and the workbench's match count scanned every stored match (docs/notes/serving.md). Its connection is not
    left open for the workers to inherit."""
    import logging
    import sqlite3
    import types

    from flask import Flask

    from marketplace.extensions import db
    monkeypatch.delenv("WEB_ANALYZE", raising=False)
    conf = load(ROOT / "gunicorn.conf.py")
    path = tmp_path / "site.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, org INTEGER)")
        raw.execute("CREATE INDEX ix_things_org ON things (org)")
        raw.executemany("INSERT INTO things (org) VALUES (?)", [(i % 7,) for i in range(500)])
    site = Flask("analyze-test")
    site.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    db.init_app(site)
    server = types.SimpleNamespace(cfg=types.SimpleNamespace(preload_app=True), log=logging.getLogger("test"),
                                   app=types.SimpleNamespace(wsgi=lambda: site))
    conf.when_ready(server)
    with sqlite3.connect(path) as raw:
        stats = dict(raw.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'things'").fetchall())
    assert stats["ix_things_org"].split()[0] == "500"
    with site.app_context():
        assert db.engine.pool.checkedin() == 0  # disposed: no connection for the forked workers
        db.engine.dispose()
    monkeypatch.setenv("WEB_ANALYZE", "0")
    path.unlink()
    conf.when_ready(server)  # off: nothing opened (would create an empty file)
    assert not path.exists()


def test_a_generation_replaced_while_it_is_opened_is_read_again(be, monkeypatch):
    """A commit between reading the table of contents and opening its files deletes them: the open is retried
    (the threads-while-writing test above once failed with FileNotFoundError in the full suite)."""
    import search.whoosh_backend as wb
    real, calls = wb._open, []

    def flaky(path):
        calls.append(path)
        if len(calls) == 1:
            raise FileNotFoundError(2, "No such file or directory", "_MAIN_1.toc")
        return real(path)

    be.index([doc(21, "稀土永磁电机控制器", "高效稀土永磁同步电机")])  # (the writer opens the index too)
    monkeypatch.setattr(wb, "_open", flaky)
    be.refresh()
    assert be.search(SearchQuery(text="控制器")).total >= 1
    assert len(calls) == 2
    monkeypatch.setattr(wb, "_open", real)
    be.index([doc(22, "另一条", "内容")])
    monkeypatch.setattr(wb, "_open", lambda path: (_ for _ in ()).throw(FileNotFoundError(2, "gone")))
    be.refresh()
    with pytest.raises(FileNotFoundError):  # not forever: a missing index is still an error
        be.snapshot()
