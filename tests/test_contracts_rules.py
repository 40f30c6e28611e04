"""Contract rules from issue 9: dates that cannot be, terms edited after money moved, registration numbers
typed by hand or drawn at once, what a broker may link, and the 先用后转 item closed through a signal."""
from datetime import date, timedelta

import pytest

from marketplace.contracts import services as contracts
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.extensions import db

ZERO = {"kind": "zero_threshold", "royalty_rate": "2.5", "royalty_min": "20000", "royalty_cap": "100000",
        "report_period": "quarter", "due_days": 30,
        "milestones": [{"name": "中试通过", "trigger": "中试报告验收", "amount": "50000"},
                       {"name": "量产", "amount": "80000.50", "due_on": "2026-12-31"}]}
TODAY = date(2026, 8, 1)


def bearer(f, user):
    return {"Authorization": f"Bearer {f.token(user)}"}


def body(inst, company, **over):
    return {"kind": "技术转让", "transfer_form": "许可", "title": "稀土永磁专利实施许可合同",
            "seller_org_id": inst.org_id, "buyer_org_id": company.org_id, "amount": "500000",
            "signed_on": "2026-01-01", "city": "南昌", "industry": "新材料", **over}


@pytest.fixture()
def deal(f):
    return f.user("institution", city="南昌"), f.user("company", city="南昌")


def submitted(f, inst, company, terms=ZERO, **over):
    c = contracts.create(inst, body(inst, company, terms=terms, **over))
    contracts.submit(inst, c)
    db.session.commit()
    return c


def city_admin(f):
    return f.user("admin", admin_level="city", city="南昌")


# Dates ----------------------------------------------------------------------------------------------------

def test_payments_before_signing_or_in_the_future_are_422(f, deal):
    inst, company = deal
    c = submitted(f, inst, company, {"kind": "lump_sum", "amount": "1000"})
    for day in ("2025-12-31", "2026-08-02"):
        with pytest.raises(ValidationFailed) as err:
            contracts.record_payment(inst, c, {"amount": "100", "received_on": day}, today=TODAY)
        assert "received_on" in err.value.fields
    contracts.record_payment(inst, c, {"amount": "100", "received_on": "2026-08-01"}, today=TODAY)
    contracts.record_payment(inst, c, {"amount": "100", "received_on": "2026-01-01"}, today=TODAY)
    st = contracts.statement(c, TODAY)
    assert st["received"] == "200.00" and sum(float(x["paid"]) for x in st["lines"]) == 200


def test_a_future_payment_through_the_api_is_422(client, f, deal):
    inst, company = deal
    c = submitted(f, inst, company, {"kind": "lump_sum", "amount": "1000"})
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    r = client.post(f"/api/v1/contracts/{c.id}/payments", json={"amount": "100", "received_on": tomorrow},
                    headers=bearer(f, inst))
    assert r.status_code == 422 and "received_on" in r.json["error"]["fields"], r.json


def test_milestones_reached_in_the_future_and_reports_of_unfinished_periods_are_422(f, deal):
    inst, company = deal
    c = submitted(f, inst, company)
    m1 = c.lines[0].id
    with pytest.raises(ValidationFailed) as err:
        contracts.reach_milestone(company, c, m1, {"reached_on": "2026-08-02", "evidence": "中试验收报告"},
                                  today=TODAY)
    assert "reached_on" in err.value.fields
    contracts.reach_milestone(company, c, m1, {"reached_on": "2026-08-01", "evidence": "中试验收报告"}, today=TODAY)
    with pytest.raises(ValidationFailed) as err:  # Q3 ends on 30 September
        contracts.submit_report(company, c, {"period_start": "2026-07-01", "period_end": "2026-09-30",
                                             "net_sales": "1000"}, today=TODAY)
    assert "period_end" in err.value.fields
    contracts.submit_report(company, c, {"period_start": "2026-04-01", "period_end": "2026-06-30",
                                         "net_sales": "1000"}, today=TODAY)


