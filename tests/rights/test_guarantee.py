"""The settlement guarantee, DESIGN.md G1-G5 (R1.10, R1.14, R6.6, R6.7, R7.6, R9.1), stated here and
tested in the services (the database's own refusals: tests/db/test_settlement_guarantee.py):

- G1. Recording that a person settled in a town changes residence fields only: no right,
  membership, share, listing or contract changes because of it. (Its one other effect: a waiting
  withdrawal of the person's household is flagged for the county's review, G4.)
- G2. No workflow takes settlement as an input: no API, form or job in which a settlement requires,
  offers or triggers a withdrawal, and no withdrawal can reference one.
- G3. A withdrawal starts only from the holder's own signed request, carries compensation, respects
  its notice period and can be cancelled before it takes effect. The notice is dated by the filing
  (issue 17): in the app the request is the notice, given that day by the server's clock; an
  officer recording the signed paper gives the date on it, never later than the filing and at
  most 30 days before it; land is returned six months after it at the earliest (R1.14). It takes
  effect on its date, never ahead of it.
- G4. A withdrawal with a settlement of a household member within the review window (before its
  filing, or at any time while it waits) waits for the county's review of voluntariness, whatever
  the order of recording: flagged when either is recorded, checked again when it would take effect.
  A member who moved to another household or joined after the filing counts; cancelling and filing
  again changes nothing.
- G5. A migrant can see and prove every retained right at any time; the statement is verifiable by
  code and QR by anyone, and shows no more personal data than needed.
"""
from __future__ import annotations

import inspect
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import landrights.models  # noqa: F401  (the whole schema)
from landrights import clock
from landrights.accounts.permissions import SYSTEM
from landrights.certification import services as certification
from landrights.db import Base
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.evidence import Upload
from landrights.registry import services as registry
from landrights.registry.models import Person
from landrights.rights import rules, services, statements
from landrights.rights.queries import retained_rights
from tests.rights.conftest import DAUGHTER, HEAD, HOUSEHOLD, NEIGHBOUR, SETTLED, SETTLED_HEAD, farmer_of

RIGHTS_TABLES = ("contracts", "contract_parcels", "register_entries", "parcels", "household_members",
                 "homesteads", "memberships", "share_accounts", "share_holdings", "share_transfers",
                 "payouts", "distributions", "certificates", "claims", "withdrawals")
SCAN = Upload("申请.pdf", "application/pdf", b"%PDF-1.4 signed by the holder")
KEY = b"s" * 32


def _snapshot(session) -> dict:
    return {t: session.execute(sa.text(f"SELECT to_jsonb(x) FROM {t} x ORDER BY 1::text")).scalars().all()
            for t in RIGHTS_TABLES}


def _six_months() -> date:
    return rules.add_months(clock.today(), 6)


def _land_request(session, actor, **kw):
    parcel = session.scalar(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY 1 LIMIT 1"), {"h": HOUSEHOLD})
    args = {"household_code": HOUSEHOLD, "kind": "land_return", "compensation_yuan": Decimal("12000"),
            "improvement_yuan": Decimal("1800"), "effective_on": _six_months(), "parcel_codes": [parcel]} | kw
    return services.request_withdrawal(session, actor, **args), parcel


def _homestead(session, household=HOUSEHOLD) -> str:
    return session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h "
                                  "AND valid_to IS NULL"), {"h": household})


def _homestead_request(session, household=HOUSEHOLD, **kw):
    args = {"household_code": household, "kind": "homestead", "compensation_yuan": Decimal("50000"),
            "notice_on": clock.today(), "effective_on": clock.today(),  # the filing day: accepted
            "homestead_code": _homestead(session, household)} | kw
    return services.request_withdrawal(session, farmer_of(household), **args)


def _settle(session, id_number, days_ago: int, actor=SYSTEM):
    return services.record_settlement(session, actor, id_number=id_number, city="长春市",
                                      document="户口迁移证 2026-310",
                                      settled_on=clock.today() - timedelta(days=days_ago))


