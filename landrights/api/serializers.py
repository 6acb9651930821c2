"""Rows to JSON: geometry leaves as GeoJSON, areas in m² and mu, personal data masked by job."""
from __future__ import annotations

from landrights.accounts.permissions import Actor
from landrights.geo.area import display_m2, display_mu
from landrights.registry.rules import shown_id_number, shown_phone


def parcel_feature(item: dict) -> dict:
    """Return a GeoJSON Feature for a parcel listing row (queries.list_parcels)."""
    return {
        "type": "Feature", "id": item["code"], "geometry": item["geometry"],
        "properties": {
            "code": item["code"], "name": item["name"], "collective_code": item["collective_code"],
            "status": item["status"], "version": item["version"],
            "area_m2": float(display_m2(item["area_m2"])),
            "area_mu": float(display_mu(item["area_m2"])),
            "surveyed_area_m2": _float(item["surveyed_area_m2"]), "holder": item["holder"],
        },
    }


def parcel_detail(found: dict) -> dict:
    """Return a GeoJSON Feature for one parcel version with all its NY/T 2539 fields."""
    p = found["parcel"]
    props = {
        "code": p.code, "version": p.version, "name": p.name, "collective_code": p.collective_code,
        "status": p.status, "ownership": p.ownership, "category": p.category,
        "land_use_type": p.land_use_type, "soil_grade": p.soil_grade, "land_use": p.land_use,
        "is_basic_farmland": p.is_basic_farmland, "east": p.east, "south": p.south,
        "west": p.west, "north": p.north, "pointer_name": p.pointer_name, "remark": p.remark,
        "area_m2": float(display_m2(p.area_m2)), "area_mu": float(display_mu(p.area_m2)),
        "surveyed_area_m2": _float(p.surveyed_area_m2),
        "valid_from": p.valid_from.isoformat(), "valid_to": _iso(p.valid_to),
        "registered_at": _iso(p.registered_at),
        "contract_code": found["contract"].code if found["contract"] else None,
        "holder": found["household"].name if found["household"] else None,
        "household_code": found["household"].code if found["household"] else None,
        "confirmed_area_m2": _float(found["contract_parcel"].confirmed_area_m2)
        if found["contract_parcel"] else None,
    }
    return {"type": "Feature", "id": p.code, "geometry": found["geometry"], "properties": props}


def contract_dict(contract) -> dict:
    """Return a contract with its parcels and confirmed totals (R3.5: total area, parcel count)."""
    parcels = [{"parcel_code": cp.parcel_code, "contract_area_m2": _float(cp.contract_area_m2),
                "confirmed_area_m2": float(cp.confirmed_area_m2),
                "confirmed_area_mu": float(display_mu(cp.confirmed_area_m2))}
               for cp in sorted(contract.parcels, key=lambda cp: cp.parcel_code)]
    total = sum(cp.confirmed_area_m2 for cp in contract.parcels)
    return {"code": contract.code, "version": contract.version,
            "household_code": contract.household_code, "mode": contract.mode,
            "term_start": contract.term_start, "term_end": contract.term_end,
            "status": contract.status, "registered_at": contract.registered_at,
            "total_confirmed_area_m2": float(total), "total_confirmed_area_mu": float(display_mu(total)),
            "parcel_count": len(parcels), "parcels": parcels}


def person_dict(actor: Actor, person, household_code: str | None, relation: str | None) -> dict:
    """Return a person, with ID number and phone masked unless the actor's job needs them."""
    return {"id": person.id, "name": person.name, "sex": person.sex, "id_type": person.id_type,
            "id_number": shown_id_number(actor, household_code, person.id_number),
            "phone": shown_phone(actor, household_code, person.phone),
            "household_code": household_code, "relation": relation}


def household_dict(actor: Actor, found: dict) -> dict:
    """Return a household with members (masked by job) and its live contract."""
    h = found["household"]
    members = [{"name": m.person.name, "sex": m.person.sex, "relation": m.relation,
                "is_co_holder": m.is_co_holder, "remark_code": m.remark_code,
                "remark_text": m.remark_text,
                "id_number": shown_id_number(actor, h.code, m.person.id_number)}
               for m in found.get("members", [])]
    return {"code": h.code, "name": h.name, "type": h.type, "collective_code": h.collective_code,
            "address": h.address, "phone": shown_phone(actor, h.code, h.phone),
            "members": members,
            "contract": contract_dict(found["contract"]) if found.get("contract") else None}


def _float(value):
    return None if value is None else float(value)


def _iso(value):
    return None if value is None else value.isoformat()
