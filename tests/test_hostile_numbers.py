"""Numbers of absurd size in a JSON body: `1e99999999` is ten bytes, and turning it into an int — marshmallow's
Integer field does, and WholeNumber did before checking the size — holds a worker for hours (found by a probe of every
API write on a copy of the demo: one request never came back). `1e999999999999999999999` is not even a Decimal and
escaped the JSON error handling. Both are a 400 with a message now, before any field sees them."""
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from marketplace.core.errors import BadRequest
from marketplace.core.schema import WholeNumber
from marketplace.demands.models import Demand


@pytest.mark.parametrize("number", ["1e99999999", "-1e99999999", "1e999999999999999999999", "1e-99999999",
                                    "1" + "0" * 120 + ".5"])
def test_an_absurd_number_is_refused_by_the_json_reader(app, number):
    with pytest.raises(BadRequest) as e:
        app.json.loads('{"n": %s}' % number)
    assert "超出可接受的范围" in e.value.message


@pytest.mark.parametrize("number", ["0.5", "1e5", "12500.50", "0e-99999999", "1e100", "-1e-100"])
def test_ordinary_numbers_are_still_exact_decimals(app, number):
    n = app.json.loads('{"n": %s}' % number)["n"]
    assert isinstance(n, Decimal) and n == Decimal(number)  # the bounds themselves (1e100, 1e-100) pass


def test_an_integer_of_thousands_of_digits_is_told_so(client, f):
    h = {"Authorization": f"Bearer {f.token(f.user('company'))}"}
    r = client.post("/api/v1/demands", data='{"budget_wan": %s}' % ("1" * 5000), headers=h,
                    content_type="application/json")
    assert r.status_code == 400 and "超出可接受的范围" in r.json["error"]["message"], r.json
    ordinary = client.application.json.loads('{"n": -12, "m": %s}' % ("9" * 100))
    assert ordinary == {"n": -12, "m": int("9" * 100)}


def test_the_api_answers_an_absurd_number_at_once_with_a_400_and_writes_nothing(client, f):
    company = f.user("company")
    h = {"Authorization": f"Bearer {f.token(company)}"}
    body = ('{"title": "铜杆拉丝老断线", "description": "拉丝速度一提上去就老断线，想找办法降低断线。", '
            '"industry": "有色金属", "city": "鹰潭", "budget_wan": %s, "cooperation": "技术许可"}')
    for number in ("1e999999999999999999999", "1e99999999"):  # (without the bound: a 500, then hours)
        r = client.post("/api/v1/demands", data=body % number, headers=h, content_type="application/json")
        assert r.status_code == 400 and "超出可接受的范围" in r.json["error"]["message"], r.json
    assert Demand.query.count() == 0


class _Huge(Decimal):
    def __int__(self):
        raise AssertionError("int() of a number this size takes hours")


def test_a_whole_number_field_checks_the_size_before_making_an_int():
    with pytest.raises(ValidationError):
        WholeNumber().deserialize(_Huge("1E+99"))
    assert WholeNumber().deserialize(Decimal("30.0")) == 30