# Terms edited after money moved ------------------------------------------------------------------------------

def _paid_deal(f, inst, company):
    """Submitted; milestone 1 reached (due 31 March), Q1 reported (25,000 due 30 April), 60,000 received:
    50,000 settle the milestone, 10,000 go to the royalty. Then returned for changes."""
    c = submitted(f, inst, company)
    contracts.reach_milestone(company, c, c.lines[0].id, {"reached_on": "2026-03-01", "evidence": "中试验收报告"})
    contracts.submit_report(company, c, {"period_start": "2026-01-01", "period_end": "2026-03-31",
                                         "net_sales": "1000000"})
    contracts.record_payment(inst, c, {"amount": "60000", "received_on": "2026-04-20"})
    contracts.return_for_changes(city_admin(f), c, {"reason": "请补充量产里程碑的触发条件"})
    db.session.commit()
    return c


def _lines(c):
    st = contracts.statement(c, date(2026, 5, 1))
    return {x["id"]: (x["kind"], x["label"], x["amount"], x["due_on"], x["paid"]) for x in st["lines"]}


def test_editing_terms_keeps_royalty_lines_and_where_payments_went(f, deal):
    inst, company = deal
    c = _paid_deal(f, inst, company)
    before = _lines(c)
    assert [v[-1] for v in before.values()] == ["50000.00", "0.00", "10000.00"]
    terms = {**ZERO, "royalty_cap": "200000",
             "milestones": [ZERO["milestones"][0], {"name": "量产", "trigger": "月产100吨", "amount": "90000",
                                                    "due_on": "2026-12-31"}]}
    contracts.set_terms(inst, c, terms)
    db.session.commit()
    after = _lines(c)
    kept = {k: v for k, v in before.items() if v[0] != "milestone" or v[-1] != "0.00"}
    assert {k: after[k] for k in kept} == kept  # the paid milestone and the royalty line: same rows, same money
    reached = next(x for x in c.lines if x.label == "里程碑：中试通过")
    assert reached.reached_on == date(2026, 3, 1) and reached.evidence == "中试验收报告"
    assert sorted(v[2] for v in after.values()) == ["25000.00", "50000.00", "90000.00"]
    assert [x.kind for x in c.lines].count("royalty") == 1 and len(c.reports) == 1


@pytest.mark.parametrize("milestones", [
    [{"name": "中试通过", "trigger": "中试报告验收", "amount": "40000"}],                # changes a paid line
    [{"name": "样机", "amount": "10000", "due_on": "2026-02-01"}],                       # removes it
    [ZERO["milestones"][0], {"name": "首付", "amount": "30000", "due_on": "2026-02-01"}],  # takes its money
])
def test_a_terms_change_that_would_move_a_payment_is_409(f, deal, milestones):
    inst, company = deal
    c = _paid_deal(f, inst, company)
    before = _lines(c)
    with pytest.raises(Conflict) as err:
        contracts.set_terms(inst, c, {**ZERO, "milestones": milestones})
    assert "已到账" in err.value.message
    db.session.rollback()
    assert _lines(c) == before


# Registration numbers --------------------------------------------------------------------------------------

def test_a_number_typed_by_hand_does_not_break_the_automatic_ones(f, deal):
    inst, company = deal
    admin = city_admin(f)
    day = date(2026, 5, 1)
    typed = submitted(f, inst, company)
    contracts.register(admin, typed, {"registration_no": "2026-南昌-A1"}, today=day)
    auto = submitted(f, inst, company)
    contracts.register(admin, auto, {}, today=day)
    assert auto.registration_no == "2026-南昌-000001"
    seventh = submitted(f, inst, company)
    contracts.register(admin, seventh, {"registration_no": "2026-南昌-000007"}, today=day)
    nxt = submitted(f, inst, company)
    contracts.register(admin, nxt, {}, today=day)
    assert nxt.registration_no == "2026-南昌-000008"