def _officer_homestead_request(session, officer, notice_on):
    return services.request_withdrawal(
        session, officer, household_code=HOUSEHOLD, kind="homestead", compensation_yuan=Decimal("50000"),
        notice_on=notice_on, effective_on=clock.today() + timedelta(days=60),
        homestead_code=_homestead(session), scan=SCAN, signed_by="杨春林")


# --- G1 -------------------------------------------------------------------------------------------

def test_g1_settling_changes_residence_only(session, officer):
    head = session.execute(sa.text("SELECT id_number FROM persons p JOIN household_members m ON "
                                   "m.person_id = p.id JOIN households h ON h.id = m.household_id "
                                   "WHERE h.code = :h AND m.relation = '02'"), {"h": HOUSEHOLD}).scalar()
    before = _snapshot(session)
    view_before = retained_rights(session, officer, HOUSEHOLD)
    services.record_settlement(session, officer, id_number=head, settled_on=date(2026, 11, 1),
                               city="吉林省辽源市龙山区", document="户口迁移证 2026-118",
                               address="辽源市龙山区向阳街 8 号")
    assert _snapshot(session) == before  # land, homestead, membership, shares, dividends: unchanged
    view = retained_rights(session, officer, HOUSEHOLD)
    assert view["contract"]["code"] == view_before["contract"]["code"]
    assert view["homestead"]["status"] == "active"
    assert view["shares"]["total"] == view_before["shares"]["total"] and view["dividends"]
    head_row = next(m for m in view["members"] if m["settled"])
    assert head_row["member_of"] == "22042110120101"  # still a member (R7.6)
    content = statements.issue_statement(session, officer, HOUSEHOLD).content  # and it says so
    assert content["contract"]["code"] == view["contract"]["code"]
    assert content["homestead"]["code"] == view["homestead"]["code"]
    assert content["shares"]["total"] == view["shares"]["total"] and content["dividends"]
    assert session.scalar(sa.text("SELECT residence_address FROM persons WHERE id_number = :n"),
                          {"n": head}) == "辽源市龙山区向阳街 8 号"


def test_g1_with_an_active_transfer_everything_stays_and_is_listed(session, officer):
    """Issue 5's scenario: a member of a household with land, homestead, shares and an active
    transfer settles in a town; every right is unchanged and in the statement."""
    from landrights.market import contracts as market_contracts
    from landrights.market import services as market
    from tests.factories import make_listing, pay_deposit
    from tests.market.conftest import MEMBER_HOUSEHOLD, MEMBER_ID, make_bidder

    listing = make_listing(session)
    bidder = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    pay_deposit(session, officer, listing, bidder)
    market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("560"))
    clock.travel(timedelta(days=11))
    market_contracts.award(session, officer, listing_id=listing.id)
    contract = market_contracts.draft_contract(session, officer, listing_id=listing.id)
    market_contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    market_contracts.sign_contract(session, bidder.actor, code=contract.code)
    market_contracts.record_rent(session, farmer_of(HOUSEHOLD), code=contract.code, due_on=date(2027, 1, 1),
                                 paid_on=clock.today())  # rent paid ahead: a payment is never in the future
    tables = RIGHTS_TABLES + ("listings", "listing_parcels", "transfer_contracts", "rent_payments", "offers")
    before = {t: session.execute(sa.text(f"SELECT to_jsonb(x) FROM {t} x ORDER BY 1::text")).scalars().all()
              for t in tables}
    services.record_settlement(session, officer, id_number="220421196101240233", settled_on=clock.today(),
                               city="吉林省长春市", document="户口迁移证 2027-009")
    after = {t: session.execute(sa.text(f"SELECT to_jsonb(x) FROM {t} x ORDER BY 1::text")).scalars().all()
             for t in tables}
    assert after == before
    content = statements.issue_statement(session, farmer_of(HOUSEHOLD), HOUSEHOLD).content
    assert [t["code"] for t in content["transfers"]] == [contract.code]
    assert content["transfers"][0]["rent_received_yuan"] == f"{contract.annual_rent_yuan:.2f}"
    assert content["contract"]["parcels"] and content["homestead"]["status"] == "active"
    assert content["shares"]["total"] > 0


