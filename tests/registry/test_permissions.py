"""Who may read and change the register (registry/permissions.py), role by role, on the demo
farmer's household and county: the register is the authoritative record (R3.6), kept by the county
and the township of the area (R2.2, R3.2); a record lies in an area when its code starts with the
area's (R4.5-R4.8); a household reads only itself (R1.3); full ID numbers and phones only where the
job needs them. Every can_* of the module has a row."""
from __future__ import annotations

import pytest

from landrights.errors import Forbidden, Unauthenticated
from landrights.registry import permissions
from tests.factories import (
    EVERY_ROLE,
    MATRIX_ACTORS,
    MATRIX_COUNTY,
    MATRIX_HOUSEHOLD,
    OFFICIALS,
    checks_of,
    matrix_cases,
)

MAY = {
    "see_record": {"farmer", "clerk", "officer", "county", "system"},  # its area holds the household
    "list_households": EVERY_ROLE - {"anonymous", "transferee"},  # of an area (a household: itself)
    "list_collectives": OFFICIALS,
    "edit_register": {"officer", "county", "system"},  # never the clerk, never a household
    "add_person": {"officer", "other_officer", "county", "system"},  # persons are county-wide
    "see_personal_data": {"farmer", "officer", "county", "system"},  # the clerk sees them masked
}
TARGET = {"add_person": MATRIX_COUNTY}  # else the household's code
ROLE_WIDE = {"list_households", "list_collectives"}


def ask(act: str, role: str) -> bool:
    check, actor = getattr(permissions, f"can_{act}"), MATRIX_ACTORS[role]
    return check(actor) if act in ROLE_WIDE else check(actor, TARGET.get(act, MATRIX_HOUSEHOLD))


def test_every_act_has_its_row():
    assert checks_of(permissions) == set(MAY)


@pytest.mark.parametrize("act, role", matrix_cases(MAY))
def test_who_may(act, role):
    assert ask(act, role) == (role in MAY[act])


def test_a_household_reads_its_own_household_only():
    only = {r for r, a in MATRIX_ACTORS.items() if permissions.reads_own_household_only(a)}
    assert only == {"farmer", "other_farmer", "migrant"}
    parcel = MATRIX_HOUSEHOLD[:14] + "00001"  # a parcel of the collective: no household holds it by code
    assert not permissions.can_see_record(MATRIX_ACTORS["farmer"], parcel)
    assert permissions.can_see_record(MATRIX_ACTORS["clerk"], parcel)


@pytest.mark.parametrize("act", ["see_record", "edit_register", "add_person"])
@pytest.mark.parametrize("role", sorted(MATRIX_ACTORS))
def test_require_refuses_whom_can_refuses(act, role):
    require, actor = getattr(permissions, f"require_{act}"), MATRIX_ACTORS[role]
    target = TARGET.get(act, MATRIX_HOUSEHOLD)
    if role in MAY[act]:
        require(actor, target)
    else:
        with pytest.raises(Unauthenticated if role == "anonymous" else Forbidden):
            require(actor, target)
