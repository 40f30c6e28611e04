"""Matching quality on labelled sets (engine vs. a plain BM25 baseline).

    .venv/bin/python benchmarks/matching_eval.py [--set DIR ...] [--verbose] [--json]

Each set (default benchmarks/matching/) holds achievements.jsonl, demands.jsonl (with the label fields
`no_answer` and `factory_language`, stripped before import) and qrels.jsonl (grade 0–3). For each set the
script loads the records into a temporary SQLite database through the normal import path, indexes them
(Whoosh), and for every demand ranks the achievements with
  - the engine: marketplace.matching.service.match_demand (candidates, re-ranking, abstention), and
  - the baseline: BM25 over every token of the demand's text (jieba, OR, no re-ranking, never abstains).

Reported per set (grade ≥ 2 counts as relevant; ranking figures over answerable demands):
  nDCG@10 on all demands, on demands in technical words, on demands in a factory's words;
  top-1 correct (the first result has grade ≥ 2) on factory-language demands;
  recall@50 of the candidate list (the engine's 50 first candidates; BM25's 50 first hits);
  abstention balanced accuracy = (share of no-answer demands abstained on + share of answerable demands
  answered) / 2 — BM25 never abstains, so it scores 0.5.

--verbose prints one line per demand: refused on a folder named `heldout` (figures only, never per-demand
output, for a held-out set).
"""
import argparse
import itertools
import json
import math
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
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


def top1(ranked: list[str], grades: dict) -> float:
    return 1.0 if ranked and grades.get(ranked[0], 0) >= 2 else 0.0


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


@contextmanager
def loaded(folder: Path):
    """A fresh application, SQLite database and Whoosh index holding one set's records (imported through the
    normal import path, label fields stripped); the block runs inside its application context."""
    tmp = tempfile.mkdtemp(prefix="match-eval-")
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp}/eval.db", SEARCH_INDEX_DIR=f"{tmp}/index",
                      SECRET_KEY="eval", SEARCH_BACKEND="whoosh")
    import logging

    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.imports.readers import read_file
    from marketplace.imports.service import import_rows
    from marketplace.searching import sync

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app()
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            for library, name in (("achievements", "achievements.jsonl"), ("demands", "demands.jsonl")):
                path = folder / name
                headers, rows = read_file(path.name, path.read_bytes())
                keep = [i for i, h in enumerate(headers) if h not in ("no_answer", "factory_language")]
                rows = [(n, [values[i] for i in keep if i < len(values)]) for n, values in rows]
                headers = [headers[i] for i in keep]
                report = import_rows(library, headers, rows, source="eval", publish=True)
                if report.rejected:
                    print(f"{name}: {report.summary()}", report.errors[:3], file=sys.stderr)
            sync.apply_pending()
            _embed_all()
            yield app
    finally:  # the set's database and index: nothing left in /tmp
        shutil.rmtree(tmp, ignore_errors=True)


VECTOR_CACHE = Path(os.environ.get("MATCH_EVAL_VECTOR_CACHE") or ROOT / ".cache" / "match-vectors")


def _embed_all() -> None:
    """Every record's sentence vector, as the site's worker would store it (semantic.embed_missing), with the
    vectors of texts embedded before read from a cache on disk (VECTOR_CACHE: one .npy per model, kind and text
    digest; the model is deterministic, so a cached vector is the vector)."""
    import numpy as np

    from marketplace.matching import semantic
    if not semantic.enabled():
        return
    embed = semantic.embed

    def cached(kind, texts):
        VECTOR_CACHE.mkdir(parents=True, exist_ok=True)
        paths = [VECTOR_CACHE / f"{semantic.digest(kind, t)}.npy" for t in texts]
        todo = [i for i, p in enumerate(paths) if not p.exists()]
        if todo:
            for i, vec in zip(todo, embed(kind, [texts[i] for i in todo])):
                np.save(paths[i], vec)
        return np.stack([np.load(p) for p in paths]) if paths else embed(kind, texts)

    semantic.embed = cached
    try:
        semantic.embed_missing(requeue=False)
    finally:
        semantic.embed = embed


