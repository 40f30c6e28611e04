"""Which of the demo's demands the engine leaves without an answer, with the candidate it would have shown
first — a second library to read an abstention change on before it ships (the evaluation sets are small and
of one make: a decision fitted on them can silence clear answers in a larger library;
docs/notes/matching-quality.md, "A fifth set"). The demo's demands are judged in
`benchmarks/matching_demo/` (tune and held-out halves, for matching_eval.py); this tool reads the demo as
`flask demo load` makes it (with its deals, interests and other records), to compare two checkouts' --json
outputs.

    .venv/bin/python benchmarks/matching_demo_silence.py [--all] [--json]

Loads `flask demo load` into a temporary SQLite database and Whoosh index, matches every published demand
(matching.service.match_demand, limit 10) and prints, for each silent demand (every demand with --all), its
title, the first candidate's title and the abstention's signals; then the count.
"""
import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="every published demand, not only the silent ones")
    parser.add_argument("--json", action="store_true", help="one JSON line per demand, then the count")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="match-demo-")
    try:
        _run(args, tmp)
    finally:  # the demo's database and index: nothing left in /tmp
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, tmp: str) -> None:
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp}/demo.db", SEARCH_INDEX_DIR=f"{tmp}/index",
                      SECRET_KEY="demo", SEARCH_BACKEND="whoosh", HUEY_BACKEND="memory")
    sys.path.insert(0, str(ROOT))
    logging.disable(logging.WARNING)
    from flask_migrate import upgrade

    from marketplace import create_app
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        if result.exit_code:
            raise SystemExit(f"demo load failed: {result.output}")
        from marketplace.demands.models import Demand
        from marketplace.matching import service
        from marketplace.searching import sync
        sync.apply_pending()
        total = silent = 0
        for demand in Demand.query.filter_by(status="published").order_by(Demand.ref, Demand.id):
            found = service.match_demand(demand, 10)
            total += 1
            silent += bool(found["abstained"])
            if not (args.all or found["abstained"]):
                continue
            first = found["items"][0]["title"] if found["items"] else ""
            if args.json:
                print(json.dumps({"ref": demand.ref, "title": demand.title, "abstained": found["abstained"],
                                  "first": first, "signals": found["signals"]},
                                 ensure_ascii=False))
            else:
                s, said = found["signals"], "silent" if found["abstained"] else "answer"
                print(f"{said}  {demand.title[:32]}  →  {first[:36]}  "
                      f"(ratio {s.get('ratio')}, title cover {s.get('title_cover')}, "
                      f"{'factory words' if s.get('plain') else 'technical'})")
        summary = {"published": total, "silent": silent}
        print(json.dumps(summary) if args.json else f"{total} published demands, {silent} silent")


if __name__ == "__main__":
    main()
