"""What every form post does around its one service call: commit once, or roll back and say why."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, request

from landrights.errors import DomainError, ValidationFailed
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


def form_decimal(name: str, source=None) -> Decimal | None:
    """Read a decimal field (request.form by default), None when blank.

    Raises:
        ValidationFailed: not a number, naming the field.
    """
    from flask_babel import gettext as _

    value = ((source if source is not None else request.form).get(name) or "").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValidationFailed(_("%(field)s must be a number.", field=name), field=name) from None


def form_date(name: str) -> date:
    """Read a YYYY-MM-DD field of the posted form.

    Raises:
        ValidationFailed: not a date, naming the field.
    """
    from flask_babel import gettext as _

    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        raise ValidationFailed(_("%(field)s must be a date (YYYY-MM-DD).", field=name), field=name) from None


def expired_form(back: str):
    """Return a redirect back with a message when the posted form's CSRF check fails, else None."""
    from flask_babel import gettext as _
    from flask_wtf import FlaskForm

    if FlaskForm().validate_on_submit():
        return None
    flash(_("The form expired; please try again."), "error")
    return redirect(back)
