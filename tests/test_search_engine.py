"""The search package on its own: analysis, and one contract suite for every backend.

The contract runs against Whoosh always, and against Elasticsearch whenever ELASTICSEARCH_URL is set.
"""
import os
import uuid

import pytest

from search import analysis, make_backend
from search.base import SearchQuery, Visibility
from search.whoosh_backend import IndexLocked, JiebaTokenizer, WhooshBackend

BACKENDS = ["whoosh"] + (["elasticsearch"] if os.environ.get("ELASTICSEARCH_URL") else [])


def doc(n, title, body="", **kw):
    base = {"id": f"achievement:{n}", "type": "achievement", "title": title, "keywords": kw.pop("keywords", ""),
            "body": body, "status": "published", "owner_org": 1, "published_at": 1_700_000_000 + n,
            "price": None, "industry": "新材料", "city": "南昌", "institution": "南昌大学", "maturity": "中试",
            "funding_source": "财政资金", "transfer_modes": ["许可"], "ip_types": ["发明专利"], "digest": f"d{n}"}
    base.update(kw)
    return base


CORPUS = [
    doc(1, "钕铁硼稀土永磁材料晶界扩散技术", "重稀土用量降低60%，矫顽力提高", price=800_000.0,
        transfer_modes=["许可", "转让"], keywords="稀土永磁 钕铁硼"),
    doc(2, "高强高导Cu-Cr-Zr合金连续挤压制备", "导电率≥80%IACS，用于引线框架", industry="有色金属",
        price=1_200_000.0, city="鹰潭", institution="江西理工大学"),
    doc(3, "锂离子电池高镍正极材料包覆改性", "循环寿命提升30%的正极材料工艺", industry="新能源", price=50_000.0,
        maturity="小试"),
    doc(4, "5G通信LED驱动芯片", "基于GaN的LED驱动方案，适用于5G基站", industry="电子信息", price=300_000.0),
    doc(5, "磷酸铁锂回收工艺", "废旧电池正极与集流体分离后，材料再生", industry="新能源", maturity="工业化"),
    doc(6, "脐橙保鲜涂膜", "本方案在正极性电解槽中处理材料表面", industry="现代农业", funding_source="非财政资金"),
    doc(7, "Running water treatment", "running membranes", industry="节能环保"),
    doc(8, "未发布的稀土永磁草稿", "稀土永磁 草稿内容", status="draft", owner_org=42),
]


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    if request.param == "whoosh":
        be = WhooshBackend(str(tmp_path / "index"))
    else:
        be = make_backend("elasticsearch", elasticsearch_url=os.environ["ELASTICSEARCH_URL"],
                          index_name=f"test-{uuid.uuid4().hex[:8]}")
    be.rebuild(iter(CORPUS))
    yield be
    if request.param == "elasticsearch":
        for name in set(be._targets()) | set(be._concrete_indices()):
            be.es.indices.delete(index=name)
    be.close()


def ids(result):
    return [i.split(":")[1] for i in result.ids]


def q(be, text="", **kw):
    return be.search(SearchQuery(text=text, **kw))


# -- analysis ---------------------------------------------------------------------------------------------

def test_segmentation_keeps_codes_and_finds_subwords():
    groups = analysis.token_groups("钕铁硼稀土永磁材料用于5G和LED，Cu-Cr-Zr合金")
    flat = [t for g in groups for t in g]
    assert "稀土永磁" in flat and "永磁" in flat and "钕铁硼" in flat
    assert {"5g", "led", "cu-cr-zr"} <= set(flat)
    assert "和" not in flat  # stopword


def test_english_is_not_stemmed():
    assert analysis.query_terms("Running") == ["running"]


def test_whoosh_tokens_have_word_positions_with_subwords_at_their_word():
    text = "高镍正极材料包覆改性，Cu-Cr-Zr"
    tokens = [(t.text, t.pos) for t in JiebaTokenizer()(text, positions=True)]
    positions = dict(tokens)
    assert positions["正极"] == positions["正极材料"]          # sub-word at its word's position
    groups = analysis.token_groups(text)
    assert [p for _, p in tokens] == [i for i, g in enumerate(groups) for _ in g]  # word order, no char offsets
    assert positions["cu-cr-zr"] == len(groups) - 1


def test_both_backends_get_the_same_tokens():
    from search.elasticsearch_backend import es_document
    text = "钕铁硼稀土永磁材料用于5G基站与LED驱动"
    whoosh_tokens = [t.text for t in JiebaTokenizer()(text)]
    # What Elasticsearch's whitespace tokenizer + pattern_capture("([^|]+)") make of the segmented string:
    es_tokens = [part for group in es_document({"id": "x", "title": text})["title"].split() for part in group.split("|")]
    assert whoosh_tokens == es_tokens


