"""Public verification (issue 16, section 3; G5): a certificate, a statement of retained rights or a
transfer attestation opens only with this registry's signature, as its printed QR code carries it;
then the public sees the verdict, the date, the holder masked and the size of the land, nothing
else. A bare code, a forged signature and an unknown code get one and the same answer."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.market import documents
from landrights.rights import statements
from landrights.signing.qr import mask_name
from tests.security.world import NEIGHBOUR, SETTLED, normalised

COUNTY = Actor(role="county_admin", name="县", county_code="220421")
FORGED = "A" * 86  # the length of an SM2 signature in the QR (landrights.signing.qr)


def _path(app, url: str) -> str:
    return url.removeprefix(app.config["PUBLIC_BASE_URL"])


@pytest.fixture
def documents_of(app, session):
    """A certificate of the neighbour's contract, a statement of the settled household, and the
    demo transfer's attestation, each with the signed path its QR code carries."""
    cert = certificates.issue_certificate(session, COUNTY, code=NEIGHBOUR + "J")
    household = Actor(role="farmer", name="赵振华", household_code=SETTLED)
    statement = statements.issue_statement(session, household, SETTLED)
    transfer = session.scalar(sa.text("SELECT code FROM transfer_contracts WHERE household_code = :h"),
                              {"h": SETTLED})
    from landrights.market.models import TransferContract

    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == transfer))
    session.commit()
    base = app.config["PUBLIC_BASE_URL"]
    return {
        "certificate": (cert.code, NEIGHBOUR[:14] + "9999J",
                        _path(app, certificates.verify_url(session, base, cert)), "/verify/{code}",
                        "/api/v1/verify/{code}"),
        "statement": (statement.code, SETTLED[:14] + "9999S0001",
                      _path(app, statements.verify_url(session, base, statement)),
                      "/verify/statement/{code}", "/api/v1/verify/statements/{code}"),
        "transfer": (transfer, transfer[:6] + "209999999999",
                     _path(app, documents.attestation_url(session, base, contract)),
                     "/verify/transfer/{code}", None),
    }


def _names(session, household: str) -> list[str]:
    """Everything personal the household's answer must not show: names, ID numbers, phones."""
    rows = session.execute(sa.text(
        "SELECT p.name, p.id_number, coalesce(p.phone, '') FROM persons p "
        "JOIN household_members m ON m.person_id = p.id JOIN households h ON h.id = m.household_id "
        "WHERE h.code = :h"), {"h": household}).all()
    return [value for row in rows for value in row if value]


@pytest.mark.parametrize("kind", ["certificate", "statement", "transfer"])
def test_a_code_without_its_signature_opens_nothing(client, documents_of, kind):
    known, unknown, signed, page, api = documents_of[kind]
    query = signed.split("?")[1]
    forged = query.rsplit("s=", 1)[0] + "s=" + FORGED
    for template in filter(None, (page, api)):
        answers = {normalised(client.get(template.format(code=code) + suffix).get_data(as_text=True), code)
                   for code in (known, unknown) for suffix in ("", "?" + query, "?" + forged)
                   if not (code == known and suffix == "?" + query)}
        assert len(answers) == 1, (kind, template)  # bare, forged, unknown: one answer
        statuses = {client.get(template.format(code=unknown)).status_code,
                    client.get(template.format(code=known)).status_code}
        assert statuses == ({404} if template == page else {200})


@pytest.mark.parametrize("kind", ["certificate", "statement", "transfer"])
def test_the_signed_qr_shows_the_verdict_and_the_holder_masked_only(client, session, documents_of, kind):
    known, _unknown, signed, _page, api = documents_of[kind]
    household = NEIGHBOUR if kind == "certificate" else SETTLED
    page = client.get(signed)  # what scanning the printed QR code opens
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-state="unverified"' not in html
    name = session.scalar(sa.text("SELECT name FROM households WHERE code = :h"), {"h": household})
    assert mask_name(name) in html and mask_name(name) != name
    assert not [v for v in _names(session, household) if v in html]  # no name in full, ID, phone
    assert "永安农机合作社" not in html and "480" not in html  # the transfer's transferee and price
    if api:
        body = client.get(api.format(code=known) + "?" + signed.split("?")[1]).get_json()
        text = str(body)
        assert body["holder"].endswith("*") and not [v for v in _names(session, household) if v in text]
        assert not {"content", "dividends", "transfers", "members", "parcels"} & set(body)
