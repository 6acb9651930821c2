"""Enter the package's certificates (经营权证 CBJYQZ, R3.3-R3.6) with their history: the first
issue as of FZRQ, each re-issue (补发, CBJYQZ_QZBF) and replacement (换发, CBJYQZ_QZHF) as the next
serial superseding the one before, and a cancellation (注销, CBJYQZ_QZZX) ending the last. Each
gets its printed number from the registry's sequence (R4.11), so it verifies at /verify/<code>
like a certificate issued in landrights; the package's own serial number (流水号) is kept in the
issue's document. A second import adds only the serials the registry does not hold yet.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from landrights.handup.people import CST, run

_EVENTS = f"""
CREATE TEMP TABLE hu_ev ON COMMIT DROP AS
WITH ev AS (
    SELECT q.cbjyqzbm AS code, q.row_no, 'CBJYQZ' AS tbl, 0 AS ord, 'issue' AS kind,
           q.fzrq AS day, NULL::text AS reason, q.fzjg AS authority,
           coalesce(q.cbjyqzlsh, d.cbjyqzlsh) AS lsh
    FROM hu_qz q LEFT JOIN hu_djb d ON d.cbjyqzbm = q.cbjyqzbm AND NOT d.out WHERE NOT q.out
    UNION ALL SELECT cbjyqzbm, row_no, 'CBJYQZ_QZBF', 1, 'reissue', bfrq, bfyy, NULL, NULL
    FROM hu_bf WHERE NOT out
    UNION ALL SELECT cbjyqzbm, row_no, 'CBJYQZ_QZHF', 1, 'replace', hfrq, hfyy, NULL, NULL
    FROM hu_hf WHERE NOT out),
placed AS (
    SELECT ev.*, c.id AS contract_id, r.id AS entry_id,
           least(coalesce({CST.format('ev.day')}, r.registered_at, :now), :now) AS issued,
           row_number() OVER (PARTITION BY ev.code ORDER BY ev.ord, ev.day NULLS LAST, ev.row_no)
               AS serial,
           count(*) OVER (PARTITION BY ev.code) AS total,
           coalesce((SELECT max(z.serial) FROM certificates z WHERE z.county_code = left(ev.code, 6)
                     AND z.code = ev.code), 0) AS have
    FROM ev JOIN contracts c ON c.county_code = left(ev.code, 6) AND c.code = ev.code
         AND c.valid_to IS NULL AND c.status = 'registered'
    JOIN register_entries r ON r.county_code = left(ev.code, 6) AND r.code = ev.code
         AND r.valid_to IS NULL)
SELECT p.*, lead(p.issued) OVER w AS next_issued, lead(p.reason) OVER w AS next_reason,
       lead(p.tbl) OVER w AS next_tbl
FROM placed p WINDOW w AS (PARTITION BY p.code ORDER BY p.serial)"""

_REASON = "coalesce(nullif(trim({0}), ''), '汇交成果未注明原因')"
_CANCELS = f"""
CREATE TEMP TABLE hu_cancel ON COMMIT DROP AS
SELECT DISTINCT ON (z.cbjyqzbm) z.row_no, z.cbjyqzbm AS code,
       least(coalesce({CST.format('z.zxrq')}, :now), :now) AS at, {_REASON.format('z.zxyy')} AS reason
FROM hu_zx z WHERE NOT z.out ORDER BY z.cbjyqzbm, z.row_no"""

# the registry's valid certificate of a code the package re-issues or cancels now ends
_END_VALID = """
UPDATE certificates z SET status = CASE WHEN e.serial IS NULL THEN 'cancelled' ELSE 'superseded' END,
       ended_at = coalesce(e.issued, x.at), end_reason = coalesce(e.reason_shown, x.reason),
       end_document = '汇交成果 ' || coalesce(e.tbl, 'CBJYQZ_QZZX')
FROM (SELECT code FROM hu_ev WHERE serial > have UNION SELECT code FROM hu_cancel) a
LEFT JOIN (SELECT DISTINCT ON (code) code, serial, issued, tbl,
                  coalesce(nullif(trim(reason), ''), '汇交成果未注明原因') AS reason_shown
           FROM hu_ev WHERE serial > have ORDER BY code, serial) e ON e.code = a.code
