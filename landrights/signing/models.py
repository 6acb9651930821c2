"""The county's signing keys: the public half and its dates. The private half is never here: it is
a file (mode 600) in the signing key folder (landrights.signing.keys)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.orm import Mapped, mapped_column

from landrights import patterns
from landrights.db import Base


class SigningKey(Base):
    """One SM2 key of a county: it signs from valid_from until a newer key's valid_from comes, and
    verifies what it signed for good; once revoked it signs nothing, and what it signed still
    verifies, read as "revoked on <date>". Rows are never deleted, and only revocation changes
    one (a trigger written in migration 0023)."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_code_shape"),
        # the county's code, a dash and 32 bits of SM3 over the public key: 220421-5f3a9c1e
        Check("key_id ~ '^[0-9]{6}-[0-9a-f]{8}$' AND left(key_id, 6) = county_code",
              name="key_id_shape"),
        Check("algorithm = 'SM2'", name="algorithm_known"),
        Check("public_key ~ '^04[0-9a-f]{128}$'", name="public_key_shape"),
        Check("(revoked_at IS NULL) = (revoke_reason IS NULL)", name="revoked_with_reason"),
        Check("revoke_reason IS NULL OR length(btrim(revoke_reason)) BETWEEN 1 AND 500",
              name="revoke_reason_length"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(15), primary_key=True)
    algorithm: Mapped[str] = mapped_column(sa.String(8), server_default="SM2",
                                           comment="SM2 with SM3, signer id 1234567812345678")
    public_key: Mapped[str] = mapped_column(sa.String(130), comment="04 || x || y, hex")
    valid_from: Mapped[date] = mapped_column(sa.Date, comment="signs from this day (China time)")
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))
