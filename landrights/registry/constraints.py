"""Translate database refusals, by constraint name, into domain errors in the user's language.

The database is the last word on the legal record (STYLE.md); this module is the one place that
turns its SQLSTATE and constraint name into a message naming the field and the rule.
"""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError

from landrights.errors import Conflict, DomainError, Formatted, ValidationFailed

# constraint name -> (error class, field, message, rule id)
_KNOWN = {
    "ck_admin_units_code_shape": (ValidationFailed, "code", _l(
        "An administrative code has 6, 9, 12 or 14 digits."), "R4.5"),
    "ck_admin_units_level_length": (ValidationFailed, "level", _l(
        "The code length does not match the level (county 6, township 9, village 12, group 14)."),
        "R4.5"),
    "ck_admin_units_parent_prefix": (ValidationFailed, "parent_code", _l(
        "A unit's code must start with its parent's code."), "R4.5"),
    "ck_collectives_code_shape": (ValidationFailed, "code", _l(
        "A collective (发包方) code has exactly 14 digits."), "R4.5"),
    "ck_collectives_responsible_id_number": (ValidationFailed, "responsible_id_number", _l(
        "The responsible person's ID number fails the GB 11643 check."), "R4.26"),
    "ck_persons_id_card_checksum": (ValidationFailed, "id_number", _l(
        "The ID card number is not valid: 18 characters, a real birth date and the GB 11643 "
        "check character are required."), "R4.26"),
    "ck_persons_id_card_sex": (ValidationFailed, "sex", _l(
        "The sex does not match the ID card number (its 17th digit: odd male, even female)."),
        "R4.26"),
    "ck_households_code_shape": (ValidationFailed, "code", _l(
        "A household (承包方) code has exactly 18 digits."), "R4.6"),
    "ck_households_collective_prefix": (ValidationFailed, "code", _l(
        "A household code must start with its collective's 14-digit code."), "R4.6"),
    "ck_parcels_code_shape": (ValidationFailed, "code", _l(
        "A parcel code (DKBM) has exactly 19 digits."), "R4.7"),
    "ck_parcels_collective_prefix": (ValidationFailed, "code", _l(
        "A parcel code must start with its collective's 14-digit code."), "R4.7"),
    "ck_parcels_geom_valid": (ValidationFailed, "geometry", _l(
        "The parcel geometry is not valid (self-intersecting or empty)."), "R4.18"),
    "ck_parcels_positive_area": (ValidationFailed, "geometry", _l(
        "The parcel area must be greater than zero."), "R4.18"),
    "ck_parcels_surveyed_area_positive": (ValidationFailed, "surveyed_area_m2", _l(
        "The surveyed area (SCMJ) must be greater than zero."), "R4.18"),
    "ck_contracts_code_shape": (ValidationFailed, "code", _l(
        "A contract code has 18 digits followed by J or Q."), "R4.8"),
    "ck_contracts_household_prefix": (ValidationFailed, "code", _l(
        "A contract code must start with its household's 18-digit code."), "R4.8"),
    "ck_contracts_suffix_matches_mode": (ValidationFailed, "mode", _l(
        "Family contracting (110) uses the suffix J; other modes use Q."), "R4.8"),
    "ck_contracts_term_order": (ValidationFailed, "term_end", _l(
        "The contract term must end after it starts."), "R1.5"),
    "ck_contract_parcels_confirmed_area_positive": (ValidationFailed, "confirmed_area_m2", _l(
        "The confirmed area must be greater than zero."), "R4.19"),
    "uq_households_county_code_code": (Conflict, "code", _l(
        "A household with this code already exists."), "R4.6"),
    "uq_persons_county_code_id_type_id_number": (Conflict, "id_number", _l(
        "A person with this ID number is already registered."), "R4.18"),
    "uq_parcels_live_code": (Conflict, "code", _l(
        "A live parcel with this code already exists."), "R4.7"),
    "uq_contracts_live_code": (Conflict, "code", _l(
        "A live contract with this code already exists."), "R4.8"),
    "uq_users_username_lower": (Conflict, "username", _l(
        "This user name is taken."), None),
    "uq_claims_county_code_parcel_code": (Conflict, "parcel_code", _l(
        "This parcel is already claimed by a household."), "R1.3"),
    "uq_certificates_one_valid": (Conflict, "code", _l(
        "This contract already has a valid certificate."), "R3.6"),
    "uq_homesteads_one_active": (Conflict, "household_code", _l(
        "This household already has a homestead: one household, one homestead."), "R6.1"),
    "uq_memberships_one_live": (Conflict, "id_number", _l(
        "The person is already a member of a collective."), "R7.5"),
    "uq_distributions_county_code_collective_code_year": (Conflict, "year", _l(
        "This year's dividend was already distributed."), "R7.13"),
    "ck_memberships_statutory_loss_only": (ValidationFailed, "cause", _l(
        "Membership ends only for the statutory causes."), "R7.5, R7.6"),
    "ck_share_transfers_inside_collective": (ValidationFailed, "to_id_number", _l(
        "Shares move only inside the collective."), "R7.11"),
    "ck_withdrawals_paid": (ValidationFailed, "compensation_yuan", _l(
        "A withdrawal is always paid: state the compensation."), "G3"),
    "ck_withdrawals_six_months_notice": (ValidationFailed, "effective_on", _l(
        "Contracted land is returned on six months' written notice."), "R1.14"),
    "listing_parcels_no_overlap": (Conflict, "parcel_codes", _l(
        "A parcel is already listed or transferred for an overlapping term."), "R1.21"),
    "listing_parcels_not_pledged": (Conflict, "parcel_codes", _l(
        "A parcel is pledged for an overlapping term; it can be listed once the pledge is released."),
        "R1.30"),
    "retransfers_no_overlap": (Conflict, "term_start", _l(
        "This transfer is already re-transferred for an overlapping term."), "R1.29"),
    "uq_bids_listing_id_price": (Conflict, "price", _l(
        "Another bid at this price came first: bid higher."), "R8.4"),
    "uq_offers_one_accepted": (Conflict, "listing_id", _l(
        "This listing was already awarded."), "R8.4"),
    "ck_withdrawals_holder_request": (ValidationFailed, "scan", _l(
        "An officer records a withdrawal only with the scan of the holder's own signed request."), "G3"),
    "parcels_no_overlap": (Conflict, "geometry", _l(
        "Parcel %(code)s overlaps the live parcel %(other_code)s by %(overlap_m2)s m² "
        "(tolerance %(tolerance_m2)s m²)."), "R4.18"),
}

