"""Schemathesis over the statistics operations only (the whole document is fuzzed by test_openapi_fuzz.py):
no 5xx, documented statuses, answers matching their schemas, with contracts and targets in the database."""

from collections import Counter

import schemathesis
from sqlalchemy import insert

from marketplace.demo.stats import contracts, load_targets
from marketplace.extensions import db
from marketplace.stats.models import ContractFact, StatTarget

from .test_openapi_fuzz import _fuzz, depth, world  # noqa: F401  (the fixture)


def test_stats_operations_answer_as_documented(app, world):  # noqa: F811
    db.session.execute(insert(ContractFact), contracts(300, range(2024, 2027), seed=5))
    load_targets()
    db.session.commit()
    ids = {**world["ids"], "target_id": [t.id for t in StatTarget.query.all()]}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, statuses, operations = {}, Counter(), 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/stats"):
            continue
        operations += 1
        _fuzz(operation, world["tokens"], ids, failures, statuses, depth(app))
    assert operations == 7
    assert {label for (label, kind) in statuses if kind == 2} >= {
        "GET /api/v1/stats/contracts",
        "GET /api/v1/stats/summary",
        "GET /api/v1/stats/targets",
    }
    assert not failures, "\n\n".join(failures.values())
