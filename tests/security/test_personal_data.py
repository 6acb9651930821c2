"""Personal data by job (issue 16, section 3; DESIGN: "shown only to those whose job needs it"):
ID numbers on printed certificates follow the API's one rule (registry.rules.shown_id_number);
no page, list, map layer or feature service shows a full ID number or phone to anyone else; and
nobody borrows another person's ID number to gain a member's priority or to learn of people
outside their area."""
from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.registry.rules import mask_id_number
from tests.factories import parcel_tile
from tests.security.world import NEIGHBOUR, NEIGHBOUR_HEAD, SETTLED, build, token, unregistered_id_number

HOUSEHOLD = "220421101201010001"  # 杨春林: the demo "farmer" account's household, group 01
HEAD = "220421196101240233"
SETTLED_HEAD = "220421196305078258"  # 赵振华, group 02
COUNTY = Actor(role="county_admin", name="县", county_code="220421")


def _pdf_text(response, tmp_path) -> str:
    (tmp_path / "c.pdf").write_bytes(response.data)
    return subprocess.run(["pdftotext", "-layout", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.parametrize("who, full", [("clerk", False), ("officer", True), ("county", True),
                                       ("farmer", True)])
def test_the_certificate_shows_the_id_number_as_the_api_does(client, auth, session, tmp_path, who, full):
    """A clerk printed the holder's full ID number while the API masked it for the clerk."""
    cert = certificates.issue_certificate(session, COUNTY, code=HOUSEHOLD + "J")
    session.commit()
    auth.login(who)
    printed = client.get(f"/certificates/{cert.code}/{cert.serial}.pdf")
    assert printed.status_code == 200
    text = _pdf_text(printed, tmp_path)
    assert "杨春林" in text
    assert (HEAD in text) is full and (mask_id_number(HEAD) in text) is not full
    api = client.get(f"/api/v1/households/{HOUSEHOLD}", headers=token(session, who)).get_json()
    head = next(m for m in api["members"] if m["name"] == "杨春林")
    assert head["id_number"] in text  # the same rule: what the API shows is what is printed


def test_a_transferee_cannot_claim_a_members_id_number(client, session):
    """A member's ID number gave any account a member's priority at equal terms (R1.21(5))."""
    build(session)
    from landrights.accounts import services as accounts
    from tests.conftest import FAST_HASH, PASSWORD

    accounts.create_user(session, Actor(role="system"), username="newcomer", password=PASSWORD,
                         role="transferee", display_name="newcomer", hash_method=FAST_HASH)
    body = {"kind": "individual", "name": "冒名者", "operating_capacity": "农机 1 台"}
    answers = [client.post("/api/v1/transferees", json=body | {"id_number": number},
                           headers=token(session, "newcomer"))
               for number in (NEIGHBOUR_HEAD, unregistered_id_number(session))]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].get_json() == answers[1].get_json()
    assert answers[0].get_json()["error"]["field"] == "id_number"
    linked = session.scalar(sa.text("SELECT count(*) FROM transferees t JOIN users u ON u.id = t.user_id "
                                    "WHERE u.username = 'newcomer'"))
    assert linked == 0


def test_a_clerk_admitting_learns_nothing_of_people_elsewhere(client, session):
    """Admitting a person of another collective named that collective; an unknown number said 404."""
    clerk = token(session, "clerk")  # group 01
    body = {"basis": "marriage", "basis_date": "2020-05-01", "basis_document": "结婚证"}
    answers = [client.post("/api/v1/collectives/22042110120101/members", json=body | {"id_number": n},
                           headers=clerk) for n in (SETTLED_HEAD, unregistered_id_number(session))]
    assert answers[0].status_code == answers[1].status_code == 422
    assert answers[0].get_json() == answers[1].get_json()
    assert "22042110120102" not in answers[0].get_data(as_text=True)


def _secrets(session, own: str | None) -> set[str]:
    """Every full ID number and phone of the register except the own household's."""
    rows = session.execute(sa.text("""
        SELECT p.id_number, p.phone FROM persons p
        LEFT JOIN household_members m ON m.person_id = p.id AND m.valid_to IS NULL
        LEFT JOIN households h ON h.id = m.household_id WHERE h.code IS DISTINCT FROM :own
        UNION ALL SELECT NULL, phone FROM households WHERE code IS DISTINCT FROM :own
        UNION ALL SELECT responsible_id_number, phone FROM collectives"""), {"own": own}).all()
    return {value for row in rows for value in row if value and len(value) >= 7}


READS = ["/api/v1/parcels?bbox=125,42,126,43&limit=500", "/api/v1/households?limit=500",
         "/api/v1/persons?limit=500", f"/api/v1/households/{NEIGHBOUR}", f"/api/v1/households/{SETTLED}",
         f"/api/v1/households/{NEIGHBOUR}/rights", "/api/v1/contracts?limit=500", "/api/v1/listings",
         "/api/v1/listings/parcels?bbox=125,42,126,43", "/ogc/collections/parcels/items?limit=1000",
         "/ogc/collections/homesteads/items?limit=1000", "/ogc/collections/listings/items",
         "/households", f"/households/{NEIGHBOUR}", "/notices/", "/collectives/22042110120101/members",
         "/collectives/22042110120103/members", "/market/", "/market/ledger", f"/rights/{NEIGHBOUR}"]


@pytest.mark.parametrize("who, own", [("clerk", None), ("clerk3", None), ("farmer", HOUSEHOLD),
                                      ("outsider", None), ("officer2", None)])
def test_no_full_id_number_or_phone_reaches_those_whose_job_does_not_need_them(
        client, auth, session, who, own):
    world = build(session)
    from landrights.accounts import services as accounts
    from tests.conftest import FAST_HASH, PASSWORD

    accounts.create_user(session, Actor(role="system"), username="clerk3", password=PASSWORD,
                         role="collective_clerk", display_name="三组文书", hash_method=FAST_HASH,
                         collective_code="22042110120103")
    session.commit()
    notice = world.known["notice"]
    parcel = world.known["parcel"]
    paths = READS + [f"/api/v1/notices/{notice}", f"/notices/{notice}",
                     f"/notices/{notice}/print/households.html", f"/api/v1/parcels/{parcel}",
                     f"/parcels/{parcel}", f"/tiles/parcels/{parcel_tile(session, parcel, 16)}.mvt",
                     f"/tiles/villages/{parcel_tile(session, parcel, 12)}.mvt"]
    secrets = _secrets(session, own)
    headers = token(session, who)
    auth.login(who)  # the pages by the session, the API and tiles by the token: both ways in
    seen = 0
    for path in paths:
        response = client.get(path, headers=headers if path.startswith(("/api", "/ogc", "/tiles")) else {})
        body = response.get_data()
        seen += response.status_code == 200
        leaked = [s for s in secrets if s.encode() in body]
        assert not leaked, (who, path, leaked[:3])
    assert seen >= 8  # most of them answered: the sweep read real pages, not only refusals
