"""Entrustments (流转委托书, R2.4; issue 17 §2): the household consents in the app and the agent
accepts, or the township officer records the paper signed by both with its scan; a term bounded by
the contract, a scope of parcels and acts, an authority (latest transfer end, lowest price),
revocation at once, and the check at every act an agent does. Without it nobody acts for the
household; an agent never acts for itself against the household."""
from __future__ import annotations

import base64
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
from landrights.evidence import Upload
from landrights.market import contracts, endings, entrustments
from landrights.market import services as market
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import COUNTY, bearer, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder, parcels_of

PDF = Upload("委托书.pdf", "application/pdf", b"%PDF-1.4 signed by both")
SCAN = {"name": "委托书.pdf", "content_type": "application/pdf",
        "data_base64": base64.b64encode(PDF.data).decode()}


def _user(session, username: str, role: str = "transferee", **area) -> Actor:
    return Actor.of(accounts.create_user(session, SYSTEM, username=username, password=PASSWORD, role=role,
                                         display_name=username, hash_method=FAST_HASH, **area))


def _demo(session, username: str) -> Actor:
    return Actor.of(session.scalar(sa.select(User).where(User.username == username)))


def _terms(session, **kw) -> dict:
    return {"household_code": HOUSEHOLD, "agent_username": "cousin",
            "parcel_codes": parcels_of(session, HOUSEHOLD)[:2], "acts": ["list", "withdraw_listing", "sign"],
            "valid_from": clock.today(), "valid_to": date(2028, 6, 30), "transfer_until": date(2028, 12, 31),
            "min_price": Decimal("450"), "scope": "代为挂牌出租、签订流转合同"} | kw


def _entrust(session, agent: Actor, *, accept: bool = True, **kw):
    """The household consents in the app; the agent accepts (both signed)."""
    made = entrustments.create_entrustment(session, farmer_of(HOUSEHOLD), **_terms(session, **kw))
    if accept:
        entrustments.accept_entrustment(session, agent, entrustment_id=made.id)
    return made


@pytest.fixture
def cousin(session) -> Actor:
    """A relative of the household, with an account of another household."""
    return _user(session, "cousin", "farmer", household_code=HOUSEHOLD[:14] + "0002")


def test_nobody_acts_for_the_household_without_an_entrustment(session, cousin):
    clerk = _demo(session, "clerk")
    for agent in (cousin, clerk):
        with pytest.raises(Forbidden) as refused:
            make_listing(session, agent)
        assert (refused.value.field, refused.value.rule) == ("entrustment_id", "R2.4")


def test_the_household_entrusts_in_the_app_and_the_agent_signs(client, session, cousin):
    farmer, agent = bearer(session, "farmer"), bearer(session, "cousin")
    body = {k: str(v) if isinstance(v, (date, Decimal)) else v for k, v in _terms(session).items()}
    made = client.post("/api/v1/entrustments", headers=farmer, json=body)
    assert made.status_code == 201, made.get_json()
    shown = made.get_json()
    assert (shown["status"], shown["consent_method"]) == ("awaiting_agent", "app")
    assert shown["agent_signed_at"] is None
    listing = {"household_code": HOUSEHOLD, "parcel_codes": body["parcel_codes"], "mode": "lease",
               "term_start": "2027-01-01", "term_end": "2028-12-31", "reserve_price": "500.00",
               "payment_schedule": "每年一次", "land_use": "grain"}
    assert client.post("/api/v1/listings", headers=agent, json=listing).status_code == 403  # not yet signed
    signed = client.post(f"/api/v1/entrustments/{shown['id']}/acceptance", headers=agent)
    assert signed.status_code == 200 and signed.get_json()["status"] == "in_force"
    listed = client.post("/api/v1/listings", headers=agent, json=listing)
    assert listed.status_code == 201, listed.get_json()
    assert session.scalar(sa.text("SELECT entrustment_id FROM listings WHERE id = :i"),
                          {"i": listed.get_json()["id"]}) == shown["id"]
    for who, seen in (("farmer", 1), ("cousin", 1), ("officer", 1), ("migrant", 0), ("transferee", 0)):
        items = client.get("/api/v1/entrustments", headers=bearer(session, who)).get_json()["items"]
        assert len(items) == seen, who
    assert client.post(f"/api/v1/entrustments/{shown['id']}/acceptance", headers=bearer(session, "migrant")) \
        .status_code == 403
    assert client.get("/api/v1/entrustments").status_code == 401


