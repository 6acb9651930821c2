"""Market fixtures: the demo farmer's household lists; a company, a non-member individual and a
member of group 01 bid; the clock moves through the windows."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.market import services as market
from tests.conftest import FAST_HASH, PASSWORD

HOUSEHOLD = "220421101201010001"
MEMBER_HOUSEHOLD, MEMBER_ID = "220421101201010002", "220421198212181431"  # 刘立军, group 01


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


@dataclass
class Bidder:
    actor: Actor
    transferee_id: int


def make_bidder(session, username: str, kind: str, *, household: str | None = None,
                id_number: str | None = None) -> Bidder:
    role = "farmer" if household else "transferee"
    extra = {"household_code": household} if household else {}
    user = accounts.create_user(session, SYSTEM, username=username, password=PASSWORD, role=role,
                                display_name=username, hash_method=FAST_HASH, **extra)
    if id_number:  # the person's own account: its ID number is verified by the account (identities.py)
        user.person_id = session.scalar(sa.text("SELECT id FROM persons WHERE id_number = :n"),
                                        {"n": id_number})
    actor = Actor.of(user)
    transferee = market.register_transferee(session, actor, kind=kind, name=username, id_number=id_number,
                                            operating_capacity="拖拉机 3 台，种植经验 10 年")
    return Bidder(actor, transferee.id)


def parcels_of(session, household: str) -> list[str]:
    return session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY 1"), {"h": household}).all()


def farmer_of(household: str) -> Actor:
    return Actor(role="farmer", user_id=None, name="户主", household_code=household)
