"""The OpenAPI description of the commission and reward endpoints (called by api/openapi.build_spec)."""
from ..api.openapi import (B, DATE, DECIMAL, ID, PAGING, S, XLSX, YUAN, I, answer, array, enum, envelope, n, obj,
                           path_id, query, ref)
from . import calc
from .models import AGREEMENT_STATUSES, ENTRY_KINDS, LIST_STATUSES, RECIPIENT_KINDS
from .schemas import (AgreementSchema, DisburseSchema, InvoiceSchema, PaidSchema, PublishSchema, ReasonSchema,
                      RewardRuleSchema, SplitNoteSchema)

YEAR = query("year", {"type": "integer", "minimum": 2000, "maximum": 2999}, "年度（默认全部）")


def _schemas() -> dict:
    party = obj({"id": I, "name": S})
    entry = obj({"id": I, "agreement_id": I, "contract_id": n(I), "broker_id": I, "broker": S,
                 "payer": enum(("seller", "buyer")), "kind": enum(ENTRY_KINDS), "kind_label": S,
                 "medium": enum(("cash", "equity")), "amount": YUAN, "equity_shares": n(DECIMAL),
                 "equity_percent": n(DECIMAL), "entry_on": DATE, "source": S, "reverses_id": n(I),
                 "payment_id": n(I), "invoice_no": n(S), "bank_ref": n(S), "note": n(S),
                 "effect": enum(("accrual", "confirmation", "payment"))})
    check = obj({"ok": B, "explained": B, "split_broker_amount": YUAN, "expected": YUAN, "message": S})
    agreement = obj({"id": I, "introduction_id": n(I), "contract_id": n(I), "seller": party, "buyer": party,
                     "payer": enum(calc.PAYERS), "payer_label": S, "seller_share": n(DECIMAL),
                     "basis": enum(calc.BASES), "basis_label": S, "rate": n(DECIMAL), "fee": n(YUAN),
                     "tiers": n(array(obj({"upto": n(YUAN), "rate": DECIMAL}))), "cap": n(YUAN),
                     "equity_mode": n(S), "equity_shares": n(DECIMAL), "equity_percent": n(DECIMAL),
                     "status": enum(AGREEMENT_STATUSES), "status_label": S, "seller_confirmed": B,
                     "buyer_confirmed": B, "decline_reason": n(S), "split_note": n(S), "note": n(S),
                     "brokers": array(obj({"broker_id": I, "name": S, "share": DECIMAL})),
                     "entries": array(ref("CommissionEntry")), "split_check": n(check), "actions": array(S)})
    totals = {"accrued": YUAN, "confirmed": YUAN, "paid": YUAN, "outstanding": YUAN}
    deal = obj({"agreement_id": I, "contract_id": n(I), "contract": S, "registration_no": n(S), "basis": S, **totals,
                "equity": array(obj({"shares": n(DECIMAL), "company_percent": n(DECIMAL), "value": YUAN}))})
    statement = obj({"from": n(DATE), "to": n(DATE), **totals, "deals": array(deal),
                     "entries": array(ref("CommissionEntry"))},
                    {"broker": S, "broker_name": S, "agency": S, "scope": S,
                     "brokers": array(obj({"broker_id": I, "name": S, **totals}))})
    rule = obj({"id": I, "name": S, "year": I, "city": n(S), "centre": S, "recipient_kind": enum(RECIPIENT_KINDS),
                "recipient_label": S, "method": enum(calc.REWARD_METHODS),
                "tiers": n(array(obj({"upto": n(YUAN), "rate": DECIMAL}))), "base": n(YUAN),
                "permille": n(DECIMAL), "annual_cap": n(YUAN), "require_payment": B, "require_invoice": B,
                "contract_kinds": n(array(S)), "note": n(S)})
    line = obj({"id": I, "recipient_name": S, "recipient_user_id": n(I), "recipient_org_id": n(I),
                "contracts_amount": YUAN, "computed": YUAN, "amount": YUAN, "evidence": {"type": "object"},
                "disbursed_on": n(DATE), "disbursement_ref": n(S)})
    reward_list = obj({"id": I, "rule_id": I, "rule": S, "year": I, "status": enum(LIST_STATUSES), "status_label": S,
                       "computed_on": DATE, "publicity_starts_on": n(DATE), "publicity_ends_on": n(DATE),
                       "total": YUAN, "lines": array(ref("RewardLine"))},
                      {"left_out": array({"type": "object"})})
    return {"CommissionEntry": entry, "CommissionAgreement": agreement,
            "CommissionAgreementList": envelope(ref("CommissionAgreement")),
            "CommissionEntries": obj({"items": array(ref("CommissionEntry"))}),
            "CommissionStatement": statement, "RewardRule": rule, "RewardRuleList": envelope(ref("RewardRule")),
            "RewardLine": line, "RewardList": reward_list, "RewardLists": envelope(ref("RewardList")),
            "PaymentInvoice": obj({"id": I, "payment_id": I, "contract_id": I, "invoice_no": S, "contract_no": S})}


