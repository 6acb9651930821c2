"""Alembic environment: runs on a connection handed over by landrights.migrate, or on a URL."""
from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine

import landrights.models  # noqa: F401 - fills Base.metadata
from landrights.db import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        compare_server_default=False,
    )


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on one opened from sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("landrights migrations run online only: `landrights db upgrade`")
run_migrations_online()
