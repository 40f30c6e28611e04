"""Pure functions: 统一社会信用代码, money, schema messages. No app needed."""
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from marketplace.core import money, vocab
from marketplace.core.schema import flatten_errors
from marketplace.core.uscc import ALPHABET, check_char, is_valid_uscc, make_uscc, uscc_error
from marketplace.core.uscc import normalise as normalise_uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91350100m000100y43", " 91350100M000100Y43 "])
def test_the_standards_example_code_validates(code):
    # 91350100M000100Y43 is the worked example of GB 32100-2015; case and spaces are forgiven.
    assert uscc_error(code) is None


@pytest.mark.parametrize("code,fragment", [
    ("91350100M000100Y44", "校验位"),
    ("91350100M000100Y4", "18位"),
    ("91350100M000100YI3", "非法字符"),
    ("9135AB00M000100Y43", "行政区划"),
    ("", "18位"),
])
def test_bad_codes_say_what_is_wrong(code, fragment):
    assert fragment in uscc_error(code)


@given(st.text(min_size=1, max_size=30))
def test_generated_codes_are_valid(seed):
    assert is_valid_uscc(make_uscc(seed))


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit()),
       st.sampled_from(ALPHABET))
def test_any_single_check_digit_change_is_caught(body, other):
    good = body + check_char(body)
    assert is_valid_uscc(good)
    if other != good[-1]:
        assert not is_valid_uscc(body + other)


@pytest.mark.parametrize("raw,yuan", [("12.5", "125000.00"), ("0.000001", "0.01"), (8.5, "85000.00"),
                                      ("1,200", "12000000.00"), ("0", "0.00")])
def test_wan_to_yuan_is_exact(raw, yuan):
    assert money.wan_to_yuan(raw) == Decimal(yuan)


@pytest.mark.parametrize("raw", ["-1", "abc", "1e400", "NaN", "0.0000001", True])
def test_bad_money_is_refused(raw):
    with pytest.raises(money.MoneyError):
        money.wan_to_yuan(raw)


WIDE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789,.-:/ABCDEFGHJKLMNPQRTUWXY"})


@pytest.mark.parametrize("typed,yuan", [("１２，５００．５０", "12500.50"), ("１２５００", "12500.00"), ("12,5００", "12500.00")])
def test_full_width_digits_are_amounts_as_typed(typed, yuan):
    # a Chinese input method in full-width mode types these: read as the ASCII amount, exactly
    assert money.parse_yuan(typed) == Decimal(yuan)
    for bad in ("－５", "１ｅ５", "١٢"):  # still refused: a minus, an exponent, other scripts' digits
        with pytest.raises(money.MoneyError):
            money.parse_yuan(bad)


@pytest.mark.parametrize("seed", ["a", "b", "江西"])
def test_a_full_width_or_lower_case_code_is_the_code(seed):
    code = make_uscc(seed)
    for typed in (code.translate(WIDE), code.lower(), f" {code} ", f"{code[:8]} {code[8:12]} {code[12:]}"):
        assert uscc_error(typed) is None and normalise_uscc(typed) == code


def test_full_width_dates_are_dates():
    from marketplace.core.schema import LenientDate
    assert LenientDate().deserialize("２０２６－０３－０１") == LenientDate().deserialize("2026-03-01")
    assert LenientDate().deserialize("２０２６／３／１") == LenientDate().deserialize("2026/3/1")


@pytest.mark.parametrize("typed, day", [("20210608", "2021-06-08"), ("2021-6-8 00:00:00", "2021-06-08"),
                                        ("2021-06-08T00:00", "2021-06-08"), ("2021/6/8 0:00", "2021-06-08"),
                                        ("2021 年 6 月 8 日", "2021-06-08"), ("二〇二一年六月八日", "2021-06-08"),
                                        ("二〇二一年十二月三十一日", "2021-12-31"), ("二零二一年十月二十日", "2021-10-20")])
def test_dates_as_spreadsheets_export_them_are_dates(typed, day):
    # a date typed without separators, a date cell written out as text with its midnight (a CSV saved by Excel), spaced
    # as Word sets digits among Chinese, a contract's date in Chinese numerals
    from marketplace.core.schema import LenientDate
    assert LenientDate().deserialize(typed).isoformat() == day


@pytest.mark.parametrize("typed", ["2021-06-32 14:30", "20211308", "1234567", "202106081", "二〇二一年二月三十日",
                                   "二〇二一年十三月一日", "二〇二一年六月", "二〇二一年六月一十一十日"])