# --- G2 -------------------------------------------------------------------------------------------

def test_g2_nothing_takes_or_references_a_settlement():
    referencing = [(t.name, fk.parent.name) for t in Base.metadata.tables.values()
                   for fk in t.foreign_keys if fk.column.table.name == "settlements"]
    assert referencing == []  # the data model has no path from a settlement to anything
    assert not [c for c in Base.metadata.tables["withdrawals"].columns if "settle" in c.name]
    for function in (services.request_withdrawal, services.cancel_withdrawal, services.apply_due_withdrawals,
                     services.review_withdrawal):
        assert not [p for p in inspect.signature(function).parameters if "settle" in p]


# --- G3 -------------------------------------------------------------------------------------------

def test_g3_only_the_holder_requests_and_always_paid(session, officer):
    with pytest.raises(ValidationFailed) as info:  # an officer without the holder's signed request
        _land_request(session, officer, notice_on=clock.today())
    assert (info.value.field, info.value.rule) == ("scan", "G3")
    with pytest.raises(Forbidden):  # another household cannot ask for this one
        _land_request(session, farmer_of("220421101201010002"))
    with pytest.raises(ValidationFailed) as info:
        _land_request(session, farmer_of(HOUSEHOLD), compensation_yuan=Decimal(0))
    assert info.value.field == "compensation_yuan"
    with pytest.raises(ValidationFailed) as info:  # R1.14: six months' written notice
        _land_request(session, farmer_of(HOUSEHOLD), effective_on=_six_months() - timedelta(days=1))
    assert info.value.rule == "R1.14"
    recorded, _ = _land_request(session, officer, scan=SCAN, signed_by="杨春林", notice_on=clock.today())
    assert recorded.request_method == "officer_scan" and recorded.review == "none"


@pytest.mark.parametrize("column, value, constraint", [
    ("compensation_yuan", "0", "ck_withdrawals_paid"),
    ("effective_on", "'2027-05-01'", "ck_withdrawals_six_months_notice"),
    ("request_method", "'officer_scan'", "ck_withdrawals_holder_request"),
])
def test_g3_the_database_refuses_an_unpaid_early_or_unsigned_withdrawal(session, column, value, constraint):
    values = {"compensation_yuan": "100", "effective_on": "'2027-06-01'", "request_method": "'holder'"}
    values[column] = value
    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(sa.text(
            "INSERT INTO withdrawals (county_code, household_code, kind, parcel_codes, request_method, "
            "request_signed_by, requested_at, compensation_yuan, notice_on, effective_on) VALUES "
            f"('220421', '{HOUSEHOLD}', 'land_return', ARRAY['2204211012010100001'], "
            f"{values['request_method']}, '杨春林', '2026-12-01 12:00+08', {values['compensation_yuan']}, "
            f"'2026-12-01', {values['effective_on']})"))
    assert info.value.orig.diag.constraint_name == constraint


def test_g3_in_the_app_the_notice_is_given_on_the_day_of_filing(session, system):
    """Issue 17: a farmer's request with a notice dated 200 days ago, taking effect tomorrow."""
    today = clock.today()
    with pytest.raises(ValidationFailed) as info:
        _land_request(session, farmer_of(HOUSEHOLD), notice_on=today - timedelta(days=200),
                      effective_on=today + timedelta(days=1))
    assert (info.value.field, info.value.rule) == ("notice_on", "R1.14")
    assert session.scalar(sa.text("SELECT count(*) FROM withdrawals")) == 0
    clock.travel(timedelta(days=1))  # the next day's run has nothing to give effect to
    assert services.apply_due_withdrawals(session, system) == []
    assert retained_rights(session, system, HOUSEHOLD)["contract"]["version"] == 1
    clock.reset()
    with pytest.raises(ValidationFailed) as info:  # the six months run from today
        _land_request(session, farmer_of(HOUSEHOLD), effective_on=today + timedelta(days=1))
    assert (info.value.field, info.value.rule) == ("effective_on", "R1.14")
    made, _ = _land_request(session, farmer_of(HOUSEHOLD), notice_on=today)  # today's date is no lie
    assert made.notice_on == today == made.filed_on and made.request_method == "holder"


