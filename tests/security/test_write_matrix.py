"""Who may write what, for every write operation of the API (issue 17, section 5).

Every POST, PUT, PATCH and DELETE of the OpenAPI document has a row here (a new one without a row
fails test_every_write_operation_has_a_row), naming the roles allowed to do it to the record the row
targets. For each role: anonymous gets 401; a role not allowed gets 403, whatever the record's state
(permission first); an allowed role gets a 2xx or a refusal by rule (400, 404, 409, 422), never 401,
403 or 500. The roles: the demo farmer (household ...010001, group 01), a farmer of another household
(the migrant, ...020006, group 02), the clerk of group 01, the township officer, an officer of another
township, the county administrator and the demo transferee (the cooperative of the filed transfer).
"""
from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.market import entrustments
from tests.security.world import NEIGHBOUR, NEIGHBOUR_HEAD, build, token

ROLES = ("anonymous", "farmer", "migrant", "clerk", "officer", "officer2", "county", "transferee")
FARMER_HH = "220421101201010001"  # the demo farmer's household
MIGRANT_HH = "220421101201020006"  # the migrant's, party to the demo transfer
GROUP_01 = "22042110120101"
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCAN = {"name": "scan.pdf", "content_type": "application/pdf", "data_base64": base64.b64encode(PDF).decode()}
SQUARE = {"type": "Polygon", "coordinates": [[[125.44, 42.73], [125.4402, 42.73], [125.4402, 42.7302],
                                              [125.44, 42.7302], [125.44, 42.73]]]}
OFFICIALS = {"officer", "county"}
HOUSEHOLD_AND_OFFICER = {"farmer", "officer"}

