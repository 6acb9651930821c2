"""Who a transferee is (issue 17 §2; R1.21(5), R1.28): a claim of a person counts only once verified,
by the person's own account or by a township officer of the person's area who saw the ID card;
one person, one transferee identity; until verified the transferee is an outsider for every rule;
a company, cooperative or family farm never takes a person's membership."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.models import User
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.market import contracts, identities
from landrights.market import services as market
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import COUNTY, bearer, make_listing
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, make_bidder, parcels_of

CAPACITY = "拖拉机 2 台，种植经验 8 年"


def _account(session, username: str, role: str = "transferee", **area) -> Actor:
    user = accounts.create_user(session, SYSTEM, username=username, password=PASSWORD, role=role,
                                display_name=username, hash_method=FAST_HASH, **area)
    return Actor.of(user)


def _person(session, id_number: str = MEMBER_ID) -> int:
    return session.scalar(sa.text("SELECT id FROM persons WHERE id_number = :n"), {"n": id_number})


def _link(session, actor: Actor, id_number: str = MEMBER_ID) -> None:
    """Make the account the person's own (users.person_id), as the account administrator would."""
    session.get(User, actor.user_id).person_id = _person(session, id_number)
    session.flush()


def _officer(session) -> Actor:
    return Actor.of(session.scalar(sa.select(User).where(User.username == "officer")))


def _transferee_id(session, username: str) -> int:
    return session.scalar(sa.text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                  "WHERE u.username = :u"), {"u": username})


@pytest.mark.parametrize("account", ["transferee", "household"])
def test_the_issue_attack_a_company_claiming_a_members_id_number_wins_nothing(client, session, officer,
                                                                              account):
    """Issue 17 §2: kind company + a member's id_number got 201; the company, with no county review,
    bid highest and was awarded (kind best_bid). Now the number is refused for a company (R1.28),
    and the company is social capital: no award without the county's review."""
    role = {"transferee": {"role": "transferee"},
            "household": {"role": "farmer", "household_code": MEMBER_HOUSEHOLD}}[account]
    _account(session, "grabber", **role)
    if account == "household":  # even the member's own household account, linked to the member
        _link(session, Actor.of(session.scalar(sa.select(User).where(User.username == "grabber"))))
    headers = bearer(session, "grabber")
    body = {"kind": "company", "name": "夺地公司", "operating_capacity": CAPACITY}
    claim = client.post("/api/v1/transferees", headers=headers, json=body | {"id_number": MEMBER_ID})
    assert claim.status_code == 422, claim.get_json()
    assert claim.get_json()["error"] | {"message": ""} == {"code": "validation_failed", "field": "id_number",
                                                           "rule": "R1.28", "message": ""}
    company = client.post("/api/v1/transferees", headers=headers, json=body).get_json()
    assert company["identity"] is None  # an outsider for every rule
    listing = make_listing(session)
    _deposit_for(session, officer, listing, company["id"])
    assert client.post(f"/api/v1/listings/{listing.id}/bids", headers=headers,
                       json={"price": "900.00"}).status_code == 201
    clock.travel(timedelta(days=7, minutes=1))  # the members' window: the company is none
    assert client.post(f"/api/v1/listings/{listing.id}/match", headers=headers).status_code == 403
    clock.travel(timedelta(hours=72))
    awarded = client.post(f"/api/v1/listings/{listing.id}/award", headers=bearer(session, "officer"))
    assert awarded.status_code == 204  # nobody past the county's review (R1.28)
    assert session.scalar(sa.text("SELECT count(*) FROM transferee_identities")) == 0


