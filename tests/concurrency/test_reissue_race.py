"""Certificate acts racing on one contract through the API and the page, on committed data (R3.6):
four 补发 at once issue one new certificate and tell the three others, with 409, which certificate
was just issued and when; 补发, 换发 and 注销 racing each other likewise leave one act done and the
others told what it did (issue 17 §3).

A gate holds the valid certificate's row until every request waits behind it, so the requests
read the register before any of them acts: the race happens every run, not by luck."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import create_app
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.certification import certificates
from tests.conftest import PASSWORD, _test_config

CODE = "220421101201010001J"  # the demo farmer's registered family contract
COUNTY = Actor(role="county_admin", user_id=None, name="县管理员", county_code="220421")
WAIT_LIMIT = 60  # seconds: a safety net for a hung request, never a measure


@pytest.fixture
def racing(scratch_db, instance_dir):
    """An app on the committed scratch database; the contract has its first certificate."""
    app = create_app(_test_config(scratch_db.url.render_as_string(hide_password=False), instance_dir))
    with Session(scratch_db) as session:
        certificates.issue_certificate(session, COUNTY, code=CODE)
        token = accounts.issue_token(session, SYSTEM, "county", "race")
        session.commit()
    yield app, {"Authorization": f"Bearer {token}"}
    app.extensions["landrights.db"].engine.dispose()


def _waiting(engine, threads: list[threading.Thread], answers: list) -> None:
    """Return once every request waits on a lock (queued at the gate); fail if one answered first."""
    deadline = time.monotonic() + WAIT_LIMIT
    # autocommit: pg_stat_activity is read once per transaction, so one transaction around the
    # loop would look at the first moment's snapshot for as long as it waits
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND wait_event_type = 'Lock'")) < len(threads):
            assert all(t.is_alive() for t in threads), f"a request answered before the gate: {answers}"
            assert time.monotonic() < deadline, (
                f"the requests never reached the certificate: {_activity(conn)}")
            time.sleep(0.02)


def _activity(conn) -> str:
    """What each connection of the database is doing (for a failure's message)."""
    rows = conn.execute(sa.text(
        "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), left(query, 160) "
        "FROM pg_stat_activity WHERE datname = current_database()")).all()
    return "\n".join(" | ".join(str(v) for v in row) for row in rows)


def _race(engine, requests: list[Callable[[], object]]) -> list:
    """Run the requests in threads behind a gate on the valid certificate's row; open the gate when
    all of them wait; return their answers in the order given."""
    answers: list = [None] * len(requests)

    def run(i: int) -> None:
        answers[i] = requests[i]()

    with Session(engine) as gate:
        gate.execute(sa.text("SELECT id FROM certificates WHERE code = :c AND status = 'valid' "
                             "FOR UPDATE"), {"c": CODE})
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
        for t in threads:
            t.start()
        _waiting(engine, threads, answers)
        gate.rollback()
    for t in threads:
        t.join(timeout=WAIT_LIMIT)
    return answers


def _api(app, headers: dict, body: dict) -> Callable[[], tuple[int, dict]]:
    def post():
        response = app.test_client().post(f"/api/v1/certificates/{CODE}/changes?lang=en",
                                          headers=headers, json=body)
        return response.status_code, response.get_json()
    return post


def _certificates(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT serial, kind, status, printed_no FROM certificates "
                                    "WHERE code = :c ORDER BY serial"), {"c": CODE}).all()


REISSUE = {"action": "reissue", "reason": "原证遗失", "document": "遗失声明 东丰县〔2026〕第3号"}
REPLACE = {"action": "replace", "reason": "家庭成员变更", "document": "变更登记 第9号"}
CANCEL = {"action": "cancel", "reason": "承包地全部退回", "document": "退地决定 第2号"}


def test_four_reissues_at_once_issue_one_and_name_it_to_the_others(racing, scratch_db):
    app, headers = racing
    answers = _race(scratch_db, [_api(app, headers, REISSUE) for _ in range(4)])
    assert sorted(status for status, _ in answers) == [201, 409, 409, 409], answers
    issued = next(body for status, body in answers if status == 201)
    assert _certificates(scratch_db) == [(1, "issue", "superseded", _certificates(scratch_db)[0][3]),
                                         (2, "reissue", "valid", issued["printed_no"])]
    for status, body in answers:
        if status == 409:  # each loser is told which certificate was just issued, and when
            error = body["error"]
            assert error["code"] == "conflict" and error["field"] == "code"
            assert issued["printed_no"] in error["message"] and CODE in error["message"]
            day = date.fromisoformat(issued["issued_on"])  # as people write it, China time
            assert "just issued" in error["message"] and f"{day.day} {day:%b} {day.year}" in error["message"]


def test_reissue_replace_and_cancel_racing_leave_one_act_done(racing, scratch_db):
    app, headers = racing
    answers = _race(scratch_db, [_api(app, headers, b) for b in (REISSUE, REPLACE, CANCEL, REISSUE)])
    assert sorted(status for status, _ in answers) == [201, 409, 409, 409], answers
    done = next(i for i, (status, _) in enumerate(answers) if status == 201)
    stored = _certificates(scratch_db)
    if done == 2:  # the cancellation won: no certificate is valid, the others hear it was cancelled
        assert [(s, k, st) for s, k, st, _ in stored] == [(1, "issue", "cancelled")]
        expected = ("just cancelled", stored[0][3])
    else:
        new = answers[done][1]
        assert [(s, st) for s, _, st, _ in stored] == [(1, "superseded"), (2, "valid")]
        expected = ("just issued", new["printed_no"])
    for status, body in answers:
        if status == 409:
            message = body["error"]["message"]
            assert all(part in message for part in expected) and CODE in message


def test_the_page_tells_the_loser_in_chinese_which_certificate_was_just_issued(racing, scratch_db):
    """A county administrator's 补发 on the page waits behind one in progress, then is told."""
    app, _ = racing
    client = app.test_client()
    page = f"/certificates/{CODE}/reissue"  # the confirmation page of 补发, which carries it out
    client.post("/login", data={"username": "county", "password": PASSWORD,
                                "csrf_token": _csrf(client, "/login")})
    form = {"csrf_token": _csrf(client, page), **REISSUE}
    answer: list = []
    with Session(scratch_db) as winner:  # the other 补发, in progress: it holds the certificate
        new = certificates.reissue_certificate(winner, COUNTY, code=CODE, kind="reissue",
                                               reason="原证遗失", document="遗失声明 第1号")
        thread = threading.Thread(target=lambda: answer.append(client.post(page, data=form,
                                                                           follow_redirects=True)))
        thread.start()
        _waiting(scratch_db, [thread], answer)
        winner.commit()
        day = certificates.issued_on(new)
        printed_no, issued_on = new.printed_no, f"{day.year}年{day.month}月{day.day}日"  # China time
    thread.join(timeout=WAIT_LIMIT)
    text = answer[0].get_data(as_text=True)
    assert "刚刚" in text and printed_no in text and issued_on in text and CODE in text
    assert [s for s, *_ in _certificates(scratch_db)] == [1, 2]  # the page's request added none


def _csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)
