"""Public-key signatures of the county's documents (issue 20 §4): SM2 with SM3 (GB/T 32918,
GB/T 39786), the county's signing keys, their rotation and revocation.

Base level: imports nothing from a domain package. Certificates, statements, attestations and the
register's daily head all sign through here.

    from landrights import signing

    signed = signing.sign(session, "220421", payload_bytes)   # -> SignedBy(key_id, signature_b64)
    verdict = signing.verify(session, signed.key_id, payload_bytes, signed.signature_b64)
    verdict.ok          # True: the signature is the key's over these bytes
    verdict.key_id
    verdict.revoked_on  # date (China Standard Time) the key was revoked, else None

`sign` uses the county's key in force today (the newest unrevoked key whose valid_from has come),
creating the first key in development (never in production: there the app refuses to start
without one). `verify` checks with the key's published public key, so it needs no private key;
a revoked key's old signatures still verify (ok=True) but carry revoked_on, which the pages show
as "revoked on <date>". An unknown key id or a malformed signature is ok=False, never an
exception.
"""
from landrights.signing.api import SignedBy, Verdict, sign, verify  # noqa: F401
