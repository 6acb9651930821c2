"""What every form post does around its one service call: commit once, or roll back and say why."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, request

from landrights.errors import DomainError, ValidationFailed
from landrights.evidence import EVIDENCE_MAX_BYTES, Upload
from landrights.extensions import db


def run_and_report(action, message: str, back: str):
    """Run a service call and commit; flash what happened. Return (redirect on refusal, result)."""
    try:
        result = action()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")  # people see no field names or rule ids: the message says it
        if err.field:
            flash(err.field, FIELD)  # field_error() shows the message again beside that field
        if err.rule:
            flash(err.rule, RULE)  # kept in the page's data-rule attribute, for machines and tests
        return redirect(back), None
    flash(message, "success")
    return None, result


def attempt(action, message: str | None = None):
    """Run a service call and commit, for a form shown again on a refusal (issue 19): flash what
    happened as run_and_report does, but never redirect, so the view re-renders its form with what
    was typed and the error's status (the flashes are read by that same render: the message at the
    top, field_error() beside its field). Return (the refusal or None, the result)."""
    try:
        result = action()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        for one in getattr(err, "each", None) or [err]:  # Several: every field it names
            flash(str(one.message), "error")
            if one.field:
                flash(one.field, FIELD)
            if one.rule:
                flash(one.rule, RULE)
        return err, None
    if message:
        flash(str(message), "success")  # a lazy message is rendered now, in the user's language
    return None, result


class Several(ValidationFailed):
    """Several fields could not be read at once: each is shown beside its own field."""

    def __init__(self, each: list[DomainError]):
        super().__init__(each[0].message, field=each[0].field, rule=each[0].rule)
        self.each = each


def read_all(readers: dict):
    """Read several form fields, {name: reader}, at once: return {name: value}.

    Raises:
        Several: naming every field that could not be read, not only the first.
    """
    values, refused = {}, []
    for name, read in readers.items():
        try:
            values[name] = read(name)
        except ValidationFailed as err:
            refused.append(err)
    if refused:
        raise Several(refused)
    return values


FIELD = "field"  # flash category naming the field the last error is about
RULE = "rule"  # flash category holding the last error's rule id (data-rule, never shown)


def field_error(name: str):
    """Return the last refusal's message as a paragraph beside the field `name`, if it was about
    that field (a template global; base.html shows every message at the top as well)."""
    from flask import get_flashed_messages
    from markupsafe import Markup, escape

    message, last = None, ""
    for category, text in get_flashed_messages(with_categories=True):  # each field follows its error
        if category == "error":
            last = text
        elif category == FIELD and text == name:
            message = last
    if message is None:
        return ""
    return Markup('<p class="lr-field-error" id="{0}-error" role="alert">{1}</p>').format(
        escape(name), message)


def _flashed(category: str) -> list[str]:
    from flask import get_flashed_messages

    return list(get_flashed_messages(category_filter=[category]))


def uploaded(name: str) -> Upload | None:
    """Return the uploaded file of a form field, or None when none was chosen."""
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    # one byte past the limit is enough to refuse it as too large: never the whole file in memory
    return Upload(file.filename, file.mimetype, file.read(EVIDENCE_MAX_BYTES + 1))


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
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():  # "NaN" and "Infinity" are Decimals too, and compare as errors
        raise ValidationFailed(_("Enter a number, e.g. 1234.50."), field=name) from None
    return number


def form_int(name: str) -> int | None:
    """Read a whole-number field of the posted form, None when blank.

    Raises:
        ValidationFailed: not a whole number, naming the field.
    """
    from flask_babel import gettext as _

    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    if not value.isdecimal() or len(value) > 18:  # isdecimal: what int() reads; 18 digits fit BIGINT
        raise ValidationFailed(_("Enter a whole number."), field=name)
    return int(value)


def form_date(name: str) -> date:
    """Read a YYYY-MM-DD field of the posted form.

    Raises:
        ValidationFailed: not a date, naming the field.
    """
    from flask_babel import gettext as _

    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        raise ValidationFailed(_("Enter a date as YYYY-MM-DD."), field=name) from None


def expired_form(back: str):
    """Return a redirect back with a message when the posted form's CSRF check fails, else None."""
    from flask_babel import gettext as _
    from flask_wtf import FlaskForm

    if FlaskForm().validate_on_submit():
        return None
    flash(_("The form expired; please try again."), "error")
    return redirect(back)
