"""Pure booking arithmetic, callable without an app: opening hours, slots of a day, available hours, fees.

Times are local wall-clock times in China (UTC+8, no daylight saving), naive datetimes.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from ..core.halfwidth import half_width

FEN = Decimal("0.01")
CHINA = timezone(timedelta(hours=8))
INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")
MAX_INTERVALS = 4


class HoursError(ValueError):
    pass


def local_now() -> datetime:
    """Now, as a naive local (UTC+8) datetime to the minute."""
    return datetime.now(CHINA).replace(tzinfo=None, second=0, microsecond=0)


def _minutes(h: str, m: str) -> int:
    hh, mm = int(h), int(m)
    if mm > 59 or hh > 24 or (hh == 24 and mm):
        raise HoursError(f"{h}:{m} 不是有效的时刻")
    return hh * 60 + mm


def parse_day(text) -> list[tuple[int, int]]:
    """"09:00-12:00, 14:00-17:30" → [(540, 720), (840, 1050)] (minutes after midnight); "" → closed.
    Intervals must be increasing and may not overlap."""
    if text is None:
        return []
    if isinstance(text, list):
        text = ",".join(str(t) for t in text)
    if not isinstance(text, str):
        raise HoursError("开放时间应为文本，如 09:00-12:00,14:00-17:30")
    text = re.sub(r"\s*([-–~至])\s*", r"\1", half_width(text).strip())  # ０９：００－１２：００ as typed
    parts = [p for p in re.split(r"[,，;；、\s]+", text) if p]
    if len(parts) > MAX_INTERVALS:
        raise HoursError(f"每天最多 {MAX_INTERVALS} 个时段")
    out = []
    for part in parts:
        m = INTERVAL.match(part)
        if not m:
            raise HoursError(f"“{part[:20]}”格式不对，应如 09:00-12:00")
        start, end = _minutes(*m.group(1, 2)), _minutes(*m.group(3, 4))
        if start >= end:
            raise HoursError(f"“{part}”的结束时间应晚于开始时间")
        if out and start < out[-1][1]:
            raise HoursError("时段应按时间先后排列且不能重叠")
        out.append((start, end))
    return out


def format_day(intervals) -> str:
    return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in intervals)


def normalise_hours(raw: dict) -> dict:
    """{"1": "9:00-12:00", ...} → the stored form, every weekday key "1".."7" present (empty = closed)."""
    if not isinstance(raw, dict):
        raise HoursError("开放时间应为对象：{\"1\": \"09:00-12:00\", …}（1 为周一）")
    unknown = set(map(str, raw)) - {str(i) for i in range(1, 8)}
    if unknown:
        raise HoursError("星期应为 1（周一）到 7（周日）")
    out = {str(i): format_day(parse_day(raw.get(str(i), raw.get(i)))) for i in range(1, 8)}
    if not any(out.values()):
        raise HoursError("请至少填写一天的开放时间")
    return out


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    state: str          # free / taken / past / closed (blackout) / far (beyond the booking horizon)

    @property
    def bookable(self) -> bool:
        return self.state == "free"


def opening_slots(hours: dict, day: date, slot_minutes: int) -> list[tuple[datetime, datetime]]:
    """The slot units of a day from the opening hours (whole slots only: a 90-minute window has one 60-minute
    slot)."""
    out = []
    step = timedelta(minutes=slot_minutes)
    for s, e in parse_day(hours.get(str(day.isoweekday()), "")):
        start = datetime.combine(day, time()) + timedelta(minutes=s)
        end = datetime.combine(day, time()) + timedelta(minutes=e)
        while start + step <= end:
            out.append((start, start + step))
            start += step
    return out


def day_slots(hours: dict, day: date, slot_minutes: int, *, blackouts=frozenset(), taken=frozenset(),
              now: datetime, advance_days: int = 60) -> list[Slot]:
    """Every slot of `day` with its state. A slot that has started is past; a blackout day is closed; beyond
    `advance_days` from today the calendar is not open yet."""
    closed = day in blackouts
    far = day > now.date() + timedelta(days=advance_days)
    out = []
    for start, end in opening_slots(hours, day, slot_minutes):
        if closed:
            state = "closed"
        elif start <= now:
            state = "past"
        elif start in taken:
            state = "taken"
        elif far:
            state = "far"
        else:
            state = "free"
        out.append(Slot(start, end, state))
    return out


def available_hours(hours: dict, slot_minutes: int, first: date, last: date, blackouts=frozenset()) -> Decimal:
    """Bookable hours between two days inclusive: whole slots of the opening hours, blackout days left out."""
    per_weekday = {}
    for wd in range(1, 8):
        n = 0
        for s, e in parse_day(hours.get(str(wd), "")):
            n += (e - s) // slot_minutes
        per_weekday[wd] = n
    total, day = 0, first
    while day <= last:
        if day not in blackouts:
            total += per_weekday[day.isoweekday()]
        day += timedelta(days=1)
    return (Decimal(total * slot_minutes) / 60).quantize(FEN)


def fee(kind: str, unit_price: Decimal | None, hours: Decimal | None = None, samples: int | None = None):
    """Price × quantity, half-up to the fen; None for a quoted service (the owner states the fee)."""
    if kind == "quoted" or unit_price is None:
        return None
    quantity = Decimal(hours or 0) if kind == "hours" else Decimal(samples or 0)
    return (Decimal(unit_price) * quantity).quantize(FEN, rounding=ROUND_HALF_UP)


def cancel_deadline(starts_at: datetime, cancel_hours: int) -> datetime:
    return starts_at - timedelta(hours=cancel_hours)
