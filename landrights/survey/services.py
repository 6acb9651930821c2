"""Import a survey file in one transaction: stream it into a staging table with COPY, run the
quality rules set-based over it, classify it against the registry, and enter the clean parcels as
'surveyed' new versions. Nothing registered is overwritten (DESIGN.md capability 2, R3.1)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from psycopg.types.json import Jsonb
from sqlalchemy.orm import Session

from landrights import patterns
from landrights.accounts.permissions import Actor, require_login
from landrights.db import flush_or_raise, local_settings
from landrights.errors import Forbidden, NotFound, ValidationFailed
from landrights.registry import rules as registry_rules
from landrights.registry import services as registry
from landrights.registry.models import Collective
from landrights.serving import metrics
from landrights.survey import permissions, rules, words
from landrights.survey.file_errors import file_error
from landrights.survey.models import QualityRule, QualityRuleSwitch, SurveyFinding, SurveyImport
from landrights.survey.package import DEFAULT_LIMITS, Limits
from landrights.survey.reader import SurveyFile, SurveyFileError, read_survey

_AREAS = ("SCMJ", "SCMJM")
_KNOWN = {*registry_rules.DK_FIELDS, "DKBM"}
# the staging table: one row per feature, as the file has it; area_m2 and perimeter_m (on the
# spheroid, of the usable polygons) are computed once here by the database, for every rule
STAGE_COLUMNS = ["row_no", "parcel_code", "ok", "geom", *registry_rules.DK_FIELDS.values(), "extra"]
# the binary COPY's type of each staged column, in STAGE_COLUMNS order (a DK field is text unless named)
_STAGE_TYPES = ["int4", "text", "bool", "bytea",
                *({"is_basic_farmland": "bool", "surveyed_area_m2": "numeric",
                   "surveyed_area_mu": "numeric"}.get(c, "text") for c in registry_rules.DK_FIELDS.values()),
                "jsonb"]
# The parcels of collective :collective, as one range of the (county, code) keys: a parcel's code
# starts with its collective's (ck_parcels_collective_prefix), so the index finds them without a
# scan of the county's parcels
_COLLECTIVE_CODES = ("county_code = left(:collective, 6) "
                     "AND code BETWEEN :collective || '00000' AND :collective || '99999'")
_STAGE_DDL = """
DROP TABLE IF EXISTS survey_class;
DROP TABLE IF EXISTS survey_stage;
CREATE TEMP TABLE survey_stage (
    row_no int PRIMARY KEY, parcel_code text, ok boolean NOT NULL, geom geometry(Geometry, 4490),
    name text, ownership text, category text, land_use_type text, soil_grade text, land_use text,
    is_basic_farmland boolean, east text, south text, west text, north text, pointer_name text,
    remark text, surveyed_area_m2 numeric, surveyed_area_mu numeric, extra jsonb,
    area_m2 double precision GENERATED ALWAYS AS
        (CASE WHEN ok THEN ST_Area(geom::geography) END) STORED,
    perimeter_m double precision GENERATED ALWAYS AS
        (CASE WHEN ok THEN ST_Perimeter(geom::geography) END) STORED
) ON COMMIT DROP"""
_COMPARED = ["name", "ownership", "category", "land_use_type", "soil_grade", "land_use",
             "is_basic_farmland", "east", "south", "west", "north", "pointer_name", "remark",
             "surveyed_area_m2"]


@metrics.survey_import
def import_survey(session: Session, actor: Actor, path: str | Path, *, collective_code: str,
                  filename: str | None = None, encoding: str | None = None, srid: int | None = None,
                  all_or_nothing: bool = False, workdir: str | Path | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> SurveyImport:
    """Import a survey file for one collective and return the import with its findings.

    workdir is the private folder the file's parts are copied to (default: the system's).

    Raises:
        Forbidden: the actor may not edit this collective's registry.
        ValidationFailed: a file that is not what the import reads, or unreadable (field 'file'),
            an unknown encoding ('encoding'), no or unsupported CRS ('crs'), unknown collective,
            or a file whose parcels all belong to another collective ('collective').
    """
    permissions.require_import_survey(actor, collective_code)
    try:
        survey = read_survey(path, encoding=encoding, srid=srid, name=filename, workdir=workdir,
                             limits=limits)
    except SurveyFileError as err:
        raise file_error(err) from None
    _ensure_collectives(session, actor, survey, collective_code)
    codes = parcel_codes(survey)
    _require_own_parcels(codes, collective_code)
    record = SurveyImport(county_code=collective_code[:6], collective_code=collective_code,
                          filename=_filename(filename or Path(path).name),
                          file_format=survey.file_format,
                          encoding=survey.encoding, source_crs=f"EPSG:{survey.source_srid}",
                          all_or_nothing=all_or_nothing, features=len(codes), actor_id=actor.user_id)
    session.add(record)
    flush_or_raise(session)
    enabled = rules.enabled_rules(session, record.county_code, "import")
    python_rules = [rules.PythonRule(r.id, r.severity, r.body, dict(r.params)) for r in enabled
                    if r.kind == "python"]
    ok = _usable(survey.geometries)
    # Every join of the import probes an index row by row. A bitmap plan ANDing the GiST probe
    # with the partial live-parcel index scans that whole index once per row, and statistics taken
    # while the registry was small make it look cheap (migration 0011: 65 s for one village)
    with local_settings(session, enable_bitmapscan="off"):
        # the Python rules (the geometric pair rules among them) run in a thread of their own
        # while the database takes the staging COPY and runs the SQL rules: two cores at work
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="survey-rules") as pool:
            python_findings = pool.submit(rules.run_python_rules, python_rules,
                                          rules.Layer(survey, codes, ok))
            _stage(session, survey, codes, ok)
            for rule in enabled:
                if rule.kind == "sql":
                    rules.run_sql_rule(session, rule, record.id, record.county_code,
                                       collective_code)
            _insert_python_findings(session, record, python_findings.result())
        _classify_and_accept(session, record, all_or_nothing)
        # sorted in memory, not on disk: the ids follow the file's order
        with local_settings(session, work_mem="64MB"):
            record.imported = _enter_parcels(session, record)
    flush_or_raise(session)
    registry.record(session, actor, "import", "survey", collective_code,
                    details={"import_id": record.id, "imported": record.imported})
    return record


def _require_own_parcels(codes: list[str | None], collective_code: str) -> None:
    """Refuse a file none of whose parcels belongs to the collective (R4.7)."""
    if codes and not any(c and c.startswith(collective_code) for c in codes):
        raise ValidationFailed(_l("No parcel of this file belongs to collective %(code)s: is it "
                                  "the file of another collective?", code=collective_code),
                               field="collective", rule="R4.7")


def _filename(name: str) -> str:
    """Return the name the report shows for the file: its last part, printable, at most 255."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in last if ch.isprintable())[:255] or "upload"


