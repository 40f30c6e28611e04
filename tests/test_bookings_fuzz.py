"""Schemathesis over the booking operations of the OpenAPI document, with real resources, services and bookings
in every state as path ids: no 5xx, only documented statuses, answers that match the documented schemas."""
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis

from marketplace.extensions import db

from . import factories_bookings as fb
from .test_openapi_fuzz import _fuzz, _operations, depth


@pytest.fixture
def booking_world(ctx, f):
    owner, res = fb.owner_and_resource()
    s = fb.service(owner, res)
    icp = fb.service(owner, res, name="ICP-MS 元素分析", kind="samples", unit_price="180", policy="open")
    company, admin = fb.customer(), f.user("admin")
    monday = fb.monday_ahead()
    rows = [fb.booking(company, s, fb.at(monday, 9)), fb.booking(company, s, fb.at(monday, 10), status="approved"),
            fb.booking(company, icp, fb.at(monday, 14)), fb.booking(company, s, fb.at(monday, 11), status="rejected")]
    used = fb.booking(company, s, fb.at(monday, 15), status="approved")
    used.starts_at -= timedelta(days=30)
    db.session.commit()
    from marketplace.bookings import services as svc
    svc.record_usage(owner, used, {"used_hours": "1"})
    svc.add_blackout(owner, s, {"day": (monday + timedelta(days=3)).isoformat()})
    db.session.commit()
    # the owner plays "institution", the customer "company"
    tokens = {"institution": f.token(owner), "company": f.token(company), "admin": f.token(admin)}
    ids = {"resource_id": [res.id], "service_id": [s.id, icp.id], "booking_id": [b.id for b in rows + [used]],
           "blackout_id": [b.id for b in s.blackouts]}
    return tokens, ids


def test_booking_operations_answer_as_documented(app, booking_world):
    tokens, ids = booking_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, statuses, ops = {}, Counter(), 0
    for operation in _operations(schema):
        if not any(k in operation.path for k in ("book", "slots")):
            continue
        ops += 1
        _fuzz(operation, tokens, ids, failures, statuses, depth(app))
    assert ops >= 18
    assert not failures, "\n\n".join(failures.values())
    reached = {label for (label, kind), count in statuses.items() if kind == 2}
    assert len(reached) >= 10, sorted(reached)