_HISTORY = _l("This is a registered version and cannot be changed or deleted; a change is "
              "recorded as a new version.")
_FK = _l("It refers to a record that does not exist: %(detail)s")


def translate(exc: DBAPIError) -> DomainError:
    """Return the domain error for a database refusal (or a generic one naming the constraint)."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if name == "parcels_no_overlap":
        detail = json.loads(diag.message_detail or "{}")
        cls, field, message, rule = _KNOWN[name]
        return cls(Formatted(message, detail), field=field, rule=rule)
    if name in _KNOWN:
        cls, field, message, rule = _KNOWN[name]
        return cls(message, field=field, rule=rule)
    if name and name.endswith("_history"):
        return Conflict(_HISTORY, field=None, rule="DESIGN.md Registry: history")
    if sqlstate == "23503":
        return ValidationFailed(Formatted(_FK, {"detail": diag.message_detail or name}), field=name)
    if sqlstate == "22023":  # PostGIS: wrong SRID or geometry type for a typmod column
        return ValidationFailed(_l("The geometry must be a MultiPolygon in CGCS2000 (EPSG:4490)."),
                                field="geometry", rule="R4.12")
    message = diag.message_primary if diag else str(exc.orig)
    return ValidationFailed(f"{message} ({name or sqlstate})", field=name)
