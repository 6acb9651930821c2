"""The settlement guarantee, DESIGN.md G1-G5 (R1.10, R1.14, R6.6, R6.7, R7.6): settling changes
residence only; no withdrawal takes a settlement; withdrawals are the holder's own, paid, on notice,
cancellable; the ones filed soon after a settlement wait for the county's review; the migrant sees
and proves every retained right."""
from __future__ import annotations

import inspect
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import landrights.models  # noqa: F401  (the whole schema)
from landrights import clock
from landrights.certification import services as certification
from landrights.db import Base
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.evidence import Upload
from landrights.rights import services, statements
from landrights.rights.queries import retained_rights
from tests.rights.conftest import HOUSEHOLD, SETTLED, SETTLED_HEAD, farmer_of

RIGHTS_TABLES = ("contracts", "contract_parcels", "register_entries", "parcels", "household_members",
                 "homesteads", "memberships", "share_accounts", "share_holdings", "share_transfers",
                 "payouts", "distributions", "certificates", "claims", "withdrawals")
SCAN = Upload("申请.pdf", "application/pdf", b"%PDF-1.4 signed by the holder")
KEY = b"s" * 32


def _snapshot(session) -> dict:
    return {t: session.execute(sa.text(f"SELECT to_jsonb(x) FROM {t} x ORDER BY 1::text")).scalars().all()
            for t in RIGHTS_TABLES}


def _land_request(session, actor, **kw):
    parcel = session.scalar(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY 1 LIMIT 1"), {"h": HOUSEHOLD})
    args = {"household_code": HOUSEHOLD, "kind": "land_return", "compensation_yuan": Decimal("12000"),
            "improvement_yuan": Decimal("1800"), "notice_on": date(2026, 12, 1),
            "effective_on": date(2027, 6, 1), "parcel_codes": [parcel]} | kw
    return services.request_withdrawal(session, actor, **args), parcel


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


def test_g2_nothing_takes_or_references_a_settlement():
    referencing = [(t.name, fk.parent.name) for t in Base.metadata.tables.values()
                   for fk in t.foreign_keys if fk.column.table.name == "settlements"]
    assert referencing == []  # the data model has no path from a settlement to anything
    assert not [c for c in Base.metadata.tables["withdrawals"].columns if "settle" in c.name]
    for function in (services.request_withdrawal, services.cancel_withdrawal, services.apply_due_withdrawals,
                     services.review_withdrawal):
        assert not [p for p in inspect.signature(function).parameters if "settle" in p]


def test_g3_only_the_holder_requests_and_always_paid(session, officer):
    with pytest.raises(ValidationFailed) as info:  # an officer without the holder's signed request
        _land_request(session, officer)
    assert (info.value.field, info.value.rule) == ("scan", "G3")
    with pytest.raises(Forbidden):  # another household cannot ask for this one
        _land_request(session, farmer_of("220421101201010002"))
    with pytest.raises(ValidationFailed) as info:
        _land_request(session, farmer_of(HOUSEHOLD), compensation_yuan=Decimal(0))
    assert info.value.field == "compensation_yuan"
    with pytest.raises(ValidationFailed) as info:  # R1.14: six months' written notice
        _land_request(session, farmer_of(HOUSEHOLD), effective_on=date(2027, 5, 31))
    assert info.value.rule == "R1.14"
    recorded, _ = _land_request(session, officer, scan=SCAN, signed_by="杨春林")
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
            f"{values['request_method']}, '杨春林', now(), {values['compensation_yuan']}, '2026-12-01', "
            f"{values['effective_on']})"))
    assert info.value.orig.diag.constraint_name == constraint


def test_g3_cancelled_before_effect_and_effect_only_on_the_date(session, system):
    request, parcel = _land_request(session, farmer_of(HOUSEHOLD))
    assert services.apply_due_withdrawals(session, system, today=date(2027, 5, 31)) == []
    services.cancel_withdrawal(session, farmer_of(HOUSEHOLD), withdrawal_id=request.id)
    assert services.apply_due_withdrawals(session, system, today=date(2027, 6, 1)) == []
    again, _ = _land_request(session, farmer_of(HOUSEHOLD))
    done = services.apply_due_withdrawals(session, system, today=date(2027, 6, 1))
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


