"""The county administrator's accounts page: see the county's accounts, lift a login lock,
deactivate or reactivate an account. Routes on accounts.bp."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts import linking, services
from landrights.accounts import login as logins
from landrights.accounts.models import ROLES
from landrights.accounts.views import bp, current_actor
from landrights.extensions import db
from landrights.web.actions import expired_form, run_and_report


@bp.get("/accounts")
@login_required
def accounts():
    """List the accounts the county administrator manages, with any login lock in force."""
    users = services.list_users(db.session, current_actor())
    locks = logins.locked_names(db.session, [u.username for u in users])
    return render_template("accounts.html", users=users, locks=locks, roles=ROLES, form=FlaskForm(),
                           people=linking.linked_people(db.session, users))


def _post(action, message: str):
    back = url_for("accounts.accounts")
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(action, message, back)
    return failed or redirect(back)


@bp.post("/accounts/<username>/unlock")
@login_required
def unlock(username: str):
    """Lift the failed-login lock on an account."""
    return _post(lambda: services.unlock_login(db.session, current_actor(), username),
                 _("The lock on %(name)s is lifted.", name=username))


@bp.post("/accounts/<username>/active")
@login_required
def set_active(username: str):
    """Deactivate (ending its sessions and tokens) or reactivate an account."""
    active = request.form.get("active") == "1"
    return _post(lambda: services.set_active(db.session, current_actor(), username, active),
                 _("%(name)s can log in again.", name=username) if active
                 else _("%(name)s is deactivated and logged out everywhere.", name=username))