def test_the_officer_records_the_paper_signed_by_both_with_its_scan(client, session, cousin):
    officer = bearer(session, "officer")
    body = {k: str(v) if isinstance(v, (date, Decimal)) else v for k, v in _terms(session).items()}
    no_scan = client.post("/api/v1/entrustments", headers=officer, json=body)
    assert no_scan.status_code == 422 and no_scan.get_json()["error"]["field"] == "scan"
    made = client.post("/api/v1/entrustments", headers=officer,
                       json=body | {"scan": SCAN, "document": "委托书 2026-11 号",
                                    "valid_from": "2026-11-20"})
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["status"], made.get_json()["consent_method"]) == ("in_force", "officer_scan")
    other = bearer(session, "clerk")  # a clerk records nothing for a household
    assert client.post("/api/v1/entrustments", headers=other, json=body | {"scan": SCAN}).status_code == 403


@pytest.mark.parametrize("who, ok", [("officer", False), ("county", False), ("farmer", False),
                                     ("clerk", True), ("transferee", True), ("cousin", True),
                                     ("nobody_here", False), ("clerk_elsewhere", False)])
def test_who_may_be_the_agent(session, cousin, who, ok):
    """R2.4: the 发包方 (the household's own collective), an intermediary or another person; never
    the household itself nor an official who supervises the transfer."""
    _user(session, "clerk_elsewhere", "collective_clerk", collective_code="22042110120103")
    if ok:
        assert entrustments.create_entrustment(session, farmer_of(HOUSEHOLD),
                                               **_terms(session, agent_username=who))
        return
    with pytest.raises(ValidationFailed) as refused:
        entrustments.create_entrustment(session, farmer_of(HOUSEHOLD), **_terms(session, agent_username=who))
    assert (refused.value.field, refused.value.rule) == ("agent_username", "R2.4")


@pytest.mark.parametrize("change, field", [
    ({"acts": ["list", "rent"]}, "acts"),
    ({"acts": []}, "acts"),
    ({"parcel_codes": ["2204211012010200011"]}, "parcel_codes"),  # another household's parcel
    ({"valid_to": date(2029, 6, 30)}, "valid_to"),  # past the contract's end
    ({"transfer_until": date(2029, 6, 30)}, "transfer_until"),
    ({"valid_from": date(2025, 1, 1)}, "valid_from"),  # back-dated in the app
    ({"scope": "  "}, "scope"),
    ({"min_price": Decimal("0")}, "min_price"),
])
def test_an_entrustment_states_its_scope_term_and_authority(session, cousin, change, field):
    with pytest.raises(ValidationFailed) as refused:
        entrustments.create_entrustment(session, farmer_of(HOUSEHOLD), **_terms(session, **change))
    assert refused.value.field == field


def test_another_household_entrusts_nothing_for_this_one(session, cousin):
    neighbour = Actor(role="farmer", name="邻居", household_code=HOUSEHOLD[:14] + "0002")
    with pytest.raises(Forbidden):
        entrustments.create_entrustment(session, neighbour, **_terms(session))


@pytest.mark.parametrize("case", ["parcel_outside", "act_not_entrusted", "not_yet", "expired", "revoked",
                                  "renounced", "deactivated", "beyond_term", "below_price"])
def test_an_agent_outside_its_entrustment_is_refused(session, cousin, case):
    codes = parcels_of(session, HOUSEHOLD)
    start = clock.today() + timedelta(days=30) if case == "not_yet" else clock.today()
    made = _entrust(session, cousin, parcel_codes=codes[:2], valid_from=start,
                    acts=["withdraw_listing"] if case == "act_not_entrusted" else ["list"])
    listing = {}
    if case == "parcel_outside":
        listing = {"parcel_codes": codes[1:3]}
    elif case == "expired":
        clock.travel(timedelta(days=(date(2028, 7, 1) - clock.today()).days))
        listing = {"term_start": date(2028, 7, 2)}
    elif case in ("revoked", "renounced"):
        by = farmer_of(HOUSEHOLD) if case == "revoked" else cousin
        entrustments.revoke_entrustment(session, by, entrustment_id=made.id, reason="不再委托")
    elif case == "deactivated":
        session.get(User, cousin.user_id).is_active = False
    elif case == "beyond_term":
        listing = {"term_end": date(2028, 12, 31)}
        made.transfer_until = date(2028, 6, 30)
    elif case == "below_price":
        listing = {"reserve_price": Decimal("400")}
    expected = ValidationFailed if case in ("beyond_term", "below_price") else Forbidden
    with pytest.raises(expected) as refused:
        make_listing(session, cousin, **listing)
    assert refused.value.rule == "R2.4"
    assert make_listing(session, farmer_of(HOUSEHOLD), **listing)  # the household itself may


