"""What a broker knows: symptom → mechanism → technology links, so that a demand written in a factory's words
("外墙漆刷上半年就掉色") reaches the technologies that cure it ("氟碳涂料").

Three layers, merged at read time (no reindex is needed after an edit):
  1. the reviewed data files `data/graph/<industry>.tsv` — columns industry, cues, mechanism, technologies,
     source; cues are alternatives separated by `|`, each alternative 1–3 space-separated words that must all
     occur in a text; technologies are separated by 、; lines starting with # are comments;
  2. the older concept dictionary `data/concepts.txt` (`words => terms`), read as links without a mechanism;
  3. edits made in the site by administrators and brokers (`KnowledgeLink` rows): links they add, and file
     links they disable (a row with `file_key` that shadows the file's line). Every edit is audited
     (AuditLog, through core.workflow for disable/enable).

Beside them, the everyday variants of cue words, `data/variants/<industry>.tsv` (columns term, variants separated
by `|`, note): a plant manager writes 掉磁 where the cue says 退磁, 翻塘 where it says 泛塘. A variant found in a
text stands for its term in the cues of that industry's links (only those: 发黑 is 褐变 in food, not in metals),
and a reason quotes the words the text used.
"""
import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import ahocorasick
from sqlalchemy.exc import SQLAlchemyError

from search.analysis import fold

from ..core.models import AuditLog, TimestampMixin, record_audit
from ..core.vocab import INDUSTRIES
from ..core.workflow import Transition, Workflow, action_labels
from ..extensions import db

DATA = Path(__file__).parent / "data"
GRAPH_DIR = DATA / "graph"
VARIANTS_DIR = DATA / "variants"
CONCEPTS = DATA / "concepts.txt"
MAX_CUE_WORDS = 3
STATUSES = {"active": "生效", "disabled": "已停用", "merged": "已并入数据文件"}
ORIGINS = {"site": "站内添加", "file": "数据文件", "concepts": "概念词典"}


@dataclass(frozen=True)
class Link:
    key: str                      # stable: a file line's key is a hash of its content; a site link's is "db<id>"
    industry: str
    cues: tuple                   # ((word, ...), ...): alternatives, every word of one must occur
    mechanism: str
    technologies: tuple           # (technology, ...)
    source: str
    origin: str                   # file | concepts | site

    @property
    def cue_text(self) -> str:
        return "|".join(" ".join(alt) for alt in self.cues)

    @property
    def tech_text(self) -> str:
        return "、".join(self.technologies)


def split_cues(text: str) -> tuple:
    alts = []
    for alt in (text or "").split("|"):
        words = tuple(w for w in fold(alt).strip().lower().split() if w)
        if words and len(words) <= MAX_CUE_WORDS and words not in alts:
            alts.append(words)
    return tuple(alts)


def split_technologies(text: str) -> tuple:
    return tuple(dict.fromkeys(t.strip() for t in re.split(r"[、,，;；]+", fold(text or "")) if t.strip()))


def in_files(link: "Link", file_keys: set) -> bool:
    """Is this (site) link also a line of a data file — exported and merged there? Then the file's line is the one
    applied (graph), the site's row is shown as 已并入数据文件 and no longer exported. `file_keys`: the data files'
    links' keys (a site link's own key is db<id>; as a file's line it would have link_key's)."""
    return link_key(link.industry, link.cues, link.technologies) in file_keys


def link_key(industry: str, cues: tuple, technologies: tuple) -> str:
    raw = industry + "\t" + "|".join(" ".join(a) for a in cues) + "\t" + "、".join(technologies)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def parse_tsv(text: str, origin_name: str = "") -> list[Link]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) < 4 or cols[0].strip().lower() == "industry":
            continue
        industry, cues, mechanism, techs = (c.strip() for c in cols[:4])
        source = cols[4].strip() if len(cols) > 4 else origin_name
        cue_alts, tech = split_cues(cues), split_technologies(techs)
        if not cue_alts or not tech:
            continue
        out.append(Link(link_key(industry, cue_alts, tech), industry, cue_alts, mechanism, tech, source, "file"))
    return out


def parse_concepts(text: str) -> list[Link]:
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        cues = split_cues(left) if len(left.split()) <= MAX_CUE_WORDS else ()
        tech = tuple(right.split())
        if cues and tech:
            out.append(Link(link_key("", cues, tech), "", cues, "", tech, "concepts.txt", "concepts"))
    return out


