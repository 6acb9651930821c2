"""No oracles in the JSON API (issue 16, section 3): for every endpoint that takes an ID number,
a household, parcel, contract or transfer code, or a record's number, an outsider gets the same
answer, status and body, for a key that exists and for one that does not. Outsiders: the
public, a farmer of another household, a transferee who is no party, an officer of another
township. Permission first, existence after."""
from __future__ import annotations

import json

import pytest

from tests.security.world import OUTSIDERS, build, normalised, token

SCAN = {"name": "scan.pdf", "content_type": "application/pdf", "data_base64": "JVBERi0xLjQK"}
SQUARE = {"type": "Polygon", "coordinates": [[[125.44, 42.73], [125.4402, 42.73], [125.4402, 42.7302],
                                              [125.44, 42.7302], [125.44, 42.73]]]}

# (kind of key, method, path, JSON body); "{key}" is the key probed, "{today}" today's date
CASES = [
    ("id_number", "POST", "/api/v1/settlements",
     {"id_number": "{key}", "settled_on": "{today}", "city": "长春市", "document": "户口迁移证"}),
    ("id_number", "POST", "/api/v1/memberships/end",
     {"id_number": "{key}", "cause": "death", "lost_on": "{today}", "document": "死亡证明"}),
    ("id_number", "POST", "/api/v1/collectives/22042110120101/members",
     {"id_number": "{key}", "basis": "birth", "basis_date": "{today}", "basis_document": "出生证明"}),
    ("id_number", "POST", "/api/v1/transferees",
     {"kind": "individual", "name": "某人", "operating_capacity": "农机", "id_number": "{key}"}),
    ("household", "GET", "/api/v1/households/{key}", None),
    ("household", "GET", "/api/v1/households/{key}/rights", None),
    ("household", "GET", "/api/v1/households/{key}/confirmation", None),
    ("household", "POST", "/api/v1/households/{key}/statements", None),
    ("household", "POST", "/api/v1/households/{key}/sign-off", {}),
    ("household", "POST", "/api/v1/withdrawals",
     {"household_code": "{key}", "kind": "homestead", "compensation_yuan": "1000.00",
      "notice_on": "{today}", "effective_on": "{today}", "homestead_code": "{key}Z01"}),
    ("household", "POST", "/api/v1/homesteads",
     {"household_code": "{key}", "geometry": SQUARE, "land_source": "original",
      "approval_document": "审批", "approved_on": "{today}"}),
    ("household", "POST", "/api/v1/pledges",
     {"household_code": "{key}", "parcel_codes": ["{key}1"], "creditor": "银行", "amount_yuan": "1000.00",
      "term_start": "{today}", "term_end": "{today}", "document": "借款合同"}),
    ("household", "POST", "/api/v1/listings",
     {"household_code": "{key}", "parcel_codes": ["{key}1"], "mode": "lease", "term_start": "{today}",
      "term_end": "{today}", "reserve_price": "400.00", "payment_schedule": "每年", "land_use": "grain"}),
    ("parcel", "GET", "/api/v1/parcels/{key}", None),
    ("parcel", "GET", "/api/v1/parcels/{key}/history", None),
    ("contract", "GET", "/api/v1/contracts/{key}", None),
    ("contract", "POST", "/api/v1/certificates", {"code": "{key}"}),
    ("contract", "POST", "/api/v1/certificates/{key}/changes",
     {"action": "reissue", "reason": "遗失", "document": "遗失声明"}),
    ("collective", "POST", "/api/v1/collectives/{key}/members",
     {"id_number": "220421198212181431", "basis": "birth", "basis_date": "{today}",
      "basis_document": "证明"}),
    ("collective", "POST", "/api/v1/collectives/{key}/distributions",
     {"year": 2025, "amount_per_share": "1.0000", "decided_on": "{today}", "document": "决议"}),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/sign", None),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/registration", None),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/rent",
     {"due_on": "{today}", "paid_on": "{today}"}),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/termination",
     {"cause": "abandoned_two_years", "evidence": "照片"}),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/scanned-signatures", {"scan": SCAN}),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/retransfer-consents", {}),
    ("transfer", "POST", "/api/v1/transfer-contracts/{key}/retransfers",
     {"to_transferee_id": 1, "term_start": "{today}", "term_end": "{today}", "price": "500.00",
      "payment_schedule": "每年"}),
    ("transfer", "GET", "/api/v1/transfer-contracts/{key}", None),
    ("retransfer", "POST", "/api/v1/retransfers/{key}/sign", None),
    ("withdrawal", "GET", "/api/v1/withdrawals/{key}", None),
    ("withdrawal", "POST", "/api/v1/withdrawals/{key}/cancel", None),
    ("withdrawal", "POST", "/api/v1/withdrawals/{key}/review", {"voluntary": True, "note": "本人自愿"}),
    ("notice", "GET", "/api/v1/notices/{key}", None),
    ("notice", "POST", "/api/v1/notices/{key}/objections",
     {"household_code": "220421101201030016", "text": "面积不对"}),
    ("objection", "POST", "/api/v1/objections/{key}/decision", {"decision": "dismiss", "reason": "无误"}),
    ("pledge", "POST", "/api/v1/pledges/{key}/release", {"document": "还款证明"}),
    ("payout", "POST", "/api/v1/payouts/{key}/paid", {"paid_on": "{today}"}),
]


