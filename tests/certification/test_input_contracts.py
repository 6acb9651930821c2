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
