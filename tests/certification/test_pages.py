"""The certification pages as people use them (issue 19, journeys 2, 6, 7): a farmer's home says
the household is on notice; the notice names the collective and the parcels; the objection form
offers only what the farmer may object to and keeps what was typed on a refusal; certificate acts
are offered only where they apply, each behind a confirmation naming its consequence; the
verification box reads the code printed under the QR."""
from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from landrights import moments
from landrights.certification import certificates, objections
from landrights.certification.models import Certificate, Objection
from landrights.signing import qr
from tests.certification.conftest import PENDING, after_days
from tests.certification.helpers import FARMER_HOUSEHOLD, confirmed_household, farmer_on_notice

CONTRACT = FARMER_HOUSEHOLD + "J"  # the demo farmer's registered contract (no certificate yet)


def _text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _no_internals(html: str) -> None:
    """No rule id, internal field name, UTC or database text reaches a person (a rule id may
    stay in the data-rule attribute, for machines)."""
    shown = unescape(re.sub(r"<[^>]+>", " ", html))
    assert not re.search(r"\bR\d+\.\d+\b", shown) and "UTC" not in shown and "+00:00" not in shown
    assert "(text)" not in shown and "(subject)" not in shown and "Key (" not in shown


def test_the_farmers_home_says_the_household_is_on_notice_until_when(client, auth, session, officer):
    notice, _codes = farmer_on_notice(session, officer)
    auth.login("farmer")
    home = client.get("/")
    html = home.get_data(as_text=True)
    assert 'id="home-notice"' in html and 'data-state="on_notice"' in html
    with client.application.test_request_context(headers={"Accept-Language": "zh-CN"}):
        until = moments.as_written(notice.closes_at)
    assert f"您家的承包信息正在公示，公示至 {until}" in _text(home)  # China time, as people write it
    assert f'href="/notices/{notice.id}"' in html
    _no_internals(html)


def test_the_farmers_home_asks_to_confirm_once_the_notice_closed(client, auth, session, officer):
    farmer_on_notice(session, officer)
    after_days(8)
    auth.login("farmer")
    html = client.get("/").get_data(as_text=True)
    assert 'data-state="to_confirm"' in html and f'href="/households/{FARMER_HOUSEHOLD}/confirm"' in html


def test_the_notice_list_names_the_collective_and_marks_the_farmers_own(client, auth, session, officer):
    notice, _codes = farmer_on_notice(session, officer)
    auth.login("farmer")
    page = client.get("/notices/")
    item = re.search(rf'<li class="lr-list-item" data-notice="{notice.id}">(.*?)</li>',
                     page.get_data(as_text=True), re.S).group(1)
    link = re.search(r'<a class="lr-list-link"[^>]*>([^<]*)</a>', item).group(1)
    assert "永安村一组" in link and "22042110120101" not in link  # the name, not the 14-digit code
    assert "有您家" in item


