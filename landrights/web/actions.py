"""What every form post does around its one service call: read its input through the use case's
schema (the API's), commit once, or roll back and say why beside the fields."""
from __future__ import annotations

import re

from apiflask import Schema
from apiflask.fields import Boolean, File, Integer, List, Nested, String
from flask import flash, redirect, request

from landrights.errors import DomainError, ValidationFailed
from landrights.evidence import EVIDENCE_MAX_BYTES, Upload
from landrights.extensions import db
from landrights.inputs import Code, FileIn, load


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


FIELD = "field"  # flash category naming the field the last error is about
RULE = "rule"  # flash category holding the last error's rule id (data-rule, never shown)


def form_input(schema: type[Schema], **given) -> dict:
    """Load the posted form through a use case's input schema, the one the API loads its JSON
    with (landrights.inputs), so the form refuses what the API refuses, naming the same field.
    Each of the schema's fields is read from the form field of its name: a list from all its
    values, a blank field as one left out, a number, a date or a code without the spaces around
    it, a whole number as one; a nested record's fields from the form fields named as the API
    names them in its errors (parcel_changes.east; a list of records member_changes.0.id_number,
    member_changes.1.id_number …), a record whose fields are all blank, or only boxes ticked, as
    one left out; a multipart file (a File field, as the API reads it too) from the upload of its
    name, none chosen as one left out; a file the API takes as JSON (a Nested FileIn) comes as an
    upload (uploaded()), not here. given: values the page knows itself (the household of its
    address); None or "" leaves one out.

    Raises:
        ValidationFailed: naming the field refused, in the user's words (Several: every field),
            a nested one as the API names it (parcel_changes.east).
    """
    files = [name for name, field in schema().fields.items()
             if isinstance(field, Nested) and isinstance(field.schema, FileIn)]
    return _Fields(request.form).load(schema(exclude=files), given)


def query_input(schema: type[Schema] | Schema, **given) -> dict:
    """Load a page's query string (a form sent with GET: the market's filters) through the schema
    the API loads its query with, each field read as form_input reads it (a blank one left out).
    schema: the class, or an instance that leaves out some of its fields (exclude=...).

    Raises:
        ValidationFailed: naming the field refused, in the user's words (Several: every field).
    """
    return _Fields(request.args).load(schema if isinstance(schema, Schema) else schema(), given)


_BLANK = object()  # a form field left blank: the schema sees it left out


class _Fields:
    """Reads a schema's fields from a form's fields (request.form; request.args for a GET form)."""

    def __init__(self, source):
        self.source = source

    def load(self, loader: Schema, given: dict) -> dict:
        data = self.record(loader.fields, "")
        data.update({name: value for name, value in given.items() if value is not None and value != ""})
        return load(loader, data)

    def record(self, fields: dict, prefix: str) -> dict:
        """Return {name: value} of the fields sent under prefix + their names, blank ones left out."""
        data = {}
        for name, field in fields.items():
            key = field.data_key or name
            value = self.value(prefix + key, field)
            if value is not _BLANK:
                data[key] = value
        return data

    def value(self, key: str, field):
        """Return the form's value of key as the schema's field reads it, or _BLANK."""
        if isinstance(field, File | Nested) or isinstance(getattr(field, "inner", None), Nested):
            return self.compound(key, field)
        if isinstance(field, List):
            values = [_typed(field.inner, v) for v in self.source.getlist(key)]
            return [v for v in values if v != ""] or _BLANK
        value = _typed(field, self.source.get(key, ""))
        return _BLANK if value == "" else value

    def compound(self, key: str, field):
        """Return an upload, a nested record or a list of them, or _BLANK."""
        if isinstance(field, File):  # the upload itself, as the API's form_and_files passes it
            file = request.files.get(key)
            return file if file is not None and file.filename else _BLANK
        if isinstance(field, Nested):
            return self.nested(key, field.schema)
        return self.nested_list(key, field.inner.schema)

    def nested(self, key: str, schema: Schema):
        """Return the record sent as key.<field> …, or _BLANK when it has nothing but boxes ticked
        (a box ticked by default does not make a record)."""
        values = self.record(schema.fields, f"{key}.")
        boxes = {f.data_key or name for name, f in schema.fields.items() if isinstance(f, Boolean)}
        return values if set(values) - boxes else _BLANK

    def nested_list(self, key: str, schema: Schema):
        """Return the records sent as key.0.<field>, key.1.<field> … in order, blank ones left out."""
        sent = re.compile(rf"{re.escape(key)}\.(\d+)\.")
        indexes = sorted({int(found[1]) for name in self.source if (found := sent.match(name))})
        records = [self.nested(f"{key}.{index}", schema) for index in indexes]
        return [record for record in records if record is not _BLANK] or _BLANK


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
