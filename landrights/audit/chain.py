"""Verify a county's register chain (issue 20 §3): recompute every link and hash, compare the last
chain entry of each record with the record as it is now, and compare the signed daily heads.

What a finding means, by kind (each names the chain entry, the table and the record):

- chain_deleted: entries of the chain are missing (seq jumps);
- chain_changed: an entry's content, hash or link no longer computes;
- content_changed: a record differs from what its last chain entry recorded (edited with the
  triggers off, or the entry that recorded the edit was deleted);
- row_deleted: a record its last chain entry shows is gone;
- not_chained: a record no chain entry has seen (added with the triggers off);
- head_mismatch: the chain no longer has the hash a signed head recorded for its length;
- head_signature: a head's signature does not verify with its key;
- triggers_off: a table's chain trigger is missing or disabled.

The content functions and the hash (migration 0022) are the database's own, so what the triggers
wrote and what this recomputes cannot drift apart.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.audit.models import CHAINED_TABLES

ZERO_HASH = bytes(32)
VERIFY_WORK_MEM = "64MB"  # sorts and hashes of a county's chain in memory, not in batches on disk
KIND_ORDER = ("chain_deleted", "chain_changed", "head_mismatch", "head_signature", "row_deleted",
              "content_changed", "not_chained", "triggers_off")


@dataclass(frozen=True)
class Finding:
    """One place where the register no longer matches its chain."""

    kind: str
    seq: int | None = None  # the chain entry it concerns (None: no entry, e.g. not_chained)
    table: str | None = None
    source_id: int | None = None
    record: dict = field(default_factory=dict)  # the record's columns, to name it
    detail: dict = field(default_factory=dict)  # first/last of a gap; day, entries of a head

    def as_dict(self) -> dict:
        """Return the finding as plain JSON-able values (register_checks.first_finding)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """Return the finding kept by as_dict()."""
        return cls(**data)


@dataclass(frozen=True)
class Report:
    """The verification of one county's chain: its length and what no longer matches, first first."""

    county_code: str
    entries: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """Tell whether nothing was found."""
        return not self.findings


def _record(content: str | None) -> dict:
    try:
        value = json.loads(content) if content else {}
    except ValueError:  # a chain entry edited into something that is not JSON
        return {}
    return value if isinstance(value, dict) else {}


def _chain_findings(session: Session, county: str) -> list[Finding]:
    rows = session.execute(sa.text("""
        SELECT seq, prev_seq, source_table, source_id, content,
               seq <> coalesce(prev_seq, 0) + 1 AS gap
        FROM (SELECT z.*, lag(z.seq) OVER w AS prev_seq, lag(z.hash) OVER w AS prev_row_hash
              FROM register_chain z WHERE z.county_code = :c WINDOW w AS (ORDER BY z.seq)) q
        WHERE seq <> coalesce(prev_seq, 0) + 1
           OR prev_hash <> coalesce(prev_row_hash, :zero)
           OR hash <> sha256(prev_hash || lr_chain_line(county_code, seq, source_table, source_id,
                                                        operation, recorded_at, content))
        ORDER BY seq"""), {"c": county, "zero": ZERO_HASH}).all()
    found = []
    for r in rows:
        if r.gap:
            first = (r.prev_seq or 0) + 1
            found.append(Finding("chain_deleted", first, detail={"first": first, "last": r.seq - 1}))
        else:
            found.append(Finding("chain_changed", r.seq, r.source_table, r.source_id, _record(r.content)))
    return found


def _source_findings(session: Session, county: str, table: str) -> list[Finding]:
    params = {"c": county, "t": table}
    changed = session.execute(sa.text(f"""
        WITH latest AS (
            SELECT DISTINCT ON (source_id) seq, source_id, operation, content FROM register_chain
            WHERE county_code = :c AND source_table = :t ORDER BY source_id, seq DESC)
        SELECT l.seq, l.source_id, l.content, r.id IS NOT NULL AS present,
               CASE WHEN r.id IS NOT NULL THEN lr_chain_content_{table}(r) END AS current
        FROM latest l LEFT JOIN {table} r ON r.id = l.source_id
        WHERE CASE WHEN l.operation = 'delete' THEN r.id IS NOT NULL
                   ELSE r.id IS NULL OR lr_chain_content_{table}(r) IS DISTINCT FROM l.content END
        ORDER BY l.seq"""), params).all()
    found = [Finding("content_changed" if r.present else "row_deleted", r.seq, table, r.source_id,
                     _record(r.current or r.content)) for r in changed]
    unchained = session.execute(sa.text(f"""
        SELECT r.id, lr_chain_content_{table}(r) AS current FROM {table} r
        WHERE r.county_code = :c AND lr_chain_wanted_{table}(r) AND NOT EXISTS (
            SELECT 1 FROM register_chain z WHERE z.county_code = :c AND z.source_table = :t
              AND z.source_id = r.id)
        ORDER BY r.id"""), params).all()
    return found + [Finding("not_chained", None, table, r.id, _record(r.current)) for r in unchained]


