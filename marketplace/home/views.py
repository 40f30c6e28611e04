"""我的工作台 (/workbench: the landing page after login), and the footer's 关于 / 帮助 pages."""
from datetime import date

from flask import Blueprint, render_template
from flask_login import login_required

from ..core import labels, workbench
from ..core.web import actor
from . import providers  # noqa: F401  (the existing domains' workbench sections)

bp = Blueprint("home", __name__)

# The one label table in every template: label(code) for a bare code, field_label(name) for a parameter's name.
for _name, _fn in (("label", labels.label), ("action_label", labels.action), ("state_label", labels.state),
                   ("kind_label", labels.kind), ("field_label", labels.field)):
    bp.add_app_template_global(_fn, _name)


@bp.app_context_processor
def _site_globals():
    return {"current_year": date.today().year}


@bp.get("/workbench")
@login_required
def workbench_page():
    a = actor()
    sections = workbench.collect(a)
    urgent = sum(t.count for s in sections for t in s.todos if t.urgent and t.count)
    return render_template("home/workbench.html", sections=sections, urgent=urgent)


@bp.get("/about")
def about():
    return render_template("home/about.html")


@bp.get("/help")
def help_page():
    return render_template("home/help.html")
