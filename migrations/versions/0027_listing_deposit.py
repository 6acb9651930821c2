"""the deposit is fixed when a listing is published (R8.4 (4))

The listing announces the deposit a bidder pays; a county changing its deposit setting
(migration 0021) afterwards must not change it for a listing already open, or a bidder who paid
what was announced could no longer bid. Listings published before this migration keep NULL and
are priced from the settings as before (landrights.market.deposits.deposit_required).

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("listings", sa.Column(
        "deposit_yuan", sa.Numeric(12, 2), nullable=True,
        comment="the deposit announced with the listing (R8.4 (4)); NULL: published before 0027"))
    op.create_check_constraint("deposit_yuan_not_negative", "listings",
                               "deposit_yuan IS NULL OR deposit_yuan >= 0")


def downgrade() -> None:
    op.drop_constraint("deposit_yuan_not_negative", "listings", type_="check")
    op.drop_column("listings", "deposit_yuan")
