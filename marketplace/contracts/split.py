"""How the seller distributes a contract's net income: research team, institution, broker, and the team's
share per inventor. The percentages stored and shown are the ones the amounts are computed from
(money.split_shares), so both add up: to 100.00% and to the income, to the fen."""
from ..core.errors import ValidationFailed
from ..core.models import record_audit
from ..extensions import db
from . import money
from .models import Contract, IncomeSplit, InventorShare
from .permissions import require_party
from .schemas import SplitSchema
from .terms import invalid


def set_split(actor, c: Contract, data: dict) -> IncomeSplit:
    values = SplitSchema().validate_dict(data)
    require_party(actor, c, "seller", "登记收益分配")
    if values["net_income"] == "negotiable":
        raise ValidationFailed("净收入应为金额", {"net_income": "请填写金额"})
    if values["broker_percent"] and c.broker_id is None:
        raise ValidationFailed("该合同没有技术经纪人，经纪人比例应为 0", {"broker_percent": "应为 0"})
    try:
        parts = money.split_shares(values["net_income"], {"team": values["team_percent"],
                                                          "institution": values["institution_percent"],
                                                          "broker": values["broker_percent"]})
    except money.MoneyError as exc:
        raise invalid(exc) from None
    warning = money.team_warning(parts["team"].percent)
    if warning and not values["confirm_low_team_share"]:
        raise ValidationFailed(warning + "（确认无误请勾选“确认团队比例低于70%”）", {"team_percent": warning})
    inventors = values["inventors"]
    shares = {}
    if inventors:
        names = [i["name"] for i in inventors]
        if len(set(names)) != len(names):
            raise ValidationFailed("完成人姓名重复", {"inventors": "姓名重复"})
        try:
            shares = money.split_shares(parts["team"].amount, {i["name"]: i["percent"] for i in inventors})
        except money.MoneyError as exc:
            raise ValidationFailed("完成人份额合计应为 100%", {"inventors": str(exc)}) from None
    row = IncomeSplit.query.filter_by(contract_id=c.id).first() or IncomeSplit(contract_id=c.id)
    row.net_income = money.fen(values["net_income"])
    row.team_percent, row.team_amount = parts["team"].percent, parts["team"].amount
    row.institution_percent, row.institution_amount = parts["institution"].percent, parts["institution"].amount
    row.broker_percent, row.broker_amount = parts["broker"].percent, parts["broker"].amount
    row.warning = warning
    row.shares.clear()
    for name, share in shares.items():
        row.shares.append(InventorShare(name=name, percent=share.percent, amount=share.amount))
    db.session.add(row)
    db.session.flush()
    record_audit(actor, "contract", c.id, "income-split", details={
        "net_income": str(row.net_income), "team": str(row.team_amount),
        "institution": str(row.institution_amount), "broker": str(row.broker_amount),
        "inventors": {s.name: str(s.amount) for s in row.shares}, "warning": warning})
    return row


def split_of(c: Contract) -> IncomeSplit | None:
    return IncomeSplit.query.filter_by(contract_id=c.id).first()


def split_dict(row: IncomeSplit | None) -> dict | None:
    if row is None:
        return None
    return {"net_income": str(row.net_income), "team_percent": str(row.team_percent),
            "institution_percent": str(row.institution_percent), "broker_percent": str(row.broker_percent),
            "team_amount": str(row.team_amount), "institution_amount": str(row.institution_amount),
            "broker_amount": str(row.broker_amount), "warning": row.warning,
            "inventors": [{"name": s.name, "percent": str(s.percent), "amount": str(s.amount)} for s in row.shares]}
