"""each village overview knows when its first parcel version began

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

The OGC API states each collection's temporal extent (/ogc/collections): for parcels, from the
first version the reader may see. That was min(valid_from) over every version of every parcel of
the reader's area, read on each request: /ogc/collections/parcels took 70-78 ms for a county of
100,000 parcels on this machine (17-19 ms with this revision, measured back to back), growing with
the county, and GDAL and QGIS ask for the collections each time they open the registry.

parcel_overviews.since now holds the earliest valid_from of every version (closed ones included)
of its village's codes, computed by the same statement triggers that keep the counts exact (0012):
the live versions' in the pass that counts them, the closed ones' from ix_parcels_closed_code, a
partial index of closed versions only, to which an import of new parcels adds nothing. A village
left with no live parcel has no overview row: registry.queries.parcel_time_extent reads those few
villages' versions from their range of the code index, so the extent stays exact.
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# 0012's function, with since: the earliest valid_from of any version of the village's codes
REFRESH = r"""
CREATE OR REPLACE FUNCTION lr_refresh_parcel_overviews(codes text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    one text;
BEGIN
    -- one writer of a collective's overview at a time, until it commits, taken in code order (no
    -- deadlock between two statements' sets of collectives). The statements below then read with
    -- a snapshot taken after the lock (READ COMMITTED: one per statement), so they see what the
    -- previous writer committed.
    FOR one IN SELECT DISTINCT c FROM unnest(codes) AS c ORDER BY c LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('lr_parcel_overview:' || one, 0));
    END LOOP;
    DELETE FROM parcel_overviews o
    WHERE o.county_code = ANY (SELECT left(c, 6) FROM unnest(codes) c) AND o.collective_code = ANY (codes);
    -- the outline is the convex hull of the bounding boxes of the parcels in cells of 0.005°
    -- (about 500 m): it covers every parcel and costs a fifth of collecting every parcel
    INSERT INTO parcel_overviews (collective_code, county_code, geom, parcels, registered, area_m2,
                                  since, updated_at)
    SELECT cells.code, left(cells.code, 6), ST_ConvexHull(ST_Collect(cells.box::geometry)),
           sum(cells.n), sum(cells.registered), sum(cells.area),
           -- the live versions' first start, and the closed versions' from their own partial index
           -- (an import of new parcels adds none to it, so it stays as small as the history)
           least(min(cells.since),
                 (SELECT min(v.valid_from) FROM parcels v
                  WHERE v.county_code = left(cells.code, 6) AND v.valid_to IS NOT NULL
                    AND v.code BETWEEN cells.code || '00000' AND cells.code || '99999')),
           now()
    FROM (SELECT c.code, ST_Extent(p.geom) AS box, count(*) AS n,
                 count(*) FILTER (WHERE p.status = 'registered') AS registered, sum(p.area_m2) AS area,
                 min(p.valid_from) AS since
          FROM unnest(codes) AS c(code)
          JOIN parcels p ON p.county_code = left(c.code, 6)
               AND p.code BETWEEN c.code || '00000' AND c.code || '99999'
               AND p.collective_code = c.code AND p.valid_to IS NULL
          GROUP BY c.code, floor(ST_XMin(p.geom::box2d) / 0.005), floor(ST_YMin(p.geom::box2d) / 0.005)
         ) cells
    GROUP BY cells.code;
END $$;
"""


def _previous_refresh() -> str:
    path = Path(__file__).with_name("0012_village_overview_tiles.py")
    spec = importlib.util.spec_from_file_location("lr_migration_0012", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.REFRESH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.create_index("ix_parcels_closed_code", "parcels", ["county_code", "code"],
                    postgresql_where=sa.text("valid_to IS NOT NULL"))
    op.add_column("parcel_overviews", sa.Column(
        "since", sa.DateTime(timezone=True), nullable=True,
        comment="when the first version (closed ones included) of the collective's parcels began"))
    op.execute(REFRESH)
    op.execute("SELECT lr_refresh_parcel_overviews(array_agg(DISTINCT collective_code)) "
               "FROM parcels WHERE valid_to IS NULL")
    op.alter_column("parcel_overviews", "since", nullable=False)


def downgrade() -> None:
    op.execute(_previous_refresh())
    op.drop_column("parcel_overviews", "since")
    op.drop_index("ix_parcels_closed_code", table_name="parcels",
                  postgresql_where=sa.text("valid_to IS NOT NULL"))
