"""flask search sync | reindex | check."""
import json
import sys

import click
from flask.cli import AppGroup

from . import sync

search_cli = AppGroup("search", help="全文检索索引")


@search_cli.command("sync")
@click.option("--batch", default=500, show_default=True, help="每次提交到索引的记录数")
def sync_command(batch):
    """Apply every pending index change (safe to run any time, e.g. from cron every minute)."""
    pending = sync.pending_count()
    done = sync.apply_pending(limit=batch, progress=lambda n: click.echo(f"已同步 {n}/{pending}", err=True))
    click.echo(f"索引已同步：{done} 条变更")


@search_cli.command("reindex")
def reindex_command():
    """Rebuild the index from the database into a new index, then switch to it (no downtime)."""
    out = sync.reindex(progress=lambda n: click.echo(f"已索引 {n}", err=True))
    click.echo(f"重建完成：索引 {out['indexed']} 条，补录 {out['caught_up']} 条，移除 {out['removed']} 条，"
               f"用时 {out['seconds']} 秒")


@search_cli.command("check")
@click.option("--json", "as_json", is_flag=True)
def check_command(as_json):
    """Compare the index with the database; exits 1 when they differ."""
    out = sync.check()
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(f"数据库 {out['documents']} 条，索引 {out['indexed']} 条；缺少 {len(out['missing'])}，"
                   f"多余 {len(out['extra'])}，过时 {len(out['stale'])}")
    if out["missing"] or out["extra"] or out["stale"]:
        sys.exit(1)
