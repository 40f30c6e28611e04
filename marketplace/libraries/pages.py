"""The HTML pages every library has: list (paged, sorted, filtered), export, detail, form, workflow, delete.

Each domain's views.py creates its blueprint and calls register(); pages stay thin: parse, call the
service in core.listings, render (the pipeline commits). Other packages add a panel to the detail page
with `detail_panel(name, fn)`: fn(actor, lib, obj) → template context (the matching package adds its matches).
"""
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy.orm import lazyload

from ..core import listings, permissions as perm
from ..core.vocab import IP_TYPES
from ..core.errors import AppError
from ..core.forms import form_to_dict
from ..core.models import audit_trail
from ..core.web import actor, attempt, commit, local_url
from ..imports import excel
from . import receivers  # noqa: F401  (owners are told of review decisions)

EXPORT_LIMIT = 10000
_PANELS: dict = {}


def detail_panel(name: str, fn) -> None:
    """Add `name` to every library detail page's context: fn(actor, lib, obj) → value (None: no panel)."""
    _PANELS[name] = fn


_ROW_EXTRAS: dict = {}


def list_extra(name: str, fn) -> None:
    """Add `name` to every library list page's `extras`: fn(actor, lib, records, scope) → {record id: value}
    shown under each row (the matching package adds each own record's match summary to 本单位的…)."""
    _ROW_EXTRAS[name] = fn


class _WithoutContacts:
    """A record as exported to someone who may not see its contacts (an anonymous visitor): contacts blank."""
    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        return None if name in listings.CONTACT_FIELDS else getattr(self._obj, name)


def _form_schema_kw(lib) -> dict:
    """Rules only the page form applies: a demand typed by a person needs a contact (name + phone or e-mail)."""
    return {"require_contact": True} if lib.key == "demands" else {}


IP_ROW_FIELDS = ("ip_type", "patent_no", "ip_filed_on", "ip_granted_on")  # one row per IP item on the form


def _with_ip_rows(lib, values: dict) -> tuple[dict, list]:
    """Achievements: the form's repeated IP rows → `ip_items` (each row validated by the nested IPIn schema);
    rows left blank are dropped. Returns the values to load and the rows as typed (to show them again)."""
    if lib.key != "achievements" or "ip_type" not in request.form:
        return values, []
    columns = [request.form.getlist(name) for name in IP_ROW_FIELDS]
    rows = [dict(zip(IP_ROW_FIELDS, r)) for r in zip(*columns)]
    values = {k: v for k, v in values.items() if k not in IP_ROW_FIELDS}
    values["ip_items"] = [{"ip_type": r["ip_type"], "number": r["patent_no"], "filed_on": r["ip_filed_on"],
                           "granted_on": r["ip_granted_on"]} for r in rows if any(v.strip() for v in r.values())]
    return values, [r for r in rows if any(v.strip() for v in r.values())]


def _ip_rows_of(obj) -> list:
    return [{"ip_type": ip.ip_type, "patent_no": ip.number or "",
             "ip_filed_on": ip.filed_on.isoformat() if ip.filed_on else "",
             "ip_granted_on": ip.granted_on.isoformat() if ip.granted_on else ""} for ip in obj.ip_items]


def _ip_errors(errors: dict, rows: list) -> dict:
    """ip_items.<i>.<field> → the row's form field names, so each message sits by its input."""
    names = {"ip_type": "ip_type", "number": "patent_no", "filed_on": "ip_filed_on", "granted_on": "ip_granted_on"}
    out = dict(errors or {})
    for key, msg in (errors or {}).items():
        parts = key.split(".")
        if parts[0] == "ip_items" and len(parts) == 3 and parts[2] in names:
            out[f"{names[parts[2]]}.{parts[1]}"] = msg
    return out


