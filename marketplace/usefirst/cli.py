"""flask transfer scan | remind | export."""
import json
from datetime import date

import click
from flask.cli import AppGroup

from ..extensions import db

transfer_cli = AppGroup("transfer", help="先用后转与技术合同履约")


def _as_of(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--as-of") from None


@transfer_cli.command("scan")
@click.option("--as-of", "as_of", help="扫描日期 YYYY-MM-DD（默认今天）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 列出候选成果")
def scan_command(as_of, as_json):
    """Find the achievements that must go on the 先用后转 list (safe to run daily)."""
    from .services import scan
    out = scan(_as_of(as_of))
    db.session.commit()
    if as_json:
        click.echo(json.dumps(out["candidates"], ensure_ascii=False))
        return
    click.echo(f"{out['as_of']}：符合先用后转条件的成果 {len(out['candidates'])} 项（新发现 {out['new']} 项，"
               f"不再符合 {out['voided']} 项）")
    for c in out["candidates"]:
        click.echo(f"  {c['ref']}  {c['institution']}  授权 {c['ip_granted_on']}  {c['title']}")


@transfer_cli.command("remind")
@click.option("--as-of", "as_of", help="日期 YYYY-MM-DD（默认今天）")
def remind_command(as_of):
    """Payment reminders before and after due dates, and trial-end reminders (each sent once; run daily)."""
    from ..contracts.services import send_reminders
    from .services import remind_trials
    day = _as_of(as_of)
    sent = send_reminders(day)
    trials = remind_trials(day)
    db.session.commit()
    click.echo(f"到期前提醒 {sent['before']} 条，逾期提醒 {sent['after']} 条，试用期将满提醒 {trials} 条")
