"""Who may do what with a household's retained rights (rights/permissions.py), role by role, on the
demo farmer's household: where a member lives never matters (R1.10), the household and the
officials of its area read its rights (G5), a withdrawal is the holder's own request (R1.14, G3)
and the county reviews one a settlement holds back (G4). Every can_* of the module has a row."""
from __future__ import annotations

import pytest

from landrights.errors import Forbidden, Unauthenticated
from landrights.rights import permissions
from tests.factories import MATRIX_ACTORS, MATRIX_HOUSEHOLD, checks_of, matrix_cases

OF_THE_AREA = {"farmer", "clerk", "officer", "county", "system"}  # whose area holds the household
HOLDER_OR_OFFICER = {"farmer", "officer", "system"}  # the holder, or its township officer on paper

MAY = {
    "open_my_rights": {"farmer", "other_farmer", "migrant"},  # a household's account, settled or not
    "see_rights": OF_THE_AREA,  # G5: wherever the household lives now
    "issue_statement": OF_THE_AREA,
    "record_settlement": {"officer", "county", "system"},  # residence only (R1.10, G1)
    "record_settlement_on_page": {"officer"},  # the county records through the API and the CLI
    "request_withdrawal": HOLDER_OR_OFFICER,  # voluntary, in writing (R1.14, G3)
    "request_withdrawal_in_app": {"farmer"},  # the holder's own notice, dated the day it is filed
    "cancel_withdrawal": HOLDER_OR_OFFICER,  # until it takes effect (G3)
    "review_withdrawal": {"county", "system"},  # the county decides whether it is voluntary (G4)
}
ROLE_WIDE = {"open_my_rights"}


def ask(act: str, role: str) -> bool:
    check, actor = getattr(permissions, f"can_{act}"), MATRIX_ACTORS[role]
    return check(actor) if act in ROLE_WIDE else check(actor, MATRIX_HOUSEHOLD)


def test_every_act_has_its_row():
    assert checks_of(permissions) == set(MAY)


@pytest.mark.parametrize("act, role", matrix_cases(MAY))
def test_who_may(act, role):
    assert ask(act, role) == (role in MAY[act])


def test_a_settled_household_keeps_every_act_on_its_own_rights():
    """The migrant acts on its own household exactly as the demo farmer on its own (R1.10)."""
    migrant, code = MATRIX_ACTORS["migrant"], MATRIX_ACTORS["migrant"].household_code
    farmer = MATRIX_ACTORS["farmer"]
    for act in set(MAY) - ROLE_WIDE:
        check = getattr(permissions, f"can_{act}")
        assert check(migrant, code) == check(farmer, MATRIX_HOUSEHOLD), act


@pytest.mark.parametrize("act", sorted(checks_of(permissions, "role_may_")))
def test_the_role_first_never_refuses_who_may(act):
    role_may = getattr(permissions, f"role_may_{act}")
    allowed = {r for r, a in MATRIX_ACTORS.items() if role_may(a)}
    if act == "apply_withdrawals":  # the daily run: registry writers, each in its own area
        assert allowed == {"officer", "other_officer", "county", "other_county", "system"}
        return
    assert {r for r in MATRIX_ACTORS if ask(act, r)} <= allowed


@pytest.mark.parametrize("act", ["see_rights", "record_settlement", "review_withdrawal"])
@pytest.mark.parametrize("role", sorted(MATRIX_ACTORS))
def test_require_refuses_whom_can_refuses(act, role):
    require, actor = getattr(permissions, f"require_{act}"), MATRIX_ACTORS[role]
    if role in MAY[act]:
        require(actor, MATRIX_HOUSEHOLD)
    else:
        with pytest.raises(Unauthenticated if role == "anonymous" else Forbidden):
            require(actor, MATRIX_HOUSEHOLD)
