"""Load the demo village of Dongfeng County from gis_data/demo through the services of every domain.

The app's level (beside the CLI): it calls the registry, certification, retained rights and the
market, which do not import each other for it (docs/architecture.md).

Loaded once per database (marked in settings); demo accounts get random passwords, printed and
kept in the instance folder. Never in production.
"""
from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.orm import Session

from landrights.accounts import rules as account_rules
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.registry import rules, services
from landrights.registry.models import AdminUnit, Collective, Household, Setting

DEMO_DIR = Path(__file__).resolve().parent.parent / "gis_data" / "demo"
MARKER = "demo_loaded_at"
REGISTRAR = "东丰县农业农村局（演示）"
# These households of group 03 were surveyed but not yet confirmed: their parcels are claimed from
# the second-round ledger and wait for the public notice, so the demo shows the whole path.
PENDING = {f"2204211012010300{n}" for n in range(16, 22)}


def _csv(name: str, folder: Path) -> list[dict]:
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _geojson(name: str, folder: Path) -> list[dict]:
    return json.loads((folder / name).read_text(encoding="utf-8"))["features"]


def _blank(value):
    return None if value in (None, "") else value


def load_units_and_collectives(session: Session, folder: Path) -> None:
    """Load admin units (with boundaries) and collectives."""
    for feature in sorted(_geojson("admin_units.geojson", folder),
                          key=lambda f: f["properties"]["level"]):
        props = feature["properties"]
        boundary = shape(feature["geometry"]) if feature.get("geometry") else None
        services.add_admin_unit(session, SYSTEM, code=props["code"], level=int(props["level"]),
                                name=props["name"], boundary=boundary)
    for row in _csv("collectives.csv", folder):
        services.add_collective(
            session, SYSTEM, code=row["code"], name=row["name"],
            responsible_name=_blank(row["responsible_name"]),
            responsible_id_type=int(row["responsible_id_type"] or 1),
            responsible_id_number=_blank(row["responsible_id_number"]),
            phone=_blank(row["phone"]), address=_blank(row["address"]),
            postcode=_blank(row["postcode"]))


def load_households(session: Session, folder: Path) -> None:
    """Load households, persons and their memberships."""
    members = _csv("members.csv", folder)
    for row in _csv("households.csv", folder):
        household = services.add_household(
            session, SYSTEM, code=row["code"], name=row["name"], type=int(row["type"] or 1),
            address=_blank(row["address"]), postcode=_blank(row["postcode"]),
            phone=_blank(row["phone"]), survey_date=_date(row["survey_date"]),
            surveyor=_blank(row["surveyor"]))
        for m in (m for m in members if m["household_code"] == row["code"]):
            person = services.add_person(
                session, SYSTEM, county_code=row["code"][:6], name=m["name"], sex=int(m["sex"]),
                id_type=int(m["id_type"]), id_number=m["id_number"],
                birth_date=_date(m["birth_date"]), phone=_blank(m["phone"]),
                hukou_address=_blank(m["hukou_address"]),
                residence_address=_blank(m["residence_address"]))
            services.add_member(session, SYSTEM, household_code=row["code"], person=person,
                                relation=m["relation"], is_co_holder=rules.yes_no(m["is_co_holder"]),
                                remark_code=_blank(m["remark_code"]),
                                remark_text=_blank(m["remark_text"]))
            if person.id_number == row["representative_id_number"]:
                household.representative = person


def load_parcels(session: Session, folder: Path) -> None:
    """Load surveyed parcels with their NY/T 2539 attributes."""
    for feature in _geojson("parcels.geojson", folder):
        props = {k.upper(): v for k, v in feature["properties"].items()}
        attrs = {field: _blank(props.get(name)) for name, field in rules.DK_FIELDS.items()}
        attrs["is_basic_farmland"] = rules.yes_no(props.get("SFJBNT"))
        for area in ("surveyed_area_m2", "surveyed_area_mu"):
            attrs[area] = None if attrs[area] is None else Decimal(str(attrs[area]))
        services.add_parcel(session, SYSTEM, code=props["DKBM"], geometry=shape(feature["geometry"]),
                            **attrs)


