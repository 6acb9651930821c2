"""Run Alembic migrations programmatically on an engine."""
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection=None, url: str | None = None) -> Config:
    """Return an Alembic Config pointing at migrations/, bound to a connection or a URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database behind engine to revision (default: head), in one transaction."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Migrate the database behind engine down to revision."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def current(engine: sa.Engine) -> str | None:
    """Return the database's current revision, or None if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
