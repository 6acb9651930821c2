"""Enter the package's parcels, contracts with their parcels and three areas, register entries
(R4.19, R3.6), set-based, as of the package's own dates.

A new contract is valid from its signing date QDSJ and registered as of DJSJ; its parcels are
valid from the contract's date; a parcel on no contract (reserve land 机动地, DKLB 22, …) enters
as the collective's surveyed parcel, as of the collective's survey date FBFDCRQ. A record the
registry holds that the package changes closes at the import's time and its new version starts
then: history is never rewritten.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.handup.people import CST, run
from landrights.registry import rules as registry_rules
from landrights.survey.services import _COMPARED

_DK = list(registry_rules.DK_FIELDS.values())
_TEXT_WIDTH = {"name": 100, "east": 100, "south": 100, "west": 100, "north": 100,
               "pointer_name": 50, "remark": 200, "ownership": 2, "land_use_type": 4}


def _staged(column: str) -> str:
    width = _TEXT_WIDTH.get(column)
    return f"left(s.{column}, {width})" if width else f"s.{column}"


def stage_contracts(session: Session, params: dict) -> None:
    """List the package's contracts that enter with their dates and the live version if any."""
    session.execute(sa.text(f"""
        CREATE TEMP TABLE hu_k ON COMMIT DROP AS
        SELECT k.row_no, k.cbhtbm, k.cbfs, k.cbqxq, k.cbqxz, k.qdsj,
               CASE WHEN length(k.ycbhtbm) <= 19 THEN k.ycbhtbm END AS ycbhtbm,
               least(coalesce({CST.format('k.qdsj')}, {CST.format('d.djsj')}, :now), :now) AS as_of,
               CASE WHEN d.row_no IS NOT NULL
                    THEN least(coalesce({CST.format('d.djsj')}, :now), :now) END AS registered,
               d.row_no AS djb_row, c.id AS live_id, c.version AS live_version,
               (SELECT max(q.version) FROM contracts q WHERE q.county_code = left(k.cbhtbm, 6)
                AND q.code = k.cbhtbm) AS prior, NULL::text AS fate
        FROM hu_cbht k LEFT JOIN hu_djb d ON d.cbjyqzbm = k.cbhtbm AND NOT d.out
        LEFT JOIN contracts c ON c.county_code = left(k.cbhtbm, 6) AND c.code = k.cbhtbm
             AND c.valid_to IS NULL
        WHERE NOT k.out"""), params)
    run(session, "ALTER TABLE hu_k ADD PRIMARY KEY (cbhtbm);\nANALYZE hu_k")


