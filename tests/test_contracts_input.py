"""Money and percentage input (issue 9): one strict parser for every amount and rate, Chinese 422s, and no
rate silently cut to the column's scale. The pure parser needs no app; the rest go through the API."""
from decimal import Decimal

import pytest

from marketplace.contracts.models import IncomeSplit, InventorShare, TermSheet
from marketplace.core import money
from marketplace.core.errors import ValidationFailed
from marketplace.core.schema import InputSchema, Money, Percent

HOSTILE = ["1e5", "1E5", "1_000", " 1 000", "1 000", "Infinity", "-Infinity", "inf", "NaN", "nan", "sNaN",
           "0x10", "0b101", "0o17", "+5", ".5", "5.", "1,2,3", "12,34", "1,0000", "١٢٣", "1.2.3",
           "--1", "1e-2", "10%", "", "   ", "¥", True, float("inf"), float("nan"), [1], {"a": 1}]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_amounts_are_refused_by_the_one_parser(raw):
    with pytest.raises(money.MoneyError) as err:
        money.parse_yuan(raw)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(err.value))  # a Chinese message
    with pytest.raises(money.MoneyError):
        money.wan_to_yuan(raw)


@pytest.mark.parametrize("raw, yuan", [("1000", "1000.00"), ("1,000", "1000.00"), ("1，000.5", "1000.50"),
                                       ("１２３", "123.00"),  # full-width, as typed in full-width mode (core.halfwidth)
                                       ("12,345,678.90", "12345678.90"), ("¥1,234.5", "1234.50"), (" 7 ", "7.00"),
                                       (1500, "1500.00"), (Decimal("2.5"), "2.50"), (2.5, "2.50"), ("0", "0.00"),
                                       ("0012", "12.00")])
def test_plain_amounts_are_accepted(raw, yuan):
    assert money.parse_yuan(raw) == Decimal(yuan)


def test_amounts_beyond_the_column_are_refused_also_in_wan():
    # Numeric(14, 2): below a trillion yuan. 1亿万元 is a trillion yuan: refused, not a database overflow.
    with pytest.raises(money.MoneyError):
        money.wan_to_yuan("100000000")
    assert money.wan_to_yuan("99999999.999999") == Decimal("999999999999.99")


def test_percent_allows_only_the_places_given():
    assert money.parse_decimal("2.5", 4, label="比例") == Decimal("2.5")
    with pytest.raises(money.MoneyError) as err:
        money.parse_decimal("2.12345678", 4, label="比例")
    assert "4位小数" in str(err.value)
    for raw in ("1e1", "NaN", "Infinity", "0x10", "1_0"):
        with pytest.raises(money.MoneyError):
            money.parse_decimal(raw, 4, label="比例")


class _Form(InputSchema):
    price = Money("yuan")
    price_wan = Money("wan")
    rate = Percent(places=4)


@pytest.mark.parametrize("field", ["price", "price_wan", "rate"])
@pytest.mark.parametrize("raw", ["1e5", "1_000", " 1 000", "Infinity", "NaN", "0x10"])
def test_every_decimal_field_uses_the_parser(field, raw):
    with pytest.raises(ValidationFailed) as err:
        _Form().validate_dict({field: raw})
    assert field in err.value.fields and err.value.fields[field].isascii() is False


def test_rate_columns_and_schema_places_agree():
    """The schema refuses what the column would cut: the places come from the column's scale."""
    from marketplace.contracts.schemas import InventorSchema, SplitSchema, TermsSchema
    assert TermsSchema().fields["royalty_rate"].max_places == TermSheet.__table__.c.royalty_rate.type.scale
    assert TermsSchema().fields["equity_percent"].max_places == TermSheet.__table__.c.equity_percent.type.scale
    assert SplitSchema().fields["team_percent"].max_places == IncomeSplit.__table__.c.team_percent.type.scale
    assert InventorSchema().fields["percent"].max_places == InventorShare.__table__.c.percent.type.scale


