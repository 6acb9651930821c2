"""The collective's roster, shares and dividends (R7.3-R7.13)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from landrights import clock
from landrights.collective import services
from landrights.collective.models import Distribution, Payout, ShareHolding
from landrights.errors import Conflict, Forbidden, ValidationFailed
from tests.rights.conftest import DAUGHTER, HEAD, NEIGHBOUR_HEAD, OTHER_GROUP_HEAD, farmer_of

GROUP1 = "22042110120101"


def _holding(session, id_number):
    return session.scalar(sa.text(
        "SELECT h.quantity FROM share_holdings h JOIN persons p ON p.id = h.person_id "
        "WHERE p.id_number = :n AND h.valid_to IS NULL"), {"n": id_number})


def test_the_demo_roster_records_each_members_basis(session):
    rows = dict(session.execute(sa.text(
        "SELECT basis, count(*) FROM memberships WHERE status = 'member' GROUP BY basis")).all())
    assert rows["birth"] > 0 and rows["marriage"] > 0
    assert session.scalar(sa.text("SELECT count(*) FROM memberships WHERE basis_document = ''")) == 0


@pytest.mark.parametrize("cause", ["settled_in_town", "studying", "military_service", "working_away"])
def test_membership_never_ends_for_settling_studying_service_or_work(session, clerk, cause):
    with pytest.raises(ValidationFailed) as info:
        services.end_membership(session, clerk, id_number=DAUGHTER, cause=cause,
                                lost_on=date(2026, 1, 1), document="x")
    assert "R7.6" in info.value.rule
    with pytest.raises(IntegrityError) as db, session.begin_nested():  # nor through the database
        session.execute(sa.text("UPDATE memberships SET status = 'lost', lost_on = now(), loss_cause = :c, "
                                "loss_document = 'x' WHERE status = 'member' AND person_id = "
                                "(SELECT id FROM persons WHERE id_number = :n)"), {"c": cause, "n": DAUGHTER})
    assert db.value.orig.diag.constraint_name == "ck_memberships_statutory_loss_only"


def test_statutory_loss_and_the_contract_hired_civil_servant(session, clerk):
    with pytest.raises(ValidationFailed):
        services.end_membership(session, clerk, id_number=DAUGHTER, cause="civil_servant",
                                lost_on=date(2026, 1, 1), document="聘任合同", contract_hired=True)
    ended = services.end_membership(session, clerk, id_number=DAUGHTER, cause="civil_servant",
                                    lost_on=date(2026, 1, 1), document="公务员录用通知")
    assert ended.status == "lost"
    # static shares: the member's quantified shares stay where they are (生不增、死不减)
    assert _holding(session, DAUGHTER) == Decimal("1.0000")


def test_shares_are_static_at_a_death(session, clerk):
    before = session.scalar(sa.select(sa.func.sum(ShareHolding.quantity)).where(
        ShareHolding.collective_code == GROUP1, ShareHolding.valid_to.is_(None)))
    services.end_membership(session, clerk, id_number=HEAD, cause="death", lost_on=date(2026, 2, 1),
                            document="死亡证明")
    after = session.scalar(sa.select(sa.func.sum(ShareHolding.quantity)).where(
        ShareHolding.collective_code == GROUP1, ShareHolding.valid_to.is_(None)))
    assert before == after


def test_shares_move_inside_the_collective_only(session, clerk):
    moved = services.move_shares(session, clerk, kind="transfer", from_id_number=DAUGHTER,
                                 quantity=Decimal("0.5"), to_id_number=NEIGHBOUR_HEAD,
                                 price_yuan=Decimal("3000"), document="股权转让协议")
    assert moved.to_household_code == "220421101201010002"
    assert _holding(session, DAUGHTER) == Decimal("0.5")
    assert _holding(session, NEIGHBOUR_HEAD) == Decimal("1.5")
    with pytest.raises(ValidationFailed) as info:
        services.move_shares(session, clerk, kind="transfer", from_id_number=DAUGHTER,
                             quantity=Decimal("0.5"), to_id_number=OTHER_GROUP_HEAD, document="x")
    assert info.value.rule == "R7.11"
    with pytest.raises(IntegrityError) as db, session.begin_nested():  # the database agrees
        session.execute(sa.text(
            "INSERT INTO share_transfers (county_code, collective_code, kind, from_household_code, "
            "from_person_id, to_household_code, quantity, price_yuan, document, at) SELECT county_code, "
            "collective_code, 'transfer', from_household_code, from_person_id, '220421101201030001', 0.1, 0, "
            "'x', now() FROM share_transfers LIMIT 1"))
    assert db.value.orig.diag.constraint_name == "ck_share_transfers_inside_collective"


def test_buy_back_and_inheritance_follow_the_rules(session, clerk):
    with pytest.raises(ValidationFailed) as info:  # a buy-back follows the holder's own request
        services.move_shares(session, clerk, kind="buy_back", from_id_number=DAUGHTER,
                             quantity=Decimal(1), to_id_number="", document="x")
    assert "G3" in info.value.rule
    with pytest.raises(Conflict) as info:
        services.move_shares(session, clerk, kind="inheritance", from_id_number=HEAD,
                             quantity=Decimal(1), to_id_number=DAUGHTER, document="继承公证")
    assert info.value.rule == "R7.12"
    session.execute(sa.text("INSERT INTO collective_settings (county_code, collective_code, "
                            "inheritance_allowed) VALUES ('220421', :c, true)"), {"c": GROUP1})
    services.move_shares(session, clerk, kind="inheritance", from_id_number=HEAD, quantity=Decimal(1),
                         to_id_number=DAUGHTER, document="继承公证")
    assert _holding(session, DAUGHTER) == Decimal(2) and _holding(session, HEAD) is None


def test_dividends_reconcile_to_the_cent(session, clerk):
    services.move_shares(session, clerk, kind="transfer", from_id_number=DAUGHTER,
                         quantity=Decimal("0.3333"), to_id_number=NEIGHBOUR_HEAD, document="协议")
    today = clock.today()  # a decision and a payment are recorded once they happened
    paid = services.distribute(session, clerk, collective_code=GROUP1, year=today.year,
                               amount_per_share=Decimal("333.3333"), decided_on=today,
                               document="本年度成员大会决议")
    payouts = session.scalars(sa.select(Payout).where(Payout.distribution_id == paid.id)).all()
    assert paid.total_yuan == sum(p.amount_yuan for p in payouts)
    assert all(p.amount_yuan == (p.shares * paid.amount_per_share).quantize(Decimal("0.01")) for p in payouts)
    with pytest.raises(Conflict):
        services.distribute(session, clerk, collective_code=GROUP1, year=today.year,
                            amount_per_share=Decimal(1), decided_on=today, document="again")
    services.mark_paid(session, clerk, payout_id=payouts[0].id, paid_on=today)
    with pytest.raises(Conflict):
        services.mark_paid(session, clerk, payout_id=payouts[0].id, paid_on=today)


def test_group_02_keeps_a_collective_share_under_30_percent(session):
    distribution = session.scalar(sa.select(Distribution).where(
        Distribution.collective_code == "22042110120102", Distribution.year == 2025))
    collective = session.scalar(sa.select(Payout.shares).where(Payout.distribution_id == distribution.id,
                                                               Payout.account_id.is_(None)))
    total = session.scalar(sa.select(sa.func.sum(Payout.shares)).where(
        Payout.distribution_id == distribution.id))
    assert collective is not None and Decimal("0.09") < collective / total < Decimal("0.11")


def test_only_the_roster_keepers_change_the_roster(session):
    with pytest.raises(Forbidden):
        services.end_membership(session, farmer_of("220421101201010001"), id_number=DAUGHTER,
                                cause="death", lost_on=date(2026, 1, 1), document="x")
    status = session.scalar(sa.text("SELECT m.status FROM memberships m JOIN persons p ON p.id = m.person_id "
                                    "WHERE p.id_number = :n"), {"n": DAUGHTER})
    assert status == "member"
