"""Records of every kind that an outsider might probe, each with an unknown twin, and the
outsiders: for the oracle tests (issue 16, section 3). The demo village gives households, persons,
contracts, parcels, payouts and one filed transfer; a notice, an objection, a withdrawal, a pledge
and a re-transfer are made here, and committed so that a refused request's rollback keeps them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.certification import objections
from landrights.certification import services as certification
from landrights.market import pledges, retransfers
from landrights.market import services as market
from landrights.registry.rules import id_check_char
from landrights.rights import services as rights
from tests.conftest import FAST_HASH, PASSWORD

NEIGHBOUR = "220421101201010002"  # 刘立军's household, group 01: nobody's demo account
NEIGHBOUR_HEAD = "220421198212181431"
SETTLED = "220421101201020006"  # the demo transfer's household (the "migrant" account)
GROUP_03 = "22042110120103"
OFFICER = Actor(role="township_officer", name="乡镇农经站", township_code="220421101")
OUTSIDERS = ("anonymous", "farmer", "outsider", "officer2")  # another household, a transferee,
# an officer of another township


def unregistered_id_number(session) -> str:
    """Return a GB 11643-valid ID number that no person has."""
    for n in range(1, 999):
        first17 = f"22042119900101{n:03d}"
        number = first17 + id_check_char(first17)
        if not session.scalar(sa.text("SELECT 1 FROM persons WHERE id_number = :n"), {"n": number}):
            return number
    raise AssertionError("no free ID number")


@dataclass
class World:
    """Existing keys and their unknown twins, by kind."""

    known: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    today: str = ""


def _user(session, username: str, role: str, **area):
    return accounts.create_user(session, SYSTEM, username=username, password=PASSWORD, role=role,
                                display_name=username, hash_method=FAST_HASH, **area)


def _one(session, sql: str, **params):
    return session.scalar(sa.text(sql), params)


def build(session) -> World:
    """Make the records and the outsiders' accounts; commit them (the test's savepoint)."""
    today = clock.today()
    outsider = Actor.of(_user(session, "outsider", "transferee"))
    market.register_transferee(session, outsider, kind="company", name="外来公司",
                               operating_capacity="农机 2 台")
    _user(session, "officer2", "township_officer", township_code="220421102")
    transfer = _one(session, "SELECT code FROM transfer_contracts WHERE household_code = :h", h=SETTLED)
    neighbour_parcels = session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY 1"), {"h": NEIGHBOUR}).all()
    homestead = _one(session, "SELECT code FROM homesteads WHERE household_code = :h", h=NEIGHBOUR)
    withdrawal = rights.request_withdrawal(
        session, Actor(role="farmer", name="刘立军", household_code=NEIGHBOUR), household_code=NEIGHBOUR,
        kind="homestead", compensation_yuan=Decimal("30000"), notice_on=today,
        effective_on=today + timedelta(days=90), homestead_code=homestead)
    notice = certification.open_notice(session, OFFICER, collective_code=GROUP_03)
    pending = _one(session, "SELECT household_code FROM notice_entries WHERE notice_id = :n "
                            "AND parcel_code IS NULL ORDER BY 1 LIMIT 1", n=notice.id)
    objection = objections.file_objection(session, OFFICER, notice_id=notice.id, household_code=pending,
                                          text="户主姓名有误", filer_name="张三", filer_kind="member")
    pledge = pledges.record_pledge(session, OFFICER, household_code=NEIGHBOUR,
                                   parcel_codes=neighbour_parcels[:1], creditor="东丰农商银行",
                                   amount_yuan=Decimal("50000"), term_start=today,
                                   term_end=today + timedelta(days=365), document="借款合同 2026-001")
    retransfer = _retransfer(session, transfer, today)
    payout = _one(session, "SELECT p.id FROM payouts p JOIN share_accounts a ON a.id = p.account_id "
                           "WHERE a.household_code = :h ORDER BY p.id LIMIT 1", h=NEIGHBOUR)
    session.commit()
    world = World(today=today.isoformat())
    world.known = {
        "id_number": NEIGHBOUR_HEAD, "household": NEIGHBOUR, "parcel": neighbour_parcels[0],
        "contract": NEIGHBOUR + "J", "collective": NEIGHBOUR[:14], "transfer": transfer,
        "retransfer": retransfer, "withdrawal": str(withdrawal.id), "notice": str(notice.id),
        "objection": str(objection.id), "pledge": str(pledge.id), "payout": str(payout),
    }
    world.unknown = {
        "id_number": unregistered_id_number(session), "household": NEIGHBOUR[:14] + "9999",
        "parcel": NEIGHBOUR[:14] + "99999", "contract": NEIGHBOUR[:14] + "9999J",
        "collective": NEIGHBOUR[:12] + "99", "transfer": transfer[:6] + "209999999999",
        "retransfer": transfer[:6] + "209999999998", "withdrawal": "999999991",
        "notice": "999999992", "objection": "999999993", "pledge": "999999994", "payout": "999999995",
    }
    return world


def _retransfer(session, transfer: str, today) -> str:
    """The demo cooperative re-transfers its lease to a third company (with the household's
    consent and the county's review), not yet signed by it."""
    cooperative = Actor.of(_user_row(session, "transferee"))
    retransfers.consent_to_retransfer(session, Actor(role="farmer", name="赵振华", household_code=SETTLED),
                                      code=transfer)
    third = Actor.of(_user(session, "third", "transferee"))
    taker = market.register_transferee(session, third, kind="company", name="第三公司",
                                       operating_capacity="农机 5 台")
    market.review_capital(session, SYSTEM, transferee_id=taker.id, county_code=SETTLED[:6], approved=True,
                          max_area_mu=Decimal(500), qualification="营业执照", project="玉米种植",
                          risk_measures="预付租金", valid_until=today + timedelta(days=300))
    done = retransfers.retransfer(session, cooperative, code=transfer, to_transferee_id=taker.id,
                                  term_start=today, term_end=today + timedelta(days=200),
                                  price=Decimal("500"), payment_schedule="每年一次")
    return done.code


def _user_row(session, username: str):
    from landrights.accounts.models import User

    return session.scalar(sa.select(User).where(User.username == username))


def token(session, username: str) -> dict:
    """Return the Authorization header of a fresh API token of a user ({} for anonymous)."""
    if username == "anonymous":
        return {}
    return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, username, "oracle")}


CSRF = re.compile(r'(name="csrf_token"[^>]*?value=")[^"]+')
LANGUAGE_LINK = re.compile(r'href="/lang/[^"]*"')  # carries the page's own address back


def normalised(text: str, *replace: str) -> str:
    """Blank what differs between two probes by their own echo: the keys asked for, the page's
    address in the language link and the CSRF token; what remains must be the same."""
    for value in sorted((v for v in replace if len(v) >= 6), key=len, reverse=True):
        text = text.replace(value, "<KEY>")  # codes; a record's number is never echoed
    return LANGUAGE_LINK.sub('href="/lang/"', CSRF.sub(r"\1<CSRF>", text))
