"""The account administration's input contracts, loaded by the JSON API (landrights.api.accounts) and by
the pages (web.actions.form_input) through the same schema, so both refuse the same input naming the
same field."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, String
from apiflask.validators import Length

from landrights import patterns, ranges
from landrights.accounts.admin import ADMIN_ROLES
from landrights.inputs import Code, one_of


class AccountIn(Schema):
    username = String(required=True, validate=Code(patterns.USERNAME))
    display_name = String(required=True, validate=[Length(min=1, max=100), ranges.not_blank])
    role = String(required=True, validate=one_of(ADMIN_ROLES))
    area_code = String(required=True, validate=Code(patterns.AREA), metadata={
        "description": "county 6 digits, township 9, collective 14, household 18, as the role needs"})


class AccountEdit(Schema):
    role = String(required=True, validate=one_of(ADMIN_ROLES))
    area_code = String(required=True, validate=Code(patterns.AREA))


class LettersQuery(Schema):
    """A collective's activation letters: the API's query (POST /collectives/<code>/letters?renew=)
    and the page's box."""

    renew = Boolean(load_default=False, metadata={
        "description": "also new letters for the accounts not yet activated (their old codes void)"})


class ActiveIn(Schema):
    """The account page's one switch (a page only: the API's twins are its two paths, .../deactivation
    and .../reactivation, without a body)."""

    active = Boolean(required=True, metadata={"description": "false: deactivate; true: reactivate"})
