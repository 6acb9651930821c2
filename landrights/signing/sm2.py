"""SM2 signatures with SM3 (GB/T 32918.2, GB/T 35276, GB/T 39786): the one place the SM2 library
is called, so it can be replaced by changing this file alone.

The library is tongsuopy (the Tongsuo project's Python SDK: OpenSSL-derived C code, the
cryptography package's API): it computes the standard's Z value with the default signer id
1234567812345678 (ENTL 0x0080), so anything signed here verifies in any other SM2 implementation
left at its default, and the reverse (tests/signing/test_sm2.py checks the standard's example).
Why this library and not another: docs/architecture.md, dependency table.

Signatures travel as the raw 64 bytes r || s (32 bytes each, big-endian), never as DER: the DER
handed to the library is built here, so no outside bytes reach its ASN.1 parser. Public keys are
the uncompressed point 04 || x || y, written as 130 hex digits.
"""
from __future__ import annotations

import base64
from functools import lru_cache

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.exceptions import InvalidSignature

ALGORITHM = "SM2"
DEFAULT_SIGNER_ID = b"1234567812345678"  # GB/T 35276 §10; the library's default
SIGNATURE_BYTES = 64
_SM2_WITH_SM3 = ec.ECDSA(hashes.SM3())  # with an SM2 key, the library signs SM2 (Z, then SM3)


def new_private_pem() -> bytes:
    """Return a fresh SM2 private key as unencrypted PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SM2())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_pem(pem: bytes):
    """Return the private key of a PKCS#8 PEM, or raise ValueError when it is not an SM2 key."""
    key = serialization.load_pem_private_key(pem, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != ALGORITHM:
        raise ValueError("not an SM2 private key")
    return key


def public_hex(private_key) -> str:
    """Return the public key of a private key: 04 || x || y in lowercase hex (130 digits)."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint).hex()


def fingerprint(public_key_hex: str) -> str:
    """Return the first 32 bits of SM3 over the public key (04 || x || y), in hex: the tail of
    the key's id, so an id names its key and two databases never give one id to two keys."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(bytes.fromhex(public_key_hex))
    return digest.finalize()[:4].hex()


def public_pem(public_key_hex: str) -> str:
    """Return a public key (04 || x || y in hex) as SubjectPublicKeyInfo PEM."""
    return _public_key(public_key_hex).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@lru_cache(maxsize=256)
def _public_key(public_key_hex: str):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), bytes.fromhex(public_key_hex))


def sign(private_key, payload: bytes) -> bytes:
    """Return the SM2 signature of payload (Z with the default signer id, then SM3) as r || s."""
    return _raw(private_key.sign(payload, _SM2_WITH_SM3))


def verify(public_key_hex: str, payload: bytes, signature: bytes) -> bool:
    """Tell whether signature (r || s, 64 bytes) is the key's SM2 signature of payload; any
    malformed key or signature is simply False."""
    if len(signature) != SIGNATURE_BYTES:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (r and s):
        return False
    try:
        _public_key(public_key_hex).verify(_der(r, s), payload, _SM2_WITH_SM3)
    except (InvalidSignature, ValueError):
        return False
    return True


def b64(signature: bytes) -> str:
    """Return a signature as URL-safe base64 without padding (86 characters for 64 bytes)."""
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def from_b64(text: str | None) -> bytes | None:
    """Read a signature written by b64, or None when it is not exactly that."""
    text = text or ""
    if len(text) != 86 or not text.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "==")
    except ValueError:
        return None
    return raw if b64(raw) == text else None  # one spelling per signature


def _der_int(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a leading 0 keeps it positive
    return b"\x02" + bytes([len(body)]) + body


def _der(r: int, s: int) -> bytes:
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def _raw(der: bytes) -> bytes:
    """Return r || s of a DER signature the library made (SEQUENCE of two INTEGERs)."""
    if der[0] != 0x30 or der[2] != 0x02:
        raise RuntimeError("the SM2 library returned a signature that is not DER")
    r_len = der[3]
    r = int.from_bytes(der[4:4 + r_len], "big")
    s_len = der[5 + r_len]
    s = int.from_bytes(der[6 + r_len:6 + r_len + s_len], "big")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")
