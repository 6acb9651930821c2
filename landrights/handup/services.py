"""Import a county's hand-up package (汇交成果, issue 18) in one transaction: stage the DK layer and
the ownership tables by COPY, run the hand-up rules set-based, decide what stays out, and enter
the rest with INSERT … SELECT as of the package's own dates. A killed import leaves nothing: the
transaction is the unit, the staging tables are temporary. Re-importing the same package changes
nothing; a corrected one brings in what was kept out and adds new versions of what it changes."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import Actor, covers
from landrights.certification.certificates import default_authority
from landrights.db import flush_or_raise
from landrights.errors import Forbidden, ValidationFailed
from landrights.handup import certs, checks, land, people, permissions
from landrights.handup.errors import file_error
from landrights.handup.layer import stage_layer
from landrights.handup.models import NY_T_TABLES, HandupFinding, HandupImport
from landrights.handup.package import accept
from landrights.handup.stage import stage_ownership
from landrights.registry import services as registry
from landrights.registry.constraints import translate
from landrights.serving import metrics
from landrights.survey import rules as survey_rules
from landrights.survey.errors import SurveyFileError
from landrights.survey.models import QualityRule
from landrights.survey.package import DEFAULT_LIMITS, Limits

STAGES = ("read", "check", "enter", "report")
WORK_TABLES = ("hu_crit", "hu_out", "hu_dk", "hu_hh", "hu_who", "hu_mem", "hu_k", "hu_kfp", "hu_parcel",
               "hu_ev", "hu_cancel")
_FATE_COUNTS = """SELECT count(*) FILTER (WHERE fate IN ('entered', 'changed')),
    count(*) FILTER (WHERE fate = 'changed'), count(*) FILTER (WHERE fate = 'unchanged')
    FROM {rows}"""
# where each table's fates are (a member's and a contract parcel's are its version's and its
# contract's: not copied back to the big staging tables)
_FATES = {"DK": "hu_parcel", "CBF_JTCY": "hu_mem",
          "CBDKXX": "(SELECT k.fate FROM hu_cbdkxx x JOIN hu_k k ON k.cbhtbm = x.cbhtbm "
                    "WHERE NOT x.out) AS links"}


@metrics.handup_import
def import_handup(session: Session, actor: Actor, path: str | Path, *,
                  filename: str | None = None, all_or_nothing: bool = False,
                  workdir: str | Path | None = None, limits: Limits = DEFAULT_LIMITS,
                  progress: Callable[[str], None] = lambda stage: None) -> HandupImport:
    """Import a hand-up package (folder, .zip, or the export's .gpkg); return the import.

    Raises:
        Forbidden: not the county administrator, or a package of another county.
        ValidationFailed: a package the import cannot read (field 'file'), or of several counties.
    """
    permissions.require_import_handup(actor)
    path = Path(path)
    name = (filename or path.name).replace("\\", "/").rsplit("/", 1)[-1][:255] or "package"
    progress("read")
    # the work tables are temporary (dropped at commit); a second import in one transaction
    # starts without the first's
    session.execute(sa.text(f"DROP TABLE IF EXISTS {', '.join(WORK_TABLES)}"))
    try:
        with tempfile.TemporaryDirectory(prefix="handup-", dir=workdir) as folder:
            (Path(folder) / "ownership").mkdir()
            owner = accept(path, Path(folder) / "ownership", name=name, limits=limits)
            layer = stage_layer(session, path, name=name, workdir=Path(folder), limits=limits)
            stage_ownership(session, owner)
    except SurveyFileError as err:
        raise file_error(err) from None
    county = _county(session, actor)
    registry.lock_code(session, "handup", county)
    record = HandupImport(county_code=county, filename=name, ownership_format=owner.file_format,
                          layer_format=layer.file_format, encoding=layer.encoding,
                          source_crs=f"EPSG:{layer.srid}", all_or_nothing=all_or_nothing,
                          actor_id=actor.user_id)
    session.add(record)
    flush_or_raise(session)
    progress("check")
    checks.run_rules(session, record.id, county)
    record.households_kept_out = checks.decide(session, record.id, all_or_nothing)
    progress("enter")
    try:
        closed = _enter(session, actor, record)
    except DBAPIError as exc:  # a constraint the rules did not foresee: named, nothing kept
        session.rollback()
        raise translate(exc) from exc
    progress("report")
    counts = _counts(session)
    counts["CBF_JTCY"]["closed"] = closed
    record.counts = counts
    record.changed_nothing = not closed and not any(c["entered"] for c in counts.values())
    registry.record(session, actor, "import", "handup", county, document=name,
                    details={"import_id": record.id, "kept_out": record.households_kept_out})
    flush_or_raise(session)
    return record


def _county(session: Session, actor: Actor) -> str:
    """Return the one county the package's codes name, refusing several or another's."""
    counties = sorted(session.scalars(sa.text(
        "SELECT DISTINCT left(fbfbm, 6) FROM hu_fbf WHERE fbfbm ~ '^[0-9]{6}' UNION "
        "SELECT DISTINCT left(cbfbm, 6) FROM hu_cbf WHERE cbfbm ~ '^[0-9]{6}' UNION "
        "SELECT DISTINCT left(parcel_code, 6) FROM survey_stage WHERE parcel_code IS NOT NULL")))
    if len(counties) != 1:
        raise ValidationFailed(_l("A hand-up package holds one county's records; this one holds "
                                  "%(n)s counties' (%(codes)s).", n=len(counties),
                                  codes=", ".join(counties[:5]) or "—"), field="file", rule="R4.4")
    permissions.require_import_handup(actor, counties[0])
    return counties[0]


def _enter(session: Session, actor: Actor, record: HandupImport) -> int:
    """Enter everything not kept out; return how many live memberships the package closed."""
    params = {"import_id": record.id, "now": clock.now(), "county": record.county_code,
              "filename": record.filename,
              "authority": default_authority(session, record.county_code)}
    people.enter_collectives(session, actor)
    params["authority"] = default_authority(session, record.county_code)  # named by FBF now
    people.enter_households(session, params)
    people.enter_persons(session)
    closed = people.enter_members(session, params)
    land.stage_contracts(session, params)
    land.enter_parcels(session, params)
    land.enter_contracts(session, params)
    certs.enter_certificates(session, params)
    _change_events(session, actor, params)
    return closed


def _change_events(session: Session, actor: Actor, params: dict) -> None:
    """One change event per household the import entered or changed: who, when, on what
    document (the package), so a household's history says where its records came from."""
    session.execute(sa.text("""
        INSERT INTO change_events (county_code, actor_id, action, entity, entity_code, document,
                                   details)
        SELECT left(h.cbfbm, 6), :actor, 'handup', 'household', h.cbfbm,
               left('汇交成果 ' || :filename, 200),
               jsonb_build_object('import_id', :import_id, 'household', h.fate)
        FROM hu_cbf h WHERE NOT h.out AND (h.fate <> 'unchanged'
            OR EXISTS (SELECT 1 FROM hu_hh hh JOIN hu_mem w ON w.household_id = hh.household_id
                       WHERE hh.cbfbm = h.cbfbm AND w.fate <> 'unchanged')
            OR EXISTS (SELECT 1 FROM hu_k k WHERE left(k.cbhtbm, 18) = h.cbfbm
                       AND k.fate <> 'unchanged'))"""), {**params, "actor": actor.user_id})


def _counts(session: Session) -> dict[str, dict[str, int]]:
    """Return per NY/T table: read, entered (new or a new version), changed, unchanged, kept out."""
    from landrights.handup.fields import STAGE

    counts = {}
    for table in NY_T_TABLES:
        read = session.scalar(sa.text(
            f"SELECT count(*) FROM {'survey_stage' if table == 'DK' else STAGE[table]}"))
        entered, changed, unchanged = session.execute(sa.text(_FATE_COUNTS.format(
            rows=_FATES.get(table, STAGE.get(table))))).one()
        counts[table] = {"read": read, "entered": entered, "changed": changed,
                         "unchanged": unchanged, "kept_out": read - entered - unchanged}
    return counts


def report(session: Session, record: HandupImport, language: str = "zh") -> dict:
    """Return the import's report: how it was read, counts per table and every finding."""
    rules = {r.id: r for r in session.scalars(sa.select(QualityRule)
                                              .where(QualityRule.moment == "handup"))}
    findings = session.scalars(sa.select(HandupFinding).where(HandupFinding.import_id == record.id)
                               .order_by(HandupFinding.severity, HandupFinding.table_name,
                                         HandupFinding.record_key, HandupFinding.rule_id))
    return {
        "id": record.id, "county": record.county_code, "filename": record.filename,
        "ownership_format": record.ownership_format, "layer_format": record.layer_format,
        "encoding": record.encoding, "source_crs": record.source_crs,
        "all_or_nothing": record.all_or_nothing, "created_at": record.created_at,
        "counts": {t: record.counts.get(t) for t in NY_T_TABLES if t in record.counts},
        "households_kept_out": record.households_kept_out,
        "changed_nothing": record.changed_nothing,
        "findings": [{"table": f.table_name, "row": f.row_no, "key": f.record_key,
                      "household": f.household_code, "rule": f.rule_id, "severity": f.severity,
                      "message": survey_rules.render(rules.get(f.rule_id), f.params, language),
                      "what_to_do": _what_to_do(rules.get(f.rule_id), language)}
                     for f in findings],
    }


def _what_to_do(rule: QualityRule | None, language: str) -> str:
    """Return what the rule asks of the county, in the rule's description (its message says what
    was found and, where it can, what to do)."""
    if rule is None:
        return ""
    return rule.description_en if language == "en" else rule.description_zh


def get_import(session: Session, actor: Actor, import_id: int) -> HandupImport:
    """Return one hand-up import the actor may see (the county administrator of its county).

    Raises:
        Unauthenticated: anonymous. Forbidden: another role, or no such import in the county
            (one answer for both).
    """
    permissions.require_import_handup(actor)
    record = session.get(HandupImport, import_id)
    if record is None or not covers(actor, record.county_code):
        raise Forbidden(_l("There is no hand-up import with this number that you may see."),
                        field="id")
    return record


def list_imports(session: Session, actor: Actor, limit: int = 20) -> list[HandupImport]:
    """Return the latest hand-up imports of the actor's county."""
    permissions.require_import_handup(actor)
    return list(session.scalars(sa.select(HandupImport)
                                .where(HandupImport.county_code.startswith(actor.area_prefix))
                                .order_by(HandupImport.id.desc()).limit(limit)))
