"""路演与对接会: events, the achievements (or challenges) they present, their agenda and brokers, registrations
with a quota and a waiting list, check-in, and the interests attendees mark (each a lead for the brokers).

Event times (starts_at, ends_at, registration_deadline, agenda times) are the wall-clock time in Jiangxi
(China Standard Time, UTC+8, no daylight saving), stored naive; timestamps of what people did (created_at,
checked_in_at ...) are naive UTC like everywhere else in the schema."""
from ..core.models import TimestampMixin, utcnow
from ..extensions import db

KINDS = ["成果路演", "对接会", "展览展示", "产融对接"]
STATUSES = {"draft": "草稿", "published": "报名中", "registration_closed": "报名已截止", "held": "已举办",
            "closed": "已结束", "cancelled": "已取消"}
PUBLIC_STATES = ("published", "registration_closed", "held", "closed", "cancelled")
REGISTRATION_STATUSES = {"registered": "已报名", "waitlisted": "候补中", "cancelled": "已取消"}
INTEREST_STATUSES = {"new": "待跟进", "introduced": "已转为撮合", "declined": "不跟进"}

event_brokers = db.Table(
    "event_brokers",
    db.Column("event_id", db.Integer, db.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("users.id"), primary_key=True),
)


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"
    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(20), unique=True)  # JX-EVT-0001, given once the id is known
    title = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(8), nullable=False)  # KINDS
    summary = db.Column(db.Text)
    organiser_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    starts_at = db.Column(db.DateTime, nullable=False, index=True)  # local time (UTC+8)
    ends_at = db.Column(db.DateTime, nullable=False)
    registration_deadline = db.Column(db.DateTime, nullable=False)
    city = db.Column(db.String(16), index=True)  # NULL: online only
    venue = db.Column(db.String(200))
    online_url = db.Column(db.String(300))
    capacity = db.Column(db.Integer, nullable=False)
    industries = db.Column(db.String(400), nullable=False, default="")  # audience invited, "、"-joined
    audience_cities = db.Column(db.String(200), nullable=False, default="")
    status = db.Column(db.String(20), nullable=False, default="draft", index=True)  # STATUSES
    cancel_reason = db.Column(db.Text)
    published_at = db.Column(db.DateTime)
    # Bumped by every change of the roster: the write that serialises registrations (services._lock_roster).
    roster_version = db.Column(db.Integer, nullable=False, default=0)

    organiser = db.relationship("Organisation", lazy="joined")
    items = db.relationship("EventItem", cascade="all, delete-orphan", order_by="EventItem.seq", lazy="selectin",
                            back_populates="event")
    agenda = db.relationship("AgendaItem", cascade="all, delete-orphan",
                             order_by="(AgendaItem.starts_at, AgendaItem.seq)", lazy="selectin")
    brokers = db.relationship("User", secondary=event_brokers, lazy="selectin", order_by="User.id")

    @property
    def industry_list(self) -> list[str]:
        return [s for s in (self.industries or "").split("、") if s]

    @property
    def city_list(self) -> list[str]:
        return [s for s in (self.audience_cities or "").split("、") if s]

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def achievements(self):
        return [i.achievement for i in self.items if i.achievement is not None]


class EventItem(db.Model):
    """One thing presented: an achievement, or (loosely, the challenges domain being separate) a challenge id."""
    __tablename__ = "event_items"
    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.Integer, db.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = db.Column(db.Integer, nullable=False, default=0)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id"), index=True)
    challenge_id = db.Column(db.Integer)  # a challenges row, by id (no foreign key: that domain is optional)
    presenter = db.Column(db.String(100))

    event = db.relationship("Event", back_populates="items")
    achievement = db.relationship("Achievement", lazy="joined")
    __table_args__ = (db.UniqueConstraint("event_id", "achievement_id", name="uq_event_items_achievement"),)


class AgendaItem(db.Model):
    """A line of the 日程."""
    __tablename__ = "event_agenda"
    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.Integer, db.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = db.Column(db.Integer, nullable=False, default=0)
    starts_at = db.Column(db.DateTime, nullable=False)  # local time
    ends_at = db.Column(db.DateTime)
    title = db.Column(db.String(200), nullable=False)
    speaker = db.Column(db.String(100))


class Registration(TimestampMixin, db.Model):
    """One user's registration for one event (one row per user and event: cancelling and registering again
    reuses it, at the end of the queue)."""
    __tablename__ = "event_registrations"
    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.Integer, db.ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    status = db.Column(db.String(12), nullable=False)  # REGISTRATION_STATUSES
    queued_at = db.Column(db.DateTime, nullable=False, default=utcnow)  # the waiting list's order
    code = db.Column(db.String(16), nullable=False, unique=True)  # the check-in code (in the QR image)
    note = db.Column(db.String(500))
    promoted_at = db.Column(db.DateTime)
    cancelled_at = db.Column(db.DateTime)
    checked_in_at = db.Column(db.DateTime)
    checked_in_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    event = db.relationship("Event", lazy="joined")
    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")
    org = db.relationship("Organisation", lazy="joined")
    __table_args__ = (db.UniqueConstraint("event_id", "user_id", name="uq_event_registrations_user"),
                      db.Index("ix_event_registrations_event_status", "event_id", "status"))

    @property
    def status_label(self) -> str:
        return REGISTRATION_STATUSES.get(self.status, self.status)


class Interest(TimestampMixin, db.Model):
    """An attendee's organisation is interested in an achievement presented: a lead for the event's brokers,
    turned into a broker introduction (brokers.services claim + introduce) once a demand of that organisation
    gives it something to claim."""
    __tablename__ = "event_interests"
    id = db.Column(db.Integer, primary_key=True)
    event_id = db.Column(db.Integer, db.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id"), nullable=False, index=True)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    demand_id = db.Column(db.Integer, db.ForeignKey("demands.id"))  # the interested company's own demand, if any
    note = db.Column(db.String(1000))
    status = db.Column(db.String(12), nullable=False, default="new", index=True)  # INTEREST_STATUSES
    broker_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    introduction_id = db.Column(db.Integer, db.ForeignKey("introductions.id"))

    event = db.relationship("Event", lazy="joined")
    achievement = db.relationship("Achievement", lazy="joined")
    org = db.relationship("Organisation", lazy="joined")
    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")
    broker = db.relationship("User", foreign_keys=[broker_id])
    demand = db.relationship("Demand")
    introduction = db.relationship("Introduction")
    __table_args__ = (db.UniqueConstraint("event_id", "achievement_id", "org_id", name="uq_event_interests_once"),)

    @property
    def status_label(self) -> str:
        return INTEREST_STATUSES.get(self.status, self.status)
