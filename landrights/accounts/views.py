"""Login, logout, password change, language switch, and how requests find their actor: a login
session named by the cookie, or a bearer token in the Authorization header (never both)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from landrights.accounts import admin_views, letter_views, services
from landrights.accounts import login as logins
from landrights.accounts.current import current_actor
from landrights.accounts.forms import LoginForm, PasswordChangeForm
from landrights.errors import DomainError
from landrights.extensions import db, limiter, login_manager
from landrights.web.security import safe_next

bp = Blueprint("accounts", __name__)

__all__ = ["bp", "current_actor", "init_login", "safe_next"]


def init_login(app) -> None:
    """Wire Flask-Login: login sessions, bearer tokens, and the login page."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_session_user(session_id: str):
        # a request with an Authorization header is authenticated by that header alone: a junk
        # or revoked token must not fall back to the browser's cookie (and skip its CSRF check)
        if "Authorization" in request.headers:
            return None
        return logins.resume_session(db.session, session_id,
                                     policy=logins.Policy.of(current_app.config))

    @login_manager.request_loader
    def load_token_user(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return services.user_for_token(db.session, header[7:].strip())
        return None

    @app.before_request
    def resolve_login():
        """Find the login before the view runs and commit the session's last-seen time now,
        before the view writes anything (a view that only reads rolls back at the end)."""
        if request.endpoint != "static" and "_user_id" in cookie_session \
                and current_user.is_authenticated:
            db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Show the login form and log the user in."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = logins.authenticate(db.session, form.username.data, form.password.data,
                                       source=request.remote_addr,
                                       policy=logins.Policy.of(current_app.config))
        except DomainError as err:
            db.session.commit()  # keep the failure count
            logins.forget_old_failures(db.session)
            db.session.commit()
            flash(str(err.message), "error")
            return render_template("login.html", form=form), err.status
        cookie_session.clear()  # nothing from before the login (say, a planted CSRF token) stays
        logins.start_session(db.session, user, source=request.remote_addr,
                             user_agent=request.user_agent.string)
        db.session.commit()
        login_user(user)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(safe_next(request.args.get("next")))
    if request.method == "GET" and request.args.get("u"):  # after activation: the user name filled in
        form.username.data = request.args["u"][:64]
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """End the login session on the server, forget the cookie, and go to the login page."""
    token = getattr(current_user, "login_token", None)
    if token:
        logins.end_session(db.session, token)
        db.session.commit()
    logout_user()
    cookie_session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your own password; your other login sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            ended = services.change_own_password(
                db.session, current_actor(), current=form.current_password.data,
                new=form.new_password.data, keep_session=getattr(current_user, "login_token", None),
                hash_method=current_app.config["PASSWORD_METHOD"],
                min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        except DomainError as err:
            db.session.rollback()
            flash(str(err.message), "error")
            return render_template("password.html", form=form), err.status
        db.session.commit()
        flash(_("Your password is changed. Other devices logged in with it are logged out "
                "(%(n)s).", n=ended), "success")
        return redirect(url_for("web.home"))
    return render_template("password.html", form=form), 400 if form.errors else 200


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language (zh or en) in a cookie and go back."""
    response = redirect(safe_next(request.args.get("next")))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


for _pages in (admin_views, letter_views):  # administration and activation letters, on this blueprint
    _pages.add_routes(bp)