def test_the_agent_withdraws_only_while_entrusted_to(session, cousin, officer):
    made = _entrust(session, cousin, acts=["list", "withdraw_listing"])
    first = make_listing(session, cousin)
    assert endings.withdraw_listing(session, cousin, listing_id=first.id).status == "withdrawn"
    second = make_listing(session, cousin)
    entrustments.revoke_entrustment(session, _demo(session, "officer"), entrustment_id=made.id,
                                    reason="农户书面撤销委托（2026-12-01）")
    with pytest.raises(Forbidden):
        endings.withdraw_listing(session, cousin, listing_id=second.id)
    assert endings.withdraw_listing(session, farmer_of(HOUSEHOLD), listing_id=second.id).status == "withdrawn"


def _awarded_contract(session, officer, lister: Actor):
    listing = make_listing(session, lister)
    company = make_bidder(session, "agri_co", "company")
    pay_deposit(session, officer, listing, company)
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("600"))
    market.review_capital(session, COUNTY, transferee_id=company.transferee_id, county_code="220421",
                          approved=True, max_area_mu=Decimal(500), qualification="营业执照", project="玉米",
                          risk_measures="预付租金", valid_until=date(2031, 1, 1))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    return contracts.draft_contract(session, officer, listing_id=listing.id,  # R1.23(1): its address
                                    transferee_address="吉林省长春市绿园区开发区大街8号"), company


def test_the_agent_signs_for_the_household_within_its_entrustment(session, cousin, officer):
    made = _entrust(session, cousin)
    contract, company = _awarded_contract(session, officer, cousin)
    signed = contracts.sign_contract(session, cousin, code=contract.code)
    assert signed.household_signed_at is not None and signed.household_entrustment_id == made.id
    assert contracts.sign_contract(session, company.actor, code=contract.code).status == "filed"


def test_an_agent_revoked_before_signing_cannot_sign(session, cousin, officer):
    made = _entrust(session, cousin)
    contract, _company = _awarded_contract(session, officer, cousin)
    entrustments.revoke_entrustment(session, farmer_of(HOUSEHOLD), entrustment_id=made.id,
                                    reason="改由本人签字")
    with pytest.raises(Forbidden) as refused:
        contracts.sign_contract(session, cousin, code=contract.code)
    assert refused.value.field == "code"  # the one refusal for a contract one may not act on
    assert contract.household_signed_at is None


def test_an_agent_entrusted_only_to_list_cannot_sign(session, cousin, officer):
    _entrust(session, cousin, acts=["list"])
    contract, _company = _awarded_contract(session, officer, cousin)
    with pytest.raises(Forbidden):
        contracts.sign_contract(session, cousin, code=contract.code)


def test_the_agent_never_bids_on_the_land_it_listed(session, officer):
    """An intermediary lists the household's land, then bids on it itself at the reserve."""
    broker = make_bidder(session, "broker", "individual")
    _entrust(session, broker.actor, agent_username="broker")
    listing = make_listing(session, broker.actor)
    pay_deposit(session, officer, listing, broker)
    with pytest.raises(Conflict) as refused:
        market.place_bid(session, broker.actor, listing_id=listing.id, price=Decimal("500"))
    assert refused.value.rule == "R2.4"


def test_who_revokes(session, cousin):
    made = _entrust(session, cousin)
    for stranger in (Actor(role="farmer", name="x", household_code=HOUSEHOLD[:14] + "0003"),
                     _demo(session, "clerk"),
                     Actor(role="township_officer", name="y", township_code="220421102")):
        with pytest.raises(Forbidden):
            entrustments.revoke_entrustment(session, stranger, entrustment_id=made.id, reason="x")
    with pytest.raises(Forbidden):  # an unknown number: the same answer
        entrustments.revoke_entrustment(session, cousin, entrustment_id=made.id + 1000, reason="x")
    entrustments.revoke_entrustment(session, farmer_of(HOUSEHOLD), entrustment_id=made.id, reason="不再委托")
    with pytest.raises(Conflict):
        entrustments.revoke_entrustment(session, farmer_of(HOUSEHOLD), entrustment_id=made.id, reason="再次")
    assert entrustments.status_of(made) == "revoked"


