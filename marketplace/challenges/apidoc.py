"""The 揭榜挂帅 routes of the OpenAPI document (called by marketplace/api/openapi.build_spec)."""
from ..api.openapi import PAGING, I, S, answer, array, enum, n, obj, path_id, query, ref
from ..core.vocab import CITIES, INDUSTRIES
from .models import STATES
from .schemas import (AdjustSchema, ApplicationOut, ApplicationSchema, AwardSchema, ChallengeOut, ChallengeSchema,
                      FinishSchema, MilestoneAcceptSchema, PanelInviteSchema, ScoreSheetOut, ScoresSchema, StatsOut)
from .services import SCOPES, SIMPLE_ACTIONS, FLOW


def document(spec, doc) -> None:
    for name, schema in (("ChallengeIn", ChallengeSchema), ("ChallengePatch", ChallengeSchema(partial=True)),
                         ("ChallengeAdjustIn", AdjustSchema), ("ChallengeApplicationIn", ApplicationSchema),
                         ("ChallengeScoresIn", ScoresSchema), ("ChallengeAwardIn", AwardSchema),
                         ("ChallengeFinishIn", FinishSchema), ("ChallengeMilestoneAcceptIn", MilestoneAcceptSchema),
                         ("ChallengePanelIn", PanelInviteSchema), ("Challenge", ChallengeOut),
                         ("ChallengeApplication", ApplicationOut), ("ChallengeScoreSheet", ScoreSheetOut),
                         ("ChallengeStats", StatsOut)):
        spec.components.schema(name, schema=schema)
    created = dict(spec.components.schemas["ChallengeIn"])
    created["properties"] = {**created["properties"], "submit": {"type": "boolean", "description": "true：同时提交审核"}}
    spec.components.schema("ChallengeCreate", created)
    spec.components.schema("ChallengeList", obj({"items": array(ref("Challenge")), "total": {"type": "integer", "minimum": 0},
                                                 "page": I, "per_page": I, "pages": {"type": "integer", "minimum": 0}}))
    spec.components.schema("ChallengeApplications", obj({"items": array(ref("ChallengeApplication"))}))
    spec.components.schema("ChallengeScoreSheets", obj({"items": array(ref("ChallengeScoreSheet"))}))
    spec.components.schema("ChallengePanel", obj({"items": array(obj({"id": I, "user_id": I, "name": S, "org": S}))}))
    one, ch = [path_id("challenge_id")], ref("Challenge")
    app_id = [path_id("app_id")]
    doc.op("get", "/api/v1/challenges", "揭榜挂帅榜单（按产业、城市、状态筛选，分页）", answer(200, "榜单", ref("ChallengeList")),
           auth=False, params=[query("scope", enum(SCOPES), "public（默认）/ mine 本单位发布 / review 待审核 / panel 我评审的 / "
                                                           "applied 本单位揭榜"),
                               query("industry", enum(INDUSTRIES), "产业领域"), query("city", enum(CITIES), "设区市"),
                               query("status", enum(STATES), "状态"), query("q", {"type": "string", "maxLength": 50}, "关键词"),
                               *PAGING])
    doc.op("post", "/api/v1/challenges", "发布榜单（草稿；企业为企业榜，管理员为政府榜；submit=true 同时提交审核）",
           answer(201, "榜单", ch), body=ref("ChallengeCreate"))
    doc.op("get", "/api/v1/challenges/stats", "揭榜挂帅统计：按年份和设区市的发布榜单数、悬赏总额、揭榜方案数、已解决数",
           answer(200, "统计", ref("ChallengeStats")), auth=False,
           params=[query("year", {"type": "integer", "minimum": 2000, "maximum": 2999}, "发布年份"),
                   query("city", enum(CITIES), "设区市")])
    doc.op("get", "/api/v1/challenges/{challenge_id}", "榜单详情（匿名发榜时不显示发榜单位）", answer(200, "榜单", ch),
           params=one, auth=False)
    doc.op("patch", "/api/v1/challenges/{challenge_id}",
           "修改榜单：草稿、被驳回、已撤回时可改全部字段；已发布时只能提高悬赏或延长截止日期（降低悬赏 422）",
           answer(200, "榜单", ch), params=one, body=ref("ChallengePatch"))
    for action in SIMPLE_ACTIONS:
        t = FLOW.transitions[action]
        doc.op("post", f"/api/v1/challenges/{{challenge_id}}/{action}",
               f"{t.label}（{'须' if t.needs_reason else '可'}附 reason）", answer(200, "榜单", ch), params=one,
               body_required=False, body=obj(optional={"reason": n({"type": "string", "maxLength": 1000})}))
    doc.op("post", "/api/v1/challenges/{challenge_id}/adjust", "管理员审定调整已发布榜单的悬赏或截止日期（含降低；reason 必填，记入审计）",
           answer(200, "榜单", ch), params=one, body=ref("ChallengeAdjustIn"))
    doc.op("post", "/api/v1/challenges/{challenge_id}/award", "确定揭榜方（评审完成后），生成技术开发合同草稿",
           answer(200, "榜单", ch), params=one, body=ref("ChallengeAwardIn"))
    doc.op("post", "/api/v1/challenges/{challenge_id}/finish", "最终验收评价：优秀/良好/合格（验收通过）或不合格",
           answer(200, "榜单", ch), params=one, body=ref("ChallengeFinishIn"))
    doc.op("post", "/api/v1/challenges/{challenge_id}/milestones/{milestone_id}/accept", "里程碑验收（证明材料）",
           answer(200, "榜单", ch), params=one + [path_id("milestone_id")], body=ref("ChallengeMilestoneAcceptIn"))
    doc.op("get", "/api/v1/challenges/{challenge_id}/history", "榜单状态变更与审计记录（发榜单位、主管管理员）",
           answer(200, "记录", ref("History")), params=one)
    doc.op("get", "/api/v1/challenges/{challenge_id}/panel", "评审专家组", answer(200, "专家", ref("ChallengePanel")), params=one)
    doc.op("post", "/api/v1/challenges/{challenge_id}/panel", "管理员邀请评审专家（user_id 或 email）",
           answer(201, "专家", ref("ChallengePanel")), params=one, body=ref("ChallengePanelIn"))
    doc.op("get", "/api/v1/challenges/{challenge_id}/applications", "揭榜方案（发榜方、评审专家、管理员见全部；揭榜单位只见本单位的）",
           answer(200, "方案", ref("ChallengeApplications")), params=one)
    doc.op("post", "/api/v1/challenges/{challenge_id}/applications", "提交揭榜方案（须声明利益冲突）",
           answer(201, "方案", ref("ChallengeApplication")), params=one, body=ref("ChallengeApplicationIn"))
    doc.op("get", "/api/v1/challenges/applications/{app_id}", "揭榜方案", answer(200, "方案", ref("ChallengeApplication")),
           params=app_id)
    doc.op("post", "/api/v1/challenges/applications/{app_id}/withdraw", "撤回揭榜方案（征集期内）",
           answer(200, "方案", ref("ChallengeApplication")), params=app_id)
    doc.op("get", "/api/v1/challenges/applications/{app_id}/scores",
           "评分与意见（专家见本人的；发榜方和管理员见全部；揭榜单位在结果公布后可见，专家不具名）",
           answer(200, "评分", ref("ChallengeScoreSheets")), params=app_id)
    doc.op("put", "/api/v1/challenges/applications/{app_id}/scores", "评审专家为方案逐项评分（0–100）与意见",
           answer(200, "评分", ref("ChallengeScoreSheets")), params=app_id, body=ref("ChallengeScoresIn"))
