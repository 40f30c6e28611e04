"""Events built through the services, as an organiser would."""
from datetime import timedelta

from marketplace.events import services
from marketplace.extensions import db

from . import factories


def organiser(city="赣州", level="city", **kw):
    return factories.user("admin", admin_level=level, city=city, **kw)


def when(days=0, hours=0):
    """A local (UTC+8) time relative to now, as the form or the API would send it."""
    t = services.now_local() + timedelta(days=days, hours=hours)
    return t.strftime("%Y-%m-%d %H:%M")


def body(**over):
    data = {"title": "稀土新材料科技成果路演", "kind": "成果路演", "summary": "稀土永磁与发光材料成果集中路演。",
            "starts_at": when(10), "ends_at": when(10, 4), "registration_deadline": when(9), "city": "赣州",
            "venue": "赣州市科技馆报告厅", "capacity": 2, "industries": ["新材料"], "audience_cities": ["赣州"]}
    data.update(over)
    return data


def event(admin=None, status="published", achievements=(), brokers=(), **over):
    admin = admin or organiser()
    data = body(achievement_ids=[a.id for a in achievements], broker_ids=[b.id for b in brokers], **over)
    e = services.create(admin, data)
    if status != "draft":
        services.fire(admin, e, "publish")
    db.session.commit()
    return e
