"""A contract's life: entered by a party or its broker (with the links it may make), terms set, submitted,
registered or returned by the competent registrar. Registration is announced through
core.signals.contract_registered; other domains (先用后转) react to it without being imported here."""
from datetime import date

from ..accounts.models import Organisation, User
from ..core import permissions as perm
from ..core.errors import Conflict, Forbidden, ValidationFailed
from ..core.models import record_audit
from ..core.signals import contract_registered
from ..core.workflow import Transition, Workflow
from ..extensions import db
from . import notify, numbering
from .models import EDITABLE, STATUSES, Contract
from .permissions import can_register, can_view, is_party, require_party
from .schemas import ContractSchema, DecisionSchema
from .terms import build_terms, sync_schedule, terms_dict


def _org(org_id, label) -> Organisation:
    org = db.session.get(Organisation, org_id) if isinstance(org_id, int) else None
    if org is None or org.status != "approved" or org.kind == "admin_centre":
        raise ValidationFailed(f"{label}不存在或未通过审核", {label: "请选择已注册的单位"})
    return org


def _is_broker(actor) -> bool:
    return perm.is_authenticated(actor) and actor.role == "broker"


def _links(actor, values: dict) -> dict:
    """The optional links (achievement, demand, introduction, broker), checked against the parties and what
    the acting user may see. A broker who is not a party enters a contract only from an introduction of its
    own: the demand introduced is the buyer's and the achievement introduced the seller's."""
    from ..achievements.models import Achievement
    from ..brokers.models import Introduction
    from ..demands.models import Demand
    seller_id, buyer_id = values["seller_org_id"], values["buyer_org_id"]
    party = perm.is_authenticated(actor) and actor.org_id in (seller_id, buyer_id)
    out = {}
    if values.get("introduction_id") is not None:
        intro = db.session.get(Introduction, values["introduction_id"])
        if intro is None:
            raise ValidationFailed("撮合记录不存在", {"introduction_id": "请选择撮合记录"})
        if not party and intro.broker_id != actor.id:
            raise Forbidden("只能关联本人的撮合记录")
        if intro.demand.owner_org_id != buyer_id:
            raise ValidationFailed("关联撮合记录应为买方需求的撮合", {"introduction_id": "撮合记录与买方不符"})
        if intro.achievement_id is not None and intro.achievement.owner_org_id != seller_id:
            raise ValidationFailed("撮合记录引荐的成果不属于卖方", {"introduction_id": "撮合记录与卖方不符"})
        if not party and intro.achievement_id is None:
            raise ValidationFailed("该撮合尚未引荐成果，不能据此录入合同", {"introduction_id": "尚未引荐成果"})
        out.update(introduction_id=intro.id, broker_id=intro.broker_id, demand_id=intro.demand_id)
        if intro.achievement_id is not None:
            out["achievement_id"] = intro.achievement_id
    elif not party:
        raise Forbidden("技术经纪人只能根据本人的撮合记录录入合同；其他单位之间的合同由合同一方录入")
    for key, model, org_id, what in (("achievement_id", Achievement, seller_id, ("成果", "卖方", "撮合记录引荐的成果")),
                                     ("demand_id", Demand, buyer_id, ("需求", "买方", "撮合记录的需求"))):
        if values.get(key) is not None:
            out[key] = _linked(actor, model, values[key], org_id, out.get(key), key, *what)
    if _is_broker(actor) and values.get("broker_id") not in (None, actor.id):
        raise Forbidden("技术经纪人只能以本人名义录入合同")
    if values.get("broker_id") is not None and values["broker_id"] != out.get("broker_id", values["broker_id"]):
        raise ValidationFailed("技术经纪人与撮合记录不一致", {"broker_id": "与撮合记录不符"})
    if values.get("broker_id") is not None and "broker_id" not in out:
        broker = db.session.get(User, values["broker_id"])
        if broker is None or broker.role != "broker":
            raise ValidationFailed("技术经纪人不存在", {"broker_id": "请选择技术经纪人"})
        out["broker_id"] = broker.id
    if _is_broker(actor):
        out.setdefault("broker_id", actor.id)
    return out


def _linked(actor, model, obj_id, org_id, from_intro, key, noun, side, intro_noun) -> int:
    """A linked record must be the party's, visible to the actor, and agree with the introduction's."""
    obj = db.session.get(model, obj_id)
    if obj is None or obj.owner_org_id != org_id or not perm.can_view(actor, obj):
        raise ValidationFailed(f"关联{noun}应为{side}单位已发布的{noun}", {key: f"{noun}不属于{side}或未发布"})
    if from_intro not in (None, obj.id):
        raise ValidationFailed(f"关联{noun}与{intro_noun}不一致", {key: "与撮合记录不符"})
    return obj.id


