"""The range each date and number of the registry may take, each stated once.

Three places enforce a range and read it from here, so they cannot drift: the API schemas
(``Span.validate``: a 422 naming the field), the services (``Span.check``: the same refusal for the
web forms and the CLI) and the CHECK constraints of migration 0015, which hold the same fixed bounds
under the names in ``CONSTRAINTS`` (a CHECK must be immutable, so "not after today" lives only here,
read from landrights.clock, the one clock every rule reads). /work/notes/ranges.md gives the reasons.

Every ceiling leaves the column room: a value that passes here always fits its NUMERIC column, and
products computed from such values (rent = area x price, payout = shares x amount) are checked
where they are computed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from landrights import clock
from landrights.errors import Formatted, ValidationFailed

BIRTH_FLOOR = date(1900, 1, 1)  # nobody registered here was born earlier
PRC_FOUNDED = date(1949, 10, 1)  # no record of this registry (homestead approvals) predates it
HUKOU_REGULATION = date(1958, 1, 9)  # 户口登记条例: no hukou transfer (settlement) before it
CONTRACTING_BEGAN = date(1978, 1, 1)  # household contracting (R1.x) began in 1978
LAW_2019 = date(2019, 1, 1)  # amended contracting law in force: the social-capital review (R1.28)
HORIZON = date(2100, 12, 31)  # the latest planned date (a term's end, an effective or due date)
LONGEST_TERM_YEARS = 70  # R1.5: forest land 30-70 years, the longest contract term

PARCEL_AREA_MAX_M2 = Decimal("10000000")  # 10 km² (15,000 mu): no single contracted parcel is larger
HOLDING_AREA_MAX_M2 = Decimal("100000000")  # 100 km² (150,000 mu): a household's or transfer's total
PRICE_MAX = Decimal("100000")  # yuan per mu and year; Liaoyuan rents are ~500-1,000
DEPOSIT_MAX = Decimal("10000000")
AMOUNT_MAX = Decimal("1000000000")  # compensation, a pledge's secured amount, a share price (yuan)
RENT_MAX = Decimal("100000000000")  # 150,000 mu x 100,000 yuan = 1.5e10 fits; NUMERIC(14,2) < 1e12
SHARES_MAX = Decimal("100000000")  # shares of one holding; NUMERIC(14,4) < 1e10
PER_SHARE_MAX = Decimal("100000")  # yuan per share and year
PAYOUT_MAX = Decimal("10000000000")  # one household's dividend; NUMERIC(14,2) < 1e12
DISTRIBUTION_MAX = Decimal("1000000000000")  # a collective's dividend; NUMERIC(16,2) < 1e14
HOMESTEAD_STANDARD_MAX_M2 = Decimal("1000")  # above every provincial standard found (R6.8: <= 264)
ROW_ID_MAX = 2**63 - 1  # a BIGINT row id


@dataclass(frozen=True)
class Span:
    """A closed range a date, year or number must lie in, with the words that name it.

    ``past``: a date recording something that happened (not after today, by the app's clock).
    ``above``: numbers strictly greater than ``low`` (a positive amount). ``places``: decimals the
    column keeps; more would be rounded away silently, so they are refused.
    """

    label: object
    low: object
    high: object
    past: bool = False
    above: bool = False
    places: int | None = None
    rule: str | None = None
    year: bool = False

    def upper(self):
        """Return the effective upper bound: today for a past date, the current year + 1 for a year."""
        if self.past:
            return min(self.high, clock.today())
        if self.year:
            return min(self.high, clock.today().year + 1)
        return self.high

    def problem(self, value):
        """Return the message saying why value is out of range, or None."""
        high = self.upper()
        if isinstance(value, Decimal) and not value.is_finite():
            return Formatted(_l("%(label)s must be a number."), {"label": self.label})
        if self.places is not None and isinstance(value, Decimal) and \
                value.normalize().as_tuple().exponent < -self.places:
            return Formatted(_l("%(label)s has at most %(places)s decimal places."),
                             {"label": self.label, "places": self.places})
        too_low = value <= self.low if self.above else value < self.low
        if not too_low and value <= high:
            return None
        return self.refusal()

    def refusal(self) -> Formatted:
        """Return the message stating the range (for a value the database refused too)."""
        return Formatted(self._message(), {"label": self.label, "low": self.low, "high": self.upper()})

    def _message(self):
        if self.past:
            return _l("%(label)s must be a date from %(low)s to today.")
        if self.year:
            return _l("%(label)s must be a year from %(low)s to %(high)s.")
        if isinstance(self.low, date):
            return _l("%(label)s must be a date from %(low)s to %(high)s.")
        if self.above:
            return _l("%(label)s must be more than %(low)s and at most %(high)s.")
        return _l("%(label)s must be from %(low)s to %(high)s.")

    def check(self, value, field: str) -> None:
        """Refuse a value out of range (None passes: required-ness is checked elsewhere).

        Raises:
            ValidationFailed: naming the field and saying the range.
        """
        message = None if value is None else self.problem(value)
        if message is not None:
            raise ValidationFailed(message, field=field, rule=self.rule)

    def validate(self, value) -> None:
        """Marshmallow validator: the same check, as a 422 naming the field."""
        from marshmallow import ValidationError

        message = None if value is None else self.problem(value)
        if message is not None:
            raise ValidationError(str(message))


def not_blank(value: str) -> None:
    """Marshmallow validator: refuse text that is only spaces."""
    from marshmallow import ValidationError

    if not (value or "").strip():
        raise ValidationError(str(_l("Enter a value, not only spaces.")))


def _past(label, low=CONTRACTING_BEGAN, rule=None) -> Span:
    return Span(label, low, HORIZON, past=True, rule=rule)


def _planned(label, low=CONTRACTING_BEGAN, rule=None) -> Span:
    return Span(label, low, HORIZON, rule=rule)


def _money(label, high, rule=None, *, positive=True, places=2) -> Span:
    return Span(label, Decimal(0), high, above=positive, places=places, rule=rule)


# persons, households, contracts (registry)
BIRTH_DATE = _past(_l("The date of birth"), BIRTH_FLOOR)
SURVEY_DATE = _past(_l("The survey date"))
CONTRACT_START = _planned(_l("The start of the contract term"), rule="R1.5")
SIGNED_ON = _past(_l("The signing date"), rule="R1.6")
PARCEL_AREA = _money(_l("An area in m²"), PARCEL_AREA_MAX_M2, "R4.14")
PARCEL_AREA_MU = _money(_l("An area in mu"), PARCEL_AREA_MAX_M2 * 15 / 10000, "R4.14", positive=False)
NOTICE_DAYS = Span(_l("The number of days on display"), 1, 365, rule="R5.3")
# collective
BASIS_DATE = _past(_l("The date membership began"), BIRTH_FLOOR, "R7.3")
LOST_ON = _past(_l("The date membership ended"), BIRTH_FLOOR, "R7.5")
ISSUED_ON = _past(_l("The issue date"))
PER_MEMBER = _money(_l("The shares per member"), SHARES_MAX, "R7.10", places=4)
SHARE_QUANTITY = _money(_l("The number of shares"), SHARES_MAX, "R7.11", places=4)
SHARE_PRICE = _money(_l("The price"), AMOUNT_MAX, "R7.11", positive=False)
YEAR = Span(_l("The year"), 1978, 2100, year=True, rule="R7.13")
PER_SHARE = _money(_l("The amount per share"), PER_SHARE_MAX, "R7.13", places=4)
DECIDED_ON = _past(_l("The date of the members' assembly decision"), rule="R7.13")
PAID_ON = _past(_l("The payment date"))
# homestead
APPROVED_ON = _past(_l("The approval date"), PRC_FOUNDED, "R6.4")
DISPOSED_ON = _past(_l("The date of the sale, lease or gift"), PRC_FOUNDED, "R6.5")
# rights
SETTLED_ON = _past(_l("The settlement date"), HUKOU_REGULATION, "R9.1")
COMPENSATION = _money(_l("The compensation"), AMOUNT_MAX, "G3")
IMPROVEMENT = _money(_l("The compensation for improvements"), AMOUNT_MAX, "R1.11", positive=False)
NOTICE_ON = _past(_l("The date the written notice was given"), rule="R1.14")
EFFECTIVE_ON = _planned(_l("The date it takes effect"), rule="R1.14")
# market
PRICE = _money(_l("The price per mu and year"), PRICE_MAX, "R1.22")
DEPOSIT = _money(_l("The deposit"), DEPOSIT_MAX, "R8.4")
PLEDGE_AMOUNT = _money(_l("The secured amount"), AMOUNT_MAX, "R1.30")
REVIEW_AREA = _money(_l("The area the review allows (mu)"), HOLDING_AREA_MAX_M2 * 15 / 10000, "R1.28",
                     positive=False)
REVIEW_UNTIL = Span(_l("The date the review is valid until"), LAW_2019, HORIZON, rule="R1.28")
TERM_START = _planned(_l("The start of the term"), rule="R1.21")
TERM_END = _planned(_l("The end of the term"), rule="R1.21")
CONSENT_UNTIL = _planned(_l("The date the consent is valid until"), rule="R1.29")
ROW_ID = Span(_l("The number"), 1, ROW_ID_MAX)


def decimal_in(span: Span, value, field: str) -> Decimal:
    """Return a number given as text or JSON (int, float, string) as a Decimal within the span.

    Raises:
        ValidationFailed: not a number, or out of range, naming the field.
    """
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except ArithmeticError:
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite():
        raise ValidationFailed(Formatted(_l("%(label)s must be a number."), {"label": span.label}),
                               field=field, rule=span.rule)
    if span.places is not None:
        number = number.quantize(Decimal(1).scaleb(-span.places)) if number.adjusted() < 20 else number
    span.check(number, field)
    return number


def years_after(day: date, years: int) -> date:
    """Return the same day `years` later (29 February: the 28th), as PostgreSQL's date + interval."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def not_before(later: date | None, earlier: date | None, field: str, message, rule: str | None = None):
    """Refuse a date that lies before another one it follows (an end before its start).

    Raises:
        ValidationFailed: naming the field.
    """
    if later is not None and earlier is not None and later < earlier:
        raise ValidationFailed(message, field=field, rule=rule)


# constraint name of migration 0015 -> (field, span) for the database's refusal in the same words
CONSTRAINTS = {
    "ck_persons_birth_date_range": ("birth_date", BIRTH_DATE),
    "ck_households_survey_date_range": ("survey_date", SURVEY_DATE),
    "ck_contracts_term_start_range": ("term_start", CONTRACT_START),
    "ck_contracts_signed_on_range": ("signed_on", SIGNED_ON),
    "ck_parcels_surveyed_area_at_most": ("surveyed_area_m2", PARCEL_AREA),
    "ck_parcels_surveyed_mu_range": ("surveyed_area_mu", PARCEL_AREA_MU),
    "ck_parcels_area_at_most": ("geometry", PARCEL_AREA),
    "ck_contract_parcels_areas_at_most": ("confirmed_area_m2", PARCEL_AREA),
    "ck_claims_contract_area_at_most": ("contract_area_m2", PARCEL_AREA),
    "ck_notices_min_days_at_most": ("days", NOTICE_DAYS),
    "ck_notices_period_at_most_a_year": ("days", NOTICE_DAYS),
    "ck_memberships_basis_date_range": ("basis_date", BASIS_DATE),
    "ck_memberships_lost_on_range": ("lost_on", LOST_ON),
    "ck_share_accounts_issued_on_range": ("issued_on", ISSUED_ON),
    "ck_share_holdings_quantity_at_most": ("quantity", SHARE_QUANTITY),
    "ck_share_transfers_quantity_at_most": ("quantity", SHARE_QUANTITY),
    "ck_share_transfers_price_at_most": ("price_yuan", SHARE_PRICE),
    "ck_distributions_year_range": ("year", YEAR),
    "ck_distributions_amount_at_most": ("amount_per_share", PER_SHARE),
    "ck_distributions_decided_on_range": ("decided_on", DECIDED_ON),
    "ck_payouts_paid_on_range": ("paid_on", PAID_ON),
    "ck_homesteads_approved_on_range": ("approved_on", APPROVED_ON),
    "ck_homestead_standards_max_area_at_most": ("max_area_m2", Span(
        _l("The standard's maximum area (m²)"), Decimal(0), HOMESTEAD_STANDARD_MAX_M2, above=True,
        places=2, rule="R6.8")),
    "ck_house_disposals_disposed_on_range": ("disposed_on", DISPOSED_ON),
    "ck_settlements_settled_on_range": ("settled_on", SETTLED_ON),
    "ck_withdrawals_compensation_at_most": ("compensation_yuan", COMPENSATION),
    "ck_withdrawals_improvement_within_compensation": ("improvement_yuan", IMPROVEMENT),
    "ck_withdrawals_share_quantity_range": ("share_quantity", SHARE_QUANTITY),
    "ck_withdrawals_notice_on_range": ("notice_on", NOTICE_ON),
    "ck_withdrawals_effective_on_range": ("effective_on", EFFECTIVE_ON),
    "ck_capital_reviews_max_area_at_most": ("max_area_mu", REVIEW_AREA),
    "ck_capital_reviews_valid_until_range": ("valid_until", REVIEW_UNTIL),
    "ck_entrustments_dates_range": ("valid_to", TERM_END),
    "ck_listings_reserve_at_most": ("reserve_price", PRICE),
    "ck_listings_term_range": ("term_end", TERM_END),
    "ck_deposits_amount_at_most": ("amount_yuan", DEPOSIT),
    "ck_bids_price_at_most": ("price", PRICE),
    "ck_transfer_contracts_term_range": ("term_end", TERM_END),
    "ck_rent_payments_paid_on_range": ("paid_on", PAID_ON),
    "ck_retransfer_consents_until_range": ("until", CONSENT_UNTIL),
    "ck_retransfers_term_range": ("term_end", TERM_END),
    "ck_retransfers_price_at_most": ("price", PRICE),
    "ck_pledges_amount_at_most": ("amount_yuan", PLEDGE_AMOUNT),
    "ck_pledges_term_range": ("term_end", TERM_END),
}