# Through the API ---------------------------------------------------------------------------------------------

def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


def _contract_body(inst, company, **over):
    return {"kind": "技术转让", "transfer_form": "许可", "title": "许可合同测试", "seller_org_id": inst.org_id,
            "buyer_org_id": company.org_id, "amount": "1000", "signed_on": "2026-01-01", "city": "南昌",
            "industry": "新材料", **over}


@pytest.mark.parametrize("raw", ["1e5", "1_000", " 1 000", "Infinity", "NaN", "0x10"])
def test_contract_amount_in_exotic_notation_is_422(client, f, raw):
    inst, company = f.user("institution"), f.user("company")
    r = client.post("/api/v1/contracts", json=_contract_body(inst, company, amount=raw), headers=bearer(f, inst))
    assert r.status_code == 422 and "amount" in r.json["error"]["fields"], r.json


@pytest.mark.parametrize("rate, places", [("2.12345678", 4), ("2.12345", 4)])
def test_royalty_rate_with_more_places_than_stored_is_422(client, f, rate, places):
    inst, company = f.user("institution"), f.user("company")
    terms = {"kind": "zero_threshold", "royalty_rate": rate}
    r = client.post("/api/v1/contracts", json=_contract_body(inst, company, terms=terms), headers=bearer(f, inst))
    assert r.status_code == 422, r.json
    assert f"{places}位小数" in r.json["error"]["message"]
    ok = client.post("/api/v1/contracts", json=_contract_body(inst, company, terms={**terms, "royalty_rate": "2.1234"}),
                     headers=bearer(f, inst))
    assert ok.status_code == 201 and Decimal(ok.json["terms"]["royalty_rate"]) == Decimal("2.1234")


def test_split_percentages_with_more_places_than_stored_are_422(client, f):
    from marketplace.contracts import services as contracts
    from marketplace.extensions import db
    inst, company = f.user("institution"), f.user("company")
    c = contracts.create(inst, _contract_body(inst, company, terms={"kind": "lump_sum", "amount": "1000"}))
    contracts.submit(inst, c)
    db.session.commit()
    url, h = f"/api/v1/contracts/{c.id}/income-split", bearer(f, inst)
    thirds = [{"name": n, "percent": p} for n, p in (("张明", "33.3333"), ("李华", "33.3333"), ("王芳", "33.3334"))]
    r = client.put(url, headers=h, json={"net_income": "100000", "team_percent": "70", "institution_percent": "30",
                                         "inventors": thirds})
    assert r.status_code == 422 and "2位小数" in r.json["error"]["message"], r.json
    r = client.put(url, headers=h, json={"net_income": "100000", "team_percent": "70.005",
                                         "institution_percent": "29.995"})
    assert r.status_code == 422 and "2位小数" in r.json["error"]["message"], r.json
    thirds = [{"name": n, "percent": p} for n, p in (("张明", "33.33"), ("李华", "33.33"), ("王芳", "33.34"))]
    r = client.put(url, headers=h, json={"net_income": "100000.01", "team_percent": "70",
                                         "institution_percent": "30", "inventors": thirds})
    assert r.status_code == 200, r.json
    split = r.json["income_split"]
    assert [(i["name"], Decimal(i["percent"])) for i in split["inventors"]] == [
        ("张明", Decimal("33.33")), ("李华", Decimal("33.33")), ("王芳", Decimal("33.34"))]
    assert sum(Decimal(i["amount"]) for i in split["inventors"]) == Decimal(split["team_amount"])
    assert Decimal(split["team_amount"]) + Decimal(split["institution_amount"]) == Decimal("100000.01")
    for i in split["inventors"]:
        assert abs(Decimal(i["amount"]) - Decimal(split["team_amount"]) * Decimal(i["percent"]) / 100) < Decimal("0.01")