def evaluate(folder: Path, verbose: bool = False) -> dict:
    """Figures of one set, in a fresh application, database and index."""
    from marketplace.achievements.models import Achievement
    from marketplace.demands.models import Demand
    from marketplace.matching import service as matching
    from marketplace.searching import sync
    from search import SearchQuery
    from search.analysis import query_terms
    from search.base import Visibility

    qrels: dict[str, dict] = {}
    for row in load_jsonl(folder / "qrels.jsonl"):
        qrels.setdefault(row["demand"], {})[row["achievement"]] = int(row["grade"])
    labels = {d["ref"]: d for d in load_jsonl(folder / "demands.jsonl")}
    held_out = "heldout" in folder.resolve().parts
    cv_rows: list = []
    out = {name: {"ndcg": [], "ndcg_tech": [], "ndcg_factory": [], "top1_factory": [], "recall50": [],
                  "abst_none": [], "answer_some": []} for name in ("engine", "bm25")}
    with loaded(folder):
        ach_ref = {a.id: a.ref for a in Achievement.query.all()}
        for demand in Demand.query.filter_by(source="eval").order_by(Demand.ref):
            grades = qrels.get(demand.ref, {})
            label = labels.get(demand.ref, {})
            answerable, factory = not label.get("no_answer"), bool(label.get("factory_language"))
            found = matching.match_demand(demand, 50)
            engine = [i["ref"] for i in found["items"]]
            tokens = list(dict.fromkeys(query_terms(" ".join([demand.title, demand.indicators or "",
                                                               demand.description]))))
            base = sync.backend().search(SearchQuery(weighted_terms=tuple((t, 1.0) for t in tokens), min_match=1,
                                                     types=("achievement",), visibility=Visibility(),
                                                     per_page=50, facets=False))
            baseline = [ach_ref[int(i.split(":")[1])] for i in base.ids]
            for name, ranked, abstained in (("engine", engine, found["abstained"]), ("bm25", baseline, False)):
                r = out[name]
                if answerable:
                    r["ndcg"].append(ndcg_at(ranked, grades))
                    r["ndcg_factory" if factory else "ndcg_tech"].append(ndcg_at(ranked, grades))
                    if factory:
                        r["top1_factory"].append(top1(ranked, grades))
                    r["recall50"].append(recall_at(ranked, grades, 50))
                    r["answer_some"].append(0.0 if abstained else 1.0)
                else:
                    r["abst_none"].append(1.0 if abstained else 0.0)
            if not held_out:  # the decision signals, for --cv (never kept for a held-out set)
                sig = found.get("signals") or {}
                cv_rows.append({"answerable": answerable, "abstained": bool(found["abstained"]),
                                **{k: sig.get(k, 0.0) for k in CV_SIGNALS}})
            if verbose:
                top = found["items"][0] if found["items"] else {}
                print(f"{demand.ref} {'F' if factory else 'T'} {'有解' if answerable else '无解'} "
                      f"abst={int(found['abstained'])} best={top.get('score')} {found.get('signals')} "
                      f"eng={ndcg_at(engine, grades):.2f} bm25={ndcg_at(baseline, grades):.2f} "
                      f"top1={engine[0] if engine else '-'}({grades.get(engine[0], 0) if engine else '-'}) "
                      f"{demand.title[:28]}")
        n_dem = Demand.query.filter_by(source="eval").count()
    figures = {"set": str(folder), "demands": n_dem, "answerable": len(out["engine"]["ndcg"]),
               "factory": len(out["engine"]["ndcg_factory"]), "achievements": len(ach_ref),
               "cv_rows": cv_rows, "lists": out}
    figures.update(summarise(out))
    return figures


def summarise(out: dict) -> dict:
    """The figures of each ranker from its per-demand values (one set's, or several sets' pooled)."""
    figures = {}
    for name, r in out.items():
        figures[name] = {
            "ndcg10_all": mean(r["ndcg"]), "ndcg10_tech": mean(r["ndcg_tech"]),
            "ndcg10_factory": mean(r["ndcg_factory"]), "top1_factory": mean(r["top1_factory"]),
            "recall50": mean(r["recall50"]),
            "abstain_balanced": (mean(r["abst_none"]) + mean(r["answer_some"])) / 2 if r["abst_none"] else
            float("nan"),
            "abstains_on_no_answer": f"{int(sum(r['abst_none']))}/{len(r['abst_none'])}",
            "answers_answerable": f"{int(sum(r['answer_some']))}/{len(r['answer_some'])}"}
    return figures


CV_SIGNALS = ("ratio", "margin", "text_d", "best", "coverage", "title_cover", "plain")


