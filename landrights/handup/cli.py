"""`landrights import-handup`: bring in a county's hand-up package as the system and print the
report (counts per table, findings) as text or JSON."""
from __future__ import annotations

import json

import click

from landrights.handup.models import NY_T_TABLES

STAGE_NAMES = {"read": "读取 / reading the package", "check": "检查 / checking across tables",
               "enter": "入库 / entering", "report": "报告 / report"}
_HEADINGS = {"zh": ("表", "读取", "入库", "其中新版本", "未变", "未入库"),
             "en": ("table", "read", "entered", "of which new versions", "unchanged",
                    "kept out")}


def run_import(app, path: str, *, all_or_nothing: bool, as_json: bool, lang: str, echo) -> None:
    """Import the package at path, commit, and print its report; a refusal is click's error."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.errors import DomainError
    from landrights.extensions import db
    from landrights.handup import services
    from landrights.uploads import scratch_folder

    with scratch_folder(app.config["INSTANCE_DIR"], "cli") as folder:
        try:
            record = services.import_handup(db.session, SYSTEM, path, workdir=folder,
                                            all_or_nothing=all_or_nothing,
                                            progress=lambda stage: echo(STAGE_NAMES[stage]))
        except DomainError as err:
            db.session.rollback()
            raise click.ClickException(f"{err.field}: {err.message}"
                                       + (f" ({err.rule})" if err.rule else "")) from None
        db.session.commit()
        report = services.report(db.session, record, lang)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        return
    click.echo(text_report(report, lang))


def text_report(report: dict, lang: str) -> str:
    """Return the report as the terminal shows it: a summary line, the counts, the findings."""
    lines = [summary(report, lang), "  ".join(f"{h:>10}" for h in _HEADINGS[lang])]
    for table in NY_T_TABLES:
        c = report["counts"].get(table)
        if c:
            lines.append("  ".join(f"{v:>10}" for v in (table, c["read"], c["entered"],
                                                         c["changed"], c["unchanged"],
                                                         c["kept_out"])))
    for f in report["findings"]:
        lines.append(f"  {f['severity']:8} {f['rule']:30} {f['table']:11} {f['key']:40} "
                     f"{f['message']}")
    return "\n".join(lines)


def summary(report: dict, lang: str) -> str:  # noqa: ARG001 - the request context's language
    """Return the one sentence that says what the import did, in the current language."""
    from flask_babel import gettext as _

    critical = sum(f["severity"] == "critical" for f in report["findings"])
    named = {"id": report["id"], "county": report["county"], "file": report["filename"]}
    if report["changed_nothing"]:
        return _("Hand-up import %(id)s of county %(county)s (%(file)s): the registry already "
                 "held all of it; nothing changed.", **named)
    return _("Hand-up import %(id)s of county %(county)s (%(file)s): %(households)s households "
             "kept out; %(critical)s critical and %(other)s other findings.", **named,
             households=report["households_kept_out"], critical=critical,
             other=len(report["findings"]) - critical)