def test_synonyms_come_from_the_data_file(tmp_path, monkeypatch):
    extra = tmp_path / "syn.txt"
    extra.write_text("拉丝 拔丝\n", encoding="utf-8")
    monkeypatch.setenv("SEARCH_SYNONYMS_FILE", str(extra))
    analysis.synonym_groups.cache_clear()
    try:
        assert ["拔丝"] in analysis.expand("拉丝")
        assert ["锂离子电池"] in analysis.expand("锂电")  # shipped groups stay
    finally:
        monkeypatch.delenv("SEARCH_SYNONYMS_FILE")
        analysis.synonym_groups.cache_clear()


# -- the contract -----------------------------------------------------------------------------------------

def test_finds_a_word_inside_a_longer_word(backend):
    assert ids(q(backend, "稀土永磁")) == ["1"]
    assert ids(q(backend, "永磁")) == ["1"]


def test_synonyms_match(backend):
    assert set(ids(q(backend, "锂电"))) == {"3"}


def test_codes_and_numbers(backend):
    assert ids(q(backend, "Cu-Cr-Zr")) == ["2"]
    assert ids(q(backend, "5G")) == ["4"]
    assert ids(q(backend, "led")) == ["4"]
    assert ids(q(backend, "running")) == ["7"]
    assert q(backend, "runn").total == 0


def test_full_width_letters_and_digits_are_read_as_ascii():
    # as a Chinese input method types them: ＬＥＤ, ３Ｄ, ＧＢ／Ｔ — before, they were dropped from the tokens altogether
    assert analysis.token_groups("ＬＥＤ路灯与３Ｄ打印，ＧＢ／Ｔ１００９５") == analysis.token_groups("LED路灯与3D打印，GB/T10095")
    assert [g[0] for g in analysis.token_groups("Ｔｉ－６Ａｌ－４Ｖ")] == ["ti-6al-4v"]
    assert analysis.fold("（ＳＯ２）：达标。") == "（SO2）：达标。"  # Chinese punctuation kept, one character for one
    # the quick test for "anything to fold?" names exactly the characters the table folds
    wide = [c for c in range(0xFF00, 0xFF60) if analysis._WIDE.match(chr(c))]
    assert wide == sorted(c for c in analysis._FOLD if 0xFF00 <= c < 0xFF60)
    spans = []
    analysis.token_groups("采用ＬＥＤ芯片", spans)
    assert (2, 5) in spans  # offsets in the text as written


def test_traditional_characters_are_read_as_simplified():
    # a Taiwanese- or Hong Kong-invested firm writes 鋰電池正極材料: before, jieba cut it as 鋰 / 電池 / 正極 / 材料, and
    # neither search nor the matcher met the simplified 锂电池正极材料
    assert analysis.token_groups("鋰電池正極材料燒結後開裂，廢水處理與檢測") == \
        analysis.token_groups("锂电池正极材料烧结后开裂，废水处理与检测")
    assert analysis.fold("陶瓷釉麵乾燥裂紋（ＬＥＤ燈）") == "陶瓷釉面干燥裂纹（LED灯）"  # one character for one
    # simplified text is left as it is, the characters it writes itself included (哪吒, 蒜薹, 了解)
    plain = "稀土永磁电机哪吒蒜薹了解钨铜合金二氧化碳捕集"
    assert analysis.fold(plain) == plain
    # the quick test for "anything to fold?" finds every character of the table, and nothing else of the Han blocks
    assert all(analysis._WIDE.fullmatch(chr(c)) for c in analysis._FOLD)
    assert not [c for c in range(0x3400, 0xA000) if c not in analysis._FOLD and analysis._WIDE.match(chr(c))]
    spans = []
    analysis.token_groups("採用鋰電池", spans)
    assert (2, 5) in spans  # offsets in the text as written


def test_the_analysis_stamp_follows_the_character_table(monkeypatch, tmp_path):
    # the table decides how text is cut, so an index built under another one is rebuilt (sync.reindex_if_outdated)
    for f in analysis.DATA.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(analysis, "DATA", tmp_path)
    analysis.stamp.cache_clear()
    try:
        same = analysis.stamp()
        (tmp_path / "t2s.txt").write_text((tmp_path / "t2s.txt").read_text(encoding="utf-8") + "乾\t干\n", "utf-8")
        analysis.stamp.cache_clear()
        assert analysis.stamp() != same
    finally:
        analysis.stamp.cache_clear()


