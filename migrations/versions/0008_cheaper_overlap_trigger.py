"""cheaper overlap trigger: each pair of new parcels is related once, no second validity check

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The statement-level overlap check of 0003 stays the database's last word on overlaps (R4.15): every
new live row is still related to every live parcel whose box it touches, under the same advisory
locks. Two things it did twice are done once:

* A pair of two rows of the same statement was related from both sides (A against B, then B
  against A). ST_Relate(a, b, '2********') and ST_Area(ST_Intersection(a, b)) are symmetric, so
  such a pair is now related only from its higher id. A live parcel that is not one of the
  statement's rows is related as before, whatever its id. At 100,000 parcels of one import this
  halves the relates (about 200,000 to 100,000).
* ST_IsValid(n.geom) AND NOT ST_IsEmpty(n.geom): every row of new_rows has passed the CHECK
  ck_parcels_geom_valid (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)) before an AFTER trigger
  fires, so the test cannot remove a row; a NULL geometry relates to nothing (NULL is not true).

Membership in the statement is a lookup in a jsonb object of the statement's ids (a binary
search) rather than a join with the transition table: a join's plan depends on row estimates, and a
nested loop over the transition table would make the check quadratic.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STATEMENT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION lr_parcels_no_overlap_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tolerance double precision;
    cell record;
    hit record;
    mine jsonb;
BEGIN
    FOR cell IN
        SELECT DISTINCT x, y
        FROM new_rows n,
             generate_series(floor(ST_XMin(n.geom) / 0.02)::int, floor(ST_XMax(n.geom) / 0.02)::int) x,
             generate_series(floor(ST_YMin(n.geom) / 0.02)::int, floor(ST_YMax(n.geom) / 0.02)::int) y
        WHERE n.valid_to IS NULL
        ORDER BY x, y
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(format('lr_parcel_cell:%s:%s', cell.x, cell.y), 0));
    END LOOP;
    SELECT coalesce((SELECT value::double precision FROM settings
                     WHERE key = 'parcel_overlap_tolerance_m2'), 1.0) INTO tolerance;
    -- the ids of this statement's rows, as jsonb keys: a lookup is a binary search, whatever plan
    SELECT coalesce(jsonb_object_agg(id::text, true), '{}') INTO mine FROM new_rows;
    -- n.geom is valid and non-empty: ck_parcels_geom_valid checked every row before this trigger
    SELECT n.code, p.code AS other_code, ST_Area(ST_Intersection(p.geom, n.geom)::geography) AS area
    INTO hit
    FROM new_rows n
    JOIN parcels p ON p.valid_to IS NULL AND p.id <> n.id AND p.geom && n.geom
    WHERE n.valid_to IS NULL
      -- p is a row of this statement too: the pair is related once, from its higher id; the CASE
      -- keeps this test before the relate, and the relate before the area, as before
      AND CASE WHEN p.id > n.id AND mine ? p.id::text THEN false
               ELSE ST_Relate(p.geom, n.geom, '2********')
                    AND ST_Area(ST_Intersection(p.geom, n.geom)::geography) > tolerance END
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = '23P01',
            CONSTRAINT = 'parcels_no_overlap',
            TABLE = 'parcels',
            MESSAGE = format('parcel %s overlaps live parcel %s by %s m² (tolerance %s m²)',
                             hit.code, hit.other_code, round(hit.area::numeric, 2), tolerance),
            DETAIL = json_build_object('code', hit.code, 'other_code', hit.other_code,
                                       'overlap_m2', round(hit.area::numeric, 2),
                                       'tolerance_m2', tolerance)::text;
    END IF;
    RETURN NULL;
END $$;
"""


def _previous_function() -> str:
    path = Path(__file__).with_name("0003_set_based_overlap_trigger.py")
    spec = importlib.util.spec_from_file_location("lr_migration_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STATEMENT_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.execute(STATEMENT_FUNCTION)


def downgrade() -> None:
    op.execute(_previous_function())
