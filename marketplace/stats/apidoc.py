"""The statistics routes in the OpenAPI document (called by api/openapi.py's build_spec)."""

from ..api.openapi import DECIMAL, YUAN, B, I, S, answer, array, enum, n, obj, path_id, query, ref
from ..core.vocab import CITIES
from .models import KINDS

FIGURES = {"count": {"type": "integer", "minimum": 0}, "amount": YUAN, "tech_amount": YUAN, "received": YUAN}
YEAR = query("year", {"type": "integer", "minimum": 1900, "maximum": 2999}, "年度（默认今年）；按登记日期计")


def document(spec, doc) -> None:
    from .schemas import TargetIn
    from .service import BY

    target = obj({"value": YUAN, "source": S, "indicator": S, "scope": S})
    spec.components.schema(
        "StatsContracts",
        obj(
            {
                "year": I,
                "by": enum(BY),
                "rows": array(obj({"key": S, "label": S, **FIGURES})),
                "total": obj(FIGURES),
                "target": n(target),
            }
        ),
    )
    spec.components.schema(
        "StatsSummary",
        obj(
            {
                "year": I,
                "scope": obj({"level": enum(("province", "city", "institution", "public")), "label": S}),
                "as_of": {"type": "string", "format": "date"},
                "total": obj(FIGURES),
                "target": n(target),
                "share": n(DECIMAL),
                "pace": n(obj({"fraction": DECIMAL, "value": YUAN, "ahead": B})),
                "previous": obj({"year": I, "total": obj(FIGURES)}),
                "yoy": n(DECIMAL),
                "counts": obj(
                    {"usefirst_listed": I, "usefirst_converted": I}, {"demands_collected": I, "brokers": I, "events": I}
                ),
            }
        ),
    )
    spec.components.schema(
        "StatsCities",
        obj(
            {
                "year": I,
                "rows": array(
                    obj({"city": S, **FIGURES, "target": n(target), "share": n(DECIMAL), "rank": n(I)})
                ),
            }
        ),
    )
    spec.components.schema("StatTargetIn", schema=TargetIn)
    spec.components.schema("StatTargetPatch", schema=TargetIn(partial=True))
    out = obj(
        {
            "id": I,
            "year": I,
            "scope": S,
            "scope_label": S,
            "indicator": S,
            "value": YUAN,
            "source": S,
            "is_current": B,
            "note": n(S),
        }
    )
    spec.components.schema("StatTargetOut", out)
    doc.op(
        "get",
        "/api/v1/stats/contracts",
        "技术合同成交额统计（按月/设区市/合同类型/产业/技术领域/卖方类型/输出与吸纳），按身份限定范围；公众仅全省合计",
        answer(200, "统计", ref("StatsContracts")),
        auth=False,
        params=[
            YEAR,
            query("by", enum(BY), "统计口径（默认 month）"),
            query("city", enum(CITIES), "设区市（管理员）"),
            query("kind", enum(KINDS), "合同类型（管理员）"),
            query("period", {"type": "string", "pattern": r"^\d{1,2}(-\d{1,2})?$"}, "月份范围，如 1-6"),
        ],
    )
    doc.op(
        "get",
        "/api/v1/stats/summary",
        "年度概况：合计、目标、完成率、进度线、同比、其他指标",
        answer(200, "概况", ref("StatsSummary")),
        auth=False,
        params=[YEAR],
    )
    doc.op(
        "get",
        "/api/v1/stats/cities",
        "各设区市成交额与本市目标完成率排名（省级；设区市仅本市）",
        answer(200, "排名", ref("StatsCities")),
        params=[YEAR],
    )
    doc.op(
        "get",
        "/api/v1/stats/targets",
        "目标（含各来源文件的版本；is_current 为采用值）",
        answer(200, "目标", obj({"items": array(ref("StatTargetOut"))})),
        auth=False,
        params=[
            query("year", {"type": "integer", "minimum": 1900, "maximum": 2999}),
            query("scope", {"type": "string", "maxLength": 32}, "province、设区市或 设区市/县级市"),
        ],
    )
    doc.op(
        "post",
        "/api/v1/stats/targets",
        "新增目标（该范围的管理员；审计）",
        answer(201, "目标", ref("StatTargetOut")),
        body=ref("StatTargetIn"),
    )
    doc.op(
        "put",
        "/api/v1/stats/targets/{target_id}",
        "修改目标（旧值保存在审计记录中）",
        answer(200, "目标", ref("StatTargetOut")),
        params=[path_id("target_id")],
        body=ref("StatTargetPatch"),
    )
    doc.op(
        "delete",
        "/api/v1/stats/targets/{target_id}",
        "删除目标（审计）",
        {"204": {"description": "已删除"}},
        params=[path_id("target_id")],
    )
