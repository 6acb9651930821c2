"""Quality rules: run the enabled ones of a moment (SQL over the staging table, or Python over the
records read), and render findings in the user's language."""
from __future__ import annotations

import json
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.survey.models import QualityRule, QualityRuleSwitch

# Latin-1 letters and the replacement character in a Chinese survey file mean the DBF was decoded
# with the wrong code page (ECOSYSTEM.md §3.2): "ÕÅÈý" instead of "张三"
_GARBLED = re.compile(r"[\u0080-\u00ff\ufffd]")
TEXT_FIELDS = ("DKMC", "DKDZ", "DKNZ", "DKXZ", "DKBZ", "ZJRXM", "DKBZXX")


def text_encoding(records: list[dict], codes: list[str | None]) -> list[dict]:
    """Find text fields decoded with the wrong code page (mojibake)."""
    found = []
    for row_no, (record, code) in enumerate(zip(records, codes, strict=True), start=1):
        for name in TEXT_FIELDS:
            value = record.get(name)
            if isinstance(value, str) and _GARBLED.search(value):
                found.append({"row_no": row_no, "parcel_code": code, "location": None,
                              "params": {"code": code or "", "field": name, "value": value[:40]}})
                break
    return found


# NY/T 2539 code tables (R4.21-R4.24, R4.27): the values the parcels table accepts
CODE_TABLES = {
    "SYQXZ": {"10", "30", "31", "32", "33", "34"},
    "DKLB": {"10", "21", "22", "23", "24", "99"},  # both 24 and 99 "other" are seen (R4.22)
    "DLDJ": {f"{grade:02d}" for grade in range(1, 11)},
    "TDYT": {"1", "2", "3", "4", "5"},
    "SFJBNT": {"1", "2", "是", "否"},
}
CODE_WIDTH = {"SYQXZ": 2, "DKLB": 2, "DLDJ": 2, "TDLYLX": 3}


def field_text(name: str, value) -> str | None:
    """Return a field's value as text: stripped, None if blank, 4.0 as '4', and a code-table
    value zero-padded as the standard writes it (DLDJ 4 -> '04')."""
    if value is None:
        return None
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if text.isdigit() and name in CODE_WIDTH:
        text = text.zfill(CODE_WIDTH[name])
    return text or None


def code_tables(records: list[dict], codes: list[str | None]) -> list[dict]:
    """Find attribute values outside the NY/T 2539 code tables."""
    found = []
    for row_no, (record, code) in enumerate(zip(records, codes, strict=True), start=1):
        for name, allowed in CODE_TABLES.items():
            value = field_text(name, record.get(name))
            if value is not None and value not in allowed:
                found.append({"row_no": row_no, "parcel_code": code, "location": None,
                              "params": {"code": code or "", "field": name, "value": value}})
                break
    return found


PYTHON_RULES = {"text_encoding": text_encoding, "code_tables": code_tables}


def enabled_rules(session: Session, county_code: str, moment: str) -> list[QualityRule]:
    """Return the rules of a moment that the county has not switched off."""
    switched_off = (sa.select(QualityRuleSwitch.rule_id)
                    .where(QualityRuleSwitch.county_code == county_code,
                           QualityRuleSwitch.moment == moment,
                           QualityRuleSwitch.enabled.is_(False)))
    return list(session.scalars(sa.select(QualityRule)
                                .where(QualityRule.moment == moment,
                                       QualityRule.id.not_in(switched_off))
                                .order_by(QualityRule.id)))


def run_sql_rule(session: Session, rule: QualityRule, import_id: int, county_code: str,
                 collective: str) -> int:
    """Run one SQL rule over survey_stage, inserting its findings set-based; return how many."""
    result = session.execute(
        sa.text("INSERT INTO survey_findings (import_id, county_code, row_no, parcel_code, rule_id, "
                "severity, params, location) SELECT :import_id, :county, r.row_no, r.parcel_code, "
                f":rule_id, :severity, r.params, r.location FROM ({rule.body}) "
                "AS r(row_no, parcel_code, params, location)"),
        {"collective": collective, "params": json.dumps(rule.params), "import_id": import_id,
         "county": county_code, "rule_id": rule.id, "severity": rule.severity})
    return result.rowcount


def render(rule: QualityRule | None, params: dict, language: str) -> str:
    """Render a finding's message in zh or en from the rule's template."""
    if rule is None:
        return json.dumps(params, ensure_ascii=False)
    template = rule.message_en if language == "en" else rule.message_zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
