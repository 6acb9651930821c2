"""Run the hand-up rules (quality_rules, moment 'handup') set-based over the staged package and
decide what stays out: a household with a critical finding stays out whole (its members,
contract, contract parcels, register entry, certificates and its parcels); a row with a critical
finding of its own stays out; everything else enters. --all-or-nothing keeps everything out if
any finding is critical."""
from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.survey import rules as survey_rules

_INSERT = """
INSERT INTO handup_findings (import_id, county_code, table_name, row_no, record_key,
                             household_code, rule_id, severity, params)
SELECT :import_id, :county, r.t, r.row_no, left(r.k, 80), r.h, :rule_id, :severity, r.p
FROM ({body}) AS r(t, row_no, k, h, p)"""


def run_rules(session: Session, import_id: int, county_code: str) -> int:
    """Run the county's enabled hand-up rules; return how many findings they wrote. Rules that
    read other findings (a parcel kept out keeps its household out) run last."""
    enabled = survey_rules.enabled_rules(session, county_code, "handup")
    enabled.sort(key=lambda r: ("handup_findings" in r.body, r.id))
    found = 0
    for rule in enabled:
        found += session.execute(sa.text(_INSERT.format(body=rule.body)), {
            "import_id": import_id, "county": county_code, "rule_id": rule.id,
            "severity": rule.severity, "params": json.dumps(rule.params)}).rowcount
    return found


# the staged rows, child after parent, and what else keeps each out besides its own critical
# finding and its household's: the row it belongs to being out
_CASCADE = [
    ("hu_fbf", "FBF", "false"),
    ("hu_cbf", "CBF", "c.cbfbm IN (SELECT cbfbm FROM hu_out)"),
    ("hu_jtcy", "CBF_JTCY", "NOT EXISTS (SELECT 1 FROM hu_cbf h WHERE h.cbfbm = c.cbfbm "
                            "AND NOT h.out)"),
    ("hu_cbht", "CBHT", "NOT EXISTS (SELECT 1 FROM hu_cbf h WHERE h.cbfbm = left(c.cbhtbm, 18) "
                        "AND NOT h.out)"),
    ("hu_cbdkxx", "CBDKXX", "NOT EXISTS (SELECT 1 FROM hu_cbht k WHERE k.cbhtbm = c.cbhtbm "
                            "AND NOT k.out) OR NOT EXISTS (SELECT 1 FROM hu_dk d "
                            "WHERE d.parcel_code = c.dkbm AND NOT d.out) AND NOT EXISTS "
                            "(SELECT 1 FROM parcels p WHERE p.county_code = left(c.dkbm, 6) "
                            "AND p.code = c.dkbm AND p.valid_to IS NULL)"),
    ("hu_djb", "CBJYQZDJB", "NOT EXISTS (SELECT 1 FROM hu_cbht k WHERE k.cbhtbm = c.cbjyqzbm "
                            "AND NOT k.out)"),
    ("hu_qz", "CBJYQZ", "NOT EXISTS (SELECT 1 FROM hu_djb d WHERE d.cbjyqzbm = c.cbjyqzbm "
                        "AND NOT d.out)"),
    ("hu_bf", "CBJYQZ_QZBF", "NOT EXISTS (SELECT 1 FROM hu_qz q WHERE q.cbjyqzbm = c.cbjyqzbm "
                             "AND NOT q.out)"),
    ("hu_hf", "CBJYQZ_QZHF", "NOT EXISTS (SELECT 1 FROM hu_qz q WHERE q.cbjyqzbm = c.cbjyqzbm "
                             "AND NOT q.out)"),
    ("hu_zx", "CBJYQZ_QZZX", "NOT EXISTS (SELECT 1 FROM hu_qz q WHERE q.cbjyqzbm = c.cbjyqzbm "
                             "AND NOT q.out)"),
]
_HOUSEHOLD = {"hu_jtcy": "c.cbfbm", "hu_cbht": "left(c.cbhtbm, 18)",
              "hu_cbdkxx": "left(c.cbhtbm, 18)", "hu_djb": "left(c.cbjyqzbm, 18)",
              "hu_qz": "left(c.cbjyqzbm, 18)", "hu_bf": "left(c.cbjyqzbm, 18)",
              "hu_hf": "left(c.cbjyqzbm, 18)", "hu_zx": "left(c.cbjyqzbm, 18)"}


