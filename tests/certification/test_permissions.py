"""Who may do what in the confirmation path, by role and township: township officers run notices
and confirmations in their township, the county administrator issues and cancels certificates,
farmers see and confirm their own household, anyone verifies."""
from __future__ import annotations

import pytest

from landrights.accounts.permissions import ANONYMOUS, Actor
from landrights.certification import certificates, objections, services
from landrights.errors import Forbidden, Unauthenticated
from tests.certification.conftest import COLLECTIVE, PENDING, after_days, clerk_of, farmer_of
from tests.certification.helpers import confirmed_household

OTHER_COUNTY = Actor(role="county_admin", name="x", county_code="220422")


@pytest.mark.parametrize("who", ["county", "other_officer", "clerk", "farmer", "anonymous"])
def test_only_the_township_officer_opens_a_notice(session, request, who):
    actor = {"clerk": clerk_of(), "farmer": farmer_of(PENDING[0]), "anonymous": ANONYMOUS}.get(who) \
        or request.getfixturevalue(who)
    with pytest.raises(Unauthenticated if who == "anonymous" else Forbidden):
        services.open_notice(session, actor, collective_code=COLLECTIVE)


def test_who_may_object(session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    household = PENDING[0]
    parcel = next(e.parcel_code for e in notice.entries if e.household_code == household and e.parcel_code)
    stranger = farmer_of("220421101201010001")  # a household of group 01, not named as neighbour
    with pytest.raises(Forbidden):
        objections.file_objection(session, stranger, notice_id=notice.id, household_code=household,
                                parcel_code=parcel, text="不是我的地")
    with pytest.raises(Forbidden):
        objections.file_objection(session, clerk_of("22042110120101"), notice_id=notice.id,
                                household_code=household, text="x")
    assert objections.file_objection(session, clerk_of(), notice_id=notice.id, household_code=household,
                                   text="户籍信息有误").filer_kind == "collective"
    assert objections.file_objection(session, farmer_of(household), notice_id=notice.id,
                                   household_code=household, text="成员缺漏").filer_kind == "member"


def test_a_neighbour_named_in_the_four_sides_may_object(session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    household, neighbour = PENDING[0], PENDING[1]
    entry = next(e for e in notice.entries if e.household_code == household and e.parcel_code)
    import sqlalchemy as sa

    from landrights.registry.models import Household, Parcel
    name = session.scalar(sa.select(Household.name).where(Household.code == neighbour))
    session.execute(sa.update(Parcel).where(Parcel.id == entry.parcel_id).values(east=f"{name}地"))
    objection = objections.file_objection(session, farmer_of(neighbour), notice_id=notice.id,
                                        household_code=household, parcel_code=entry.parcel_code,
                                        text="东边界占了我家地")
    assert objection.filer_kind == "neighbour"


def test_officer_of_another_township_cannot_decide_or_record(session, officer, other_officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    objection = objections.file_objection(session, farmer_of(PENDING[0]), notice_id=notice.id,
                                        household_code=PENDING[0], text="成员缺漏")
    with pytest.raises(Forbidden):
        objections.dismiss_objection(session, other_officer, objection_id=objection.id, reason="x")
    after_days(8)
    with pytest.raises(Forbidden):
        services.sign_off(session, other_officer, household_code=PENDING[1])
    with pytest.raises(Forbidden):
        services.sign_off(session, farmer_of(PENDING[2]), household_code=PENDING[1])


def test_only_the_county_issues_and_cancels(session, officer, county):
    contract = confirmed_household(session, officer, PENDING[1])
    for actor in (officer, farmer_of(PENDING[1]), clerk_of(), OTHER_COUNTY):
        with pytest.raises(Forbidden):
            certificates.issue_certificate(session, actor, code=contract)
    certificates.issue_certificate(session, county, code=contract)
    with pytest.raises(Forbidden):
        certificates.cancel_certificate(session, officer, code=contract, reason="r", document="d")