def test_a_number_typed_in_full_width_mode_is_the_number_in_ascii(f, deal):
    # ２０２６－南昌－Ａ１ as a Chinese input method types it in full-width mode: before, refused as malformed
    inst, company = deal
    admin = city_admin(f)
    first = submitted(f, inst, company)
    contracts.register(admin, first, {"registration_no": "２０２６－南昌－Ａ１／ｂ"}, today=date(2026, 5, 1))
    assert first.registration_no == "2026-南昌-A1/b"
    again = submitted(f, inst, company)
    with pytest.raises(Conflict):  # the same number, typed in ASCII this time
        contracts.register(admin, again, {"registration_no": "2026-南昌-A1/b"}, today=date(2026, 5, 1))
    db.session.rollback()
    kept = submitted(f, inst, company)  # full-width parentheses stay as typed (numbers of old were stored so)
    contracts.register(admin, kept, {"registration_no": "赣（２０２６）００１"}, today=date(2026, 5, 1))
    assert kept.registration_no == "赣（2026）001"


@pytest.mark.parametrize("number", ["<script>", "2026 南昌 1", "a" * 41, "x", "２０２６　南昌"])
def test_a_number_typed_by_hand_follows_the_documented_pattern(f, deal, number):
    inst, company = deal
    c = submitted(f, inst, company)
    with pytest.raises(ValidationFailed) as err:
        contracts.register(city_admin(f), c, {"registration_no": number})
    assert "registration_no" in err.value.fields


def test_two_registrations_at_once_do_not_collide(f, deal, monkeypatch):
    """Another registration took the number after ours was drawn (its commit was not visible yet): the unique
    constraint refuses ours in a savepoint and the next free number is drawn, instead of a 500."""
    from marketplace.contracts import numbering
    inst, company = deal
    admin = city_admin(f)
    first = submitted(f, inst, company)
    contracts.register(admin, first, {}, today=date(2026, 5, 1))
    db.session.commit()
    real, calls = numbering.next_number, []

    def stale(city, day):
        calls.append(day)
        return "2026-南昌-000001" if len(calls) == 1 else real(city, day)
    monkeypatch.setattr(numbering, "next_number", stale)
    second = submitted(f, inst, company)
    contracts.register(admin, second, {}, today=date(2026, 5, 1))
    db.session.commit()
    assert second.registration_no == "2026-南昌-000002" and len(calls) == 2


def test_two_registrations_at_once_on_postgresql(app, f, deal):
    """The real race: the first registration has flushed its number but not committed when the second draws
    the same one; PostgreSQL makes the second wait on the unique index, then refuse it; the second draws again."""
    import threading
    import time

    from marketplace.accounts.models import User
    from marketplace.contracts.models import Contract
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs two PostgreSQL transactions")
    inst, company = deal
    admin_id = city_admin(f).id
    ids = [submitted(f, inst, company).id, submitted(f, inst, company).id]
    db.session.commit()
    flushed, release, results = threading.Event(), threading.Event(), {}

    def register(i):
        with app.app_context():
            try:
                c = db.session.get(Contract, ids[i])
                contracts.register(db.session.get(User, admin_id), c, {}, today=date(2026, 5, 1))
                if i == 0:
                    flushed.set()
                    release.wait(10)
                db.session.commit()
                results[i] = c.registration_no
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                results[i] = repr(exc)
            finally:
                db.session.remove()
    first = threading.Thread(target=register, args=(0,))
    first.start()
    assert flushed.wait(10)
    second = threading.Thread(target=register, args=(1,))
    second.start()
    time.sleep(0.5)  # the second has drawn 000001 and waits for the first transaction
    release.set()
    first.join(20)
    second.join(20)
    assert sorted(results.values()) == ["2026-南昌-000001", "2026-南昌-000002"], results


# What a broker may link ---------------------------------------------------------------------------------------