def document(spec, doc) -> None:
    for name, schema in _schemas().items():
        spec.components.schema(name, schema)
    for name, schema in (("CommissionAgreementIn", AgreementSchema), ("CommissionPaidIn", PaidSchema),
                         ("CommissionReasonIn", ReasonSchema), ("CommissionSplitNoteIn", SplitNoteSchema), ("PaymentInvoiceIn", InvoiceSchema),
                         ("RewardRuleIn", RewardRuleSchema), ("RewardPublishIn", PublishSchema),
                         ("RewardDisburseIn", DisburseSchema)):
        spec.components.schema(name, schema=schema)
    ag, agid = ref("CommissionAgreement"), [path_id("agreement_id")]
    base = "/api/v1/commissions"
    doc.op("get", f"{base}/agreements", "可见的佣金协议（双方、经纪人、辖区管理员）",
           answer(200, "佣金协议", ref("CommissionAgreementList")),
           params=[query("status", enum(AGREEMENT_STATUSES)), *PAGING])
    doc.op("post", f"{base}/agreements", "录入佣金协议（撮合记录或合同；propose=true 同时提交付款方确认）",
           answer(201, "佣金协议", ag), body=ref("CommissionAgreementIn"))
    doc.op("get", f"{base}/agreements/{{agreement_id}}", "佣金协议、台账（经纪人只见本人记录）与收益分配核对",
           answer(200, "佣金协议", ag), params=agid)
    doc.op("post", f"{base}/agreements/{{agreement_id}}/propose", "提交付款方确认", answer(200, "佣金协议", ag),
           params=agid)
    doc.op("post", f"{base}/agreements/{{agreement_id}}/confirm", "付款方确认（各付款方都确认后生效并补记计提）",
           answer(200, "佣金协议", ag), params=agid)
    doc.op("post", f"{base}/agreements/{{agreement_id}}/decline", "付款方拒绝（reason）", answer(200, "佣金协议", ag),
           params=agid, body=ref("CommissionReasonIn"))
    doc.op("put", f"{base}/agreements/{{agreement_id}}/split-note", "卖方说明收益分配与协议不一致的原因",
           answer(200, "佣金协议", ag), params=agid, body=ref("CommissionSplitNoteIn"))
    eid, written = [path_id("entry_id")], answer(201, "新增的台账记录", ref("CommissionEntries"))
    doc.op("post", f"{base}/entries/{{entry_id}}/confirm", "付款方确认一笔计提", written, params=eid)
    doc.op("post", f"{base}/entries/{{entry_id}}/paid", "技术经纪人登记已支付（发票号、银行回单号）", written, params=eid,
           body=ref("CommissionPaidIn"))
    doc.op("post", f"{base}/entries/{{entry_id}}/reverse", "冲销一笔计提及其确认、支付（reason；不修改原记录）", written,
           params=eid, body=ref("CommissionReasonIn"))
    broker = query("broker_id", dict(ID), "技术经纪人（默认本人；管理员可查辖区内经纪人）")
    doc.op("get", f"{base}/statement", "技术经纪人佣金对账单", answer(200, "对账单", ref("CommissionStatement")),
           params=[broker, YEAR])
    doc.op("get", f"{base}/agency-statement", "技术转移机构佣金对账单（默认本人所在机构）",
           answer(200, "对账单", ref("CommissionStatement")), params=[query("org_id", dict(ID), "机构"), YEAR])
    doc.op("get", f"{base}/admin-statement", "辖区佣金汇总（管理员）", answer(200, "对账单", ref("CommissionStatement")),
           params=[YEAR])
    doc.op("get", f"{base}/statement.xlsx", "佣金对账单 Excel", XLSX, params=[broker, YEAR])
    doc.op("post", f"{base}/payments/{{payment_id}}/invoice", "卖方登记到账的发票（发票号、发票所载合同编号）",
           answer(201, "发票", ref("PaymentInvoice")), params=[path_id("payment_id")], body=ref("PaymentInvoiceIn"))
    rid, lid = [path_id("rule_id")], [path_id("list_id")]
    doc.op("get", "/api/v1/rewards/rules", "奖补规则（管理员辖区）", answer(200, "规则", ref("RewardRuleList")),
           params=PAGING)
    doc.op("post", "/api/v1/rewards/rules", "新建奖补规则（省级中心或本市中心）", answer(201, "规则", ref("RewardRule")),
           body=ref("RewardRuleIn"))
    doc.op("get", "/api/v1/rewards/rules/{rule_id}", "奖补规则", answer(200, "规则", ref("RewardRule")), params=rid)
    doc.op("put", "/api/v1/rewards/rules/{rule_id}", "修改奖补规则（名单公示前）", answer(200, "规则", ref("RewardRule")),
           params=rid, body=ref("RewardRuleIn"))
    doc.op("post", "/api/v1/rewards/rules/{rule_id}/compute", "计算（或重算）奖补名单（免申即享）",
           answer(201, "名单", ref("RewardList")), params=rid)
    doc.op("get", "/api/v1/rewards/lists", "奖补名单（公示中与已定的公开；管理员另见待审核）",
           answer(200, "名单", ref("RewardLists")), params=PAGING, auth=False)
    doc.op("get", "/api/v1/rewards/lists/{list_id}", "奖补名单与依据", answer(200, "名单", ref("RewardList")), params=lid,
           auth=False)
    doc.op("post", "/api/v1/rewards/lists/{list_id}/publish", "发布公示（publicity_days）",
           answer(200, "名单", ref("RewardList")), params=lid, body=ref("RewardPublishIn"), body_required=False)
    doc.op("post", "/api/v1/rewards/lists/{list_id}/withdraw", "撤回名单（reason）", answer(200, "名单", ref("RewardList")),
           params=lid, body=ref("CommissionReasonIn"))
    doc.op("post", "/api/v1/rewards/lists/{list_id}/finalise", "公示期满，确定名单", answer(200, "名单", ref("RewardList")),
           params=lid)
    doc.op("post", "/api/v1/rewards/lines/{line_id}/disburse", "登记拨付（日期、凭证号）",
           answer(200, "奖补记录", ref("RewardLine")), params=[path_id("line_id")], body=ref("RewardDisburseIn"))
