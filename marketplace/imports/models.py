"""An import run: uploaded file, preview, progress and outcome."""
from ..core.models import utcnow
from ..extensions import db


class ImportJob(db.Model):
    __tablename__ = "import_jobs"
    id = db.Column(db.Integer, primary_key=True)
    library = db.Column(db.String(16), nullable=False)
    filename = db.Column(db.String(200), nullable=False)
    stored_path = db.Column(db.String(400))
    source = db.Column(db.String(64), nullable=False)
    publish = db.Column(db.Boolean, nullable=False, default=False)
    status = db.Column(db.String(16), nullable=False, default="previewed")  # previewed/running/done/failed
    total = db.Column(db.Integer, nullable=False, default=0)
    processed = db.Column(db.Integer, nullable=False, default=0)
    created = db.Column(db.Integer, nullable=False, default=0)
    updated = db.Column(db.Integer, nullable=False, default=0)
    rejected = db.Column(db.Integer, nullable=False, default=0)
    errors = db.Column(db.JSON)
    message = db.Column(db.Text)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False)
    created_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    finished_at = db.Column(db.DateTime)