def enter_parcels(session: Session, params: dict) -> None:
    """Classify the layer's parcels against the registry and enter the new and changed ones."""
    compared = ", ".join(f"p.{c}" for c in _COMPARED)
    staged = ", ".join(_staged(c) for c in _COMPARED)
    session.execute(sa.text(f"""
        CREATE TEMP TABLE hu_parcel ON COMMIT DROP AS
        SELECT s.row_no, s.parcel_code, p.id AS live_id, p.version AS live_version,
               coalesce(l.as_of, least(coalesce({CST.format('f.fbfdcrq')}, :now), :now)) AS as_of,
               l.registered,
               CASE WHEN l.registered IS NOT NULL THEN 'registered'
                    ELSE coalesce(p.status, 'surveyed') END AS status,
               CASE WHEN p.id IS NULL THEN (SELECT max(q.version) FROM parcels q
                    WHERE q.county_code = left(s.parcel_code, 6) AND q.code = s.parcel_code)
                    END AS prior,
               CASE WHEN p.id IS NULL THEN 'entered'
                    WHEN l.registered IS NOT NULL AND p.status <> 'registered' THEN 'changed'
                    WHEN CASE WHEN p.geom = ST_Multi(s.geom) THEN false
                              ELSE ST_Area(ST_SymDifference(p.geom, s.geom)::geography) > 1.0 END
                         THEN 'changed'
                    WHEN ({compared}) IS DISTINCT FROM ({staged}) THEN 'changed'
                    ELSE 'unchanged' END AS fate
        FROM survey_stage s JOIN hu_dk d ON d.row_no = s.row_no AND NOT d.out
        LEFT JOIN hu_fbf f ON f.fbfbm = left(s.parcel_code, 14) AND NOT f.out
        LEFT JOIN (SELECT DISTINCT ON (x.dkbm) x.dkbm, k.as_of, k.registered
                   FROM hu_cbdkxx x JOIN hu_k k ON k.cbhtbm = x.cbhtbm
                   WHERE NOT x.out ORDER BY x.dkbm, x.row_no) l ON l.dkbm = s.parcel_code
        LEFT JOIN parcels p ON p.county_code = left(s.parcel_code, 6) AND p.code = s.parcel_code
             AND p.valid_to IS NULL"""), params)
    run(session, "CREATE INDEX ON hu_parcel (parcel_code);\nANALYZE hu_parcel")
    session.execute(sa.text("UPDATE parcels p SET valid_to = :now FROM hu_parcel c "
                            "WHERE c.fate = 'changed' AND p.id = c.live_id"), params)
    session.execute(sa.text(f"""
        INSERT INTO parcels (county_code, code, version, collective_code, geom, status, extra,
                             valid_from, registered_at, handup_id, {', '.join(_DK)})
        SELECT left(s.parcel_code, 6), s.parcel_code,
               coalesce(c.live_version, c.prior, 0) + 1, left(s.parcel_code, 14),
               ST_Multi(s.geom), c.status, s.extra, t.at,
               CASE WHEN c.status = 'registered' THEN greatest(t.registered, t.at) END,
               :import_id, {', '.join(_staged(col) for col in _DK)}
        FROM hu_parcel c JOIN survey_stage s ON s.row_no = c.row_no
        CROSS JOIN LATERAL (SELECT CASE WHEN c.fate = 'entered' AND c.prior IS NULL THEN c.as_of
                                   ELSE :now END AS at,
                                   CASE WHEN c.fate = 'entered' AND c.prior IS NULL
                                   THEN c.registered ELSE :now END AS registered) t
        WHERE c.fate <> 'unchanged' ORDER BY s.row_no"""), params)
    # fresh statistics for the joins and triggers that follow (the registry was empty, or small)
    session.execute(sa.text("ANALYZE parcels (county_code, code, valid_to)"))


def _fingerprints(session: Session) -> None:
    """Mark each package contract entered, changed or unchanged: its terms, its registration and
    its parcels with their areas (as the registry rounds them), and no parcel changed under it."""
    run(session, """
        UPDATE hu_k k SET fate = 'entered' WHERE k.live_id IS NULL;
        CREATE TEMP TABLE hu_kfp ON COMMIT DROP AS
        SELECT x.cbhtbm, string_agg(x.dkbm || ':' || round(x.htmj, 2) || ':'
               || coalesce(round(CASE WHEN x.yhtmj > 0 THEN x.yhtmj END, 2)::text, '') || ':'
               || coalesce(x.cbjyqqdfs, '110'), ',' ORDER BY x.dkbm) AS fp,
               bool_or(c.fate = 'changed') AS parcel_changed
        FROM hu_cbdkxx x LEFT JOIN hu_parcel c ON c.parcel_code = x.dkbm
        WHERE NOT x.out GROUP BY x.cbhtbm;
        ALTER TABLE hu_kfp ADD PRIMARY KEY (cbhtbm);
        UPDATE hu_k k SET fate = CASE WHEN
              (c.mode, c.term_start, c.term_end, c.signed_on, c.original_code)
                  IS NOT DISTINCT FROM (k.cbfs, k.cbqxq, k.cbqxz, k.qdsj, k.ycbhtbm)
              AND (c.status = 'registered') = (k.registered IS NOT NULL)
              AND coalesce((SELECT f.fp FROM hu_kfp f WHERE f.cbhtbm = k.cbhtbm), '')
                  = coalesce((SELECT string_agg(cp.parcel_code || ':' || cp.confirmed_area_m2
                                     || ':' || coalesce(cp.contract_area_m2::text, '') || ':'
                                     || cp.acquisition, ',' ORDER BY cp.parcel_code)
                              FROM contract_parcels cp WHERE cp.contract_id = c.id), '')
              AND NOT coalesce((SELECT f.parcel_changed FROM hu_kfp f
                                WHERE f.cbhtbm = k.cbhtbm), false)
            THEN 'unchanged' ELSE 'changed' END
        FROM contracts c WHERE c.id = k.live_id""")


