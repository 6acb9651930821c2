"""quality rules read the staged areas; the file's pair rules run in shapely

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Two changes to the seeded import rules (the rules stay data: a county still switches each one):

* area_positive, area_vs_scmj and sliver read survey_stage.area_m2 and perimeter_m, which the
  staging table computes once per row (on the spheroid, as before), instead of each computing
  ST_Area(geom::geography) again: three passes of geodesic area over the file became one.
* overlap_file and gap become Python rules over the whole layer at once (landrights.survey.rules):
  an STR tree gives the candidate pairs, shapely relates them (GEOS 3.14, against 3.11 in PostGIS
  3.3 here) and the overlap area and gap length are measured on the same spheroid. The import runs
  them in a thread while PostgreSQL takes the staging COPY. Same tolerances (params), same
  findings, same locations (the overlap; the shortest line across the gap).
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TOL = "(CAST(:params AS jsonb) ->> '{}')::float"

NEW_BODIES = {
    "area_positive": ("sql", """
SELECT row_no, parcel_code, jsonb_build_object('area_m2', round(area_m2::numeric, 2)),
       ST_PointOnSurface(geom)
FROM survey_stage WHERE ok AND area_m2 <= 0"""),
    "area_vs_scmj": ("sql", f"""
SELECT row_no, parcel_code,
       jsonb_build_object('code', parcel_code, 'area_m2', round(area_m2::numeric, 2), 'scmj', surveyed_area_m2,
                          'diff_pct', round((100 * abs(area_m2 - surveyed_area_m2) / surveyed_area_m2)::numeric, 2)),
       ST_PointOnSurface(geom)
FROM survey_stage
WHERE ok AND surveyed_area_m2 > 0
  AND abs(area_m2 - surveyed_area_m2) > surveyed_area_m2 * {TOL.format('tolerance_pct')} / 100"""),
    "sliver": ("sql", f"""
SELECT row_no, parcel_code, jsonb_build_object('code', parcel_code, 'width_m', round(w::numeric, 2)),
       ST_PointOnSurface(geom)
FROM (SELECT *, 2 * area_m2 / nullif(perimeter_m, 0) AS w FROM survey_stage WHERE ok) s
WHERE w < {TOL.format('min_width_m')}"""),
    "overlap_file": ("python", "overlap_file"),
    "gap": ("python", "gap"),
}


def _set(bodies: dict) -> None:
    for rule_id, (kind, body) in bodies.items():
        op.get_bind().execute(
            sa.text("UPDATE quality_rules SET kind = :kind, body = :body "
                    "WHERE id = :id AND moment = 'import'"),
            {"kind": kind, "body": body.strip(), "id": rule_id})


def _seeded_bodies() -> dict:
    path = Path(__file__).with_name("0002_survey_import_and_quality_rules.py")
    spec = importlib.util.spec_from_file_location("lr_migration_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {r[0]: (r[8], r[9]) for r in module.RULES if r[0] in NEW_BODIES}


def upgrade() -> None:
    _set(NEW_BODIES)


def downgrade() -> None:
    _set(_seeded_bodies())
