"""A verification finding in plain words, in the reader's language: which record, which chain
entry, what happened to it. Used by the command line and the county administrator's page."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from landrights import moments
from landrights.audit.chain import Finding


def _what(table: str | None) -> str:
    return {"register_entries": _("the register"), "certificates": _("certificates"),
            "transfer_contracts": _("transfer contracts"),
            "withdrawals": _("withdrawal requests")}.get(table or "", table or "")


def record_name(table: str | None, source_id: int | None, record: dict) -> str:
    """Name a chained record by its codes: 登记簿 2204...J 第1版, 证书 NO.J... and so on."""
    try:
        if table == "register_entries":
            return _("register entry %(code)s, version %(version)s", code=record["code"],
                     version=record["version"])
        if table == "certificates":
            return _("certificate %(printed_no)s (%(code)s, issue %(serial)s)",
                     printed_no=record["printed_no"], code=record["code"], serial=record["serial"])
        if table == "transfer_contracts":
            return _("transfer contract %(code)s", code=record["code"])
        if table == "withdrawals":
            return _("withdrawal request no. %(id)s of household %(household)s", id=source_id,
                     household=record["household_code"])
    except KeyError:  # a record edited out of shape: name it by its number
        pass
    return _("record no. %(id)s of %(what)s", id=source_id, what=_what(table))


def describe(finding: Finding) -> str:
    """Say what a finding means, naming the record and the chain entry."""
    name = record_name(finding.table, finding.source_id, finding.record)
    d = finding.detail
    day = moments.day_written(date.fromisoformat(d["day"])) if "day" in d else ""
    texts = {
        "content_changed": lambda: _("%(record)s was changed outside the registry after chain "
                                     "entry %(seq)s recorded it.", record=name, seq=finding.seq),
        "row_deleted": lambda: _("%(record)s was deleted outside the registry; chain entry %(seq)s "
                                 "recorded it.", record=name, seq=finding.seq),
        "not_chained": lambda: _("%(record)s is on no chain entry: it was added outside the "
                                 "registry.", record=name),
        "chain_deleted": lambda: (
            _("Chain entry %(seq)s was deleted.", seq=d["first"]) if d.get("first") == d.get("last")
            else _("Chain entries %(first)s to %(last)s were deleted.", first=d["first"], last=d["last"])),
        "chain_changed": lambda: _("Chain entry %(seq)s (%(record)s) was changed.", seq=finding.seq,
                                   record=name),
        "head_mismatch": lambda: (
            _("The head of %(day)s in the copy kept outside the registry (%(entries)s entries) does "
              "not match the chain: entries up to %(entries)s were changed or deleted.",
              day=day, entries=d["entries"]) if d.get("copy") else
            _("The head signed on %(day)s (%(entries)s entries) no longer matches the chain: "
              "entries up to %(entries)s were changed or deleted.", day=day, entries=d["entries"])),
        "head_signature": lambda: _("The signature of the head of %(day)s does not verify with "
                                    "the county's key.", day=day),
        "triggers_off": lambda: _("Changes to %(what)s are no longer being added to the chain: "
                                  "the chain has been switched off there.", what=_what(finding.table)),
    }
    text = texts[finding.kind]()
    return text[:1].upper() + text[1:]  # a record's name may begin the sentence


def summary(county_code: str, entries: int, findings: int) -> str:
    """Say in one line how a county's verification went."""
    if not findings:
        return _("%(county)s: %(entries)s chain entries, nothing changed outside the registry.",
                 county=county_code, entries=entries)
    return _("%(county)s: %(entries)s chain entries, %(count)s finding(s); the first:",
             county=county_code, entries=entries, count=findings)
