"""drop functions no trigger uses any more (issue 21 §2)

0001's row-by-row overlap trigger function `lr_parcels_no_overlap()` lost its trigger in 0003 (the
statement-level `lr_parcels_no_overlap_rows()` replaced it) but stayed installed. No trigger, CHECK,
default or other function refers to it (tests/test_migrations.py test_no_orphan_functions asks
pg_proc, pg_trigger and pg_depend). Downgrade recreates it from 0001's text, verbatim.

Revision ID: 0025
Revises: 0024
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _function_of_0001() -> str:
    path = Path(__file__).with_name("0001_registry_schema_v1.py")
    spec = importlib.util.spec_from_file_location("lr_migration_0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.OVERLAP_FUNCTION


def upgrade() -> None:
    op.execute("DROP FUNCTION lr_parcels_no_overlap()")


def downgrade() -> None:
    op.execute(_function_of_0001())
