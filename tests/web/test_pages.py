"""Pages through the test client: login, map, parcel, household, language, errors."""
import re

import sqlalchemy as sa

from tests.conftest import PASSWORD


def test_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_then_map_shows_the_area_in_chinese(client, auth):
    response = auth.login("officer")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "农村土地承包经营权登记" in page
    bounds = re.search(r'data-bounds="([^"]+)"', page).group(1).split(",")
    lon0, lat0, lon1, lat1 = map(float, bounds)
    assert 125 < lon0 < lon1 < 126 and 42 < lat0 < lat1 < 43
    assert "/static/vendor/leaflet/leaflet.js" in page and "cdn" not in page.lower()


def test_english_switch_is_remembered(client, auth):
    auth.login("officer")
    response = client.get("/lang/en?next=/households")
    assert response.status_code == 302 and response.headers["Location"].endswith("/households")
    page = client.get("/households").get_data(as_text=True)
    assert "Households" in page and '<html lang="en">' in page


def test_language_switch_refuses_offsite_redirects(client):
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_parcel_page_shows_area_in_m2_and_mu(client, session, auth):
    auth.login("officer")
    code, area = session.execute(sa.text("SELECT code, area_m2 FROM parcels "
                                         "WHERE valid_to IS NULL ORDER BY code LIMIT 1")).one()
    page = client.get(f"/parcels/{code}").get_data(as_text=True)
    mu = f"{area * 15 / 10000:.2f}"
    assert code in page and f"{area:.2f} m²" in page and f"{mu} 亩" in page


def test_household_page_lists_members_and_contract(client, session, auth):
    auth.login("officer")
    code = session.scalar(sa.text("SELECT code FROM households ORDER BY code LIMIT 1"))
    page = client.get(f"/households/{code}").get_data(as_text=True)
    assert "家庭成员" in page and "户主" in page and code + "J" in page
    assert "02 户主" not in page  # a relation by its name, not its GB/T 4761 code (issue 19)


def test_wrong_password_says_so_and_locks_after_five(client, auth):
    for _ in range(4):
        response = auth.login("officer", "wrong-password")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert auth.login("officer", "wrong-password").status_code == 401
    locked = auth.login("officer", PASSWORD)  # right password, but locked now
    assert locked.status_code == 429
    assert "锁定" in locked.get_data(as_text=True)


def test_unknown_page_has_a_plain_error_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "该页面或记录不存在" in response.get_data(as_text=True)


def test_logout_needs_a_post_with_csrf(client, auth):
    auth.login("officer")
    assert client.post("/logout").status_code == 400
    token = auth.csrf("/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
