"""The abstention model's fit in benchmarks/matching_eval.py (what chose scoring.DEMAND_WEIGHTS). No app."""
import importlib.util
import random
from pathlib import Path

import pytest

from marketplace.matching import scoring


@pytest.fixture(scope="module")
def ev():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "matching_eval.py"
    spec = importlib.util.spec_from_file_location("matching_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_for(rnd, n, answerable_share=0.7):
    """Demands whose answerability is decided by how far the best stands out and whether it names the fault."""
    rows = []
    for _ in range(n):
        answerable = rnd.random() < answerable_share
        ratio = rnd.uniform(2.5, 8.0) if answerable else rnd.uniform(1.0, 3.0)
        off = (not answerable) and rnd.random() < 0.6
        rows.append({"answerable": answerable, "ratio": ratio, "title_cover": rnd.random() * 0.6, "plain": True,
                     "off_problem": off, "detect": False, "maturity": 2, "text_d": 0.2, "coverage": 0.2})
    return rows


def test_the_fit_finds_the_signs_that_decide_and_separates_what_it_can(ev):
    rnd = random.Random(7)
    rows = rows_for(rnd, 400)
    ys = [1 if r["answerable"] else 0 for r in rows]
    w, b = ev._logistic([scoring.demand_features(r) for r in rows], ys)
    names = dict(zip(scoring.DEMAND_FEATURES, w))
    assert names["log_ratio"] + names["plain_log_ratio"] > 0 and names["off_problem"] < 0
    pred = [0 if scoring.decide_demand(r, w, b)[0] else 1 for r in rows]
    assert ev._balanced(pred, ys) > 0.9
    # a constant feature gets no weight (standardised with sd 1 and ridge-shrunk to 0)
    assert abs(names["maturity"]) < 1e-9 and abs(names["detect"]) < 1e-9


def test_leave_one_set_out_judges_each_set_by_a_fit_on_the_others(ev):
    rnd = random.Random(11)
    results = [{"set": f"s{k}", "cv_rows": rows_for(rnd, 60)} for k in range(3)]
    out = ev.leave_one_set_out(results)
    assert [s["set"] for s in out["sets"]] == ["s0", "s1", "s2"]
    assert all(0.5 <= s["model"] <= 1.0 and 0.0 <= s["rule"] <= 1.0 for s in out["sets"])
    assert out["model"] > 0.85 and len(out["fit"]["weights"]) == len(scoring.DEMAND_FEATURES)
    # the pooled figure is over the predictions of the left-out sets, not an average of the sets' figures
    assert out["fit"]["in_sample"] >= out["model"] - 0.05
