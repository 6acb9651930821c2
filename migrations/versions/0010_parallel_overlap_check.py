"""the overlap check of a large statement runs on every core

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The statement-level check of 0003/0008 stays the database's last word on overlaps (R4.15), with
the same advisory locks, the same pairs and the same error. What changes is where its search runs
when a statement writes many parcels (a survey import: 100,000 rows):

PostgreSQL never runs a query with a row limit in parallel, and PL/pgSQL gives SELECT INTO a row
limit; the transition table cannot be read by a parallel worker either. So for a statement of
PARALLEL_FROM rows or more, the search is a RETURN QUERY (no row limit) in a helper function over
the parcels table itself: the statement's rows are the parcels whose id is in the statement's id set
(they are the rows the trigger sees; an updated row's old version is no longer visible). The
planner may then hand the GiST probes and relates to parallel workers. A small statement (one
edit at a desk) keeps the plan of 0008, without a worker's start-up cost.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PARALLEL_FROM = 5000

HELPER = r"""
CREATE FUNCTION lr_parcels_overlap_hits(mine jsonb, lo bigint, hi bigint, tolerance double precision)
RETURNS TABLE (code text, other_code text, area double precision)
LANGUAGE plpgsql STABLE
-- the statistics of parcels lag behind the statement being checked (its rows are not analysed
-- yet) and a jsonb lookup has no selectivity, so the planner sees one row and prefers a serial
-- bitmap scan: the statement's rows are read by a parallel scan, each probing the GiST index
SET parallel_setup_cost = 0 SET parallel_tuple_cost = 0
SET min_parallel_table_scan_size = 0 SET min_parallel_index_scan_size = 0
SET enable_bitmapscan = off AS $$
BEGIN
    -- the same search as for a small statement, over parcels: RETURN QUERY has no row limit, so
    -- the planner may run it in parallel. No LIMIT either: under a LIMIT 1 a serial plan costs the
    -- same as a parallel one for its first row, and all rows are read when none overlaps anyway.
    RETURN QUERY
    SELECT n.code::text, p.code::text, ST_Area(ST_Intersection(p.geom, n.geom)::geography)
    FROM parcels n
    JOIN parcels p ON p.valid_to IS NULL AND p.id <> n.id AND p.geom && n.geom
    -- mine holds the statement's live rows only, so n is live. No indexable test on n: with the
    -- stale statistics any index scan of it looks cheaper than it is, and is serial ("+ 0"); a
    -- parallel sequential scan tests the id range first and the jsonb only inside it
    WHERE n.id + 0 BETWEEN lo AND hi AND mine ? n.id::text
      AND CASE WHEN p.id > n.id AND mine ? p.id::text THEN false
               ELSE ST_Relate(p.geom, n.geom, '2********')
                    AND ST_Area(ST_Intersection(p.geom, n.geom)::geography) > tolerance END;
END $$;
"""

STATEMENT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION lr_parcels_no_overlap_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tolerance double precision;
    cell record;
    hit record;
    mine jsonb;
    lo bigint;
    hi bigint;
    rows bigint;
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
    -- the ids of this statement's live rows, as jsonb keys: a lookup is a binary search, whatever
    -- the plan (a row the statement closed relates to nothing)
    SELECT coalesce(jsonb_object_agg(id::text, true), '{}'), min(id), max(id), count(*)
    INTO mine, lo, hi, rows FROM new_rows WHERE valid_to IS NULL;
    IF rows >= PARALLEL_FROM THEN
        SELECT h.code, h.other_code, h.area INTO hit
        FROM lr_parcels_overlap_hits(mine, lo, hi, tolerance) h LIMIT 1;
    ELSE
        -- n.geom is valid and non-empty: ck_parcels_geom_valid checked every row before this trigger
        -- text, as the helper returns: the RAISE below is planned once for both branches
        SELECT n.code::text, p.code::text AS other_code,
               ST_Area(ST_Intersection(p.geom, n.geom)::geography) AS area
        INTO hit
        FROM new_rows n
        JOIN parcels p ON p.valid_to IS NULL AND p.id <> n.id AND p.geom && n.geom
        WHERE n.valid_to IS NULL
          -- p is a row of this statement too: the pair is related once, from its higher id; the
          -- CASE keeps this test before the relate, and the relate before the area
          AND CASE WHEN p.id > n.id AND mine ? p.id::text THEN false
                   ELSE ST_Relate(p.geom, n.geom, '2********')
                        AND ST_Area(ST_Intersection(p.geom, n.geom)::geography) > tolerance END
        LIMIT 1;
    END IF;
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
""".replace("PARALLEL_FROM", str(PARALLEL_FROM))


def _previous_function() -> str:
    path = Path(__file__).with_name("0008_cheaper_overlap_trigger.py")
    spec = importlib.util.spec_from_file_location("lr_migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STATEMENT_FUNCTION


def upgrade() -> None:
    op.execute(HELPER)
    op.execute(STATEMENT_FUNCTION)


def downgrade() -> None:
    op.execute(_previous_function())
    op.execute("DROP FUNCTION lr_parcels_overlap_hits(jsonb, bigint, bigint, double precision)")
