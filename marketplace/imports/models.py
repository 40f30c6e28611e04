"""An import job: uploaded file, preview, queue state, progress (with heartbeat) and outcome."""
from ..core.models import utcnow
from ..extensions import db



class ImportJob(db.Model):
    __tablename__ = "import_jobs"
    id = db.Column(db.Integer, primary_key=True)
    library = db.Column(db.String(16), nullable=False)
    filename = db.Column(db.String(200), nullable=False)
    stored_path = db.Column(db.String(400))  # None once the job ended and the file was removed
    source = db.Column(db.String(64), nullable=False)
    publish = db.Column(db.Boolean, nullable=False, default=False)
    submit = db.Column(db.Boolean, nullable=False, default=False)  # submit for review once imported
    # previewed → queued → running → done | failed, or previewed → expired (see imports.jobs)
    status = db.Column(db.String(16), nullable=False, default="previewed", index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)  # runs started (retries and requeues count)
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
    started_at = db.Column(db.DateTime)  # start of the current (or last) run
    # The heartbeat: every state change and progress write sets it; a running job whose heartbeat is
    # old has lost its worker (see imports.jobs.sweep).
    updated_at = db.Column(db.DateTime, default=utcnow, nullable=False)
    finished_at = db.Column(db.DateTime)

    @property
    def rate(self) -> float | None:
        """Rows per second in the current run, once there is something to measure."""
        if self.status != "running" or not self.processed or not self.started_at:
            return None
        seconds = (self.updated_at - self.started_at).total_seconds()
        return self.processed / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> int | None:
        rate = self.rate
        return round((self.total - self.processed) / rate) if rate else None
