"""The events demo (marketplace/demo/events.py): five events through the services, the 赣州 roadshow's outcomes
counted from the data, and every history entry it writes readable in Chinese. The demo load's users and
achievements it relies on are made here (the whole `flask demo load` is tested in test_demo.py and is slow)."""
import re
from decimal import Decimal

from marketplace.core.models import AuditLog
from marketplace.core.workflow import describe
from marketplace.events import services
from marketplace.events.models import Event, Registration

REFS = ["JX-ACH-0038", "JX-ACH-0007", "JX-ACH-0030", "JX-ACH-0185", "JX-ACH-0032", "JX-ACH-0003", "JX-ACH-0064",
        "JX-ACH-0010", "JX-ACH-0053", "JX-ACH-0120"]


def _demo_world(f):
    f.user("admin", email="admin@demo.jx", name="江西省技术转移中心", admin_level="province")
    f.user("admin", email="yingtan-admin@demo.jx", name="鹰潭市科技成果转化中心", admin_level="city", city="鹰潭")
    jxust = f.user("institution", email="jxust@demo.jx", name="江西理工大学", city="赣州")
    f.user("institution", email="ncu@demo.jx", name="南昌大学")
    f.user("company", email="company@demo.jx", name="鹰潭市华鑫铜业有限公司", city="鹰潭")
    f.user("broker", email="broker@demo.jx", name="江西省科晟技术转移服务有限公司")
    for i, ref in enumerate(REFS):
        f.record("achievements", jxust, status="published", ref=ref, title=f"演示成果{i + 1}：稀土永磁晶界扩散技术",
                 patent_no=f"ZL20191000000{i}.{i}")


def test_demo_events_load_with_outcomes(app, client, f):
    _demo_world(f)
    from marketplace.demo.events import load
    line = load()
    assert "5 场" in line and "1 份" in line, line
    events = Event.query.order_by(Event.id).all()
    assert [e.status for e in events] == ["closed", "published", "published", "published", "published"]
    assert {e.kind for e in events} == {"成果路演", "对接会", "展览展示", "产融对接"}
    gz = events[0]
    o = services.outcomes(gz)
    assert (o["registered"], o["attendees"], o["interests"], o["introductions"], o["contracts"]) == (3, 2, 3, 1, 1)
    assert o["contract_value"] == Decimal("1860000.00")
    assert Registration.query.filter_by(event_id=events[4].id, status="waitlisted").count() == 1
    for e in AuditLog.query.filter(AuditLog.entity_type.like("event%")):
        text = " ".join(v for v in describe(e).values() if v)
        assert not re.search(r"[a-z]{3,}", text), (e.action, text)
    page = client.get(f"/events/{gz.id}").get_data(as_text=True)
    assert "186万元" in page and "赣州" in page
    assert "2026稀土新材料" in client.get("/events?when=past").get_data(as_text=True)
