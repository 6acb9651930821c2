"""Who may bring survey results in and read them (survey/permissions.py), role by role, on the
demo farmer's collective (group 01) and county: the ownership survey becomes the register's parcels
(R5.2, R3.1), so only registry writers of the area import or export it (the export carries full
ID numbers, R5.9); officials read their area's imports and their county's quality rules; the
county administrator switches the county's rules. Every can_* of the module has a row."""
from __future__ import annotations

import pytest

from landrights.errors import Forbidden, Unauthenticated
from landrights.survey import permissions
from tests.factories import (
    MATRIX_ACTORS,
    MATRIX_COLLECTIVE,
    MATRIX_COUNTY,
    OFFICIALS,
    checks_of,
    matrix_cases,
)

WRITERS_OF_THE_AREA = {"officer", "county", "system"}

MAY = {
    "import_survey": WRITERS_OF_THE_AREA,  # never the clerk, never a household (R5.2)
    "export_survey": WRITERS_OF_THE_AREA,  # full ID numbers (R5.9)
    "see_import": {"clerk", "officer", "county", "system"},  # whose area holds the collective
    "list_imports": OFFICIALS,  # of their own area; a household's area holds no import
    "see_rules": OFFICIALS - {"other_county"},  # officials of the county (another township's too)
    "switch_rules": {"county", "system"},  # R4.14 keeps some rules on whatever the switch
}
TARGET = {"see_rules": MATRIX_COUNTY, "switch_rules": MATRIX_COUNTY}  # else the collective's code
ROLE_WIDE = {"list_imports"}


def ask(act: str, role: str) -> bool:
    check, actor = getattr(permissions, f"can_{act}"), MATRIX_ACTORS[role]
    return check(actor) if act in ROLE_WIDE else check(actor, TARGET.get(act, MATRIX_COLLECTIVE))


def test_every_act_has_its_row():
    assert checks_of(permissions) == set(MAY)


@pytest.mark.parametrize("act, role", matrix_cases(MAY))
def test_who_may(act, role):
    assert ask(act, role) == (role in MAY[act])


def test_the_role_first_never_refuses_who_may():
    """The survey upload's larger body limit is let through by role alone, before the collective
    is read: every registry writer, wherever its area is."""
    allowed = {r for r, a in MATRIX_ACTORS.items() if permissions.role_may_import_survey(a)}
    assert allowed == {"officer", "other_officer", "county", "other_county", "system"}
    assert MAY["import_survey"] <= allowed


@pytest.mark.parametrize("act", ["import_survey", "export_survey", "see_rules"])
@pytest.mark.parametrize("role", sorted(MATRIX_ACTORS))
def test_require_refuses_whom_can_refuses(act, role):
    require, actor = getattr(permissions, f"require_{act}"), MATRIX_ACTORS[role]
    target = TARGET.get(act, MATRIX_COLLECTIVE)
    if role in MAY[act]:
        require(actor, target)
    else:
        with pytest.raises(Unauthenticated if role == "anonymous" else Forbidden):
            require(actor, target)
