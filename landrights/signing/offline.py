#!/usr/bin/env python3
"""Check the signature of a landrights QR code without the registry's server: for auditors.

    python3 verify-offline.py "QR TEXT" --keys landrights-keys.json

This file stands alone (it imports nothing of landrights): the registry serves it for download at
/verify/keys/verify-offline.py, and scripts/verify-offline.py runs it from a checkout.

QR TEXT is what a phone or a scanner (zbarimg) reads from a certificate, a statement of retained
rights or a transfer attestation. landrights-keys.json is the county's published keys, saved from
<the registry>/.well-known/landrights-keys.json (or the "Public signing keys" page under /verify/).
Needs Python 3.9+ and tongsuopy (pip install tongsuopy==1.0.1); nothing else, no network.

It says whether the registry's key signed exactly this document code, serial and date. It cannot
say whether the document is still in force (superseded, cancelled, terminated): that is in the
register, which the online verification reads.

Exit status: 0 signed by a published key in force; 2 signed, but by a key revoked since (named
with its day: ask the issuing office); 1 not signed by any published key, or not a registry QR
code; 3 a QR code of the format before SM2 signatures (HMAC), which only the server can check.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from datetime import date
from urllib.parse import parse_qs, urlsplit

PATH = re.compile(r".*/verify/(?:(statement|transfer)/)?([0-9A-Z]{18,23})/?")
PAYLOAD_VERSION = "lr-doc/1"  # landrights.signing.qr.PAYLOAD_VERSION
GENUINE, NOT_SIGNED, REVOKED, SERVER_ONLY = 0, 1, 2, 3


def read_qr(text: str) -> dict | None:
    """Return the signed data of a verification URL: kind, code, serial, day, key id, signature."""
    parts = urlsplit(text.strip())
    found = PATH.fullmatch(parts.path)
    if found is None:
        return None
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    kind = found.group(1) or "certificate"
    serial = query.get("n", "") if kind == "certificate" else "1"
    issued = _day(query.get("d", ""))
    if issued is None or not (serial.isascii() and serial.isdecimal()):
        return None
    return {"kind": kind, "code": found.group(2), "serial": int(serial), "day": issued,
            "key_id": query.get("k"), "signature": query.get("s", "")}


def _day(text: str) -> date | None:
    if len(text) != 8 or not text.isascii() or not text.isdecimal():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def payload(signed: dict) -> bytes:
    """Return the bytes the registry signed (landrights.signing.qr.payload)."""
    return (f"{PAYLOAD_VERSION}|{signed['kind']}|{signed['code']}|{signed['serial']}|"
            f"{signed['day'].isoformat()}").encode()


def sm2_verify(public_key_hex: str, message: bytes, signature_b64: str) -> bool:
    """SM2 with SM3 and the default signer id 1234567812345678 (GB/T 32918.2, GB/T 35276)."""
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec
    from tongsuopy.crypto.exceptions import InvalidSignature

    try:
        raw = base64.urlsafe_b64decode(signature_b64 + "==")
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), bytes.fromhex(public_key_hex))
    except ValueError:
        return False
    if len(raw) != 64:
        return False
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")

    def der_int(v: int) -> bytes:
        body = v.to_bytes((v.bit_length() + 8) // 8, "big")
        return b"\x02" + bytes([len(body)]) + body

    body = der_int(r) + der_int(s)
    try:
        key.verify(b"\x30" + bytes([len(body)]) + body, message, ec.ECDSA(hashes.SM3()))
    except (InvalidSignature, ValueError):
        return False
    return True


def check(qr_text: str, published: dict) -> tuple[int, str]:
    """Return (exit status, one sentence) for a QR code's text against the published keys."""
    signed = read_qr(qr_text)
    if signed is None:
        return NOT_SIGNED, "NOT VERIFIED: this is not a QR code of the land rights registry."
    what = f"{signed['kind']} {signed['code']}" + (
        f" no. {signed['serial']}" if signed["kind"] == "certificate" else "") + f" of {signed['day']}"
    if not signed["key_id"]:
        return SERVER_ONLY, (f"CANNOT CHECK OFFLINE: {what} carries the registry's older signature "
                             "(before SM2 keys); verify it online.")
    key = _signing_key(signed, published)
    if key is None:
        return NOT_SIGNED, f"NOT VERIFIED: no published key signed {what}."
    if key.get("revoked_on"):
        return REVOKED, (f"SIGNED, BY A REVOKED KEY: {what} was signed by key {key['key_id']}, which "
                         f"was revoked on {key['revoked_on']}; ask the issuing office.")
    return GENUINE, (f"VERIFIED: {what} was signed by key {key['key_id']} of county "
                     f"{key['county_code']}. Whether it is still in force is in the register: verify "
                     "it online too.")


def _signing_key(signed: dict, published: dict) -> dict | None:
    """Return the published key that signed the QR's data (of the document's county), or None."""
    key = next((k for k in published.get("keys", []) if k.get("key_id") == signed["key_id"]), None)
    if key is None or key.get("county_code") != signed["code"][:6] or key.get("algorithm") != "SM2":
        return None
    return key if sm2_verify(key["public_key_hex"], payload(signed), signed["signature"]) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("qr_text", help="the text of the QR code (the verification URL)")
    parser.add_argument("--keys", required=True, help="the published landrights-keys.json")
    args = parser.parse_args(argv)
    with open(args.keys, encoding="utf-8") as f:
        published = json.load(f)
    status, sentence = check(args.qr_text, published)
    print(sentence)
    return status


if __name__ == "__main__":
    sys.exit(main())
