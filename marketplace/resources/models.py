"""Service resource (服务资源)."""
from ..core.models import ListingMixin
from ..extensions import db


class ServiceResource(ListingMixin, db.Model):
    __tablename__ = "service_resources"
    kind = db.Column(db.String(16), nullable=False, index=True)  # vocab.SERVICE_KINDS
    description = db.Column(db.Text, nullable=False)
    city = db.Column(db.String(16), nullable=False, index=True)
    address = db.Column(db.String(200))
    audience = db.Column(db.String(200))  # for whom (服务对象)
    industries = db.Column(db.String(120), nullable=False, default="")  # "、"-joined

    entity_type = "service"

    @property
    def industry_list(self) -> list[str]:
        return [m for m in self.industries.split("、") if m]