LEFT JOIN hu_cancel x ON x.code = a.code
WHERE z.county_code = left(a.code, 6) AND z.code = a.code AND z.status = 'valid'
  AND (e.serial IS NOT NULL OR x.code IS NOT NULL)"""

_INSERT = f"""
INSERT INTO certificates (county_code, code, serial, printed_no, contract_id, register_entry_id,
                          kind, status, authority, issued_at, reason, document, ended_at,
                          end_reason, end_document, handup_id)
SELECT left(e.code, 6), e.code, e.serial,
       'NO.J' || lpad(nextval('certificate_printed_no_seq')::text, 13, '0'),
       e.contract_id, e.entry_id, e.kind,
       CASE WHEN e.serial < e.total THEN 'superseded' WHEN x.code IS NOT NULL THEN 'cancelled'
            ELSE 'valid' END,
       left(coalesce(e.authority, :authority), 100), e.issued,
       CASE WHEN e.kind <> 'issue' THEN {_REASON.format('e.reason')} END,
       CASE WHEN e.kind <> 'issue' THEN '汇交成果 ' || e.tbl
            WHEN e.lsh IS NOT NULL THEN left('汇交成果 证书流水号 ' || e.lsh, 200) END,
       CASE WHEN e.serial < e.total THEN e.next_issued WHEN x.code IS NOT NULL THEN x.at END,
       CASE WHEN e.serial < e.total THEN {_REASON.format('e.next_reason')}
            WHEN x.code IS NOT NULL THEN x.reason END,
       CASE WHEN e.serial < e.total THEN '汇交成果 ' || e.next_tbl
            WHEN x.code IS NOT NULL THEN '汇交成果 CBJYQZ_QZZX' END,
       :import_id
FROM hu_ev e LEFT JOIN hu_cancel x ON x.code = e.code
WHERE e.serial > e.have ORDER BY e.code, e.serial"""

_FATES = """
UPDATE hu_qz q SET fate = CASE WHEN e.serial > e.have THEN 'entered' ELSE 'unchanged' END
FROM hu_ev e WHERE e.tbl = 'CBJYQZ' AND e.row_no = q.row_no;
UPDATE hu_bf b SET fate = CASE WHEN e.serial > e.have THEN 'entered' ELSE 'unchanged' END
FROM hu_ev e WHERE e.tbl = 'CBJYQZ_QZBF' AND e.row_no = b.row_no;
UPDATE hu_hf h SET fate = CASE WHEN e.serial > e.have THEN 'entered' ELSE 'unchanged' END
FROM hu_ev e WHERE e.tbl = 'CBJYQZ_QZHF' AND e.row_no = h.row_no;
UPDATE hu_zx z SET fate = 'entered' FROM hu_cancel x WHERE x.row_no = z.row_no AND EXISTS (
    SELECT 1 FROM certificates c WHERE c.county_code = left(x.code, 6) AND c.code = x.code
    AND c.status = 'cancelled')"""


def enter_certificates(session: Session, params: dict) -> None:
    """Enter the certificates and their re-issues, replacements and cancellations not yet held."""
    run(session, _EVENTS, params)
    run(session, _CANCELS, params)
    run(session, "DELETE FROM hu_cancel x WHERE EXISTS (SELECT 1 FROM certificates z "
                 "WHERE z.county_code = left(x.code, 6) AND z.code = x.code "
                 "AND z.status = 'cancelled')")
    _mark_cancellations_held(session)
    run(session, _END_VALID, params)
    run(session, _INSERT, params)
    run(session, _FATES, params)


def _mark_cancellations_held(session: Session) -> None:
    """A cancellation the registry already holds is unchanged, not entered again."""
    run(session, """
        UPDATE hu_zx z SET fate = 'unchanged' WHERE NOT z.out AND EXISTS (
            SELECT 1 FROM certificates c WHERE c.county_code = left(z.cbjyqzbm, 6)
            AND c.code = z.cbjyqzbm AND c.status = 'cancelled')""")
