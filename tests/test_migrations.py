"""Migrations: upgrade -> downgrade -> upgrade on an empty database, no drift from models, the schema
snapshot migrations/schema.sql current, and no function left that nothing uses."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

import landrights
import landrights.models  # noqa: F401
from landrights import migrate, schema_snapshot
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


def test_schema_snapshot_is_current(server):
    """migrations/schema.sql is the schema after upgrade head, function and trigger bodies included
    (issue 21 §2): a migration that changes the schema refreshes it in the same commit."""
    url = server.create_db("lr_schema_snapshot")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine)
        live = schema_snapshot.dump(url)
    finally:
        engine.dispose()
        server.drop_db("lr_schema_snapshot")
    committed = schema_snapshot.SNAPSHOT.read_text() if schema_snapshot.SNAPSHOT.exists() else ""
    if committed != live:
        pytest.fail(f"migrations/schema.sql differs from the schema after `upgrade head`; refresh it with "
                    f"{schema_snapshot.REFRESH} and commit it with the migration:\n"
                    + schema_snapshot.diff(committed, live), pytrace=False)


# Every lr_ function is used: by a trigger, by a CHECK/default/index (pg_depend), by another function's
# body (PL/pgSQL calls are not in pg_depend), or by the app's own SQL; a name built at run time
# (format('lr_chain_content_%s', ...), f"lr_chain_content_{table}") counts by its fixed part. Otherwise
# it is dead schema that a reader must still understand (0001's lr_parcels_no_overlap() was, until
# migration 0025).
UNREFERENCED_FUNCTIONS = sa.text("""
SELECT p.proname FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'lr\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid
                  AND e.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid)
ORDER BY 1""")
FUNCTION_BODIES = sa.text("SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace "
                          "AND proname LIKE 'lr\\_%'")


def _named_in(name: str, text: str) -> bool:
    """Tell whether text calls the function by its name, or builds the name from a fixed part."""
    if re.search(rf"\b{name}\b", text):
        return True
    prefixes = [name[:i + 1] for i, ch in enumerate(name) if ch == "_" and i > 2]
    return any(re.search(rf"\b{prefix}(%s|%I|\{{)", text) for prefix in prefixes)


def test_no_orphan_functions(engine):
    with engine.connect() as conn:
        candidates = list(conn.scalars(UNREFERENCED_FUNCTIONS))
        bodies = dict(conn.execute(FUNCTION_BODIES).all())
    source = "\n".join(path.read_text() for path in Path(landrights.__file__).parent.rglob("*.py"))
    unused = [name for name in candidates
              if not _named_in(name, source)
              and not any(_named_in(name, body) for other, body in bodies.items() if other != name)]
    assert unused == []
