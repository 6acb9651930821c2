#!/usr/bin/env python3
"""Check a landrights QR code offline with the published keys (for auditors):

    scripts/verify-offline.py "QR TEXT" --keys landrights-keys.json

The checker is landrights/signing/offline.py, a file that stands alone; the registry also serves
it at /verify/keys/verify-offline.py. Exit status and output: see that file."""
import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent.parent / "landrights" / "signing" / "offline.py"),
               run_name="__main__")
