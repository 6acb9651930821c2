"""One input contract per use case (issue 21 §4): the confirmation pages load their forms through the
schema the JSON API loads its body with (landrights.certification.inputs), so a value the API refuses,
the form refuses too: the same field, the same words beside it, nothing written."""
from __future__ import annotations

import pytest

from landrights.certification import certificates
from tests.certification.helpers import FARMER_HOUSEHOLD, farmer_on_notice
from tests.factories import same_refusal

CONTRACT = FARMER_HOUSEHOLD + "J"  # the demo farmer's registered contract
COLLECTIVE = "22042110120101"  # group 01, the township officer's


@pytest.mark.parametrize("act", ["cancel", "reissue", "replace"])
@pytest.mark.parametrize("change, field", [
    ({"reason": None}, "reason"),
    ({"document": None}, "document"),
    ({"document": "决定" * 101}, "document"),  # at most 200 characters
])
def test_a_certificate_act_the_api_refuses_the_page_refuses_beside_the_same_field(
        client, auth, session, county, act, change, field):
    certificates.issue_certificate(session, county, code=CONTRACT)
    values = {k: v for k, v in ({"reason": "证书遗失", "document": "登报声明 2026-5"} | change).items()
              if v is not None}
    same_refusal(client, auth, session, user="county", api=f"/api/v1/certificates/{CONTRACT}/changes",
                 body={"action": act, **values}, page=f"/certificates/{CONTRACT}/{act}", form=values,
                 field=field, table="certificates")


@pytest.mark.parametrize("change, field", [
    ({"days": "七"}, "days"),
    ({"days": "0"}, "days"),  # 1 to 365 (R5.3)
    ({"days": "366"}, "days"),
    ({"collective": "2204211012"}, "collective_code"),  # 14 digits (R4.5)
    ({"place": "村" * 201}, "place"),
])
def test_a_notice_the_api_refuses_the_page_refuses_beside_the_same_field(client, auth, session, change,
                                                                         field):
    form = {"collective": COLLECTIVE, "days": "10", "place": "村部公告栏"} | change
    body = {"collective_code": form["collective"], "place": form["place"],
            "days": int(form["days"]) if form["days"].isdecimal() else form["days"]}
    same_refusal(client, auth, session, user="officer", api="/api/v1/notices", body=body, page="/notices/",
                 form=form, field=field, table="notices")


@pytest.mark.parametrize("change, field", [
    ({"text": "四至不对" * 1001}, "text"),  # at most 4000 characters
    ({"text": None}, "text"),
])
def test_an_objection_the_api_refuses_the_notice_page_refuses_beside_the_same_field(
        client, auth, session, officer, change, field):
    notice, codes = farmer_on_notice(session, officer)
    values = {k: v for k, v in ({"text": "东至应为李家地"} | change).items() if v is not None}
    same_refusal(client, auth, session, user="farmer", api=f"/api/v1/notices/{notice.id}/objections",
                 body={"household_code": FARMER_HOUSEHOLD, "parcel_code": codes[1], **values},
                 page=f"/notices/{notice.id}/objections", form={"subject": f"{FARMER_HOUSEHOLD}/{codes[1]}",
                                                                **values},
                 field=field, table="objections", form_on=f"/notices/{notice.id}")


def _objection(session, officer, on_parcel: bool, on=None):
    """An open objection of the demo farmer on the notice (`on`: (notice, codes) of one opened
    already): against a parcel, or the household record."""
    from landrights.certification import objections
    from tests.certification.conftest import farmer_of

    notice, codes = on or farmer_on_notice(session, officer)
    return objections.file_objection(session, farmer_of(FARMER_HOUSEHOLD), notice_id=notice.id,
                                     household_code=FARMER_HOUSEHOLD,
                                     parcel_code=codes[1] if on_parcel else None, text="登记有误")


def _decide(client, auth, session, objection, form: dict, api_body: dict) -> tuple[dict, str, int]:
    """Post the same decision to the API (JSON) and the page (its flat form); return the API's
    error, the page and its status."""
    from tests.factories import bearer

    api = client.post(f"/api/v1/objections/{objection.id}/decision", json=api_body,
                      headers=bearer(session, "officer"))
    assert api.status_code == 422, api.get_json()
    auth.login("officer")
    path = f"/objections/{objection.id}"
    page = client.post(path, data={"csrf_token": auth.csrf(path), **form})
    return api.get_json()["error"], page.get_data(as_text=True), page.status_code


