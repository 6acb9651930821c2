"""The transfer contract as printed, read back with poppler: every clause of Rural Land Contracting
Law art. 40 (R1.23 (1)-(8)), the parties' addresses, the land's quality grade by name (R4.23), and
what the ministry's model text adds (R2.9): 流转方式, 四至, 地块代码, attachments at expiry and the
dispute clause (mediation, the county's arbitration committee, the courts). Issue 17 §3."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.errors import ValidationFailed
from landrights.market import contracts
from landrights.market import services as market
from tests.factories import LICENCE_ADDRESS, approved_company, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, farmer_of, make_bidder

# R4.23 地力等级 DLDJ, written out here rather than imported, so the test checks the table too
GRADE_NAMES = {"01": "一等地", "02": "二等地", "03": "三等地", "04": "四等地", "05": "五等地",
               "06": "六等地", "07": "七等地", "08": "八等地", "09": "九等地", "10": "十等地"}
HOUSEHOLD_ADDRESS = "吉林省辽源市东丰县大阳镇永安村一组"  # CBFDZ of 杨春林's household (demo)


def _awarded(session, officer, bidder, price: str):
    listing = make_listing(session)
    pay_deposit(session, officer, listing, bidder)
    market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal(price))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    return listing


def _printed(client, auth, code: str, tmp_path) -> str:
    """Return the contract PDF's text as the household downloads it, whitespace removed (a table
    cell or a paragraph may wrap anywhere)."""
    auth.login("farmer")
    response = client.get(f"/market/contracts/{code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "contract.pdf").write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "contract.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


def _articles(flat: str) -> list[str]:
    """Return the article headings in order (第一条 当事人 ...)."""
    return re.findall(r"第[一二三四五六七八九十]+条", flat)


def test_every_clause_of_r1_23_is_printed(client, auth, session, officer, tmp_path):
    company = approved_company(session)
    listing = _awarded(session, officer, company, "560")
    contract = contracts.draft_contract(session, officer, listing_id=listing.id,
                                        transferee_address=LICENCE_ADDRESS)
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    contracts.sign_contract(session, company.actor, code=contract.code)
    clock.reset()
    flat = _printed(client, auth, contract.code, tmp_path)
    assert _articles(flat) == [f"第{n}条" for n in [*"一二三四五六七八九十", "十一"]]

    # (1) the parties' names and addresses
    assert f"流出方（承包方）杨春林（承包方编码{HOUSEHOLD}）" in flat
    assert f"流出方住所{HOUSEHOLD_ADDRESS}" in flat
    assert "流入方agri_co（企业）" in flat and f"流入方住所{LICENCE_ADDRESS}" in flat
    # (2) each parcel's code, name, location, area in mu, quality grade by name, four sides
    parcels = session.execute(sa.text(
        "SELECT code, name, soil_grade, east, south, west, north, area_m2 * 15 / 10000 FROM parcels "
        "WHERE code = ANY(:codes) AND valid_to IS NULL ORDER BY code"),
        {"codes": contract.parcel_codes}).all()
    assert len(parcels) == 2
    for code, name, grade, east, south, west, north, mu in parcels:
        assert f"{code}{name}东丰县大阳镇永安村一组{mu:.2f}{GRADE_NAMES[grade]}" in flat
        assert f"四至：东至{east}；南至{south}；西至{west}；北至{north}" in flat
    # (3) the term and its dates, with 流转方式 (R2.9)
    assert "流转方式：出租（转包）。流转期限自2027年1月1日起至2028年12月31日止" in flat
    # (4) the use
    assert "土地用途：粮食种植。不得改变土地所有权性质和农业用途" in flat
    # (5) both parties' rights and duties
    assert "双方的权利和义务流出方（承包方）：（1）按照合同约定收取流转价款" in flat
    assert "承包方与发包方的承包关系" in flat  # R1.27: the contract relation does not change
    assert "流入方：（1）在合同约定的期限内依法自主开展农业生产经营并取得收益" in flat
    assert "投资改良土壤" in flat and "经流出方书面同意并向发包方备案，可以再流转" in flat  # R1.29
    assert "不得在永久基本农田上挖塘养鱼、种植林果" in flat  # R2.7
    # (6) the price and the payment method
    assert (f"流转价款每亩每年560.00元，每年合计{contract.annual_rent_yuan}元；"
            "支付方式：每年1月15日前付清当年租金") in flat
    # (7) who gets compensation on expropriation
    assert ("征收、征用、占用时的补偿流转期间土地被依法征收、征用、占用的，"
            "土地补偿费归承包方（流出方）所有") in flat
    assert "地上附着物及青苗补偿费归实际投入者所有" in flat
    # termination for the statutory causes only (R1.25), the collective's fallback (R1.26)
    assert "弃耕抛荒连续两年以上" in flat and "发包方有权要求终止合同" in flat
    # (8) liability for breach
    assert ("违约责任任何一方不履行或者不完全履行合同义务的，"
            "应当承担继续履行、采取补救措施或者赔偿损失") in flat
    # R2.9: attachments at expiry, and the dispute clause of every model contract
    assert "期满时土地和地上附着物的处理" in flat and "自行拆除并恢复土地原状" in flat
    assert ("争议解决因本合同发生纠纷的，双方当事人可以协商解决，"
            "也可以请求永安村村民委员会、大阳镇人民政府调解解决；当事人不愿协商、调解或者协商、调解不成的，可以向东丰县农村土地承包仲裁委员会申请仲裁，"
            "也可以直接向人民法院起诉") in flat
    assert "报发包方东丰县大阳镇永安村一组备案" in flat  # filing (R2.9)
    assert not re.search(r"R\d+\.\d+", flat)  # people never read rule ids


def test_a_member_transferees_address_comes_from_its_households_register(client, auth, session, officer,
                                                                          tmp_path):
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    listing = _awarded(session, officer, member, "540")
    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    clock.reset()
    address = session.scalar(sa.text("SELECT address FROM households WHERE code = :c"),
                             {"c": MEMBER_HOUSEHOLD})
    assert contract.clauses["parties"]["transferee_address"] == address
    flat = _printed(client, auth, contract.code, tmp_path)
    assert f"流入方住所{address}" in flat and f"流出方住所{HOUSEHOLD_ADDRESS}" in flat
    grades = session.scalars(sa.text("SELECT soil_grade FROM parcels WHERE code = ANY(:codes) AND valid_to "
                                     "IS NULL"), {"codes": contract.parcel_codes}).all()
    assert grades and all(GRADE_NAMES[g] in flat for g in grades)
    assert "东丰县农村土地承包仲裁委员会" in flat and "调解" in flat and "人民法院" in flat


def test_no_contract_is_drawn_up_without_the_transferees_address(session, officer):
    company = approved_company(session)
    listing = _awarded(session, officer, company, "560")
    with pytest.raises(ValidationFailed) as refused:
        contracts.draft_contract(session, officer, listing_id=listing.id)
    assert (refused.value.field, refused.value.rule) == ("transferee_address", "R1.23")
    with pytest.raises(ValidationFailed):
        contracts.draft_contract(session, officer, listing_id=listing.id, transferee_address="   ")
    assert session.scalar(sa.text("SELECT count(*) FROM transfer_contracts WHERE listing_id = :l"),
                          {"l": listing.id}) == 0
    clock.reset()


def test_the_officer_gives_the_address_on_the_page_and_through_the_api(client, auth, session, officer):
    from tests.factories import bearer

    company = approved_company(session)
    listing = _awarded(session, officer, company, "560")
    try:
        refused = client.post(f"/api/v1/listings/{listing.id}/contract?lang=en",
                              headers=bearer(session, "officer"), json={})
        assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "transferee_address"
        auth.login("officer")
        page = f"/market/{listing.id}/desk"  # the township desk (issue 19)
        assert 'name="transferee_address"' in client.get(page).get_data(as_text=True)
        shown = client.post(page, data={
            "csrf_token": auth.csrf(page), "action": "contract", "transferee_address": ""})
        assert shown.status_code == 422
        assert "营业执照" in shown.get_data(as_text=True)  # told, in Chinese, where to find the address
        client.post(page, data={
            "csrf_token": auth.csrf(page), "action": "contract", "transferee_address": LICENCE_ADDRESS})
    finally:
        clock.reset()
    clauses = session.scalar(sa.text("SELECT clauses FROM transfer_contracts WHERE listing_id = :l"),
                             {"l": listing.id})
    assert clauses["parties"]["transferee_address"] == LICENCE_ADDRESS
