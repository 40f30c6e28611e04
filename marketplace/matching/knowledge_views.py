"""The knowledge graph's editing page (管理员、技术经纪人): browse the symptom → mechanism → technology links,
add one, disable or enable one, and try a text to see which links it fires. Edits apply at once (no reindex);
every edit is in the audit log (knowledge.add_link / disable_file_link / set_status)."""
import time
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..core.errors import Forbidden, NotFound
from ..core.models import AuditLog
from ..core.paging import page_args
from ..core.vocab import INDUSTRIES
from ..core.web import actor, attempt, form_dict, in_savepoint, local_url
from ..core.workflow import describe
from ..extensions import db
from . import knowledge, store

bp = Blueprint("matching_knowledge", __name__, url_prefix="/matching/knowledge")


def _editor():
    if not knowledge.can_edit(actor()):
        raise Forbidden("只有管理员和技术经纪人可以查看和编辑知识图谱")


@bp.route("")
@login_required
def index():
    _editor()
    return _page()


def _page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    """The page; after a refused addition, with the values typed and each field's message (422)."""
    q = (request.args.get("q") or "").strip()[:50]
    industry = (request.args.get("industry") or "").strip()[:32]
    page, per_page = page_args(request.args, 20)  # 20 links a page: on a phone each is a card
    rows = knowledge.search_links(q, industry, limit=100000)
    total = len(rows)
    pages = (total + per_page - 1) // per_page
    shown = rows[(page - 1) * per_page: page * per_page]
    text = (request.args.get("text") or "").strip()[:2000]
    fired = knowledge.graph().fired(text) if text else []
    recent = db.session.scalars(db.select(AuditLog).where(AuditLog.entity_type == "knowledge_link")
                                .order_by(AuditLog.id.desc()).limit(20)).all()
    industries = sorted({r["link"].industry for r in knowledge.search_links(limit=100000) if r["link"].industry}
                        | set(INDUSTRIES) - {"其他"})
    state = recompute_state()
    return render_template("matching_knowledge/index.html", rows=shown, total=total, page=page, pages=pages,
                           state=state,
                           q=q, industry=industry, industries=industries, text=text, fired=fired,
                           recent=[(e, describe(e)) for e in recent], statuses=knowledge.STATUSES,
                           origins=knowledge.ORIGINS, form=form or {}, errors=errors or {},
                           counts=_counts()), status


def recompute_state() -> dict:
    """Where the stored matches stand against the graph as it is now: an edit changes the dictionary's
    fingerprint, every stored list computed before is marked stale (still shown, with a note) and recomputed
    in the background; the last run's progress, and how many lists still wait."""
    from . import jobs
    from .models import MatchList
    store.check_fingerprint()  # an edit of a moment ago marks the lists at once (not at the next read)
    run = jobs.latest()
    stale = db.session.scalar(db.select(db.func.count()).select_from(MatchList)
                              .where(MatchList.stale.is_(True)))
    p = jobs.progress(run) if run is not None else None
    line = None
    if p and p["status"] == "done":
        line = (f"上次重新计算（重建 #{p['id']}）已完成：{p['done']}/{p['total']} 条，"
                f"用时 {p['seconds']} 秒，{p['rate']} 条/秒")
    elif p:
        line = jobs.describe(p)
    return {"run": p, "line": line, "stale": stale or 0,
            "active": bool(stale) or bool(p and p["status"] in ("queued", "running"))}


@bp.route("/recompute")
@login_required
def recompute():
    """The recomputation's card alone (the page polls it every 5 s while lists wait)."""
    _editor()
    return render_template("matching_knowledge/_recompute.html", state=recompute_state())


def _counts():
    g = knowledge.graph()
    return {"links": len(g.links), "industries": len({l.industry for l in g.links if l.industry}),
            "files": sum(1 for l in g.links if l.origin == "file"),
            "site": sum(1 for l in g.links if l.origin == "site")}


@bp.route("/outcomes")
@login_required
def outcomes():
    """匹配效果: how the demands' stored lists fared with what people then did (matching.outcomes)."""
    if not knowledge.can_edit(actor()):
        raise Forbidden("只有管理员和技术经纪人可以查看匹配效果")
    from . import outcomes as measured
    return render_template("matching_knowledge/outcomes.html", r=measured.report(), shown=measured.SHOWN)


@bp.route("/export.tsv")
@login_required
def export():
    """The site's edits as a data file to review (knowledge.export_tsv), downloaded."""
    _editor()
    industry = (request.args.get("industry") or "").strip()[:32]
    name = f"knowledge-site-edits-{time.strftime('%Y%m%d')}.tsv"
    return Response(knowledge.export_tsv(industry), mimetype="text/tab-separated-values",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.post("")
@login_required
def add():
    _editor()
    data = form_dict()
    added = []
    refused = in_savepoint(lambda: added.append(knowledge.add_link(
        actor(), industry=data.get("industry", ""), cues=data.get("cues", ""),
        mechanism=data.get("mechanism", ""), technologies=data.get("technologies", ""),
        source=data.get("source", ""))))
    if refused is not None:  # the form again, with what was typed and what is wrong with each field
        flash(refused.message, "error")
        return _page(form=data, errors=refused.fields or {}, status=refused.status)
    flash(f"已添加关联，匹配立即生效；{knowledge.reach_text(added[0])}", "success")
    return redirect(url_for(".index", q=" ".join(data.get("cues", "").split("|")[0].split())[:50] or None))


@bp.post("/<key>/<any(disable,enable):action>")
@login_required
def act(key, action):
    _editor()
    reason = (request.form.get("reason") or "").strip()

    def run():
        if key.startswith("db") and key[2:].isdigit() and len(key) < 12:
            row = db.session.get(knowledge.KnowledgeLink, int(key[2:]))
            if row is None:
                raise NotFound("没有找到该关联")
            return knowledge.set_status(actor(), row, action, reason)
        row = db.session.scalar(db.select(knowledge.KnowledgeLink).where(knowledge.KnowledgeLink.file_key == key[:16]))
        if action == "disable" and (row is None or row.status == "active"):
            return knowledge.disable_file_link(actor(), key[:16], reason)
        if row is None:
            raise NotFound("没有找到该关联")
        return knowledge.set_status(actor(), row, action, reason)

    done = []
    if attempt(lambda: done.append(run())):
        flash(("已停用该关联" if action == "disable" else "已恢复该关联") + f"；{knowledge.reach_text(done[0])}", "success")
    return redirect(_back())


def _back() -> str:
    """Back to the page of links the action was taken on (its search and page kept): the Referer when it is
    this page on this host, else the first page. (It once only had to contain "/matching/knowledge" — which
    a page of another host with that in its path or query does.)"""
    ref = urlsplit(request.referrer or "")
    if ref.netloc != request.host or ref.path.rstrip("/") != url_for(".index").rstrip("/"):
        return url_for(".index")
    return local_url(urlunsplit(("", "", ref.path, ref.query, "")), url_for(".index"))
