"""The broker routes of the OpenAPI document (called by marketplace/api/openapi.build_spec)."""
from ..api.openapi import (ID, PAGING, XLSX, I, S, answer, array, envelope, enum, n, obj, path_id, query, ref)
from ..core.vocab import CITIES, INDUSTRIES
from .models import LEVELS
from .schemas import (ContractDraftIn, DealOut, DemandRow, DisclosureIn, OwnProfileOut, PerformanceOut, ProfileIn,
                      ProfileOut, RatingIn, RatingOut)
from .services import AGES, BUDGETS, SORTS


def document(spec, doc) -> None:
    for name, schema in (("BrokerProfileIn", ProfileIn(partial=True)), ("BrokerRatingIn", RatingIn),
                         ("DealDisclosureIn", DisclosureIn), ("ContractDraftIn", ContractDraftIn),
                         ("BrokerProfile", ProfileOut), ("BrokerOwnProfile", OwnProfileOut),
                         ("BrokerPerformance", PerformanceOut), ("BrokerDeal", DealOut), ("BrokerRating", RatingOut),
                         ("WorkbenchDemand", DemandRow)):
        spec.components.schema(name, schema=schema)
    spec.components.schema("BrokerList", envelope(ref("BrokerProfile")))
    spec.components.schema("BrokerDetail", obj({"profile": ref("BrokerOwnProfile"), "performance": ref("BrokerPerformance"),
                                                "deals": array(ref("BrokerDeal")), "ratings": array(ref("BrokerRating"))}))
    suggestion = obj({"id": I, "title": S, "score": I, "band": S})
    spec.components.schema("WorkbenchDemands", envelope({"allOf": [ref("WorkbenchDemand"), obj(
        {"suggestions": array(suggestion)})]}))
    ranked = obj({"profile": ref("BrokerProfile"), "performance": ref("BrokerPerformance")})
    own, one = ref("BrokerOwnProfile"), [path_id("profile_id")]
    directory = [query("industry", enum(INDUSTRIES), "擅长产业"), query("city", enum(CITIES), "服务城市"),
                 query("level", enum(LEVELS), "等级"), query("agency_id", dict(ID), "所属机构"),
                 query("q", {"type": "string", "maxLength": 50}, "姓名或机构"), *PAGING]
    doc.op("get", "/api/v1/brokers", "已备案技术经纪人名录（按产业、城市、等级筛选，分页）",
           answer(200, "名录", ref("BrokerList")), params=directory, auth=False)
    doc.op("get", "/api/v1/brokers/{profile_id}", "技术经纪人：档案、业绩与信用分、已登记的撮合成交、评价",
           answer(200, "技术经纪人", ref("BrokerDetail")), params=one, auth=False)
    doc.op("get", "/api/v1/brokers/me/profile", "本人的执业档案", answer(200, "档案", own))
    doc.op("put", "/api/v1/brokers/me/profile", "填写或修改本人的执业档案（提交备案后备案事项不能改）",
           answer(200, "档案", own), body=ref("BrokerProfileIn"))
    doc.op("post", "/api/v1/brokers/me/profile/submit", "提交备案", answer(200, "档案", own))
    doc.op("get", "/api/v1/brokers/me/deals.xlsx", "本人已登记撮合合同及登记号（Excel，职称申报）", XLSX)
    for action, label in (("approve", "备案通过"), ("reject", "驳回备案（reason 必填）"),
                          ("suspend", "暂停执业（reason 必填）"), ("reinstate", "恢复执业")):
        doc.op("post", f"/api/v1/brokers/{{profile_id}}/{action}", f"备案中心{label}", answer(200, "档案", own),
               params=one, body=obj(optional={"reason": n({"type": "string", "maxLength": 1000})}),
               body_required=False)
    doc.op("get", "/api/v1/brokers/filings", "管辖范围内待审核与已备案的档案", answer(200, "档案",
                                                                                obj({"items": array(own)})))
    doc.op("get", "/api/v1/brokers/agencies/{org_id}", "技术转移机构：所属经纪人与合计业绩",
           answer(200, "机构", obj({"id": I, "name": S, "city": n(S), "brokers": array(ranked),
                                   "total": ref("BrokerPerformance")})), params=[path_id("org_id")], auth=False)
    doc.op("get", "/api/v1/brokers/ranking", "技术经纪人信用排行",
           answer(200, "排行", obj({"items": array(obj({"rank": I, "profile": ref("BrokerProfile"),
                                                       "performance": ref("BrokerPerformance")}))})),
           params=[query("city", enum(CITIES), "服务城市"), query("level", enum(LEVELS), "等级")], auth=False)
    doc.op("post", "/api/v1/brokers/ratings", "合同一方评价该合同的技术经纪人（登记后，每方每份合同一次）",
           answer(201, "评价", ref("BrokerRating")), body=ref("BrokerRatingIn"))
    doc.op("post", "/api/v1/brokers/disclosures", "合同一方同意（或不同意）在经纪人页面公开成交额",
           answer(200, "设置", obj({"contract_id": I, "allow_amount": {"type": "boolean"}})), body=ref("DealDisclosureIn"))
    doc.op("get", "/api/v1/brokers/workbench/demands", "撮合工作台：待撮合的需求（筛选、排序、分页，附已推送的候选成果）",
           answer(200, "需求", ref("WorkbenchDemands")),
           params=[query("city", enum(CITIES)), query("industry", enum(INDUSTRIES)), query("budget", enum(BUDGETS)),
                   query("age", enum(AGES), "发布天数以内"), query("sort", enum(SORTS)),
                   query("q", {"type": "string", "maxLength": 50}), *PAGING])
    doc.op("post", "/api/v1/brokers/introductions/{intro_id}/contract",
           "由本人撮合一步生成合同草稿（双方、成果、需求、经纪人自动填入）",
           answer(201, "合同", ref("ContractOut")), params=[path_id("intro_id")], body=ref("ContractDraftIn"))
