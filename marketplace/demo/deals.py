"""Demo 先用后转 items, a trial and a registered licence with its money, made through the services (so the
rules, the schedules and the audit trail are the real ones)."""
from datetime import date, timedelta

from ..accounts.models import User
from ..contracts import services as contracts
from ..contracts.money import add_months
from ..extensions import db
from ..usefirst import services as uf
from ..usefirst.models import UseFirstItem

STANDARD = {"kind": "zero_threshold", "royalty_rate": "3", "royalty_min": "20000", "royalty_cap": "300000",
            "report_period": "quarter", "due_days": 30,
            "milestones": [{"name": "小批量试产合格", "trigger": "试产产品经第三方检测合格", "amount": "50000"}]}


def _user(email):
    return User.query.filter_by(email=email).one()


def load_deals(today: date | None = None) -> str:
    today = today or date.today()
    found = uf.scan(today)
    ncu, jxust, company = _user("ncu@demo.jx"), _user("jxust@demo.jx"), _user("company@demo.jx")
    admin = _user("admin@demo.jx")
    listed = kept = 0
    for inst in (ncu, jxust):
        items = UseFirstItem.query.filter_by(org_id=inst.org_id, status="candidate").order_by(UseFirstItem.id).all()
        for i, item in enumerate(items[:5]):
            if i == 4:
                uf.keep_off(inst, item, {"reason": "正在实施转化（已有实施计划或在谈合同）",
                                         "evidence": "已与省内企业签订意向书，编号 YX-2026-017，预计三个月内签订许可合同"})
                kept += 1
            else:
                uf.confirm(inst, item, {"terms": STANDARD, "publicity_days": 15}, today=today - timedelta(days=20 * i))
                listed += 1
    trial_note = ""
    item = UseFirstItem.query.filter_by(org_id=jxust.org_id, status="listed").first()
    if item is not None:
        application = uf.apply(company, item, {"plan": "拟在鹰潭生产基地一条产线试用 12 个月，验证节能降耗效果"})
        uf.accept(jxust, application, {"starts_on": (today - timedelta(days=60)).isoformat(), "months": 12,
                                       "trial_fee": "0", "after_terms": "试用期满按挂牌标准条款签订许可合同"})
        trial_note = "1 项试用中"
    signed = add_months(today, -7)
    c = contracts.create(ncu, {
        "kind": "技术转让", "transfer_form": "许可", "title": "高强高导铜合金连铸技术专利实施许可合同",
        "seller_org_id": ncu.org_id, "buyer_org_id": company.org_id, "amount": "800000",
        "signed_on": signed.isoformat(), "city": "鹰潭", "industry": "有色金属", "terms": STANDARD})
    contracts.submit(ncu, c)
    contracts.register(admin, c, {}, today=signed + timedelta(days=10))
    milestone = c.lines[0]
    contracts.reach_milestone(company, c, milestone.id, {"reached_on": (signed + timedelta(days=60)).isoformat(),
                                                          "evidence": "第三方检测报告 JC-2026-0931"})
    q1_end = add_months(signed, 3) - timedelta(days=1)
    contracts.submit_report(company, c, {"period_start": signed.isoformat(), "period_end": q1_end.isoformat(),
                                         "net_sales": "1250000"})
    contracts.record_payment(ncu, c, {"amount": "50000", "received_on": (signed + timedelta(days=80)).isoformat(),
                                      "note": "里程碑款"})
    contracts.set_split(ncu, c, {"net_income": "50000", "team_percent": "70", "institution_percent": "30",
                                 "inventors": [{"name": "王建国", "percent": "60"}, {"name": "刘芳", "percent": "40"}]})
    db.session.commit()
    return (f"先用后转：符合条件 {len(found['candidates'])} 项，演示挂牌 {listed} 项、不列入 {kept} 项，{trial_note}；"
            f"技术合同 1 份（已登记，含里程碑、提成报告与到账）。")