def test_g3_an_officer_records_the_date_on_the_paper_notice(session, officer):
    today = clock.today()
    for notice_on in (None, today + timedelta(days=1), today - timedelta(days=31)):
        with pytest.raises(ValidationFailed) as info:
            _officer_homestead_request(session, officer, notice_on)
        assert info.value.field == "notice_on"
    recorded = _officer_homestead_request(session, officer, today - timedelta(days=30))
    assert (recorded.notice_on, recorded.filed_on) == (today - timedelta(days=30), today)
    early = today - timedelta(days=30)  # land: six months from the paper's date, not the filing
    made, _ = _land_request(session, officer, notice_on=early, effective_on=rules.add_months(early, 6),
                            scan=SCAN, signed_by="杨春林")
    assert made.notice_on == early


def test_g3_cancelled_before_effect_and_effect_only_on_the_date(session, system):
    request, parcel = _land_request(session, farmer_of(HOUSEHOLD))
    clock.travel(request.effective_on - clock.today() - timedelta(days=1))  # the day before
    assert services.apply_due_withdrawals(session, system) == []
    services.cancel_withdrawal(session, farmer_of(HOUSEHOLD), withdrawal_id=request.id)
    again, _ = _land_request(session, farmer_of(HOUSEHOLD), effective_on=rules.add_months(clock.today(), 6))
    clock.travel(timedelta(days=1))
    assert services.apply_due_withdrawals(session, system) == []  # the cancelled one: never
    clock.travel(again.effective_on - clock.today())
    done = services.apply_due_withdrawals(session, system)
    assert [w.id for w in done] == [again.id] and again.status == "effective"
    with pytest.raises(Conflict):
        services.cancel_withdrawal(session, farmer_of(HOUSEHOLD), withdrawal_id=again.id)
    view = retained_rights(session, system, HOUSEHOLD)
    assert view["contract"]["version"] == 2 and parcel not in {p["code"] for p in view["contract"]["parcels"]}
    # R1.14: no new contracted land for the rest of the term
    with pytest.raises(Conflict) as info:
        certification.claim_parcels(session, system, household_code=HOUSEHOLD,
                                    parcels=[{"parcel_code": parcel}])
    assert info.value.rule == "R1.14"


def test_g3_never_ahead_of_its_date(session, system):
    request = _homestead_request(session, effective_on=clock.today() + timedelta(days=5))
    with pytest.raises(ValidationFailed) as info:
        services.apply_due_withdrawals(session, system, today=clock.today() + timedelta(days=5))
    assert info.value.field == "date"
    assert request.status == "requested"


def test_homestead_and_share_withdrawals_take_effect_through_history(session, system):
    homestead = _homestead(session)
    holder = session.scalar(sa.text("SELECT p.id_number FROM persons p JOIN share_holdings s ON "
                                    "s.person_id = p.id JOIN share_accounts a ON a.id = s.account_id "
                                    "WHERE a.household_code = :h LIMIT 1"), {"h": HOUSEHOLD})
    farmer, in_a_month = farmer_of(HOUSEHOLD), clock.today() + timedelta(days=30)
    services.request_withdrawal(session, farmer, household_code=HOUSEHOLD, kind="homestead",
                                compensation_yuan=Decimal("50000"), effective_on=in_a_month,
                                homestead_code=homestead)
    services.request_withdrawal(session, farmer, household_code=HOUSEHOLD, kind="shares",
                                compensation_yuan=Decimal("6000"), effective_on=in_a_month,
                                share_id_number=holder, share_quantity=Decimal(1))
    collective_before = session.scalar(sa.text(
        "SELECT coalesce(sum(quantity), 0) FROM share_holdings WHERE kind = 'collective' "
        "AND valid_to IS NULL AND collective_code = '22042110120101'"))
    clock.travel(timedelta(days=30))
    assert len(services.apply_due_withdrawals(session, system)) == 2
    view = retained_rights(session, system, HOUSEHOLD)
    assert view["homestead"]["status"] == "withdrawn"
    assert session.scalar(sa.text("SELECT count(*) FROM homesteads WHERE code = :c"), {"c": homestead}) == 2
    collective_after = session.scalar(sa.text(
        "SELECT sum(quantity) FROM share_holdings WHERE kind = 'collective' AND valid_to IS NULL "
        "AND collective_code = '22042110120101'"))
    assert collective_after == collective_before + 1  # bought back by the collective (R7.11)


