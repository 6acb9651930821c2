"""the register's hash chain and signed daily heads (issue 20 §3)

Revision ID: 0022
Revises: 0021

- register_chain: every register entry, certificate event, filed transfer and withdrawal is
  appended, by statement triggers in the same transaction as the change, to its county's chain:
  seq 1, 2, 3 ... per county, each row holding the canonical content of the source row as the
  change left it (lr_chain_content_<table>: chosen columns as jsonb text, times in UTC, scans as
  their SHA-256), the previous row's hash and its own:
      hash = SHA-256(prev_hash || UTF-8 of county, seq, table, id, operation, recorded_at, content
                     one per line)          (prev_hash of seq 1: 32 zero bytes)
  Appends of a county queue on an advisory lock of the county, held to commit, and read the
  county's last row after taking it (READ COMMITTED: a snapshot per statement), so two
  transactions cannot fork the chain; the primary key (county_code, seq) refuses one that would.
  A statement of many rows appends them with one INSERT (transition tables; the hashes by a
  window aggregate), so a county's hand-up import costs one statement per table, not a trigger per row.
- Existing rows are chained at upgrade, operation 'genesis', so verification passes on an upgraded
  database.
- register_heads: the daily signed head of each county's chain (`landrights audit head`).
- register_checks: the result of each `landrights audit verify`, shown to the county administrator.
The three are append-only (lr_append_only, migration 0004).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ZERO_HASH = r"'\x" + "00" * 32 + "'::bytea"


def _ts(column: str) -> str:
    return f"lr_chain_ts(r.{column})"


def _scan(column: str) -> str:
    return f"encode(sha256(r.{column}), 'hex')"


# The canonical content of each chained table: the columns that make the record, by name. A
# column added later is not covered until a migration adds it here and chains the rows again.
CONTENT = {
    "register_entries": {
        "county_code": "r.county_code", "code": "r.code", "version": "r.version",
        "contract_id": "r.contract_id", "registrar": "r.registrar", "note": "r.note",
        "document": "r.document", "valid_from": _ts("valid_from"), "valid_to": _ts("valid_to"),
        "registered_at": _ts("registered_at"), "handup_id": "r.handup_id",
    },
    "certificates": {
        "county_code": "r.county_code", "code": "r.code", "serial": "r.serial",
        "printed_no": "r.printed_no", "contract_id": "r.contract_id",
        "register_entry_id": "r.register_entry_id", "kind": "r.kind", "status": "r.status",
        "authority": "r.authority", "issued_at": _ts("issued_at"), "issued_by": "r.issued_by",
        "reason": "r.reason", "document": "r.document", "ended_at": _ts("ended_at"),
        "ended_by": "r.ended_by", "end_reason": "r.end_reason", "end_document": "r.end_document",
        "handup_id": "r.handup_id",
    },
    "transfer_contracts": {
        "county_code": "r.county_code", "code": "r.code", "listing_id": "r.listing_id",
        "household_code": "r.household_code", "transferee_id": "r.transferee_id",
        "parcel_codes": "r.parcel_codes", "area_m2": "r.area_m2", "mode": "r.mode",
        "land_use": "r.land_use", "term_start": "lower(r.term)", "term_end": "upper(r.term)",
        "price": "r.price", "annual_rent_yuan": "r.annual_rent_yuan",
        "payment_schedule": "r.payment_schedule", "expropriation_to": "r.expropriation_to",
        "clauses": "r.clauses::jsonb", "household_signed_at": _ts("household_signed_at"),
        "transferee_signed_at": _ts("transferee_signed_at"), "filed_at": _ts("filed_at"),
        "registrable": "r.registrable", "registered_at": _ts("registered_at"),
        "status": "r.status", "termination_cause": "r.termination_cause",
        "termination_evidence": "r.termination_evidence",
        "signature_method": "r.signature_method", "signature_scan_name": "r.signature_scan_name",
        "signature_scan_type": "r.signature_scan_type",
        "signature_scan_sha256": _scan("signature_scan"),
        "signatures_recorded_by": "r.signatures_recorded_by",
        "household_entrustment_id": "r.household_entrustment_id",
    },
    "withdrawals": {
        "county_code": "r.county_code", "household_code": "r.household_code", "kind": "r.kind",
        "parcel_codes": "r.parcel_codes", "homestead_code": "r.homestead_code",
        "share_person_id": "r.share_person_id", "share_quantity": "r.share_quantity",
        "request_method": "r.request_method", "request_signed_by": "r.request_signed_by",
        "request_scan_name": "r.request_scan_name", "request_scan_sha256": _scan("request_scan"),
        "requested_by": "r.requested_by", "requested_at": _ts("requested_at"),
        "compensation_yuan": "r.compensation_yuan", "improvement_yuan": "r.improvement_yuan",
        "notice_on": "r.notice_on", "effective_on": "r.effective_on", "status": "r.status",
        "cancelled_at": _ts("cancelled_at"), "effected_at": _ts("effected_at"),
        "review": "r.review", "review_note": "r.review_note", "reviewed_by": "r.reviewed_by",
    },
}
# Which rows are on the chain: a transfer once filed (R2.9); every row of the other tables.
WANTED = {"transfer_contracts": "r.status IN ('filed', 'terminated')"}
TABLES = tuple(CONTENT)  # also the order of the genesis

HELPERS = rf"""
CREATE FUNCTION lr_chain_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION lr_chain_line(county text, seq bigint, tbl text, id bigint, operation text,
                              recorded_at timestamptz, content text) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT convert_to(county || E'\n' || seq::text || E'\n' || tbl || E'\n' || id::text || E'\n'
                      || operation || E'\n' || lr_chain_ts(recorded_at) || E'\n' || content, 'UTF8')