def parcel_codes(survey: SurveyFile) -> list[str | None]:
    """Return each row's parcel code if it has the shape of one (19 digits, R4.7), else None.

    Only codes of that shape reach the staging table, the findings and the report: what else the
    DKBM column holds is never echoed (issue 16; code_format reports the row instead).
    """
    codes = [rules.field_text("DKBM", v) for v in survey.column("DKBM")]
    return [c if patterns.PARCEL.matches(c) else None for c in codes]


_FBF = {"FBFMC": "name", "FBFFZRXM": "responsible_name", "LXDH": "phone", "FBFDZ": "address"}


def _ensure_collectives(session: Session, actor: Actor, survey: SurveyFile, code: str) -> None:
    """Create or update the collectives the package's FBF table carries; require ours to exist."""
    for row in survey.collectives:
        fbf = rules.field_text("FBFBM", row.get("FBFBM"))
        if not patterns.COLLECTIVE.matches(fbf):
            continue
        fields = {column: rules.field_text(name, row.get(name)) for name, column in _FBF.items()}
        fields["name"] = fields["name"] or fbf
        existing = session.scalar(sa.select(Collective).where(Collective.code == fbf))
        if existing is None:
            registry.add_collective(session, actor, code=fbf, **fields)
        else:
            permissions.require_import_survey(actor, fbf)
            for key, value in fields.items():
                if value:
                    setattr(existing, key, value)
            flush_or_raise(session)
    if session.scalar(sa.select(Collective.id).where(Collective.code == code)) is None:
        raise ValidationFailed(_l("Unknown collective (发包方) %(code)s: add it first with "
                                  "`landrights collectives add`, or send its FBF table.", code=code),
                               field="collective", rule="R4.5")


