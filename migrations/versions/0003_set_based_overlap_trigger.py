"""One set-based overlap check per statement instead of one query per row

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

A survey import inserts tens of thousands of parcels in one statement; the row-level trigger of
0001 ran one locked GiST lookup per row. The same rule now runs once per statement over the
statement's new rows (transition table): it takes the advisory locks of every 0.02-degree grid cell
the new live parcels touch, in order, and then looks for overlaps with one join. The lock is taken
after the rows are written but before the check, and the check reads a fresh snapshot, so of two
concurrent writers of overlapping parcels the second still sees the first's committed rows.
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATEMENT_FUNCTION = r"""
CREATE FUNCTION lr_parcels_no_overlap_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tolerance double precision;
    cell record;
    hit record;
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
    SELECT n.code, p.code AS other_code, a.area INTO hit
    FROM new_rows n
    JOIN parcels p ON p.valid_to IS NULL AND p.id <> n.id AND p.geom && n.geom
         AND ST_Relate(p.geom, n.geom, '2********')
    CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(p.geom, n.geom)::geography) AS area) a
    WHERE n.valid_to IS NULL AND ST_IsValid(n.geom) AND NOT ST_IsEmpty(n.geom) AND a.area > tolerance
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


def upgrade() -> None:
    op.execute("DROP TRIGGER parcels_no_overlap ON parcels")
    op.execute(STATEMENT_FUNCTION)
    # transition tables need one trigger per event, and no column list on UPDATE
    op.execute("CREATE TRIGGER parcels_no_overlap_insert AFTER INSERT ON parcels "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION lr_parcels_no_overlap_rows()")
    op.execute("CREATE TRIGGER parcels_no_overlap_update AFTER UPDATE ON parcels "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION lr_parcels_no_overlap_rows()")


def downgrade() -> None:
    op.execute("DROP TRIGGER parcels_no_overlap_update ON parcels")
    op.execute("DROP TRIGGER parcels_no_overlap_insert ON parcels")
    op.execute("DROP FUNCTION lr_parcels_no_overlap_rows()")
    op.execute("CREATE TRIGGER parcels_no_overlap BEFORE INSERT OR UPDATE OF geom, valid_to "
               "ON parcels FOR EACH ROW EXECUTE FUNCTION lr_parcels_no_overlap()")
