"""market deposit settings: how much a bidder pays before bidding (issue 19)

R8.4 (4) has intending transferees pay a deposit (保证金) but no rule found says how much; the
amount is the county's setting, shown on every listing: a share of one year's rent at the reserve
price, rounded up to 10 yuan, and at least a minimum (landrights.market.pages.deposit_required).

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SETTINGS = [
    ("market_deposit_share", "0.1",
     "竞价保证金占底价一年租金的比例（向上取整到10元）/ the deposit as a share of one year's rent at the "
     "reserve price, rounded up to 10 yuan (R8.4)"),
    ("market_deposit_min_yuan", "100", "竞价保证金最低金额（元）/ the least deposit, in yuan (R8.4)"),
]


def upgrade() -> None:
    settings = sa.table("settings", sa.column("key"), sa.column("value"), sa.column("description"))
    op.bulk_insert(settings, [dict(key=k, value=v, description=d) for k, v, d in SETTINGS])


def downgrade() -> None:
    op.execute("DELETE FROM settings WHERE key IN ('market_deposit_share', 'market_deposit_min_yuan')")
