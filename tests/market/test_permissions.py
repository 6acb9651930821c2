"""Who may do what in the land market (market/permissions.py), role by role, on the demo farmer's
household: the table below is the law's and the market's rules (R-ids beside each act), and every
can_* of the module has a row, so a new act cannot come without its table."""
from __future__ import annotations

import pytest

from landrights.errors import Forbidden, Unauthenticated
from landrights.market import permissions
from tests.factories import (
    EVERY_ROLE,
    MATRIX_ACTORS,
    MATRIX_COUNTY,
    MATRIX_HOUSEHOLD,
    OFFICIALS,
    checks_of,
    matrix_cases,
)

DESK = {"officer", "system"}  # the township officer of the household's area (R2.2)
HOUSEHOLD_OR_DESK = {"farmer"} | DESK
OFFICERS_AND_COUNTIES = {"officer", "other_officer", "county", "other_county"}

# act: the roles that may do it to the demo farmer's household (county-wide acts: its county)
MAY = {
    "register_transferee": EVERY_ROLE - {"anonymous"},  # any account declares its capacity (R1.21(4))
    "list_land": {"farmer"},  # the household decides (R2.3); an agent by its entrustment (R2.4)
    "entrust": HOUSEHOLD_OR_DESK,  # in the app, or the paper signed by both recorded (R2.4)
    "entrust_in_app": {"farmer"},
    "revoke_entrustment": HOUSEHOLD_OR_DESK,  # or the agent renouncing (its record)
    "be_agent": {"other_farmer", "migrant", "clerk", "transferee"},  # R2.4: another person, the 发包方
    "withdraw_listing": HOUSEHOLD_OR_DESK,
    "see_all_bids": {"farmer", "officer", "county", "system"},  # a bidder sees its own (R8.4)
    "see_transfer": {"farmer", "clerk", "officer", "county", "system"},  # the transferee by its record
    "sign_contract": {"farmer"},  # the household's side (R1.23); the transferee by its record
    "record_rent": HOUSEHOLD_OR_DESK,  # proceeds are the household's (R1.22)
    "terminate": {"farmer", "clerk"},  # the household (R1.25), the collective when it does not (R1.26)
    "consent_to_retransfer": HOUSEHOLD_OR_DESK,  # the contractor's written consent (R1.29)
    "work_desk": DESK,  # deposits, award, uniform contract, ledger, registration, pledges (R2.10-R2.13)
    "review_capital": {"county", "system"},  # the county reviews social capital (R1.28)
    "find_transferees": OFFICERS_AND_COUNTIES | {"system"},
    "see_statistics": OFFICIALS,
    "open_ledger": OFFICERS_AND_COUNTIES,  # the pages' links: people, never the system
    "verify_identities": {"officer", "other_officer"},  # who saw the ID card, in its township
}
TARGET = {"review_capital": MATRIX_COUNTY}  # else the household's code (role-wide acts ignore it)
ROLE_WIDE = {"register_transferee", "find_transferees", "see_statistics", "open_ledger", "verify_identities"}


def ask(act: str, role: str) -> bool:
    check = getattr(permissions, f"can_{act}")
    actor = MATRIX_ACTORS[role]
    return check(actor) if act in ROLE_WIDE else check(actor, TARGET.get(act, MATRIX_HOUSEHOLD))


def test_every_act_has_its_row():
    assert checks_of(permissions) == set(MAY)


@pytest.mark.parametrize("act, role", matrix_cases(MAY))
def test_who_may(act, role):
    assert ask(act, role) == (role in MAY[act])


@pytest.mark.parametrize("act", sorted(checks_of(permissions, "role_may_")))
def test_the_role_first_never_refuses_who_may(act):
    """A role_may_* is asked before the record is looked up: it lets through everyone who may."""
    role_may = getattr(permissions, f"role_may_{act}")
    assert {r for r in MATRIX_ACTORS if ask(act, r)} <= {r for r, a in MATRIX_ACTORS.items() if role_may(a)}


@pytest.mark.parametrize("act", ["work_desk", "review_capital"])
@pytest.mark.parametrize("role", sorted(MATRIX_ACTORS))
def test_require_refuses_whom_can_refuses(act, role):
    require = getattr(permissions, f"require_{act}")
    actor, target = MATRIX_ACTORS[role], TARGET.get(act, MATRIX_HOUSEHOLD)
    if role in MAY[act]:
        require(actor, target)
    else:
        with pytest.raises(Unauthenticated if role == "anonymous" else Forbidden):
            require(actor, target)