def parse_variants(text: str, industry: str) -> dict:
    """{variant: ((term, industry), ...)} of a variants file: lines `term<TAB>variant|variant<TAB>note`; a
    variant shorter than two characters, or equal to its term, is left out."""
    out: dict = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2:
            continue
        term = fold(cols[0]).strip().lower()
        if not term:
            continue
        for v in cols[1].split("|"):
            v = fold(v).strip().lower()
            if len(v) >= 2 and v != term and (term, industry) not in out.get(v, ()):
                out[v] = out.get(v, ()) + ((term, industry),)
    return out


def _files() -> list[Path]:
    files = sorted(GRAPH_DIR.glob("*.tsv")) if GRAPH_DIR.is_dir() else []
    extra = os.environ.get("MATCH_GRAPH_DIR")
    if extra and Path(extra).is_dir():
        files += sorted(Path(extra).glob("*.tsv"))
    return files


def _variant_files() -> list[Path]:
    files = sorted(VARIANTS_DIR.glob("*.tsv")) if VARIANTS_DIR.is_dir() else []
    extra = os.environ.get("MATCH_GRAPH_DIR")
    if extra and (Path(extra) / "variants").is_dir():
        files += sorted((Path(extra) / "variants").glob("*.tsv"))
    return files


def _concept_files() -> list[Path]:
    files = [CONCEPTS]
    extra = os.environ.get("MATCH_CONCEPTS_FILE")
    if extra and Path(extra).is_file():
        files.append(Path(extra))
    return files


_file_cache: dict = {"sig": None, "links": [], "variants": {}, "at": 0.0, "env": None}
_lock = threading.Lock()
FILE_RECHECK_SECONDS = 2.0  # the data files are stat()ed at most this often per process (not on every lookup)


def file_links() -> list[Link]:
    """Links of the data files (graph TSVs and concept dictionaries), re-read when a file changes (new
    industries arrive as new files). The files are looked at (glob + stat) at most every FILE_RECHECK_SECONDS,
    or at once when MATCH_GRAPH_DIR / MATCH_CONCEPTS_FILE change."""
    now = time.monotonic()
    env = (os.environ.get("MATCH_GRAPH_DIR"), os.environ.get("MATCH_CONCEPTS_FILE"))
    if _file_cache["sig"] is not None and env == _file_cache["env"] \
            and now - _file_cache["at"] < FILE_RECHECK_SECONDS:
        return _file_cache["links"]
    files = _files() + _concept_files()
    vfiles = _variant_files()
    sig = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files + vfiles if p.is_file())
    if _file_cache["sig"] == sig:
        _file_cache.update(at=now, env=env)
        return _file_cache["links"]
    with _lock:
        links, seen = [], set()
        for p in files:
            if not p.is_file():
                continue
            text = p.read_text(encoding="utf-8")
            parsed = parse_tsv(text, p.name) if p.suffix == ".tsv" else parse_concepts(text)
            for link in parsed:
                if link.key not in seen:
                    seen.add(link.key)
                    links.append(link)
        variants: dict = {}
        for p in vfiles:
            if p.is_file():
                for v, pairs in parse_variants(p.read_text(encoding="utf-8"), p.stem).items():
                    variants[v] = variants.get(v, ()) + tuple(x for x in pairs if x not in variants.get(v, ()))
        _file_cache.update(sig=sig, links=links, variants=variants, at=now, env=env)
    return links


def file_variants() -> dict:
    """{variant: ((term, industry), ...)} of the variants files (read with the links, same recheck)."""
    file_links()
    return _file_cache["variants"]


# --- edits made in the site -------------------------------------------------------------------------

