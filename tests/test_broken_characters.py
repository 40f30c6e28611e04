"""Half a character — a lone UTF-16 surrogate, which a JSON escape such as "\\ud83d" without its pair produces (an
emoji cut in two by a client that truncates strings) and which no database can store — is refused with a message
a person understands, never a 500, wherever JSON comes in: the API's bodies, the importer's .json and .jsonl
files, the historical contracts' import. The good rows of the same file are kept."""
import json

from openpyxl import load_workbook

from marketplace.achievements.models import Achievement
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.imports.service import import_file
from marketplace.stats.imports import read_and_import
from marketplace.stats.models import ContractFact

from .test_stats_import import CN, GOOD

HALF = "\ud83d"  # the first half of 😀 (U+1F600)


def _achievement(ref: str, **over) -> dict:
    row = {"ref": ref, "title": f"高强高导铜合金连续挤压技术{ref}", "summary": "采用连续挤压制备铜铬锆合金，导电率不低于80%IACS。",
           "keywords": "铜合金、连续挤压", "industry": "有色金属", "institution": "江西理工大学", "maturity": "中试"}
    row.update(over)
    return row


def _escaped(rows) -> bytes:
    """JSON as a client writes it: the lone surrogate as a \\u escape (json.dumps escapes it so)."""
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_the_api_refuses_half_a_character_with_a_400_that_names_the_field_and_writes_nothing(client, f):
    company = f.user("company")
    h = {"Authorization": f"Bearer {f.token(company)}"}
    body = {"title": "铜杆拉丝老断线", "description": f"拉丝速度一提上去就老断线{HALF}，想找办法降低断线。",
            "industry": "有色金属", "city": "鹰潭", "budget_wan": "50", "cooperation": "技术许可"}
    r = client.post("/api/v1/demands", data=json.dumps(body), headers=h, content_type="application/json")
    assert r.status_code == 400
    message = r.json["error"]["message"]
    assert "description" in message and "残缺的字符" in message
    assert Demand.query.count() == 0
    nested = {**body, "description": "拉丝速度一提上去就老断线，想找办法降低断线。", "tags": [{"x": f"a{HALF}"}]}
    r = client.post("/api/v1/demands", data=json.dumps(nested), headers=h, content_type="application/json")
    assert r.status_code == 400 and "tags[0].x" in r.json["error"]["message"]
    key = json.dumps(body).replace('"title"', '"ti\\ud800tle"')
    r = client.post("/api/v1/demands", data=key, headers=h, content_type="application/json")
    assert r.status_code == 400 and "键名" in r.json["error"]["message"]
    body["description"] = "拉丝速度一提上去就老断线😀，想找办法降低断线。"  # a whole emoji is a character like any other
    r = client.post("/api/v1/demands", data=json.dumps(body), headers=h, content_type="application/json")
    assert r.status_code == 201, r.json
    assert Demand.query.one().description.endswith("😀，想找办法降低断线。")


def test_an_import_refuses_the_row_names_the_column_keeps_the_good_rows_and_writes_the_error_file(ctx, tmp_path):
    rows = [_achievement("H-1", keywords=f"铜合金{HALF}"), _achievement("H-2"),
            _achievement("H-3", institution=f"江西理工{HALF}大学"), _achievement("H-4", title=f"铜{HALF}")]
    out = tmp_path / "errors.xlsx"
    report = import_file("achievements", "a.jsonl", _escaped(rows), publish=True, errors_out=out)
    db.session.commit()
    assert (report.created, report.rejected) == (1, 3)
    assert {e["row"]: e["message"].split("：")[0] for e in report.errors} == {1: "keywords", 3: "institution",
                                                                             4: "title"}
    assert all("残缺的字符" in e["message"] for e in report.errors)
    assert [a.ref for a in Achievement.query.all()] == ["H-2"]
    sheet = load_workbook(out).active
    kept = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(kept) == 3 and "铜合金\ufffd" in kept[0]  # the row as typed, the half character shown as �


def test_a_json_file_names_the_column_and_a_broken_key_is_an_ignored_column(ctx):
    rows = [_achievement("J-1", summary=f"采用连续挤压制备铜铬锆合金{HALF}，导电率不低于80%IACS。"),
            {**_achievement("J-2"), "备\udc00注": "x"}]
    report = import_file("achievements", "a.json", json.dumps(rows).encode(), publish=True)
    db.session.commit()
    assert (report.created, report.rejected) == (1, 1)
    assert report.errors[0]["row"] == 1 and report.errors[0]["message"].startswith("summary：含有残缺的字符")
    assert Achievement.query.one().ref == "J-2"


def test_the_contracts_import_refuses_the_row_and_keeps_the_others(ctx):
    rows = [list(r) for r in GOOD]
    rows[1][1] = f"稀土{HALF}永磁"
    raw = "\n".join(json.dumps(dict(zip(CN, r))) for r in rows).encode()
    report = read_and_import(None, "h.jsonl", raw, batch="t")
    db.session.commit()
    assert (report.created, report.rejected) == (2, 1)
    assert report.errors == [{"row": 2, "message": "合同名称：含有残缺的字符（不成对的 Unicode 代理项，多见于被截断的表情符号），请删除后重试"}]
    assert ContractFact.query.count() == 2


def test_the_web_import_previews_and_runs_a_file_with_half_a_character(client, f):
    """The page's path (upload → preview → run on the task queue): the row is refused in the preview and in the run,
    the others imported; no page fails to render what the file held."""
    import io

    from .conftest import login
    from .test_imports import wait_for
    inst = f.user("institution", name="江西理工大学")
    login(client, inst)
    rows = [_achievement("W-1", keywords=f"铜合金{HALF}"), _achievement("W-2"), {**_achievement("W-3"), f"备{HALF}": "x"}]
    up = client.post("/imports/achievements", data={"file": (io.BytesIO(_escaped(rows)), "成果.jsonl")},
                     content_type="multipart/form-data")
    assert up.status_code == 302, up.get_data(as_text=True)[:300]
    preview = client.get(up.headers["Location"])
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "第1行" in page and "残缺的字符" in page and "可新增 <strong>2</strong>" in page
    job_id = int(up.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    client.post(f"/imports/job/{job_id}/run", data={"submit": "1"})
    status = wait_for(client, job_id)
    assert (status["status"], status["created"], status["rejected"]) == ("done", 2, 1), status
    assert sorted(a.ref for a in Achievement.query.all()) == ["W-2", "W-3"]
