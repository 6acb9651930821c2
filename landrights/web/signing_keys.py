"""The county's public signing keys, published for anyone: a page linked from /verify/, and the
same keys as JSON at /.well-known/landrights-keys.json, which an auditor's offline checker
(scripts/verify-offline.py) reads to verify a printed QR code without the server."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template

from landrights.extensions import db
from landrights.signing import keys, qr, sm2

bp = Blueprint("signing_keys", __name__)

FORMAT = "landrights-keys/1"


def _published(key) -> dict:
    revoked = keys.revoked_on(key)
    return {"key_id": key.key_id, "county_code": key.county_code, "algorithm": key.algorithm,
            "valid_from": key.valid_from.isoformat(), "revoked_on": revoked and revoked.isoformat(),
            "public_key_hex": key.public_key, "public_key_pem": sm2.public_pem(key.public_key)}


@bp.get("/verify/keys")
@db.reads_only
def keys_page():
    """List the county's public signing keys, with how to check a QR code offline: anyone."""
    return render_template("signing/keys.html", keys=[_published(k) for k in keys.list_keys(db.session)])


@bp.get("/verify/keys/verify-offline.py")
def offline_checker():
    """Send the offline checker (landrights/signing/offline.py, a file that stands alone)."""
    source = (Path(__file__).resolve().parent.parent / "signing" / "offline.py").read_bytes()
    return Response(source, mimetype="text/x-python", headers={
        "Content-Disposition": 'attachment; filename="verify-offline.py"'})


@bp.get("/.well-known/landrights-keys.json")
@db.reads_only
def keys_json():
    """Return the public signing keys and what their signatures cover, for offline checking."""
    response = jsonify({
        "format": FORMAT,
        "signature": {"algorithm": "SM2 with SM3 (GB/T 32918.2, GB/T 35276)",
                      "signer_id": sm2.DEFAULT_SIGNER_ID.decode(), "encoding": "base64url of r || s",
                      "qr_parameter": "s", "key_parameter": "k"},
        "payload": f"{qr.PAYLOAD_VERSION}|<kind>|<code>|<serial>|<YYYY-MM-DD>",
        "kinds": {kind: path for kind, path in qr.PATHS.items()},
        "keys": [_published(k) for k in keys.list_keys(db.session)],
    })
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
