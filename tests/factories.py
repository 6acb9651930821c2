"""Builders that tests of several folders share (issue 21 §7): a test module imports them from here,
never from another test module, so a test file can move or change without breaking another folder.
Fixtures stay in conftest.py files; the demo village's households and people stay with the
conftest of the domain that names them (tests/market/conftest.py, tests/certification/conftest.py)."""
from __future__ import annotations

import math
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.permissions import ANONYMOUS, SYSTEM, Actor
from landrights.market import services as market
from landrights.registry.rules import id_check_char
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder, parcels_of

# --- rows written with raw SQL (the database's own rules, tests/db) -------------------------------

COLLECTIVE = "22042110120101"  # demo: 永安村一组
FAR = (125.30, 42.60)  # a free spot away from the demo village
PARCEL_SQL = ("INSERT INTO parcels (county_code, code, collective_code, version, geom, status) "
              "VALUES (:county, :code, :collective, 1, ST_GeomFromEWKT(:geom), 'surveyed')")


def refused(session, sql: str, **params) -> tuple[str, str | None]:
    """Run sql in a savepoint; return (SQLSTATE, constraint name) of its refusal."""
    with pytest.raises(DBAPIError) as info:
        with session.begin_nested():
            session.execute(sa.text(sql), params)
    return info.value.orig.sqlstate, info.value.orig.diag.constraint_name


def square(x0: float, y0: float, size_deg: float = 0.001) -> str:
    """Return an EWKT MultiPolygon square in EPSG:4490 with its south-west corner at (x0, y0)."""
    x1, y1 = x0 + size_deg, y0 + size_deg
    return f"SRID=4490;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def id_number(body17: str) -> str:
    """Return an 18-character ID card number with its GB 11643 check character."""
    return body17 + id_check_char(body17)


def insert_parcel(session, code: str, geom: str, collective: str = COLLECTIVE):
    """Insert a surveyed parcel with raw SQL (no service)."""
    session.execute(sa.text(PARCEL_SQL), {"county": code[:6], "code": code,
                                          "collective": collective, "geom": geom})


# --- the API ---------------------------------------------------------------------------------------

def bearer(session, username):
    """Return the Authorization header of a fresh API token for a user."""
    return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, username)}


# --- maps ------------------------------------------------------------------------------------------

def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """Return the (z, x, y) of the web-mercator tile holding a point."""
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def parcel_tile(session, code: str, z: int) -> str:
    """Return "z/x/y" of the tile holding a point of a live parcel."""
    lon, lat = session.execute(sa.text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM parcels "
        "WHERE code = :c AND valid_to IS NULL) s"), {"c": code}).one()
    return "/".join(map(str, tile_of(lon, lat, z)))


# --- the market ------------------------------------------------------------------------------------

COUNTY = Actor(role="county_admin", user_id=None, name="县", county_code="220421")
LICENCE_ADDRESS = "吉林省长春市绿园区西新镇开发区大街88号"


def make_listing(session, actor=None, **kw):
    """List two of the demo household's parcels for 2027-2028 (override any create_listing argument)."""
    args = {"household_code": HOUSEHOLD, "parcel_codes": parcels_of(session, HOUSEHOLD)[:2], "mode": "lease",
            "term_start": date(2027, 1, 1), "term_end": date(2028, 12, 31), "reserve_price": Decimal("500"),
            "payment_schedule": "每年1月15日前付清当年租金", "land_use": "grain"} | kw
    return market.create_listing(session, actor or farmer_of(HOUSEHOLD), **args)


def pay_deposit(session, officer, listing, bidder):
    """Record a bidder's 2,000 yuan deposit on a listing."""
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=bidder.transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 001")


def approved_company(session):
    """Return a company bidder (agri_co) whose social-capital review the county approved (R1.28)."""
    company = make_bidder(session, "agri_co", "company")
    market.review_capital(session, COUNTY, transferee_id=company.transferee_id, county_code="220421",
                          approved=True, max_area_mu=Decimal(100), qualification="营业执照",
                          project="粮食种植", risk_measures="风险保障金",
                          valid_until=clock.today() + timedelta(days=400))
    return company