def _usable(geoms: np.ndarray) -> np.ndarray:
    """Return which geometries are valid, non-empty Polygons or MultiPolygons."""
    kinds = shapely.get_type_id(geoms)
    return (~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) & np.isin(kinds, (3, 6))
            & shapely.is_valid(geoms))


def _stage_columns(survey: SurveyFile, codes: list[str | None], ok: np.ndarray) -> list[list]:
    """Return the staging table's columns, in STAGE_COLUMNS order, converted a column at a time."""
    n = len(codes)
    geoms = shapely.set_srid(survey.geometries, 4490)
    wkb = shapely.to_wkb(geoms, include_srid=True)  # EWKB; the server reads it with geometry_recv
    columns = [list(range(1, n + 1)), codes, ok.tolist(), wkb.tolist()]
    columns += [_dk_column(name, survey.column(name)) for name in registry_rules.DK_FIELDS]
    columns.append(_extra_column(survey, n))
    return columns


def _dk_column(name: str, values: list) -> list:
    """Return one DK field's values as the staging table types it."""
    if name == "SFJBNT":
        return [registry_rules.yes_no(v) for v in values]
    if name in _AREAS:
        return [_decimal(v) for v in values]
    if name in rules.CODE_WIDTH or not all(v is None or isinstance(v, str) for v in values):
        return [rules.field_text(name, v) for v in values]  # plain text is already stripped
    return values


def _extra_column(survey: SurveyFile, n: int) -> list[Jsonb]:
    """Return each row's columns the registry has no field for, as JSON ({} where none is set)."""
    unknown = {k: v for k, v in survey.columns.items() if k not in _KNOWN}
    extra = [Jsonb({})] * n
    if unknown:
        names = list(unknown)
        for i, row in enumerate(zip(*unknown.values(), strict=True)):
            fields = {k: _jsonable(v) for k, v in zip(names, row, strict=True) if v is not None}
            if fields:
                extra[i] = Jsonb(fields)
    return extra


def _decimal(value) -> Decimal | None:
    if isinstance(value, float):
        # repr is the shortest text that reads back as this double: the number the file had
        return None if value != value else Decimal(repr(value))
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _jsonable(value):
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _stage(session: Session, survey: SurveyFile, codes: list[str | None], ok: np.ndarray) -> None:
    """Binary COPY of the file's features into the temporary staging table, then its GiST index
    and statistics (the rules' plans depend on them)."""
    columns = _stage_columns(survey, codes, ok)
    conn = session.connection()
    for statement in _STAGE_DDL.split(";"):
        conn.exec_driver_sql(statement)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY survey_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)") \
            as copy:
        copy.set_types(_STAGE_TYPES)
        for row in zip(*columns, strict=True):
            copy.write_row(row)
    conn.exec_driver_sql("CREATE INDEX ON survey_stage USING gist (geom)")
    # the rules' plans join and filter on these; statistics of the attribute columns would cost a
    # third of the ANALYZE and change no plan (a rule reading them still runs, with default estimates)
    conn.exec_driver_sql("ANALYZE survey_stage (row_no, parcel_code, ok, geom)")


