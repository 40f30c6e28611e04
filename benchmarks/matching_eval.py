"""Matching quality on the labelled set in benchmarks/matching/ (engine vs. a plain BM25 baseline).

    .venv/bin/python benchmarks/matching_eval.py [--set benchmarks/matching] [--verbose]

Loads the set's achievements and demands into a temporary SQLite database through the normal import
path, indexes them (Whoosh), then for every demand ranks achievements with
  - the engine: key terms + concept dictionary + structured re-ranking + abstention (marketplace.matching), and
  - the baseline: BM25 over the same tokens (every token of the demand's text, OR, no re-ranking, never abstains),
and prints nDCG@10 and recall@10 (grade ≥ 2 counts as relevant) over the answerable demands, and abstention
accuracy over all demands (abstain on the no-answer ones, answer on the others).
"""
import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ndcg_at(ranked: list[str], grades: dict, k: int = 10) -> float:
    dcg = sum((2 ** grades.get(r, 0) - 1) / math.log2(i + 2) for i, r in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], grades: dict, k: int = 10) -> float:
    relevant = {r for r, g in grades.items() if g >= 2}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default=str(ROOT / "benchmarks" / "matching"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    folder = Path(args.set)
    tmp = tempfile.mkdtemp(prefix="match-eval-")
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp}/eval.db", SEARCH_INDEX_DIR=f"{tmp}/index",
                      SECRET_KEY="eval", SEARCH_BACKEND="whoosh")
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.demands.models import Demand
    from marketplace.imports.readers import read_file
    from marketplace.imports.service import import_rows
    from marketplace.matching import service as matching
    from marketplace.searching import sync
    from search import SearchQuery
    from search.analysis import query_terms
    from search.base import Visibility

    app = create_app()
    qrels: dict[str, dict] = {}
    for row in load_jsonl(folder / "qrels.jsonl"):
        qrels.setdefault(row["demand"], {})[row["achievement"]] = int(row["grade"])
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        for library, name in (("achievements", "achievements.jsonl"), ("demands", "demands.jsonl")):
            path = folder / name
            headers, rows = read_file(path.name, path.read_bytes())
            rows = [(n, [v for h, v in zip(headers, values) if h != "no_answer"]) for n, values in rows]
            headers = [h for h in headers if h != "no_answer"]
            report = import_rows(library, headers, rows, source="eval", publish=True)
            if report.rejected:
                print(f"{name}: {report.summary()}", report.errors[:3], file=sys.stderr)
        sync.apply_pending()
        no_answer = {d["ref"]: bool(d.get("no_answer")) for d in load_jsonl(folder / "demands.jsonl")}
        ach_ref = {}
        from marketplace.achievements.models import Achievement
        for a in Achievement.query.all():
            ach_ref[a.id] = a.ref
        factory = {d["ref"] for d in load_jsonl(folder / "demands.jsonl") if d.get("factory_language")}
        results = {name: {"ndcg": [], "recall": [], "abst": [], "f_ndcg": [], "f_recall": []}
                   for name in ("engine", "bm25")}
        for demand in Demand.query.filter_by(source="eval").order_by(Demand.ref):
            grades = qrels.get(demand.ref, {})
            found = matching.match_demand(demand, 10)
            engine = [i["ref"] for i in found["items"]]
            tokens = list(dict.fromkeys(query_terms(" ".join([demand.title, demand.indicators or "",
                                                               demand.description]))))
            base = sync.backend().search(SearchQuery(weighted_terms=tuple((t, 1.0) for t in tokens), min_match=1,
                                                     types=("achievement",), visibility=Visibility(),
                                                     per_page=10, facets=False))
            baseline = [ach_ref[int(i.split(":")[1])] for i in base.ids]
            answerable = not no_answer.get(demand.ref, False)
            for name, ranked, abstained in (("engine", engine, found["abstained"]), ("bm25", baseline, False)):
                if answerable:
                    results[name]["ndcg"].append(ndcg_at(ranked, grades))
                    results[name]["recall"].append(recall_at(ranked, grades))
                    if demand.ref in factory:
                        results[name]["f_ndcg"].append(ndcg_at(ranked, grades))
                        results[name]["f_recall"].append(recall_at(ranked, grades))
                results[name]["abst"].append(abstained == (not answerable))
            if args.verbose:
                top = found["items"][0] if found["items"] else {}
                print(f"{demand.ref} {'无解' if not answerable else '有解'} abstained={found['abstained']} "
                      f"best={top.get('score')} cov={top.get('coverage')} shared={len(top.get('shared_terms', []))} "
                      f"engine nDCG={ndcg_at(engine, grades):.2f} bm25 nDCG={ndcg_at(baseline, grades):.2f} "
                      f"{demand.title}")
        n_all = len(results["engine"]["abst"])
        n_ans = len(results["engine"]["ndcg"])
        print(f"demands {n_all} ({n_ans} answerable, {n_all - n_ans} without an answer); "
              f"achievements {len(ach_ref)}")
        print(f"{'':8} {'nDCG@10':>8} {'recall@10':>10} {'abstention acc.':>16} {'abstains on no-answer':>22}")
        for name in ("engine", "bm25"):
            r = results[name]
            mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
            flags = [(a, na) for a, na in zip(r["abst"], [no_answer.get(d.ref, False) for d in
                     Demand.query.filter_by(source="eval").order_by(Demand.ref)])]
            on_none = [ok for ok, na in flags if na]
            print(f"{name:8} {mean(r['ndcg']):8.3f} {mean(r['recall']):10.3f} {mean(r['abst']):16.3f} "
                  f"{sum(on_none):>12}/{len(on_none)}")
        n_f = len(results["engine"]["f_ndcg"])
        print(f"factory-language answerable demands ({n_f}):")
        for name in ("engine", "bm25"):
            r = results[name]
            print(f"{name:8} {mean(r['f_ndcg']):8.3f} {mean(r['f_recall']):10.3f}")


if __name__ == "__main__":
    main()
