"""The county administrator's account pages: find accounts, open one (its facts, its role and area
to edit, its history), create one, create township officers and clerks from a CSV file, deactivate
and reactivate, lift a login lock, print an activation letter.
Pages of the accounts blueprint (added by accounts.views)."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights import clock
from landrights.accounts import activation, admin, changes, letters, linking, queries, rules, services
from landrights.accounts import login as logins
from landrights.accounts.current import current_actor
from landrights.accounts.inputs import AccountEdit, AccountIn, ActiveIn
from landrights.accounts.models import ROLES
from landrights.accounts.permissions import is_household_account, require_administer_accounts
from landrights.errors import DomainError
from landrights.extensions import db
from landrights.routing import Routes
from landrights.web.actions import attempt, expired_form, form_input, run_and_report
from landrights.web.security import safe_next

PAGE = 50

pages = Routes()


@pages.get("/accounts")
@login_required
def accounts():
    """List the accounts the county administrator manages (found by name or code), with any lock."""
    q = (request.args.get("q") or "").replace("\x00", "").strip()[:64]
    role = request.args.get("role") or None
    offset = max(request.args.get("offset", 0, type=int), 0)
    page = admin.list_accounts(db.session, current_actor(), q=q or None, role=role, limit=PAGE,
                               offset=offset)
    locks = logins.locked_names(db.session, [u.username for u in page.items])
    return render_template("accounts.html", page=page, users=page.items, locks=locks, roles=ROLES,
                           form=FlaskForm(), q=q, role=role, admin_roles=admin.ADMIN_ROLES,
                           people=linking.linked_people(db.session, page.items))


@pages.get("/accounts/users/<username>")
@login_required
def account(username: str):
    """Show one account: its facts, its role and area to change, its letter and its history."""
    return _account_page(username, {}, 200)


def _account_page(username: str, typed, status: int):
    actor = current_actor()
    user = services.administered(db.session, actor, username)
    locked = logins.locked_names(db.session, [user.username]).get(user.username.lower())
    letter = queries.latest_letters(db.session, [user.id]).get(user.id)
    return render_template(
        "accounts/account.html", user=user, roles=ROLES, form=FlaskForm(), typed=typed,
        area=changes.area_of(user), history=changes.history(db.session, user), locked=locked,
        state=_state(user, locked), letter=letter,
        letter_state=queries.letter_state(letter, clock.now()), own=user.id == actor.user_id,
        grantable=[r for r in admin.ADMIN_ROLES if r != "farmer" or is_household_account(user)],
        person=linking.linked_people(db.session, [user]).get(user.id)), status


def _state(user, locked) -> str:
    return rules.account_state(is_active=user.is_active, password_hash=user.password_hash,
                               locked=bool(locked))


@pages.post("/accounts/users/<username>")
@login_required
def edit_account(username: str):
    """Change an account's role and area; refused, the page shows the error beside its field."""
    if (refused := expired_form(url_for("accounts.account", username=username))) is not None:
        return refused
    err, _user = attempt(lambda: admin.edit_account(db.session, current_actor(), username,
                                                    **form_input(AccountEdit)),
                         _("The role and area of %(name)s are saved.", name=username))
    if err is not None:
        return _account_page(username, request.form, err.status)
    return redirect(url_for("accounts.account", username=username))


@pages.route("/accounts/new", methods=["GET", "POST"])
@login_required
def new_account():
    """Create an account (no password: its activation letter is printed next, on its page)."""
    require_administer_accounts(current_actor())
    status = 200
    if request.method == "POST":
        if (refused := expired_form(url_for("accounts.new_account"))) is not None:
            return refused
        err, user = attempt(lambda: admin.create_account(db.session, current_actor(),
                                                         **form_input(AccountIn)),
                            _("The account %(name)s is created. Print its activation letter and hand it "
                              "over.", name=request.form.get("username", "").strip()))
        if err is None:
            return redirect(url_for("accounts.account", username=user.username))
        status = err.status
    return render_template("accounts/new.html", form=FlaskForm(), typed=request.form, roles=ROLES,
                           admin_roles=admin.ADMIN_ROLES), status


