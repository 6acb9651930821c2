"""The printable notice lists (per household, per parcel) in HTML and PDF: ID numbers masked,
every parcel listed, a map sheet of the parcels (R5.3)."""
from __future__ import annotations

import subprocess

import sqlalchemy as sa

from landrights.certification import services
from tests.certification.conftest import COLLECTIVE, PENDING


def test_notice_lists_print_masked_with_a_map_sheet(client, session, auth, officer, tmp_path):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE, place="永安村委会")
    codes = sorted(e.parcel_code for e in notice.entries if e.parcel_code)
    id_numbers = session.scalars(sa.text(
        "SELECT p.id_number FROM persons p JOIN household_members m ON m.person_id = p.id "
        "JOIN households h ON h.id = m.household_id WHERE h.code = ANY(:h)"), {"h": PENDING}).all()
    auth.login("officer")  # prints it for the notice board
    html = client.get(f"/notices/{notice.id}/print/parcels.html").get_data(as_text=True)
    assert all(code in html for code in codes) and "<svg" in html and "北" in html
    households = client.get(f"/notices/{notice.id}/print/households.html").get_data(as_text=True)
    assert not any(number in households for number in id_numbers)
    assert all(number[:6] + "********" + number[-4:] in households for number in id_numbers)
    pdf = client.get(f"/notices/{notice.id}/print/parcels.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    (tmp_path / "n.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "n.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "公示" in text and all(code in text for code in codes) and "永安村委会" in text
    other = client.get("/notices/999999/print/parcels.html")  # unknown: as another area's (no oracle)
    assert other.status_code == 403
