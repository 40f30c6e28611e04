"""What events accept (input, the same for pages and the API) and answer (output)."""
import re
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate

from ..core.dates import UtcDateTime
from ..core.halfwidth import half_width
from ..core.schema import InputSchema, TermList
from ..core.schema import Text, WholeNumber
from ..core.vocab import CITIES, INDUSTRIES
from .models import INTEREST_STATUSES, KINDS, REGISTRATION_STATUSES, STATUSES

CST = timezone(timedelta(hours=8), "CST")  # Jiangxi: China Standard Time, no daylight saving
_DT = re.compile(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"
                 r"(Z|[+-]\d{2}:?\d{2})?\s*")


def parse_local(value) -> datetime:
    """A time in Jiangxi as people type it (2026-12-10 09:30, 2026-12-10T09:30:00, with an optional offset that
    is converted to UTC+8), naive; years 2000–2999. Raises ValidationError with a Chinese message."""
    if isinstance(value, datetime):
        dt = value
    else:
        m = _DT.fullmatch(half_width(value)) if isinstance(value, str) and len(value) <= 40 else None  # ０９：３０
        if m is None:
            raise ValidationError("时间格式应为 YYYY-MM-DD HH:MM（北京时间）")
        y, mo, d, h, mi, s, off = m.groups()
        try:
            dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError:
            raise ValidationError(f"“{value.strip()}”不是有效时间") from None
        if off:
            if off == "Z":
                tz = timezone.utc
            else:
                sign = -1 if off[0] == "-" else 1
                hh, mm = int(off[1:3]), int(off[-2:])
                if hh > 14 or mm > 59:
                    raise ValidationError("时区偏移不正确")
                tz = timezone(sign * timedelta(hours=hh, minutes=mm))
            dt = dt.replace(tzinfo=tz)
    if dt.tzinfo is not None:
        dt = dt.astimezone(CST).replace(tzinfo=None)
    if not 2000 <= dt.year <= 2999:
        raise ValidationError("时间应在2000年到2999年之间")
    return dt.replace(microsecond=0)


def iso_local(dt: datetime | None) -> str | None:
    """A stored local time as RFC 3339 with its +08:00 offset."""
    return None if dt is None else dt.replace(tzinfo=CST).isoformat()


class LocalDateTime(fields.DateTime):
    """Input and output of event times: Jiangxi wall-clock time, answered with +08:00."""

    def _deserialize(self, value, attr, data, **kw):
        return parse_local(value)

    def _serialize(self, value, attr, obj, **kw):
        return iso_local(value)


class Url(Text):
    def __init__(self, **kw):
        super().__init__(300, line=True, validate=validate.Regexp(r"^https?://[^\s<>\"']+$",
                                                       error="应为以 http:// 或 https:// 开头的网址"), **kw)


class IdList(fields.List):
    def __init__(self, max_items: int, **kw):
        super().__init__(fields.Integer(strict=True, validate=validate.Range(1, 2**31 - 1, error="编号不正确")),
                         validate=validate.Length(max=max_items, error=f"最多{max_items}项"), **kw)


class AgendaIn(InputSchema):
    LABELS = {"starts_at": "开始时间", "ends_at": "结束时间", "title": "内容", "speaker": "主讲"}
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(allow_none=True)
    title = Text(200, line=True, required=True)
    speaker = Text(100, line=True, allow_none=True)


class EventIn(InputSchema):
    LABELS = {"title": "活动名称", "kind": "活动类型", "summary": "活动简介", "starts_at": "开始时间",
              "ends_at": "结束时间", "registration_deadline": "报名截止时间", "city": "举办城市", "venue": "地点",
              "online_url": "线上链接", "capacity": "名额", "industries": "邀请产业", "audience_cities": "邀请城市",
              "achievement_ids": "路演成果", "challenge_ids": "发布榜单", "broker_ids": "对接经纪人",
              "agenda": "日程"}
    title = Text(200, lo=4, line=True, required=True)
    kind = Text(8, choices=KINDS, line=True, required=True)
    summary = Text(5000, allow_none=True)
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    registration_deadline = LocalDateTime(required=True)
    city = Text(16, choices=CITIES, line=True, allow_none=True)
    venue = Text(200, line=True, allow_none=True)
    online_url = Url(allow_none=True)
    capacity = WholeNumber(strict=False, required=True,
                              validate=validate.Range(1, 100_000, error="应为 1 到 100000 之间的整数"))
    industries = TermList(choices=INDUSTRIES, max_items=len(INDUSTRIES))
    audience_cities = TermList(choices=CITIES, max_items=len(CITIES))
    achievement_ids = IdList(50)
    challenge_ids = IdList(20)
    broker_ids = IdList(20)
    agenda = fields.List(fields.Nested(AgendaIn), validate=validate.Length(max=60, error="最多60项"))


