"""The county administrator's page and the API (issue 18 §3), through the test client: upload,
progress, report in Chinese with times in China Standard Time; POST /api/v1/handups and the GET
of its report; who may use them."""
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from tests.conftest import FAST_HASH, PASSWORD
from tests.handup.conftest import SAMPLE_ZIP


@pytest.fixture
def web(clean_app, clean_session, clean_client):
    clean_app.config["HANDUP_IN_BACKGROUND"] = False
    for username, role, area in (("admin", "county_admin", {"county_code": "220421"}),
                                 ("officer", "township_officer", {"township_code": "220421103"}),
                                 ("other", "county_admin", {"county_code": "220422"})):
        user = accounts.create_user(clean_session, SYSTEM, username=username, password=PASSWORD,
                                    role=role, display_name=username, hash_method=FAST_HASH,
                                    **area)
        user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    clean_session.flush()
    yield clean_client
    clean_app.config["HANDUP_IN_BACKGROUND"] = True


def _csrf(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def _login(client, username):
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": _csrf(client)})


def _upload(client, data=None, name="220421103004.zip"):
    return client.post("/handups/", data={"csrf_token": _csrf(client, "/handups/"),
                                          "file": (io.BytesIO(data or SAMPLE_ZIP.read_bytes()),
                                                   name)},
                       content_type="multipart/form-data")


def test_the_home_page_links_the_county_administrator_to_the_page(web):
    _login(web, "admin")
    home = web.get("/").get_data(as_text=True)
    assert 'href="/handups/"' in home and "汇交成果" in home


def test_upload_progress_report_in_chinese(web, clean_session):
    _login(web, "admin")
    started = _upload(web)
    assert started.status_code == 302 and "/handups/runs/" in started.location
    done = web.get(started.location)
    assert done.status_code == 302 and re.search(r"/handups/\d+$", done.location)
    page = web.get(done.location).get_data(as_text=True)
    assert "汇交成果导入" in page and "户暂不入库" in page
    assert 'data-table="CBF"' in page and "handup_id_checksum" in page
    assert "未通过 GB 11643 校验" in page  # the finding's message, in Chinese
    created = clean_session.scalar(sa.text("SELECT created_at FROM handup_imports"))
    shown = re.search(r"<dt>时间</dt><dd>([^<]+)</dd>", page).group(1)
    china = created.astimezone(ZoneInfo("Asia/Shanghai"))
    # China Standard Time, as people write it (landrights.moments), never UTC
    assert shown == f"{china.year}年{china.month}月{china.day}日 {china:%H:%M}"
    listing = web.get("/handups/").get_data(as_text=True)
    assert "220421103004.zip" in listing


def test_progress_page_shows_the_stage_and_a_failure(web, clean_app):
    _login(web, "admin")
    refused = _upload(web, b"not a zip at all", name="package.zip")
    run = web.get(refused.location)
    text = run.get_data(as_text=True)
    assert run.status_code == 200 and 'id="failed"' in text and "zip" in text
    assert clean_app.extensions["landrights.db"].session_factory().scalar(
        sa.text("SELECT count(*) FROM handup_imports")) == 0


def test_another_account_cannot_follow_a_run(web):
    _login(web, "admin")
    location = _upload(web).location
    web.post("/logout", data={"csrf_token": _csrf(web, "/")})
    _login(web, "other")
    assert web.get(location).status_code == 404


@pytest.mark.parametrize("username, page", [("officer", 403), ("other", 200)])
def test_others_are_refused_the_page_and_the_report(web, username, page):
    """A township officer has no such page; another county's administrator has, for its county."""
    _login(web, "admin")
    report = web.get(web.get(_upload(web).location).location).request.path
    web.post("/logout", data={"csrf_token": _csrf(web, "/")})
    _login(web, username)
    assert web.get("/handups/").status_code == page
    assert web.get(report).status_code == 403


def test_a_wrong_file_type_is_named(web):
    _login(web, "admin")
    answer = _upload(web, b"x", name="package.rar")
    assert answer.status_code == 400 and ".zip" in answer.get_data(as_text=True)


def _token(clean_session, username):
    return accounts.issue_token(clean_session, SYSTEM, username, "test", days=1)


def test_api_imports_and_reads_the_report(web, clean_session):
    token = _token(clean_session, "admin")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh"}
    answer = web.post("/api/v1/handups", headers=headers, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(SAMPLE_ZIP.read_bytes()), "220421103004.zip")})
    assert answer.status_code == 201, answer.get_json()
    report = answer.get_json()
    assert report["counts"]["CBF"]["read"] == 40 and report["households_kept_out"] > 0
    finding = next(f for f in report["findings"] if f["rule"] == "handup_id_checksum")
    assert finding["table"] == "CBF_JTCY" and finding["severity"] == "critical"
    assert finding["household"] == "220421103004010013" and finding["what_to_do"]
    again = web.get(f"/api/v1/handups/{report['id']}", headers=headers)
    assert again.status_code == 200 and again.get_json()["counts"] == report["counts"]