def enter_contracts(session: Session, params: dict) -> None:
    """Enter new and changed contracts with their parcels, then register them and add their
    register entries (登记簿, R3.6); the registered versions they replace close."""
    _fingerprints(session)
    run(session, """
        UPDATE contracts c SET valid_to = :now FROM hu_k k
        WHERE k.fate = 'changed' AND c.id = k.live_id;
        UPDATE register_entries r SET valid_to = :now FROM hu_k k
        WHERE k.fate = 'changed' AND r.county_code = left(k.cbhtbm, 6) AND r.code = k.cbhtbm
          AND r.valid_to IS NULL""", params)
    session.execute(sa.text("""
        INSERT INTO contracts (county_code, code, version, household_code, mode, term_start,
                               term_end, signed_on, original_code, status, valid_from, handup_id)
        SELECT left(k.cbhtbm, 6), k.cbhtbm, coalesce(k.prior, 0) + 1, left(k.cbhtbm, 18), k.cbfs,
               k.cbqxq, k.cbqxz, k.qdsj, k.ycbhtbm, 'draft',
               CASE WHEN k.prior IS NULL THEN k.as_of ELSE :now END, :import_id
        FROM hu_k k WHERE k.fate <> 'unchanged'"""), params)
    # the trigger contract_parcels_history looks each new link's contract up by id: with the
    # statistics of an empty table it would scan them all, once per parcel
    session.execute(sa.text("ANALYZE contracts (id, county_code, code, valid_to)"))
    session.execute(sa.text("""
        INSERT INTO contract_parcels (county_code, contract_id, parcel_id, parcel_code,
                                      acquisition, contract_area_m2, confirmed_area_m2)
        SELECT left(x.dkbm, 6), c.id, p.id, x.dkbm, coalesce(x.cbjyqqdfs, '110'),
               CASE WHEN x.yhtmj > 0 THEN x.yhtmj END, x.htmj
        FROM hu_cbdkxx x JOIN hu_k k ON k.cbhtbm = x.cbhtbm AND k.fate <> 'unchanged'
        JOIN contracts c ON c.county_code = left(k.cbhtbm, 6) AND c.code = k.cbhtbm
             AND c.valid_to IS NULL
        JOIN parcels p ON p.county_code = left(x.dkbm, 6) AND p.code = x.dkbm
             AND p.valid_to IS NULL
        WHERE NOT x.out"""))
    _register(session, params)


def _register(session: Session, params: dict) -> None:
    session.execute(sa.text("""
        UPDATE contracts c SET status = 'registered',
               registered_at = CASE WHEN k.prior IS NULL THEN greatest(k.registered, c.valid_from)
                               ELSE :now END
        FROM hu_k k WHERE k.fate <> 'unchanged' AND k.registered IS NOT NULL
          AND c.county_code = left(k.cbhtbm, 6) AND c.code = k.cbhtbm AND c.valid_to IS NULL"""),
        params)
    session.execute(sa.text("""
        INSERT INTO register_entries (county_code, code, version, contract_id, registrar, note,
                                      document, valid_from, registered_at, handup_id)
        SELECT left(k.cbhtbm, 6), k.cbhtbm, coalesce((SELECT max(q.version)
               FROM register_entries q WHERE q.county_code = left(k.cbhtbm, 6)
               AND q.code = k.cbhtbm), 0) + 1, c.id, left(coalesce(d.dbr, '汇交成果'), 50),
               d.djbfj, left('汇交成果 ' || :filename, 200), c.registered_at, c.registered_at,
               :import_id
        FROM hu_k k JOIN hu_djb d ON d.row_no = k.djb_row
        JOIN contracts c ON c.county_code = left(k.cbhtbm, 6) AND c.code = k.cbhtbm
             AND c.valid_to IS NULL
        WHERE k.fate <> 'unchanged' AND k.registered IS NOT NULL"""), params)
    run(session, """
        UPDATE hu_cbht t SET fate = k.fate FROM hu_k k WHERE k.row_no = t.row_no;
        UPDATE hu_djb d SET fate = k.fate FROM hu_k k WHERE k.djb_row = d.row_no
          AND k.registered IS NOT NULL""")