@pytest.fixture
def world(session):
    return build(session)


def _ask(client, session, world, who: str, case, key: str) -> tuple[int, str]:
    _kind, method, path, body = case
    fill = {"{key}": key, "{today}": world.today}
    for old, new in fill.items():
        path = path.replace(old, new)
    data = None
    if body is not None:
        text = json.dumps(body, ensure_ascii=False)
        for old, new in fill.items():
            text = text.replace(old, new)
        data = json.loads(text)
    response = client.open(path, method=method, json=data, headers=token(session, who))
    return response.status_code, normalised(response.get_data(as_text=True), key)


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
def test_an_outsider_learns_nothing_from_a_refusal(client, session, world, who, case):
    kind = case[0]
    known = _ask(client, session, world, who, case, world.known[kind])
    unknown = _ask(client, session, world, who, case, world.unknown[kind])
    assert known == unknown, (who, kind)
    assert known[0] >= 400  # a refusal, never the record
    if who == "anonymous":
        assert known[0] in (400, 401)  # no session (and so no CSRF token) or no token
    else:
        assert known[0] in (403, 422), known  # never 404 or 409: those would tell


def test_the_transfer_status_is_told_only_to_its_parties(client, session, world):
    """The sign endpoint said 409 'already filed' to anyone before checking who asks."""
    party = client.post(f"/api/v1/transfer-contracts/{world.known['transfer']}/sign",
                        headers=token(session, "migrant"))
    assert party.status_code == 409  # the household itself: its contract is filed
    outsider = client.post(f"/api/v1/transfer-contracts/{world.known['transfer']}/sign",
                           headers=token(session, "outsider"))
    assert outsider.status_code == 403 and "filed" not in outsider.get_data(as_text=True)


def test_an_officer_in_the_area_still_hears_what_is_missing(client, session, world):
    """Where the actor's area covers the code, 'not found' tells nothing it could not see."""
    officer = token(session, "officer")
    missing = client.get(f"/api/v1/households/{world.unknown['household']}", headers=officer)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "code"
    found = client.get(f"/api/v1/households/{world.known['household']}", headers=officer)
    assert found.status_code == 200


def test_a_survey_import_number_tells_nothing(client, session, world, tmp_path):
    """A survey import's report: an unknown number and another area's import, one answer."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.registry import services as registry
    from landrights.survey import services as survey
    from landrights.survey import synthetic

    registry.add_collective(session, SYSTEM, code="22042110120104", name="永安村四组")
    path = synthetic.write_geojson(synthetic.make_parcels("22042110120104", 3), tmp_path / "s.geojson")
    record = survey.import_survey(session, SYSTEM, path, collective_code="22042110120104")
    session.commit()
    for who in ("farmer", "outsider", "officer2"):
        answers = [client.get(f"/api/v1/surveys/{n}", headers=token(session, who))
                   for n in (record.id, 999999996)]
        assert [a.status_code for a in answers] == [403, 403], who
        assert answers[0].get_json() == answers[1].get_json(), who
    assert client.get(f"/api/v1/surveys/{record.id}", headers=token(session, "officer")).status_code == 200
