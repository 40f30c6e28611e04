"""Two-way push (双向互推), feedback and next steps.

When a demand or an achievement is published, its strong matches are pushed to both sides: an in-site
notification and a stored e-mail for every user of the two organisations, at most once per pair and within a
daily cap per user. The publication only queues the record (in its own transaction); the queue is processed
after the commit, once the search index has the record.
"""
from datetime import datetime, time

from flask import current_app

from ..accounts.models import User
from ..core import listings
from ..core import permissions as perm
from ..core import uow
from ..core.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from ..core.models import record_audit, utcnow
from ..extensions import db
from . import learning, service, store
from ..notifications.service import tell, tell_orgs
from ..notifications.models import Notification
from .models import MatchFeedback, MatchPush, MatchRequest, NextStep, PushQueue

DAILY_CAP = 20
REASONS = ["技术不对口", "成熟度不够", "价格不合适", "已有方案", "其他"]
PANEL_REASONS = ["技术不对口", "成熟度不够", "价格不合适", "其他"]  # the short list the match panel offers
VERDICTS = {"interested": "感兴趣", "irrelevant": "不相关"}


def enqueue(actor, lib, obj) -> None:
    """Called by the workflow when a demand or achievement is published."""
    db.session.add(PushQueue(entity_type=obj.entity_type, entity_id=obj.id))
    uow.after_commit(_queue, key="match-push", order=20)  # after the index has the record


def _queue() -> None:
    """The push runs on the task queue (marketplace.tasks.push_matches), not in the web process."""
    from ..tasks import enqueue_push
    enqueue_push()


for _key in ("demands", "achievements"):
    listings.on_publish(_key, enqueue)


def _today_start() -> datetime:
    return datetime.combine(utcnow().date(), time.min)


def _room(user_id: int) -> bool:
    cap = current_app.config.get("MATCH_PUSH_DAILY_CAP", DAILY_CAP)
    sent = Notification.query.filter(Notification.user_id == user_id, Notification.kind == "match",
                                     Notification.created_at >= _today_start()).count()
    return sent < cap


def _notify(user: User, title: str, body: str, link: str) -> bool:
    if not user.active or not _room(user.id):
        return False
    tell(user, "match", title, body, link)
    return True


def dismissed(demand_id: int | None = None, achievement_id: int | None = None, side: str | None = None) -> set:
    """Pairs marked 不相关 (by `side`, or by either side when None), as (demand_id, achievement_id)."""
    q = MatchFeedback.query.filter_by(verdict="irrelevant")
    if demand_id is not None:
        q = q.filter_by(demand_id=demand_id)
    if achievement_id is not None:
        q = q.filter_by(achievement_id=achievement_id)
    if side:
        q = q.filter_by(side=side)
    return {(f.demand_id, f.achievement_id) for f in q}


def push_for(obj) -> int:
    """Push the strong matches of one published record; returns how many pairs were pushed."""
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    is_demand = isinstance(obj, Demand)
    found = store.read(obj, 10, fresh=True)  # the stored list (computed now if the change is still queued)
    if found["abstained"]:
        return 0
    pushed = 0
    no = dismissed(demand_id=obj.id) if is_demand else dismissed(achievement_id=obj.id)
    dealt = learning.signed_with(obj.entity_type, obj.id)  # a pair with a deal already needs no introduction
    for item in found["items"]:
        if item["band"] != "强" or item["id"] in dealt:
            continue
        demand = obj if is_demand else db.session.get(Demand, item["id"])
        achievement = db.session.get(Achievement, item["id"]) if is_demand else obj
        pair = (demand.id, achievement.id)
        if pair in no or MatchPush.query.filter_by(demand_id=pair[0], achievement_id=pair[1]).first():
            continue
        reasons = "；".join(item.get("reasons", [])[:3])
        # Plain paths under SITE_URL: pushes also run from the CLI, outside any request.
        site = current_app.config.get("SITE_URL", "").rstrip("/")
        demand_link, achievement_link = f"{site}/demands/{demand.id}", f"{site}/achievements/{achievement.id}"
        sent = False
        for user in User.query.filter_by(org_id=demand.owner_org_id, role="company"):
            sent |= _notify(user, f"为您的需求找到匹配成果：{achievement.title[:40]}",
                            f"需求“{demand.title}”与成果“{achievement.title}”匹配度{item['score']}（{item['band']}）。{reasons}",
                            achievement_link)
        for user in User.query.filter_by(org_id=achievement.owner_org_id, role="institution"):
            sent |= _notify(user, f"您的成果可能解决企业需求：{demand.title[:40]}",
                            f"成果“{achievement.title}”与需求“{demand.title}”匹配度{item['score']}（{item['band']}）。{reasons}",
                            demand_link)
        if sent:  # a pair nobody could be told about (caps) stays unpushed and may go out another day
            db.session.add(MatchPush(demand_id=demand.id, achievement_id=achievement.id, score=item["score"],
                                     band=item["band"]))
            pushed += 1
    return pushed


def process_queue(limit: int = 50) -> int:
    from ..searching.documents import MODELS
    done = 0
    for row in PushQueue.query.order_by(PushQueue.id).limit(limit).all():
        obj = db.session.get(MODELS[row.entity_type], row.entity_id)
        if obj is not None and obj.status == "published":
            done += push_for(obj)
        db.session.delete(row)
        db.session.commit()
    return done


def try_process() -> None:
    try:
        process_queue()
    except Exception:  # noqa: BLE001 — the queue rows stay for `flask match push`
        db.session.rollback()
        current_app.logger.warning("match push queue not processed now", exc_info=True)


