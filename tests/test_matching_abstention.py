"""Abstention through the API: silent when nothing fits, never silent when something clearly does."""
from marketplace.searching import sync

from .conftest import login

ACHIEVEMENTS = [
    ("AB-A1", "稀土永磁电机转子高速动平衡技术", "稀土永磁同步电机转子在高速下振动大，提出动平衡校正方法，振动降低60%。",
     "稀土永磁、电机、动平衡", "有色金属"),
    ("AB-A2", "离子型稀土矿原地浸矿氨氮减排技术", "以硫酸镁替代硫酸铵浸取离子型稀土矿，浸出率95%，氨氮排放降低90%。",
     "稀土、浸矿、氨氮", "有色金属"),
    ("AB-A3", "陶瓷釉面针孔气泡控制技术", "通过釉料配方与烧成制度调整，消除日用陶瓷釉面针孔和气泡，优等品率提高15%。",
     "陶瓷、釉面、针孔", "陶瓷"),
    ("AB-A4", "脐橙采后壳聚糖涂膜保鲜技术", "壳聚糖复合涂膜用于脐橙采后保鲜，常温贮藏90天腐烂率低于3%。",
     "脐橙、保鲜、涂膜", "现代农业"),
    ("AB-A5", "锂电池高镍三元正极包覆改性技术", "对高镍三元正极材料进行氧化铝包覆，循环1000次容量保持率92%。",
     "锂电池、正极、包覆", "新能源"),
    ("AB-A6", "铜线高速拉丝张力控制与断线预测技术", "建立铜线拉丝张力与断线风险模型，断线率降低70%，适用于铜杆拉丝生产线。",
     "铜线、拉丝、断线、张力控制", "有色金属"),
]


def world(f):
    inst = f.user("institution", city="赣州")
    achs = {ref: f.record("achievements", inst, status="published", ref=ref, title=title, summary=summary,
                          keywords=kw, industry=industry, maturity="中试", transfer_modes="许可")
            for ref, title, summary, kw, industry in ACHIEVEMENTS}
    company = f.user("company")
    answered = f.record("demands", company, status="published", ref="AB-D1", title="离子型稀土矿浸矿氨氮超标",
                        description="我们的离子型稀土矿原地浸矿用硫酸铵，周边水体氨氮超标，想找替代浸矿剂降低氨氮。",
                        indicators="氨氮排放降低80%以上", industry="有色金属", city="赣州", budget_wan="80",
                        cooperation="技术许可")
    silent = f.record("demands", company, status="published", ref="AB-D2", title="稀土氧化物海外销售渠道与价格行情咨询",
                      description="公司做稀土氧化物贸易，想找机构提供价格走势分析、出口管制合规指导和海外客户渠道对接。",
                      indicators="一年内开拓三家海外客户", industry="有色金属", city="赣州", budget_wan="20",
                      cooperation="技术咨询")
    sync.apply_pending()
    return company, achs, answered, silent


def test_the_api_answers_a_clear_match_and_stays_silent_when_nothing_fits(client, f):
    company, _achs, answered, silent = world(f)
    login(client, company)
    got = client.get(f"/api/v1/demands/{answered.id}/matches?limit=5").json
    assert got["abstained"] is False and got["next_steps"] == [], got
    assert got["items"][0]["ref"] == "AB-A2"
    none = client.get(f"/api/v1/demands/{silent.id}/matches?limit=5").json
    assert none["abstained"] is True, none
    assert {s["code"] for s in none["next_steps"]} == {"broker", "challenge", "push"}