@pages.route("/accounts/import", methods=["GET", "POST"])
@login_required
def import_accounts():
    """Create township officers and clerks from a CSV file and show what became of each row."""
    require_administer_accounts(current_actor())
    results, status = None, 200
    if request.method == "POST":
        if (refused := expired_form(url_for("accounts.import_accounts"))) is not None:
            return refused
        upload = request.files.get("file")
        data = upload.read(2 * 2**20 + 1) if upload and upload.filename else b""
        err, results = attempt(lambda: admin.import_accounts(db.session, current_actor(), data))
        status = err.status if err is not None else 200
    return render_template("accounts/import.html", form=FlaskForm(), results=results,
                           columns=admin.FILE_COLUMNS, labels=admin.COLUMN_LABELS,
                           created=[r.username for r in results or [] if r.created]), status


@pages.get("/accounts/import/template.csv")
@login_required
def import_template():
    """Download the accounts file template (UTF-8 with BOM, opens in Excel)."""
    require_administer_accounts(current_actor())
    return Response(admin.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="accounts-template.csv"'})


def _back(default: str) -> str:
    """Return where a form posted from (its `back` field, a path on this site) or the default."""
    return safe_next(request.form.get("back"), default)


def _post(action, message: str):
    back = _back(url_for("accounts.accounts"))
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(action, message, back)
    return failed or redirect(back)


@pages.post("/accounts/<username>/unlock")
@login_required
def unlock(username: str):
    """Lift the failed-login and failed-activation locks on an account."""
    return _post(lambda: services.unlock_login(db.session, current_actor(), username),
                 _("The lock on %(name)s is lifted.", name=username))


@pages.post("/accounts/<username>/active")
@login_required
def set_active(username: str):
    """Deactivate (ending its sessions and tokens) or reactivate an account."""
    back = _back(url_for("accounts.accounts"))
    if (refused := expired_form(back)) is not None:
        return refused
    try:
        active = form_input(ActiveIn)["active"]  # a forged value is refused, never read as "off"
    except DomainError as err:
        return refusal(err, back)
    failed, _result = run_and_report(
        lambda: services.set_active(db.session, current_actor(), username, active),
        _("%(name)s can log in again.", name=username) if active
        else _("%(name)s is deactivated and logged out everywhere.", name=username), back)
    return failed or redirect(back)


@pages.post("/accounts/<username>/letter")
@login_required
def letter(username: str):
    """Print a new activation letter for one account (the code of any earlier one is void)."""
    back = _back(url_for("accounts.account", username=username))
    if (refused := expired_form(back)) is not None:
        return refused
    config = current_app.config
    try:
        issued = activation.issue_letter(db.session, current_actor(), username,
                                         days=config["ACTIVATION_DAYS"],
                                         hash_method=config["ACTIVATION_HASH_METHOD"])
    except DomainError as err:
        return refusal(err, back)
    return letters_response([issued], username)


@pages.post("/accounts/letters")
@login_required
def letters_for():
    """Print the activation letters of several accounts (those a file created) as one PDF."""
    back = url_for("accounts.import_accounts")
    if (refused := expired_form(back)) is not None:
        return refused
    config = current_app.config
    try:
        issued = activation.issue_letters(db.session, current_actor(), request.form.getlist("username"),
                                          days=config["ACTIVATION_DAYS"],
                                          hash_method=config["ACTIVATION_HASH_METHOD"])
    except DomainError as err:
        return refusal(err, back)
    return letters_response(issued, "accounts")


def refusal(err: DomainError, back: str):
    """Undo the request's work, say why, and go back."""
    db.session.rollback()
    flash(str(err.message), "error")
    return redirect(back)


def letters_response(issued: list, what: str) -> Response:
    """Commit the letters' codes and answer their PDF as a download."""
    config = current_app.config
    pdf = letters.letters_pdf(issued, base_url=config["PUBLIC_BASE_URL"],
                              min_length=config["PASSWORD_MIN_LENGTH"])
    db.session.commit()  # after printing: a failed print leaves no code nobody has seen
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{letters.filename(issued, what)}"',
        "Cache-Control": "no-store"})


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