def decide(session: Session, import_id: int, all_or_nothing: bool) -> int:
    """Mark every staged row that stays out; return how many households stay out."""
    params = {"import_id": import_id}
    session.execute(sa.text(
        "CREATE TEMP TABLE hu_crit ON COMMIT DROP AS SELECT DISTINCT table_name, row_no "
        "FROM handup_findings WHERE import_id = :import_id AND severity = 'critical' "
        "AND row_no IS NOT NULL"), params)
    session.execute(sa.text("CREATE INDEX ON hu_crit (table_name, row_no)"))
    session.execute(sa.text(
        "CREATE TEMP TABLE hu_out ON COMMIT DROP AS SELECT DISTINCT household_code AS cbfbm "
        "FROM handup_findings WHERE import_id = :import_id AND severity = 'critical' "
        "AND household_code IS NOT NULL"), params)
    everything = all_or_nothing and session.scalar(sa.text("SELECT EXISTS (SELECT 1 FROM hu_crit)"))
    _collectives_and_households(session, everything)
    _layer(session, everything)
    for stage, table, parent in _CASCADE[2:]:
        household = _HOUSEHOLD[stage]
        session.execute(sa.text(
            f"UPDATE {stage} c SET out = true WHERE :everything OR "
            f"c.row_no IN (SELECT row_no FROM hu_crit WHERE table_name = '{table}') OR "
            f"{household} IN (SELECT cbfbm FROM hu_out) OR {parent}"), {"everything": everything})
    return session.scalar(sa.text("SELECT count(*) FROM hu_cbf WHERE out"))


def _collectives_and_households(session: Session, everything: bool) -> None:
    """Mark FBF rows and households out; a household whose collective neither enters nor is
    registered stays out too."""
    flag = {"everything": everything}
    session.execute(sa.text(
        "UPDATE hu_fbf c SET out = true WHERE :everything OR c.row_no IN "
        "(SELECT row_no FROM hu_crit WHERE table_name = 'FBF')"), flag)
    session.execute(sa.text(
        "INSERT INTO hu_out SELECT h.cbfbm FROM hu_cbf h WHERE h.cbfbm IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM hu_fbf f WHERE f.fbfbm = left(h.cbfbm, 14) AND NOT f.out) "
        "AND NOT EXISTS (SELECT 1 FROM collectives k WHERE k.county_code = left(h.cbfbm, 6) "
        "AND k.code = left(h.cbfbm, 14))"))
    session.execute(sa.text(
        "UPDATE hu_cbf c SET out = true WHERE :everything OR c.cbfbm IS NULL OR c.row_no IN "
        "(SELECT row_no FROM hu_crit WHERE table_name = 'CBF') OR c.cbfbm IN "
        "(SELECT cbfbm FROM hu_out)"), flag)
    session.execute(sa.text("INSERT INTO hu_out SELECT cbfbm FROM hu_cbf WHERE out "
                            "AND cbfbm IS NOT NULL"))
    session.execute(sa.text("CREATE INDEX ON hu_out (cbfbm)"))
    session.execute(sa.text("ANALYZE hu_out"))


def _layer(session: Session, everything: bool) -> None:
    """Mark layer rows out: unusable, without a code, with a critical finding, or the land of a
    household that stays out (it stays with its household)."""
    session.execute(sa.text("""
        CREATE TEMP TABLE hu_dk ON COMMIT DROP AS
        SELECT s.row_no, s.parcel_code, (:everything OR NOT s.ok OR s.parcel_code IS NULL
               OR s.row_no IN (SELECT row_no FROM hu_crit WHERE table_name = 'DK')
               OR s.parcel_code IN (SELECT x.dkbm FROM hu_cbdkxx x JOIN hu_out o
                                    ON o.cbfbm = left(x.cbhtbm, 18))) AS out
        FROM survey_stage s"""), {"everything": everything})
    session.execute(sa.text("CREATE INDEX ON hu_dk (parcel_code)"))
    session.execute(sa.text("ANALYZE hu_dk"))
