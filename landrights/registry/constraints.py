"""Translate database refusals, by constraint name, into domain errors in the user's language.

The database is the last word on the legal record (STYLE.md); this module is the one place that
turns its SQLSTATE and constraint name into a message naming the field and the rule.
"""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError

from landrights import ranges
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
    "ck_contracts_term_at_most_70_years": (ValidationFailed, "term_end", _l(
        "A contract term lasts at most 70 years (forest land; cultivated land 30)."), "R1.5"),
    "ck_persons_id_number_shape": (ValidationFailed, "id_number", _l(
        "The document number does not have the shape of its type: no spaces; an "
        "organization code has 9 or 18 characters, a passport 5 to 20 letters and digits."), "R4.26"),
    "ck_collectives_responsible_id_type_code": (ValidationFailed, "responsible_id_type", _l(
        "The type of identity document is one of 1 resident ID card, 2 officer's "
        "card, 3 organization code, 4 household register, 5 passport, 9 other."), "R4.26"),
    "ck_withdrawals_improvement_within_compensation": (ValidationFailed, "improvement_yuan", _l(
        "The compensation for improvements is part of the compensation: it cannot be larger."), "R1.11"),
    "ck_contract_parcels_confirmed_area_positive": (ValidationFailed, "confirmed_area_m2", _l(
        "The confirmed area must be greater than zero."), "R4.19"),
    "uq_households_county_code_code": (Conflict, "code", _l(
        "A household with this code already exists."), "R4.6"),
    "uq_persons_county_code_id_type_id_number": (Conflict, "id_number", _l(
        "A person with this ID number is already registered."), "R4.18"),
    # migration 0020: a listing of an ID number in conflict is never an identity
    "person_in_conflict": (Conflict, "id_number", _l(
        "This ID number is listed for more than one person in the registry: it identifies no one "
        "(no account, membership, shares, settlement or transferee identity) until the county "
        "resolves the conflict."), "R4.26"),
    "person_identity_in_use": (Conflict, "id_number", _l(
        "The person who holds this ID number in the registry already has an account, a "
        "membership, shares, a settlement or a transferee identity under it, so the number cannot "
        "pass to the other listing: correct the other listing's number instead."), "R4.26"),
    "persons_id_conflict_target": (Conflict, "id_number", _l(
        "The listings of an ID number in conflict must point at the person who holds the "
        "number: the change was not saved."), "R4.26"),
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
    # the settlement guarantee, migration 0016 (issue 17)
    "ck_withdrawals_in_app_notice_on_filing": (ValidationFailed, "notice_on", _l(
        "A request filed in the app is the written notice, given the day it is filed."), "R1.14"),
    "ck_withdrawals_notice_not_after_filing": (ValidationFailed, "notice_on", _l(
        "The notice cannot be dated after the day the request is filed."), "R1.14"),
    "ck_withdrawals_paper_notice_recent": (ValidationFailed, "notice_on", _l(
        "A paper notice is recorded within 30 days of its date."), "R1.14"),
    "ck_withdrawals_effect_on_its_date": (Conflict, "effective_on", _l(
        "A withdrawal takes effect on its date, never ahead of it."), "G3"),
    "ck_withdrawals_review_noted": (ValidationFailed, "note", _l(
        "Record how voluntariness was checked."), "G4"),
    "withdrawals_filed_as_requested": (Conflict, "withdrawal_id", _l(
        "A withdrawal is filed as a request not yet reviewed."), "G3, G4"),
    "withdrawals_review_order": (Conflict, "withdrawal_id", _l(
        "The county's review of voluntariness comes once, after the request is flagged for it."), "G4"),
    "withdrawals_settlement_review": (Conflict, "withdrawal_id", _l(
        "A member of the household settled in a town within the review period: the request takes "
        "effect only once the county finds it voluntary."), "G4"),
    # migration 0019: an account linked to its person (accounts.linking)
    "uq_users_person_active": (Conflict, "person", _l(
        "This person already has an active account: one person, one account."), "R1.21"),
    # migration 0018: identities of transferees and entrustments (market.identities, market.entrustments)
    "uq_transferee_identities_one_per_person": (Conflict, "id_number", _l(
        "This person already has a transferee identity: one person, one transferee. If it is not theirs, "
        "the township officer of their area ends it."), "R1.21"),
    "uq_transferee_identities_one_per_transferee": (Conflict, "transferee_id", _l(
        "This transferee's identity is already verified."), "R1.21"),
    "ck_transferee_identities_individual_only": (ValidationFailed, "id_number", _l(
        "Only an individual gives an ID number: a company, cooperative or family farm is reviewed by the "
        "county whoever owns it."), "R1.28"),
    "ck_transferee_identities_officer_saw_document": (ValidationFailed, "document", _l(
        "Name the identity document you saw (e.g. resident ID card, its issuing authority and validity)."),
        "R1.21"),
    "transferee_identities_own_account": (ValidationFailed, "id_number", _l(
        "This ID number is not the one of the person your account belongs to. Bring the ID card to the "
        "township officer of the person's area, who verifies it."), "R1.21"),
    "transferee_identities_officer_of_area": (ValidationFailed, "id_number", _l(
        "No person with this ID number is registered in your township. Verify only the ID card of a person "
        "of your township."), "R1.21"),
    "ck_entrustments_acts_known": (ValidationFailed, "acts", _l(
        "Entrust one or more of: list the land, withdraw its listing, sign the transfer contract."), "R2.4"),
    "ck_entrustments_parcels_named": (ValidationFailed, "parcel_codes", _l(
        "Entrust only parcels of the household's registered contract."), "R2.4"),
    "ck_entrustments_scan_signed_by_both": (ValidationFailed, "scan", _l(
        "Attach the scan of the entrustment signed by both the household and the agent."), "R2.4"),
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
    if name in ranges.CONSTRAINTS:
        field, span = ranges.CONSTRAINTS[name]
        return ValidationFailed(span.refusal(), field=field, rule=span.rule)
    if name and name.endswith("_history"):
        return Conflict(_HISTORY, field=None, rule="DESIGN.md Registry: history")
    if sqlstate == "23503":
        return ValidationFailed(Formatted(_FK, {"detail": diag.message_detail or name}), field=name)
    if sqlstate == "22023":  # PostGIS: wrong SRID or geometry type for a typmod column
        return ValidationFailed(_l("The geometry must be a MultiPolygon in CGCS2000 (EPSG:4490)."),
                                field="geometry", rule="R4.12")
    return _unnamed(sqlstate, name)


# SQLSTATE class 22 (data exception) and 23514 (a CHECK without its own message): never the
# database's text, which names tables and constraints people do not know
_DATA_ERRORS = {
    "22003": _l("A number is too large for the registry: check the amounts and areas you entered."),
    "22008": _l("A date or time is out of range: check the dates you entered."),
    "22007": _l("A date or time is not valid: check the dates you entered."),
    "22001": _l("A text is too long: shorten it."),
    "22P02": _l("A value does not have the required format: check what you entered."),
}


def _unnamed(sqlstate: str | None, name: str | None) -> DomainError:
    if sqlstate in _DATA_ERRORS:
        return ValidationFailed(_DATA_ERRORS[sqlstate], field=None)
    return ValidationFailed(_l("The record breaks a rule of the registry and was not saved: check "
                               "the values you entered."), field=None)
