"""A NUL character (U+0000) in a page's query or a forged form post is refused plainly (it used to
reach PostgreSQL, which cannot store it, and answer 500)."""
import pytest


@pytest.mark.parametrize("form", [{"username": "officer\x00", "password": "x"},
                                  {"username": "officer", "password": "x\x00y"}])
def test_a_nul_in_a_login_form_is_refused_without_a_server_error(client, auth, form):
    token = auth.csrf()
    response = client.post("/login", data={**form, "csrf_token": token})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "U+0000" in text and "DataError" not in text and "psycopg" not in text


def test_a_nul_in_a_page_query_is_refused(client, auth):
    auth.login("officer")
    response = client.get("/households/?q=%00abc")
    assert response.status_code == 422
    assert "U+0000" in response.get_data(as_text=True)