def _insert_python_findings(session: Session, record: SurveyImport, results: list) -> None:
    rows = [{"import_id": record.id, "county": record.county_code, "row_no": h["row_no"],
             "parcel_code": h["parcel_code"], "rule_id": rule.id, "severity": rule.severity,
             "params": json.dumps(h["params"], ensure_ascii=False),
             "location": None if h["location"] is None else shapely.to_wkb(h["location"])}
            for rule, hits in results for h in hits]
    if rows:
        session.execute(sa.text(
            "INSERT INTO survey_findings (import_id, county_code, row_no, parcel_code, rule_id, "
            "severity, params, location) VALUES (:import_id, :county, :row_no, :parcel_code, "
            ":rule_id, :severity, CAST(:params AS jsonb), ST_GeomFromWKB(:location, 4490))"), rows)


# the rows a critical finding keeps out (row_no is never NULL for a parcel's finding)
_CRITICAL = """SELECT f.row_no FROM survey_findings f WHERE f.import_id = :import_id
               AND f.severity = 'critical' AND f.row_no IS NOT NULL"""
# One pass classifies every usable staged parcel against the registry and accepts it unless a
# critical finding keeps it out; the verdicts go to a narrow table of their own, so that no wide
# staging row (with its geometry) is written twice.
_CLASSIFY = f"""
CREATE TEMP TABLE survey_class ON COMMIT DROP AS
SELECT s.row_no, CASE
        WHEN p.id IS NULL THEN 'new'
        WHEN ST_Area(ST_SymDifference(p.geom, s.geom)::geography) > 1.0 THEN 'geometry_changed'
        WHEN ({', '.join('p.' + c for c in _COMPARED)}) IS DISTINCT FROM
             ({', '.join('s.' + c for c in _COMPARED)}) THEN 'attributes_changed'
        ELSE 'unchanged' END AS class,
       s.row_no NOT IN ({_CRITICAL}) AS accepted
FROM survey_stage s
LEFT JOIN parcels p ON p.county_code = left(s.parcel_code, 6) AND p.code = s.parcel_code
     AND p.valid_to IS NULL
WHERE s.ok"""

# An accepted parcel that overlaps a live parcel which stays live (its replacement was refused)
# is refused too, until nothing changes.
_ACCEPT = f"UPDATE survey_class SET accepted = false WHERE accepted AND row_no IN ({_CRITICAL})"
_STILL_OVERLAPPING = """
INSERT INTO survey_findings (import_id, county_code, row_no, parcel_code, rule_id, severity, params,
                             location)
SELECT :import_id, :county, s.row_no, s.parcel_code, 'overlap_registry', 'critical',
       jsonb_build_object('code', s.parcel_code, 'other_code', p.code,
       'overlap_m2', round(ST_Area(ST_Intersection(p.geom, s.geom)::geography)::numeric, 2)),
       ST_Intersection(p.geom, s.geom)
FROM survey_stage s JOIN survey_class c ON c.row_no = s.row_no
JOIN parcels p ON p.valid_to IS NULL AND p.geom && s.geom
     AND p.code IS DISTINCT FROM s.parcel_code AND ST_Relate(p.geom, s.geom, '2********')
WHERE c.accepted AND c.class <> 'unchanged'
  AND NOT EXISTS (SELECT 1 FROM survey_stage r JOIN survey_class rc ON rc.row_no = r.row_no
                  WHERE r.parcel_code = p.code AND rc.accepted
                  AND rc.class IN ('geometry_changed', 'attributes_changed'))
  AND ST_Area(ST_Intersection(p.geom, s.geom)::geography) > :tolerance"""


