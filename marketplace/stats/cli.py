"""`flask import contracts FILE [--dry-run] [--source NAME] [--json]`: historical registered contracts."""

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
    from ..cli import echo_import_report
    echo_import_report(report, dry_run, as_json,
                       report.notes + [f"未识别的列“{h}”已忽略" for h in report.unknown_headers] + report.skipped)
