"""The evaluation sets are consistent: every judged pair names records of its folder, a demand marked
without an answer has no pair graded 2 or more (the evaluation counts grade ≥ 2 as relevant), and every
demand marked answerable has one. Reads the files only (no figures)."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "benchmarks"
FOLDERS = sorted(p.parent for p in ROOT.glob("matching*/**/qrels.jsonl"))


def _rows(path: Path) -> list:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_sets_are_found():
    names = {str(f.relative_to(ROOT)) for f in FOLDERS}
    assert {"matching", "matching_demo/tune", "matching_demo/heldout", "matching_fifth/heldout"} <= names


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(ROOT)))
def test_a_sets_labels_agree_with_its_judged_pairs(folder):
    demands = {d["ref"]: d for d in _rows(folder / "demands.jsonl")}
    achievements = {a["ref"] for a in _rows(folder / "achievements.jsonl")}
    best: dict = {}
    for q in _rows(folder / "qrels.jsonl"):
        assert q["demand"] in demands, q
        assert q["achievement"] in achievements, q
        assert q["grade"] in (0, 1, 2, 3), q
        best[q["demand"]] = max(best.get(q["demand"], 0), q["grade"])
    for ref, d in demands.items():
        if "no_answer" in d:
            assert bool(d["no_answer"]) == (best.get(ref, 0) < 2), ref
