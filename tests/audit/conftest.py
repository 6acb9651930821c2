"""Helpers for the register chain's tests (issue 20 §3): a rogue administrator's SQL, the chain's
rows, and a verification of the demo county."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from landrights.audit import chain

COUNTY_CODE = "220421"
CONTRACT = "220421101201010001J"  # the demo farmer's registered family contract


def rogue(session, *statements: str, **params) -> None:
    """Run SQL as an administrator with the triggers off (session_replication_role = replica)."""
    session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    for sql in statements:
        session.execute(sa.text(sql), params)
    session.execute(sa.text("SET LOCAL session_replication_role = origin"))


def chain_rows(session, county: str = COUNTY_CODE, after: int = 0) -> list:
    """Return the county's chain entries after seq `after`, in order."""
    return session.execute(sa.text(
        "SELECT seq, source_table, source_id, operation, content::jsonb AS row FROM register_chain "
        "WHERE county_code = :c AND seq > :after ORDER BY seq"), {"c": county, "after": after}).all()


def head_seq(session, county: str = COUNTY_CODE) -> int:
    return session.scalar(sa.text("SELECT coalesce(max(seq), 0) FROM register_chain WHERE county_code = :c"),
                          {"c": county})


def verify(session, county: str = COUNTY_CODE) -> chain.Report:
    return chain.verify_county(session, county)


@pytest.fixture
def signing_module():
    """The signing module of issue 20 §4 (landrights.signing); skip only if it is not there."""
    return pytest.importorskip("landrights.signing")
