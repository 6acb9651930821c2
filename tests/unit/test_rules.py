"""Pure rules: GB 11643 ID numbers, codes, masking, areas, bbox, login throttling."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from landrights.accounts import rules as account_rules
from landrights.geo.area import display_mu, m2_to_mu
from landrights.geo.crs import gk3_srid, gk3_zone_for_lon
from landrights.geo.geojson import BBoxError, parse_bbox
from landrights.registry import rules


@pytest.mark.parametrize("number, problem", [
    ("11010519491231002X", None),  # the GB 11643 standard's own example
    ("110105194912310021", "checksum"),
    ("11010519491331002X", "birth_date"),
    ("1101051949123100", "shape"),
    ("11010519491231002x", "shape"),  # lower-case x is not the standard's character
    ("", "shape"),
])
def test_id_number_problem(number, problem):
    assert rules.id_number_problem(number) == problem


def test_sex_from_id_number():
    assert rules.sex_from_id_number("11010519491231002X") == 2  # 17th digit 2: even, female
    assert rules.sex_from_id_number("110105194912310013"[:17] + "0") == 1


def test_contract_code_suffix():  # R4.8
    assert rules.contract_code_for("220421101201010001", "110") == "220421101201010001J"
    assert rules.contract_code_for("220421101201010001", "120") == "220421101201010001Q"


@pytest.mark.parametrize("value, masked", [
    ("220421199001011234", "220421********1234"),
    ("E1234567", "********"),
    (None, None),
])
def test_mask_id_number(value, masked):
    assert rules.mask_id_number(value) == masked


def test_mask_phone():
    assert rules.mask_phone("13900001234") == "139****1234"


def test_mu_is_exact_fifteen_ten_thousandths():  # R4.14
    assert m2_to_mu(10000) == Decimal(15)
    assert m2_to_mu(Decimal("666.67")) == Decimal("1.000005")
    assert display_mu(Decimal("1234.56")) == Decimal("1.85")


def test_gauss_kruger_codes():  # R4.13
    assert gk3_zone_for_lon(125.5) == 42
    assert gk3_srid(42, zone_prefix=True) == 4530
    assert gk3_srid(42, zone_prefix=False) == 4551
    with pytest.raises(ValueError):
        gk3_srid(46, zone_prefix=True)


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "125,42,124,43", "125,42,126,95"])
def test_bad_bbox(text):
    with pytest.raises(BBoxError):
        parse_bbox(text)


def test_good_bbox():
    assert parse_bbox("125.4,42.7,125.5,42.8") == (125.4, 42.7, 125.5, 42.8)


def test_lockout_after_max_failures():
    now = datetime(2026, 11, 27, tzinfo=UTC)
    failures, window, locked = 0, None, None
    for _ in range(4):
        failures, window, locked = account_rules.after_failure(failures, window, now, max_failures=5,
                                                               lock_minutes=15)
        assert locked is None
    failures, window, locked = account_rules.after_failure(failures, window, now, max_failures=5,
                                                           lock_minutes=15)
    assert locked == now + timedelta(minutes=15) and failures == 0
    assert account_rules.is_locked(locked, now + timedelta(minutes=14))
    assert not account_rules.is_locked(locked, now + timedelta(minutes=16))


def test_failures_older_than_the_window_are_forgotten():
    start = datetime(2026, 11, 27, tzinfo=UTC)
    failures, window = 4, start
    later = start + timedelta(minutes=16)  # a farmer who mistypes now and then is never locked
    assert account_rules.after_failure(failures, window, later, max_failures=5,
                                       lock_minutes=15) == (1, later, None)


def test_tokens_are_stored_as_digests():
    token = account_rules.new_token()
    assert token.startswith("lr_") and len(token) > 40
    assert account_rules.token_digest(token) != token
    assert len(account_rules.token_digest(token)) == 64
