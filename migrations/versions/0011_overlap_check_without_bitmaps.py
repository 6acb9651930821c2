"""the overlap check of a statement never ANDs the live-parcel index into its GiST probes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Found by bench/county_million.py (400,000 parcels, two imports at once, auto_explain on): one
village of 4,997 parcels spent 65 s in the serial overlap search of lr_parcels_no_overlap_rows
(0008; the other village's import waited on its cell locks all that time). The plan, for each new
row, combined the GiST probe ``p.geom && n.geom`` with a bitmap scan of the whole partial index
uq_parcels_live_code (``WHERE valid_to IS NULL``) in a BitmapAnd: statistics taken while the
registry was small priced that index at 1,412 rows, and it held 200,000. That is one full index
scan per new parcel, O(new x live). Without bitmap scans the search is the plain GiST probe with
``valid_to IS NULL`` tested on the few rows it finds, whatever the statistics say.

The parallel helper of 0010 already runs with enable_bitmapscan off. The same setting on the
statement function covers its serial branch (and its own small queries, which need no bitmap).
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER FUNCTION lr_parcels_no_overlap_rows() SET enable_bitmapscan = off")


def downgrade() -> None:
    op.execute("ALTER FUNCTION lr_parcels_no_overlap_rows() RESET enable_bitmapscan")