# --- G4 -------------------------------------------------------------------------------------------

def test_g4_a_request_soon_after_settlement_waits_for_the_county(session, system, county):
    _settle(session, HEAD, days_ago=30)
    request, _ = _land_request(session, farmer_of(HOUSEHOLD))
    assert request.review == "pending"
    clock.travel(timedelta(days=(_six_months() - clock.today()).days))
    assert services.apply_due_withdrawals(session, system) == []
    with pytest.raises(Forbidden):
        services.review_withdrawal(session, farmer_of(HOUSEHOLD), withdrawal_id=request.id, voluntary=True,
                                   note="x")
    services.review_withdrawal(session, county, withdrawal_id=request.id, voluntary=True,
                               note="县农经站电话回访本人，确认出于自愿，有书面说明")
    assert len(services.apply_due_withdrawals(session, system)) == 1


def test_g4_a_settlement_long_ago_is_not_flagged(session):
    # the demo household settled in 2019: its requests are ordinary
    request = services.request_withdrawal(
        session, farmer_of(SETTLED), household_code=SETTLED, kind="shares", compensation_yuan=Decimal(500),
        effective_on=clock.today() + timedelta(days=30), share_id_number=SETTLED_HEAD,
        share_quantity=Decimal("0.5"))
    assert request.review == "none"


def test_g4_a_settlement_recorded_after_the_request_flags_it(session, officer, system, county):
    """Issue 17: the holder files (review none); the officer then records a member's settlement
    dated ten days before the filing. The request waits for the county."""
    request = _homestead_request(session)
    assert request.review == "none"
    _settle(session, DAUGHTER, days_ago=10, actor=officer)
    session.refresh(request)
    assert request.review == "pending"
    assert services.apply_due_withdrawals(session, system) == []
    assert retained_rights(session, system, HOUSEHOLD)["homestead"]["status"] == "active"
    services.review_withdrawal(session, county, withdrawal_id=request.id, voluntary=True,
                               note="县农经站约见本人，确认出于自愿")
    assert [w.id for w in services.apply_due_withdrawals(session, system)] == [request.id]


def test_g4_not_voluntary_never_takes_effect(session, system, county):
    request = _homestead_request(session)
    _settle(session, DAUGHTER, days_ago=10)
    services.review_withdrawal(session, county, withdrawal_id=request.id, voluntary=False,
                               note="本人称系落户时被要求退出")
    assert services.apply_due_withdrawals(session, system) == []
    with pytest.raises(Conflict):  # found once, not again
        services.review_withdrawal(session, county, withdrawal_id=request.id, voluntary=True, note="改判")


def test_g4_a_settlement_while_the_request_waits_flags_it(session, system):
    request = _homestead_request(session, effective_on=clock.today() + timedelta(days=30))
    clock.travel(timedelta(days=20))
    _settle(session, HEAD, days_ago=0)  # settled after the filing, before it takes effect
    session.refresh(request)
    assert request.review == "pending"
    clock.travel(timedelta(days=10))
    assert services.apply_due_withdrawals(session, system) == []


def test_g4_a_member_who_moved_to_another_household_still_counts(session, system):
    """The settled member left the household before the filing (moved to the neighbour's): both
    households' requests wait, the one filed before the settlement was recorded and the one after."""
    before = _homestead_request(session, NEIGHBOUR)
    registry.revise_member(session, system, household_code=HOUSEHOLD, id_number=DAUGHTER, reason="婚嫁迁出",
                           remove=True)
    daughter = session.scalar(sa.select(Person).where(Person.id_number == DAUGHTER))
    registry.add_member(session, system, household_code=NEIGHBOUR, person=daughter, relation="12",
                        is_co_holder=True)
    _settle(session, DAUGHTER, days_ago=3)
    after = _homestead_request(session)  # her old household files once she left it
    session.refresh(before)
    assert (before.review, after.review) == ("pending", "pending")
    assert services.apply_due_withdrawals(session, system) == []