def _classify_and_accept(session: Session, record: SurveyImport, all_or_nothing: bool) -> None:
    """Classify staged parcels against the registry and decide which enter (R3.1)."""
    session.execute(sa.text(_CLASSIFY), {"import_id": record.id})
    session.execute(sa.text("ALTER TABLE survey_class ADD PRIMARY KEY (row_no)"))
    session.execute(sa.text("ANALYZE survey_class"))
    tolerance = float(session.scalar(sa.text(
        "SELECT coalesce((SELECT value FROM settings WHERE key = 'parcel_overlap_tolerance_m2'), "
        "'1')")))
    for _ in range(5):
        blocked = session.execute(sa.text(_STILL_OVERLAPPING), {
            "tolerance": tolerance, "import_id": record.id, "county": record.county_code})
        if not blocked.rowcount:
            break
        session.execute(sa.text(_ACCEPT), {"import_id": record.id})
    if all_or_nothing and session.scalar(sa.text(f"SELECT EXISTS ({_CRITICAL})"),
                                         {"import_id": record.id}):
        session.execute(sa.text("UPDATE survey_class SET accepted = false"))
    counts = dict(session.execute(sa.text(
        "SELECT class, count(*) FROM survey_class WHERE accepted GROUP BY class")).all())
    missing = list(session.scalars(sa.text(
        f"SELECT code FROM parcels WHERE {_COLLECTIVE_CODES} AND collective_code = :collective "
        "AND valid_to IS NULL AND code NOT IN "
        "(SELECT parcel_code FROM survey_stage WHERE parcel_code IS NOT NULL) ORDER BY code"),
        {"collective": record.collective_code}))
    record.classes = {**{k: counts.get(k, 0) for k in ("new", "geometry_changed",
                                                       "attributes_changed", "unchanged")},
                      "missing": missing}
    record.rejected = record.features - sum(counts.values())


def _enter_parcels(session: Session, record: SurveyImport) -> int:
    """Close the live versions that changed and insert the accepted parcels as 'surveyed'."""
    now = datetime.now(UTC)
    session.execute(sa.text(
        "UPDATE parcels p SET valid_to = :now FROM survey_stage s JOIN survey_class c "
        "ON c.row_no = s.row_no WHERE c.accepted AND c.class IN ('geometry_changed', "
        "'attributes_changed') AND p.county_code = left(s.parcel_code, 6) "
        "AND p.code = s.parcel_code AND p.valid_to IS NULL"), {"now": now})
    columns = list(registry_rules.DK_FIELDS.values())
    inserted = session.execute(sa.text(f"""
        INSERT INTO parcels (county_code, code, version, collective_code, geom, status, extra,
                             valid_from, {', '.join(columns)})
        SELECT left(s.parcel_code, 6), s.parcel_code, coalesce(v.version, 0) + 1,
               :collective, ST_Multi(s.geom), 'surveyed', s.extra, :now,
               {', '.join('s.' + c for c in columns)}
        FROM survey_stage s JOIN survey_class c ON c.row_no = s.row_no
        -- the last version of each code of the collective, closed ones included, in one range
        -- scan (an accepted code starts with the collective's: code_format, and the CHECK), not
        -- one probe per parcel
        LEFT JOIN (SELECT code, max(version) AS version FROM parcels WHERE {_COLLECTIVE_CODES}
                   GROUP BY code) v ON v.code = s.parcel_code
        WHERE c.accepted AND c.class <> 'unchanged' ORDER BY s.row_no"""),
        {"collective": record.collective_code, "now": now})
    return inserted.rowcount


def report(session: Session, record: SurveyImport, language: str = "zh") -> dict:
    """Return the import's report: counts, encoding, CRS, classes and every finding."""
    rule_by_id = {r.id: r for r in session.scalars(sa.select(QualityRule)
                                                   .where(QualityRule.moment == "import"))}
    rows = session.execute(
        sa.select(SurveyFinding.parcel_code, SurveyFinding.row_no, SurveyFinding.rule_id,
                  SurveyFinding.severity, SurveyFinding.params,
                  sa.func.ST_AsGeoJSON(SurveyFinding.location, 8).label("location"))
        .where(SurveyFinding.import_id == record.id)
        .order_by(SurveyFinding.row_no, SurveyFinding.rule_id)).all()
    return {
        "id": record.id, "collective": record.collective_code, "filename": record.filename,
        "imported": record.imported, "rejected": record.rejected, "features": record.features,
        "encoding": record.encoding, "source_crs": record.source_crs, "classes": record.classes,
        "findings": [{"parcel_code": r.parcel_code, "row": r.row_no, "rule": r.rule_id,
                      "severity": r.severity, "check": _check(rule_by_id.get(r.rule_id), language),
                      "message": rules.render(rule_by_id.get(r.rule_id), _shown(r, language), language),
                      "location": json.loads(r.location) if r.location else None} for r in rows],
    }