def test_two_accounts_of_one_person_make_one_transferee_identity(session):
    """Two accounts claimed the same person; one person, one transferee identity. A person has one
    active account (uq_users_person_active), so the second is the person's own only once the first
    is deactivated; the identity the first made stays the one."""
    first, second = _account(session, "liu_phone"), _account(session, "liu_tablet")
    _link(session, first)
    made = market.register_transferee(session, first, kind="individual", name="刘立军", id_number=MEMBER_ID,
                                      operating_capacity=CAPACITY)
    assert identities.identity_of(session, made.id)["method"] == "own_account"
    accounts.set_active(session, SYSTEM, "liu_phone", False)
    _link(session, second)
    session.commit()  # the test's savepoint: the refused flush below rolls back only its own work
    with pytest.raises(Conflict) as refused:
        market.register_transferee(session, second, kind="individual", name="刘立军", id_number=MEMBER_ID,
                                   operating_capacity=CAPACITY)
    assert (refused.value.field, refused.value.rule) == ("id_number", "R1.21")
    assert session.scalar(sa.text("SELECT count(*) FROM transferee_identities WHERE person_id = :p"),
                          {"p": _person(session)}) == 1


def test_an_account_gives_only_its_own_persons_id_number(session):
    """A household account speaks for a household, not for one of its members: a member's number is
    refused unless the account is that person's own; an unknown number gets the same answer."""
    household = _account(session, "liu_household", role="farmer", household_code=MEMBER_HOUSEHOLD)
    answers = []
    for number in (MEMBER_ID, "220421199001010015"):
        with pytest.raises(ValidationFailed) as refused:
            market.register_transferee(session, household, kind="individual", name="刘", id_number=number,
                                       operating_capacity=CAPACITY)
        answers.append((refused.value.field, str(refused.value.message)))
    assert answers[0] == answers[1] and answers[0][0] == "id_number"


def _deposit_for(session, officer, listing, transferee_id: int) -> None:
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 001")


def _member_and_outsider_bid(session, officer, member: Actor, member_id: int, *, parcels=slice(0, 2),
                             company_name: str = "agri_co"):
    listing = make_listing(session, parcel_codes=parcels_of(session, HOUSEHOLD)[parcels])
    company = make_bidder(session, company_name, "company")
    for transferee_id in (member_id, company.transferee_id):
        _deposit_for(session, officer, listing, transferee_id)
    market.place_bid(session, member, listing_id=listing.id, price=Decimal("520"))
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("600"))
    market.review_capital(session, COUNTY, transferee_id=company.transferee_id, county_code="220421",
                          approved=True, max_area_mu=Decimal(500), qualification="营业执照", project="玉米",
                          risk_measures="预付租金", valid_until=date(2031, 1, 1))
    return listing, company


def test_an_unverified_claimant_bids_as_an_outsider_until_the_officer_verifies(client, session, officer):
    """An individual naming a member is an outsider until verified: no match, the gate applies; the
    township officer who saw the ID card verifies it, recorded and shown (who, when, which document)."""
    claimant = _account(session, "liu_new")
    registered = market.register_transferee(session, claimant, kind="individual", name="刘立军",
                                            operating_capacity=CAPACITY)
    listing, company = _member_and_outsider_bid(session, officer, claimant, registered.id)
    clock.travel(timedelta(days=7, minutes=1))
    with pytest.raises(Forbidden):
        market.match_as_member(session, claimant, listing_id=listing.id)
    clock.travel(timedelta(hours=72))
    assert contracts.award(session, officer, listing_id=listing.id).transferee_id == company.transferee_id
    clock.reset()

    seen = "居民身份证，东丰县公安局签发，有效期至 2031-05-01"
    verified = client.post(f"/api/v1/transferees/{registered.id}/identity",
                           headers=bearer(session, "officer"),
                           json={"id_number": MEMBER_ID, "document": seen})
    assert verified.status_code == 201, verified.get_json()
    mine = client.get("/api/v1/transferees/mine", headers=bearer(session, "liu_new")).get_json()
    shown = mine["identity"]
    assert (shown["method"], shown["document"]) == ("officer_id_card", seen)
    assert shown["verified_by"] == "乡镇农经站 王站长"  # who saw it
    assert shown["person_name"] == "刘立军" and shown["id_number"] != MEMBER_ID and shown["verified_at"]
    again, _ = _member_and_outsider_bid(session, officer, claimant, registered.id, parcels=slice(2, 3),
                                        company_name="agri_co2")
    clock.travel(timedelta(days=7, minutes=1))
    assert market.match_as_member(session, claimant, listing_id=again.id).kind == "member_match"


