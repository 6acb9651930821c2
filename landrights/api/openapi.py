"""What every operation of /api/v1 accepts and answers beyond its own decorators (issue 17, section 4).

Each route states its body, query, output and the statuses its rules give (@api.input, @api.output,
@api.doc(responses=...)). What holds for all of them is stated here, once, so the document and the
code cannot drift:

* every whole number in a URL is a row id, 1 to 2^63 - 1 (a BIGINT): the app's ``int`` converter
  refuses a larger one (404, as for any id that names nothing), never letting it reach the database;
* an operation needs an account (bearer token; 401 without one) unless its view is marked
  ``public``;
* a JSON body may be malformed (400) or larger than the limit (413); a body with required fields is
  itself required;
* every error is ``{"error": {"code", "message", "field", "rule"?, "in"?}}`` (schemas.Error): "in"
  when the value broke what this document states, none when a rule of the registry refused it;
* a method a path does not list answers 405 with ``Allow`` (landrights.web.errors).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from apispec import BasePlugin
from marshmallow import fields
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from landrights import ranges

ROW_ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": ranges.ROW_ID_MAX}
# at least one character that is not a space as str.isspace() has it (ranges.not_blank), spelled out:
# JSON Schema's \s (ECMA-262) leaves out \x1c-\x1f and \x85 and takes in \ufeff
NOT_BLANK = r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_BODY_STATUSES = {"400": "The body is not valid JSON (or not a form, for an upload)",
                  "413": "The body is larger than the limit"}
_UNAUTHENTICATED = "No account: send an API token (Authorization: Bearer ...)"


class RowIdConverter(IntegerConverter):
    """``<int:...>`` bounded to a BIGINT row id: a larger number names no record (404) instead of
    overflowing a query. Not werkzeug's max=: a number it refuses lets another method's rule of the
    same path answer 405."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if abs(number) > ranges.ROW_ID_MAX:
            raise NotFound()
        return number


def public(view):
    """Mark an API view as answering without an account (no security requirement, no 401)."""
    view.public = True
    return view


def init_app(app) -> None:
    """Bound URL integers app-wide and complete the OpenAPI document of /api/v1."""
    from landrights.api import schemas

    app.url_map.converters["int"] = RowIdConverter
    app.spec_plugins.append(_SpanPlugin(app))
    app.config["HTTP_ERROR_SCHEMA"] = schemas.Error
    app.config["VALIDATION_ERROR_SCHEMA"] = schemas.Error
    app.config["VALIDATION_ERROR_DESCRIPTION"] = "A value is missing, malformed or out of range, or a rule " \
                                                 "refused it: the error names the field (and the rule)"
    app.spec_processor(lambda spec: complete(app, spec))


class _SpanPlugin(BasePlugin):
    """Teach the marshmallow converter the ranges of landrights.ranges, so a field validated by a
    Span states its bounds, and a decimal sent as text says so."""

    def __init__(self, app):
        self.app = app

    def init_spec(self, spec) -> None:
        from apiflask.openapi_adapters import openapi_helper

        # bodies go through the app's converter, query parameters through APIFlask's own
        for converter in (self.app._ma_plugin.converter, openapi_helper.get_marshmallow_plugin().converter):
            known = [getattr(f, "__func__", None) for f in converter.attribute_functions]
            if span_attributes not in known:
                converter.add_attribute_function(span_attributes)


def span_attributes(converter, field, ret, **kwargs) -> dict:
    """Return the OpenAPI attributes of a field's Span validators (and of a decimal as text)."""
    extra = {}
    if isinstance(field, fields.Decimal) and field.as_string and not field.validators:  # an answer
        extra.update(type=["string", "null"] if field.allow_none else "string", format="decimal")
    for validator in field.validators:
        span = getattr(field, "span", None) or getattr(validator, "__self__", None)  # schemas.Amount's own
        if isinstance(span, ranges.Span):
            extra.update(_bounds(span, numeric=isinstance(field, fields.Number)))
        elif validator is ranges.not_blank:
            extra["pattern"] = NOT_BLANK
    return extra


def _bounds(span: ranges.Span, *, numeric: bool) -> dict:
    low, high = span.low, span.upper()
    if not numeric:  # a date: JSON Schema has no date bounds; stated for readers and generators
        text = {"x-minimum": low.isoformat() if isinstance(low, date) else low}
        return {**text, "x-maximum": "today" if span.past else span.high.isoformat()}
    number = (lambda v: int(v) if v == int(v) else float(v)) if isinstance(low, Decimal | int) else float
    bounds = {"maximum": number(high)}
    if span.year:
        bounds["description"] = f"{low} to next year"
    if span.above and span.places is not None:  # the least amount the column keeps
        return {**bounds, "minimum": number(low + Decimal(1).scaleb(-span.places))}
    if span.above:
        return {**bounds, "exclusiveMinimum": number(low)}
    return {**bounds, "minimum": number(low)}


def _operations(app):
    """Yield (rule, method, view) for every operation of the API blueprint."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.spec":
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method.lower(), view


def _path(rule) -> str:
    return re.sub(r"<([^<:]+:)?", "{", rule.rule).replace(">", "}")


def complete(app, spec: dict) -> dict:
    """Add to each API operation what holds for all: bounds, security, body statuses."""
    spec["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for rule, method, view in _operations(app):
        operation = spec["paths"].get(_path(rule), {}).get(method)
        if operation is None:
            continue
        _bound_ids(rule, operation)
        _security(view, operation)
        _body(spec, view, operation)
    return spec


def _bound_ids(rule, operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        converter = rule._converters.get(parameter["name"])
        if parameter["in"] == "path" and isinstance(converter, IntegerConverter):
            parameter["schema"] = dict(ROW_ID)


def _error(spec_responses: dict, status: str, description: str) -> None:
    spec_responses.setdefault(status, {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})


def _security(view, operation: dict) -> None:
    if getattr(view, "public", False):
        operation["security"] = []
        operation["responses"].pop("401", None)
        return
    operation["security"] = [{"bearer": []}]
    _error(operation["responses"], "401", _UNAUTHENTICATED)


def _body(spec: dict, view, operation: dict) -> None:
    body = operation.get("requestBody")
    if not body:
        return
    for media in body["content"].values():
        ref = media["schema"].get("$ref", "")
        target = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], media["schema"])
        if target.get("required"):
            body["required"] = True
    for status, description in _BODY_STATUSES.items():
        _error(operation["responses"], status, description)