def register(bp, lib: listings.Library, form_fields: list, form_values):
    """form_values(obj) → dict of the form's initial values for an existing record."""

    def list_page():
        params = request.args.to_dict()
        stmt = listings.list_query(actor(), lib, params)  # validates every parameter
        if (params.get("q") or "").strip():
            from ..searching.service import library_page
            page = library_page(actor(), lib, params)
        else:
            # The rows show no collection (an achievement's IP items): not loaded up front (lazily if ever read).
            page = listings.paginate(stmt.options(*[lazyload(rel) for rel in lib.model.__mapper__.relationships
                                                    if rel.lazy == "selectin"]), params)
        scope = params.get("scope") or "public"
        extras = {name: fn(actor(), lib, list(page.items), scope) or {} for name, fn in _ROW_EXTRAS.items()}
        return render_template("library/list.html", lib=lib, page=page, params=params, scope=scope, extras=extras)

    def export():
        params = request.args.to_dict()
        rows = listings.db.session.scalars(listings.list_query(actor(), lib, params).limit(EXPORT_LIMIT)).all()
        rows = [r if perm.can_see_contacts(actor(), r) else _WithoutContacts(r) for r in rows]  # people's details
        return send_file(excel.export_workbook(lib, rows), as_attachment=True,
                         download_name=f"{lib.key}.xlsx", mimetype=excel.XLSX_MIME)

    def template():
        return send_file(excel.template_workbook(lib), as_attachment=True,
                         download_name=f"{lib.key}-template.xlsx", mimetype=excel.XLSX_MIME)

    def detail(obj_id):
        obj = listings.get(actor(), lib, obj_id)
        show_trail = perm.is_owner(actor(), obj) or perm.can_review(actor(), obj)
        panels = {name: fn(actor(), lib, obj) for name, fn in _PANELS.items()}
        return render_template(f"{lib.key}/detail.html", lib=lib, obj=obj, **panels,
                               actions=listings.allowed_actions(actor(), lib, obj),
                               transitions=listings.TRANSITIONS,
                               can_edit=perm.can_edit(actor(), obj, lib.owner_roles),
                               can_see_contacts=perm.can_see_contacts(actor(), obj),
                               trail=audit_trail(lib.entity_type, obj.id) if show_trail else None)

    def render_form(obj, values, errors, status=200, ip_rows=None):
        if ip_rows is None:
            ip_rows = _ip_rows_of(obj) if obj is not None and lib.key == "achievements" else []
        if lib.key == "demands" and obj is None and not values and actor().is_authenticated:
            values = {"contact_name": actor().name, "contact_email": actor().email}  # prefilled from the account
        return render_template("library/form.html", lib=lib, obj=obj, fields=form_fields, values=values,
                               errors=_ip_errors(errors, ip_rows), ip_rows=ip_rows,
                               ip_types=IP_TYPES), status

    @login_required
    def new():
        if actor().role not in lib.owner_roles:
            abort(403)
        if request.method == "POST":
            values = form_to_dict(request.form, form_fields)
            loaded, ip_rows = _with_ip_rows(lib, values)
            try:
                data = lib.load(loaded, **_form_schema_kw(lib))
                obj = listings.create(actor(), lib, data)
                if request.form.get("then") == "submit":
                    listings.transition(actor(), lib, obj, "submit")
                commit()
            except AppError as exc:
                listings.db.session.rollback()
                flash(exc.message, "error")
                return render_form(None, values, exc.fields, exc.status, ip_rows)
            flash(f"{lib.label}已保存" + ("并提交审核" if obj.status == "submitted" else "为草稿"), "success")
            return redirect(url_for(".detail", obj_id=obj.id))
        return render_form(None, {}, {})

    @login_required
    def edit(obj_id):
        obj = listings.get(actor(), lib, obj_id)
        if not perm.can_edit(actor(), obj, lib.owner_roles):
            flash("该记录当前不能修改（只能修改本单位草稿、被驳回或已撤回的记录）", "error")
            return redirect(url_for(".detail", obj_id=obj.id)), 303
        if request.method == "POST":
            values = form_to_dict(request.form, form_fields)
            loaded, ip_rows = _with_ip_rows(lib, values)
            try:
                listings.update(actor(), lib, obj, lib.load(loaded, **_form_schema_kw(lib)))
                commit()
            except AppError as exc:
                listings.db.session.rollback()
                flash(exc.message, "error")
                return render_form(obj, values, exc.fields, exc.status, ip_rows)
            flash("已保存修改", "success")
            return redirect(url_for(".detail", obj_id=obj.id))
        return render_form(obj, form_values(obj), {})

    @login_required
    def act(obj_id, action):
        obj = listings.get(actor(), lib, obj_id)
        if not attempt(lambda: listings.transition(actor(), lib, obj, action, request.form.get("reason"))):
            return redirect(url_for(".detail", obj_id=obj_id))
        flash(f"已{listings.TRANSITIONS[action].label}", "success")
        return redirect(local_url(request.form.get("next"), url_for(".detail", obj_id=obj_id)))

    @login_required
    def delete(obj_id):
        obj = listings.get(actor(), lib, obj_id)
        if request.method == "POST":
            title = obj.title
            listings.delete(actor(), lib, obj)
            commit()
            flash(f"已删除草稿“{title}”", "success")
            return redirect(url_for(".list_page", scope="mine"))
        if not (perm.is_owner(actor(), obj) and obj.status == "draft"):
            flash("只有本单位的草稿可以删除", "error")
            return redirect(url_for(".detail", obj_id=obj.id))
        return render_template("library/confirm_delete.html", lib=lib, obj=obj)

    bp.add_url_rule("/", "list_page", list_page)
    bp.add_url_rule("/export.xlsx", "export", export)
    bp.add_url_rule("/template.xlsx", "template", template)
    bp.add_url_rule("/<int:obj_id>", "detail", detail)
    bp.add_url_rule("/new", "new", new, methods=["GET", "POST"])
    bp.add_url_rule("/<int:obj_id>/edit", "edit", edit, methods=["GET", "POST"])
    bp.add_url_rule("/<int:obj_id>/delete", "delete", delete, methods=["GET", "POST"])
    bp.add_url_rule("/<int:obj_id>/<any(submit,approve,reject,withdraw):action>", "act", act, methods=["POST"])
