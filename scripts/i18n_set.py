"""Set Chinese translations: .venv/bin/python scripts/i18n_set.py "English => 中文" ... then i18n.sh."""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "landrights/translations/zh/LC_MESSAGES/messages.po"

catalog = read_po(PO.open("rb"))
for pair in sys.argv[1:]:
    msgid, text = pair.split(" => ", 1)
    if msgid not in catalog:
        raise SystemExit(f"not in the catalog (run scripts/i18n.sh first): {msgid}")
    catalog[msgid].string = text
with PO.open("wb") as fh:
    write_po(fh, catalog, width=100)
missing = [m.id for m in catalog if m.id and not m.string]
print("untranslated:", missing or "none")
