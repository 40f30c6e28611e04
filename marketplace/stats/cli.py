"""`flask import contracts FILE [--dry-run] [--source NAME] [--json]`: historical registered contracts."""

import json
import sys
from pathlib import Path

import click

from ..core import uow
from ..core.errors import AppError
from ..extensions import db


def import_contracts_file(file: Path, dry_run: bool, as_json: bool, source: str | None) -> None:
    """Called by the `flask import` command (marketplace/cli.py) for `contracts`; commits after each batch."""
    from .imports import read_and_import

    batch = source if source and source != "local" else f"cli:{file.name}"
    try:
        with click.progressbar(length=1, label=f"导入 {file.name}", file=sys.stderr, show_pos=True) as bar:

            def progress(done, total):
                bar.length = total
                bar.update(done - bar.pos)

            report = read_and_import(
                None,
                file.name,
                file.read_bytes(),
                batch=batch,
                dry_run=dry_run,
                after_batch=uow.commit,
                progress=progress,
            )
        if not dry_run:
            uow.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for h in report.unknown_headers:
            click.echo(f"提示：未识别的列“{h}”已忽略")
        for err in report.errors:
            click.echo(f"第{err['row']}行：{err['message']}")
        click.echo(("（试运行，未写入）" if dry_run else "") + report.summary())
    if report.rejected and not report.created and not report.updated:
        sys.exit(1)
