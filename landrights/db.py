"""Declarative base, per-app-context sessions and database-error translation."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _AppDatabase:
    """One app's engine and session factory (kept in app.extensions, so apps never share them)."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5,
                                       connect_args={"application_name": "landrights"})
        self.session_factory: Callable[[], Session] = sessionmaker(bind=self.engine,
                                                                   expire_on_commit=False)
        self.close_on_teardown = True  # tests share one session across requests and keep it open


class Database:
    """Per-app engines, and one session per application context."""

    def init_app(self, app) -> None:
        """Create the engine for app.config['SQLALCHEMY_DATABASE_URI']."""
        from flask import g

        state = app.extensions["landrights.db"] = _AppDatabase(app.config["SQLALCHEMY_DATABASE_URI"])

        @app.teardown_appcontext
        def _close_session(exc):  # noqa: ARG001 - Flask passes the exception
            session = g.pop("lr_session", None)
            if session is not None and state.close_on_teardown:
                session.close()

    @staticmethod
    def _state() -> _AppDatabase:
        from flask import current_app

        return current_app.extensions["landrights.db"]

    @property
    def engine(self) -> sa.Engine:
        """Return the current app's engine."""
        return self._state().engine

    @property
    def session(self) -> Session:
        """Return the session of the current application context."""
        from flask import g

        if "lr_session" not in g:
            g.lr_session = self._state().session_factory()
        return g.lr_session

    def reads_only(self, view: Callable) -> Callable:
        """Mark a view that only reads: it ends its transaction with COMMIT (of nothing) instead of
        teardown's ROLLBACK, because psycopg forgets its prepared statements at every ROLLBACK. So
        a lookup's or a tile's cached statement gets prepared on each pooled connection after a
        few uses, and is no longer planned again on every request. An error still rolls back."""
        return self._then_commit(view)

    def commits(self, handler: Callable) -> Callable:
        """Mark a write handler: it calls its one service and returns what to answer; this commits
        once, after it (services only flush, STYLE.md). An error raised inside skips the commit,
        so the request's teardown rolls the transaction back and the error handler answers as
        before (the API's error JSON; a page's form shown again: landrights.web.actions)."""
        return self._then_commit(handler)

    def _then_commit(self, view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            result = view(*args, **kwargs)
            self.session.commit()
            return result

        return wrapper


# How flush_or_raise turns a database error into a domain error. The registry, which names every
# constraint, gives its translator when it is loaded (landrights/registry/__init__.py), so this base
# module does not import the registry (issue 21 §1).
_translate: Callable[[DBAPIError], Exception] | None = None


def use_error_translator(translate: Callable[[DBAPIError], Exception]) -> None:
    """Set the function flush_or_raise turns a constraint's or trigger's error into a domain error with."""
    global _translate
    _translate = translate


def flush_or_raise(session: Session) -> None:
    """Flush so constraints fire now, translating their errors to domain errors.

    Raises:
        DomainError: a constraint or trigger refused the change (see registry.constraints).
    """
    try:
        session.flush()
    except DBAPIError as exc:
        session.rollback()
        if _translate is None:  # no registry loaded: nothing names the constraints
            raise
        raise _translate(exc) from exc


@contextmanager
def local_settings(session: Session, **settings: str) -> Iterator[None]:
    """Set planner/executor settings for the statements inside, then restore the previous
    values. Local to the transaction (set_config(..., true)): after an error, the rollback (of the
    transaction or of the savepoint around the block) undoes them, so there is nothing to restore
    on a transaction that can run no statement any more."""
    previous = {name: session.scalar(sa.text("SELECT current_setting(:n)"), {"n": name})
                for name in settings}
    for name, value in settings.items():
        session.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    for name, value in previous.items():
        session.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