$$;

-- one step of the chain: the state is the previous row's hash (NULL before the first row of the
-- statement: the county's head)
CREATE FUNCTION lr_chain_step(state bytea, head bytea, line bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN sha256(coalesce(state, head) || line);
END $$;

CREATE AGGREGATE lr_chain_hash(bytea, bytea) (SFUNC = lr_chain_step, STYPE = bytea);

CREATE FUNCTION lr_chain_lock(counties text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    one text;
BEGIN
    -- one appender per county until it commits, taken in code order (no deadlock between two
    -- statements' sets of counties)
    FOR one IN SELECT DISTINCT c FROM unnest(counties) AS c ORDER BY c LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('lr_register_chain:' || one, 0));
    END LOOP;
END $$;

-- The INSERT that appends the rows of a source query (county_code, id, content) to their counties'
-- chains, ordered by id. Run with EXECUTE ... USING recorded_at, counties after lr_chain_lock, so
-- its snapshot sees each county's last row.
CREATE FUNCTION lr_chain_append_sql(tbl text, operation text, source text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format($q$
    INSERT INTO register_chain (county_code, seq, source_table, source_id, operation, content,
                                prev_hash, hash, recorded_at)
    SELECT county_code, seq, %1$L, id, %2$L, content, coalesce(lag(hash) OVER w, head), hash, $1
    FROM (SELECT x.*, lr_chain_hash(x.head, lr_chain_line(x.county_code, x.seq, %1$L, x.id, %2$L,
                                                          $1, x.content)) OVER w AS hash
          FROM (SELECT s.county_code, s.id, s.content, h.head,
                       h.last + row_number() OVER (PARTITION BY s.county_code ORDER BY s.id) AS seq
                FROM (%3$s) s
                JOIN (SELECT c.county_code, coalesce(t.seq, 0) AS last,
                             coalesce(t.hash, {ZERO_HASH}) AS head
                      FROM unnest($2::text[]) AS c(county_code)
                      LEFT JOIN LATERAL (SELECT z.seq, z.hash FROM register_chain z
                                         WHERE z.county_code = c.county_code
                                         ORDER BY z.seq DESC LIMIT 1) t ON true) h
                  ON h.county_code = s.county_code) x
          WINDOW w AS (PARTITION BY x.county_code ORDER BY x.id)) y
    WINDOW w AS (PARTITION BY county_code ORDER BY id)$q$, tbl, operation, source)
$$;

-- After each statement on a chained table: its rows, as the statement left them, appended to the
-- chain (an UPDATE that changed nothing of the content appends nothing).
CREATE FUNCTION lr_chain_statement() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $$
DECLARE
    content text := format('lr_chain_content_%s(r)', TG_TABLE_NAME);
    wanted text := format('lr_chain_wanted_%s(r)', TG_TABLE_NAME);
    counties text[];
    source text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        source := format('SELECT r.county_code, r.id, %s AS content FROM new_rows r WHERE %s',
                         content, wanted);
        EXECUTE format('SELECT array_agg(DISTINCT r.county_code) FROM new_rows r WHERE %s', wanted)
            INTO counties;
    ELSIF TG_OP = 'UPDATE' THEN
        source := format('SELECT n.county_code, n.id, n.content '
                         'FROM (SELECT r.id, r.county_code, %1$s AS content, %2$s AS w FROM new_rows r) n '
                         'JOIN (SELECT r.id, %1$s AS content, %2$s AS w FROM old_rows r) o ON o.id = n.id '
                         'WHERE (n.w OR o.w) AND n.content IS DISTINCT FROM o.content', content, wanted);
        EXECUTE format('SELECT array_agg(DISTINCT r.county_code) FROM new_rows r WHERE %s OR r.id IN '
                       '(SELECT r.id FROM old_rows r WHERE %s)', wanted, wanted) INTO counties;
    ELSE
        source := format('SELECT r.county_code, r.id, %s AS content FROM old_rows r WHERE %s',
                         content, wanted);
        EXECUTE format('SELECT array_agg(DISTINCT r.county_code) FROM old_rows r WHERE %s', wanted)
            INTO counties;
    END IF;
    IF counties IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM lr_chain_lock(counties);
    EXECUTE lr_chain_append_sql(TG_TABLE_NAME, lower(TG_OP), source) USING clock_timestamp(), counties;
    RETURN NULL;
END $$;
"""

GENESIS = r"""
DO $$
DECLARE
    counties text[];
    tbl text;
BEGIN
    SELECT array_agg(DISTINCT c) INTO counties FROM (
        SELECT county_code AS c FROM register_entries UNION SELECT county_code FROM certificates
        UNION SELECT county_code FROM transfer_contracts UNION SELECT county_code FROM withdrawals) a;
    IF counties IS NULL THEN
        RETURN;
    END IF;
    PERFORM lr_chain_lock(counties);
    FOREACH tbl IN ARRAY ARRAY[%s] LOOP
        EXECUTE lr_chain_append_sql(tbl, 'genesis', format(
            'SELECT r.county_code, r.id, lr_chain_content_%%1$s(r) AS content FROM %%1$s r '
            'WHERE lr_chain_wanted_%%1$s(r)', tbl)) USING clock_timestamp(), counties;
    END LOOP;
END $$;
"""


def _content_function(table: str) -> str:
    pairs = ", ".join(f"'{key}', {expr}" for key, expr in CONTENT[table].items())
    return (f"CREATE FUNCTION lr_chain_content_{table}(r {table}) RETURNS text LANGUAGE sql STABLE AS "
            f"$$ SELECT jsonb_build_object({pairs})::text $$")


def _wanted_function(table: str) -> str:
    return (f"CREATE FUNCTION lr_chain_wanted_{table}(r {table}) RETURNS boolean LANGUAGE sql STABLE "
            f"AS $$ SELECT {WANTED.get(table, 'true')} $$")


def _tables() -> None:
    county_shape = "county_code ~ '^[0-9]{6}$'"
    op.create_table(
        "register_chain",
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="1, 2, 3 ... in the county, no gap"),
        sa.Column("source_table", sa.String(40), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False, comment="the source row's id"),
        sa.Column("operation", sa.String(8), nullable=False,
                  comment="genesis: chained at migration 0022"),
        sa.Column("content", sa.Text(), nullable=False,
                  comment="lr_chain_content_<table>(row): jsonb text"),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False, comment="32 zero bytes before seq 1"),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(county_shape, name=op.f("ck_register_chain_county_shape")),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_register_chain_seq_positive")),
        sa.CheckConstraint("source_table IN ('register_entries', 'certificates', 'transfer_contracts', "
                           "'withdrawals')", name=op.f("ck_register_chain_source_known")),
        sa.CheckConstraint("operation IN ('genesis', 'insert', 'update', 'delete')",
                           name=op.f("ck_register_chain_operation_known")),
        sa.CheckConstraint("length(prev_hash) = 32 AND length(hash) = 32",
                           name=op.f("ck_register_chain_sha256")),
        sa.PrimaryKeyConstraint("county_code", "seq", name=op.f("pk_register_chain")),
    )
    op.create_table(
        "register_heads",
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="China Standard Time"),
        sa.Column("entries", sa.BigInteger(), nullable=False, comment="chain length = seq of the head"),
        sa.Column("head_hash", sa.LargeBinary(), nullable=False, comment="hash of entry `entries`"),
        sa.Column("key_id", sa.String(40), nullable=False, comment="signing_keys.key_id"),
        sa.Column("signature", sa.Text(), nullable=False,
                  comment="SM2 over heads.payload(), base64url"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(county_shape, name=op.f("ck_register_heads_county_shape")),
        sa.CheckConstraint("entries >= 0", name=op.f("ck_register_heads_entries_not_negative")),
        sa.CheckConstraint("length(head_hash) = 32", name=op.f("ck_register_heads_sha256")),
        sa.PrimaryKeyConstraint("county_code", "day", name=op.f("pk_register_heads")),
    )
    op.create_table(
        "register_checks",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("first_finding", JSONB(), nullable=True, comment="chain.Finding as a dict"),
        sa.CheckConstraint(county_shape, name=op.f("ck_register_checks_county_shape")),
        sa.CheckConstraint("(findings = 0) = (first_finding IS NULL)",
                           name=op.f("ck_register_checks_finding_named")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_checks")),
    )
    op.create_index("ix_register_checks_county_code_checked_at", "register_checks",
                    ["county_code", "checked_at"])


def upgrade() -> None:
    _tables()
    op.execute(HELPERS)
    for table in TABLES:
        op.execute(_content_function(table))
        op.execute(_wanted_function(table))
    op.execute(GENESIS % ", ".join(f"'{t}'" for t in TABLES))
    for table in TABLES:
        for event, ref in (("insert", "NEW TABLE AS new_rows"),
                           ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                           ("delete", "OLD TABLE AS old_rows")):
            op.execute(f"CREATE TRIGGER {table}_chain_{event} AFTER {event.upper()} ON {table} "
                       f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION lr_chain_statement()")
    for table in ("register_chain", "register_heads", "register_checks"):
        op.execute(f"CREATE TRIGGER {table}_history BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION lr_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION lr_append_only()")


def downgrade() -> None:
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_chain_{event} ON {table}")
    op.execute("DROP FUNCTION lr_chain_statement()")
    for table in TABLES:
        op.execute(f"DROP FUNCTION lr_chain_content_{table}({table})")
        op.execute(f"DROP FUNCTION lr_chain_wanted_{table}({table})")
    op.execute("DROP FUNCTION lr_chain_append_sql(text, text, text)")
    op.execute("DROP FUNCTION lr_chain_lock(text[])")
    op.execute("DROP AGGREGATE lr_chain_hash(bytea, bytea)")
    op.execute("DROP FUNCTION lr_chain_step(bytea, bytea, bytea)")
    op.execute("DROP FUNCTION lr_chain_line(text, bigint, text, bigint, text, timestamptz, text)")
    op.execute("DROP FUNCTION lr_chain_ts(timestamptz)")
    op.drop_index("ix_register_checks_county_code_checked_at", table_name="register_checks")
    op.drop_table("register_checks")
    op.drop_table("register_heads")
    op.drop_table("register_chain")
