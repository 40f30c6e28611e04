"""The knowledge graph: the data files' format, merging with concepts.txt, edits in the site (audited, applied
at once), what it does to a factory-language demand's matches, and learning from what happened to pairs."""
import pytest

from marketplace.core.models import AuditLog
from marketplace.extensions import db
from marketplace.matching import knowledge, learning
from marketplace.matching import service as matching
from marketplace.searching import sync
from search.analysis import fold

from .conftest import login

TSV = """# industry\tcues\tmechanism\ttechnologies\tsource
industry\tcues\tmechanism\ttechnologies\tsource
建材\t外墙 掉色|涂料 粉化|外墙漆 褪色\t紫外老化使树脂降解、颜料褪色\t氟碳涂料、耐候颜料\tGB/T 9755
建材\t一 二 三 四\t四个词的一组不合格式\t某技术\t—
建材\t\t没有症状词\t某技术\t—
"""


@pytest.fixture(autouse=True)
def fresh_caches():
    knowledge.invalidate()
    learning.invalidate()
    matching.reset_caches()
    yield
    knowledge.invalidate()
    learning.invalidate()
    matching.reset_caches()


def test_tsv_format_comments_header_alternatives_and_technologies():
    links = knowledge.parse_tsv(TSV, "建材.tsv")
    assert len(links) == 1  # the comment, the header, a 4-word cue and an empty cue are left out
    link = links[0]
    assert link.cues == (("外墙", "掉色"), ("涂料", "粉化"), ("外墙漆", "褪色"))
    assert link.technologies == ("氟碳涂料", "耐候颜料") and link.source == "GB/T 9755" and link.industry == "建材"
    assert link.key == knowledge.parse_tsv(TSV)[0].key  # stable: an edit in the site can refer to it
    g = knowledge.Graph([link], {})
    by_word = {}
    for alt in link.cues:
        for w in alt:
            by_word.setdefault(w, []).append((0, alt))
    g = knowledge.Graph([link], by_word)
    assert [alt for _, alt in g.fired("外墙漆刷上半年就掉色，很难看")] == [("外墙", "掉色")]  # every word of one alternative
    assert g.fired("掉色的衣服") == [] and g.fired("") == []
    # a cue or technology written in full-width letters is the ASCII one, and fires on either
    plc = knowledge.parse_tsv("装备制造\tＰＬＣ 死机\t干扰\t抗干扰设计、ＥＭＣ滤波\t教材\n")[0]
    assert plc.cues == (("plc", "死机"),) and plc.technologies == ("抗干扰设计", "EMC滤波")
    g = knowledge.Graph([plc], {"plc": [(0, ("plc", "死机"))], "死机": [(0, ("plc", "死机"))]})
    assert len(g.fired("车间的ＰＬＣ老死机")) == 1 and len(g.fired("车间的PLC老死机")) == 1


def test_an_everyday_variant_stands_for_its_cue_word_in_its_industry_and_the_reason_quotes_the_text():
    tsv = ("有色金属\t磁钢 退磁|磁体 退磁\t高温下矫顽力不足\t晶界扩散、高矫顽力磁体\tGB/T 13560\n"
           "装备制造\t电机 退磁\t温升过高使磁钢失磁\t冷却设计、磁路优化\t教材\n")
    links = knowledge.parse_tsv(tsv)
    by_word = {}
    for i, link in enumerate(links):
        for alt in link.cues:
            for w in alt:
                by_word.setdefault(w, []).append((i, alt))
    variants = knowledge.parse_variants("# term\tvariants\tnote\n退磁\t掉磁|磁性变弱|退磁|磁\t口语\n", "有色金属")
    assert variants == {"掉磁": (("退磁", "有色金属"),), "磁性变弱": (("退磁", "有色金属"),)}  # itself, 1 char: out
    g = knowledge.Graph(links, by_word, variants)
    fired = g.fired("电机跑长坡一热就没劲，拆开发现磁钢掉磁")
    # the metals link fires through its variant and shows the text's word; the equipment link's industry has no
    # such variant, so 掉磁 does not stand for 退磁 there
    assert [(l.industry, alt) for l, alt in fired] == [("有色金属", ("磁钢", "掉磁"))]
    assert knowledge.Graph(links, by_word).fired("电机跑长坡一热就没劲，拆开发现磁钢掉磁") == []  # without variants
    # the word itself is shown when the text has it
    assert [alt for _, alt in g.fired("磁钢退磁，磁性变弱")] == [("磁钢", "退磁")]


VARIANTS = knowledge.DATA.parents[2] / "docs" / "knowledge" / "variants"  # reviewed, not loaded by default


def test_the_variants_files_name_cue_words_of_their_industry_and_no_filler():
    graph = {p.stem: p for p in knowledge.GRAPH_DIR.glob("*.tsv")}
    files = sorted(VARIANTS.glob("*.tsv"))
    assert len(files) == len(graph) == 21
    filler = {"问题", "不好", "不行", "坏了", "变差", "质量差", "效率低", "成本高", "太贵", "麻烦", "影响", "方案",
              "表面", "现场", "技术", "提高"}
    total = 0
    for p in files:
        assert p.stem in graph, p.name
        words = {w for l in knowledge.parse_tsv(graph[p.stem].read_text(encoding="utf-8")) for alt in l.cues for w in alt}
        text = p.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            cols = line.split("\t")
            assert fold(cols[0]).strip().lower() in words, (p.name, cols[0])  # as loaded: 二噁英 is 二恶英
            for v in cols[1].split("|"):
                assert len(v.strip()) >= 2 and v.strip() not in filler and cols[0] not in v, (p.name, line)
        total += sum(len(x) for x in knowledge.parse_variants(text, p.stem).values())
    assert total > 15000