def test_the_objection_form_offers_only_the_farmers_own_household_by_name_and_area(
        client, auth, session, officer):
    notice, codes = farmer_on_notice(session, officer)
    auth.login("farmer")
    html = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    form = re.search(r'<select id="subject" name="subject".*?</select>', html, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', form)
    assert values[0] == ""  # nothing chosen for the farmer: no other family by default
    own = {v for v in values if v.startswith(FARMER_HOUSEHOLD)}
    assert own == {FARMER_HOUSEHOLD} | {f"{FARMER_HOUSEHOLD}/{c}" for c in codes}
    others = [v for v in values[1:] if not v.startswith(FARMER_HOUSEHOLD)]
    assert all("/" in v for v in others)  # another household: at most a neighbour's parcel, never its record
    labels = re.findall(r'<option value="[^"]+/[^"]+"[^>]*>([^<]*)</option>', form)
    assert labels and all(re.search(r"\d+\.\d{2} 亩", label) for label in labels)
    assert not any(re.fullmatch(r"\d{19}", label.strip()) for label in labels)  # never the code alone
    assert "地块名称" in html and ">姓名<" not in html  # the parcel-name column is headed as it is


def test_a_refused_objection_shows_the_form_again_as_typed_with_the_error_beside_its_field(
        client, auth, session, officer):
    notice, codes = farmer_on_notice(session, officer)
    auth.login("farmer")
    path = f"/notices/{notice.id}"
    subject = f"{FARMER_HOUSEHOLD}/{codes[1]}"
    refused = client.post(f"{path}/objections", data={"csrf_token": auth.csrf(path), "subject": subject,
                                                      "text": "   "})
    assert refused.status_code == 422  # shown again, not redirected
    html = refused.get_data(as_text=True)
    assert re.search(rf'<option value="{subject}" selected>', html)  # what was chosen stays chosen
    assert re.search(r'<textarea id="text"[^>]*aria-invalid="true"', html)
    assert '<p class="lr-field-error" id="text-error" role="alert">请说明哪里有误。</p>' in html
    _no_internals(html)
    nothing = client.post(f"{path}/objections", data={"csrf_token": auth.csrf(path), "subject": "",
                                                      "text": "四至不对"})
    assert nothing.status_code == 422 and "四至不对</textarea>" in nothing.get_data(as_text=True)
    assert 'id="subject-error"' in nothing.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Objection)) == 0


def test_the_farmer_objects_to_an_own_parcel_and_sees_it_by_name(client, auth, session, officer):
    notice, codes = farmer_on_notice(session, officer)
    auth.login("farmer")
    path = f"/notices/{notice.id}"
    filed = client.post(f"{path}/objections", data={"csrf_token": auth.csrf(path),
                                                    "subject": f"{FARMER_HOUSEHOLD}/{codes[1]}",
                                                    "text": "东至应为李家地"})
    assert filed.status_code == 302
    objection = session.scalar(sa.select(Objection))
    assert (objection.household_code, objection.parcel_code, objection.filer_kind) == (
        FARMER_HOUSEHOLD, codes[1], "member")
    page = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert "亩" in page and "杨春林" in page  # the parcel by name and area, the household by name


def test_a_parcel_of_another_household_cannot_be_paired_with_the_farmers_own(
        client, auth, session, officer):
    """The old form let a farmer choose a household and, apart, any parcel of the notice; the
    pair refused with "no notice ... for you to object to". Now a parcel comes with its own
    household; a pair that still does not match names the parcel."""
    notice, _codes = farmer_on_notice(session, officer, also=(FARMER_HOUSEHOLD[:-1] + "2",))
    other = session.scalar(sa.text("SELECT parcel_code FROM notice_entries WHERE notice_id = :n AND "
                                   "household_code <> :h AND parcel_code IS NOT NULL LIMIT 1"),
                           {"n": notice.id, "h": FARMER_HOUSEHOLD})
    auth.login("farmer")
    path = f"/notices/{notice.id}"
    refused = client.post(f"{path}/objections", data={"csrf_token": auth.csrf(path),
                                                      "subject": f"{FARMER_HOUSEHOLD}/{other}",
                                                      "text": "不对"})
    assert refused.status_code == 404
    assert 'id="subject-error"' in refused.get_data(as_text=True) or \
        'id="parcel_code-error"' in refused.get_data(as_text=True)


def test_the_farmer_sees_confirmation_links_and_objections_of_the_own_household_only(
        client, auth, session, officer):
    other = FARMER_HOUSEHOLD[:-1] + "2"  # a neighbour of group 01, on the same notice
    notice, codes = farmer_on_notice(session, officer, also=(other,))
    theirs = objections.file_objection(session, officer, notice_id=notice.id, household_code=other,
                                       text="成员有误", filer_name="张三", filer_kind="member")
    auth.login("farmer")
    html = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    confirm_links = set(re.findall(r'href="/households/(\d{18})/confirm"', html))
    assert f'data-household="{other}"' in html  # the other household is shown,
    assert confirm_links == {FARMER_HOUSEHOLD}  # but no link that ends in 403
    assert f'href="/objections/{theirs.id}"' not in html and f"第 {theirs.id} 号异议" in html