def test_the_officer_verifies_only_people_of_the_township_with_the_document_named(client, session):
    claimant = _account(session, "liu_new")
    registered = market.register_transferee(session, claimant, kind="individual", name="刘",
                                            operating_capacity=CAPACITY)
    company = make_bidder(session, "agri_co", "company")
    _account(session, "officer2", role="township_officer", township_code="220421102")
    path = f"/api/v1/transferees/{registered.id}/identity"
    body = {"id_number": MEMBER_ID, "document": "居民身份证"}
    elsewhere = [client.post(path, headers=bearer(session, "officer2"), json=body | {"id_number": n})
                 for n in (MEMBER_ID, "220421199001010015")]
    assert [a.status_code for a in elsewhere] == [422, 422]
    assert elsewhere[0].get_json() == elsewhere[1].get_json()  # no oracle of ID numbers
    no_document = client.post(path, headers=bearer(session, "officer"), json={"id_number": MEMBER_ID})
    assert no_document.status_code == 422 and no_document.get_json()["error"]["field"] == "document"
    to_company = client.post(f"/api/v1/transferees/{company.transferee_id}/identity",
                             headers=bearer(session, "officer"), json=body)
    assert to_company.status_code == 422 and to_company.get_json()["error"]["rule"] == "R1.28"
    for who in ("farmer", "clerk", "county", "transferee"):  # only the officer, or the account itself
        assert client.post(path, headers=bearer(session, who), json=body).status_code == 403, who
    assert client.post(path, json=body).status_code == 401
    assert client.get("/api/v1/transferees/mine").status_code == 401
    assert session.scalar(sa.text("SELECT count(*) FROM transferee_identities")) == 0


def test_an_officer_never_vouches_for_their_own_transferee_account(session):
    officer = _officer(session)
    own = market.register_transferee(session, officer, kind="individual", name="王",
                                     operating_capacity=CAPACITY)
    with pytest.raises(Forbidden):
        identities.verify_identity(session, officer, transferee_id=own.id, id_number=MEMBER_ID,
                                   document="居民身份证")


def test_an_identity_ended_after_the_match_carries_no_priority_at_the_award(session, officer):
    """A match made while verified does not win once the identity ends (found wrongly verified):
    membership is read again at the award."""
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    listing, company = _member_and_outsider_bid(session, officer, member.actor, member.transferee_id)
    clock.travel(timedelta(days=7, minutes=1))
    market.match_as_member(session, member.actor, listing_id=listing.id)
    identities.end_identity(session, _officer(session), transferee_id=member.transferee_id,
                            reason="身份证与本人不符")
    clock.travel(timedelta(hours=72))
    offer = contracts.award(session, officer, listing_id=listing.id)
    assert (offer.transferee_id, offer.kind) == (company.transferee_id, "best_bid")
    assert identities.verified_person_id(session, member.transferee_id) is None


def test_the_household_account_self_verifies_only_as_its_own_person(session):
    """A person's own account verifies at once; an individual's later claim by its account too."""
    actor = _account(session, "liu_self")
    made = market.register_transferee(session, actor, kind="individual", name="刘",
                                      operating_capacity=CAPACITY)
    with pytest.raises(ValidationFailed):
        identities.verify_identity(session, actor, transferee_id=made.id, id_number=MEMBER_ID)
    _link(session, actor)
    identity = identities.verify_identity(session, actor, transferee_id=made.id, id_number=MEMBER_ID)
    assert identity.method == "own_account" and identity.verified_by == actor.user_id
    with pytest.raises(Forbidden):  # another's transferee: refused before anything is read
        identities.verify_identity(session, actor, transferee_id=made.id + 1, id_number=MEMBER_ID)


# the database's own word (migration 0018)

IDENTITY = ("INSERT INTO transferee_identities (transferee_id, kind, person_id, method, document, "
            "verified_by) VALUES (:t, :k, :p, :m, :d, :v)")