def test_variants_are_loaded_from_an_administrators_graph_folder(ctx, monkeypatch, tmp_path):
    text = "我们的电机跑长坡一热就没劲，拆开发现磁钢掉磁"
    assert not any("掉磁" in alt for _, alt in knowledge.graph().fired(text))  # none shipped in data/variants
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "有色金属.tsv").write_text("# term\tvariants\tnote\n退磁\t掉磁|没磁了\t口语\n",
                                                       encoding="utf-8")
    monkeypatch.setenv("MATCH_GRAPH_DIR", str(tmp_path))
    fired = [(l.industry, alt) for l, alt in knowledge.graph().fired(text)]
    assert ("有色金属", ("电机", "磁钢", "掉磁")) in fired  # the shipped link 电机 磁钢 退磁, quoted as the text says it
    assert "variants/有色金属.tsv" in knowledge.fingerprint_part()  # stored lists go stale when they change


def test_graph_files_and_concepts_are_merged(monkeypatch, tmp_path):
    (tmp_path / "建材.tsv").write_text(TSV, encoding="utf-8")
    monkeypatch.setenv("MATCH_GRAPH_DIR", str(tmp_path))
    links = knowledge.file_links()
    origins = {l.origin for l in links}
    assert {"file", "concepts"} <= origins
    assert any(l.technologies == ("氟碳涂料", "耐候颜料") for l in links)
    assert any(l.cues == (("断线",),) for l in links)  # concepts.txt: 断线 => 拉丝 …


def _paint(f):
    inst = f.user("institution")
    cure = f.record("achievements", inst, status="published", ref="K-A1", title="建筑外墙用氟碳涂料耐候改性技术",
                    summary="以含氟树脂为基料，加入受阻胺光稳定剂，人工加速老化3000小时色差小于2，用于建筑外墙长效装饰。",
                    keywords="含氟树脂、光稳定剂、人工加速老化", industry="建材", maturity="工业化", transfer_modes="许可")
    other = f.record("achievements", inst, status="published", ref="K-A2", title="外墙保温板防火改性技术",
                     summary="外墙保温板用无机阻燃剂改性，燃烧等级达到A2级，适用于高层建筑外墙保温系统。",
                     keywords="保温板、阻燃", industry="建材", maturity="中试", transfer_modes="转让")
    company = f.user("company")
    demand = f.record("demands", company, status="published", ref="K-D1", title="外墙漆刷上半年就起霜花",
                      description="我们做外墙漆，刷上墙半年就起霜花，客户投诉很多，想让颜色保持得久一点。",
                      industry="建材", city="南昌", budget_wan="30", cooperation="技术许可")
    sync.apply_pending()
    return cure, other, demand


def test_a_broker_adds_a_link_in_the_site_and_the_match_follows_at_once(client, f):
    cure, _other, demand = _paint(f)
    before = matching.match_demand(demand, 5)
    assert not any("盐分迁移" in r for i in before["items"] for r in i["reasons"])
    broker = f.user("broker")
    login(client, broker)
    assert client.get("/matching/knowledge").status_code == 200
    resp = client.post("/matching/knowledge", data={"industry": "建材", "cues": "外墙 起霜花|涂料 粉化",
                                                    "mechanism": "盐分迁移至漆面结晶",
                                                    "technologies": "氟碳涂料、含氟树脂", "source": "撮合经验"})
    assert resp.status_code == 302
    row = knowledge.KnowledgeLink.query.one()
    assert row.origin == "site" and row.created_by_id == broker.id
    assert AuditLog.query.filter_by(entity_type="knowledge_link", entity_id=row.id, action="create").count() == 1
    after = matching.match_demand(demand, 5)
    top = after["items"][0]
    assert top["id"] == cure.id
    assert any("需求提到“外墙”“起霜花”，可能源于盐分迁移至漆面结晶，对应技术：氟碳涂料" in r for r in top["reasons"]), top
    assert top["evidence"]["graph"] > 0
    # Disabling it (with a reason, audited) takes it away again.
    resp = client.post(f"/matching/knowledge/db{row.id}/disable", data={"reason": "机理不准确"})
    assert resp.status_code == 302
    assert knowledge.KnowledgeLink.query.one().status == "disabled"
    entry = AuditLog.query.filter_by(entity_type="knowledge_link", action="disable").one()
    assert entry.reason == "机理不准确" and entry.actor_id == broker.id
    assert not any("盐分迁移" in r for i in matching.match_demand(demand, 5)["items"] for r in i["reasons"])


def test_a_refused_link_comes_back_with_what_was_typed_and_what_is_wrong(client, f):
    """A broker who typed a long link with one mistake gets the form again (422), every field as typed, the
    message next to the field at fault, and nothing written (no link, no audit row)."""
    login(client, f.user("broker"))
    typed = {"industry": "建材", "cues": "外墙 起霜花|涂料 粉化", "mechanism": "盐分迁移至漆面结晶<b>",
             "technologies": "", "source": "撮合经验"}
    resp = client.post("/matching/knowledge", data=typed)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'value="外墙 起霜花|涂料 粉化"' in page and 'value="盐分迁移至漆面结晶&lt;b&gt;"' in page
    assert 'value="撮合经验"' in page and '<option value="建材" selected>' in page
    assert 'data-field="technologies"' in page and "请填写对应技术" in page
    assert 'data-field="cues"' not in page
    assert knowledge.KnowledgeLink.query.count() == 0
    assert AuditLog.query.filter_by(entity_type="knowledge_link").count() == 0
    resp = client.post("/matching/knowledge", data=dict(typed, technologies="氟碳涂料", cues="x" * 401))
    assert resp.status_code == 422 and "不能超过400个字" in resp.get_data(as_text=True)
    assert client.post("/matching/knowledge", data=dict(typed, technologies="氟碳涂料")).status_code == 302
    assert knowledge.KnowledgeLink.query.count() == 1


