"""SM2 with SM3 as the standard writes it (GB/T 32918.2, GB/T 35276): the library verifies the
standard's own signature of "message digest" under the default signer id 1234567812345678, derives
the standard's public key from its private key, and refuses anything altered."""
from __future__ import annotations

import pytest
from tongsuopy.crypto import hashes
from tongsuopy.crypto.asymciphers import ec

from landrights.signing import sm2

# The example on the recommended curve (sm2p256v1) with the default signer id (ENTL 0x0080,
# ID 1234567812345678): GB/T 35276-2017 / GM/T 0003 (the signature made with the published k).
PRIVATE = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
PUBLIC = ("04" "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
          "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13").lower()
R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
MESSAGE = b"message digest"


def test_the_standards_signature_verifies_with_the_default_signer_id():
    signature = bytes.fromhex(R + S)
    assert sm2.verify(PUBLIC, MESSAGE, signature)
    assert not sm2.verify(PUBLIC, MESSAGE + b".", signature)  # another message
    assert not sm2.verify(PUBLIC, MESSAGE, bytes.fromhex(S + R))  # r and s swapped


def test_the_standards_private_key_gives_its_public_key_and_signs_verifiably():
    key = ec.derive_private_key(PRIVATE, ec.SM2())
    assert sm2.public_hex(key) == PUBLIC
    signature = sm2.sign(key, MESSAGE)  # a new random k: another (r, s), the same key
    assert len(signature) == 64 and signature != bytes.fromhex(R + S)
    assert sm2.verify(PUBLIC, MESSAGE, signature)


def test_sm3_is_the_standards():  # GB/T 32905-2016 example 1
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_a_round_trip_and_every_alteration_refused():
    key = sm2.load_private_pem(sm2.new_private_pem())
    public = sm2.public_hex(key)
    payload = b"lr-doc/1|certificate|220421101201010001J|1|2026-12-09"
    text = sm2.b64(sm2.sign(key, payload))
    assert len(text) == 86 and sm2.verify(public, payload, sm2.from_b64(text))
    other = sm2.public_hex(sm2.load_private_pem(sm2.new_private_pem()))
    assert not sm2.verify(other, payload, sm2.from_b64(text))  # another key
    assert not sm2.verify(public, payload.replace(b"|1|", b"|2|"), sm2.from_b64(text))
    flipped = bytearray(sm2.from_b64(text))
    flipped[40] ^= 1
    assert not sm2.verify(public, payload, bytes(flipped))


@pytest.mark.parametrize("text", ["", "A" * 85, "A" * 87, "é" * 86, "!" * 86, None])
def test_text_that_is_not_a_signature_reads_as_none(text):
    assert sm2.from_b64(text) is None


def test_a_signature_has_one_spelling():
    key = sm2.load_private_pem(sm2.new_private_pem())
    text = sm2.b64(sm2.sign(key, b"x"))
    # the last character carries 2 bits of the signature and 4 unused ones: another letter that
    # differs only in the unused bits decodes to the same bytes, and is refused all the same
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = text[:-1] + last[last.index(text[-1]) ^ 1]
    assert sm2.from_b64(twin) is None


def test_zero_or_malformed_parts_and_keys_are_refused_without_an_error():
    assert not sm2.verify(PUBLIC, MESSAGE, bytes(64))
    assert not sm2.verify(PUBLIC, MESSAGE, bytes.fromhex(R))  # 32 bytes
    assert not sm2.verify("04" + "00" * 64, MESSAGE, bytes.fromhex(R + S))  # not a point of the curve


def test_the_fingerprint_names_the_key():
    assert sm2.fingerprint(PUBLIC) == sm2.fingerprint(PUBLIC.upper().replace("0X", ""))
    assert len(sm2.fingerprint(PUBLIC)) == 8
    other = sm2.public_hex(sm2.load_private_pem(sm2.new_private_pem()))
    assert sm2.fingerprint(other) != sm2.fingerprint(PUBLIC)
