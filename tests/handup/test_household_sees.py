"""Every household of the package can log in (an account made through the existing account
mechanism, `landrights users create … --role farmer --household CODE`) and sees its land,
contract and certificate as registered (issue 18): pages through the test client. The sample as
delivered: its two edge cases, the certificate re-issued (补发, 010005) and the one replaced (换发,
010009), both in households listing an ID number group 02 lists too (migration 0020)."""
import re

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.certification import certificates as certs
from landrights.certification.models import Certificate
from tests.conftest import FAST_HASH, PASSWORD
from tests.handup.conftest import EXPECTED, SAMPLE_ZIP, import_package

EDGES = {"220421103004010005": "2020年9月1日", "220421103004010009": "2022年3月1日"}


def _login(client, username):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)
    return client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token})


@pytest.mark.parametrize("household", sorted(EDGES))
def test_a_household_logs_in_and_sees_what_was_registered(clean_app, clean_session,
                                                          clean_client, tmp_path, household):
    import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    expected = EXPECTED["households"][household]
    user = accounts.create_user(clean_session, SYSTEM, username="household", password=PASSWORD,
                                role="farmer", display_name=expected["name"],
                                household_code=household, hash_method=FAST_HASH)
    user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    clean_session.flush()
    assert _login(clean_client, "household").status_code == 302
    page = clean_client.get(f"/households/{household}").get_data(as_text=True)
    assert expected["name"] in page and expected["contract"] in page
    for code in expected["parcels"]:
        assert code in page
    parcel = expected["parcels"][0]
    land = clean_client.get(f"/parcels/{parcel}")
    assert land.status_code == 200 and expected["contract"] in land.get_data(as_text=True)
    assert "1998年12月20日" in land.get_data(as_text=True)  # valid from QDSJ, in China time
    assert "本县汇交成果" in land.get_data(as_text=True)  # where the record came from
    listing = clean_client.get(f"/certificates/{expected['contract']}")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and EDGES[household] in text and "2017年4月1日" in text
    pdf = clean_client.get(f"/certificates/{expected['contract']}/2.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    current = clean_session.scalar(sa.select(Certificate).where(
        Certificate.code == expected["contract"], Certificate.status == "valid"))
    assert current.serial == 2  # the re-issued / replacement certificate
    qr = certs.verify_url(clean_session, "", current)
    verified = clean_client.get(qr)  # what its QR code opens
    assert verified.status_code == 200 and "有效" in verified.get_data(as_text=True)
    other = clean_client.get("/households/220421103004010006")
    assert other.status_code == 403  # only its own household
