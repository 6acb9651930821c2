"""Input contracts: the marshmallow fields every use case's input schema is built from, and the one
way input is loaded through such a schema outside the API.

A use case has one input schema (``<domain>/inputs.py``). The JSON API loads a request's body
through it (APIFlask's ``bp.input``); a page loads its posted form through the same schema
(``landrights.web.actions.form_input``, which calls ``load`` here). So a value the API refuses, the
form refuses too, naming the same field; marshmallow's English messages are said in the user's
words by ``words``, for both.
"""
from __future__ import annotations

import dataclasses
import re
from decimal import Decimal as Decimal_

from apiflask import Schema
from apiflask.fields import Decimal, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Regexp
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from landrights import ranges
from landrights.errors import Several, ValidationFailed
from landrights.patterns import ID_NUMBER_MAX, Shape


class Whole(Integer):
    """A whole number as JSON Schema has it: 3 or 3.0, never 3.5, "3" or true."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class Amount(Decimal):
    """A decimal amount in the range of a Span, checked as sent and then rounded to its places (a
    Decimal field would round first: 100000.004 passed as 100000.00 under a maximum of 100000). The
    least amount is the smallest the places keep (0.01 for yuan), as the document states."""

    def __init__(self, span: ranges.Span, places: int = 2, **kwargs):
        self.span = span
        low = span.low + Decimal_(1).scaleb(-places) if span.above else span.low
        sent = dataclasses.replace(span, low=low, above=False, places=None)
        super().__init__(places=places, as_string=True, validate=sent.validate, **kwargs)

    def _format_num(self, value):
        return Decimal_(str(value))  # not rounded yet: the range sees the number as sent

    def deserialize(self, value, attr=None, data=None, **kwargs):
        number = super().deserialize(value, attr, data, **kwargs)
        if not isinstance(number, Decimal_):  # None, or missing
            return number
        return number.quantize(self.places, rounding=self.rounding)


class Code(Regexp):
    """A code of one shape (landrights.patterns): its pattern in the OpenAPI document, the whole
    text matched (no trailing newline), and its own words when refused."""

    def __init__(self, shape: Shape):
        super().__init__(shape.anchored)
        self.shape = shape

    def __call__(self, value):
        if not self.shape.matches(value):
            raise ValidationError(str(self.shape.message))
        return value


_BETWEEN_CODES = re.compile(r"[\s,，、;；]+")  # spaces, line breaks, commas, 、 and semicolons


class Codes(List):
    """A list of codes of one shape, each checked as Code checks it (the OpenAPI document: an array
    of strings of that pattern). A text of codes separated by spaces, line breaks, commas, 、 or
    semicolons, as a form's one box sends them, is read as that list, as is such a text in the
    list; so the page and the API take the same codes."""

    def __init__(self, shape: Shape, **kwargs):
        super().__init__(String(validate=Code(shape)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            value = [code for item in value for code in _split(item) if code != ""]
        return super()._deserialize(value, attr, data, **kwargs)


def _split(item) -> list:
    return _BETWEEN_CODES.split(item.strip()) if isinstance(item, str) else [item]


def one_of(choices) -> OneOf:
    """Validate a value against an enumeration the models define (the one list of its values)."""
    return OneOf(list(choices))


ID_NUMBER = Length(min=1, max=ID_NUMBER_MAX)  # an identity document's number (R4.26)


class FileIn(Schema):
    name = String(required=True, validate=Length(min=1, max=200))
    content_type = String(required=True, validate=OneOf(["application/pdf", "image/jpeg", "image/png"]))
    data_base64 = String(required=True)


# marshmallow's messages, said in the user's words (the API's error JSON and the forms)
_FIXED = {
    "Missing data for required field.": lambda: _("This field is required."),
    "Field may not be null.": lambda: _("This field is required."),
    "Not a valid integer.": lambda: _("Enter a whole number."),
    "Not a valid number.": lambda: _("Enter a number."),
    "Special numeric values (nan or infinity) are not permitted.": lambda: _("Enter a number."),
    "Not a valid string.": lambda: _("Enter text."),
    "String does not match expected pattern.": lambda: _("The value does not have the required "
                                                         "format."),
    "Unknown field.": lambda: _("Unknown field."),
    "Not a valid datetime.": lambda: _("Enter a date and time (ISO 8601)."),
    "Not a valid date.": lambda: _("Enter a date as YYYY-MM-DD."),
    "Not a valid boolean.": lambda: _("Choose yes or no."),
}
_TEMPLATES = (
    (re.compile(r"Must be one of: .*\.", re.S), lambda m: _("Choose one of the values offered.")),
    (re.compile(r"Shorter than minimum length 1\."), lambda m: _("This field is required.")),
    (re.compile(r"Shorter than minimum length (\d+)\."),
     lambda m: _("Enter at least %(n)s characters.", n=m[1])),
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda m: _("Enter at most %(n)s characters.", n=m[1])),
    (re.compile(r"Length must be between (\d+) and (\d+)\."),
     lambda m: _("Enter from %(low)s to %(high)s characters.", low=m[1], high=m[2])),
    (re.compile(r"Length must be (\d+)\."), lambda m: _("Enter exactly %(n)s characters.", n=m[1])),
)


def words(raw) -> str:
    """Return marshmallow's message in the user's words (a message of our own, e.g. a range's or
    a code's, is already in them)."""
    text = str(raw)
    if text in _FIXED:
        return _FIXED[text]()
    for pattern, say in _TEMPLATES:
        if (found := pattern.fullmatch(text)) is not None:
            return say(found)
    return text


def items(low: int = 1, high: int | None = None) -> list[Length]:
    """Validate how many items a list holds, saying it in the words of a choice (marshmallow's
    Length speaks of characters); the OpenAPI document gets minItems and maxItems."""
    least = Length(min=low, error=_l("Choose at least one.") if low == 1 else _l("Choose at least {min}."))
    return [least] if high is None else [least, Length(max=high, error=_l("Choose at most {max}."))]


def _leaf(node) -> str:
    """Return the first message of a field's errors (a list, or a dict keyed by item or subfield)."""
    while isinstance(node, dict) and node:
        node = next(iter(node.values()))
    return node[0] if isinstance(node, list) and node else str(node)


def _record_of(field):
    """Return the schema of a nested record (a Nested field, or a List of them), else None."""
    inner = field.inner if isinstance(field, List) else field
    return inner.schema if isinstance(inner, Nested) else None


def _faults(schema: Schema | None, key, node):
    """Yield (field, first message) of each field at fault under key: a field of a nested record
    named as the API names it (parcel_changes.east, member_changes.0.id_number), a list of values
    as one field."""
    field = schema.fields.get(key) if schema is not None else None
    record = _record_of(field) if field is not None else None
    if record is None or not isinstance(node, dict):
        yield (None if key == "_schema" else key), _leaf(node)
        return
    items = node.items() if isinstance(field, List) else [(None, node)]
    for index, each in items:
        yield from _record_faults(record, key if index is None else f"{key}.{index}", each)


def _record_faults(record: Schema, name: str, node):
    """Yield (field, first message) of each field at fault in one nested record named name."""
    if not isinstance(node, dict):  # not a record at all
        yield name, _leaf(node)
        return
    for key, inner in node.items():
        for found, message in _faults(record, key, inner):
            yield (f"{name}.{found}" if found else name), message


def refusal(schema: Schema, messages: dict) -> ValidationFailed:
    """Turn marshmallow's errors, keyed by field, into the refusal a form shows beside each field."""
    each = [ValidationFailed(words(message), field=named)
            for key, node in messages.items() for named, message in _faults(schema, key, node)]
    return each[0] if len(each) == 1 else Several(each)


def load(schema: Schema, data: dict) -> dict:
    """Load input through a use case's schema, as the API loads its JSON.

    Raises:
        ValidationFailed: one field refused (Several: each field refused), in the user's words.
    """
    try:
        return schema.load(data)
    except ValidationError as err:
        raise refusal(schema, err.messages) from None