class KnowledgeLink(TimestampMixin, db.Model):
    """A link added in the site (origin "site"), or a file link disabled in the site (origin "file", its key
    in `file_key`). Applied on top of the data files at read time."""
    __tablename__ = "match_knowledge_links"
    id = db.Column(db.Integer, primary_key=True)
    origin = db.Column(db.String(8), nullable=False, default="site")
    file_key = db.Column(db.String(16), unique=True)
    industry = db.Column(db.String(32), nullable=False, default="")
    cues = db.Column(db.String(400), nullable=False)
    mechanism = db.Column(db.String(400), nullable=False, default="")
    technologies = db.Column(db.String(400), nullable=False)
    source = db.Column(db.String(200), nullable=False, default="")
    status = db.Column(db.String(12), nullable=False, default="active", index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    def as_link(self) -> Link:
        cues, tech = split_cues(self.cues), split_technologies(self.technologies)
        key = self.file_key if self.origin == "file" and self.file_key else f"db{self.id}"
        return Link(key, self.industry or "", cues, self.mechanism or "", tech, self.source or "", self.origin)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


def can_edit(actor) -> bool:
    """Administrators and brokers edit the graph."""
    from ..core import permissions as perm
    return perm.is_admin(actor) or (perm.is_authenticated(actor) and actor.role == "broker")


LINKS = Workflow.of("knowledge_link", [
    Transition("disable", frozenset({"active"}), "disabled", "停用关联", "editor", needs_reason=True),
    Transition("enable", frozenset({"disabled"}), "active", "恢复关联", "editor"),
], {"editor": lambda actor, obj: can_edit(actor)}, state_labels=STATUSES, not_found="没有找到该关联")
action_labels({"create": "创建"})

_db_cache: dict = {"sig": None, "at": 0.0, "rows": ([], set())}
DB_RECHECK_SECONDS = 2.0


def _db_signature():
    return db.session.execute(db.select(db.func.count(KnowledgeLink.id), db.func.max(KnowledgeLink.updated_at))).one()


def _site_state() -> tuple[list[Link], set]:
    """(active links added in the site, keys of file links disabled in the site), re-read when the table
    changes (a cheap count/max query at most every DB_RECHECK_SECONDS)."""
    now = time.monotonic()
    if _db_cache["sig"] is not None and now - _db_cache["at"] < DB_RECHECK_SECONDS:
        return _db_cache["rows"]
    try:
        sig = tuple(_db_signature())
    except SQLAlchemyError:  # table missing (an old database): the files alone
        db.session.rollback()
        return [], set()
    if sig != _db_cache["sig"]:
        rows = db.session.scalars(db.select(KnowledgeLink)).all()
        added = [r.as_link() for r in rows if r.origin == "site" and r.status == "active"]
        disabled = {r.file_key for r in rows if r.origin == "file" and r.status == "disabled" and r.file_key}
        _db_cache.update(sig=sig, rows=(added, disabled))
    _db_cache["at"] = now
    return _db_cache["rows"]


def recheck() -> None:
    """The next read compares the files' and the site table's signatures at once, instead of trusting what was
    read up to FILE_RECHECK_SECONDS / DB_RECHECK_SECONDS ago (the links are read again only if they changed)."""
    _db_cache["at"] = 0.0
    _file_cache["at"] = 0.0


def invalidate() -> None:
    """After an edit: the links are read again at once, and so is the stored lists' fingerprint (which hashes
    them), so the next read marks the lists computed before as stale instead of up to 30 s later."""
    _db_cache["sig"] = None
    recheck()
    from . import store
    store.reset_fingerprint_cache()


@dataclass
class Graph:
    links: list
    by_word: dict          # cue word → [(link index, alternative)]
    variants: dict = field(default_factory=dict)  # everyday variant → ((cue word, industry), ...)

    @cached_property
    def automaton(self):
        """An Aho-Corasick automaton of the cue words and their variants (built on first use, once per graph):
        a string found → (its length, ((cue word, None for the word itself | the variant's industry), ...))."""
        found: dict = {}
        for w in self.by_word:
            if w:
                found[w] = ((w, None),)
        for v, pairs in self.variants.items():
            pairs = tuple(p for p in pairs if p[0] in self.by_word)
            if v and pairs:
                found[v] = found.get(v, ()) + pairs
        auto = ahocorasick.Automaton()
        for s, val in found.items():
            auto.add_word(s, (len(s), val))
        auto.make_automaton()
        return auto

    def fired(self, text: str) -> list[tuple[Link, tuple]]:
        """Links whose cue (one alternative: all of its words) occurs in `text`: [(link, the alternative as the
        text says it)]. A cue word counts when it occurs, or when a variant of it for the link's industry does
        (the alternative then shows the variant: a reason quotes the text)."""
        text = fold(text or "").lower()  # (ＰＬＣ is PLC: search.analysis.fold)
        # cue words in the order they first occur (a set's order changes between processes): by where they
        # start, then by length, as a scan from left to right trying the shorter words first would find them;
        # found in one pass of an Aho-Corasick automaton of the cue words (matches come by where they end)
        first: dict = {}
        via: dict = {}     # cue word → {industry: (start, the variant found)}: found only through a variant
        if self.by_word:
            last = len(text) - 1
            for end, (n, val) in self.automaton.iter(text):
                start = end - n + 1
                if (start and _latin(text[start]) and _latin(text[start - 1])) or \
                        (end < last and _latin(text[end]) and _latin(text[end + 1])):
                    continue  # a Latin word is a whole run of letters: "ai" is not a cue in "main", "co" not in "cod"
                for w, industry in val:
                    if industry is None:
                        if w not in first:
                            first[w] = start
                    else:
                        seen_in = via.setdefault(w, {})
                        if industry not in seen_in:
                            seen_in[industry] = (start, text[start:end + 1])
        if via:
            starts = dict(first)
            for w, by_ind in via.items():
                s = min(x[0] for x in by_ind.values())
                if w not in starts or s < starts[w]:
                    starts[w] = s
            present = sorted(starts, key=lambda w: (starts[w], len(w), w))
        else:
            present = sorted(first, key=lambda w: (first[w], len(w)))
        out, seen = [], set()
        for w in present:
            for idx, alt in self.by_word[w]:
                if idx in seen:
                    continue
                if all(x in first for x in alt):
                    seen.add(idx)
                    out.append((self.links[idx], alt))
                elif via:
                    ind = self.links[idx].industry
                    if all(x in first or ind in via.get(x, ()) for x in alt):
                        seen.add(idx)
                        out.append((self.links[idx], tuple(x if x in first else via[x][ind][1] for x in alt)))
        out.sort(key=lambda x: x[0].key)
        return out


def _latin(ch: str) -> bool:
    return "a" <= ch <= "z"


_graph_cache: dict = {"inputs": None, "graph": None}


def graph() -> Graph:
    """The graph of the files' links less those disabled in the site, plus the site's own; built again only when
    one of those inputs changes (compared by value: an invalidate() that finds the same links keeps the graph and
    its cue automaton). The inputs themselves are kept, so no freed object's id can be mistaken for them."""
    added, disabled = _site_state()
    inputs = (file_links(), file_variants(), tuple(added), frozenset(disabled))
    if _graph_cache["inputs"] == inputs:
        return _graph_cache["graph"]
    files, variants = inputs[0], inputs[1]
    file_keys = {l.key for l in files}
    links = [l for l in files if l.key not in disabled] + [l for l in added if not in_files(l, file_keys)]
    g = Graph(links, _by_word(links), variants)
    _graph_cache.update(inputs=inputs, graph=g)
    return g


def _by_word(links: list) -> dict:
    """cue word → [(link index, alternative)], the index Graph.fired scans by."""
    by_word: dict = {}
    for i, link in enumerate(links):
        for alt in link.cues:
            for w in set(alt):
                by_word.setdefault(w, []).append((i, alt))
    return by_word


def single(link: Link) -> Graph:
    """A graph of this one link (with the variants of the cue words): which texts fire it (matching.store, after an
    edit)."""
    return Graph([link], _by_word([link]), file_variants())


def find_file_link(key: str) -> Link | None:
    return next((l for l in file_links() if l.key == key), None)


# --- services (actor first; flush, never commit) ------------------------------------------------------

# A cell that begins with one of these is a formula to a spreadsheet (an exported TSV opened in Excel).
FORMULA_START = ("=", "+", "-", "@")


def _one_line(text: str) -> str:
    """A field of one line: tabs and line breaks would split a data file's row (the export below)."""
    return " ".join((text or "").split())


def _check_fields(industry, cues, mechanism, technologies, source):
    from ..core.errors import ValidationFailed
    errors = {}
    for name, value in (("cues", cues), ("mechanism", mechanism), ("technologies", technologies),
                        ("source", source)):
        if _one_line(value).startswith(FORMULA_START):
            errors[name] = "不能以 = + - @ 开头"
    if _one_line(industry) and _one_line(industry) not in INDUSTRIES:
        errors["industry"] = "请从列表中选择产业"
    cue_alts, tech = split_cues(cues), split_technologies(technologies)
    if not cue_alts:
        errors["cues"] = "请填写症状词：每组1–3个词（空格分隔），多组用“|”分隔"
    elif any(len(w) > 20 for alt in cue_alts for w in alt):
        errors["cues"] = "单个症状词不能超过20个字"
    if not tech:
        errors["technologies"] = "请填写对应技术，多个用“、”分隔"
    for name, value, limit in (("cues", cues, 400), ("technologies", technologies, 400),
                               ("mechanism", mechanism, 400), ("source", source, 200), ("industry", industry, 32)):
        if value and len(value) > limit:
            errors[name] = f"不能超过{limit}个字"
    if errors:
        raise ValidationFailed("关联填写有误", errors)
    return cue_alts, tech


def add_link(actor, *, industry="", cues="", mechanism="", technologies="", source="") -> KnowledgeLink:
    from ..core.errors import Forbidden
    if not can_edit(actor):
        raise Forbidden("只有管理员和技术经纪人可以编辑知识图谱")
    cue_alts, tech = _check_fields(industry, cues, mechanism, technologies, source)
    before = _fingerprint_now()
    row = KnowledgeLink(origin="site", industry=_one_line(industry),
                        cues="|".join(" ".join(a) for a in cue_alts), mechanism=_one_line(mechanism),
                        technologies="、".join(_one_line(t) for t in tech),
                        source=_one_line(source) or f"{actor.name}添加",
                        status="active", created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record_audit(actor, "knowledge_link", row.id, "create", None, "active", None,
                 {"cues": row.cues, "technologies": row.technologies, "mechanism": row.mechanism})
    _edited(row, before)
    return row


def disable_file_link(actor, key: str, reason: str) -> KnowledgeLink:
    """Disable a link of the data files: a row shadows it (kept, so it can be enabled again)."""
    from ..core.errors import Forbidden, NotFound
    if not can_edit(actor):
        raise Forbidden("只有管理员和技术经纪人可以编辑知识图谱")
    before = _fingerprint_now()
    row = db.session.scalar(db.select(KnowledgeLink).where(KnowledgeLink.file_key == key))
    if row is None:
        link = find_file_link(key)
        if link is None:
            raise NotFound("没有找到该关联")
        row = KnowledgeLink(origin="file", file_key=key, industry=link.industry, cues=link.cue_text[:400],
                            mechanism=link.mechanism[:400], technologies=link.tech_text[:400],
                            source=link.source[:200], status="active", created_by_id=actor.id)
        db.session.add(row)
        db.session.flush()
    LINKS.fire(actor, row, "disable", reason)
    db.session.flush()
    _edited(row, before)
    return row


def set_status(actor, row: KnowledgeLink, action: str, reason: str | None = None) -> KnowledgeLink:
    before = _fingerprint_now()
    LINKS.fire(actor, row, action, reason)
    db.session.flush()
    _edited(row, before)
    return row


def _fingerprint_now() -> str:
    from . import store
    return store.fingerprint(fresh=True)


def _edited(row: KnowledgeLink, before: str) -> None:
    """The graph is read again at once, and the stored lists the link can change are queued for a recompute
    (matching.store.follow_graph_edit); a link that reaches too many records is left to the full rebuild that the
    changed fingerprint schedules. `row.reach`: how many were queued (None: all, by the rebuild)."""
    invalidate()
    link = (find_file_link(row.file_key) if row.origin == "file" and row.file_key else None) or row.as_link()
    from . import store
    row.reach = store.follow_graph_edit(link, before)


def reach_text(row: KnowledgeLink) -> str:
    """What the edit does to the stored lists, for the editor's message."""
    n = getattr(row, "reach", None)
    if n is None:
        return "已存储的匹配结果将在后台全部重新计算"
    return f"涉及的 {n} 条需求或成果的匹配结果正在后台重新计算" if n else "没有已存储的匹配结果受影响"


def search_links(q: str = "", industry: str = "", limit: int = 200) -> list[dict]:
    """Site and file links for the editing page (the site's own first, newest first: an editor looks for what was
    just added), matching `q` in cues, mechanism or technologies."""
    rows = db.session.scalars(db.select(KnowledgeLink).order_by(KnowledgeLink.id.desc())).all()
    by_key = {r.file_key: r for r in rows if r.file_key}
    file_keys = {l.key for l in file_links()}
    out = []
    for r in rows:
        if r.origin == "site":
            link = r.as_link()
            merged = r.status == "active" and in_files(link, file_keys)
            out.append({"key": f"db{r.id}", "link": link, "row": r, "status": "merged" if merged else r.status})
    q = (q or "").strip().lower()
    for link in file_links():
        row = by_key.get(link.key)
        out.append({"key": link.key, "link": link, "row": row,
                    "status": row.status if row else "active"})
    if industry:
        out = [x for x in out if x["link"].industry == industry]
    if q:
        out = [x for x in out if q in x["link"].cue_text.lower() or q in x["link"].mechanism.lower()
               or q in x["link"].tech_text.lower()]
    return out[:limit]


def export_tsv(industry: str = "") -> str:
    """The site's edits as a data file, for review: the active links added in the site, in the files' five
    columns (the text can be saved into MATCH_GRAPH_DIR as is, or its lines moved into data/graph/<产业>.tsv),
    then, as comment lines, the file links disabled in the site, with who disabled them, when and why (to be
    deleted from their file). Parsed back by `parse_tsv`, the links are the ones the site applies."""
    rows = db.session.scalars(db.select(KnowledgeLink).order_by(KnowledgeLink.id)).all()
    if industry:
        rows = [r for r in rows if (r.industry or "") == industry]

    def cell(text: str) -> str:
        text = _one_line(text)
        return "'" + text if text.startswith(FORMULA_START) else text  # (a row written before the check)

    file_keys = {l.key for l in file_links()}
    added = [r for r in rows if r.origin == "site" and r.status == "active" and not in_files(r.as_link(), file_keys)]
    disabled = [r for r in rows if r.status == "disabled"]
    why = {}
    if disabled:
        for e in db.session.scalars(db.select(AuditLog).where(
                AuditLog.entity_type == "knowledge_link", AuditLog.action == "disable",
                AuditLog.entity_id.in_([r.id for r in disabled])).order_by(AuditLog.id)):
            why[e.entity_id] = e  # the latest disable of each row
    lines = [f"# 知识图谱站内修改导出（{time.strftime('%Y-%m-%d %H:%M')}{'，产业：' + industry if industry else ''}）"
             "：审核后并入 data/graph/<产业>.tsv，或原样放入 MATCH_GRAPH_DIR",
             "# industry\tcues\tmechanism\ttechnologies\tsource"]
    for r in added:
        link = r.as_link()
        lines.append("\t".join(cell(c) for c in (link.industry, link.cue_text, link.mechanism, link.tech_text,
                                                  link.source)))
    if not added:
        lines.append("# （没有站内添加的生效关联）")
    lines.append("# 站内停用的关联（数据文件的关联审核后从其文件删除；站内添加的无需处理）：")
    for r in disabled:
        e = why.get(r.id)
        who = f"{e.actor.name if e.actor else '系统'} {e.at:%Y-%m-%d}，原因：{cell(e.reason or '')}" if e else ""
        kind = "数据文件" if r.origin == "file" else "站内添加"
        lines.append("# 停用\t" + "\t".join(cell(c) for c in (kind, r.industry or "", r.cues, r.technologies, who)))
    if not disabled:
        lines.append("# （没有）")
    return "\n".join(lines) + "\n"


def fingerprint_part() -> str:
    """The version of what the graph is made of beyond the shipped files (read by matching.store to tell that
    stored matches are out of date): links edited in the site, and an administrator's MATCH_GRAPH_DIR files."""
    try:
        count, latest = _db_signature()
    except SQLAlchemyError:
        db.session.rollback()
        count, latest = 0, None
    extra = os.environ.get("MATCH_GRAPH_DIR")
    files = sorted(Path(extra).glob("*.tsv")) + sorted(Path(extra).glob("variants/*.tsv")) \
        if extra and Path(extra).is_dir() else []
    return f"{count}:{latest}:" + ",".join(f"{p.parent.name}/{p.name}:{p.stat().st_mtime_ns}" for p in files)