def test_api_refuses_others_before_reading_the_body(web, clean_session):
    token = _token(clean_session, "officer")
    answer = web.post("/api/v1/handups", headers={"Authorization": f"Bearer {token}"},
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"x" * (20 << 20)), "big.zip")})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"


def test_api_names_an_unreadable_package(web, clean_session):
    token = _token(clean_session, "admin")
    answer = web.post("/api/v1/handups", headers={"Authorization": f"Bearer {token}"},
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"PK\x03\x04broken"), "x.zip")})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == "file"


@pytest.fixture
def committed_app(server, clean_template, instance_dir):
    """An app on a database of its own whose work is committed: the import runs in a thread of
    its own, with its own session, as in production."""
    from landrights import create_app
    from tests.conftest import _test_config

    name = "lr_handup_background"
    app = create_app(_test_config(server.create_db(name, template=clean_template), instance_dir))
    with app.app_context():
        session = app.extensions["landrights.db"].session_factory()
        user = accounts.create_user(session, SYSTEM, username="admin", password=PASSWORD,
                                    role="county_admin", display_name="admin",
                                    hash_method=FAST_HASH, county_code="220421")
        user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
        session.commit()
        session.close()
    yield app
    app.extensions["landrights.db"].engine.dispose()
    server.drop_db(name)


def test_the_import_runs_in_the_background_and_the_page_follows_it(committed_app):
    import time

    client = committed_app.test_client()
    _login(client, "admin")
    run = _upload(client).location
    for _ in range(600):  # the page refreshes until the report opens
        answer = client.get(run)
        if answer.status_code == 302:
            break
        assert 'aria-current="step"' in answer.get_data(as_text=True)  # shows where it is
        time.sleep(0.1)
    assert answer.status_code == 302 and re.search(r"/handups/\d+$", answer.location)
    # the run removed its folder before it said it was done (the security suite checks tmp/)
    tmp = Path(committed_app.config["INSTANCE_DIR"]) / "tmp"
    assert [p.name for p in tmp.iterdir() if p.name.startswith("handup-")] == []
    assert "汇交成果导入" in client.get(answer.location).get_data(as_text=True)
    with committed_app.app_context():
        session = committed_app.extensions["landrights.db"].session_factory()
        assert session.scalar(sa.text("SELECT count(*) FROM households")) > 0
        session.close()


def _resolve(client, **fields):
    page = client.get("/handups/conflicts").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    return client.post("/handups/conflicts", data={"csrf_token": token, **fields})


def test_officers_resolve_the_numbers_in_conflict_on_a_page(web, clean_session):
    """The report links to the page; a township officer keeps 孙䶮 in group 02 and corrects
    孙长海's number; each resolved number leaves the page; another county sees none."""
    _login(web, "admin")
    report = web.get(web.get(_upload(web).location).location).get_data(as_text=True)
    assert 'id="conflicts-link"' in report
    web.post("/logout", data={"csrf_token": _csrf(web, "/")})
    _login(web, "officer")
    page = web.get("/handups/conflicts").get_data(as_text=True)
    assert page.count('class="lr-card"') == 19 and "孙长海" in page and "两人共用一个号码" in page
    kept = _resolve(web, household_code="220421103004020002", id_number="220421196504032164",
                    action="keep", reason="经村民小组核实，属二组")
    assert kept.status_code == 302
    corrected = _resolve(web, household_code="220421103004020001",
                         id_number="220421195102011091", action="correct", reason="核对身份证",
                         new_id_number="220421195102013011")
    assert corrected.status_code == 302
    page = web.get("/handups/conflicts").get_data(as_text=True)
    assert page.count('class="lr-card"') == 17 and "孙长海" not in page
    refused = _resolve(web, household_code="220421103004020003", id_number="22042119530401301X",
                       action="correct", reason="核对身份证", new_id_number="220421195304013011")
    assert refused.status_code == 302  # a bad check digit: said, nothing changed
    page = web.get("/handups/conflicts").get_data(as_text=True)
    assert "校验码错误" in page and page.count('class="lr-card"') == 17
    web.post("/logout", data={"csrf_token": _csrf(web, "/")})
    _login(web, "other")  # another county's administrator: nothing of this county
    assert 'id="none"' in web.get("/handups/conflicts").get_data(as_text=True)
