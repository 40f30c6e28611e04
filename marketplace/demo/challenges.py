"""Demo 揭榜挂帅: five challenges of Jiangxi companies and centres in different states (under review, open, in
progress, accepted, awaiting review), with applications, an expert panel and scores — all through the services,
so the rules, notifications, contracts and audit trail are the real ones. Called by the demo loader after the
users, demands and brokers exist: `from .challenges import load; lines.append(load())`."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..accounts import services as accounts
from ..accounts.models import Organisation, User
from ..challenges import services as svc
from ..challenges.models import Challenge
from ..core.uscc import make_uscc
from ..extensions import db

PASSWORD = "demo12345"
EXPERTS = [("expert@demo.jx", "江西省科学院应用物理研究所", "南昌", "王建国"),
           ("expert2@demo.jx", "华东交通大学", "南昌", "陈晓燕"),
           ("expert3@demo.jx", "江西省冶金研究院", "南昌", "罗振华")]
RUBRIC = [{"name": "技术方案先进性与可行性", "weight": 40, "description": "技术路线是否针对问题、关键指标能否达到"},
          {"name": "团队能力与研究基础", "weight": 25}, {"name": "进度安排与经费合理性", "weight": 20},
          {"name": "成果转化与产业化前景", "weight": 15}]


def _user(email):
    return db.session.scalars(select(User).where(User.email == email)).one_or_none()


def _company(name, city):
    org = accounts.get_or_create_org(name, "company", city=city, uscc=make_uscc(name))
    if org.uscc is None:
        org.uscc = make_uscc(name)
    return org


def _expert(email, org_name, city, name):
    user = _user(email)
    if user is None:
        org = accounts.get_or_create_org(org_name, "institution", city=city, subtype="科研院所")
        user = accounts.create_user(email, PASSWORD, "institution", org, name=name)
    return user


def _app(user, ch, team, plan, budget, schedule, conflicts=None, today=None):
    return svc.apply(user, ch, {"team": team, "plan": plan, "budget": budget, "schedule": schedule,
                                "no_conflict": conflicts is None, "conflicts": conflicts,
                                "attachments": "可行性研究报告.pdf\n团队近三年代表性成果清单.xlsx"}, today=today)


def _published(poster, reviewer, data, published_days_ago):
    ch = svc.create(poster, {**data, "deadline": (date.today() + timedelta(days=30)).isoformat(), "criteria": RUBRIC})
    svc.transition(poster, ch, "submit")
    svc.transition(reviewer, ch, "approve")
    ch.published_at = datetime.now().replace(microsecond=0) - timedelta(days=published_days_ago)
    return ch


def _close(ch, deadline):
    ch.deadline = deadline
    svc.FLOW.fire(None, ch, "close-due", system=True)


def _score(ch, member, values, comments):
    for row, (vals, comment) in zip(svc.ch_applications(ch), zip(values, comments)):
        svc.save_scores(member, row, {"scores": [{"criterion_id": c.id, "score": v, "comment": comment if i == 0 else None}
                                                 for i, (c, v) in enumerate(zip(ch.criteria, vals))]})


def load(today: date | None = None) -> str:
    if db.session.scalar(select(Challenge.id).limit(1)) is not None:
        return "揭榜挂帅演示数据已存在"
    today = today or date.today()
    admin, yingtan = _user("admin@demo.jx"), _user("yingtan-admin@demo.jx")
    company, ncu, jxust = _user("company@demo.jx"), _user("ncu@demo.jx"), _user("jxust@demo.jx")
    experts = [_expert(*e) for e in EXPERTS]
    tantalum = _company("宜春市华钽新材料有限公司", "宜春")
    sensor = _company("鹰潭市信江物联传感科技有限公司", "鹰潭")
    db.session.flush()

    # 1. 企业榜, accepted last year and rated 优秀.
    done = _published(company, yingtan, {
        "title": "高强高导铜铬锆合金线材连续挤压工艺攻关", "industry": "有色金属", "city": "鹰潭",
        "problem": "我司铜铬锆合金线材采用传统熔铸—热轧—拉拔工艺，工序长、成材率仅68%，时效后强度与导电率难以兼顾，"
                   "无法满足新能源汽车高速连接器对材料的要求。",
        "indicators": "抗拉强度≥550 MPa，导电率≥80% IACS，成材率≥85%，软化温度≥500℃",
        "bounty": "1500000", "enterprise_funding": "1000000", "fiscal_funding": "500000",
        "ip_terms": "攻关形成的专利由双方共同申请，我司享有独占实施权，揭榜方可用于教学科研",
        "milestones": [{"name": "工艺路线验证", "criteria": "完成连续挤压小试，提交工艺窗口与组织性能报告", "share": "30"},
                       {"name": "中试线贯通", "criteria": "中试线连续生产20吨，抗拉强度与导电率达到指标", "share": "40"},
                       {"name": "批量稳定生产", "criteria": "连续3个月批量生产，第三方检测全部达标，成材率≥85%", "share": "30"}]},
        published_days_ago=420)
    a1 = _app(jxust, done, "材料科学与工程学院铜合金团队：教授3名、副教授2名、博士后2名，承担过国家重点研发计划课题",
              "采用连续挤压（Conform）+ 在线固溶 + 多道次冷拉拔 + 形变时效的短流程工艺，通过Cr、Zr微合金化与纳米析出相调控，"
              "兼顾强度与导电率。", "1450000", "第1–4月小试与工艺窗口，第5–10月中试，第11–16月批量验证")
    a2 = _app(ncu, done, "物理与材料学院团队：教授2名、博士4名", "采用真空熔铸+热挤压+深冷处理工艺，提高时效析出均匀性。",
              "1380000", "第1–6月工艺开发，第7–18月中试与批量验证")
    for e in experts[:2]:
        svc.invite(yingtan, done, {"user_id": e.id})
    _close(done, today - timedelta(days=380))
    svc.transition(company, done, "review")
    _score(done, experts[0], [(92, 90, 85, 90), (80, 85, 82, 75)], ["连续挤压短流程路线针对性强", "深冷处理对导电率提升有限"])
    _score(done, experts[1], [(88, 92, 86, 88), (78, 80, 85, 72)], ["团队工程化经验丰富", "中试方案不够具体"])
    svc.award(company, done, {"application_id": a1.id, "signed_on": (today - timedelta(days=370)).isoformat(),
                              "note": "综合得分最高"})
    svc.transition(company, done, "start")
    for m, days in zip(done.milestones, (300, 180, 40)):
        svc.accept_milestone(company, done, m, {"accepted_on": (today - timedelta(days=days)).isoformat(),
                                                "evidence": f"{m.name}验收会纪要及鹰潭市产品质量监督检验所检测报告"})
    svc.finish(company, done, {"rating": "优秀", "note": "各项指标全部达到，成材率提升至87%，已批量供货"})

    # 2. 政府榜 of the 鹰潭 centre for a local company, in progress (awarded, first milestone accepted).
    running = _published(yingtan, admin, {
        "title": "5G基站滤波器用高频低损耗覆铜板国产化", "industry": "电子信息", "city": "鹰潭",
        "company_org_id": sensor.id,
        "problem": "5G基站滤波器所用高频覆铜板依赖进口，介电损耗和铜箔结合力是国产化瓶颈，本地企业急需替代材料。",
        "indicators": "10 GHz下介电常数3.0±0.05、介电损耗≤0.0015，剥离强度≥0.8 N/mm",
        "bounty": "3000000", "enterprise_funding": "1200000", "fiscal_funding": "1800000",
        "ip_terms": "成果由出题企业与揭榜方共有，财政资助部分形成的成果在省内优先许可实施",
        "milestones": [{"name": "配方与样板", "criteria": "提交3组配方样板及介电性能检测报告", "share": "25"},
                       {"name": "中试验证", "criteria": "中试样板通过下游滤波器厂商验证", "share": "45"},
                       {"name": "量产导入", "criteria": "实现月产5000平方米稳定供货", "share": "30"}]},
        published_days_ago=150)
    b1 = _app(ncu, running, "化学化工学院高分子复合材料团队：教授2名、高工1名、博士3名",
              "以改性聚苯醚/碳氢树脂为基体，复合低介电空心微球填料，开发低粗糙度铜箔表面处理工艺。", "2900000",
              "第1–5月配方，第6–12月中试，第13–18月量产导入")
    svc.invite(yingtan, running, {"user_id": experts[0].id})
    svc.invite(yingtan, running, {"user_id": experts[2].id})
    _close(running, today - timedelta(days=110))
    svc.transition(yingtan, running, "review")
    _score(running, experts[0], [(86, 84, 80, 88)], ["树脂体系选择合理"])
    _score(running, experts[2], [(82, 86, 78, 85)], ["建议补充铜箔供应商配合方案"])
    svc.award(yingtan, running, {"application_id": b1.id, "signed_on": (today - timedelta(days=95)).isoformat()})
    svc.transition(yingtan, running, "start")
    svc.accept_milestone(yingtan, running, running.milestones[0],
                         {"accepted_on": (today - timedelta(days=20)).isoformat(),
                          "evidence": "鹰潭市科技局组织的阶段验收意见；介电性能检测报告 XJ-2026-031"})

    # 3. 企业榜 under review: two applications, scores half in.
    review = _published(company, yingtan, {
        "title": "铜冶炼烟尘中铼、硒等稀散金属高效回收", "industry": "有色金属", "city": "鹰潭", "anonymous": True,
        "problem": "铜冶炼烟尘中含铼、硒、碲等稀散金属，现有工艺回收率低于60%，大量有价金属随渣流失。",
        "indicators": "铼回收率≥90%，硒回收率≥92%，产品纯度≥99.9%，不新增含重金属废水排放",
        "bounty": "800000",
        "milestones": [{"name": "小试", "criteria": "小试回收率达到指标", "share": "40"},
                       {"name": "工业试验", "criteria": "工业试验连续运行60天达到指标", "share": "60"}]},
        published_days_ago=75)
    _app(jxust, review, "冶金与化学工程学院稀散金属团队：教授2名、博士生5名",
         "采用氧压浸出—溶剂萃取—离子交换联合流程分离铼、硒，浸出渣无害化处置。", "780000", "第1–4月小试，第5–10月工业试验")
    _app(experts[1], review, "华东交通大学环境工程团队", "采用硫酸化焙烧—水浸—离子交换工艺，回收铼、硒。", "650000",
         "第1–6月小试，第7–12月工业试验", conflicts="团队一名成员曾在发榜企业实习（2023年，已结束）")
    svc.invite(yingtan, review, {"user_id": experts[0].id})
    svc.invite(yingtan, review, {"user_id": experts[2].id})
    _close(review, today - timedelta(days=10))
    svc.transition(company, review, "review")
    _score(review, experts[0], [(85, 88, 80, 82), (72, 70, 78, 70)], ["流程成熟度高", "焙烧工序能耗偏高"])

    # 4. 政府榜 of the provincial centre, open for applications.
    open_ = _published(admin, admin, {
        "title": "钽铌湿法冶炼含氟废水深度处理与氟资源化", "industry": "节能环保", "city": "宜春",
        "company_org_id": tantalum.id,
        "problem": "钽铌湿法冶炼产生大量含氟、含氨氮废水，现有石灰沉淀法出水氟化物难以稳定低于10 mg/L，污泥量大。",
        "indicators": "出水氟化物≤5 mg/L、氨氮≤15 mg/L，氟资源化率≥70%，吨水处理成本≤25元",
        "bounty": "5000000", "enterprise_funding": "2000000", "fiscal_funding": "3000000",
        "ip_terms": "知识产权归揭榜方与出题企业共有；财政资助部分形成的成果按省有关规定在省内推广应用",
        "milestones": [{"name": "工艺包", "criteria": "完成中试工艺包并通过专家评审", "share": "30"},
                       {"name": "示范工程", "criteria": "建成500 m³/d示范工程并稳定运行3个月", "share": "50"},
                       {"name": "验收推广", "criteria": "第三方监测达标并形成可推广的技术规范", "share": "20"}]},
        published_days_ago=12)
    open_.deadline = today + timedelta(days=35)
    _app(ncu, open_, "资源与环境学院水处理团队：教授2名、副教授3名", "采用分段沉淀—膜浓缩—冰晶石回收工艺，实现氟资源化。",
         "4800000", "第1–6月中试工艺包，第7–15月示范工程", today=today)

    # 5. 企业榜 awaiting review by the 鹰潭 centre.
    waiting = svc.create(company, {
        "title": "上引连铸铜杆氧含量在线精准控制", "industry": "有色金属", "city": "鹰潭",
        "problem": "上引连铸铜杆氧含量在80–300 ppm之间波动，导致后道拉丝断线率高，需要在线检测与闭环控制方案。",
        "indicators": "氧含量控制在200±20 ppm，断线率降低50%", "bounty": "600000",
        "deadline": (today + timedelta(days=45)).isoformat(), "criteria": RUBRIC,
        "milestones": [{"name": "在线检测", "criteria": "在线氧含量检测装置与离线检测偏差≤5%", "share": "50"},
                       {"name": "闭环控制", "criteria": "连续30天氧含量达到指标", "share": "50"}]})
    svc.transition(company, waiting, "submit")
    db.session.commit()
    return ("揭榜挂帅：5个榜单（已验收1、攻关中1、评审中1、征集中1、待审核1），评审专家 expert@demo.jx、expert2@demo.jx、"
            "expert3@demo.jx（密码同上）")