@pytest.fixture()
def brokered(f, deal):
    from marketplace.brokers import services as brokers
    inst, company = deal
    ach = f.record("achievements", inst, status="published")
    dem = f.record("demands", company, status="published")
    broker = f.user("broker")
    intro = brokers.claim(broker, dem)
    brokers.introduce(broker, intro, ach)
    db.session.commit()
    return inst, company, broker, intro


def test_a_broker_needs_an_introduction_of_its_own(f, brokered):
    inst, company, broker, intro = brokered
    with pytest.raises(Forbidden):  # two organisations it has nothing to do with
        contracts.create(broker, body(inst, company, kind="技术开发"))
    other = f.user("broker")
    with pytest.raises(Forbidden):  # another broker's introduction
        contracts.create(other, body(inst, company, kind="技术开发", introduction_id=intro.id))
    c = contracts.create(broker, body(inst, company, kind="技术开发", introduction_id=intro.id))
    assert c.broker_id == broker.id and c.demand_id == intro.demand_id


def test_a_broker_cannot_swap_the_parties_of_its_introduction(f, brokered):
    inst, company, broker, intro = brokered
    stranger_company, stranger_inst = f.user("company"), f.user("institution")
    with pytest.raises(ValidationFailed) as err:  # the buyer is not the demand's owner
        contracts.create(broker, body(inst, stranger_company, kind="技术开发", introduction_id=intro.id))
    assert "introduction_id" in err.value.fields
    with pytest.raises(ValidationFailed) as err:  # the seller did not own the achievement introduced
        contracts.create(broker, body(stranger_inst, company, kind="技术开发", introduction_id=intro.id))
    assert "introduction_id" in err.value.fields
    with pytest.raises(Forbidden):  # nor name another broker
        contracts.create(broker, body(inst, company, kind="技术开发", introduction_id=intro.id,
                                      broker_id=f.user("broker").id))


def test_drafts_of_others_cannot_be_linked(f, brokered):
    inst, company, broker, intro = brokered
    draft = f.record("achievements", inst, status="draft", title="未公开的草稿成果名称")
    with pytest.raises(ValidationFailed) as err:  # the broker links the seller's unpublished draft
        contracts.create(broker, body(inst, company, kind="技术开发", introduction_id=intro.id,
                                      achievement_id=draft.id))
    assert "achievement_id" in err.value.fields
    with pytest.raises(ValidationFailed) as err:  # the buyer links it
        contracts.create(company, body(inst, company, achievement_id=draft.id))
    assert "achievement_id" in err.value.fields
    own = contracts.create(inst, body(inst, company, achievement_id=draft.id))  # the owner may
    assert own.achievement_id == draft.id
    hidden = f.record("demands", company, status="draft")
    with pytest.raises(ValidationFailed) as err:  # the seller links the buyer's draft demand
        contracts.create(inst, body(inst, company, demand_id=hidden.id))
    assert "demand_id" in err.value.fields


# 先用后转 through a signal ---------------------------------------------------------------------------------

def test_registering_a_licence_closes_the_usefirst_item_through_a_signal(f, deal):
    import marketplace.usefirst.receivers  # noqa: F401  (create_app imports it; here it is wired for the test)
    from marketplace.usefirst.models import UseFirstItem
    inst, company = deal
    ach = f.record("achievements", inst, status="published")
    item = UseFirstItem(achievement_id=ach.id, org_id=inst.org_id, status="listed", ip_granted_on=date(2019, 6, 1),
                        found_on=date(2026, 1, 1))
    db.session.add(item)
    db.session.commit()
    c = submitted(f, inst, company, None, achievement_id=ach.id)
    contracts.register(city_admin(f), c, {})
    assert item.status == "closed"


def test_contracts_do_not_import_usefirst_to_close_items():
    import inspect

    from marketplace.contracts import lifecycle
    assert "usefirst" not in inspect.getsource(lifecycle)