def _balanced(pred_answer: list, answerable: list) -> float:
    pos = [p for p, a in zip(pred_answer, answerable) if a]
    neg = [p for p, a in zip(pred_answer, answerable) if not a]
    return (sum(pos) / len(pos) + sum(1 - p for p in neg) / len(neg)) / 2


def _best_threshold(xs: list, ys: list) -> float:
    """The threshold (answer when x ≥ t) that maximises balanced accuracy on (xs, ys)."""
    values = sorted(set(xs))
    cands = [values[0] - 1e-9] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    return max(cands, key=lambda t: (_balanced([x >= t for x in xs], ys), -t))


def _logistic_1d(xs: list, ys: list, l2: float = 1.0) -> tuple[float, float]:
    """Logistic regression on one feature, balanced class weights, Newton steps: (a, b) in p = σ(a·x + b)."""
    n_pos = sum(ys) or 1
    n_neg = (len(ys) - sum(ys)) or 1
    mu = sum(xs) / len(xs)
    sd = (sum((x - mu) ** 2 for x in xs) / len(xs)) ** 0.5 or 1.0
    zs = [(x - mu) / sd for x in xs]
    cw = [0.5 * len(ys) / n_pos if y else 0.5 * len(ys) / n_neg for y in ys]
    a = b = 0.0
    for _ in range(50):
        ps = [1 / (1 + math.exp(-(a * z + b))) for z in zs]
        ga = sum(c * (p - y) * z for c, p, y, z in zip(cw, ps, ys, zs)) + l2 * a
        gb = sum(c * (p - y) for c, p, y in zip(cw, ps, ys))
        haa = sum(c * p * (1 - p) * z * z for c, p, z in zip(cw, ps, zs)) + l2
        hab = sum(c * p * (1 - p) * z for c, p, z in zip(cw, ps, zs))
        hbb = sum(c * p * (1 - p) for c, p in zip(cw, ps)) or 1e-9
        det = haa * hbb - hab * hab
        a, b = a - (hbb * ga - hab * gb) / det, b - (haa * gb - hab * ga) / det
    return a / sd, b - a * mu / sd


def cross_validate(rows: list) -> dict:
    """Leave-one-demand-out balanced accuracy of the candidate decision rules, on pooled tuning demands."""
    ys = [1 if r["answerable"] else 0 for r in rows]
    out = {"demands": len(rows), "without_answer": len(rows) - sum(ys),
           "engine_as_is": _balanced([0 if r["abstained"] else 1 for r in rows], ys)}
    for feature in CV_SIGNALS:
        xs = [float(r[feature]) for r in rows]
        thr, lr = [], []
        for i in range(len(rows)):
            tx, ty = xs[:i] + xs[i + 1:], ys[:i] + ys[i + 1:]
            thr.append(1 if xs[i] >= _best_threshold(tx, ty) else 0)
            a, b = _logistic_1d(tx, ty)
            lr.append(1 if a * xs[i] + b >= 0 else 0)
        a, b = _logistic_1d(xs, ys)
        out[feature] = {"loo_threshold": round(_balanced(thr, ys), 3), "loo_logistic": round(_balanced(lr, ys), 3),
                        "logistic_all": {"a": round(a, 3), "b": round(b, 3), "threshold": round(-b / a, 3) if a else None}}
    out["third_round_rule"] = _cv_title_rule(rows, ys)
    return out


def _cv_title_rule(rows: list, ys: list) -> dict:
    """The demand rule of scoring.decide_abstention (title cover, factory's words or not, ratio), with its one
    fitted value (RATIO_PLAIN) refitted on the other demands for each held-out demand."""
    from marketplace.matching import scoring
    if not all("title_cover" in r for r in rows):
        return {}
    grid = [x / 20 for x in range(20, 80)]

    def pred(r, plain_ratio):
        silent, _ = scoring.decide_abstention(r["ratio"], r["title_cover"], r["plain"], plain_bar=plain_ratio)
        return 0 if silent else 1

    def fit(sub, sub_y):
        return max(grid, key=lambda t: (_balanced([pred(r, t) for r in sub], sub_y), -t))
    loo = [pred(r, fit(rows[:i] + rows[i + 1:], ys[:i] + ys[i + 1:])) for i, r in enumerate(rows)]
    return {"loo": round(_balanced(loo, ys), 3), "ratio_plain_all": fit(rows, ys)}