def test_file_links_can_be_disabled_and_enabled_and_others_may_not_edit(client, f):
    key = next(l.key for l in knowledge.file_links() if l.cues == (("断线",),))
    assert any(l.key == key for l, _ in knowledge.graph().fired("老断线"))
    company = f.user("company")
    login(client, company)
    assert client.get("/matching/knowledge").status_code == 403
    assert client.post(f"/matching/knowledge/{key}/disable", data={"reason": "x"}).status_code == 403
    client.post("/logout")
    admin = f.user("admin")
    login(client, admin)
    client.post(f"/matching/knowledge/{key}/disable", data={"reason": ""})  # a reason is required
    assert knowledge.KnowledgeLink.query.filter_by(file_key=key, status="disabled").count() == 0
    client.post(f"/matching/knowledge/{key}/disable", data={"reason": "太宽泛"})
    assert not any(l.key == key for l, _ in knowledge.graph().fired("老断线"))
    client.post(f"/matching/knowledge/{key}/enable")
    assert any(l.key == key for l, _ in knowledge.graph().fired("老断线"))
    actions = [e.action for e in AuditLog.query.filter_by(entity_type="knowledge_link").order_by(AuditLog.id)]
    assert actions == ["disable", "enable"]
    html = client.get("/matching/knowledge?text=拉丝老断线").get_data(as_text=True)
    assert "需求提到“断线”" in html and "恢复关联" in html  # the trial shows the fired link; the audit its label
    assert client.post("/matching/knowledge/nope/enable").status_code == 302  # refused with a message, no 500


def test_after_an_action_the_editor_goes_back_to_its_own_page_never_to_another_host(client, f):
    from urllib.parse import unquote
    key = next(l.key for l in knowledge.file_links() if l.cues == (("断线",),))
    login(client, f.user("admin"))
    for referrer in ("https://evil.example/matching/knowledge", "http://evil.example/x?u=/matching/knowledge",
                     "http://localhost/matching/knowledge-phish", "//evil.example/matching/knowledge", None):
        headers = {"Referer": referrer} if referrer else {}
        resp = client.post(f"/matching/knowledge/{key}/disable", data={"reason": "太宽泛"}, headers=headers)
        assert resp.status_code == 302, referrer
        assert resp.headers["Location"] == "/matching/knowledge", (referrer, resp.headers)
        client.post(f"/matching/knowledge/{key}/enable", headers=headers)
    resp = client.post(f"/matching/knowledge/{key}/disable", data={"reason": "太宽泛"},
                       headers={"Referer": "http://localhost/matching/knowledge?q=断线&page=2"})
    assert unquote(resp.headers["Location"]) == "/matching/knowledge?q=断线&page=2"  # its search and page kept


def test_the_files_graph_is_built_once_and_an_edit_builds_another(f):
    """invalidate() (every edit, and the tests' emptying after each test) re-reads the site's edits; when the links
    are the same, the graph and its cue automaton are kept rather than built again (the cue index alone took 28 ms
    a build in a profile of the tests); an edit gives a new one."""
    files_only = knowledge.graph()
    automaton = files_only.automaton
    knowledge.invalidate()
    assert knowledge.graph() is files_only and knowledge.graph().automaton is automaton
    broker = f.user("broker")
    knowledge.add_link(broker, cues="釉面 针孔", mechanism="釉浆气泡", technologies="釉浆真空除气")
    edited = knowledge.graph()
    assert edited is not files_only and any("釉浆真空除气" in l.technologies for l, _ in edited.fired("釉面针孔"))
    assert not any("釉浆真空除气" in l.technologies for l, _ in files_only.fired("釉面针孔"))


def test_add_link_validates_in_chinese(f):
    from marketplace.core.errors import ValidationFailed
    broker = f.user("broker")
    with pytest.raises(ValidationFailed) as err:
        knowledge.add_link(broker, cues="一 二 三 四", technologies="")
    assert "症状词" in err.value.fields["cues"] and "对应技术" in err.value.fields["technologies"]


def test_a_link_is_one_line_with_a_known_industry_and_no_spreadsheet_formula(f):
    from marketplace.core.errors import ValidationFailed
    broker = f.user("broker")
    for fields, bad in (({"cues": "=HYPERLINK(\"http://x\") 掉色", "technologies": "氟碳涂料"}, "cues"),
                        ({"cues": "外墙 掉色", "technologies": "@SUM(1)"}, "technologies"),
                        ({"cues": "外墙 掉色", "technologies": "氟碳涂料", "source": " +cmd"}, "source"),
                        ({"cues": "外墙 掉色", "technologies": "氟碳涂料", "industry": "不存在的产业"}, "industry")):
        with pytest.raises(ValidationFailed) as err:
            knowledge.add_link(broker, **fields)
        assert set(err.value.fields) == {bad}, fields
    row = knowledge.add_link(broker, industry="建材", cues="外墙 掉色", mechanism="紫外\t老化\r\n降解",
                             technologies="氟碳\t涂料、耐候颜料", source="撮合\n经验")
    assert (row.mechanism, row.technologies, row.source) == ("紫外 老化 降解", "氟碳 涂料、耐候颜料", "撮合 经验")