def test_a_hard_wrap_inside_a_chinese_run_is_not_a_word_boundary():
    # text copied out of a PDF breaks its lines inside words, before codes, after commas; a blank line and a break
    # between two Latin words or numbers stay
    wrapped = "高镍三元正极材\n料的包覆改性，\n采用\nLiFePO4\n包覆 LiFePO\n4。\n\n第二段 see\nfigure\n（注）"
    assert analysis.read(wrapped) == "高镍三元正极材料的包覆改性，采用LiFePO4包覆 LiFePO\n4。\n\n第二段 see\nfigure（注）"
    assert analysis.token_groups(wrapped) == analysis.token_groups(analysis.read(wrapped))
    assert ["正极材料", "正极", "材料"] in analysis.token_groups(wrapped)
    spans = []
    analysis.token_groups("正极材\r\n  料", spans)
    assert (0, 4) in spans  # offsets in the text as read
    assert analysis.read("普通文字，没有换行") == "普通文字，没有换行"
    # invisible characters a web page's text carries inside words (a zero-width space, a BOM, a soft hyphen)
    assert analysis.token_groups("锂\u200b电池正\ufeff极材料\u00ad包覆") == analysis.token_groups("锂电池正极材料包覆")


def test_a_wrapped_abstract_is_found_by_its_words(backend):
    backend.index([doc(10, "高镍正极包覆改性", "本发明公开了一种高镍三元正极材\n料的包覆改性方法，循环寿\n命提升")])
    assert "10" in ids(q(backend, '"正极材料"')) and "10" in ids(q(backend, "循环寿命"))


def test_the_index_keeps_the_analysis_it_was_built_under(backend):
    assert backend.analysis_stamp() == analysis.stamp()  # (marketplace.searching.sync.reindex_if_outdated reads it)


def test_full_width_codes_find_and_are_found(backend):
    backend.index([doc(9, "ＰＬＣ控制的３Ｄ打印机", "Ｔｉ－６Ａｌ－４Ｖ钛合金粉末")])
    assert ids(q(backend, "PLC")) == ["9"]
    assert ids(q(backend, "3D打印")) == ["9"]
    assert ids(q(backend, "Ti-6Al-4V")) == ["9"]
    assert ids(q(backend, "ＬＥＤ")) == ["4"]  # and a full-width query finds the ASCII record


def test_traditional_text_finds_and_is_found(backend):
    backend.index([doc(11, "鋰電池負極材料", "人造石墨負極的包覆與燒結工藝")])
    assert ids(q(backend, "锂电池负极")) == ["11"]
    assert ids(q(backend, '"石墨负极"')) == ["11"] and ids(q(backend, "烧结工艺")) == ["11"]
    assert "3" in ids(q(backend, "正極材料"))  # and a traditional query finds the simplified record


def test_phrase_needs_adjacent_tokens(backend):
    loose = set(ids(q(backend, "正极 材料")))
    assert {"3", "5"} <= loose
    assert ids(q(backend, '"正极材料"')) == ["3"]


def test_title_outranks_body(backend):
    assert ids(q(backend, "正极"))[0] == "3"


def test_all_terms_are_required_then_relaxed(backend):
    assert ids(q(backend, "稀土 矫顽力")) == ["1"]
    relaxed = q(backend, "稀土 光刻机")  # two terms, one matches: at least half is enough
    assert relaxed.relaxed and ids(relaxed) == ["1"]


def test_filters_combine_and_facets_count(backend):
    res = q(backend, "", filters={"industry": "新能源"})
    assert set(ids(res)) == {"3", "5"} and res.total == 2
    assert dict(res.facets["maturity"]) == {"小试": 1, "工业化": 1}
    both = q(backend, "正极", filters={"industry": "新能源", "maturity": "小试"})
    assert ids(both) == ["3"]
    everything = q(backend, "")
    assert dict(everything.facets["industry"])["新材料"] == 1
    assert dict(everything.facets["transfer_modes"]) == {"许可": 7, "转让": 1}
    assert dict(everything.facets["price_range"]) == {"lt10w": 1, "10w-50w": 1, "50w-100w": 1, "100w-500w": 1,
                                                      "negotiable": 3}
    assert ids(q(backend, "", filters={"transfer_modes": "转让"})) == ["1"]
    assert set(ids(q(backend, "", filters={"price_range": "negotiable"}))) == {"5", "6", "7"}
    assert set(ids(q(backend, "", price_min=100_000, price_max=1_000_000))) == {"1", "4"}