def create(actor, data: dict) -> Contract:
    values = ContractSchema().validate_dict(data)
    seller, buyer = _org(values["seller_org_id"], "卖方"), _org(values["buyer_org_id"], "买方")
    if not (perm.is_authenticated(actor) and actor.active
            and (actor.org_id in (seller.id, buyer.id) or _is_broker(actor))):
        raise Forbidden("只有合同一方或其技术经纪人可以录入合同")
    if not buyer.uscc and buyer.kind == "company":
        raise ValidationFailed("买方企业缺少统一社会信用代码", {"buyer_org_id": "请先补全单位信息"})
    links = _links(actor, values)
    c = Contract(kind=values["kind"], transfer_form=values.get("transfer_form") if values["kind"] == "技术转让" else None,
                 title=values["title"], seller_org_id=seller.id, buyer_org_id=buyer.id, seller_uscc=seller.uscc,
                 buyer_uscc=buyer.uscc or "", amount=values["amount"], signed_on=values["signed_on"],
                 city=values["city"], industry=values["industry"], status="draft", created_by_id=actor.id, **links)
    c.seller, c.buyer = seller, buyer
    db.session.add(c)
    sheet = build_terms(seller.id, data["terms"]) if values.get("terms") else None
    db.session.flush()
    sync_schedule(c, sheet)
    record_audit(actor, "contract", c.id, "create", None, "draft", details={"amount": str(c.amount)})
    return c


def set_terms(actor, c: Contract, data) -> Contract:
    """New terms for a draft or returned contract; lines already paid and royalty lines stay (sync_schedule)."""
    require_party(actor, c, None, "修改合同条款")
    if c.status not in EDITABLE:
        raise Conflict("合同已提交登记，条款不能再改；如需变更请先由登记机构退回")
    sync_schedule(c, build_terms(c.seller_org_id, data))
    record_audit(actor, "contract", c.id, "terms", details=terms_dict(c.terms))
    return c


def _party_may(actor, c: Contract) -> bool:
    return is_party(actor, c) and actor.active


WORKFLOW = Workflow.of("contract", [
    Transition("submit", frozenset(EDITABLE), "submitted", "提交合同登记", "party"),
    Transition("register", frozenset({"submitted"}), "registered", "登记", "registrar"),
    Transition("return", frozenset({"submitted"}), "returned", "退回修改", "registrar", needs_reason=True, min_reason=4),
], {"party": _party_may, "registrar": can_register}, state_labels=STATUSES, can_view=can_view,
    not_found="没有找到该合同")


def submit(actor, c: Contract) -> Contract:
    if not _party_may(actor, c):
        require_party(actor, c, None, "提交合同登记")  # says who may
    WORKFLOW.fire(actor, c, "submit")
    c.return_reason = None
    return c


def register(actor, c: Contract, data: dict, today: date | None = None) -> Contract:
    values = DecisionSchema().validate_dict(data or {})
    if not can_register(actor, c):
        raise Forbidden(f"该合同应由{c.city}市技术合同登记机构或省级中心登记")
    if c.status != "submitted":
        raise Conflict("只有待登记的合同可以登记")
    today = today or date.today()
    number = numbering.assign(c, values.get("registration_no"), today)
    WORKFLOW.fire(actor, c, "register", details={"registration_no": number})
    c.registered_on, c.registrar_org_id = today, actor.org_id
    contract_registered.send(c)
    notify.tell(c, f"合同已登记：{c.title[:40]}", f"技术合同“{c.title}”已由{actor.org.name}登记，登记编号 {number}。")
    return c


def return_for_changes(actor, c: Contract, data: dict) -> Contract:
    values = DecisionSchema().validate_dict(data or {})
    if not can_register(actor, c):
        raise Forbidden(f"该合同应由{c.city}市技术合同登记机构或省级中心审核")
    WORKFLOW.fire(actor, c, "return", values.get("reason"))
    c.return_reason = values["reason"].strip()
    notify.tell(c, f"合同被退回修改：{c.title[:40]}", f"技术合同“{c.title}”被登记机构退回，原因：{c.return_reason}。修改后可重新提交。")
    return c