# (method, path, JSON body or None, roles allowed); {placeholders} are filled from the world
ROWS = [
    # registry
    ("POST", "/api/v1/parcels", {"type": "Feature", "geometry": SQUARE,
                                 "properties": {"code": GROUP_01 + "99001", "name": "试验地"}}, OFFICIALS),
    ("POST", "/api/v1/persons", {"county_code": "220421", "name": "新人", "sex": 1, "id_type": 1,
                                 "id_number": "{free_id}"}, {"officer", "officer2", "county"}),  # county-wide
    ("POST", "/api/v1/surveys", "survey", OFFICIALS),
    ("POST", "/api/v1/handups", "handup", {"county"}),
    # certification
    ("POST", "/api/v1/notices", {"collective_code": GROUP_01}, {"officer"}),
    ("POST", "/api/v1/notices/{notice}/objections", {"household_code": "{pending}", "text": "面积不对"},
     {"officer"}),
    ("POST", "/api/v1/objections/{objection}/decision", {"decision": "dismiss", "reason": "无误"},
     {"officer"}),
    ("POST", "/api/v1/households/{farmer_hh}/sign-off", {}, HOUSEHOLD_AND_OFFICER),
    ("POST", "/api/v1/certificates", {"code": FARMER_HH + "J"}, {"county"}),
    ("POST", "/api/v1/certificates/{farmer_contract}/changes",
     {"action": "reissue", "reason": "遗失", "document": "遗失声明"}, {"county"}),
    # retained rights and the collective
    ("POST", "/api/v1/households/{farmer_hh}/statements", None, {"farmer", "clerk", "officer", "county"}),
    ("POST", "/api/v1/settlements", {"id_number": NEIGHBOUR_HEAD, "settled_on": "{today}", "city": "长春市",
                                     "document": "户口迁移证"}, OFFICIALS),
    ("POST", "/api/v1/withdrawals", {"household_code": FARMER_HH, "kind": "land_return",
                                     "compensation_yuan": "1000.00", "effective_on": "{half_year}",
                                     "parcel_codes": ["{farmer_parcel}"]}, HOUSEHOLD_AND_OFFICER),
    ("POST", "/api/v1/withdrawals/{withdrawal}/cancel", None, {"officer"}),
    ("POST", "/api/v1/withdrawals/{withdrawal}/review", {"voluntary": True, "note": "本人自愿"}, {"county"}),
    ("POST", "/api/v1/homesteads", {"household_code": FARMER_HH, "geometry": SQUARE,
                                    "land_source": "original", "approval_document": "审批",
                                    "approved_on": "{today}"}, OFFICIALS),
    ("POST", "/api/v1/collectives/{group_01}/members",
     {"id_number": "{free_id}", "basis": "birth", "basis_date": "{today}", "basis_document": "出生证明"},
     {"clerk", "officer", "county"}),
    ("POST", "/api/v1/memberships/end", {"id_number": NEIGHBOUR_HEAD, "cause": "death", "lost_on": "{today}",
                                         "document": "死亡证明"}, {"clerk", "officer", "county"}),
    ("POST", "/api/v1/collectives/{group_01}/distributions",
     {"year": 2025, "amount_per_share": "1.0000", "decided_on": "{today}", "document": "决议"},
     {"clerk", "officer", "county"}),
    ("POST", "/api/v1/payouts/{payout}/paid", {"paid_on": "{today}"}, {"clerk", "officer", "county"}),
    # market: who takes land
    ("POST", "/api/v1/transferees", {"kind": "company", "name": "某公司", "operating_capacity": "农机"},
     set(ROLES) - {"anonymous"}),
    # every account edits its own transferee (404 for an account without one)
    ("PATCH", "/api/v1/transferees/mine", {"address": "吉林省东丰县"}, set(ROLES) - {"anonymous"}),
    ("POST", "/api/v1/capital-reviews",
     {"transferee_id": "{outsider_id}", "county_code": "220421", "approved": True, "max_area_mu": "100.00",
      "qualification": "营业执照", "project": "玉米", "risk_measures": "预付租金",
      "valid_until": "{half_year}"},
     {"county"}),
    # any township officer may vouch for a person of its own township (422 for one elsewhere)
    ("POST", "/api/v1/transferees/{individual_id}/identity",
     {"id_number": NEIGHBOUR_HEAD, "document": "居民身份证"}, {"officer", "officer2"}),
    ("POST", "/api/v1/transferees/{individual_id}/identity/revocation", {"reason": "核实有误"}, {"officer"}),
    # market: listings and auctions
    ("POST", "/api/v1/listings", {"household_code": FARMER_HH, "parcel_codes": ["{farmer_parcel}"],
                                  "mode": "lease", "term_start": "{today}", "term_end": "{half_year}",
                                  "reserve_price": "400.00", "payment_schedule": "每年", "land_use": "grain"},
     {"farmer"}),
    ("POST", "/api/v1/listings/{listing}/deposits",
     {"transferee_id": "{outsider_id}", "amount_yuan": "1000.00", "receipt": "收据 1"}, {"officer"}),
    ("POST", "/api/v1/listings/{listing}/bids", {"price": "500.00"}, {"transferee"}),
    ("POST", "/api/v1/listings/{listing}/match", None, {"transferee"}),  # a member bids as a transferee
    ("POST", "/api/v1/listings/{listing}/award", None, {"officer"}),
    ("POST", "/api/v1/listings/{listing}/contract", {}, {"officer"}),
    ("POST", "/api/v1/listings/{listing}/withdrawal", None, {"migrant", "officer"}),
    ("POST", "/api/v1/listings/{listing}/award/lapse", {"reason": "未签约"}, {"officer"}),
    # market: transfer contracts
    ("POST", "/api/v1/transfer-contracts/{transfer}/sign", None, {"migrant", "transferee"}),
    ("POST", "/api/v1/transfer-contracts/{transfer}/registration", None, {"officer"}),
    ("POST", "/api/v1/transfer-contracts/{transfer}/rent", {"due_on": "{today}", "paid_on": "{today}"},
     {"migrant", "officer"}),
    ("POST", "/api/v1/transfer-contracts/{transfer}/termination",
     {"cause": "abandoned_two_years", "evidence": "照片"}, {"migrant"}),
    ("POST", "/api/v1/transfer-contracts/{transfer}/scanned-signatures", {"scan": SCAN}, {"officer"}),
    ("POST", "/api/v1/transfer-contracts/{transfer}/retransfer-consents", {}, {"migrant", "officer"}),
    ("POST", "/api/v1/transfer-contracts/{transfer}/retransfers",
     {"to_transferee_id": "{outsider_id}", "term_start": "{today}", "term_end": "{half_year}",
      "price": "500.00", "payment_schedule": "每年"}, {"transferee"}),
    ("POST", "/api/v1/retransfers/{retransfer}/sign", None, set()),  # only "third", who is no role here
    ("POST", "/api/v1/pledges", {"household_code": NEIGHBOUR, "parcel_codes": ["{neighbour_parcel}"],
                                 "creditor": "银行", "amount_yuan": "1000.00", "term_start": "{today}",
                                 "term_end": "{half_year}", "document": "借款合同"}, {"officer"}),
    ("POST", "/api/v1/pledges/{pledge}/release", {"document": "还款证明"}, {"officer"}),
    # market: entrustments of an agent (R2.4)
    ("POST", "/api/v1/entrustments",
     {"household_code": FARMER_HH, "agent_username": "migrant", "parcel_codes": ["{farmer_parcel}"],
      "acts": ["list"], "valid_from": "{today}", "valid_to": "{half_year}", "transfer_until": "{half_year}",
      "min_price": "400.00", "scope": "代为挂牌"}, HOUSEHOLD_AND_OFFICER),
    ("POST", "/api/v1/entrustments/{entrustment}/acceptance", None, {"migrant"}),
    ("POST", "/api/v1/entrustments/{entrustment}/revocation", {"reason": "不再委托"},
     {"farmer", "migrant", "officer"}),
    # accounts (issue 20): the county administrator; letters and locks of households also their officer
    ("POST", "/api/v1/accounts", {"username": "new_clerk", "display_name": "新文书",
                                  "role": "collective_clerk", "area_code": GROUP_01}, {"county"}),
    ("PATCH", "/api/v1/accounts/{clerk_user}", {"role": "collective_clerk", "area_code": "22042110120102"},
     {"county"}),
    ("POST", "/api/v1/accounts/{clerk_user}/deactivation", None, {"county"}),
    ("POST", "/api/v1/accounts/{clerk_user}/reactivation", None, {"county"}),
    ("POST", "/api/v1/account-imports", "accounts", {"county"}),
    ("POST", "/api/v1/accounts/{farmer_user}/letter", None, {"officer", "county"}),
    ("POST", "/api/v1/accounts/{farmer_user}/unlock", None, {"officer", "county"}),
    ("POST", "/api/v1/collectives/{group_01}/letters", None, {"officer", "county"}),
]


