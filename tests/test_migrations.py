"""Migrations: upgrade -> downgrade -> upgrade on an empty database, and no drift from models."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

import landrights.models  # noqa: F401
from landrights import migrate
from landrights.db import Base


def test_upgrade_downgrade_upgrade(server):
    url = server.create_db("lr_migrations")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) is not None
        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        with engine.connect() as conn:
            leftovers = conn.scalar(sa.text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('spatial_ref_sys', 'alembic_version')"))
            functions = conn.scalar(sa.text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'lr\\_%'"))
        assert (leftovers, functions) == (0, 0)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            triggers = set(conn.scalars(sa.text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
        assert {"parcels_no_overlap_insert", "parcels_no_overlap_update", "parcels_history",
                "contract_parcels_history"} <= triggers
    finally:
        engine.dispose()
        server.drop_db("lr_migrations")


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_object": alembic_helpers.include_object, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