def test_g4_cancelling_and_filing_again_keeps_the_review(session, system):
    first = _homestead_request(session)
    _settle(session, HEAD, days_ago=10)
    services.cancel_withdrawal(session, farmer_of(HOUSEHOLD), withdrawal_id=first.id)
    again = _homestead_request(session)
    assert again.review == "pending" and services.apply_due_withdrawals(session, system) == []


def test_g4_a_back_dated_paper_notice_does_not_move_the_window(session, officer):
    """The window runs from the earlier of notice and filing: a paper notice dated before the
    settlement still finds it."""
    _settle(session, HEAD, days_ago=5)
    recorded = _officer_homestead_request(session, officer, clock.today() - timedelta(days=30))
    assert recorded.review == "pending"


def test_g4_the_run_checks_again_when_it_would_give_effect(session, system):
    """A member who joins the household after the filing, settled a month ago: no trigger of the
    settlement saw this household; the run that would give effect finds it and holds the request."""
    request = _homestead_request(session)
    stranger = session.scalar(sa.text(
        "SELECT p.id_number FROM persons p JOIN household_members m ON m.person_id = p.id "
        "JOIN households h ON h.id = m.household_id WHERE h.code = :h AND m.valid_to IS NULL "
        "ORDER BY p.id LIMIT 1"), {"h": NEIGHBOUR})
    _settle(session, stranger, days_ago=30)
    registry.revise_member(session, system, household_code=NEIGHBOUR, id_number=stranger, reason="迁出",
                           remove=True)
    person = session.scalar(sa.select(Person).where(Person.id_number == stranger))
    registry.add_member(session, system, household_code=HOUSEHOLD, person=person, relation="99",
                        is_co_holder=False)
    assert request.review == "none"
    assert services.apply_due_withdrawals(session, system) == []
    session.refresh(request)
    assert (request.review, request.status) == ("pending", "requested")


# --- G5 -------------------------------------------------------------------------------------------

def test_g5_the_migrant_sees_and_proves_every_right(session, app):
    migrant = farmer_of(SETTLED)
    view = retained_rights(session, migrant, SETTLED)
    assert all(m["settled"] for m in view["members"]) and all(m["member_of"] for m in view["members"])
    assert view["contract"]["parcels"] and view["homestead"]["status"] == "active"
    assert view["shares"]["total"] > 0 and {d["year"] for d in view["dividends"]} == {2024, 2025}
    assert any(d["paid_on"] is None for d in view["dividends"])  # 2025 still due
    assert view["transfers"] and view["transfers"][0]["status"] == "filed"  # leased out since 2020
    assert float(view["transfers"][0]["rent_received_yuan"]) > 0
    with pytest.raises(Forbidden):
        retained_rights(session, farmer_of(HOUSEHOLD), SETTLED)
    statement = statements.issue_statement(session, migrant, SETTLED)
    text = str(statement.content)
    assert SETTLED_HEAD not in text and "1390000" not in text  # no ID numbers or phones
    url = statements.verify_url(session, "https://x", statement)
    query = dict(p.split("=") for p in url.split("?")[1].split("&"))
    checked = statements.verify_statement(session, KEY, statement.code, day=query["d"], sig=query["s"],
                                          key_id=query["k"])
    assert checked.state == "genuine" and checked.holder == "赵**"
    forged = statements.verify_statement(session, KEY, statement.code, day=query["d"], sig="A" * 86,
                                         key_id=query["k"])
    unknown = statements.verify_statement(session, KEY, SETTLED + "S9999", day=query["d"], sig=query["s"],
                                          key_id=query["k"])
    bare = statements.verify_statement(session, KEY, statement.code)
    assert forged == statements.StatementCheck("unverified", statement.code) == bare
    assert unknown == statements.StatementCheck("unverified", SETTLED + "S9999")
