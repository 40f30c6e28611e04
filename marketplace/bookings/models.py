"""服务预约: the bookable services of a service resource, their blackout days, bookings, and the booked slots.

Times of day are wall-clock times in China (UTC+8, no daylight saving), stored naive: an instrument opens at
09:00 local time whatever the server's zone. Created/updated stamps stay naive UTC like everywhere else.

No double booking is decided by the database: every booking that holds its time (requested, approved, used)
has one `booking_slots` row per slot unit, unique on (service, slot start). Two people booking the same slot
at the same moment both insert; the database lets exactly one commit, the other gets a clear 409.
"""
from ..core.models import TimestampMixin
from ..extensions import db

KINDS = {"hours": "机时", "samples": "测试", "quoted": "技术服务"}
KIND_UNITS = {"hours": "元/小时", "samples": "元/样", "quoted": "报价"}
POLICIES = {"open": "任何企业可直接预约（自动确认）", "approval": "需运营方审批"}
STATUSES = {"requested": "待审批", "approved": "已确认", "used": "已使用", "cancelled": "已取消", "rejected": "已驳回"}
HOLDING = ("requested", "approved", "used")  # the states whose slots are taken
SLOT_MINUTES = (30, 60, 120, 240)
WEEKDAYS = {"1": "周一", "2": "周二", "3": "周三", "4": "周四", "5": "周五", "6": "周六", "7": "周日"}


class BookableService(TimestampMixin, db.Model):
    __tablename__ = "bookable_services"
    id = db.Column(db.Integer, primary_key=True)
    resource_id = db.Column(db.Integer, db.ForeignKey("service_resources.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    name = db.Column(db.String(120), nullable=False)
    kind = db.Column(db.String(8), nullable=False)              # KINDS
    unit_price = db.Column(db.Numeric(14, 2))                   # 元/小时 or 元/样; NULL for a quoted service
    description = db.Column(db.Text)
    # ISO weekday ("1" = Monday) → "09:00-12:00,14:00-17:30"; a missing or empty day is closed.
    opening_hours = db.Column(db.JSON, nullable=False)
    slot_minutes = db.Column(db.Integer, nullable=False, default=60)
    policy = db.Column(db.String(10), nullable=False, default="approval")  # POLICIES
    cancel_hours = db.Column(db.Integer, nullable=False, default=24)       # free cancellation until N hours before
    advance_days = db.Column(db.Integer, nullable=False, default=60)       # how far ahead one may book
    active = db.Column(db.Boolean, nullable=False, default=True)

    resource = db.relationship("ServiceResource", lazy="joined")
    blackouts = db.relationship("Blackout", order_by="Blackout.day", cascade="all, delete-orphan",
                                back_populates="service")


class Blackout(db.Model):
    """A day the service is closed (holiday, maintenance)."""
    __tablename__ = "booking_blackouts"
    id = db.Column(db.Integer, primary_key=True)
    service_id = db.Column(db.Integer, db.ForeignKey("bookable_services.id", ondelete="CASCADE"), nullable=False)
    day = db.Column(db.Date, nullable=False)
    reason = db.Column(db.String(100))
    service = db.relationship("BookableService", back_populates="blackouts")
    __table_args__ = (db.UniqueConstraint("service_id", "day", name="uq_booking_blackouts_service_day"),)


class Booking(TimestampMixin, db.Model):
    __tablename__ = "bookings"
    id = db.Column(db.Integer, primary_key=True)
    service_id = db.Column(db.Integer, db.ForeignKey("bookable_services.id"), nullable=False, index=True)
    customer_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    customer_user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    status = db.Column(db.String(10), nullable=False, default="requested", index=True)
    starts_at = db.Column(db.DateTime, nullable=False, index=True)   # local time (UTC+8), naive
    ends_at = db.Column(db.DateTime, nullable=False)
    samples = db.Column(db.Integer)                                  # samples announced (测试)
    purpose = db.Column(db.Text, nullable=False)
    contact_phone = db.Column(db.String(30))
    estimated_fee = db.Column(db.Numeric(14, 2))                      # from the price; NULL when quoted
    decision_note = db.Column(db.Text)                                # reason of a rejection or cancellation
    cancelled_by = db.Column(db.String(10))                           # customer / owner
    # Usage, recorded by the owner afterwards.
    used_hours = db.Column(db.Numeric(8, 2))
    used_samples = db.Column(db.Integer)
    computed_fee = db.Column(db.Numeric(14, 2))                       # price × usage, half-up to the fen
    fee = db.Column(db.Numeric(14, 2))                                # what is charged
    fee_reason = db.Column(db.Text)                                   # why the fee differs from the computed one
    invoice_no = db.Column(db.String(40))
    used_at = db.Column(db.DateTime)
    # The customer's rating after use.
    rating = db.Column(db.Integer)
    rating_comment = db.Column(db.Text)
    rated_at = db.Column(db.DateTime)

    service = db.relationship("BookableService", lazy="joined")
    customer_org = db.relationship("Organisation", lazy="joined")
    customer_user = db.relationship("User", lazy="joined")
    slots = db.relationship("BookingSlot", cascade="all, delete-orphan", back_populates="booking")


class BookingSlot(db.Model):
    """One slot unit a live booking holds. UNIQUE (service, slot start): the database refuses a double booking."""
    __tablename__ = "booking_slots"
    id = db.Column(db.Integer, primary_key=True)
    booking_id = db.Column(db.Integer, db.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True)
    service_id = db.Column(db.Integer, db.ForeignKey("bookable_services.id"), nullable=False)
    slot_start = db.Column(db.DateTime, nullable=False)
    booking = db.relationship("Booking", back_populates="slots")
    __table_args__ = (db.UniqueConstraint("service_id", "slot_start", name="uq_booking_slots_service_slot"),)
