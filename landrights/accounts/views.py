"""Login, logout, language switch, and how requests find their actor (session or bearer token)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from landrights.accounts import services
from landrights.accounts.forms import LoginForm
from landrights.accounts.models import User
from landrights.accounts.permissions import ANONYMOUS, Actor
from landrights.errors import DomainError
from landrights.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)


def init_login(app) -> None:
    """Wire Flask-Login: session users, bearer tokens, and the login page."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def load_token_user(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return services.user_for_token(db.session, header[7:].strip())
        return None


def current_actor() -> Actor:
    """Return the actor of this request (anonymous if nobody is logged in)."""
    return Actor.of(current_user) if current_user.is_authenticated else ANONYMOUS


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the home page."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "//" not in target:
        return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Show the login form and log the user in."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session, form.username.data.strip(), form.password.data,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        except DomainError as err:
            db.session.commit()  # keep the failure count
            flash(str(err.message), "error")
            return render_template("login.html", form=form), err.status
        db.session.commit()
        login_user(user)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out and go to the login page."""
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language (zh or en) in a cookie and go back."""
    response = redirect(safe_next(request.args.get("next")))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