# --- the roles of the permission matrices (tests/<domain>/test_permissions.py) ---------------------
# Each matrix acts on the demo farmer's household (group 01 of 永安村, 大阳镇 220421101, county 220421)
# and asks every check of its domain as each of these, against a table of who may.

MATRIX_HOUSEHOLD = "220421101201010001"  # the demo farmer's (杨春林)
MATRIX_COLLECTIVE, MATRIX_COUNTY = MATRIX_HOUSEHOLD[:14], MATRIX_HOUSEHOLD[:6]
MATRIX_ACTORS = {
    "anonymous": ANONYMOUS,
    "farmer": Actor(role="farmer", user_id=1, household_code=MATRIX_HOUSEHOLD),  # the household's own
    "other_farmer": Actor(role="farmer", user_id=2, household_code="220421101201010002"),  # a neighbour
    # a household of group 02 whose member settled in a town: settling changes no right (R1.10)
    "migrant": Actor(role="farmer", user_id=3, household_code="220421101201020006"),
    "clerk": Actor(role="collective_clerk", user_id=4, collective_code=MATRIX_COLLECTIVE),
    "other_clerk": Actor(role="collective_clerk", user_id=5, collective_code="22042110120102"),
    "transferee": Actor(role="transferee", user_id=6),
    "officer": Actor(role="township_officer", user_id=7, township_code="220421101"),
    "other_officer": Actor(role="township_officer", user_id=8, township_code="220421102"),
    "county": Actor(role="county_admin", user_id=9, county_code=MATRIX_COUNTY),
    "other_county": Actor(role="county_admin", user_id=10, county_code="220422"),
    "system": SYSTEM,
}
EVERY_ROLE = frozenset(MATRIX_ACTORS)
OFFICIALS = frozenset({"clerk", "other_clerk", "officer", "other_officer", "county", "other_county",
                       "system"})


def matrix_cases(table: dict) -> list[tuple[str, str]]:
    """Return (act, role) pairs of a matrix: every role for every act of the table."""
    return [(act, role) for act in table for role in MATRIX_ACTORS]


def checks_of(module, prefix: str = "can_") -> set[str]:
    """Return the acts a permissions module names with prefix (can_list_land -> list_land)."""
    return {name.removeprefix(prefix) for name, value in vars(module).items()
            if name.startswith(prefix) and callable(value) and value.__module__ == module.__name__}


# --- one input contract per use case (issue 21 §4) ------------------------------------------------

def api_refusal(client, headers: dict, path: str, body: dict, method: str = "post") -> tuple[str, str]:
    """Send a JSON body to the API; return the (field, message) of its 422 (a list item's field
    "parcel_codes.0" as "parcel_codes", the form field that holds it)."""
    answer = client.open(path, method=method, json=body, headers=headers)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    return error["field"].split(".")[0], error["message"]


def same_refusal(client, auth, session, *, user: str, api: str, body: dict, page: str, form: dict,
                 field: str, table: str, status: int = 422, form_on: str | None = None,
                 api_method: str = "post") -> str:
    """Post the same input to the API (as JSON) and to its page (as the form shown on form_on, by
    default the page itself); assert that both refuse it naming `field` and in the same words (the
    page beside that field), and that neither wrote a row of `table`. A page that answers a refusal
    by going back (302) is followed (status 200). Return the page."""
    before = session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    api_field, api_message = api_refusal(client, bearer(session, user), api, body, api_method)
    auth.login(user)
    answer = client.post(page, data={"csrf_token": auth.csrf(form_on or page), **form},
                         follow_redirects=status == 200)
    html = answer.get_data(as_text=True)
    assert (api_field, answer.status_code) == (field, status)
    assert said_beside(html, field) == api_message
    assert session.scalar(sa.text(f"SELECT count(*) FROM {table}")) == before
    return html


def said_beside(html: str, field: str) -> str | None:
    """Return the message a page shows beside a form field (its lr-field-error paragraph), or None."""
    found = re.search(rf'<p class="lr-field-error" id="{field}-error"[^>]*>(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else None
