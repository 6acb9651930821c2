"""What every form post does around its one service call: read its input through the use case's
schema (the API's), commit once, or roll back and say why beside the fields."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from apiflask import Schema
from apiflask.fields import Integer, List, Nested, String
from flask import flash, redirect, request

from landrights.errors import DomainError, Several, ValidationFailed
from landrights.evidence import EVIDENCE_MAX_BYTES, Upload
from landrights.extensions import db
from landrights.inputs import Code, load


def run_and_report(action, message: str, back: str):
    """Run a service call and commit; flash what happened. Return (redirect on refusal, result)."""
    try:
        result = db.commits(action)()
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
        result = db.commits(action)()
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


def form_input(schema: type[Schema], **given) -> dict:
    """Load the posted form through a use case's input schema, the one the API loads its JSON
    with (landrights.inputs), so the form refuses what the API refuses, naming the same field.
    Each of the schema's fields is read from the form field of its name: a list from all its
    values, a blank field as one left out, a number, a date or a code without the spaces around
    it, a whole number as one; a file comes as an upload (uploaded()), not here. given: values
    the page knows itself (the household of its address); None or "" leaves one out.

    Raises:
        ValidationFailed: naming the field refused, in the user's words (Several: every field).
    """
    files = [name for name, field in schema().fields.items() if isinstance(field, Nested)]
    loader = schema(exclude=files)
    data = {}
    for name, field in loader.fields.items():
        data.update(_posted(field.data_key or name, field))
    data.update({name: value for name, value in given.items() if value is not None and value != ""})
    return load(loader, data)


def _posted(key: str, field) -> dict:
    """Return {key: the form's value as the schema's field reads it}, or {} when left blank."""
    if isinstance(field, List):
        values = [_typed(field.inner, v) for v in request.form.getlist(key)]
        values = [v for v in values if v != ""]
        return {key: values} if values else {}
    value = _typed(field, request.form.get(key, ""))
    return {} if value == "" else {key: value}


def _typed(field, value: str):
    if isinstance(field, String) and not any(isinstance(v, Code) for v in field.validators):
        return value  # text as typed: the schema and the service judge its spaces
    value = value.strip()
    if isinstance(field, Integer) and value.isascii() and value.isdecimal():
        return int(value)  # a form sends text; JSON sends the number (the schema's Whole is strict)
    return value


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


def expired_form(back: str):
    """Return a redirect back with a message when the posted form's CSRF check fails, else None."""
    from flask_babel import gettext as _
    from flask_wtf import FlaskForm

    if FlaskForm().validate_on_submit():
        return None
    flash(_("The form expired; please try again."), "error")
    return redirect(back)