def _spec_writes(app) -> set[tuple[str, str]]:
    with app.test_request_context():
        spec = app._get_spec("json", force_update=True)
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops
            if method in ("post", "put", "patch", "delete")}


def _template(path: str) -> str:
    import re

    return re.sub(r"\{[a-z_0-9]+\}", "{}", path)


def test_every_write_operation_has_a_row(app):
    documented = {(m, _template(p)) for m, p in _spec_writes(app)}
    rows = {(m, _template(p)) for m, p, _, _ in ROWS}
    # a row fills its placeholders from the world, so compare the shapes of the paths
    assert documented - rows == set(), "a write operation without a row in the matrix"
    assert rows - documented == set(), "a row for an operation the API does not have"


@pytest.fixture
def world(session):
    found = build(session)
    keys = {"today": found.today, "half_year": (clock.today() + timedelta(days=200)).isoformat(),
            **{k: v for k, v in found.known.items()}}
    keys.update(free_id=found.unknown["id_number"], farmer_hh=FARMER_HH, farmer_contract=FARMER_HH + "J",
                group_01=GROUP_01, clerk_user="clerk", farmer_user="farmer")
    keys["farmer_parcel"] = _one(session, "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c "
                                          "ON c.id = cp.contract_id WHERE c.household_code = :h "
                                          "AND c.valid_to IS NULL ORDER BY 1 LIMIT 1", h=FARMER_HH)
    keys["neighbour_parcel"] = found.known["parcel"]
    keys["outsider_id"] = str(_one(session, "SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                            "WHERE u.username = 'outsider'"))
    keys["listing"] = str(_one(session, "SELECT id FROM listings ORDER BY id LIMIT 1"))
    keys["pending"] = _one(session, "SELECT household_code FROM notice_entries WHERE notice_id = :n "
                                    "ORDER BY 1 LIMIT 1", n=int(found.known["notice"]))
    keys["entrustment"] = str(_entrustment(session, keys))
    keys["individual_id"] = str(_individual(session))
    session.commit()
    return keys


def _one(session, sql: str, **params):
    return session.scalar(sa.text(sql), params)


def _entrustment(session, keys) -> int:
    """The farmer's household entrusts the migrant with listing one parcel (not yet accepted)."""
    made = entrustments.create_entrustment(
        session, Actor(role="farmer", name="户主", household_code=FARMER_HH,
                       user_id=_one(session, "SELECT id FROM users WHERE username = 'farmer'")),
        household_code=FARMER_HH, agent_username="migrant", parcel_codes=[keys["farmer_parcel"]],
        acts=["list"], valid_from=clock.today(), valid_to=clock.today() + timedelta(days=200),
        transfer_until=clock.today() + timedelta(days=200), min_price=400, scope="代为挂牌")
    return made.id


def _individual(session) -> int:
    """An individual transferee whose person (the neighbour's head) the township officer verified."""
    from landrights.accounts.models import User
    from landrights.market import identities
    from landrights.market import services as market
    from tests.security.world import _user

    taker = market.register_transferee(session, Actor.of(_user(session, "individual", "transferee")),
                                       kind="individual", name="刘立军", operating_capacity="自有农机")
    officer = session.scalar(sa.select(User).where(User.username == "officer"))
    identities.verify_identity(session, Actor.of(officer), transferee_id=taker.id, id_number=NEIGHBOUR_HEAD,
                               document="居民身份证 东丰县公安局 长期")
    return taker.id


def _fill(text: str, keys: dict) -> str:
    for name, value in keys.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _body(body, keys: dict):
    if body is None or isinstance(body, str):
        return body
    filled = json.loads(_fill(json.dumps(body, ensure_ascii=False), keys))
    for field in ("transferee_id", "to_transferee_id"):
        if field in filled:
            filled[field] = int(filled[field])
    return filled


def _upload(kind: str) -> dict:
    if kind == "accounts":
        return {"file": (io.BytesIO("用户名,姓名,角色,辖区编码\n".encode()), "accounts.csv")}
    if kind == "survey":
        return {"file": (io.BytesIO(b'{"type": "FeatureCollection", "features": []}'), "s.geojson"),
                "collective": GROUP_01}
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("readme.txt", "empty")
    package.seek(0)
    return {"file": (package, "220421.zip")}


def ask(client, session, who: str, method: str, path: str, body, keys: dict) -> int:
    """Send one write as a role, from the world as built (what it changed is rolled back after), and
    return the status: each role meets the same state."""
    connection = session.bind
    before = connection.begin_nested()
    try:
        return _send(client, session, who, method, path, body, keys)
    finally:
        session.rollback()
        before.rollback()
        session.expire_all()


def _send(client, session, who: str, method: str, path: str, body, keys: dict) -> int:
    headers = token(session, who)
    path = _fill(path, keys)
    if isinstance(body, str):
        response = client.open(path, method=method, data=_upload(body), headers=headers,
                               content_type="multipart/form-data")
    else:
        response = client.open(path, method=method, json=_body(body, keys), headers=headers)
    return response.status_code


def expected(who: str, allowed: set) -> set[int]:
    if who == "anonymous":
        return {401}
    if who not in allowed:
        return {403}
    return {200, 201, 204, 400, 404, 409, 422}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]} {r[1]}" for r in ROWS])
def test_each_role_gets_the_answer_its_permission_gives(client, session, world, row):
    method, path, body, allowed = row
    answers = {who: ask(client, session, who, method, path, body, world) for who in ROLES}
    wrong = {who: status for who, status in answers.items() if status not in expected(who, allowed)}
    assert wrong == {}, f"answers: {answers}"