def test_homestead_and_share_withdrawals_take_effect_through_history(session, system):
    homestead = session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h"),
                               {"h": HOUSEHOLD})
    holder = session.scalar(sa.text("SELECT p.id_number FROM persons p JOIN share_holdings s ON "
                                    "s.person_id = p.id JOIN share_accounts a ON a.id = s.account_id "
                                    "WHERE a.household_code = :h LIMIT 1"), {"h": HOUSEHOLD})
    farmer = farmer_of(HOUSEHOLD)
    services.request_withdrawal(session, farmer, household_code=HOUSEHOLD, kind="homestead",
                                compensation_yuan=Decimal("50000"), notice_on=date(2026, 12, 1),
                                effective_on=date(2027, 1, 1), homestead_code=homestead)
    services.request_withdrawal(session, farmer, household_code=HOUSEHOLD, kind="shares",
                                compensation_yuan=Decimal("6000"), notice_on=date(2026, 12, 1),
                                effective_on=date(2027, 1, 1), share_id_number=holder,
                                share_quantity=Decimal(1))
    collective_before = session.scalar(sa.text(
        "SELECT coalesce(sum(quantity), 0) FROM share_holdings WHERE kind = 'collective' "
        "AND valid_to IS NULL AND collective_code = '22042110120101'"))
    assert len(services.apply_due_withdrawals(session, system, today=date(2027, 1, 1))) == 2
    view = retained_rights(session, system, HOUSEHOLD)
    assert view["homestead"]["status"] == "withdrawn"
    assert session.scalar(sa.text("SELECT count(*) FROM homesteads WHERE code = :c"), {"c": homestead}) == 2
    collective_after = session.scalar(sa.text(
        "SELECT sum(quantity) FROM share_holdings WHERE kind = 'collective' AND valid_to IS NULL "
        "AND collective_code = '22042110120101'"))
    assert collective_after == collective_before + 1  # bought back by the collective (R7.11)


def test_g4_a_request_soon_after_settlement_waits_for_the_county(session, system, county):
    member = session.scalar(sa.text("SELECT id_number FROM persons p JOIN household_members m ON "
                                    "m.person_id = p.id JOIN households h ON h.id = m.household_id "
                                    "WHERE h.code = :h LIMIT 1"), {"h": HOUSEHOLD})
    services.record_settlement(session, system, id_number=member, city="辽源市", document="户口迁移证",
                               settled_on=clock.today() - timedelta(days=30))
    request, _ = _land_request(session, farmer_of(HOUSEHOLD))
    assert request.review == "pending"
    assert services.apply_due_withdrawals(session, system, today=date(2027, 6, 1)) == []
    with pytest.raises(Forbidden):
        services.review_withdrawal(session, farmer_of(HOUSEHOLD), withdrawal_id=request.id, voluntary=True,
                                   note="x")
    services.review_withdrawal(session, county, withdrawal_id=request.id, voluntary=True,
                               note="县农经站电话回访本人，确认出于自愿，有书面说明")
    assert len(services.apply_due_withdrawals(session, system, today=date(2027, 6, 1))) == 1


def test_g4_a_settlement_long_ago_is_not_flagged(session):
    # the demo household settled in 2019: its requests are ordinary
    request = services.request_withdrawal(
        session, farmer_of(SETTLED), household_code=SETTLED, kind="shares", compensation_yuan=Decimal(500),
        notice_on=date(2026, 12, 1), effective_on=date(2027, 1, 1), share_id_number=SETTLED_HEAD,
        share_quantity=Decimal("0.5"))
    assert request.review == "none"


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
    url = statements.verify_url("https://x", KEY, statement)
    query = dict(p.split("=") for p in url.split("?")[1].split("&"))
    checked = statements.verify_statement(session, KEY, statement.code, day=query["d"], sig=query["s"])
    assert checked.state == "genuine" and checked.holder == "赵**"
    forged = statements.verify_statement(session, KEY, statement.code, day=query["d"], sig="A" * 22)
    assert forged.state == "tampered"


def test_g1_with_an_active_transfer_everything_stays_and_is_listed(session, officer):
    """Issue 5's scenario: a member of a household with land, homestead, shares and an active
    transfer settles in a town; every right is unchanged and in the statement."""
    from landrights.market import contracts as market_contracts
    from landrights.market import services as market
    from tests.market.conftest import MEMBER_HOUSEHOLD, MEMBER_ID, make_bidder
    from tests.market.test_market import _deposit, _list

    listing = _list(session)
    bidder = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    _deposit(session, officer, listing, bidder)
    market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("560"))
    clock.travel(timedelta(days=11))
    market_contracts.award(session, officer, listing_id=listing.id)
    contract = market_contracts.draft_contract(session, officer, listing_id=listing.id)
    market_contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    market_contracts.sign_contract(session, bidder.actor, code=contract.code)
    market_contracts.record_rent(session, farmer_of(HOUSEHOLD), code=contract.code, due_on=date(2027, 1, 1),
                                 paid_on=date(2027, 1, 5))
    tables = RIGHTS_TABLES + ("listings", "listing_parcels", "transfer_contracts", "rent_payments", "offers")
    before = {t: session.execute(sa.text(f"SELECT to_jsonb(x) FROM {t} x ORDER BY 1::text")).scalars().all()
              for t in tables}
    services.record_settlement(session, officer, id_number="220421196101240233", settled_on=date(2027, 2, 1),
                               city="吉林省长春市", document="户口迁移证 2027-009")
    after = {t: session.execute(sa.text(f"SELECT to_jsonb(x) FROM {t} x ORDER BY 1::text")).scalars().all()
             for t in tables}
    assert after == before
    content = statements.issue_statement(session, farmer_of(HOUSEHOLD), HOUSEHOLD).content
    assert [t["code"] for t in content["transfers"]] == [contract.code]
    assert content["transfers"][0]["rent_received_yuan"] == f"{contract.annual_rent_yuan:.2f}"
    assert content["contract"]["parcels"] and content["homestead"]["status"] == "active"
    assert content["shares"]["total"] > 0
