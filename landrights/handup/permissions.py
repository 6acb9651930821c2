"""Who may bring in a county's hand-up package (汇交成果, issue 18): its county administrator,
for the county government registers and issues (R3.3), or the system (the command line).
can_<act> tells, require_<act> refuses, role_may_<act> checks the role before a lookup.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from landrights.accounts.permissions import Actor, covers, require_login
from landrights.errors import Forbidden


def role_may_import_handup(actor: Actor) -> bool:
    """Tell whether the actor brings in hand-up packages at all: a county administrator or the
    system (before a byte of the upload is read)."""
    return actor.role in ("system", "county_admin")


def can_import_handup(actor: Actor, county_code: str) -> bool:
    """Tell whether the actor brings in (and reads the imports of) this county's package."""
    return role_may_import_handup(actor) and covers(actor, county_code)


def require_import_handup(actor: Actor, county_code: str | None = None) -> None:
    """Refuse anyone but the county administrator (of this county, when named) or the system.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role, or another county.
    """
    require_login(actor)
    if not role_may_import_handup(actor) or (county_code and not covers(actor, county_code)):
        raise Forbidden(_l("Only the county administrator brings in the county's hand-up "
                           "package."))
