"""household search by name without a table scan (issue 19 follow-up)

The officer's household search (landrights/registry/finder.py) finds a household by a part of its
head's name (households.name) or of a live member's name (persons.name). `name ILIKE '%…%'` cannot
use a b-tree, so at a county of 100,000 households it read both tables whole. pg_trgm's GIN
operator class indexes every three-character piece of a name (with the word's start and end), so
`ILIKE` with a pattern of three characters or more, or one anchored at the name's start or end,
goes down the index. pg_trgm ships with PostgreSQL (Debian: in the postgresql-15 package, the
contrib modules) and is a trusted extension: the database's owner may create it; a superuser may
also create it beforehand (docs/operations.md).

The database's LC_CTYPE must not be C or POSIX: there pg_trgm takes Chinese characters for
punctuation and extracts no trigram from 赵振华 (the search stays correct, read from the whole
index). The embedded cluster (landrights/pg.py) uses C.UTF-8, where it does.

A member's document number (R4.26) is the other thing typed into the search: the unique index on
persons leads with county and type, so `id_number = …` alone read the table; a plain b-tree on the
number serves it.

Downgrade drops the indexes and leaves the extension (like btree_gist in 0006: a superuser may
have created it, and the owner of the database may not drop it then).

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_households_name_trgm", "households", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.create_index("ix_persons_name_trgm", "persons", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.create_index("ix_persons_id_number", "persons", ["id_number"])


def downgrade() -> None:
    op.drop_index("ix_persons_id_number", table_name="persons")
    op.drop_index("ix_persons_name_trgm", table_name="persons")
    op.drop_index("ix_households_name_trgm", table_name="households")
