"""Builders that tests of several folders share (issue 21 §7): a test module imports them from here,
never from another test module, so a test file can move or change without breaking another folder.
Fixtures stay in conftest.py files; the demo village's households and people stay with the
conftest of the domain that names them (tests/market/conftest.py, tests/certification/conftest.py)."""
from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM, Actor
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
