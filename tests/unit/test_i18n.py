"""Every message has a Chinese translation, and the compiled catalog matches the .po file."""
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ZH = Path(__file__).resolve().parents[2] / "landrights/translations/zh/LC_MESSAGES"


def test_every_message_is_translated_to_chinese():
    catalog = read_po((ZH / "messages.po").open("rb"))
    assert [m.id for m in catalog if m.id and not m.string] == []


def test_compiled_catalog_is_up_to_date():
    po = {m.id: m.string for m in read_po((ZH / "messages.po").open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo((ZH / "messages.mo").open("rb")) if m.id}
    assert po == mo
