"""The workflow primitive changes a state only if the database still has the state the request read, so of
two requests that raced (two reviewers approving and rejecting, a double click) the second gets 409."""
import pytest
from sqlalchemy import update

from marketplace.core import listings
from marketplace.core.errors import Conflict
from marketplace.extensions import db

from . import factories


def test_a_transition_on_a_state_changed_meanwhile_is_refused_and_writes_nothing(f):
    owner = factories.user("institution")
    ach = factories.record("achievements", owner, status="submitted")
    admin = factories.reviewer()
    lib = listings.LIBRARIES["achievements"]
    loaded = db.session.get(lib.model, ach.id)
    assert loaded.status == "submitted"
    # Another request rejected it after this one read it (a separate connection, committed).
    with db.engine.begin() as conn:
        conn.execute(update(lib.model.__table__).where(lib.model.__table__.c.id == ach.id)
                     .values(status="rejected"))
    with pytest.raises(Conflict, match="状态刚刚被其他操作改变"):
        listings.transition(admin, lib, loaded, "approve")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(lib.model, ach.id).status == "rejected"


def test_the_usual_path_still_moves_the_state(f):
    owner = factories.user("institution")
    ach = factories.record("achievements", owner, status="submitted")
    lib = listings.LIBRARIES["achievements"]
    listings.transition(factories.reviewer(), lib, ach, "approve")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(lib.model, ach.id).status == "published"