def test_permissions_apply_inside_the_query(backend):
    assert "8" not in ids(q(backend, "稀土永磁", per_page=50))
    assert q(backend, "草稿").total == 0
    owner = q(backend, "草稿", visibility=Visibility(org_ids=(42,)))
    assert ids(owner) == ["8"]
    admin = q(backend, "稀土永磁", visibility=Visibility(everything=True))
    assert set(ids(admin)) == {"1", "8"}
    assert dict(q(backend, "").facets["industry"]).get("新材料") == 1  # the draft is not counted either


def test_sorts_and_paging(backend):
    newest = q(backend, "", sort="newest", per_page=3)
    assert ids(newest) == ["7", "6", "5"] and newest.total == 7
    assert ids(q(backend, "", sort="newest", per_page=3, page=3)) == ["1"]
    assert ids(q(backend, "", sort="price_asc", per_page=4)) == ["3", "4", "1", "2"]
    assert ids(q(backend, "", sort="price_desc", per_page=2)) == ["2", "1"]


def test_update_delete_and_ids(backend):
    backend.index([doc(3, "钠离子电池层状氧化物正极", "全新内容", industry="新能源")])
    assert q(backend, "高镍").total == 0 and ids(q(backend, "钠离子电池")) == ["3"]
    assert q(backend, "", filters={"industry": "新能源"}).total == 2  # replaced, not duplicated
    backend.delete(["achievement:3", "achievement:999"])
    assert q(backend, "钠离子电池").total == 0
    assert backend.all_ids() == {d["id"] for d in CORPUS} - {"achievement:3"}
    got = backend.get("achievement:2")
    assert got["digest"] == "d2" and got["industry"] == "有色金属" and got["price"] == 1_200_000.0


def test_rebuild_switches_to_the_new_index(backend):
    before = q(backend, "稀土永磁")
    backend.rebuild(iter([doc(20, "全新的稀土永磁成果")]))
    assert before.total == 1 and ids(q(backend, "稀土永磁")) == ["20"]
    assert backend.all_ids() == {"achievement:20"}


# -- Whoosh specifics -------------------------------------------------------------------------------------

def test_whoosh_writer_lock_times_out_with_a_clear_error(tmp_path):
    a = WhooshBackend(str(tmp_path / "ix"), lock_timeout=0.2)
    a.rebuild(iter(CORPUS[:1]))
    import multiprocessing
    ready, release = multiprocessing.Event(), multiprocessing.Event()

    def hold():
        other = WhooshBackend(str(tmp_path / "ix"))
        with other.write_lock():
            ready.set()
            release.wait(10)

    proc = multiprocessing.get_context("fork").Process(target=hold)
    proc.start()
    try:
        assert ready.wait(10)
        with pytest.raises(IndexLocked):
            a.index([doc(2, "x")])
    finally:
        release.set()
        proc.join(10)
    assert a.index([doc(2, "锁释放后可以写入")]) == 1
    assert ids(q(a, "锁释放后可以写入")) == ["2"]


def test_whoosh_old_generations_are_cleaned(tmp_path):
    be = WhooshBackend(str(tmp_path / "ix"))
    for i in range(4):
        be.rebuild(iter([doc(i, f"第{i}版")]))
    assert len(list((tmp_path / "ix").glob("gen-*"))) == 2


def test_doc_freq_counts_documents_with_the_term(backend):
    # 正极 is a token of 3 and 5 (not of 6, whose 正极性 segments as 正 / 极性); 挤压 only of 2
    df, n = backend.doc_freq("正极")
    assert n == len(CORPUS) and df == 2
    assert backend.doc_freq("挤压")[0] == 1 and backend.doc_freq("石墨烯")[0] == 0


# -- cases found by reading the Elasticsearch backend against its documentation (both backends) ------------

def test_a_page_beyond_the_result_window_is_empty_with_the_total(backend):
    deep = 10_000 // 20 + 1  # from + size beyond Elasticsearch's index.max_result_window
    result = q(backend, "稀土永磁", page=deep, per_page=20)
    assert result.ids == [] and result.total == 1


def test_deleting_missing_documents_is_not_an_error(backend):
    assert backend.delete(["achievement:1", "achievement:404"]) == 2
    assert "achievement:1" not in backend.all_ids()


def test_an_older_read_does_not_overwrite_a_newer_document(backend):
    if backend.name != "elasticsearch":
        pytest.skip("Whoosh writes under the process-wide write lock, reading the record under it")
    backend.index([doc(3, "新版标题锂电池", version=2_000)])
    backend.index([doc(3, "旧版标题", version=1_000)])
    assert ids(q(backend, "新版标题")) == ["3"]
    assert ids(q(backend, "旧版标题")) == []
