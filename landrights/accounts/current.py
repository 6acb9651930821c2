"""Who makes this request: the actor the pages and the API pass to the services."""
from __future__ import annotations

from flask_login import current_user

from landrights.accounts.permissions import ANONYMOUS, Actor


def current_actor() -> Actor:
    """Return the actor of this request (anonymous if nobody is logged in)."""
    return Actor.of(current_user) if current_user.is_authenticated else ANONYMOUS