def _shown(finding, language: str = "zh") -> dict:
    """Return a finding's params as its message shows them: a row without a well-formed parcel
    code is named by its row number (the file's text is never echoed, issue 16); an invalid
    outline's reason in the reader's language (issue 19)."""
    params = finding.params
    if "code" in params and not params["code"] and finding.row_no is not None:
        params = {**params, "code": str(_l("row %(n)s", n=finding.row_no))}
    if isinstance(params.get("reason"), str):
        params = {**params, "reason": words.geometry_reason(params["reason"], language)}
    return params


def _check(rule: QualityRule | None, language: str) -> str:
    """Return what a rule checks, in the reader's language: the name of a finding's rule."""
    if rule is None:
        return ""
    return rule.description_en if language == "en" else rule.description_zh


def list_rules(session: Session, actor: Actor, county_code: str, moment: str = "import"):
    """Return (rule, enabled for the county) pairs of a moment; officials of the county may look.

    Raises:
        Forbidden: not an official of this county.
    """
    permissions.require_see_rules(actor, county_code)
    switches = dict(session.execute(
        sa.select(QualityRuleSwitch.rule_id, QualityRuleSwitch.enabled)
        .where(QualityRuleSwitch.county_code == county_code, QualityRuleSwitch.moment == moment)
    ).all())
    found = session.scalars(sa.select(QualityRule).where(QualityRule.moment == moment)
                            .order_by(QualityRule.severity, QualityRule.id))
    return [(rule, switches.get(rule.id, True)) for rule in found]


def switch_rule(session: Session, actor: Actor, *, county_code: str, rule_id: str, moment: str,
                enabled: bool) -> QualityRuleSwitch:
    """Switch a rule on or off for a county at a moment (county administrators only).

    Raises:
        Forbidden: not the county's administrator. NotFound: no such rule at that moment.
        ValidationFailed: switching off a rule that guards the register's ranges (ALWAYS_ON).
    """
    if not permissions.can_switch_rules(actor, county_code):
        raise Forbidden(_l("Only the county administrator switches quality rules."))
    if session.get(QualityRule, (rule_id, moment)) is None:
        raise NotFound(_l("No quality rule %(rule)s at %(moment)s.", rule=rule_id, moment=moment),
                       field="rule_id")
    if not enabled and rule_id in rules.ALWAYS_ON:
        raise ValidationFailed(_l("This rule keeps out parcels the register cannot hold; it "
                                  "cannot be switched off."), field="rule_id", rule="R4.14")
    switch = session.get(QualityRuleSwitch, (county_code, rule_id, moment))
    if switch is None:
        switch = QualityRuleSwitch(county_code=county_code, rule_id=rule_id, moment=moment,
                                   enabled=enabled)
        session.add(switch)
    switch.enabled, switch.changed_by = enabled, actor.user_id
    switch.changed_at = datetime.now(UTC)
    flush_or_raise(session)
    return switch


def get_import(session: Session, actor: Actor, import_id: int) -> SurveyImport:
    """Return one import the actor may see.

    Raises:
        Unauthenticated: anonymous. Forbidden: no such import in the actor's area (one answer
            for an unknown number and another area's import).
    """
    require_login(actor)
    record = session.get(SurveyImport, import_id)
    if record is None or not permissions.can_see_import(actor, record.collective_code):
        raise Forbidden(_l("There is no survey import with this number that you may see."), field="id")
    return record


def list_imports(session: Session, actor: Actor, limit: int = 20) -> list[SurveyImport]:
    """Return the latest imports in the actor's area."""
    require_login(actor)
    if not permissions.can_list_imports(actor):
        return []
    return list(session.scalars(sa.select(SurveyImport)
                                .where(SurveyImport.collective_code.startswith(actor.area_prefix))
                                .order_by(SurveyImport.id.desc()).limit(limit)))
