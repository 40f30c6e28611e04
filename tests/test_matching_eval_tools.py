"""The evaluation scripts' pure parts (the scripts themselves load a set into their own application)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import matching_eval as ev  # noqa: E402
import matching_eval_achievements as ea  # noqa: E402


def test_the_fitted_ratio_bar_is_the_middle_of_the_best_interval():
    rows = ([{"answerable": False, "ratio": r} for r in (1.0, 1.4, 2.0)]
            + [{"answerable": True, "ratio": r} for r in (3.0, 3.5, 6.0)])
    t, b = ea.fit_threshold(rows)
    assert b == 1.0
    assert 2.0 < t <= 3.0 and abs(t - 2.5) <= 0.05  # any bar in (2.0, 3.0] separates; the middle is taken
    # an achievement wanted by a demand but standing out less than an unwanted one costs accuracy either way
    rows.append({"answerable": True, "ratio": 1.2})
    t, b = ea.fit_threshold(rows)
    assert b < 1.0 and ev._balanced([1 if r["ratio"] >= t else 0 for r in rows],
                                    [int(r["answerable"]) for r in rows]) == b


def test_ranking_figures():
    grades = {"a": 3, "b": 1, "c": 2}
    assert ev.ndcg_at(["a", "c", "b"], grades) == 1.0
    assert ev.ndcg_at(["b", "c", "a"], grades) < ev.ndcg_at(["a", "b", "c"], grades) < 1.0
    assert ev.top1(["c"], grades) == 1.0 and ev.top1(["b"], grades) == 0.0 and ev.top1([], grades) == 0.0
    assert ev.recall_at(["x", "c"], grades, 2) == 0.5
