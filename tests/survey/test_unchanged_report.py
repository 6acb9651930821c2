"""The import report says how many parcels were unchanged (issue 19): importing the same file again
imports nothing new, and the page says so instead of "imported 0; 0 kept out"; the upload form
carries the busy state a static script shows while a large file is checked."""
from __future__ import annotations

import re

from tests.survey.test_web import COLLECTIVE, package  # noqa: F401  (fixture)


def _upload(client, auth, archive):
    return client.post("/surveys/", data={"csrf_token": auth.csrf("/surveys/"), "collective": COLLECTIVE,
                                          "file": (archive.open("rb"), archive.name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_a_second_import_of_the_same_file_says_the_parcels_are_unchanged(client, auth, package):  # noqa: F811
    archive, _defects = package
    auth.login("officer")
    first = _upload(client, auth, archive).get_data(as_text=True)
    assert re.search(r"已导入 5 宗；0 宗没有变化", first)
    again = _upload(client, auth, archive).get_data(as_text=True)
    assert re.search(r"已导入 0 宗；5 宗没有变化（登记簿中已与文件一致）；7 宗未导入", again)
    assert re.search(r'<dd id="unchanged">5</dd>', again)
    upload_page = client.get("/surveys/").get_data(as_text=True)
    assert 'data-busy="busy-import"' in upload_page and 'id="busy-import"' in upload_page
    assert "/static/js/busy.js" in upload_page and "<script>" not in upload_page  # no inline script (CSP)