def test_revocation_through_the_api(client, session, cousin):
    made = _entrust(session, cousin)
    answer = client.post(f"/api/v1/entrustments/{made.id}/revocation", headers=bearer(session, "farmer"),
                         json={"reason": "不再委托"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "revoked"
    assert answer.get_json()["revocation_reason"] == "不再委托"
    assert client.post(f"/api/v1/entrustments/{made.id}/revocation", headers=bearer(session, "migrant"),
                       json={"reason": "x"}).status_code == 403


# the database's own word (migration 0018)

ENTRUSTMENT = ("INSERT INTO entrustments (county_code, household_code, agent_user_id, scope, parcel_codes, "
               "acts, transfer_until, min_price, valid_from, valid_to, consent_method, household_signed_at, "
               "agent_signed_at, scan, scan_name, revoked_at, revocation_reason) VALUES ('220421', "
               "'220421101201010001', 1, 'x', :parcels, :acts, '2027-01-01', 500, '2026-12-01', "
               "'2027-12-01', :method, now(), :agent_signed, :scan, :scan_name, :revoked, :reason)")
GOOD = {"parcels": ["2204211012010100001"], "acts": ["list"], "method": "app", "agent_signed": None,
        "scan": None, "scan_name": None, "revoked": None, "reason": None}


@pytest.mark.parametrize("change, constraint", [
    ({"acts": ["list", "rent"]}, "ck_entrustments_acts_known"),
    ({"acts": []}, "ck_entrustments_acts_known"),
    ({"parcels": []}, "ck_entrustments_parcels_named"),
    ({"method": "phone"}, "ck_entrustments_consent_method_known"),
    ({"method": "officer_scan"}, "ck_entrustments_scan_signed_by_both"),
    ({"method": "officer_scan", "scan": b"%PDF", "scan_name": "x.pdf"},
     "ck_entrustments_scan_signed_by_both"),
    ({"revoked": "2026-12-02"}, "ck_entrustments_revoked_with_reason"),
    ({"agent_signed": "2000-01-01"}, "ck_entrustments_signed_in_order"),
])
def test_the_entrustment_checks_in_the_database(session, change, constraint):
    session.execute(sa.text(ENTRUSTMENT), GOOD)  # the good row passes
    with pytest.raises(DBAPIError) as info, session.begin_nested():
        session.execute(sa.text(ENTRUSTMENT), GOOD | change)
    assert (info.value.orig.sqlstate, info.value.orig.diag.constraint_name) == ("23514", constraint)


def test_the_command_adds_lists_and_revokes(server, template_url, tmp_path):
    """`landrights entrustments add|list|revoke`: the operator records the paper with its scan."""
    import uuid

    from click.testing import CliRunner

    from landrights.cli import main
    from tests.conftest import TEMPLATE_DB

    name = f"lr_cli_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    env = {"DATABASE_URL": url, "LANDRIGHTS_INSTANCE": str(tmp_path), "SECRET_KEY": None,
           "LANDRIGHTS_ENV": None}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            codes = parcels_of(conn, HOUSEHOLD)[:2]
        (tmp_path / "wts.pdf").write_bytes(PDF.data)
        args = ["entrustments", "add", HOUSEHOLD, "--agent", "clerk", "--act", "list", "--act", "sign",
                "--from", clock.today().isoformat(), "--to", "2028-06-30", "--transfer-until", "2028-12-31",
                "--min-price", "450", "--scope", "代为挂牌、签约", "--document", "委托书 7 号",
                "--scan", str(tmp_path / "wts.pdf"), *[x for c in codes for x in ("--parcel", c)]]
        added = CliRunner().invoke(main, args, env=env)
        assert added.exit_code == 0, added.output
        number = int(added.stderr.split()[1])
        listed = CliRunner().invoke(main, ["entrustments", "list", "--household", HOUSEHOLD], env=env)
        assert f"{number}" in listed.stdout and "in_force" in listed.stdout and "clerk" in listed.stdout
        no_scan = CliRunner().invoke(main, args[:-2 * len(codes) - 2] + args[-2 * len(codes):], env=env)
        assert no_scan.exit_code != 0
        revoked = CliRunner().invoke(main, ["entrustments", "revoke", str(number), "--reason",
                                            "农户书面撤销"], env=env)
        assert revoked.exit_code == 0, revoked.output
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT revocation_reason FROM entrustments WHERE id = :i"),
                               {"i": number}) == "农户书面撤销"
            scan = conn.scalar(sa.text("SELECT scan FROM entrustments WHERE id = :i"), {"i": number})
            assert scan == PDF.data
    finally:
        engine.dispose()
        server.drop_db(name)
