"""Registry services with the all-powerful system actor: versions, contracts, the demo village."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from shapely.geometry import box

from landrights import demo
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.registry import queries, services
from landrights.registry.models import ChangeEvent, Parcel

COLLECTIVE = "22042110120101"


def live_parcel(session) -> Parcel:
    return session.scalar(sa.select(Parcel).where(Parcel.valid_to.is_(None),
                                                  Parcel.code.startswith(COLLECTIVE))
                          .order_by(Parcel.code))


def test_demo_village_is_realistic(session):
    counts = {t: session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
              for t in ("households", "parcels", "contracts", "register_entries", "persons")}
    assert counts["households"] >= 50 and counts["parcels"] >= 200
    # every household is registered but the few of group 03 that wait for their notice (demo.PENDING)
    assert counts["contracts"] == counts["register_entries"] == counts["households"] - len(demo.PENDING)
    claimed = session.scalar(sa.text("SELECT count(DISTINCT household_code) FROM claims"))
    assert claimed == len(demo.PENDING)
    assert counts["persons"] > counts["households"]
    groups = session.scalar(sa.text("SELECT count(*) FROM collectives"))
    assert groups in (2, 3)


def test_revising_a_registered_parcel_adds_a_version_and_keeps_the_old(session, system):
    old = live_parcel(session)
    before = session.scalar(sa.select(sa.func.now()))
    new = services.revise_parcel(session, system, code=old.code, name="新名称",
                                 reason="勘误修正", document="更正通知书 2026-01")
    assert (new.version, new.name, new.status) == (old.version + 1, "新名称", "surveyed")
    versions = queries.parcel_history(session, system, old.code)
    assert [v.version for v in versions] == [old.version, old.version + 1]
    assert versions[0].valid_to is not None and versions[0].name == old.name
    # the register still reads as it was before the change
    then = queries.get_parcel(session, system, old.code, as_of=before - timedelta(microseconds=1))
    assert then["parcel"].name == old.name
    event = session.scalar(sa.select(ChangeEvent).where(ChangeEvent.entity_code == old.code,
                                                        ChangeEvent.action == "revise"))
    assert (event.reason, event.document) == ("勘误修正", "更正通知书 2026-01")


def test_revision_needs_a_reason(session, system):
    with pytest.raises(ValidationFailed) as info:
        services.revise_parcel(session, system, code=live_parcel(session).code, reason="")
    assert info.value.field == "reason"


def test_revising_into_an_overlap_is_refused_and_leaves_the_parcel_live(session, system):
    parcel = live_parcel(session)
    neighbour = session.scalar(sa.select(Parcel).where(
        Parcel.valid_to.is_(None), Parcel.code != parcel.code,
        Parcel.geom.ST_Touches(parcel.geom)))
    grown = session.scalar(sa.select(sa.func.ST_AsText(sa.func.ST_Buffer(
        Parcel.geom, 0.0002))).where(Parcel.id == parcel.id))
    from shapely import wkt

    with pytest.raises(Conflict) as info:
        services.revise_parcel(session, system, code=parcel.code, reason="测试",
                               geometry=wkt.loads(grown))
    assert neighbour is not None and info.value.field == "geometry"
    assert session.scalar(sa.select(sa.func.count()).where(
        Parcel.code == parcel.code, Parcel.valid_to.is_(None))) == 1


def test_contract_over_a_parcel_of_another_collective_is_refused(session, system):
    household = session.scalar(sa.text("SELECT code FROM households WHERE code LIKE :c LIMIT 1"),
                               {"c": COLLECTIVE + "%"})
    other = session.scalar(sa.text("SELECT code FROM parcels WHERE code LIKE '22042110120102%' "
                                   "LIMIT 1"))
    session.execute(sa.text("UPDATE contracts SET valid_to = now() WHERE household_code = :h"),
                    {"h": household})
    with pytest.raises(ValidationFailed):
        services.create_contract(session, system, household_code=household,
                                 term_start=date(1999, 1, 1), term_end=date(2028, 12, 31),
                                 parcels=[{"parcel_code": other}])


def test_new_parcel_contract_and_register(session, system):
    services.add_household(session, system, code=COLLECTIVE + "0999", name="新户")
    services.add_parcel(session, system, code=COLLECTIVE + "99901",
                        geometry=box(125.3, 42.6, 125.301, 42.601))
    contract = services.create_contract(session, system, household_code=COLLECTIVE + "0999",
                                        term_start=date(2029, 1, 1), term_end=date(2058, 12, 31),
                                        parcels=[{"parcel_code": COLLECTIVE + "99901"}])
    assert contract.code == COLLECTIVE + "0999J" and contract.status == "draft"
    entry = services.register_contract(session, system, code=contract.code, registrar="测试")
    assert entry.code == contract.code and contract.status == "registered"
    parcel = session.scalar(sa.select(Parcel).where(Parcel.code == COLLECTIVE + "99901"))
    assert parcel.status == "registered" and parcel.registered_at is not None
    with pytest.raises(Conflict):
        services.register_contract(session, system, code=contract.code, registrar="again")


def test_parcel_in_two_live_contracts_is_refused(session, system):
    taken = session.scalar(sa.text("SELECT parcel_code FROM contract_parcels LIMIT 1"))
    services.add_household(session, system, code=taken[:14] + "0999", name="新户")
    with pytest.raises(Conflict):
        services.create_contract(session, system, household_code=taken[:14] + "0999",
                                 term_start=date(1999, 1, 1), term_end=date(2028, 12, 31),
                                 parcels=[{"parcel_code": taken}])


def test_unknown_collective_is_named(session, system):
    with pytest.raises(ValidationFailed) as info:
        services.add_household(session, system, code="220421101201990001", name="x")
    assert (info.value.field, info.value.rule) == ("collective_code", "R4.5")


def test_missing_parcel_is_not_found(session, system):
    with pytest.raises(NotFound):
        queries.get_parcel(session, system, COLLECTIVE + "99999")


def test_collective_creates_the_admin_units_its_code_implies(session, system):
    services.add_collective(session, system, code="22042110230100", name="新村",
                            unit_names={2: "新乡", 3: "新村"})
    levels = session.execute(sa.text("SELECT code, level, name FROM admin_units "
                                     "WHERE code LIKE '220421102%' ORDER BY level")).all()
    assert [(c, lvl) for c, lvl, _ in levels] == [("220421102", 2), ("220421102301", 3)]
