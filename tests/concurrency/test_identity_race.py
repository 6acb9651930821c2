"""Races on who acts (issue 17 §2), on committed data: a person's own account and an officer
verifying the same ID card at once make one identity (the partial unique index decides); an agent's act that
races the household's revocation waits for it and is refused (the entrustment's row lock)."""
from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.models import User
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.errors import DomainError
from landrights.market import entrustments, identities
from landrights.market import services as market
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import make_listing
from tests.market.conftest import HOUSEHOLD, MEMBER_ID, farmer_of, parcels_of


def _accounts(engine, *names: str, person: str | None = None, **area) -> list[Actor]:
    with Session(engine) as session:
        made = []
        for name in names:
            user = accounts.create_user(session, SYSTEM, username=name, password=PASSWORD, display_name=name,
                                        hash_method=FAST_HASH, **({"role": "transferee"} | area))
            if person:
                user.person_id = session.scalar(sa.text("SELECT id FROM persons WHERE id_number = :n"),
                                                {"n": person})
            made.append(Actor.of(user))
        session.commit()
        return made


def test_two_accounts_of_one_person_registering_at_once_make_one_identity(scratch_db):
    """A person has one active account (uq_users_person_active, migration 0019), so the race left
    is the person's own account registering with its ID number while a township officer verifies
    the same ID card for another transferee: one of them makes the identity."""
    (own,) = _accounts(scratch_db, "liu_phone", person=MEMBER_ID)
    (other,) = _accounts(scratch_db, "liu_tablet")
    with Session(scratch_db) as session:
        tablet_id = market.register_transferee(session, other, kind="individual", name="刘立军",
                                               operating_capacity="拖拉机 1 台").id
        officer = Actor.of(session.scalar(sa.select(User).where(User.username == "officer")))
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def own_account(session):
        market.register_transferee(session, own, kind="individual", name="刘立军", id_number=MEMBER_ID,
                                   operating_capacity="拖拉机 1 台")

    def id_card(session):
        identities.verify_identity(session, officer, transferee_id=tablet_id, id_number=MEMBER_ID,
                                   document="居民身份证（东丰县公安局，长期）")

    def act(work):
        barrier.wait(timeout=10)
        with Session(scratch_db) as session:
            try:
                work(session)
                session.commit()
                outcomes[work.__name__] = "verified"
            except DomainError as err:
                session.rollback()
                outcomes[work.__name__] = f"{type(err).__name__}:{err.field}"

    threads = [threading.Thread(target=act, args=(w,)) for w in (own_account, id_card)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["Conflict:id_number", "verified"]
    with scratch_db.connect() as conn:
        made = conn.scalar(sa.text("SELECT count(*) FROM transferee_identities i JOIN persons p "
                                   "ON p.id = i.person_id WHERE p.id_number = :n"), {"n": MEMBER_ID})
        transferees = conn.scalar(sa.text("SELECT count(*) FROM transferees t JOIN users u "
                                          "ON u.id = t.user_id "
                                          "WHERE u.username IN ('liu_phone', 'liu_tablet')"))
    # the tablet's transferee was registered before the race; the phone's exists only if it won:
    # a losing registration left nothing behind
    assert (made, transferees) == (1, 1 + (outcomes["own_account"] == "verified"))


def _waiting_on_a_row_lock(engine) -> bool:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()")) > 0


def test_an_agents_act_racing_the_revocation_waits_and_is_refused(scratch_db):
    (agent,) = _accounts(scratch_db, "cousin", role="farmer", household_code=HOUSEHOLD[:14] + "0002")
    with Session(scratch_db) as session:
        made = entrustments.create_entrustment(
            session, farmer_of(HOUSEHOLD), household_code=HOUSEHOLD, agent_username="cousin",
            parcel_codes=parcels_of(session, HOUSEHOLD)[:2], acts=["list"], valid_from=clock.today(),
            valid_to=date(2028, 6, 30), transfer_until=date(2028, 12, 31), min_price=Decimal("400"),
            scope="代为挂牌")
        entrustments.accept_entrustment(session, agent, entrustment_id=made.id)
        session.commit()
        entrustment_id = made.id
    revoking = Session(scratch_db)
    entrustments.revoke_entrustment(revoking, farmer_of(HOUSEHOLD), entrustment_id=entrustment_id,
                                    reason="不再委托")  # flushed: holds the row, not committed
    outcome: list = []

    def list_as_agent():
        with Session(scratch_db) as session:
            try:
                make_listing(session, agent)
                session.commit()
                outcome.append("listed")
            except DomainError as err:
                session.rollback()
                outcome.append(err.rule)

    thread = threading.Thread(target=list_as_agent)
    thread.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_row_lock(scratch_db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _waiting_on_a_row_lock(scratch_db)  # the act waits for the revocation's transaction
    revoking.commit()
    revoking.close()
    thread.join(timeout=30)
    assert outcome == ["R2.4"]
    with scratch_db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM listings WHERE household_code = :h"),
                           {"h": HOUSEHOLD}) == 0
