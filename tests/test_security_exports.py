"""Excel exports never write user text as a live formula (OWASP formula injection) and stay re-importable."""
from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from marketplace.core.xlsx_safe import append_row
from marketplace.extensions import db

FORMULA = '=HYPERLINK("http://x","y")'
RISKY = [FORMULA, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def cells_with(data: bytes, text: str) -> list:
    wb = load_workbook(BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == text]


def assert_inert(data: bytes, text: str):
    found = cells_with(data, text)
    assert found, f"{text!r} not exported"
    for cell in found:
        assert cell.data_type == "s", (text, cell.coordinate, cell.data_type)
        assert cell.quotePrefix


def test_append_row_keeps_values_and_types():
    wb = Workbook()
    ws = wb.active
    append_row(ws, RISKY + ["普通文本", 12, 3.5, date(2026, 1, 2), None, ""])
    buf = BytesIO()
    wb.save(buf)
    row = next(load_workbook(BytesIO(buf.getvalue())).active.iter_rows())
    assert [c.value for c in row[:len(RISKY)]] == [v.replace("\r", "\n") for v in RISKY]  # XML reads CR as LF
    assert {c.data_type for c in row[:len(RISKY)]} == {"s"}
    assert [c.value for c in row[len(RISKY):len(RISKY) + 3]] == ["普通文本", 12, 3.5]
    assert not row[len(RISKY)].quotePrefix


@pytest.mark.parametrize("title", [FORMULA, "+1+1", "-1+1 型铜合金", "@SUM(1,2)"])
def test_library_export_writes_titles_as_text_and_reimports_them(client, f, title):
    from marketplace.achievements.models import Achievement
    from marketplace.imports.service import import_file
    inst = f.user("institution")
    f.record("achievements", inst, status="published", title=title, ref="F-1")
    resp = client.get("/achievements/export.xlsx")
    assert resp.status_code == 200
    assert_inert(resp.data, title)
    report = import_file("achievements", "export.xlsx", resp.data, actor=inst, source="again", dry_run=True)
    assert report.rejected == 0, report.errors
    assert Achievement.query.filter_by(title=title).count() == 1


def test_import_template_cells_are_plain():
    from marketplace.core.listings import LIBRARIES
    from marketplace.imports.excel import template_workbook
    for lib in LIBRARIES.values():
        wb = load_workbook(template_workbook(lib))
        assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_contract_exports_write_titles_as_text(client, f):
    from marketplace.contracts import services as contracts
    inst, company = f.user("institution"), f.user("company")
    c = contracts.create(inst, {"kind": "技术转让", "transfer_form": "许可", "title": FORMULA,
                                "seller_org_id": inst.org_id, "buyer_org_id": company.org_id,
                                "amount": "100000", "signed_on": "2026-01-01", "city": "南昌",
                                "industry": "新材料"})
    db.session.commit()
    headers = {"Authorization": f"Bearer {f.token(inst)}"}
    listing = client.get("/api/v1/contracts/export.xlsx", headers=headers)
    assert listing.status_code == 200
    assert_inert(listing.data, FORMULA)
    schedule = client.get(f"/api/v1/contracts/{c.id}/schedule.xlsx", headers=headers)
    assert schedule.status_code == 200
    assert_inert(schedule.data, FORMULA)


def test_usefirst_export_writes_titles_as_text(client, f):
    from marketplace.usefirst import services as uf
    from marketplace.usefirst.models import UseFirstItem
    inst = f.user("institution")
    f.record("achievements", inst, status="published", ref="U-1", title="+1+1", ip_granted_on="2019-06-01")
    uf.scan(date(2026, 1, 1))
    for item in UseFirstItem.query:
        uf.confirm(inst, item, {})
    db.session.commit()
    resp = client.get("/usefirst/export.xlsx")
    assert resp.status_code == 200
    assert_inert(resp.data, "+1+1")
