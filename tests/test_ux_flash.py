"""Page actions answer with a flash message on success and ask first (data-confirm) when they cannot be undone:
先用后转 (确认/不列入/质询/申请/接受/不接受/终止/转为合同), broker filings, events, challenges."""
import re
from datetime import date

from marketplace.extensions import db
from marketplace.usefirst import services as uf
from marketplace.usefirst.models import Trial, TrialApplication, UseFirstItem

from .conftest import login


def flashes(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", "", m) for m in
            re.findall(r'<div class="toast show flash flash-success".*?<div class="toast-body[^"]*">(.*?)</div>', html, re.S)]


def form_tag(html: str, marker: str) -> str:
    return re.search(rf'<form[^>]*{marker}[^>]*>', html).group(0)


def test_usefirst_page_actions_flash_on_success_and_ask_first(app, f):
    inst = f.user("institution")
    admin = f.user("admin")
    company = f.user("company")
    for ref in ("F1", "F2"):
        f.record("achievements", inst, status="published", ref=ref, ip_granted_on="2019-06-01", title=f"成果{ref}")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    k1, k2 = UseFirstItem.query.order_by(UseFirstItem.id).all()
    ci, ca, cc = app.test_client(), app.test_client(), app.test_client()
    login(ci, inst), login(ca, admin), login(cc, company)

    page = ci.get(f"/usefirst/{k1.id}").get_data(as_text=True)
    assert 'data-confirm="确定按以上条款列入先用后转清单吗' in form_tag(page, 'id="confirm-form"')
    assert "data-confirm" in form_tag(page, 'id="keep-off-form"')
    r = ci.post(f"/usefirst/{k1.id}/confirm", data={}, follow_redirects=True)
    assert "已确认列入先用后转" in "".join(flashes(r.get_data(as_text=True)))
    assert db.session.get(UseFirstItem, k1.id).status == "listed"

    r = ci.post(f"/usefirst/{k2.id}/keep-off", follow_redirects=True,
                data={"reason": "涉及国家安全或保密", "evidence": "项目任务书第5条保密要求，文号赣科密〔2021〕3号"})
    assert "已提交“不列入”及理由" in "".join(flashes(r.get_data(as_text=True)))
    r = ca.post(f"/usefirst/{k2.id}/challenge", data={"note": "保密要求已于2024年解除，请重新确认"},
                follow_redirects=True)
    assert "已质询并退回" in "".join(flashes(r.get_data(as_text=True)))
    # A refusal says why and no success toast.
    r = ca.post(f"/usefirst/{k2.id}/challenge", data={"note": "再次"}, follow_redirects=True)
    assert not flashes(r.get_data(as_text=True)) and "flash-error" in r.get_data(as_text=True)

    plan = {"plan": "拟在我司烧结车间一条线上试用，12个月内完成小批量验证"}
    r = cc.post(f"/usefirst/{k1.id}/apply", data=plan, follow_redirects=True)
    assert "已提交试用申请" in "".join(flashes(r.get_data(as_text=True)))
    application = TrialApplication.query.one()
    page = ci.get(f"/usefirst/{k1.id}").get_data(as_text=True)
    assert "data-confirm" in form_tag(page, 'class="accept-form"')
    r = ci.post(f"/usefirst/applications/{application.id}/accept", follow_redirects=True,
                data={"starts_on": "2026-02-01", "months": "12", "trial_fee": "0", "after_terms": "按挂牌标准条款"})
    assert "已接受试用申请" in "".join(flashes(r.get_data(as_text=True)))
    trial = Trial.query.one()
    page = ci.get(f"/usefirst/trials/{trial.id}").get_data(as_text=True)
    assert 'data-confirm="确定结束试用并生成正式合同吗' in form_tag(page, 'id="convert-form"')
    assert "data-confirm" in form_tag(page, 'id="terminate-form"')
    r = cc.post(f"/usefirst/trials/{trial.id}/terminate", data={"reason": "试用效果未达预期指标"}, follow_redirects=True)
    assert "已终止试用" in "".join(flashes(r.get_data(as_text=True)))

    # A second company applies to a fresh listing; the institution declines it with a note.
    k2 = db.session.get(UseFirstItem, k2.id)
    ci.post(f"/usefirst/{k2.id}/confirm", data={})
    other = f.user("company")
    co = app.test_client()
    login(co, other)
    co.post(f"/usefirst/{k2.id}/apply", data=plan)
    second = TrialApplication.query.filter_by(item_id=k2.id).one()
    r = ci.post(f"/usefirst/applications/{second.id}/decline", data={"note": "已有在谈合同"}, follow_redirects=True)
    assert "已答复不接受该试用申请" in "".join(flashes(r.get_data(as_text=True)))


