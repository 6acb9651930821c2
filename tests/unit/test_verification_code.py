"""The verification code printed under a document's QR code (issue 19, journey 7): what it looks
like, how a typed or pasted code is read, and that it carries the QR's signature, so a code typed
at /verify/ proves what the QR proves (docs/security.md V8)."""
from __future__ import annotations

from datetime import date

import pytest

from landrights.certification import rules
from landrights.signing import qr

KEY = b"k" * 32
CODE, DAY = "220421101201010001J", date(2026, 12, 9)


def _signed(code: str = CODE, serial: int = 1) -> str:
    return qr.hmac_signature(KEY, code, serial, DAY)


def test_the_printed_code_names_the_document_and_carries_80_bits_of_its_signature():
    printed = qr.verification_code(CODE, 1, DAY, _signed())
    head, sig = printed[:31], printed[31:]
    assert head == "220421101201010001J-1-20261209-"
    assert len(sig.replace("-", "")) == 16 and set(sig) <= set(qr.CROCKFORD + "-")
    assert qr.verification_code("220421101201010001S0001", None, DAY, _signed()).startswith(
        "220421101201010001S0001-20261209-")  # a statement: one issue, no serial


@pytest.mark.parametrize("typed", [
    lambda c: c,
    lambda c: c.lower(),
    lambda c: c.replace("-", " "),
    lambda c: c.replace("-", ""),
    lambda c: "  " + c.replace("-", " - ") + " ",
    lambda c: c.translate(str.maketrans("0123456789J-", "０１２３４５６７８９Ｊ－")),  # full-width IME
])
def test_a_typed_code_is_read_whatever_its_spacing_case_or_width(typed):
    printed = qr.verification_code(CODE, 12, DAY, _signed(serial=12))
    read = qr.read_verification_code(typed(printed))
    assert (read.kind, read.code, read.serial, read.day) == ("certificate", CODE, "12", "20261209")
    assert qr.hmac_matches(KEY, CODE, 12, DAY, read.sig)


def test_look_alike_letters_read_as_the_digits_they_resemble():
    serial = next(n for n in range(1, 200)  # a code whose signature has a 0 or a 1 to mistake
                  if {"0", "1"} & set(qr.typed_signature(_signed(serial=n))))
    sig = qr.typed_signature(_signed(serial=serial))
    swapped = sig.replace("0", "O").replace("1", "l")
    assert swapped != sig and qr.hmac_matches(KEY, CODE, serial, DAY, swapped)


def test_the_code_proves_only_its_own_document():
    read = qr.read_verification_code(qr.verification_code(CODE, 1, DAY, _signed()))
    assert qr.hmac_matches(KEY, CODE, 1, DAY, read.sig)
    assert not qr.hmac_matches(KEY, CODE, 2, DAY, read.sig)  # another issue of the contract
    assert not qr.hmac_matches(KEY, CODE[:-5] + "0002J", 1, DAY, read.sig)  # another contract
    assert not qr.hmac_matches(KEY, CODE, 1, date(2026, 12, 10), read.sig)  # another day
    assert not qr.hmac_matches(b"another key", CODE, 1, DAY, read.sig)
    assert not qr.hmac_matches(KEY, CODE, 1, DAY, "é" * 22)  # any text compares, no error


@pytest.mark.parametrize("text", ["", "   ", "220421101201010001J", "220421101201010001J-1-20261209",
                                  "hello world 1234567890 abcdefghijk", "220421101201010001X-1-20261209-"
                                  "AAAA-AAAA-AAAA-AAAA", "220421101201010001J-1-2026120-AAAA-AAAA-AAAA-AAAA",
                                  "220421101201010001J-1-20261209-AAAA-AAAA-AAAA-AAAU", "x" * 500])
def test_text_that_is_not_a_code_is_not_read(text):
    assert qr.read_verification_code(text) is None


def test_a_pasted_verification_url_is_read_as_its_qr_says():
    url = f"https://lr.example.cn/verify/{CODE}?n=3&d=20261209&s={_signed(serial=3)}"
    read = qr.read_verification_code(url)
    assert (read.kind, read.code, read.serial, read.day, read.sig) == (
        "certificate", CODE, "3", "20261209", _signed(serial=3))
    statement = qr.read_verification_code("https://lr.example.cn/verify/statement/"
                                             "220421101201010001S0001?d=20261209&s=abc")
    assert (statement.kind, statement.code, statement.serial) == (
        "statement", "220421101201010001S0001", None)
    assert qr.read_verification_code("https://lr.example.cn/verify/transfer/220421101201010001?d=1&s=2"
                                        ).kind == "transfer"
    assert qr.verification_code_of(url, KEY) == qr.verification_code(CODE, 3, DAY, _signed(serial=3))
    sm2_url = f"https://lr.example.cn/verify/{CODE}?n=3&d=20261209&k=220421-5f3a9c1e&s={'A' * 86}"
    read = qr.read_verification_code(sm2_url)
    assert (read.key_id, read.sig) == ("220421-5f3a9c1e", "A" * 86)
    # the code printed under an SM2-signed QR is the same as under the HMAC one: the server's check
    assert qr.verification_code_of(sm2_url, KEY) == qr.verification_code_of(url, KEY)


def test_the_acts_offered_are_the_ones_that_apply():
    assert rules.certificate_actions([]) == ("issue",)
    assert rules.certificate_actions(["cancelled"]) == ("issue",)  # issued anew, with its reason
    assert rules.certificate_actions(["superseded", "cancelled"]) == ("issue",)
    assert rules.certificate_actions(["valid", "superseded"]) == ("reissue", "replace", "cancel")
