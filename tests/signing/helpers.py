"""A signing key folder as production wants it: one SM2 private key, mode 600."""
from __future__ import annotations

import os
from pathlib import Path

from landrights.signing import sm2


def signing_folder(folder: Path) -> Path:
    """Return folder holding one fresh SM2 private key (<county>-<fingerprint>.pem, mode 600)."""
    folder.mkdir(parents=True, exist_ok=True)
    pem = sm2.new_private_pem()
    key_id = f"220421-{sm2.fingerprint(sm2.public_hex(sm2.load_private_pem(pem)))}"
    path = folder / f"{key_id}.pem"
    path.write_bytes(pem)
    os.chmod(path, 0o600)
    return folder