def _refused(session, sql: str, params: dict) -> tuple[str, str]:
    with pytest.raises(DBAPIError) as info, session.begin_nested():
        session.execute(sa.text(sql), params)
    return info.value.orig.sqlstate, info.value.orig.diag.constraint_name


def _officer_row(session, made) -> dict:
    return {"t": made.id, "k": made.kind, "p": _person(session), "m": "officer_id_card", "d": "居民身份证",
            "v": _officer(session).user_id}


def test_one_live_identity_per_person_in_the_database(session):
    first = market.register_transferee(session, _account(session, "first_a"), kind="individual", name="a",
                                       operating_capacity=CAPACITY)
    second = market.register_transferee(session, _account(session, "second_a"), kind="individual", name="b",
                                        operating_capacity=CAPACITY)
    session.execute(sa.text(IDENTITY), _officer_row(session, first))
    assert _refused(session, IDENTITY, _officer_row(session, second)) == \
        ("23505", "uq_transferee_identities_one_per_person")
    session.execute(sa.text("UPDATE transferee_identities SET ended_at = now(), end_reason = '错误核验'"))
    session.execute(sa.text(IDENTITY), _officer_row(session, second))  # after the first ended
    assert _refused(session, "UPDATE transferee_identities SET person_id = person_id + 1 "
                             "WHERE ended_at IS NULL", {}) == ("P0001", "transferee_identities_history")
    assert _refused(session, "DELETE FROM transferee_identities", {}) == \
        ("P0001", "transferee_identities_history")


@pytest.mark.parametrize("change, constraint", [
    ({"m": "officer_id_card", "d": " "}, "ck_transferee_identities_officer_saw_document"),
    ({"m": "by_phone"}, "ck_transferee_identities_method_known"),
    ({"m": "own_account", "v": None}, "transferee_identities_own_account"),
    ({"v": "officer2"}, "transferee_identities_officer_of_area"),
    ({"v": "clerk"}, "transferee_identities_officer_of_area"),
])
def test_the_ways_of_verifying_in_the_database(session, change, constraint):
    made = market.register_transferee(session, _account(session, "first_a"), kind="individual", name="a",
                                      operating_capacity=CAPACITY)
    _account(session, "officer2", role="township_officer", township_code="220421102")
    params = _officer_row(session, made) | change
    if isinstance(params["v"], str):
        params["v"] = session.scalar(sa.select(User.id).where(User.username == params["v"]))
    assert _refused(session, IDENTITY, params)[1] == constraint


def test_only_an_individual_has_an_identity_in_the_database(session):
    company = market.register_transferee(session, _account(session, "company_a"), kind="company", name="公司",
                                         operating_capacity=CAPACITY)
    row = _officer_row(session, company)
    assert _refused(session, IDENTITY, row) == ("23514", "ck_transferee_identities_individual_only")
    assert _refused(session, IDENTITY, row | {"k": "individual"})[0] == "23503"  # not its kind
    individual = market.register_transferee(session, _account(session, "ind"), kind="individual", name="i",
                                            operating_capacity=CAPACITY)
    session.execute(sa.text(IDENTITY), _officer_row(session, individual))
    to_company = "UPDATE transferees SET kind = 'company' WHERE id = :t"  # with its identity: never
    assert _refused(session, to_company, {"t": individual.id})[0] == "23503"


def test_an_account_without_a_person_claims_nothing_with_the_household_code(session):
    """The demo household account (no person linked) registers with its head's number: refused."""
    farmer = Actor.of(session.scalar(sa.select(User).where(User.username == "farmer")))
    head = session.scalar(sa.text("SELECT p.id_number FROM household_members m JOIN households h "
                                  "ON h.id = m.household_id JOIN persons p ON p.id = m.person_id "
                                  "WHERE h.code = :h AND m.valid_to IS NULL LIMIT 1"), {"h": HOUSEHOLD})
    with pytest.raises(ValidationFailed):
        market.register_transferee(session, farmer, kind="individual", name="杨", id_number=head,
                                   operating_capacity=CAPACITY)