def test_an_officers_refused_notice_form_keeps_what_was_typed(client, auth, session):
    auth.login("officer")
    refused = client.post("/notices/", data={"csrf_token": auth.csrf("/notices/"), "collective":
                                             "22042110120101", "days": "3", "place": "村部公告栏"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="村部公告栏"' in html and 'value="3"' in html
    assert 'id="days-error"' in html
    _no_internals(html)


# --- certificates (journey 6) ---------------------------------------------------------------

def _acts(client, code: str = CONTRACT) -> set[str]:
    return set(re.findall(r'data-act="(\w+)"', client.get(f"/certificates/{code}").get_data(as_text=True)))


def test_only_the_acts_that_apply_are_offered(client, auth, session, county):
    auth.login("county")
    page = client.get(f"/certificates/{CONTRACT}").get_data(as_text=True)
    assert _acts(client) == {"issue"} and "本合同还没有颁发证书" in page  # no certificate: issue only
    certificates.issue_certificate(session, county, code=CONTRACT)
    assert _acts(client) == {"reissue", "replace", "cancel"}  # in force: 补发, 换发, 注销
    certificates.cancel_certificate(session, county, code=CONTRACT, reason="误", document="决定")
    assert _acts(client) == {"issue"}  # all cancelled: issued anew
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("farmer")
    assert _acts(client) == set()  # the holder sees the list, no acts


def test_cancelling_asks_first_naming_the_consequence(client, auth, session, county):
    cert = certificates.issue_certificate(session, county, code=CONTRACT)
    auth.login("county")
    asked = client.get(f"/certificates/{CONTRACT}/cancel")
    text = _text(asked)
    assert asked.status_code == 200 and cert.printed_no in text and "立即注销" in text and "不能撤回" in text
    assert session.get(Certificate, cert.id).status == "valid"  # asking changes nothing
    path = f"/certificates/{CONTRACT}/cancel"
    refused = client.post(path, data={"csrf_token": auth.csrf(path), "reason": "",
                                      "document": "退地决定 2号"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="退地决定 2号"' in html and 'id="reason-error"' in html
    _no_internals(html)
    assert session.get(Certificate, cert.id).status == "valid"
    done = client.post(path, data={"csrf_token": auth.csrf(path), "reason": "承包地全部交回",
                                   "document": "退地决定 2号"})
    assert done.status_code == 302 and done.headers["Location"] == f"/certificates/{CONTRACT}"
    assert session.get(Certificate, cert.id).status == "cancelled"


def test_a_cancelled_certificate_is_issued_anew_from_the_page_with_a_reason(client, auth, session, county):
    first = certificates.issue_certificate(session, county, code=CONTRACT)
    certificates.cancel_certificate(session, county, code=CONTRACT, reason="误注销", document="决定 1号")
    auth.login("county")
    path = f"/certificates/{CONTRACT}/issue"
    asked = _text(client.get(path))
    assert "重新颁发证书" in asked and first.printed_no in asked and "第 2 次发证" in asked
    refused = client.post(path, data={"csrf_token": auth.csrf(path), "reason": "撤销误注销", "document": ""})
    assert refused.status_code == 422 and "撤销误注销</textarea>" in refused.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": auth.csrf(path), "reason": "撤销误注销",
                                   "document": "决定 2号"})
    assert done.status_code == 302
    page = client.get(f"/certificates/{CONTRACT}").get_data(as_text=True)
    assert re.search(r'data-serial="2">\s*<td data-label="[^"]+" data-status="valid"', page)


def test_an_act_that_does_not_apply_is_not_offered_even_by_its_address(client, auth, session, county):
    auth.login("county")
    asked = client.get(f"/certificates/{CONTRACT}/cancel")  # nothing to cancel
    assert asked.status_code == 302 and asked.headers["Location"] == f"/certificates/{CONTRACT}"


# --- verification (journey 7) ---------------------------------------------------------------

def test_the_verify_box_reads_the_printed_code_and_refuses_others_alike(app, client, session, county,
                                                                          officer):
    contract = confirmed_household(session, officer, PENDING[1])
    cert = certificates.issue_certificate(session, county, code=contract)
    url = certificates.verify_url(session, app.config["PUBLIC_BASE_URL"], cert)
    box = client.get("/verify/")
    assert box.status_code == 200 and '<input id="code" name="code"' in box.get_data(as_text=True)
    typed = qr.verification_code_of(url, app.config["CERTIFICATE_KEY"].encode())
    found = client.get("/verify/", query_string={"code": typed.lower().replace("-", " ")})
    assert found.status_code == 302 and found.headers["Location"].startswith(f"/verify/{contract}?")
    shown = client.get(found.headers["Location"])
    assert shown.status_code == 200 and 'data-state="valid"' in shown.get_data(as_text=True)
    wrong = typed[:-1] + ("0" if typed[-1] != "0" else "1")
    answers = [client.get("/verify/", query_string={"code": wrong}, follow_redirects=True),
               client.get("/verify/", query_string={"code": "不是核验码"})]
    for answer in answers:  # a wrong code and mere text: the same "not verified"
        assert answer.status_code == 404 and 'data-state="unverified"' in answer.get_data(as_text=True)
    assert "不是核验码" in answers[1].get_data(as_text=True)  # what was typed stays in the box



def test_the_box_reads_the_codes_printed_on_statements_and_attestations_too(app, client, session):
    """Statements of retained rights and transfer attestations print the same kind of code under
    their QR (their templates' verification_code); typed into the box, each opens its own
    verification with the verdict its QR gives."""
    from landrights.accounts.permissions import Actor
    from landrights.market import documents
    from landrights.market.models import TransferContract
    from landrights.rights import statements
    from tests.security.world import SETTLED

    base, key = app.config["PUBLIC_BASE_URL"], app.config["CERTIFICATE_KEY"].encode()
    statement = statements.issue_statement(session, Actor(role="farmer", name="户", household_code=SETTLED),
                                           SETTLED)
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.household_code == SETTLED))
    for url, page, verdict in (
            (statements.verify_url(session, base, statement), f"/verify/statement/{statement.code}?",
             "genuine"),
            (documents.attestation_url(session, base, contract), f"/verify/transfer/{contract.code}?",
             contract.status)):
        typed = qr.verification_code_of(url, key)
        assert typed and typed.startswith(url.split("/verify/")[1].split("?")[0].split("/")[-1] + "-")
        found = client.get("/verify/", query_string={"code": typed})
        assert found.status_code == 302 and found.headers["Location"].startswith(page)
        shown = client.get(found.headers["Location"])
        assert shown.status_code == 200 and f'data-state="{verdict}"' in shown.get_data(as_text=True)
        pasted = client.get("/verify/", query_string={"code": url})  # the QR's URL, pasted
        assert pasted.status_code == 302 and pasted.headers["Location"].startswith(page)
        assert "k=220421-" in pasted.headers["Location"]  # with the SM2 key and signature
        shown = client.get(pasted.headers["Location"])
        assert shown.status_code == 200 and f'data-state="{verdict}"' in shown.get_data(as_text=True)


def test_a_refused_decision_keeps_what_the_officer_typed(client, auth, session, officer):
    notice, codes = farmer_on_notice(session, officer)
    filed = objections.file_objection(session, officer, notice_id=notice.id, household_code=FARMER_HOUSEHOLD,
                                      parcel_code=codes[1], text="东至有误", filer_name="杨春林",
                                      filer_kind="member")
    auth.login("officer")
    path = f"/objections/{filed.id}"
    refused = client.post(path, data={"csrf_token": auth.csrf(path), "decision": "uphold",
                                      "reason": "经核实属实", "document": "核实记录 3号"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "经核实属实</textarea>" in html and 'value="核实记录 3号"' in html
    assert 'id="correction-error"' in html  # the correction is missing: said where it goes
    _no_internals(html)
    assert session.get(Objection, filed.id).status == "open"