class RegisterIn(InputSchema):
    LABELS = {"note": "备注"}
    note = Text(500, allow_none=True)


class CheckinIn(InputSchema):
    LABELS = {"code": "签到码", "registration_id": "报名编号"}
    code = Text(64, line=True, allow_none=True)
    registration_id = fields.Integer(strict=True, validate=validate.Range(1, 2**31 - 1), allow_none=True)


class InterestIn(InputSchema):
    LABELS = {"achievement_id": "成果", "note": "意向说明", "demand_id": "本单位需求"}
    achievement_id = WholeNumber(strict=False, required=True, validate=validate.Range(1, 2**31 - 1))
    demand_id = WholeNumber(strict=False, allow_none=True, validate=validate.Range(1, 2**31 - 1))
    note = Text(1000, allow_none=True)


class IntroduceIn(InputSchema):
    LABELS = {"demand_id": "企业需求", "note": "说明"}
    demand_id = WholeNumber(strict=False, allow_none=True, validate=validate.Range(1, 2**31 - 1))
    note = Text(1000, allow_none=True)


class ReasonIn(InputSchema):
    LABELS = {"reason": "原因"}
    reason = Text(1000, allow_none=True)


# Output ------------------------------------------------------------------------------------------------------

class AgendaOut(Schema):
    starts_at = LocalDateTime()
    ends_at = LocalDateTime(allow_none=True)
    title = fields.String()
    speaker = fields.String(allow_none=True)


class PresentedOut(Schema):
    achievement_id = fields.Integer(allow_none=True)
    challenge_id = fields.Integer(allow_none=True)
    title = fields.Function(lambda i: i.achievement.title if i.achievement else None, allow_none=True)
    institution = fields.Function(lambda i: i.achievement.owner_org.name if i.achievement else None,
                                  allow_none=True)
    presenter = fields.String(allow_none=True)


class EventOut(Schema):
    id = fields.Integer()
    ref = fields.String(allow_none=True)
    title = fields.String()
    kind = fields.String()
    summary = fields.String(allow_none=True)
    organiser = fields.Function(lambda e: e.organiser.name)
    organiser_org_id = fields.Integer()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    registration_deadline = LocalDateTime()
    city = fields.String(allow_none=True)
    venue = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    capacity = fields.Integer()
    industries = fields.Function(lambda e: e.industry_list)
    audience_cities = fields.Function(lambda e: e.city_list)
    status = fields.String()
    status_label = fields.Function(lambda e: STATUSES.get(e.status, e.status))
    cancel_reason = fields.String(allow_none=True)
    presented = fields.Function(lambda e: PresentedOut(many=True).dump(e.items))
    agenda = fields.Function(lambda e: AgendaOut(many=True).dump(e.agenda))
    brokers = fields.Function(lambda e: [{"id": b.id, "name": b.name} for b in e.brokers])
    published_at = UtcDateTime(allow_none=True)


class RegistrationOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    event_title = fields.Function(lambda r: r.event.title)
    user = fields.Function(lambda r: r.user.name)
    org = fields.Function(lambda r: r.org.name)
    status = fields.String()
    status_label = fields.Function(lambda r: REGISTRATION_STATUSES.get(r.status, r.status))
    waitlist_position = fields.Method("_position", allow_none=True)
    note = fields.String(allow_none=True)
    code = fields.String()
    created_at = UtcDateTime()
    checked_in_at = UtcDateTime(allow_none=True)

    def _position(self, reg):
        from .services import waitlist_position
        return waitlist_position(reg)


class InterestOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    event_title = fields.Function(lambda i: i.event.title)
    achievement_id = fields.Integer()
    achievement_title = fields.Function(lambda i: i.achievement.title)
    org = fields.Function(lambda i: i.org.name)
    org_id = fields.Integer()
    demand_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.Function(lambda i: INTEREST_STATUSES.get(i.status, i.status))
    introduction_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()