def show(f: dict) -> None:
    print(f"\n{f['set']}: {f['demands']} demands ({f['answerable']} answerable, {f['factory']} of them in factory "
          f"language, {f['demands'] - f['answerable']} without an answer); {f['achievements']} achievements")
    cols = ("ndcg10_all", "ndcg10_tech", "ndcg10_factory", "top1_factory", "recall50", "abstain_balanced")
    print(f"{'':8}" + "".join(f"{c:>17}" for c in cols) + f"{'abstains/answers':>18}")
    for name in ("engine", "bm25"):
        r = f[name]
        print(f"{name:8}" + "".join(f"{r[c]:17.3f}" for c in cols)
              + f"{r['abstains_on_no_answer'] + ' ' + r['answers_answerable']:>18}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", help="a set's folder (repeatable); default benchmarks/matching")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pool", action="store_true",
                        help="also the figures of all the sets' demands pooled")
    parser.add_argument("--cv", action="store_true", help="leave-one-demand-out CV of the abstention rules, on the "
                        "sets given, pooled (tuning sets only)")
    parser.add_argument("--semantic", choices=("on", "off"), help="the semantic term (MATCH_SEMANTIC; default: on "
                        "when the model is installed)")
    parser.add_argument("--semantic-weight", type=float, help="scoring.SEMANTIC_WEIGHT for this run (tuning sets)")
    args = parser.parse_args()
    if args.semantic:
        os.environ["MATCH_SEMANTIC"] = "1" if args.semantic == "on" else "0"
    if args.semantic_weight is not None:
        from marketplace.matching import scoring
        scoring.SEMANTIC_WEIGHT = args.semantic_weight
    sets = [Path(s) for s in (args.set or [str(ROOT / "benchmarks" / "matching")])]
    if args.verbose and any("heldout" in s.resolve().parts for s in sets):
        parser.error("--verbose is refused on a held-out set: aggregate figures only")
    if args.cv and any("heldout" in s.resolve().parts for s in sets):
        parser.error("--cv is refused on a held-out set: tune only on the tuning sets")
    results = []
    for folder in sets:
        # One process per set keeps the application and index of one set from leaking into the next.
        if len(sets) > 1:
            import subprocess
            cmd = [sys.executable, __file__, "--set", str(folder), "--json"] + (["--verbose"] if args.verbose else []) \
                + (["--semantic-weight", str(args.semantic_weight)] if args.semantic_weight is not None else [])
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                sys.stderr.write(proc.stderr)
                raise SystemExit(proc.returncode)
            lines = proc.stdout.strip().splitlines()
            if args.verbose:
                print("\n".join(lines[:-1]))
            results.append(json.loads(lines[-1]))
        else:
            results.append(evaluate(folder, args.verbose))
    if args.json and len(sets) == 1:
        print(json.dumps(results[0], ensure_ascii=False))
        return
    for f in results:
        show(f)
    if args.pool and len(results) > 1:
        first = results[0]["lists"]
        lists = {name: {k: [x for f in results for x in f["lists"][name][k]] for k in first[name]}
                 for name in first}
        counts = {k: sum(f[k] for f in results) for k in ("demands", "answerable", "factory", "achievements")}
        show({"set": f"pooled over {len(results)} sets", **counts, **summarise(lists)})
    if args.cv:
        cv = cross_validate([r for f in results for r in f["cv_rows"]])
        print(f"\nabstention, leave-one-demand-out over {cv['demands']} demands ({cv['without_answer']} without an "
              f"answer); the engine as it is (in-sample): {cv['engine_as_is']:.3f}")
        for feature in CV_SIGNALS:
            c = cv[feature]
            print(f"  {feature:9} threshold {c['loo_threshold']:.3f}  logistic {c['loo_logistic']:.3f}  "
                  f"fit on all: σ({c['logistic_all']['a']}·x {c['logistic_all']['b']:+}) → answer from "
                  f"{c['logistic_all']['threshold']}")
        t = cv.get("third_round_rule") or {}
        if t:
            print(f"  the engine's demand rule (ratio ≥ RATIO_PLAIN in a factory's words, ≥ RATIO_COVERED for a "
                  f"technical title held, ≥ 4 otherwise): leave-one-out {t['loo']:.3f}; RATIO_PLAIN fitted on all: "
                  f"{t['ratio_plain_all']}")
    if args.json:
        print(json.dumps([{k: v for k, v in f.items() if k not in ("cv_rows", "lists")} for f in results],
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