def load_contracts(session: Session, folder: Path) -> None:
    """Draft and register the second-round contracts; claim the pending households' parcels."""
    from landrights.certification import services as certification

    links = _csv("contract_parcels.csv", folder)
    for row in _csv("contracts.csv", folder):
        parcels = [{"parcel_code": link["parcel_code"],
                    "contract_area_m2": Decimal(link["contract_area_m2"]),
                    "confirmed_area_m2": Decimal(link["confirmed_area_m2"])}
                   for link in links if link["contract_code"] == row["code"]]
        if row["household_code"] in PENDING:
            certification.claim_parcels(session, SYSTEM, household_code=row["household_code"],
                                        parcels=parcels)
            continue
        contract = services.create_contract(
            session, SYSTEM, household_code=row["household_code"], mode=row["mode"],
            term_start=_date(row["term_start"]), term_end=_date(row["term_end"]),
            signed_on=_date(row["signed_on"]), parcels=parcels)
        services.register_contract(session, SYSTEM, code=contract.code, registrar=REGISTRAR,
                                   document="二轮承包合同（演示数据）")


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def demo_accounts(folder: Path) -> list[dict]:
    """Return one demo account per role, tied to the demo village."""
    households = _csv("households.csv", folder)
    members = _csv("members.csv", folder)
    settled = next((m["household_code"] for m in members if "进城落户" in m["remark_text"]),
                   households[-1]["code"])
    first = households[0]
    village = first["collective_code"][:12]
    return [
        {"username": "county", "role": "county_admin", "display_name": "县农业农村局管理员",
         "county_code": village[:6]},
        {"username": "officer", "role": "township_officer", "display_name": "乡镇农经站 王站长",
         "township_code": village[:9]},
        {"username": "clerk", "role": "collective_clerk", "display_name": "一组文书",
         "collective_code": first["collective_code"]},
        {"username": "farmer", "role": "farmer", "display_name": first["name"],
         "household_code": first["code"]},
        {"username": "migrant", "role": "farmer",
         "display_name": next(h["name"] for h in households if h["code"] == settled),
         "household_code": settled},
        {"username": "transferee", "role": "transferee", "display_name": "永安农机合作社"},
    ]


def load_demo(session: Session, folder: Path = DEMO_DIR, hash_method: str = "scrypt") -> list[tuple]:
    """Load the whole demo village and its accounts; return (username, password, role) rows."""
    load_units_and_collectives(session, folder)
    load_households(session, folder)
    load_parcels(session, folder)
    load_contracts(session, folder)
    from landrights.rights.demo import load_retained_rights

    load_retained_rights(session)
    credentials, users = [], {}
    for account in demo_accounts(folder):
        password = account_rules.new_password()
        users[account["username"]] = accounts.create_user(session, SYSTEM, password=password,
                                                          hash_method=hash_method, **account)
        credentials.append((account["username"], password, account["role"]))
    from landrights.market.demo import load_market_demo

    load_market_demo(session, users["transferee"])
    session.add(Setting(key=MARKER, value=datetime.now(UTC).isoformat(),
                        description="演示数据已载入 / demo village loaded"))
    session.flush()
    return credentials


def demo_county(folder: Path = DEMO_DIR) -> str:
    """Return the code of the county the demo village lies in (its level-1 unit)."""
    return next(f["properties"]["code"] for f in _geojson("admin_units.geojson", folder)
                if int(f["properties"]["level"]) == 1)


def county_in_use(session: Session, county_code: str) -> bool:
    """Tell whether the registry already holds units, collectives or households of the county."""
    return bool(session.scalar(sa.select(sa.or_(
        sa.exists().where(AdminUnit.county_code == county_code),
        sa.exists().where(Collective.county_code == county_code),
        sa.exists().where(Household.county_code == county_code)))))


def ensure_demo(app, echo=print) -> bool:
    """Load the demo once; print the demo accounts. Return True if it loaded now.

    A registry that already holds data of the demo county (a county that went live, or a
    collective added by hand) gets no demo: it would collide with that data (issue 18).
    """
    from landrights.extensions import db

    session = db.session
    if session.scalar(sa.select(Setting.value).where(Setting.key == MARKER)):
        return False
    county = demo_county()
    if county_in_use(session, county):
        echo(f"不载入演示村：登记簿中已有县 {county} 的数据 / demo village not loaded: the registry "
             f"already holds data of county {county}, which the demo would collide with")
        return False
    echo("首次运行：载入东丰县演示村 / first run: loading the Dongfeng demo village …")
    credentials = load_demo(session, hash_method=app.config["PASSWORD_METHOD"])
    session.commit()
    path = Path(app.config["INSTANCE_DIR"]) / "demo-credentials.txt"
    lines = [f"{u:12} {p:14} {r}" for u, p, r in credentials]
    path.write_text("演示账号 / demo accounts (user  password  role)\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    path.chmod(0o600)
    echo("演示账号 / demo accounts (also in " + str(path) + "):\n  " + "\n  ".join(lines))
    return True
