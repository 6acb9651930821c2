"""Shared steps: bring a pending demo household of group 03 to a registered contract."""
from __future__ import annotations

from landrights.certification import services
from tests.certification.conftest import COLLECTIVE, after_days, farmer_of


def confirmed_household(session, officer, household: str) -> str:
    """Open the notice, let it close, sign off; return the contract code."""
    services.open_notice(session, officer, collective_code=COLLECTIVE)
    after_days(8)
    return services.sign_off(session, farmer_of(household), household_code=household).contract_code
