"""The events pages: every page renders for the people it is for (and refuses the others), forms post through the
same services, and the workbench shows each role's to-dos."""
import re

from marketplace.events import services
from marketplace.events.models import Event, Registration
from marketplace.extensions import db

from . import factories_events as fe
from .conftest import login


def _csrf(html):
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_public_list_and_detail_pages(client, f):
    inst = f.user("institution")
    ach = f.record("achievements", inst, status="published")
    e = fe.event(achievements=[ach], agenda=[{"starts_at": fe.when(10), "ends_at": fe.when(10, 1),
                                              "title": "开幕致辞", "speaker": "赣州市科技局"}])
    fe.event(status="draft", title="本中心草稿活动")
    html = client.get("/events").get_data(as_text=True)
    assert e.title in html and "本中心草稿活动" not in html
    assert e.title not in client.get("/events?when=past").get_data(as_text=True)
    assert e.title in client.get("/events?kind=成果路演&city=赣州").get_data(as_text=True)
    assert e.title not in client.get("/events?kind=对接会").get_data(as_text=True)
    page = client.get(f"/events/{e.id}").get_data(as_text=True)
    assert ach.title in page and "登录后报名" in page and "<script>" not in page.split("</header>")[1].split("<footer")[0]
    assert 'style="' not in page
    agenda = client.get(f"/events/{e.id}/agenda").get_data(as_text=True)
    assert "开幕致辞" in agenda and "赣州市科技局" in agenda


def test_register_cancel_with_confirmation_and_flash(client, f):
    e = fe.event(capacity=1)
    u = f.user("company")
    login(client, u)
    page = client.get(f"/events/{e.id}").get_data(as_text=True)
    r = client.post(f"/events/{e.id}/register", data={"note": "两人", "csrf_token": _csrf(page)},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "报名成功" in html and "签到二维码" in html
    reg = Registration.query.one()
    assert reg.code in html and f"/events/registrations/{reg.id}/qr.svg" in html
    assert 'data-confirm="确定要取消报名吗' in html  # the browser asks first
    r = client.post(f"/events/registrations/{reg.id}/cancel", data={"csrf_token": _csrf(html)},
                    follow_redirects=True)
    assert "已取消报名" in r.get_data(as_text=True) and db.session.get(Registration, reg.id).status == "cancelled"
    mine = client.get("/events/mine").get_data(as_text=True)
    assert e.title in mine and "已取消" in mine


def test_organiser_pages_create_edit_publish_checkin_export(client, f):
    from io import BytesIO

    from openpyxl import load_workbook
    admin = fe.organiser()
    broker = f.user("broker")
    inst = f.user("institution")
    ach = f.record("achievements", inst, status="published")
    login(client, admin)
    form_page = client.get("/events/new").get_data(as_text=True)
    assert ach.title in form_page and broker.name in form_page
    data = {"csrf_token": _csrf(form_page), "title": "景德镇陶瓷产业对接会", "kind": "对接会", "city": "景德镇",
            "venue": "陶溪川会展中心", "capacity": "50", "starts_at": fe.when(5).replace(" ", "T"),
            "ends_at": fe.when(5, 3).replace(" ", "T"), "registration_deadline": fe.when(4).replace(" ", "T"),
            "industries": ["新材料"], "achievement_ids": [str(ach.id)], "broker_ids": [str(broker.id)],
            "agenda": "09:00 | 09:30 | 开幕致辞 | 景德镇市科技局\n09:30 | 11:00 | 陶瓷新材料成果路演 |"}
    r = client.post("/events/new", data=data, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "已保存活动草稿" in html, html[:3000]
    e = Event.query.filter_by(title="景德镇陶瓷产业对接会").one()
    assert len(e.agenda) == 2 and e.agenda[0].speaker == "景德镇市科技局" and e.brokers == [broker]
    bad = dict(data, agenda="开幕致辞")
    r = client.post(f"/events/{e.id}/edit", data=bad, follow_redirects=True)
    assert "日程第1行" in r.get_data(as_text=True)
    r = client.post(f"/events/{e.id}/act/publish", data={"csrf_token": _csrf(html)}, follow_redirects=True)
    assert "已发布活动" in r.get_data(as_text=True) and e.status == "published"
    company = f.user("company", name="景德镇测试陶瓷有限公司")
    reg = services.register(company, e)
    db.session.commit()
    lst = client.get(f"/events/{e.id}/registrations").get_data(as_text=True)
    assert "景德镇测试陶瓷有限公司" in lst and reg.code in lst
    r = client.post(f"/events/{e.id}/checkin", data={"csrf_token": _csrf(lst), "code": reg.code.lower()},
                    follow_redirects=True)
    assert "签到在活动当天开放" in r.get_data(as_text=True)  # five days early
    services.update(admin, e, {"starts_at": fe.when(0, -1), "ends_at": fe.when(0, 3),
                               "registration_deadline": fe.when(0, 2)})
    db.session.commit()
    r = client.post(f"/events/{e.id}/checkin", data={"csrf_token": _csrf(lst), "code": reg.code.lower()},
                    follow_redirects=True)
    assert "签到成功" in r.get_data(as_text=True) and db.session.get(Registration, reg.id).checked_in_at
    assert reg.code in client.get(f"/events/{e.id}/checkin?code={reg.code}").get_data(as_text=True)
    x = client.get(f"/events/{e.id}/registrations.xlsx")
    ws = load_workbook(BytesIO(x.data)).active
    assert ws["C2"].value == "景德镇测试陶瓷有限公司" and ws["G2"].value
    assert "景德镇陶瓷产业对接会" in client.get("/events/manage").get_data(as_text=True)


def test_export_does_not_run_formulas(client, f):
    from io import BytesIO

    from openpyxl import load_workbook
    admin = fe.organiser()
    e = fe.event(admin, capacity=5)
    services.register(f.user("company"), e, {"note": "=HYPERLINK(\"http://evil\")"})
    db.session.commit()
    login(client, admin)
    ws = load_workbook(BytesIO(client.get(f"/events/{e.id}/registrations.xlsx").data)).active
    assert ws["H2"].data_type == "s" and ws["H2"].value.startswith("=")


def test_workbench_sections_per_role(ctx, f):
    from marketplace.core import workbench
    inst = f.user("institution")
    ach = f.record("achievements", inst, status="published")
    admin, broker, company = fe.organiser(), f.user("broker"), f.user("company")
    e = fe.event(admin, achievements=[ach], brokers=[broker], starts_at=fe.when(0, -1), ends_at=fe.when(0, 3),
                 registration_deadline=fe.when(0, 2))
    services.register(company, e)
    services.mark_interest(company, e, {"achievement_id": ach.id})
    db.session.commit()
    with ctx.test_request_context():
        def todos(u):
            return {t.label: t.count for s in workbench.collect(u) if s.title == "路演与对接会" for t in s.todos}
        assert todos(company) == {"即将参加的活动": 1}
        assert todos(admin) == {"待签到的报名（今明两天的活动）": 1}
        assert todos(broker) == {"活动对接新线索": 1}
        assert todos(f.user("broker")) == {}
