"""Achievement (成果) and its IP items."""
from ..core.models import ListingMixin
from ..extensions import db


class Achievement(ListingMixin, db.Model):
    __tablename__ = "achievements"
    summary = db.Column(db.Text, nullable=False)
    keywords = db.Column(db.Text, nullable=False, default="")  # "、"-joined
    industry = db.Column(db.String(32), nullable=False, index=True)
    category = db.Column(db.String(16), nullable=False, default="应用技术")
    funding_source = db.Column(db.String(16), nullable=False, default="非财政资金")
    maturity = db.Column(db.String(16), nullable=False)
    transfer_modes = db.Column(db.String(64), nullable=False, default="")  # "、"-joined
    asking_price = db.Column(db.Numeric(14, 2))  # yuan; NULL with price_negotiable = 面议
    price_negotiable = db.Column(db.Boolean, nullable=False, default=True)
    team = db.Column(db.String(200))
    inventors = db.Column(db.Text, nullable=False, default="")  # "、"-joined
    # Put to use (实施) by the institution itself, and since when: the 先用后转 scan relies on it.
    implemented_on = db.Column(db.Date)

    ip_items = db.relationship("AchievementIP", back_populates="achievement", cascade="all, delete-orphan",
                               order_by="AchievementIP.id", lazy="selectin")

    entity_type = "achievement"

    @property
    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.split("、") if k]

    @property
    def transfer_mode_list(self) -> list[str]:
        return [m for m in self.transfer_modes.split("、") if m]

    @property
    def inventor_list(self) -> list[str]:
        return [m for m in self.inventors.split("、") if m]

    @property
    def implemented(self) -> bool:
        return self.implemented_on is not None

    @property
    def first_granted_on(self):
        dates = [ip.granted_on for ip in self.ip_items if ip.granted_on]
        return min(dates) if dates else None


class AchievementIP(db.Model):
    __tablename__ = "achievement_ip"
    id = db.Column(db.Integer, primary_key=True)
    achievement_id = db.Column(db.Integer, db.ForeignKey("achievements.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    ip_type = db.Column(db.String(16), nullable=False)
    number = db.Column(db.String(64))
    filed_on = db.Column(db.Date)
    granted_on = db.Column(db.Date)
    achievement = db.relationship("Achievement", back_populates="ip_items")
