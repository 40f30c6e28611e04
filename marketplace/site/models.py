"""通知公告 / 政策法规 / 工作动态: announcements an administrator publishes, with optional attachments."""
from ..core.models import TimestampMixin
from ..extensions import db

# The three sections of the page; codes stored, labels shown (never a code on a page).
CATEGORIES = {"notice": "通知公告", "policy": "政策法规", "news": "工作动态"}
STATUSES = {"draft": "草稿", "published": "已发布", "withdrawn": "已撤回"}


class Notice(TimestampMixin, db.Model):
    __tablename__ = "notices"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    category = db.Column(db.String(16), nullable=False, index=True)  # CATEGORIES
    summary = db.Column(db.String(500))  # shown in lists and on the home page
    body = db.Column(db.Text, nullable=False)  # plain text; a blank line separates paragraphs
    issuer = db.Column(db.String(100))  # 发文单位
    doc_no = db.Column(db.String(60))  # 文号
    publish_on = db.Column(db.Date)  # the date shown (set on publishing when left empty)
    pinned = db.Column(db.Boolean, nullable=False, default=False)
    status = db.Column(db.String(16), nullable=False, default="draft", index=True)
    # The centre that wrote it: administrators of other centres may not change it.
    org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    org = db.relationship("Organisation", lazy="joined")
    attachments = db.relationship("NoticeAttachment", order_by="NoticeAttachment.id", cascade="all, delete-orphan",
                                  back_populates="notice")

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, "通知公告")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, "草稿")

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in (self.body or "").replace("\r\n", "\n").split("\n\n") if p.strip()]


class NoticeAttachment(db.Model):
    """A file attached to a notice, kept in the database (small documents: PDF, Word, Excel, images)."""
    __tablename__ = "notice_attachments"
    id = db.Column(db.Integer, primary_key=True)
    notice_id = db.Column(db.Integer, db.ForeignKey("notices.id", ondelete="CASCADE"), nullable=False, index=True)
    filename = db.Column(db.String(200), nullable=False)
    mimetype = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    data = db.Column(db.LargeBinary, nullable=False)

    notice = db.relationship("Notice", back_populates="attachments")
