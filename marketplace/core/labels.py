"""The one label table: every code a person could see (audit actions, states, kinds of things) → Chinese.

History tables, lists, badges and the workbench read labels here (through core.workflow.describe() for
audit entries, and the `label` template global). A domain's workflow declares its own transition and state
labels (they win, being more specific); the codes below cover what is not a transition of a registered
workflow, and the fallbacks when a state or an action is met outside its workflow (an old audit row, a row
imported from elsewhere). `core.workflow.action_labels()` / `state_labels()` add to these tables.

Never show a code: `action()`, `state()` and `kind()` answer a neutral Chinese word for an unknown code.
"""

# Audit actions (AuditLog.action) that are not transitions of a registered workflow, and the common
# transition names met outside their workflow.
ACTIONS: dict[str, str] = {
    "create": "创建", "update": "修改", "delete": "删除", "terms": "修改条款", "income-split": "登记收益分配",
    "milestone": "确认里程碑达成", "payment": "登记到账", "royalty-report": "提交提成报告", "found": "扫描发现",
    "void": "不再符合条件", "claim": "认领需求", "apply": "申请试用", "start": "开始试用", "approve": "审核通过",
    "register": "登记", "password-change": "修改密码", "freeze": "冻结发布", "refreeze": "重新冻结发布",
    "expire": "过期", "next-step": "选择下一步", "reject": "驳回",
    # common transitions, when met outside their workflow
    "submit": "提交", "withdraw": "撤回", "publish": "发布", "return": "退回修改", "confirm": "确认",
    "keep-off": "不列入", "challenge": "质询", "accept": "接受", "decline": "不接受", "convert": "转为合同",
    "terminate": "终止", "introduced": "引荐成果", "contacted": "已接洽", "negotiating": "进入洽谈",
    "signed": "签约", "failed": "标记未成功", "suspend": "暂停执业", "resume": "恢复执业", "propose": "提交确认",
    "cancel": "取消", "close": "关闭", "open": "开放", "reopen": "重新开放", "import": "导入", "export": "导出",
    "login": "登录", "logout": "退出", "review": "审核", "feedback": "反馈", "invoice": "登记发票",
    "disburse": "登记拨付", "compute": "计算", "paid": "登记已支付", "reverse": "冲销",
}

# States of records, items, trials, contracts, introductions … (a workflow's own labels win).
STATES: dict[str, str] = {
    "draft": "草稿", "submitted": "待审核", "published": "已发布", "rejected": "已驳回", "withdrawn": "已撤回",
    "expired": "已过期",
    "pending": "待审核", "approved": "已通过", "suspended": "已暂停",
    "registered": "已登记", "returned": "已退回",
    "candidate": "待确认", "listed": "已挂牌", "kept_off": "不列入", "void": "已不符合条件", "closed": "已转化",
    "applied": "已申请", "accepted": "已接受", "declined": "未接受",
    "active": "试用中", "converted": "已转化", "terminated": "已终止",
    "claimed": "已认领", "introduced": "已引荐", "contacted": "已接洽", "negotiating": "洽谈中", "signed": "已签约",
    "failed": "未成功",
    "proposed": "待确认", "confirmed": "已确认", "paid": "已支付", "reversed": "已冲销", "accrued": "已计提",
    "queued": "排队中", "running": "进行中", "done": "已完成", "error": "出错",
    "open": "进行中", "current": "现行", "superseded": "已替换", "frozen": "已冻结", "computed": "已计算",
    "waiting": "待触发", "due": "未到期", "not_due": "未到期", "overdue": "已逾期", "partial": "部分付款",
    "partly_paid": "部分付款",
}

# Kinds of things: audited entity types, notification kinds, organisation kinds, roles.
KINDS: dict[str, str] = {
    "achievement": "科技成果", "demand": "技术需求", "service": "服务资源", "contract": "技术合同",
    "introduction": "撮合记录", "usefirst": "先用后转", "usefirst-application": "试用申请",
    "usefirst-trial": "试用协议", "organisation": "单位", "user": "用户", "broker-profile": "经纪人备案",
    "commission-agreement": "佣金协议", "commission-entry": "佣金记录", "reward-list": "奖补名单",
    "stats-target": "统计目标", "ranking": "转化指数榜单",
    "match": "匹配推送", "push": "匹配推送", "review": "审核结果", "commission": "佣金与奖补",
    "announcement": "通知公告", "challenge": "揭榜挂帅", "event": "路演活动", "booking": "服务预约",
    "institution": "高校院所", "company": "企业", "agency": "服务机构", "admin_centre": "管理中心",
    "broker": "技术经纪人", "admin": "管理员",
}


def action(code: str | None) -> str:
    """An audit action as a person reads it ("create" → 创建; "next-step:…" → 选择下一步)."""
    if not code:
        return "—"
    return ACTIONS.get(code) or ACTIONS.get(code.split(":", 1)[0]) or "其他操作"


def state(code: str | None) -> str:
    if not code:
        return "—"
    return STATES.get(code, "—")


def kind(code: str | None) -> str:
    if not code:
        return "—"
    return KINDS.get(code, "其他")


def label(code: str | None) -> str:
    """Any code, looked up as a state, then a kind, then an action (for templates showing a bare code)."""
    if not code:
        return "—"
    return STATES.get(code) or KINDS.get(code) or ACTIONS.get(code) or (code if not code.isascii() else "—")

# Request parameters and form fields named in error messages (the error page shows these, never the code).
FIELDS: dict[str, str] = {
    "page": "页码", "per_page": "每页条数", "q": "关键词", "sort": "排序", "status": "状态", "scope": "范围",
    "kind": "类别", "type": "类别", "industry": "所属产业", "city": "城市", "stage": "阶段", "year": "年份",
    "month": "月份", "period": "统计期", "reason": "理由", "note": "备注", "amount": "金额", "email": "邮箱",
    "password": "密码", "name": "名称", "title": "名称", "org_id": "单位", "unread": "只看未读",
}


def field(code: str | None) -> str | None:
    """A parameter's or field's name as a person reads it; None for an unknown ASCII code (show only the message)."""
    if not code:
        return None
    return FIELDS.get(code) or (None if code.isascii() else code)