@pytest.mark.parametrize("changes, field", [
    ({"east": "李家地" * 34}, "parcel_changes.east"),  # at most 100 characters, as its column
    ({"remark": "备注" * 101}, "parcel_changes.remark"),  # at most 200
])
def test_a_parcel_correction_the_api_refuses_the_page_refuses_beside_its_field(
        client, auth, session, officer, changes, field):
    from landrights.certification.models import Objection
    from tests.factories import said_beside

    objection = _objection(session, officer, on_parcel=True)
    decision = {"decision": "uphold", "reason": "现场核实"}
    error, html, status = _decide(client, auth, session, objection,
                                  decision | {f"parcel_changes.{k}": v for k, v in changes.items()},
                                  decision | {"parcel_changes": changes})
    assert (error["field"], status) == (field, 422)
    assert said_beside(html, field) == error["message"]
    assert f'value="{next(iter(changes.values()))}"' in html  # what was typed stays
    assert session.get(Objection, objection.id).status == "open"


@pytest.mark.parametrize("member, field, said", [
    ({"id_number": "1" * 31}, "member_changes.0.id_number", "请填写 1 到 30 个字。"),
    ({"id_number": "220421196503041234", "is_co_holder": "也许"}, "member_changes.0.is_co_holder",
     "请选择“是”或“否”。"),
])
def test_a_member_correction_the_api_refuses_the_page_refuses_beside_its_field(
        client, auth, session, officer, member, field, said):
    from tests.factories import said_beside

    objection = _objection(session, officer, on_parcel=False)
    decision = {"decision": "uphold", "reason": "更正成员"}
    error, html, status = _decide(client, auth, session, objection,
                                  decision | {f"member_changes.0.{k}": v for k, v in member.items()},
                                  decision | {"member_changes": [member]})
    assert (error["field"], error["message"], status) == (field, said, 422)
    assert said_beside(html, field) == said


def _member(session, co_holder: bool) -> tuple[str, bool]:
    import sqlalchemy as sa

    return session.execute(sa.text(
        "SELECT p.id_number, m.is_co_holder FROM household_members m JOIN persons p ON p.id = m.person_id "
        "JOIN households h ON h.id = m.household_id WHERE h.code = :h AND m.valid_to IS NULL "
        "AND m.is_co_holder = :c ORDER BY p.id LIMIT 1"), {"h": FARMER_HOUSEHOLD, "c": co_holder}).one()


def test_the_page_corrects_a_member_as_the_api_does_and_a_box_ticked_alone_corrects_nobody(
        client, auth, session, officer):
    """The co-holder box is ticked by default: dismissing with it (no ID number typed) is no
    member correction; upholding with the box cleared sends is_co_holder false (its hidden 0)."""
    import sqlalchemy as sa

    from landrights.certification.models import Objection

    auth.login("officer")
    on = farmer_on_notice(session, officer)
    first = _objection(session, officer, on_parcel=False, on=on)
    path = f"/objections/{first.id}"
    box = "member_changes.0.is_co_holder"
    dismissed = client.post(path, data={"csrf_token": auth.csrf(path), "decision": "dismiss",
                                        "reason": "无误", box: ["1", "0"]})
    assert dismissed.status_code == 302 and session.get(Objection, first.id).status == "dismissed"
    second = _objection(session, officer, on_parcel=False, on=on)
    id_number, _co = _member(session, True)
    path = f"/objections/{second.id}"
    upheld = client.post(path, data={"csrf_token": auth.csrf(path), "decision": "uphold",
                                     "reason": "更正共有人", "member_changes.0.id_number": id_number,
                                     box: "0"})
    assert upheld.status_code == 302 and session.get(Objection, second.id).status == "upheld"
    assert session.scalar(sa.text(
        "SELECT m.is_co_holder FROM household_members m JOIN persons p ON p.id = m.person_id "
        "WHERE p.id_number = :n AND m.valid_to IS NULL"), {"n": id_number}) is False


@pytest.mark.parametrize("typed, said", [
    ("2204211012010100001、2204", "地块代码（DKBM）必须是 19 位数字。"),  # each code 19 digits (R4.7)
    ("", "此项必填。"),
])
def test_a_claim_of_parcels_is_read_through_its_schema_beside_the_box(client, auth, session, typed, said):
    import sqlalchemy as sa

    from tests.factories import said_beside

    before = session.scalar(sa.text("SELECT count(*) FROM claims"))
    auth.login("officer")
    confirm = f"/households/{FARMER_HOUSEHOLD}/confirm"
    answer = client.post(f"/households/{FARMER_HOUSEHOLD}/claims",
                         data={"csrf_token": auth.csrf(confirm), "parcel_codes": typed})
    assert answer.status_code == 422 and said_beside(answer.get_data(as_text=True), "parcel_codes") == said
    assert session.scalar(sa.text("SELECT count(*) FROM claims")) == before
