"""One input contract per use case (issue 21 §4): the retained-rights pages load their forms through
the schema the JSON API loads its body with (landrights.rights.inputs), so a value the API refuses,
the form refuses too: the same field, the same words beside it on the household's page, nothing
written."""
from __future__ import annotations

import pytest

from tests.factories import same_refusal

HOUSEHOLD = "220421101201010001"  # the demo account "farmer"
WITHDRAWAL = {"kind": "land_return", "compensation_yuan": "12000", "effective_on": "2027-12-31"}
SETTLEMENT = {"id_number": "220421198212181431", "settled_on": "2020-05-01", "city": "东丰镇",
              "document": "户口迁移证 0012"}


def _values(base: dict, change: dict) -> dict:
    return {k: v for k, v in (base | change).items() if v is not None}


@pytest.mark.parametrize("change, field", [
    ({"compensation_yuan": "一万"}, "compensation_yuan"),
    ({"compensation_yuan": "0"}, "compensation_yuan"),  # paid: more than 0 (G3)
    ({"compensation_yuan": None}, "compensation_yuan"),
    ({"improvement_yuan": "-1"}, "improvement_yuan"),
    ({"effective_on": "2027-02-30"}, "effective_on"),
    ({"effective_on": None}, "effective_on"),
    ({"parcel_codes": ["2204"]}, "parcel_codes"),  # 19 digits (R4.7)
    ({"share_quantity": "abc"}, "share_quantity"),
])
def test_a_withdrawal_the_api_refuses_the_rights_page_refuses_beside_the_same_field(client, auth, session,
                                                                                    change, field):
    values = _values(WITHDRAWAL, change)
    same_refusal(client, auth, session, user="farmer", api="/api/v1/withdrawals",
                 body={"household_code": HOUSEHOLD, **values}, page=f"/rights/{HOUSEHOLD}/withdrawals",
                 form=values, field=field, table="withdrawals", status=200, form_on=f"/rights/{HOUSEHOLD}")


@pytest.mark.parametrize("change, field", [
    ({"settled_on": "1950-01-01"}, "settled_on"),  # no hukou transfer before 1958-01-09 (R9.1)
    ({"settled_on": "去年"}, "settled_on"),
    ({"city": None}, "city"),
    ({"id_number": "2" * 31}, "id_number"),
])
def test_a_settlement_the_api_refuses_the_rights_page_refuses_beside_the_same_field(client, auth, session,
                                                                                    change, field):
    values = _values(SETTLEMENT, change)
    same_refusal(client, auth, session, user="officer", api="/api/v1/settlements", body=values,
                 page=f"/rights/{HOUSEHOLD}/settlement", form=values, field=field, table="settlements",
                 status=200, form_on=f"/rights/{HOUSEHOLD}")
