"""What every form post does around its one service call: commit once, or roll back and say why."""
from __future__ import annotations

from flask import flash, redirect, request

from landrights.errors import DomainError
from landrights.evidence import Upload
from landrights.extensions import db


def run_and_report(action, message: str, back: str):
    """Run a service call and commit; flash what happened. Return (redirect on refusal, result)."""
    try:
        result = action()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        field = f" ({err.field})" if err.field else ""
        rule = f" [{err.rule}]" if err.rule else ""
        flash(f"{err.message}{field}{rule}", "error")
        return redirect(back), None
    flash(message, "success")
    return None, result


def uploaded(name: str) -> Upload | None:
    """Return the uploaded file of a form field, or None when none was chosen."""
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return Upload(file.filename, file.mimetype, file.read())


def expired_form(back: str):
    """Return a redirect back with a message when the posted form's CSRF check fails, else None."""
    from flask_babel import gettext as _
    from flask_wtf import FlaskForm

    if FlaskForm().validate_on_submit():
        return None
    flash(_("The form expired; please try again."), "error")
    return redirect(back)