def test_an_impossible_date_is_refused_with_or_without_a_time(typed):
    # (a time of day after a real day is read as that day since 2026-12-03: tests/test_imports_forms.py)
    from marshmallow import ValidationError

    from marketplace.core.schema import LenientDate
    with pytest.raises(ValidationError):
        LenientDate().deserialize(typed)


def test_yuan_allows_only_two_places():
    assert money.parse_yuan("1234.5") == Decimal("1234.50")
    with pytest.raises(money.MoneyError):
        money.parse_yuan("1.001")


@pytest.mark.parametrize("amount,negotiable,shown", [(None, True, "面议"), (Decimal("1250000.00"), False, "125万元"),
                                                     (Decimal("1234.50"), False, "¥1,234.50")])
def test_format_yuan(amount, negotiable, shown):
    assert money.format_yuan(amount, negotiable) == shown


def test_flatten_errors_translates_nested_messages():
    flat = flatten_errors({"title": ["Missing data for required field."],
                           "ip_items": {0: {"granted_on": ["Not a valid date."]}}})
    assert flat == {"title": "必填项", "ip_items.0.granted_on": "日期格式应为 YYYY-MM-DD"}


@pytest.mark.parametrize("place, city", [
    ("南昌", "南昌"), ("南昌市", "南昌"), ("江西省南昌市", "南昌"), ("南昌市红谷滩区", "南昌"), ("南昌高新区", "南昌"),
    ("赣州市章贡区", "赣州"), ("南康区", "赣州"), ("南康", "赣州"), ("龙南市", "赣州"), ("共青城市", "九江"),
    ("吉安县", "吉安"), ("新干县", "吉安"), ("上高县", "宜春"), ("余江区", "鹰潭"), ("景德镇市珠山区", "景德镇"),
    ("广州", None), ("江西", None), ("上海市", None), ("吉林省", None)])
def test_a_place_in_jiangxi_is_read_as_its_city(place, city):
    assert vocab.city_of(place) == city


def test_every_county_level_division_belongs_to_one_of_the_eleven_cities():
    assert len(vocab.COUNTIES) == 100 and set(vocab.COUNTIES.values()) == set(vocab.CITIES)
    assert all(vocab.city_of(county) == city for county, city in vocab.COUNTIES.items())


@pytest.mark.parametrize("typed, terms", [("铜合金 挤压 导电", ["铜合金", "挤压", "导电"]),
                                          ("铜合金\u3000挤压", ["铜合金", "挤压"]),
                                          ("machine learning", ["machine learning"]),
                                          ("5G 通信", ["5G 通信"]), ("铜合金、挤压 导电", ["铜合金", "挤压 导电"])])
def test_keywords_separated_by_spaces_are_terms_when_each_is_chinese(typed, terms):
    # a sheet's 关键词 "铜合金 挤压 导电" was one term, refused as too long past 20 characters
    from marketplace.core.schema import TermList
    assert TermList().deserialize(typed) == terms


def test_forms_and_the_api_read_a_spelling_as_imports_do():
    # every input schema's VOCAB_FIELDS go through vocab.normalise, which reads what vocab.spelled reads
    from marketplace.demands.schemas import DemandIn
    data = DemandIn().validate_dict({"title": "铜杆表面氧化发黑", "description": "连铸连轧出来的铜杆表面发黑，想改进冷却。",
                                     "industry": "有色金属", "city": "南康区", "cooperation": "委托开发（可面议）"})
    assert (data["city"], data["cooperation"]) == ("赣州", "委托开发")
    assert vocab.normalise("maturity", " 中试阶段（已完成） ") == "中试" and vocab.normalise("maturity", "很成熟") == "很成熟"


@pytest.mark.parametrize("written, kept", [
    ("江西铜业股份有限公司(贵溪冶炼厂)", "江西铜业股份有限公司（贵溪冶炼厂）"), ("江西铜业 股份有限公司", "江西铜业股份有限公司"),
    (" 南昌 大学 ", "南昌大学"), ("江西ＡＢＣ科技有限公司", "江西ABC科技有限公司"), ("江西 ABC 公司", "江西ABC公司"),
    ("ABC (China) Co.,  Ltd.", "ABC (China) Co., Ltd."), ("江西铜业（集团） 有限公司", "江西铜业（集团）有限公司")])
def test_an_organisations_name_is_kept_in_one_written_form(written, kept):
    from marketplace.core.orgname import canonical
    assert canonical(written) == kept and canonical(kept) == kept