def test_the_sites_edits_export_as_a_data_file_that_reads_back_as_the_links_applied(client, f, app, tmp_path):
    key = next(l.key for l in knowledge.file_links() if l.cues == (("断线",),))
    broker = f.user("broker")
    login(client, broker)
    for cues, tech in (("外墙 起霜花|涂料 粉化", "氟碳涂料、含氟树脂"), ("陶瓷 针孔", "釉料除气")):
        assert client.post("/matching/knowledge", data={"industry": "建材", "cues": cues, "mechanism": "盐分迁移",
                                                        "technologies": tech, "source": "撮合经验"}).status_code == 302
    gone = knowledge.KnowledgeLink.query.filter_by(cues="陶瓷 针孔").one()
    client.post(f"/matching/knowledge/db{gone.id}/disable", data={"reason": "重复"})
    client.post(f"/matching/knowledge/{key}/disable", data={"reason": "太宽泛"})
    resp = client.get("/matching/knowledge/export.tsv")
    assert resp.status_code == 200 and resp.mimetype == "text/tab-separated-values"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=knowledge-site-edits-")
    text = resp.get_data(as_text=True)
    applied = [(l.industry, l.cues, l.mechanism, l.technologies, l.source)
               for l in knowledge.graph().links if l.origin == "site"]
    assert [(l.industry, l.cues, l.mechanism, l.technologies, l.source) for l in knowledge.parse_tsv(text)] \
        == applied == [("建材", (("外墙", "起霜花"), ("涂料", "粉化")), "盐分迁移", ("氟碳涂料", "含氟树脂"), "撮合经验")]
    disabled = [line.split("\t") for line in text.splitlines() if line.startswith("# 停用")]
    assert [(d[1], d[3]) for d in disabled] == [("站内添加", "陶瓷 针孔"), ("数据文件", "断线")]
    assert disabled[1][5].endswith("原因：太宽泛") and broker.name in disabled[1][5]
    # one industry's edits; the command line writes the same file
    assert knowledge.parse_tsv(client.get("/matching/knowledge/export.tsv?industry=中医药").get_data(as_text=True)) == []
    out = tmp_path / "edits.tsv"
    result = app.test_cli_runner().invoke(args=["match", "knowledge-export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert knowledge.parse_tsv(out.read_text(encoding="utf-8")) == knowledge.parse_tsv(text)
    client.post("/logout")
    login(client, f.user("company"))
    assert client.get("/matching/knowledge/export.tsv").status_code == 403


def test_a_site_link_merged_into_a_data_file_applies_once_and_is_no_longer_exported(client, f, monkeypatch,
                                                                                   tmp_path):
    """The review loop: export the site's edits, put them into a data file; the site's row then stands for the
    file's line (the graph holds the link once, the editor says 已并入数据文件, the next export leaves it out)."""
    cure, _other, demand = _paint(f)
    login(client, f.user("broker"))
    client.post("/matching/knowledge", data={"industry": "建材", "cues": "外墙 起霜花", "mechanism": "盐分迁移",
                                             "technologies": "氟碳涂料", "source": "撮合经验"})
    before = matching.match_demand(demand, 5)["items"][0]
    text = client.get("/matching/knowledge/export.tsv").get_data(as_text=True)
    assert len(knowledge.parse_tsv(text)) == 1
    (tmp_path / "建材.tsv").write_text(text, encoding="utf-8")
    monkeypatch.setenv("MATCH_GRAPH_DIR", str(tmp_path))
    knowledge.invalidate()
    matching.reset_caches()
    same = [l for l in knowledge.graph().links if l.cues == (("外墙", "起霜花"),)]
    assert [l.origin for l in same] == ["file"]  # once, as the file's line
    after = matching.match_demand(demand, 5)["items"][0]
    assert (after["id"], after["score"]) == (before["id"], before["score"]) and after["id"] == cure.id
    page = client.get("/matching/knowledge?q=外墙 起霜花").get_data(as_text=True)
    assert "已并入数据文件" in page and "以数据文件中的同一关联生效" in page
    assert knowledge.parse_tsv(client.get("/matching/knowledge/export.tsv").get_data(as_text=True)) == []


def test_the_score_of_a_pair_is_the_same_from_either_side(f):
    cure, other, demand = _paint(f)
    broker = f.user("broker")
    knowledge.add_link(broker, cues="外墙 起霜花", mechanism="盐分迁移", technologies="氟碳涂料")
    from_demand = {i["id"]: i["score"] for i in matching.match_demand(demand, 10)["items"]}
    compared = 0
    for ach in (cure, other):
        back = {i["id"]: i["score"] for i in matching.match_achievement(ach, 10)["items"]}
        if ach.id in from_demand and demand.id in back:
            assert from_demand[ach.id] == back[demand.id] == matching.score_pair(demand, ach)["score"]
            compared += 1
    assert compared >= 1, (from_demand, back)


def _matched_pair(f, ref: str, industry: str, achievement: tuple, demand: tuple, again: bool = False):
    """One published achievement (title, summary, keywords) and demand (title, description) of an industry;
    the demand's matches (and, with `again`, a function that matches the demand once more)."""
    title, summary, keywords = achievement
    f.record("achievements", f.user("institution"), status="published", ref=f"{ref}-A1", title=title,
             summary=summary, keywords=keywords, industry=industry)
    d = f.record("demands", f.user("company"), status="published", ref=f"{ref}-D1", title=demand[0],
                 description=demand[1], industry=industry)
    sync.apply_pending()
    items = matching.match_demand(d, 5)["items"]
    return (items, lambda: matching.match_demand(d, 5)["items"]) if again else items


def _first_told(items) -> tuple[set, str]:
    """The first match's shared terms and its "技术要点相同" reason."""
    assert items, "the pair is matched"
    return set(items[0]["shared_terms"]), next((r for r in items[0]["reasons"] if r.startswith("技术要点相同：")), "")


def test_shared_terms_are_telling_words_only(f):
    items = _matched_pair(f, "H", "建材", ("现场施工方案对混凝土表面影响的评估技术",
                                           "现场方案评估：表面影响分析，影响因素包括方案、现场与表面处理，混凝土养护。",
                                           "现场、方案、表面、影响"),
                          ("现场方案对表面的影响", "想了解现场的方案对表面有什么影响，混凝土养护怎么做。"))
    words = {w for i in items for w in i["shared_terms"]}
    reasons = " ".join(r for i in items for r in i["reasons"])
    for filler in ("影响", "方案", "表面", "现场"):
        assert filler not in words and filler not in reasons.split("技术要点相同：")[-1].split("；")[0]


def test_words_of_business_units_and_counted_amounts_are_not_shown_but_still_count(f, monkeypatch):
    # 寻求 下游 两家 立方米 are shared by the two texts and were shown as "技术要点相同"; they say nothing of the
    # technology: not shown, while the score (fitted with them in the evidence) stays what it was
    achievement = ("赣州有限公司稀土萃取分离废水氨氮回收技术",
                   "寻求下游两家冶炼厂合作，每日处理废水500立方米，稀土萃取分离废水中氨氮回收为硫酸铵，回收率95%。",
                   "萃取分离、氨氮、硫酸铵")
    demand = ("稀土萃取分离废水氨氮超标", "我们寻求下游两家有限公司的经验，每日500立方米萃取分离废水氨氮超标，想回收硫酸铵。")
    items, again = _matched_pair(f, "U", "有色金属", achievement, demand, again=True)
    words, told = _first_told(items)
    assert "硫酸铵" in words and "硫酸铵" in told
    assert not {"寻求", "下游", "两家", "立方米", "有限公司"} & words, words
    assert not [w for w in ("寻求", "下游", "两家", "立方米") if w in told], told
    from marketplace.matching import scoring
    monkeypatch.setattr(scoring, "shown_term", lambda term: True)
    every = again()
    assert every[0]["score"] == items[0]["score"] and {"寻求", "下游", "两家", "立方米"} <= set(every[0]["shared_terms"])


def test_a_term_found_across_two_words_of_the_other_text_is_not_shown_but_still_counts(f, monkeypatch):
    # the evidence finds a term as a substring: 合成 in 综合/成本, 通信 in 交通/信号灯 were shown as "技术要点相同"
    # (the demo: 210 of 10,345 shown terms were found only across two words: 化工 in 设备/化/工艺, 配方 in 分配/方式);
    # a word inside a longer one, as the index reads it, still is (汽车 in 新能源汽车, 回收率 in 溶剂回收/率)
    achievement = ("有机硅单体合成副产高沸物裂解回收技术",
                   "针对有机硅单体合成过程副产的高沸物，催化裂解回收二甲基二氯硅烷，溶剂回收率98%，"
                   "用于通信设备与新能源汽车用硅橡胶原料。", "有机硅、高沸物、裂解、合成、通信")
    demand = ("有机硅高沸物越积越多，综合成本高", "我厂有机硅高沸物越积越多，综合成本居高不下，想裂解回收二甲基二氯硅烷，"
              "回收率要高，主要做交通信号灯和汽车的密封胶。")
    items, again = _matched_pair(f, "W", "新材料", achievement, demand, again=True)
    words, told = _first_told(items)
    assert {"有机硅", "回收率", "汽车"} <= words and "有机硅" in told, words
    assert not {"合成", "通信"} & words, words
    assert "合成" not in told and "通信" not in told, told
    from marketplace.matching import service
    monkeypatch.setattr(service, "_whole", lambda term, p: True)
    every = again()
    assert every[0]["score"] == items[0]["score"] and {"合成", "通信"} <= set(every[0]["shared_terms"])


def test_whole_reads_where_the_cut_begins_and_ends_words(ctx):
    from marketplace.matching import service
    p = service._build_profile("demand", 1, [("溶剂回收率低，综合成本高", 2.0), ("", 1.2),
                                              ("离子型稀土矿，新能源汽车，交通信号灯，VOCs", 1.0)])
    whole = {t: service._whole(t, p) for t in ("回收率", "合成", "稀土矿", "汽车", "通信", "信号灯", "vocs", "voc")}
    assert whole == {"回收率": True, "合成": False, "稀土矿": True, "汽车": True, "通信": False, "信号灯": True,
                     "vocs": True, "voc": True}, whole


def test_shared_terms_with_latin_letters_are_shown_as_the_records_write_them(f):
    items = _matched_pair(f, "L", "节能环保", ("印刷车间VOCs沸石转轮浓缩RTO焚烧治理技术",
                                            "针对PCB与包装印刷车间低浓度VOCs废气，沸石转轮浓缩后RTO焚烧，去除率98%，出口pH中和。",
                                            "VOCs、沸石转轮、RTO、PCB"),
                          ("印刷厂VOCs超标，想上RTO", "我们PCB印刷车间VOCs排放超标，废气味道大，想上沸石转轮加RTO，洗涤水pH也要控制。"))
    assert items
    words = [w for i in items for w in i["shared_terms"]]
    reasons = " ".join(r for i in items for r in i["reasons"])
    assert {"VOCs", "RTO", "PCB"} <= set(words), words
    assert not {"vocs", "rto", "pcb"} & set(words)
    assert "VOCs" in reasons.split("技术要点相同：")[1] and "vocs" not in reasons


def test_words_common_in_chinese_at_large_are_not_telling_terms(ctx):
    # 得到/超过/一次/完成 are in no list of ours: they are common in Chinese at large (jieba's general idf); so are,
    # a little less common, words of speech (verbs, adverbs, numerals by jieba's part of speech, abstract nouns);
    # technical verbs (idf above 8) and topic nouns tell records apart
    common = matching.common_words()
    assert {"得到", "超过", "一次", "完成"} <= common and not matching.specific("得到")
    assert {"不敢", "只能", "考虑", "一条", "两年", "来源", "目标"} <= common and not matching.specific("只能")
    assert not {"仲钨酸铵", "萃取", "烧结", "压力", "温度", "汽车"} & common and matching.specific("萃取")


@pytest.mark.parametrize("ref, achievement, demand, kept, left_out", [
    ("C", ("仲钨酸铵结晶尾气氨回收技术", "结晶工序逸出的氨经吸收塔回收，一次得到浓氨水，氨氮超过标准的问题完成整改。",
           "仲钨酸铵、氨回收"),
     ("仲钨酸铵结晶车间氨味大", "结晶一次要几个小时，得到的母液氨氮超过标准，想完成整改。"),
     "仲钨酸铵", {"得到", "超过", "一次", "完成"}),
    ("S", ("钨渣萃取回收钪技术", "钨冶炼渣经酸浸后萃取回收钪，只能在酸性条件下进行，目标回收率90%，考虑两年内量产。",
           "钨渣、萃取、钪"),
     ("钨渣里的钪想回收", "我们钨渣堆了不少，只能外卖，目标是萃取回收钪，考虑两年内上线。"),
     "萃取", {"只能", "目标", "考虑", "两年"}),
])
def test_words_common_in_chinese_are_not_shown_as_shared(f, ref, achievement, demand, kept, left_out):
    items = _matched_pair(f, ref, "有色金属", achievement, demand)
    assert items and items[0]["ref"] == f"{ref}-A1"
    words = set(items[0]["shared_terms"])
    assert kept in words and not words & left_out, words


def test_learning_from_signed_pairs_is_shown_and_needs_a_floor(f):
    from marketplace.brokers.models import Introduction
    from marketplace.matching.models import MatchFeedback
    inst = f.user("institution")
    a1 = f.record("achievements", inst, status="published", ref="L-A1", title="稀土永磁电机转子动平衡校正技术",
                  summary="针对永磁电机转子不平衡振动，采用在线动平衡校正，振动烈度降低60%。", keywords="动平衡、转子、永磁电机",
                  industry="装备制造")
    company = f.user("company")
    d1 = f.record("demands", company, status="published", ref="L-D1", title="风机一开就抖得厉害",
                  description="车间风机一开机就抖得厉害，整个平台跟着晃，螺丝经常松。", industry="装备制造")
    d2 = f.record("demands", company, status="published", ref="L-D2", title="风机抖动太大",
                  description="新装的风机抖动太大，平台晃动，想找人解决抖的问题。", industry="装备制造")
    sync.apply_pending()
    broker = f.user("broker")
    # One 感兴趣 mark is below the floor: nothing learnt yet.
    from marketplace.extensions import db
    db.session.add(MatchFeedback(demand_id=d1.id, achievement_id=a1.id, side="demand", verdict="interested",
                                 user_id=company.id))
    db.session.flush()
    learning.invalidate()
    assert learning.evidence()["pairs"] == {}
    # A signed introduction of the pair passes it.
    db.session.add(Introduction(demand_id=d1.id, achievement_id=a1.id, broker_id=broker.id, stage="signed"))
    db.session.flush()
    learning.invalidate()
    assert learning.evidence()["pairs"]
    found = matching.match_demand(d2, 5)
    item = next(i for i in found["items"] if i["id"] == a1.id)
    assert any(r.startswith("与已签约的类似需求相符") for r in item["reasons"]), item
    assert item["evidence"]["learned"] > 0


def test_decay_halves_evidence_over_its_half_life():
    from datetime import datetime, timedelta
    now = datetime(2026, 1, 1)
    assert learning.decay(now, now) == 1.0
    assert abs(learning.decay(now - timedelta(days=learning.HALF_LIFE_DAYS), now) - 0.5) < 1e-9


def test_the_cues_a_text_fires_are_the_same_in_every_process():
    """The cue alternative shown in a reason must not depend on the process's string hash seed."""
    import os
    import subprocess
    import sys
    code = (
        "from marketplace.matching import knowledge\n"
        "links = knowledge.file_links()\n"
        "by_word = {}\n"
        "for i, link in enumerate(links):\n"
        "    for alt in link.cues:\n"
        "        for w in set(alt):\n"
        "            by_word.setdefault(w, []).append((i, alt))\n"
        "g = knowledge.Graph(links, by_word)\n"
        "text = ('车间粉尘大，工人戴口罩也顶不住，设备老是停机，噪声大，废水氨氮超标，产品开裂变形，表面起泡掉色，'\n"
        "        '电机发热没劲，电池衰减快，鱼塘缺氧，果树黄叶烂根，窑炉能耗高，天然气费用高，铜线断线，良率低')\n"
        "print([(l.key, alt) for l, alt in g.fired(text)])\n")
    outs = set()
    for seed in ("1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1 and len(eval(outs.pop())) > 10


def test_a_pair_meets_what_was_learnt_on_two_words_of_each_side_or_not_at_all(monkeypatch):
    """One contract teaches every pair of its two records' terms; a pair that meets them on a single word of
    either side is chance (含铅 × 再生 lifted PET recycling for a copper refiner's demand), not resemblance."""
    w = (7.0, "contract", 1)
    state = {"pairs": {("含铅", "再生"): w, ("含铅", "铜杆"): w, ("含锡", "再生"): w, ("含锡", "铜杆"): w},
             "by_demand_term": {"含铅": [("再生", w), ("铜杆", w)], "含锡": [("再生", w), ("铜杆", w)]}}
    monkeypatch.setattr(learning, "evidence", lambda: state)
    assert learning.pair_strength_of(("含铅", "熔炼"), {"再生", "铜杆"}) == (0.0, [])  # one demand word
    assert learning.pair_strength_of(("含铅", "含锡"), {"再生", "涤纶"}) == (0.0, [])  # one achievement word
    strength, notes = learning.pair_strength_of(("含铅", "含锡"), {"再生", "铜杆", "精炼"})
    assert strength > 0.9 and notes == ["与已签约的类似需求相符（已登记合同）：“含铅”与“再生”"]


def test_after_an_edit_the_page_shows_the_stored_lists_waiting_then_recomputed(client, f, monkeypatch):
    """An edit queues the stored lists the link can change (not every list, no full rebuild): the editor is told
    how many, sees them waiting while the page polls, and once the queue is processed (by the worker; here by
    hand) that every list follows the graph again, the demand's with the new path."""
    import re

    from marketplace.matching import jobs, store, tasks
    from marketplace.matching.models import MatchList, MatchRebuild
    cure, other, demand = _paint(f)
    for record in (demand, cure, other):
        store.read(record, 5)  # stored lists, as pages read them
    db.session.commit()
    assert MatchList.query.filter_by(stale=False).count() == 3
    login(client, f.user("broker"))
    page = client.get("/matching/knowledge").get_data(as_text=True)
    assert "所有已存储的匹配结果都按当前的知识图谱计算" in page and 'hx-trigger="every 5s"' not in page
    monkeypatch.setattr(tasks, "IMMEDIATE_LIMIT", 0)  # the worker has not come round yet
    client.post("/matching/knowledge", data={"industry": "建材", "cues": "外墙 起霜花", "mechanism": "盐分迁移",
                                             "technologies": "氟碳涂料", "source": "撮合经验"})
    page = client.get("/matching/knowledge").get_data(as_text=True)
    assert "涉及的 2 条需求或成果的匹配结果正在后台重新计算" in page  # the demand (its words) and the cure (names it)
    waiting = re.search(r"(\d+) 条需求或成果的匹配结果待更新", page)
    assert waiting and int(waiting.group(1)) == 2 and 'hx-trigger="every 5s"' in page  # polls while they wait
    assert {(lst.entity_type, lst.stale) for lst in MatchList.query} == {("demand", True), ("achievement", True),
                                                                        ("achievement", False)}
    assert MatchRebuild.query.count() == 0  # no full rebuild for one link
    jobs.process_queue()
    db.session.commit()
    card = client.get("/matching/knowledge/recompute").get_data(as_text=True)
    assert "所有已存储的匹配结果都按当前的知识图谱计算" in card and "every 5s" not in card
    assert MatchList.query.filter_by(stale=True).count() == 0
    assert any("盐分迁移" in r for i in store.read(demand, 5)["items"] for r in i["reasons"])
    login(client, f.user("company"))
    assert client.get("/matching/knowledge/recompute").status_code == 403


@pytest.mark.parametrize("why", ["too many", "failed"])
def test_a_link_reaching_too_many_records_is_left_to_the_full_rebuild(client, f, monkeypatch, why):
    """…and so is one whose lists could not be worked out: the edit itself goes through either way."""
    from marketplace.matching import store
    from marketplace.matching.models import MatchList, MatchRebuild
    cure, other, demand = _paint(f)
    for record in (demand, cure, other):
        store.read(record, 5)
    db.session.commit()
    if why == "too many":
        monkeypatch.setattr(store, "GRAPH_EDIT_MIN", 0)
        monkeypatch.setattr(store, "GRAPH_EDIT_SHARE", 0.5)  # 2 of 3 records reached: too many here
    else:
        monkeypatch.setattr(store, "_touched_by", lambda link: 1 / 0)
    login(client, f.user("broker"))
    client.post("/matching/knowledge", data={"industry": "建材", "cues": "外墙 起霜花", "mechanism": "盐分迁移",
                                             "technologies": "氟碳涂料", "source": "撮合经验"})
    page = client.get("/matching/knowledge").get_data(as_text=True)
    assert "已存储的匹配结果将在后台全部重新计算" in page and "外墙 起霜花" in page  # the link was added
    run = MatchRebuild.query.one()  # the fingerprint's full rebuild (immediate here)
    assert (run.status, run.reason, run.done) == ("done", "fingerprint", 3)
    assert MatchList.query.filter_by(stale=True).count() == 0


def test_a_latin_cue_word_fires_only_as_a_whole_word():
    links = knowledge.parse_tsv("装备制造\tco 中毒\t一氧化碳使催化剂失活\t抗中毒催化剂\t教材\n")
    by_word = {w: [(0, alt)] for alt in links[0].cues for w in alt}
    g = knowledge.Graph(links, by_word)
    assert [alt for _, alt in g.fired("尾气里CO偏高，催化剂中毒")] == [("co", "中毒")]
    assert g.fired("COD偏高，微生物中毒") == [] and g.fired("WC-Cobalt刀具中毒") == []


def test_a_technology_is_named_by_either_number_of_its_latin_word():
    # a link's technology "VOC吸附回收" is named by a text that writes VOCs (and "MOFs吸附" by one that writes MOF);
    # a longer word is still not the technology's word, nor is a unit after a number
    from marketplace.matching import scoring

    def named(tech, text):
        return matching._best_tech(matching._link_techs((tech,)), scoring.bounded(text.lower()).__contains__)

    assert named("VOC吸附回收", "喷涂线VOCs吸附回收装置") == (1.0, "VOC吸附回收")
    assert named("MOFs吸附", "一种MOF吸附材料") == (1.0, "MOFs吸附")
    assert named("VOC吸附回收", "喷涂线VOC吸附回收装置") == (1.0, "VOC吸附回收")
    assert named("VOC吸附", "喷涂线VOCsx吸附装置") == (0.0, None) and named("VOC吸附", "VOCs吸附") == (1.0, "VOC吸附")
    assert scoring.other_number("5mm涂层") == "5mm涂层" and scoring.other_number("gas检测") == "gas检测"
    assert scoring.other_number("class膜") == "class膜" and scoring.other_number("ph计") == "ph计"


def test_latin_words_inside_longer_ones_are_not_shared_terms(f):
    # "in" (indium) is not in "r/min", "ii" (a crystal form) is not in "III" (a collagen type)
    items = _matched_pair(f, "W", "电子信息", ("高In组分InGaN量子阱外延生长技术",
                                            "采用高In组分量子阱低温生长，III型缺陷密度降低，外延片翘曲小，转速稳定。",
                                            "量子阱、外延、In组分"),
                          ("量子阱外延片翘曲", "我们MOCVD外延片翘曲大，石墨盘转速800r/min，晶型II缺陷多，想改进量子阱生长。"))
    assert items and items[0]["ref"] == "W-A1"
    words = {w.lower() for w in items[0]["shared_terms"]}
    assert "外延" in words and not {"in", "ii"} & words, words


def test_the_provinces_counties_are_places_not_technical_points(ctx):
    # a furniture demand and achievement both set in 南康 share a place, not a technique (region is a factor)
    assert not [t for t in ("南康", "寻乌", "婺源", "南丰", "江西") if matching.specific(t)]
    assert matching.specific("刨花板") and matching.specific("樟树")  # 樟树 is also a tree (精油): kept


def test_a_term_is_shown_as_written_where_it_is_a_whole_word():
    # the case is taken from where the engine found the term (a whole Latin word), not from inside a longer one
    raw = "Controlled release; LED灯珠; VOCs排放; COD偏高; WC-Co硬质合金"
    assert matching._as_written(["led", "voc", "co", "钴"], raw) == {"led": "LED", "voc": "VOC", "co": "Co", "钴": "钴"}


def test_a_demand_whose_title_names_its_technology_gets_no_graph_evidence(ctx):
    from marketplace.matching import scoring
    assert scoring.names_technology("锂云母提锂渣蒸压加气砌块技术") and scoring.names_technology("铜箔电解工艺包")
    assert not scoring.names_technology("铜杆拉丝老断线") and not scoring.names_technology("锂渣堆存问题")
    roast = matching._build_profile("achievement", 1, [("锂云母硫酸盐焙烧提锂技术", 2.0), ("硫酸盐焙烧", 1.5),
                                                       ("锂云母经硫酸盐焙烧、水浸提锂，锂回收率90%，副产钾铷。", 1.0)])
    text = "宜春的锂云母提锂企业每年产出大量提锂渣，想用来做砌块，掺量一高强度就下降。"
    named = matching._build_profile("demand", 2, [("锂云母提锂渣蒸压加气砌块技术", 2.0), ("", 1.2), (text, 1.0)])
    noun = matching._build_profile("demand", 3, [("锂云母提锂渣砌块强度问题", 2.0), ("", 1.2), (text, 1.0)])
    plain = matching._build_profile("demand", 4, [("锂云母提锂的收率一直上不去，这个工艺怎么改", 2.0), ("", 1.2),
                                                  (text, 1.0)])
    for p in (named, noun, plain):
        assert any(l.cues == (("锂云母", "回收率"), ("锂云母", "提锂"), ("提锂", "收率"), ("云母", "提锂"))
                   for l, _alt in p.links)  # the link fires on all three (and searches candidates for each)
    assert not named.glinks and noun.glinks and plain.glinks  # followed into candidates: not for the named one
    got = {p.id: matching.pair_evidence(p, roast) for p in (named, noun, plain)}
    assert got[2].graph == 0.0 and got[2].paths == []  # no path counted, none worded as a reason
    assert got[3].graph > 0 and got[4].graph > 0 and got[3].paths
    assert matching.evidence_many(named, "demand", [roast])[0].graph == 0.0
    assert matching.evidence_many(roast, "achievement", [named, noun])[1].graph == got[3].graph
