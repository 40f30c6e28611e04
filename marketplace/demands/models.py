"""Demand (需求): a company's technical problem."""
from ..core.models import ListingMixin
from ..extensions import db


class Demand(ListingMixin, db.Model):
    __tablename__ = "demands"
    description = db.Column(db.Text, nullable=False)
    indicators = db.Column(db.Text)  # target indicators (技术指标)
    industry = db.Column(db.String(32), nullable=False, index=True)
    city = db.Column(db.String(16), nullable=False, index=True)
    budget = db.Column(db.Numeric(14, 2))  # yuan; NULL with budget_negotiable = 面议
    budget_negotiable = db.Column(db.Boolean, nullable=False, default=True)
    deadline = db.Column(db.Date, index=True)
    cooperation = db.Column(db.String(16), nullable=False)

    entity_type = "demand"