def test_the_service_decision_is_the_pure_rule_on_its_signals(app, f):
    from marketplace.matching import scoring, service
    _, achs, answered, silent = world(f)
    found = service.match_demand(answered, 10)
    assert found["abstained"] is False and found["confidence"] >= 0.5
    assert not scoring.should_abstain_signals(found["signals"])
    assert found["signals"]["title_cover"] >= scoring.TITLE_COVER  # the title's terms are in the best candidate
    none = service.match_demand(silent, 10)
    assert none["abstained"] is True and none["confidence"] < 0.5
    assert scoring.should_abstain_signals(none["signals"])
    # candidates share its words (稀土, 氧化物 …), but none holds what the title asks for, and none stands out
    assert none["items"] and none["signals"]["title_cover"] < scoring.TITLE_COVER
    assert none["signals"]["plain"] is False and none["signals"]["ratio"] < scoring.RATIO_NAMED
    # achievements keep the same output shape (next steps are offered for demands only)
    back = service.match_achievement(achs["AB-A2"], 10)
    assert {"items", "abstained", "terms", "next_steps", "confidence"} <= set(back) and back["next_steps"] == []
    assert back["items"][0]["ref"] == "AB-D1"


def test_a_named_technology_nobody_holds_is_silent_and_a_factorys_symptom_is_answered(app, f):
    from marketplace.matching import service
    company, achs, _answered, _silent = world(f)
    named = f.record("demands", company, status="published", ref="AB-D3", title="钠离子电池硬碳负极材料制备技术",
                     description="开发钠离子电池用生物质硬碳负极材料，首效85%以上，比容量300mAh/g，材料成本可控。",
                     indicators="首效≥85%", industry="新能源", city="赣州", budget_wan="100", cooperation="合作开发")
    symptom = f.record("demands", company, status="published", ref="AB-D4", title="铜线一拉快就老断，客户天天退货",
                       description="我们厂拉铜线，车速一提上去就断线，一个班要断好多次，接头多了客户不要。",
                       indicators="断线次数减半", industry="有色金属", city="赣州", budget_wan="30",
                       cooperation="技术服务")
    sync.apply_pending()
    got = service.match_demand(named, 10)
    # it shares 电池/材料 with the lithium cathode achievement, but that is not what it asks for
    assert got["abstained"] is True and got["signals"]["plain"] is False, got["signals"]
    assert got["signals"]["title_cover"] < 0.5
    found = service.match_demand(symptom, 10)
    assert found["abstained"] is False and found["signals"]["plain"] is True, found["signals"]
    assert found["items"][0]["ref"] == "AB-A6"


def test_a_record_that_only_detects_a_fault_does_not_answer_a_demand_to_cure_it(app, f, monkeypatch):
    from marketplace.matching import scoring, service
    inst = f.user("institution")
    for ref, title, summary in (
            ("DT-A1", "板式家具封边质量机器视觉在线检测系统", "相机拍摄封边条，识别开胶、翘边、缺胶，检出率98%。"),
            ("DT-A2", "封边热熔胶耐湿热改性技术", "改性热熔胶封边条在湿热环境一年不开胶、不翘边，剥离强度提高40%。")):
        f.record("achievements", inst, status="published", ref=ref, title=title, summary=summary,
                 keywords="封边条、开胶、翘边", industry="现代家具")
    wants = {"DT-D1": ("柜子封边条用不到一年就翘起来脱掉", "封边条开胶翘边，售后补不过来。"),  # a cure
             "DT-D2": ("封边条开胶翘边看不出来", "想在线检测封边条开胶、翘边，出厂前挑出来。")}  # a detection
    company = f.user("company")
    cure, look = (f.record("demands", company, status="published", ref=ref, title=title, description=text,
                           industry="现代家具") for ref, (title, text) in wants.items())
    sync.apply_pending()
    seen = []
    real = scoring.confidence
    monkeypatch.setattr(scoring, "confidence", lambda rows, *a, **k: seen.append(rows) or real(rows, *a, **k))
    for demand, discounted in ((cure, {"DT-A1"}), (look, set())):
        seen.clear()
        items = service.match_demand(demand, 10)["items"]
        rows = seen[0]
        assert {i["ref"] for i in items} >= {"DT-A1", "DT-A2"}
        for item, row in zip(items, rows):  # the abstention's rows follow the list's order
            factor = scoring.DETECT_DISCOUNT if item["ref"] in discounted else 1.0
            assert abs(row[0] - item["evidence"]["text"] * factor) < 0.002, (demand.ref, item["ref"], row)
    assert scoring.DETECT_DISCOUNT < 1.0
