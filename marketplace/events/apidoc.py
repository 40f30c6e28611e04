"""The events routes of the OpenAPI document (called by marketplace/api/openapi.build_spec)."""
from ..api.openapi import (DATE, DATETIME, PAGING, YUAN, B, I, S, answer, array, envelope, enum, n, obj, path_id,
                           query, ref)
from ..core.vocab import CITIES
from .models import INTEREST_STATUSES, KINDS, REGISTRATION_STATUSES, STATUSES
from .schemas import CheckinIn, EventIn, InterestIn, IntroduceIn

ACTIONS = {"publish": "发布活动", "close-registration": "截止报名", "hold": "标记为已举办（活动开始后）",
           "close": "结束活动", "cancel": "取消活动（reason 必填，至少4个字；通知报名者）"}


def document(spec, doc) -> None:
    spec.components.schema("EventIn", schema=EventIn)
    spec.components.schema("EventUpdateIn", schema=EventIn(partial=True))
    spec.components.schema("EventCheckinIn", schema=CheckinIn)
    spec.components.schema("EventInterestIn", schema=InterestIn)
    spec.components.schema("EventIntroduceIn", schema=IntroduceIn)
    seats = obj({"capacity": I, "registered": I, "waitlisted": I, "free": I})
    presented = obj({"achievement_id": n(I), "challenge_id": n(I), "title": n(S), "institution": n(S),
                     "presenter": n(S)})
    agenda = obj({"starts_at": DATETIME, "ends_at": n(DATETIME), "title": S, "speaker": n(S)})
    spec.components.schema("Event", obj({
        "id": I, "ref": n(S), "title": S, "kind": enum(KINDS), "summary": n(S), "organiser": S,
        "organiser_org_id": I, "starts_at": DATETIME, "ends_at": DATETIME, "registration_deadline": DATETIME,
        "city": n(S), "venue": n(S), "online_url": n(S), "capacity": I, "industries": array(S),
        "audience_cities": array(S), "status": enum(STATUSES), "status_label": S, "cancel_reason": n(S),
        "presented": array(presented), "agenda": array(agenda), "brokers": array(obj({"id": I, "name": S})),
        "published_at": n(DATETIME), "seats": seats, "registration_open": B}))
    spec.components.schema("EventRegistration", obj({
        "id": I, "event_id": I, "event_title": S, "user": S, "org": S, "status": enum(REGISTRATION_STATUSES),
        "status_label": S, "waitlist_position": n(I), "note": n(S), "code": S, "created_at": DATETIME,
        "checked_in_at": n(DATETIME)}))
    spec.components.schema("EventInterest", obj({
        "id": I, "event_id": I, "event_title": S, "achievement_id": I, "achievement_title": S, "org": S,
        "org_id": I, "demand_id": n(I), "note": n(S), "status": enum(INTEREST_STATUSES), "status_label": S,
        "introduction_id": n(I), "created_at": DATETIME}))
    spec.components.schema("EventOutcomes", obj({
        "registered": I, "waitlisted": I, "attendees": I, "interests": I, "introductions": I, "contracts": I,
        "contract_value": YUAN, "contract_items": array(obj({"id": I, "title": S, "amount": YUAN, "signed_on": DATE,
                                                             "status": S}))}))
    event, one = ref("Event"), [path_id("event_id")]
    registration = ref("EventRegistration")
    doc.op("get", "/api/v1/events", "路演与对接会列表（when=upcoming 即将举办 / past 往期；按类型、城市筛选，分页）",
           answer(200, "活动", envelope(event)),
           params=[query("when", enum(["upcoming", "past"]), "即将举办或往期（默认全部，按开始时间）"),
                   query("kind", enum(KINDS), "活动类型"), query("city", enum(CITIES), "举办城市"), *PAGING],
           auth=False)
    doc.op("post", "/api/v1/events", "举办活动（省级、设区市中心管理员；保存为草稿，时间为北京时间）",
           answer(201, "活动", event), body=ref("EventIn"))
    doc.op("get", "/api/v1/events/{event_id}", "活动详情（草稿仅主办单位可见）", answer(200, "活动", event),
           params=one, auth=False)
    doc.op("put", "/api/v1/events/{event_id}", "修改活动（主办单位；时间或地点变更会通知报名者；提高名额自动递补候补）",
           answer(200, "活动", event), params=one, body=ref("EventUpdateIn"))
    for action, label in ACTIONS.items():
        doc.op("post", f"/api/v1/events/{{event_id}}/{action}", f"主办单位{label}", answer(200, "活动", event),
               params=one, body=obj(optional={"reason": n({"type": "string", "maxLength": 1000})}),
               body_required=False)
    doc.op("post", "/api/v1/events/{event_id}/registrations",
           "报名（企业、高校院所用户；每人每场一次；名额满则进入候补，有人取消时自动递补）",
           answer(201, "报名", registration), params=one,
           body=obj(optional={"note": n({"type": "string", "maxLength": 500})}), body_required=False)
    doc.op("get", "/api/v1/events/{event_id}/registrations", "报名名单（仅主办单位）",
           answer(200, "报名", envelope(registration)),
           params=[*one, query("status", enum(REGISTRATION_STATUSES)), *PAGING])
    doc.op("get", "/api/v1/events/registrations/mine", "我的报名", answer(200, "报名", envelope(registration)),
           params=PAGING)
    doc.op("post", "/api/v1/events/registrations/{reg_id}/cancel", "取消本人的报名（候补第一位自动递补）",
           answer(200, "报名", registration), params=[path_id("reg_id")])
    doc.op("post", "/api/v1/events/{event_id}/checkin", "签到（主办单位；签到码或报名编号）",
           answer(200, "报名", registration), params=one, body=ref("EventCheckinIn"))
    doc.op("post", "/api/v1/events/{event_id}/interests",
           "登记对接意向（活动开始后，获得名额的参会者；成为活动对接经纪人的线索）",
           answer(201, "意向", ref("EventInterest")), params=one, body=ref("EventInterestIn"))
    doc.op("get", "/api/v1/events/{event_id}/outcomes",
           "活动成效：报名、签到、意向、转为撮合、签约合同数与金额（合同明细仅主办单位可见）",
           answer(200, "成效", ref("EventOutcomes")), params=one, auth=False)
    doc.op("get", "/api/v1/events/leads", "对接线索（经纪人：所对接活动的意向；主办单位：本中心活动的；参会单位：本单位的）",
           answer(200, "线索", envelope(ref("EventInterest"))),
           params=[query("status", enum(INTEREST_STATUSES)), *PAGING])
    doc.op("post", "/api/v1/events/interests/{interest_id}/introduce",
           "活动对接经纪人将线索转为撮合（认领该单位已发布的需求并引荐成果）",
           answer(200, "意向", ref("EventInterest")), params=[path_id("interest_id")], body=ref("EventIntroduceIn"))
