"""Market pages: anyone browses open listings; the farmer lists from the phone page; a transferee
bids on the page; the officer reads the ledger and statistics."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from landrights import clock
from landrights.market import contracts
from landrights.market import services as market
from tests.factories import make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, farmer_of, make_bidder, parcels_of


def test_farmer_lists_and_anyone_browses(app, client, auth, session):
    auth.login("farmer")
    codes = parcels_of(session, HOUSEHOLD)[:1]
    page = client.get("/market/mine").get_data(as_text=True)
    assert 'id="listing-form"' in page and codes[0] in page
    response = client.post("/market/mine", data={
        "csrf_token": auth.csrf("/market/mine"), "parcel_codes": codes, "mode": "lease", "land_use": "grain",
        "term_start": "2027-01-01", "term_end": "2030-12-31", "reserve_price": "450",
        "payment_schedule": "每年一次"}, follow_redirects=True)
    assert "R1.21" in response.get_data(as_text=True)  # past the contract's 2028 end: refused, named
    client.post("/market/mine", data={
        "csrf_token": auth.csrf("/market/mine"), "parcel_codes": codes, "mode": "lease", "land_use": "grain",
        "term_start": "2027-01-01", "term_end": "2028-12-31", "reserve_price": "450",
        "payment_schedule": "每年一次"})
    listing_id = session.scalar(sa.text("SELECT id FROM listings WHERE household_code = :h"),
                                {"h": HOUSEHOLD})
    anyone = app.test_client()
    listed = anyone.get("/market/?township=220421101").get_data(as_text=True)
    assert f'href="/market/{listing_id}"' in listed and HOUSEHOLD not in listed  # no household shown
    assert anyone.get(f"/market/{listing_id}").status_code == 200


def test_transferee_bids_on_the_page_and_officer_sees_the_ledger(client, auth, session, officer):
    listing = make_listing(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    pay_deposit(session, officer, listing, member)
    auth.login("liu")
    path = f"/market/{listing.id}"
    client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid", "price": "620"})
    assert listing.best_price == Decimal("620")
    client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid", "price": "600"})
    assert listing.bid_count == 1  # lower: refused
    assert "620" in client.get("/market/bids").get_data(as_text=True)
    clock.travel(timedelta(days=11))
    try:
        contracts.award(session, officer, listing_id=listing.id)
        contract = contracts.draft_contract(session, officer, listing_id=listing.id)
        contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
        contracts.sign_contract(session, member.actor, code=contract.code)
    finally:
        clock.reset()
    auth.login("officer")
    page = client.get("/market/ledger").get_data(as_text=True)
    assert contract.code in page and 'id="stats"' in page and "220421101" in page
    assert market.get_listing(session, listing.id).status == "contracted"


def test_contract_and_attestation_pdfs_and_public_verification(app, client, auth, session, officer, tmp_path):
    import subprocess

    listing = make_listing(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    pay_deposit(session, officer, listing, member)
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("580"))
    clock.travel(timedelta(days=11))
    try:
        contracts.award(session, officer, listing_id=listing.id)
        contract = contracts.draft_contract(session, officer, listing_id=listing.id)
        contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
        contracts.sign_contract(session, member.actor, code=contract.code)
    finally:
        clock.reset()
    auth.login("farmer")
    pdf = client.get(f"/market/contracts/{contract.code}.pdf")
    (tmp_path / "c.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "流转合同" in text and contract.code in text and all(c in text for c in contract.parcel_codes)
    assert "征收" in text and "弃耕抛荒连续两年以上" in text  # the statutory clauses
    attestation = client.get(f"/market/contracts/{contract.code}/attestation.pdf")
    (tmp_path / "a.pdf").write_bytes(attestation.data)
    subprocess.run(["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", str(tmp_path / "a.pdf"),
                    str(tmp_path / "p")], check=True)
    url = subprocess.run(["zbarimg", "-q", "--raw", str(next(tmp_path.glob("p*.png")))], capture_output=True,
                         text=True, check=True).stdout.strip()
    anyone = app.test_client()
    path = url.removeprefix(app.config["PUBLIC_BASE_URL"])
    public = anyone.get(path).get_data(as_text=True)
    assert 'data-state="filed"' in public and "杨**" in public
    assert "liu" not in public and "580" not in public  # no transferee, no price (issue 16)
    forged = anyone.get(path.replace("&s=", "&s=Z"))
    assert forged.status_code == 404 and 'data-state="unverified"' in forged.get_data(as_text=True)
    bare = anyone.get(path.split("?")[0])  # the code alone opens nothing
    assert bare.status_code == 404 and 'data-state="unverified"' in bare.get_data(as_text=True)
    assert "杨**" not in bare.get_data(as_text=True)
    auth.login("clerk")  # group 01's clerk: an official of the area may read it; another household may not
    assert client.get(f"/market/contracts/{contract.code}.pdf").status_code == 200
    auth.login("migrant")
    assert client.get(f"/market/contracts/{contract.code}.pdf").status_code == 403


def test_officer_and_parties_finish_on_the_pages(app, client, auth, session, officer):
    listing = make_listing(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    auth.login("officer")
    path = f"/market/{listing.id}"
    client.post(f"{path}/officer", data={"csrf_token": auth.csrf(path), "action": "deposit",
                                         "transferee_id": str(member.transferee_id), "amount_yuan": "2000",
                                         "receipt": "收据 9"})
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("555"))
    clock.travel(timedelta(days=11))
    try:
        client.post(f"{path}/officer", data={"csrf_token": auth.csrf(path), "action": "award"})
        client.post(f"{path}/officer", data={"csrf_token": auth.csrf(path), "action": "contract"})
        page = client.get(path).get_data(as_text=True)
        assert 'data-status="draft"' in page
        code = session.scalar(sa.text("SELECT code FROM transfer_contracts WHERE listing_id = :l"),
                              {"l": listing.id})
        for username in ("farmer", "liu"):
            auth.login(username)
            client.post(f"/market/contracts/{code}/sign", data={"csrf_token": auth.csrf(path), "back": path,
                                                                 "agree": "1"})  # read and agreed
    finally:
        clock.reset()
    assert 'data-status="filed"' in client.get(path).get_data(as_text=True)
