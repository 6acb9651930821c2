"""Shared steps: bring a pending demo household of group 03 to a registered contract."""
from __future__ import annotations

from landrights.certification import services
from tests.certification.conftest import COLLECTIVE, after_days, farmer_of


def confirmed_household(session, officer, household: str) -> str:
    """Open the notice, let it close, sign off; return the contract code."""
    services.open_notice(session, officer, collective_code=COLLECTIVE)
    after_days(8)
    return services.sign_off(session, farmer_of(household), household_code=household).contract_code


FARMER_HOUSEHOLD = "220421101201010001"  # the demo account "farmer": a registered household of group 01


def farmer_on_notice(session, officer, household: str = FARMER_HOUSEHOLD, *, also: tuple[str, ...] = ()):
    """Put the demo farmer's household (and the households `also`) on public notice: one parcel of
    each is resurveyed (its north side), so the household waits for a notice; open the notice of
    the collective. Return the notice and the farmer's parcel codes, the resurveyed one first."""
    import sqlalchemy as sa

    from landrights.registry import services as registry

    def parcels_of(code: str) -> list[str]:
        return list(session.scalars(sa.text(
            "SELECT cp.parcel_code FROM contracts c JOIN contract_parcels cp ON cp.contract_id = c.id "
            "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY cp.parcel_code"), {"h": code}))

    codes = parcels_of(household)
    for code in (household, *also):
        registry.revise_parcel(session, officer, code=parcels_of(code)[0], reason="复测", north="新修水渠")
    notice = services.open_notice(session, officer, collective_code=household[:14], place="村委会公告栏")
    return notice, codes