PAIR_NOT_FOUND = "没有找到该需求或成果"


def _side(actor, demand, achievement) -> str:
    """The actor's side of the pair: its own organisation's record, the other record visible to it (published,
    or its own). Anything else is answered as if the pair did not exist, so feedback never reveals a draft."""
    if perm.is_owner(actor, demand) and perm.can_view(actor, achievement):
        return "demand"
    if perm.is_owner(actor, achievement) and perm.can_view(actor, demand):
        return "achievement"
    raise NotFound(PAIR_NOT_FOUND)


def feedback(actor, demand, achievement, verdict: str, reason: str | None) -> MatchFeedback:
    side = _side(actor, demand, achievement)  # before validating anything: a refusal must look like a 404
    if verdict not in VERDICTS:
        raise ValidationFailed("verdict 只能是 interested（感兴趣）或 irrelevant（不相关）", {"verdict": "无效"})
    if verdict == "irrelevant" and reason not in REASONS:
        raise ValidationFailed("请选择不相关的原因：" + "、".join(REASONS), {"reason": "请选择原因"})
    row = MatchFeedback.query.filter_by(demand_id=demand.id, achievement_id=achievement.id, side=side).first()
    if row is None:
        row = MatchFeedback(demand_id=demand.id, achievement_id=achievement.id, side=side, user_id=actor.id,
                            verdict=verdict)
        db.session.add(row)
    row.verdict, row.reason, row.user_id = verdict, reason if verdict == "irrelevant" else None, actor.id
    db.session.flush()
    record_audit(actor, "match_feedback", row.id, verdict, details={"demand": demand.id,
                                                                  "achievement": achievement.id, "reason": reason})
    # Readers apply this side's verdicts at once; the scores both sides see move when the two lists are
    # recomputed (feedback re-weights them), right after the commit.
    store.enqueue("demand", [demand.id], propagate=False)
    store.enqueue("achievement", [achievement.id], propagate=False)
    return row


def request_contact(actor, demand, achievement) -> tuple[MatchRequest, bool]:
    """申请对接: one side asks to be put in touch with the other about this pair. Marks the pair 感兴趣, tells
    the other organisation (and records it for the brokers); asking twice changes nothing. (row, created)."""
    side = _side(actor, demand, achievement)
    row = MatchRequest.query.filter_by(demand_id=demand.id, achievement_id=achievement.id, side=side).first()
    if row is not None:
        return row, False
    row = MatchRequest(demand_id=demand.id, achievement_id=achievement.id, side=side, user_id=actor.id)
    db.session.add(row)
    db.session.flush()
    feedback(actor, demand, achievement, "interested", None)
    record_audit(actor, "match_request", row.id, "request", details={"demand": demand.id,
                                                                     "achievement": achievement.id, "side": side})
    site = current_app.config.get("SITE_URL", "").rstrip("/")
    if side == "demand":
        tell_orgs([achievement.owner_org_id], "match", f"企业申请对接您的成果：{achievement.title[:40]}",
                  f"{demand.owner_org.name}就需求“{demand.title}”申请与成果“{achievement.title}”对接。",
                  f"{site}/demands/{demand.id}", role="institution")
    else:
        tell_orgs([demand.owner_org_id], "match", f"科研单位申请对接您的需求：{demand.title[:40]}",
                  f"{achievement.owner_org.name}就成果“{achievement.title}”申请与需求“{demand.title}”对接。",
                  f"{site}/achievements/{achievement.id}", role="company")
    return row, True


def requests_for(entity_type: str, entity_id: int) -> set[int]:
    """The other records this record's side asked to be put in touch with."""
    col = MatchRequest.demand_id if entity_type == "demand" else MatchRequest.achievement_id
    other = MatchRequest.achievement_id if entity_type == "demand" else MatchRequest.demand_id
    return set(db.session.scalars(db.select(other).where(col == entity_id, MatchRequest.side == entity_type)))


NEXT_STEP_CODES = {s["code"]: s["label"] for s in service.NEXT_STEPS}


def can_choose_next_step(actor, demand) -> bool:
    """The demand's company, an administrator whose scope holds it, or a broker (on a demand it can see)."""
    return (perm.can_view(actor, demand)
            and (perm.is_owner(actor, demand) or perm.in_admin_scope(actor, demand.owner_org)
                 or (perm.is_authenticated(actor) and actor.role == "broker" and actor.active)))


def choose_next_step(actor, demand, step: str) -> NextStep:
    """`demand` comes from listings.get (a draft the actor may not see is a 404 there)."""
    if not can_choose_next_step(actor, demand):
        if not perm.can_view(actor, demand):
            raise NotFound("没有找到该需求")
        raise Forbidden("只有需求企业、技术经纪人或主管该企业的管理员可以选择下一步")
    if step not in NEXT_STEP_CODES:
        raise BadRequest("step 只能是 " + " / ".join(NEXT_STEP_CODES))
    row = NextStep(demand_id=demand.id, step=step, user_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record_audit(actor, "demand", demand.id, f"next-step:{step}", reason=NEXT_STEP_CODES[step])
    return row


def get_pair(demand_id, achievement_id):
    """Both records by id, unchecked: `feedback` decides whether the actor may see the pair."""
    from ..achievements.models import Achievement
    from ..demands.models import Demand
    try:
        demand, achievement = db.session.get(Demand, int(demand_id)), db.session.get(Achievement, int(achievement_id))
    except (TypeError, ValueError):
        raise BadRequest("demand_id 和 achievement_id 应为整数") from None
    if demand is None or achievement is None:
        raise NotFound(PAIR_NOT_FOUND)
    return demand, achievement
