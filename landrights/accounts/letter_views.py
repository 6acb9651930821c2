"""Household accounts and their activation letters (issue 20 §1): the township officer (or the
county administrator) picks a collective and, in one step, gives every household without an
account one, printing all their letters as one PDF; a household's row prints a new letter or lifts
a lock. And the public activation page, where the letter's holder sets the password. Routes on
accounts.bp (added by accounts.views)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from landrights import clock
from landrights.accounts import activation, queries
from landrights.accounts import login as logins
from landrights.accounts.admin_views import letters_response, refusal
from landrights.accounts.current import current_actor
from landrights.accounts.inputs import LettersQuery
from landrights.errors import DomainError
from landrights.extensions import db, limiter
from landrights.routing import Routes
from landrights.web.actions import expired_form, form_input

pages = Routes()


@pages.get("/accounts/households")
@login_required
def household_accounts():
    """List the collectives of the area with how many households have and use an account."""
    q = (request.args.get("q") or "").replace("\x00", "").strip()[:64]
    return render_template("accounts/households.html", q=q,
                           collectives=queries.letter_collectives(db.session, current_actor(), q or None))


@pages.get("/accounts/households/<code>")
@login_required
def collective_accounts(code: str):
    """Show a collective's households with their accounts and letters; issue letters from here."""
    collective, rows = queries.collective_accounts(db.session, current_actor(), code)
    return render_template("accounts/collective.html", collective=collective, rows=rows,
                           form=FlaskForm(), now=clock.now(), letter_state=queries.letter_state,
                           missing=sum(1 for r in rows if r.user is None),
                           awaiting=sum(1 for r in rows if r.state == "awaiting"))


@pages.post("/accounts/households/<code>/letters")
@login_required
def issue_letters(code: str):
    """Give the collective's households without an account one, and print all their letters as one
    PDF (renew=1: also new letters for the accounts not yet activated)."""
    back = url_for("accounts.collective_accounts", code=code)
    if (refused := expired_form(back)) is not None:
        return refused
    config = current_app.config
    try:
        renew = form_input(LettersQuery)["renew"]  # the API's query, here the page's box
        issued = activation.issue_collective_letters(
            db.session, current_actor(), code, renew=renew,
            days=config["ACTIVATION_DAYS"], hash_method=config["ACTIVATION_HASH_METHOD"])
    except DomainError as err:
        return refusal(err, back)
    return letters_response(issued, code)


@pages.route("/activate", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def activate():
    """Set your password with the code of your activation letter (and leave a mobile number)."""
    form = FlaskForm()
    typed = request.form if request.method == "POST" else {"username": request.args.get("u", "")[:64]}
    if request.method == "POST":
        if not form.validate_on_submit():
            return _activation_page(form, typed, _("The form expired; please try again."), "code", 400)
        if typed.get("password") != typed.get("confirm"):
            return _activation_page(form, typed, _("The two passwords differ."), "confirm", 422)
        config = current_app.config
        try:
            user = activation.activate(
                db.session, username=typed.get("username", ""), code=typed.get("code", ""),
                password=typed.get("password", ""), phone=typed.get("phone", ""),
                source=request.remote_addr, policy=logins.Policy.of(config),
                min_length=config["PASSWORD_MIN_LENGTH"], hash_method=config["PASSWORD_METHOD"])
        except DomainError as err:
            db.session.commit()  # keep the count of wrong codes (nothing else was written)
            return _activation_page(form, typed, str(err.message), err.field, err.status)
        db.session.commit()
        flash(_("Your account is ready. Log in with the user name %(name)s and your new password.",
                name=user.username), "success")
        return redirect(url_for("accounts.login", u=user.username))
    return _activation_page(form, typed, None, None, 200)


def _activation_page(form, typed, error: str | None, field: str | None, status: int):
    return render_template("accounts/activate.html", form=form, typed=typed, error=error, field=field,
                           logged_in=current_user.is_authenticated), status


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