def test_usefirst_trial_converts_with_a_flash(app, f):
    inst = f.user("institution")
    f.record("achievements", inst, status="published", ref="C9", ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    item = UseFirstItem.query.one()
    company = f.user("company")
    ci, cc = app.test_client(), app.test_client()
    login(ci, inst), login(cc, company)
    ci.post(f"/usefirst/{item.id}/confirm", data={})
    cc.post(f"/usefirst/{item.id}/apply", data={"plan": "在我司二号线试用十二个月，验证降本效果"})
    ci.post(f"/usefirst/applications/{TrialApplication.query.one().id}/accept",
            data={"starts_on": "2026-02-01", "after_terms": "按挂牌标准条款许可"})
    trial = Trial.query.one()
    r = ci.post(f"/usefirst/trials/{trial.id}/convert", follow_redirects=True,
                data={"transfer_form": "许可", "title": "许可合同", "amount": "300000", "signed_on": "2027-02-01"})
    assert "已转为技术合同草稿" in "".join(flashes(r.get_data(as_text=True)))
    assert "/contracts/" in r.request.path


def test_broker_filing_decisions_event_steps_and_bounty_raises_ask_first(client, f):
    from . import factories_challenges as fc
    from . import factories_events as fe
    from .test_brokers_profiles import _profile
    p, broker, centre = _profile(f)
    login(client, centre)
    html = client.get(f"/brokers/{p.id}").get_data(as_text=True)
    tags = re.findall(r'<form[^>]+/brokers/\d+/(?:approve|reject|suspend|reinstate)"[^>]*>', html)
    assert any("/approve" in t for t in tags) and all('data-confirm="确定' in t for t in tags), tags
    r = client.post(f"/brokers/{p.id}/approve", follow_redirects=True)
    assert any(m.startswith("已") for m in flashes(r.get_data(as_text=True)))
    assert db.session.get(type(p), p.id).status == "active"

    organiser = fe.organiser()
    e = fe.event(organiser, status="draft")
    login(client, organiser)
    html = client.get(f"/events/{e.id}").get_data(as_text=True)
    tags = re.findall(r'<form[^>]+/events/\d+/act/[a-z-]+"[^>]*>', html)
    assert any("/act/publish" in t for t in tags) and all('data-confirm="确定要' in t for t in tags), tags

    ch = fc.challenge(status="published")
    login(client, fc.ch_poster(ch))
    html = client.get(f"/challenges/{ch.id}").get_data(as_text=True)
    assert 'data-confirm="确定提高悬赏' in form_tag(html, 'id="raise-form"')


def test_usefirst_forms_refused_come_back_as_typed(app, f):
    """确认挂牌 (with licence terms), 不列入, 申请 and 转为正式合同: a refusal answers 422 with the form as typed and
    the message by its field; nothing changes. (They were redirects that lost what was typed.)"""
    inst, company = f.user("institution"), f.user("company")
    for ref in ("R1", "R2"):
        f.record("achievements", inst, status="published", ref=ref, ip_granted_on="2019-06-01", title=f"成果{ref}")
    uf.scan(date(2026, 1, 1))
    db.session.commit()
    k1, k2 = UseFirstItem.query.order_by(UseFirstItem.id).all()
    ci, cc = app.test_client(), app.test_client()
    login(ci, inst), login(cc, company)

    r = ci.post(f"/usefirst/{k1.id}/confirm", data={"publicity_days": "20", "exclusive": "是", "t_kind": "zero_threshold",
                                                   "t_royalty_rate": "150", "m_name": ["中试验收"], "m_trigger": ["验收"],
                                                   "m_amount": ["80000"]})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="err-t_royalty_rate"' in html
    for shown in ('value="20"', 'value="150"', 'value="中试验收"', 'value="80000"', 'value="是" checked'):
        assert shown in html, shown
    db.session.expire_all()
    assert db.session.get(UseFirstItem, k1.id).status == "candidate"

    evidence = "保密"  # too short
    r = ci.post(f"/usefirst/{k2.id}/keep-off", data={"reason": "涉及国家安全或保密", "evidence": evidence})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f">{evidence}</textarea>" in html and 'id="err-evidence"' in html
    assert "<option selected>涉及国家安全或保密</option>" in html
    db.session.expire_all()
    assert db.session.get(UseFirstItem, k2.id).status == "candidate"

    assert ci.post(f"/usefirst/{k1.id}/confirm", data={}).status_code == 302
    r = cc.post(f"/usefirst/{k1.id}/apply", data={"plan": "试用"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and ">试用</textarea>" in html and 'id="err-plan"' in html
    assert TrialApplication.query.count() == 0
    assert cc.post(f"/usefirst/{k1.id}/apply", data={"plan": "在我司二号线试用十二个月，验证降本效果"}).status_code == 302
    ci.post(f"/usefirst/applications/{TrialApplication.query.one().id}/accept",
            data={"starts_on": "2026-02-01", "after_terms": "按挂牌标准条款许可"})
    trial = Trial.query.one()
    r = ci.post(f"/usefirst/trials/{trial.id}/convert",
                data={"transfer_form": "转让", "title": "转让合同（核对中）", "amount": "-5", "signed_on": "2027-02-01"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="转让合同（核对中）"' in html and 'value="-5"' in html
    assert "<option selected>转让</option>" in html and 'value="2027-02-01"' in html
    assert 'id="err-amount"' in html
    db.session.expire_all()
    assert db.session.get(Trial, trial.id).status == "active"