def head_findings(session: Session, county: str, recorded: list, signatures=None, *,
                  copy: bool = False) -> list[Finding]:
    """Compare signed heads (register_heads rows, or heads.from_public copies) with the chain;
    signatures(session, head) -> bool checks each one's signature (None: not checked)."""
    found = []
    for h in recorded:
        if h.county_code != county:
            continue
        chained = session.scalar(sa.text("SELECT hash FROM register_chain WHERE county_code = :c "
                                         "AND seq = :n"), {"c": county, "n": h.entries})
        detail = {"day": h.day.isoformat(), "entries": h.entries, "copy": copy}
        at_head = ZERO_HASH if h.entries == 0 else bytes(chained) if chained is not None else None
        if at_head != bytes(h.head_hash):
            found.append(Finding("head_mismatch", h.entries or None, detail=detail))
        elif signatures is not None and not signatures(session, h):
            found.append(Finding("head_signature", h.entries or None, detail=detail))
    return found


def _trigger_findings(session: Session) -> list[Finding]:
    enabled = set(session.execute(sa.text(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname LIKE '%\\_chain\\_%' AND t.tgenabled IN ('O', 'A')")).all())
    return [Finding("triggers_off", None, table) for table in CHAINED_TABLES
            if any((table, f"{table}_chain_{event}") not in enabled
                   for event in ("insert", "update", "delete"))]


def order(finding: Finding) -> tuple:
    return (finding.seq is None, finding.seq or 0, KIND_ORDER.index(finding.kind),
            finding.table or "", finding.source_id or 0)


@contextmanager
def _whole_tables(session: Session):
    """Plan the verification's joins as hash joins over whole tables, whatever the statistics say:
    right after a bulk import they can be stale, and a nested loop probing a million-link chain
    per record is quadratic. Put the settings back after (SET LOCAL: this transaction only)."""
    saved = session.execute(sa.text("SELECT current_setting('enable_nestloop'), "
                                    "current_setting('work_mem')")).one()
    session.execute(sa.text("SELECT set_config('enable_nestloop', 'off', true), "
                            "set_config('work_mem', :w, true)"), {"w": VERIFY_WORK_MEM})
    try:
        yield
    finally:
        session.execute(sa.text("SELECT set_config('enable_nestloop', :n, true), "
                                "set_config('work_mem', :w, true)"), {"n": saved[0], "w": saved[1]})


def verify_county(session: Session, county_code: str, *, signatures=None) -> Report:
    """Recompute county_code's chain and compare it with the records and the signed heads;
    signatures(session, head) -> bool checks a head's signature (None: not checked)."""
    from landrights.audit import heads

    entries = session.scalar(sa.text("SELECT coalesce(max(seq), 0) FROM register_chain "
                                     "WHERE county_code = :c"), {"c": county_code})
    with _whole_tables(session):
        findings = _chain_findings(session, county_code)
        for table in CHAINED_TABLES:
            findings += _source_findings(session, county_code, table)
    findings += head_findings(session, county_code, heads.recorded(session, county_code), signatures)
    findings += _trigger_findings(session)
    return Report(county_code, entries, sorted(findings, key=order))


def chained_counties(session: Session) -> list[str]:
    """Return every county that has a chain, a head or a county-level admin unit."""
    return list(session.scalars(sa.text(
        "SELECT county_code FROM register_chain GROUP BY county_code "
        "UNION SELECT county_code FROM register_heads "
        "UNION SELECT code FROM admin_units WHERE level = 1 ORDER BY 1")))
