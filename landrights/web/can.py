"""`can` in templates: every domain's permission checks, asked as the logged-in user (issue 21 §5).

    {% if can.list_land(current_user, household.code) %} ... {% endif %}

calls market.permissions.can_list_land with the actor of current_user (the anonymous public when
nobody is logged in), so a template names an act and never compares a role. Each can_<act> of a
domain is there as `can.<act>`, each role_may_<act> (a role that does the act somewhere) by its
own name; two domains naming the same act is refused when the app starts.
"""
from __future__ import annotations

import functools
import inspect
from types import SimpleNamespace

from landrights.accounts import permissions as accounts
from landrights.accounts.permissions import ANONYMOUS, Actor
from landrights.audit import permissions as audit
from landrights.certification import permissions as certification
from landrights.collective import permissions as collective
from landrights.handup import permissions as handup
from landrights.homestead import permissions as homestead
from landrights.maps import permissions as maps
from landrights.market import permissions as market
from landrights.registry import permissions as registry
from landrights.rights import permissions as rights
from landrights.survey import permissions as survey

DOMAINS = (accounts, audit, certification, collective, handup, homestead, maps, market, registry, rights,
           survey)


def actor_of(user) -> Actor:
    """Return the actor of a logged-in user (a User, a bearer token's account), the anonymous
    public for nobody, or the actor itself."""
    if isinstance(user, Actor):
        return user
    return Actor.of(user) if getattr(user, "is_authenticated", False) else ANONYMOUS


def _as_user(check):
    @functools.wraps(check)
    def ask(user, *args, **kwargs):
        return check(actor_of(user), *args, **kwargs)
    return ask


def checks(domains=DOMAINS) -> dict:
    """Return {name in templates: the check asked as a user} for every domain's can_* and role_may_*.

    Raises:
        RuntimeError: two domains name the same act.
    """
    found: dict = {}
    for module in domains:
        for name, check in inspect.getmembers(module, inspect.isfunction):
            if check.__module__ != module.__name__ or not name.startswith(("can_", "role_may_")):
                continue
            key = name.removeprefix("can_")
            if key in found:
                raise RuntimeError(f"{module.__name__}.{name}: another domain names the act {key!r}")
            found[key] = _as_user(check)
    return found


can = SimpleNamespace(**checks())
