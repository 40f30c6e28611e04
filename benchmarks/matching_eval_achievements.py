"""The other direction: an achievement's list of demands (双向互推), on labelled sets whose judges listed
every achievement they would introduce to each demand (grade 2–3), so that an achievement's relevant demands
are known.

    .venv/bin/python benchmarks/matching_eval_achievements.py [--set DIR ...] [--verbose] [--json] [--fit]

For each achievement of a set (loaded as matching_eval.py loads it), the engine's list of demands
(matching.service.match_achievement, limit 50) against a plain BM25 search of the demands with every token
of the achievement's title, keywords and summary. An achievement is "answerable" when some demand of the set
grades it 2 or more. Reported: nDCG@10 and top-1 over answerable achievements, recall@50, and the
abstention's balanced accuracy (silent on achievements no demand wants, answered on the others).

--fit prints, for a tuning set, the ratio threshold (answer when ratio ≥ t) that maximises balanced accuracy,
taken as the middle of the best interval on a 0.05 grid (refused on a held-out folder, as is --verbose).
Only `benchmarks/matching_demo/` is judged exhaustively (its README); the other sets list one answer per
demand and some distractors, so an achievement's relevant demands there are incomplete.
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matching_eval as ev  # noqa: E402


def evaluate(folder: Path, verbose: bool = False) -> dict:
    from marketplace.achievements.models import Achievement
    from marketplace.demands.models import Demand
    from marketplace.matching import service as matching
    from marketplace.searching import sync
    from search import SearchQuery
    from search.analysis import query_terms
    from search.base import Visibility

    wanted: dict[str, dict] = {}  # achievement ref → {demand ref: grade}
    for row in ev.load_jsonl(folder / "qrels.jsonl"):
        wanted.setdefault(row["achievement"], {})[row["demand"]] = int(row["grade"])
    out = {name: {"ndcg": [], "top1": [], "recall50": [], "abst_none": [], "answer_some": []}
           for name in ("engine", "bm25")}
    rows = []
    with ev.loaded(folder):
        dem_ref = {d.id: d.ref for d in Demand.query.all()}
        for ach in Achievement.query.filter_by(source="eval").order_by(Achievement.ref):
            grades = wanted.get(ach.ref, {})
            answerable = any(g >= 2 for g in grades.values())
            found = matching.match_achievement(ach, 50)
            engine = [i["ref"] for i in found["items"]]
            text = " ".join([ach.title, (ach.keywords or "").replace("、", " "), ach.summary or ""])
            tokens = list(dict.fromkeys(query_terms(text)))
            query = SearchQuery(weighted_terms=tuple((t, 1.0) for t in tokens), min_match=1,
                                types=("demand",), visibility=Visibility(), per_page=50, facets=False)
            base = sync.backend().search(query)
            baseline = [dem_ref[int(i.split(":")[1])] for i in base.ids]
            for name, ranked, abstained in (("engine", engine, found["abstained"]),
                                            ("bm25", baseline, False)):
                r = out[name]
                if answerable:
                    r["ndcg"].append(ev.ndcg_at(ranked, grades))
                    r["top1"].append(ev.top1(ranked, grades))
                    r["recall50"].append(ev.recall_at(ranked, grades, 50))
                    r["answer_some"].append(0.0 if abstained else 1.0)
                else:
                    r["abst_none"].append(1.0 if abstained else 0.0)
            rows.append({"answerable": answerable, "abstained": bool(found["abstained"]),
                         "ratio": (found.get("signals") or {}).get("ratio", 0.0)})
            if verbose:
                print(f"{ach.ref} {'有需求' if answerable else '无需求'} abst={int(found['abstained'])} "
                      f"{found.get('signals')} eng={ev.ndcg_at(engine, grades):.2f} "
                      f"bm25={ev.ndcg_at(baseline, grades):.2f} "
                      f"top1={engine[0] if engine else '-'}({grades.get(engine[0], 0) if engine else '-'}) "
                      f"{ach.title[:28]}")
    figures = {"set": str(folder), "achievements": len(rows), "demands": len(dem_ref), "rows": rows,
               "answerable": sum(r["answerable"] for r in rows)}
    for name, r in out.items():
        figures[name] = {"ndcg10": ev.mean(r["ndcg"]), "top1": ev.mean(r["top1"]),
                         "recall50": ev.mean(r["recall50"]),
                         "abstain_balanced": (ev.mean(r["abst_none"]) + ev.mean(r["answer_some"])) / 2,
                         "silent_on_unwanted": f"{int(sum(r['abst_none']))}/{len(r['abst_none'])}",
                         "answers_wanted": f"{int(sum(r['answer_some']))}/{len(r['answer_some'])}"}
    return figures


def fit_threshold(rows: list) -> tuple[float, float]:
    """(threshold, balanced accuracy): answer when ratio ≥ t; the middle of the best run on a 0.05 grid."""
    ys = [1 if r["answerable"] else 0 for r in rows]
    grid = [x / 20 for x in range(20, 160)]
    scores = [ev._balanced([1 if r["ratio"] >= t else 0 for r in rows], ys) for t in grid]
    top = max(scores)
    run = []
    for t, s in zip(grid, scores):
        if s == top:
            run.append(t)
        elif run:
            break
    return run[len(run) // 2], top


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", help="a set's folder (repeatable); default "
                        "benchmarks/matching_demo/tune")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fit", action="store_true", help="the ratio threshold that fits the set best")
    args = parser.parse_args()
    sets = [Path(s) for s in (args.set or [str(ev.ROOT / "benchmarks" / "matching_demo" / "tune")])]
    if (args.verbose or args.fit) and any("heldout" in s.resolve().parts for s in sets):
        parser.error("--verbose and --fit are refused on a held-out set: aggregate figures only")
    if len(sets) > 1:  # one process per set (as matching_eval.py)
        import subprocess
        for folder in sets:
            flags = [f"--{o}" for o in ("verbose", "json", "fit") if getattr(args, o)]
            cmd = [sys.executable, __file__, "--set", str(folder)] + flags
            if subprocess.run(cmd).returncode:
                raise SystemExit(1)
        return
    f = evaluate(sets[0], args.verbose)
    if args.json:
        print(json.dumps({k: v for k, v in f.items() if k != "rows"}, ensure_ascii=False))
        return
    print(f"\n{f['set']}: {f['achievements']} achievements ({f['answerable']} wanted by some demand), "
          f"{f['demands']} demands")
    cols = ("ndcg10", "top1", "recall50", "abstain_balanced")
    print(f"{'':8}" + "".join(f"{c:>17}" for c in cols) + f"{'silent/answers':>18}")
    for name in ("engine", "bm25"):
        r = f[name]
        print(f"{name:8}" + "".join(f"{r[c]:17.3f}" for c in cols)
              + f"{r['silent_on_unwanted'] + ' ' + r['answers_wanted']:>18}")
    if args.fit:
        t, b = fit_threshold(f["rows"])
        print(f"ratio threshold that fits this set best: {t} (balanced accuracy {b:.3f})")


if __name__ == "__main__":
    main()
