"""the county's hand-up package (汇交成果): where each record came from

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

1. handup_imports and handup_findings: one import of a county's package (counts per NY/T table:
   read, entered, changed, unchanged, kept out) and each finding (table, key, household, rule).
2. handup_id on household_members, parcels, contracts, register_entries and certificates: the
   import a version came from (NULL: entered in landrights), so history says where it came from.
3. quality_rules gain the moment 'handup': the cross-table rules of a package, as data (id,
   target = the NY/T table, severity, body over the staging tables hu_* and survey_stage). A
   critical finding naming a household keeps that household out whole; a warning is reported.
   Each body selects (table, row_no, key, household_code, params) and may read :import_id,
   :county and :params.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

VERSIONED = ("household_members", "parcels", "contracts", "register_entries", "certificates")
_CODE19 = "'^[0-9]{19}$'"
_CODE18 = "'^[0-9]{18}$'"
_CONTRACT = "'^[0-9]{18}[JQ]$'"
_CRITICAL_DK = """EXISTS (SELECT 1 FROM handup_findings f WHERE f.import_id = :import_id
    AND f.table_name = 'DK' AND f.row_no = s.row_no AND f.severity = 'critical')"""
_SHOWN = "CASE WHEN {0} ~ '^[0-9]{{1,4}}$' THEN {0} ELSE '—' END"  # a short code, else not echoed
_ID_SHAPE = (  # the persons CHECK ck_persons_id_number_shape, on a staged member row
    "CASE j.id_type WHEN 1 THEN true "
    "WHEN 2 THEN j.cyzjhm ~ '^[0-9A-Za-z\\u4e00-\\u9fff-]{4,30}$' "
    "WHEN 3 THEN j.cyzjhm ~ '^([0-9A-Z]{8}-?[0-9X]|[0-9A-HJ-NPQRTUWXY]{18})$' "
    "WHEN 4 THEN j.cyzjhm ~ '^[0-9A-Za-z-]{4,30}$' "
    "WHEN 5 THEN j.cyzjhm ~ '^[0-9A-Za-z]{5,20}$' "
    "ELSE j.cyzjhm ~ '^\\S{2,30}$' END")
_TOLERANCE = ("coalesce((SELECT value::float8 FROM settings WHERE key = "
              "'parcel_overlap_tolerance_m2'), 1.0)")

# (id, target, severity, rule_ref, description zh, en, message zh, en, body, params)
RULES = [
    ("handup_code_shape", "*", "critical", "R4.5",
     "编码为规定格式（发包方 14 位、承包方 18 位、地块 19 位、合同/登记簿/证书 18 位加 J 或 Q）",
     "Codes have their shape (collective 14 digits, household 18, parcel 19, contract, register "
     "and certificate 18 + J or Q)",
     "{table} 第 {row} 行：{field} 不是规定格式的编码，该行未入库",
     "{table} row {row}: {field} is not a code of the required shape; the row is kept out", f"""
SELECT 'FBF', row_no, 'row ' || row_no, NULL, jsonb_build_object('table', 'FBF', 'field', 'FBFBM',
       'row', row_no) FROM hu_fbf WHERE fbfbm IS NULL OR fbfbm !~ '^[0-9]{{14}}$'
UNION ALL
SELECT 'CBF', row_no, 'row ' || row_no, NULL, jsonb_build_object('table', 'CBF', 'field', 'CBFBM',
       'row', row_no) FROM hu_cbf WHERE cbfbm IS NULL OR cbfbm !~ {_CODE18}
UNION ALL
SELECT 'CBF_JTCY', row_no, 'row ' || row_no, NULL, jsonb_build_object('table', 'CBF_JTCY',
       'field', 'CBFBM', 'row', row_no) FROM hu_jtcy WHERE cbfbm IS NULL OR cbfbm !~ {_CODE18}
UNION ALL
SELECT 'CBHT', row_no, 'row ' || row_no, CASE WHEN cbfbm ~ {_CODE18} THEN cbfbm END,
       jsonb_build_object('table', 'CBHT', 'field', 'CBHTBM', 'row', row_no)
FROM hu_cbht WHERE cbhtbm IS NULL OR cbhtbm !~ {_CONTRACT}
UNION ALL
SELECT 'CBDKXX', row_no, 'row ' || row_no, CASE WHEN cbfbm ~ {_CODE18} THEN cbfbm END,
       jsonb_build_object('table', 'CBDKXX', 'field', CASE WHEN dkbm IS NULL OR dkbm !~ {_CODE19}
       THEN 'DKBM' ELSE 'CBHTBM' END, 'row', row_no)
FROM hu_cbdkxx WHERE dkbm IS NULL OR dkbm !~ {_CODE19} OR cbhtbm IS NULL OR cbhtbm !~ {_CONTRACT}
UNION ALL
SELECT t, row_no, 'row ' || row_no, NULL, jsonb_build_object('table', t, 'field', 'CBJYQZBM',
       'row', row_no)
FROM (SELECT 'CBJYQZDJB' AS t, row_no, cbjyqzbm FROM hu_djb
      UNION ALL SELECT 'CBJYQZ', row_no, cbjyqzbm FROM hu_qz
      UNION ALL SELECT 'CBJYQZ_QZBF', row_no, cbjyqzbm FROM hu_bf
      UNION ALL SELECT 'CBJYQZ_QZHF', row_no, cbjyqzbm FROM hu_hf
      UNION ALL SELECT 'CBJYQZ_QZZX', row_no, cbjyqzbm FROM hu_zx) c
WHERE cbjyqzbm IS NULL OR cbjyqzbm !~ {_CONTRACT}
UNION ALL
SELECT 'DK', row_no, 'row ' || row_no, NULL, jsonb_build_object('table', 'DK', 'field', 'DKBM',
       'row', row_no) FROM survey_stage WHERE parcel_code IS NULL""", {}),

    ("handup_duplicate", "*", "critical", "R4.18",
     "同一编码（或同一户中同一证件号码）在表中只出现一次",
     "A code (or an ID number within a household) appears once in its table",
     "{table} 中 {code} 出现 {count} 次：无法判断哪一条为准，均未入库",
     "{table}: {code} appears {count} times; which one holds cannot be told, none enters", f"""
SELECT t, row_no, k, h, jsonb_build_object('table', t, 'code', k, 'count', n) FROM (
  SELECT 'FBF' AS t, row_no, fbfbm AS k, NULL::text AS h, count(*) OVER (PARTITION BY fbfbm) AS n
  FROM hu_fbf WHERE fbfbm IS NOT NULL
  UNION ALL SELECT 'CBF', row_no, cbfbm, cbfbm, count(*) OVER (PARTITION BY cbfbm)
  FROM hu_cbf WHERE cbfbm IS NOT NULL
  UNION ALL SELECT 'CBF_JTCY', row_no, cbfbm || ' ' || shown, cbfbm,
         count(*) OVER (PARTITION BY cbfbm, id_type, cyzjhm) FROM hu_jtcy WHERE cyzjhm IS NOT NULL
  UNION ALL SELECT 'CBHT', row_no, cbhtbm, cbfbm, count(*) OVER (PARTITION BY cbhtbm)
  FROM hu_cbht WHERE cbhtbm IS NOT NULL
  UNION ALL SELECT 'CBDKXX', row_no, cbhtbm || ' ' || dkbm, left(cbhtbm, 18),
         count(*) OVER (PARTITION BY cbhtbm, dkbm) FROM hu_cbdkxx WHERE dkbm IS NOT NULL
  UNION ALL SELECT 'CBJYQZDJB', row_no, cbjyqzbm, left(cbjyqzbm, 18),
         count(*) OVER (PARTITION BY cbjyqzbm) FROM hu_djb WHERE cbjyqzbm ~ {_CONTRACT}
  UNION ALL SELECT 'CBJYQZ', row_no, cbjyqzbm, left(cbjyqzbm, 18),
         count(*) OVER (PARTITION BY cbjyqzbm) FROM hu_qz WHERE cbjyqzbm ~ {_CONTRACT}
  UNION ALL SELECT 'DK', row_no, parcel_code, NULL, count(*) OVER (PARTITION BY parcel_code)
  FROM survey_stage WHERE parcel_code IS NOT NULL) d
WHERE n > 1""", {}),

    ("handup_codes_nest", "*", "critical", "R4.5",
     "编码逐级相套：地块、承包方以发包方编码开头，合同以承包方编码开头，各表互相一致",
     "Codes nest: parcel and household start with the collective's code, the contract with the "
     "household's, and the tables agree",
     "{table} {code}：编码与 {field} {other} 不相套（地块—发包方—承包方—合同），该户暂不入库",
     "{table} {code}: its code does not nest with {field} {other} (parcel, collective, "
     "household, contract); the household is kept out", f"""
SELECT 'CBF', h.row_no, h.cbfbm, h.cbfbm, jsonb_build_object('table', 'CBF', 'code', h.cbfbm,
       'field', 'FBFBM', 'other', left(h.cbfbm, 14))
FROM hu_cbf h WHERE h.cbfbm ~ {_CODE18}
  AND NOT EXISTS (SELECT 1 FROM hu_fbf f WHERE f.fbfbm = left(h.cbfbm, 14))
  AND NOT EXISTS (SELECT 1 FROM collectives c WHERE c.county_code = left(h.cbfbm, 6)
                  AND c.code = left(h.cbfbm, 14))
UNION ALL
SELECT 'CBHT', k.row_no, k.cbhtbm, left(k.cbhtbm, 18), jsonb_build_object('table', 'CBHT',
       'code', k.cbhtbm, 'field', CASE WHEN left(k.cbhtbm, 18) IS DISTINCT FROM k.cbfbm
       THEN 'CBFBM' ELSE 'FBFBM' END, 'other', CASE WHEN left(k.cbhtbm, 18) IS DISTINCT FROM
       k.cbfbm THEN coalesce(k.cbfbm, '—') ELSE k.fbfbm END)
FROM hu_cbht k WHERE k.cbhtbm ~ {_CONTRACT}
  AND (left(k.cbhtbm, 18) IS DISTINCT FROM k.cbfbm OR k.fbfbm <> left(k.cbhtbm, 14))
UNION ALL
SELECT 'CBDKXX', x.row_no, x.cbhtbm || ' ' || x.dkbm, left(x.cbhtbm, 18),
       jsonb_build_object('table', 'CBDKXX', 'code', x.dkbm,
       'field', CASE WHEN left(x.dkbm, 14) <> left(x.cbhtbm, 14) THEN 'CBHTBM'
                     WHEN x.cbfbm IS DISTINCT FROM left(x.cbhtbm, 18) THEN 'CBFBM' ELSE 'FBFBM' END,
       'other', CASE WHEN left(x.dkbm, 14) <> left(x.cbhtbm, 14) THEN x.cbhtbm
                     WHEN x.cbfbm IS DISTINCT FROM left(x.cbhtbm, 18) THEN coalesce(x.cbfbm, '—')
                     ELSE x.fbfbm END)
FROM hu_cbdkxx x WHERE x.dkbm ~ {_CODE19} AND x.cbhtbm ~ {_CONTRACT}
  AND (left(x.dkbm, 14) <> left(x.cbhtbm, 14) OR x.cbfbm IS DISTINCT FROM left(x.cbhtbm, 18)
       OR x.fbfbm <> left(x.dkbm, 14))
UNION ALL
SELECT 'CBJYQZDJB', d.row_no, d.cbjyqzbm, left(d.cbjyqzbm, 18), jsonb_build_object(
       'table', 'CBJYQZDJB', 'code', d.cbjyqzbm, 'field', 'CBFBM', 'other', d.cbfbm)
FROM hu_djb d WHERE d.cbjyqzbm ~ {_CONTRACT} AND d.cbfbm <> left(d.cbjyqzbm, 18)
UNION ALL
SELECT 'DK', s.row_no, s.parcel_code, NULL, jsonb_build_object('table', 'DK', 'code',
       s.parcel_code, 'field', 'FBFBM', 'other', left(s.parcel_code, 14))
FROM survey_stage s WHERE s.parcel_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM hu_fbf f WHERE f.fbfbm = left(s.parcel_code, 14))
  AND NOT EXISTS (SELECT 1 FROM collectives c WHERE c.county_code = left(s.parcel_code, 6)
                  AND c.code = left(s.parcel_code, 14))""", {}),

    ("handup_nothing_behind", "*", "critical", "R3.6",
     "成员、合同、地块信息、登记簿、证书及其补发换发注销都有所依据的承包方、合同、登记簿或证书",
     "Members, contracts, contract parcels, register entries, certificates and their re-issues "
     "have the household, contract, register entry or certificate they belong to",
     "{table} {code}：包中没有它所依据的 {needs} 记录，未入库",
     "{table} {code}: the package holds no {needs} row behind it; it is kept out", f"""
SELECT 'CBF_JTCY', j.row_no, j.cbfbm || ' ' || coalesce(j.shown, ''), NULL,
       jsonb_build_object('table', 'CBF_JTCY', 'code', j.cbfbm, 'needs', 'CBF')
FROM hu_jtcy j WHERE j.cbfbm ~ {_CODE18}
  AND NOT EXISTS (SELECT 1 FROM hu_cbf h WHERE h.cbfbm = j.cbfbm)
UNION ALL
SELECT 'CBHT', k.row_no, k.cbhtbm, NULL, jsonb_build_object('table', 'CBHT', 'code', k.cbhtbm,
       'needs', 'CBF')
FROM hu_cbht k WHERE k.cbhtbm ~ {_CONTRACT}
  AND NOT EXISTS (SELECT 1 FROM hu_cbf h WHERE h.cbfbm = left(k.cbhtbm, 18))
UNION ALL
SELECT 'CBDKXX', x.row_no, x.cbhtbm || ' ' || x.dkbm, NULL, jsonb_build_object('table', 'CBDKXX',
       'code', x.cbhtbm, 'needs', 'CBHT')
FROM hu_cbdkxx x WHERE x.cbhtbm ~ {_CONTRACT}
  AND NOT EXISTS (SELECT 1 FROM hu_cbht k WHERE k.cbhtbm = x.cbhtbm)
UNION ALL
SELECT 'CBJYQZDJB', d.row_no, d.cbjyqzbm, NULL, jsonb_build_object('table', 'CBJYQZDJB',
       'code', d.cbjyqzbm, 'needs', 'CBHT')
FROM hu_djb d WHERE d.cbjyqzbm ~ {_CONTRACT}
  AND NOT EXISTS (SELECT 1 FROM hu_cbht k WHERE k.cbhtbm = d.cbjyqzbm)
UNION ALL
SELECT 'CBJYQZ', q.row_no, q.cbjyqzbm, NULL, jsonb_build_object('table', 'CBJYQZ',
       'code', q.cbjyqzbm, 'needs', 'CBJYQZDJB')
FROM hu_qz q WHERE q.cbjyqzbm ~ {_CONTRACT}
  AND NOT EXISTS (SELECT 1 FROM hu_djb d WHERE d.cbjyqzbm = q.cbjyqzbm)
UNION ALL
SELECT e.t, e.row_no, e.cbjyqzbm, NULL, jsonb_build_object('table', e.t, 'code', e.cbjyqzbm,
       'needs', 'CBJYQZ')
FROM (SELECT 'CBJYQZ_QZBF' AS t, row_no, cbjyqzbm FROM hu_bf
      UNION ALL SELECT 'CBJYQZ_QZHF', row_no, cbjyqzbm FROM hu_hf
      UNION ALL SELECT 'CBJYQZ_QZZX', row_no, cbjyqzbm FROM hu_zx) e
WHERE e.cbjyqzbm ~ {_CONTRACT}
  AND NOT EXISTS (SELECT 1 FROM hu_qz q WHERE q.cbjyqzbm = e.cbjyqzbm)""", {}),

    ("handup_parcel_not_in_layer", "CBDKXX", "warning", "R4.19",
     "承包地块信息中的地块在矢量数据（DK 图层）或登记簿中",
     "A parcel of CBDKXX is in the DK layer or in the registry",
     "合同 {contract} 的地块 {code} 不在矢量数据（DK 图层）中，也不在登记簿中：这一条未入库，该户"
     "其余部分入库；请补测该地块或更正地块编码",
     "Parcel {code} of contract {contract} is neither in the DK layer nor in the registry: "
     "this link is kept out, the rest of the household enters; survey the parcel or correct "
     "its code", f"""
SELECT 'CBDKXX', x.row_no, x.cbhtbm || ' ' || x.dkbm, x.cbfbm,
       jsonb_build_object('code', x.dkbm, 'contract', x.cbhtbm)
FROM hu_cbdkxx x WHERE x.dkbm ~ {_CODE19}
  AND NOT EXISTS (SELECT 1 FROM survey_stage s WHERE s.parcel_code = x.dkbm)
  AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.county_code = left(x.dkbm, 6)
                  AND p.code = x.dkbm AND p.valid_to IS NULL)""", {}),

    ("handup_parcel_two_contracts", "CBDKXX", "critical", "R1.3",
     "一块地只在一份有效合同中", "A parcel is in one live contract only",
     "地块 {code} 同时在合同 {contract} 和 {other} 中：一块地只能在一份有效合同中，该户暂不入库",
     "Parcel {code} is in contract {contract} and in {other}: a parcel is in one live contract "
     "only; the household is kept out", f"""
WITH multi AS (SELECT dkbm FROM hu_cbdkxx WHERE dkbm ~ {_CODE19} GROUP BY dkbm
               HAVING count(DISTINCT cbhtbm) > 1),
live AS (SELECT x.row_no, min(k.code) AS other FROM hu_cbdkxx x
         JOIN parcels p ON p.county_code = left(x.dkbm, 6) AND p.code = x.dkbm
         JOIN contract_parcels cp ON cp.parcel_id = p.id
         JOIN contracts k ON k.id = cp.contract_id AND k.valid_to IS NULL
              AND k.code IS DISTINCT FROM x.cbhtbm
         WHERE x.dkbm ~ {_CODE19} AND NOT EXISTS (SELECT 1 FROM hu_cbht h WHERE h.cbhtbm = k.code)
         GROUP BY x.row_no)
SELECT 'CBDKXX', x.row_no, x.cbhtbm || ' ' || x.dkbm, left(x.cbhtbm, 18),
       jsonb_build_object('code', x.dkbm, 'contract', x.cbhtbm, 'other', coalesce(l.other,
       (SELECT min(y.cbhtbm) FROM hu_cbdkxx y WHERE y.dkbm = x.dkbm
        AND y.cbhtbm IS DISTINCT FROM x.cbhtbm)))
FROM hu_cbdkxx x LEFT JOIN live l ON l.row_no = x.row_no
WHERE x.dkbm IN (SELECT dkbm FROM multi) OR l.row_no IS NOT NULL""", {}),

    ("handup_member_count", "CBF", "warning", "R4.20",
     "承包方的成员数量（CBFCYSL）与家庭成员表一致",
     "A household's member count (CBFCYSL) agrees with its CBF_JTCY rows",
     "承包方 {code} 的成员数量为 {declared}，家庭成员表中有 {rows} 人：按成员表入库，请核实",
     "Household {code} declares {declared} members (CBFCYSL) but CBF_JTCY lists {rows}: the "
     "listed members enter; check the count", """
SELECT 'CBF', h.row_no, h.cbfbm, h.cbfbm, jsonb_build_object('code', h.cbfbm,
       'declared', h.cbfcysl, 'rows', coalesce(n.rows, 0))
FROM hu_cbf h LEFT JOIN (SELECT cbfbm, count(*) AS rows FROM hu_jtcy GROUP BY cbfbm) n
     ON n.cbfbm = h.cbfbm
WHERE h.cbfcysl IS NOT NULL AND h.cbfcysl <> coalesce(n.rows, 0)""", {}),

    ("handup_person_two_households", "CBF_JTCY", "critical", "R1.3",
     "一个人只是一户的成员", "A person is a member of one household",
     "{name}（{id}）同时是承包方 {code} 和 {other} 的成员：一人只能在一户中，该户暂不入库",
     "{name} ({id}) is a member of household {code} and of {other}: a person belongs to one "
     "household; the household is kept out", f"""
WITH multi AS (SELECT id_type, cyzjhm FROM hu_jtcy WHERE cyzjhm IS NOT NULL
               GROUP BY id_type, cyzjhm HAVING count(DISTINCT cbfbm) > 1),
elsewhere AS (SELECT j.row_no, min(h.code) AS other FROM hu_jtcy j
              JOIN persons p ON p.county_code = left(j.cbfbm, 6) AND p.id_type = j.id_type
                   AND p.id_number = j.cyzjhm
              JOIN household_members m ON m.person_id = p.id AND m.valid_to IS NULL
              JOIN households h ON h.id = m.household_id AND h.code <> j.cbfbm
              WHERE j.cbfbm ~ {_CODE18}
                AND NOT EXISTS (SELECT 1 FROM hu_cbf c WHERE c.cbfbm = h.code)
              GROUP BY j.row_no)
SELECT 'CBF_JTCY', j.row_no, j.cbfbm || ' ' || j.shown, j.cbfbm,
       jsonb_build_object('code', j.cbfbm, 'name', j.cyxm, 'id', j.shown, 'other',
       coalesce(e.other, (SELECT min(o.cbfbm) FROM hu_jtcy o WHERE o.cyzjhm = j.cyzjhm
                          AND o.id_type IS NOT DISTINCT FROM j.id_type AND o.cbfbm <> j.cbfbm)))
FROM hu_jtcy j LEFT JOIN elsewhere e ON e.row_no = j.row_no
WHERE e.row_no IS NOT NULL OR EXISTS (SELECT 1 FROM multi m WHERE m.cyzjhm = j.cyzjhm
                                      AND m.id_type IS NOT DISTINCT FROM j.id_type)""", {}),

    ("handup_id_checksum", "CBF_JTCY", "critical", "R4.26",
     "居民身份证号码通过 GB 11643 校验（18 位、出生日期、校验码）",
     "A resident ID card number passes GB 11643 (18 characters, birth date, check character)",
     "承包方 {code} 成员 {name} 的居民身份证号码 {id} 未通过 GB 11643 校验（位数、出生日期或校验码）："
     "该户暂不入库，请核对身份证后更正",
     "The ID card number {id} of {name}, household {code}, fails the GB 11643 check (length, "
     "birth date or check character): the household is kept out; check the ID card and correct "
     "it", """
SELECT 'CBF_JTCY', j.row_no, j.cbfbm || ' ' || j.shown, j.cbfbm,
       jsonb_build_object('code', j.cbfbm, 'name', j.cyxm, 'id', j.shown)
FROM hu_jtcy j WHERE j.id_type = 1 AND j.cyzjhm IS NOT NULL AND NOT lr_id_card_valid(j.cyzjhm)""",
     {}),

    ("handup_id_sex", "CBF_JTCY", "critical", "R4.26",
     "性别与居民身份证号码第 17 位一致（奇数为男，偶数为女）",
     "The sex agrees with the ID card number's 17th digit (odd male, even female)",
     "承包方 {code} 成员 {name}（{id}）的性别与身份证号码不符，该户暂不入库",
     "The sex of {name} ({id}), household {code}, disagrees with the ID card number; the "
     "household is kept out", """
SELECT 'CBF_JTCY', j.row_no, j.cbfbm || ' ' || j.shown, j.cbfbm,
       jsonb_build_object('code', j.cbfbm, 'name', j.cyxm, 'id', j.shown)
FROM hu_jtcy j WHERE j.id_type = 1 AND lr_id_card_valid(j.cyzjhm) AND j.sex IN (1, 2)
  AND j.sex <> 2 - mod(substr(j.cyzjhm, 17, 1)::int, 2)""", {}),

    ("handup_member_identity", "CBF_JTCY", "critical", "R4.26",
     "成员有姓名和证件号码，其他证件的号码符合该证件的格式",
     "A member has a name and a document number of its type's shape",
     "承包方 {code} 第 {row} 行成员缺少姓名或证件号码，或证件号码不符合证件类型的格式，该户暂不入库",
     "Household {code}, member row {row}: the name or document number is missing, or the number "
     "does not have its document type's shape; the household is kept out", f"""
SELECT 'CBF_JTCY', j.row_no, j.cbfbm || ' row ' || j.row_no, j.cbfbm,
       jsonb_build_object('code', j.cbfbm, 'row', j.row_no)
FROM hu_jtcy j WHERE j.cbfbm ~ {_CODE18} AND (j.cyxm IS NULL OR j.cyzjhm IS NULL
  OR (j.id_type IN (2, 3, 4, 5, 9) AND NOT ({_ID_SHAPE})))""", {}),

    ("handup_code_tables", "*", "critical", "R4.21",
     "代码取自 NY/T 2539 代码表（承包方类型、性别、证件类型、与户主关系、是否共有人、承包方式等）",
     "Codes come from the NY/T 2539 code tables (household type, sex, document type, relation, "
     "co-holder, contracting mode, …)",
     "{table} {code}：{field} 的值 {value} 不在 NY/T 2539 代码表内（或与编码不符），该户暂不入库",
     "{table} {code}: {field} value {value} is not in the NY/T 2539 code table (or disagrees "
     "with the code); the household is kept out", f"""
SELECT 'CBF', row_no, cbfbm, cbfbm, jsonb_build_object('table', 'CBF', 'code', cbfbm,
       'field', 'CBFLX', 'value', {_SHOWN.format('cbflx')})
FROM hu_cbf WHERE cbflx IS NOT NULL AND cbflx NOT IN ('1', '2', '3')
UNION ALL
SELECT 'CBF_JTCY', row_no, cbfbm || ' ' || coalesce(shown, ''), cbfbm, jsonb_build_object(
       'table', 'CBF_JTCY', 'code', cbfbm, 'field', f, 'value', v) FROM (
  SELECT row_no, cbfbm, shown, CASE
           WHEN id_type IS NULL OR id_type NOT IN (1, 2, 3, 4, 5, 9) THEN 'CYZJLX'
           WHEN sex IS NULL OR sex NOT IN (1, 2) THEN 'CYXB'
           WHEN yhzgx IS NULL OR yhzgx !~ '^[0-9]{{2}}$' THEN 'YHZGX'
           WHEN sfgyr NOT IN ('1', '2', '是', '否') THEN 'SFGYR'
           WHEN length(cybz) > 2 THEN 'CYBZ' END AS f,
         CASE WHEN id_type IS NULL OR id_type NOT IN (1, 2, 3, 4, 5, 9)
                   THEN {_SHOWN.format("coalesce(cyzjlx, '—')")}
              WHEN sex IS NULL OR sex NOT IN (1, 2) THEN {_SHOWN.format("coalesce(cyxb, '—')")}
              WHEN yhzgx IS NULL OR yhzgx !~ '^[0-9]{{2}}$'
                   THEN {_SHOWN.format("coalesce(yhzgx, '—')")}
              WHEN sfgyr NOT IN ('1', '2', '是', '否') THEN {_SHOWN.format('sfgyr')}
              ELSE {_SHOWN.format('cybz')} END AS v
  FROM hu_jtcy WHERE cbfbm ~ {_CODE18}) m
WHERE f IS NOT NULL
UNION ALL
SELECT 'CBHT', row_no, cbhtbm, left(cbhtbm, 18), jsonb_build_object('table', 'CBHT',
       'code', cbhtbm, 'field', 'CBFS', 'value', {_SHOWN.format("coalesce(cbfs, '—')")})
FROM hu_cbht WHERE cbhtbm ~ {_CONTRACT} AND (cbfs IS NULL
  OR cbfs NOT IN ('100', '110', '120', '200', '300') OR (right(cbhtbm, 1) = 'J') <> (cbfs = '110'))
UNION ALL
SELECT 'CBDKXX', row_no, cbhtbm || ' ' || dkbm, left(cbhtbm, 18), jsonb_build_object(
       'table', 'CBDKXX', 'code', dkbm, 'field', 'CBJYQQDFS', 'value', '—')
FROM hu_cbdkxx WHERE cbhtbm ~ {_CONTRACT} AND cbjyqqdfs !~ '^[0-9]{{1,3}}$'""", {}),

    ("handup_contract_term", "CBHT", "critical", "R1.5",
     "合同有承包期限：1978 年以后开始，在开始之后结束，最长 70 年；签订时间合理",
     "A contract has its term: starting after 1978, ending after its start, at most 70 years; "
     "a plausible signing date",
     "合同 {code} 的承包期限（{start} 至 {end}）或签订时间缺失或不合理，该户暂不入库",
     "Contract {code}: the term ({start} to {end}) or the signing date is missing or "
     "implausible; the household is kept out", f"""
SELECT 'CBHT', row_no, cbhtbm, left(cbhtbm, 18), jsonb_build_object('code', cbhtbm,
       'start', coalesce(cbqxq::text, '—'), 'end', coalesce(cbqxz::text, '—'))
FROM hu_cbht WHERE cbhtbm ~ {_CONTRACT} AND (cbqxq IS NULL OR cbqxz IS NULL OR cbqxz <= cbqxq
  OR cbqxq < '1978-01-01' OR cbqxq > '2100-12-31' OR cbqxz > cbqxq + interval '70 years'
  OR qdsj < '1978-01-01' OR qdsj > '2100-12-31')""", {}),

    ("handup_contract_totals", "CBHT", "warning", "R4.19",
     "合同总面积（HTZMJ）和地块总数（CBDKZS）与其承包地块一致",
     "A contract's total area (HTZMJ) and parcel count (CBDKZS) agree with its parcels",
     "合同 {code}：合同总面积 {htzmj} 平方米、地块总数 {cbdkzs}，而承包地块信息中有 {parcels} 块、"
     "共 {area} 平方米；按地块入库，请核实",
     "Contract {code}: total area {htzmj} m² and {cbdkzs} parcels, but CBDKXX lists {parcels} "
     "parcels of {area} m²; the parcels enter as listed; check the totals", f"""
SELECT 'CBHT', k.row_no, k.cbhtbm, left(k.cbhtbm, 18), jsonb_build_object('code', k.cbhtbm,
       'htzmj', coalesce(k.htzmj::text, '—'), 'cbdkzs', coalesce(k.cbdkzs::text, '—'),
       'area', coalesce(a.area, 0), 'parcels', coalesce(a.n, 0))
FROM hu_cbht k LEFT JOIN (SELECT cbhtbm, sum(htmj) AS area, count(*) AS n FROM hu_cbdkxx
                          GROUP BY cbhtbm) a ON a.cbhtbm = k.cbhtbm
WHERE k.cbhtbm ~ {_CONTRACT}
  AND (abs(k.htzmj - coalesce(a.area, 0)) > (CAST(:params AS jsonb) ->> 'tolerance_m2')::numeric
       OR k.cbdkzs <> coalesce(a.n, 0))""", {"tolerance_m2": 0.05}),

    ("handup_contract_unregistered", "CBHT", "warning", "R3.6",
     "每份合同在登记簿（CBJYQZDJB）中有记录", "Each contract has its register entry (CBJYQZDJB)",
     "合同 {code} 在登记簿中没有记录：合同以草稿入库，待登记",
     "Contract {code} has no register entry: it enters as a draft, to be registered", f"""
SELECT 'CBHT', k.row_no, k.cbhtbm, left(k.cbhtbm, 18), jsonb_build_object('code', k.cbhtbm)
FROM hu_cbht k WHERE k.cbhtbm ~ {_CONTRACT}
  AND NOT EXISTS (SELECT 1 FROM hu_djb d WHERE d.cbjyqzbm = k.cbhtbm)""", {}),

    ("handup_confirmed_area", "CBDKXX", "critical", "R4.18",
     "承包地块的确权面积（HTMJ）大于 0（且不超过 10 平方公里）",
     "A contract parcel's confirmed area (HTMJ) is above 0 (and at most 10 km²)",
     "合同 {contract} 中地块 {code} 的确权面积（HTMJ）缺失或不合理：须大于 0，该户暂不入库",
     "Parcel {code} of contract {contract}: the confirmed area (HTMJ) is missing or implausible "
     "(it must be above 0); the household is kept out", f"""
SELECT 'CBDKXX', row_no, cbhtbm || ' ' || dkbm, left(cbhtbm, 18), jsonb_build_object(
       'code', dkbm, 'contract', cbhtbm)
FROM hu_cbdkxx WHERE cbhtbm ~ {_CONTRACT} AND (htmj IS NULL OR htmj <= 0 OR htmj > 10000000
  OR yhtmj > 10000000)""", {}),

    ("handup_date_missing", "*", "warning", "R3.6",
     "登记簿有登簿时间（DJSJ），证书有发证日期（FZRQ）",
     "A register entry has its date (DJSJ), a certificate its issue date (FZRQ)",
     "{table} {code} 没有 {field}：按登簿时间或导入时间入库，请补录",
     "{table} {code} has no {field}: it enters as of the register date or of the import; add "
     "the date", f"""
SELECT 'CBJYQZDJB', row_no, cbjyqzbm, left(cbjyqzbm, 18), jsonb_build_object('table',
       'CBJYQZDJB', 'code', cbjyqzbm, 'field', 'DJSJ')
FROM hu_djb WHERE cbjyqzbm ~ {_CONTRACT} AND djsj IS NULL
UNION ALL
SELECT 'CBJYQZ', row_no, cbjyqzbm, left(cbjyqzbm, 18), jsonb_build_object('table', 'CBJYQZ',
       'code', cbjyqzbm, 'field', 'FZRQ')
FROM hu_qz WHERE cbjyqzbm ~ {_CONTRACT} AND fzrq IS NULL""", {}),

    ("handup_fbf_responsible_id", "FBF", "warning", "R4.26",
     "发包方负责人的居民身份证号码通过 GB 11643 校验",
     "The collective's responsible person's ID card number passes GB 11643",
     "发包方 {code} 负责人的身份证号码未通过校验，未录入该号码",
     "The ID card number of collective {code}'s responsible person fails the check; it is not "
     "entered", """
SELECT 'FBF', row_no, fbfbm, NULL, jsonb_build_object('code', fbfbm)
FROM hu_fbf WHERE coalesce(fzrzjlx, '1') = '1' AND fzrzjhm IS NOT NULL
  AND NOT lr_id_card_valid(fzrzjhm)""", {}),

    ("handup_dk_geometry", "DK", "critical", "R4.18",
     "地块图形为有效的面", "A parcel's geometry is a valid polygon",
     "地块 {code} 的图形无效或为空，未入库", "Parcel {code}: its geometry is invalid or empty; it "
     "is kept out", """
SELECT 'DK', row_no, parcel_code, NULL, jsonb_build_object('code', parcel_code)
FROM survey_stage WHERE parcel_code IS NOT NULL AND NOT ok""", {}),

    ("handup_dk_values", "DK", "critical", "R4.18",
     "地块面积与代码在规定范围内（实测面积大于 0、不超过 10 平方公里；地块类别、地力等级、土地用途取自"
     "代码表）",
     "A parcel's areas and codes are in range (surveyed area above 0 and at most 10 km²; "
     "category, soil grade, land use from their code tables)",
     "地块 {code}：{field} 的值 {value} 不在规定范围或代码表内，未入库",
     "Parcel {code}: {field} value {value} is out of range or not in its code table; it is "
     "kept out", f"""
SELECT 'DK', row_no, parcel_code, NULL, jsonb_build_object('code', parcel_code, 'field', f,
       'value', v) FROM (
  SELECT row_no, parcel_code,
         CASE WHEN area_m2 > 10000000 THEN 'SHAPE'
              WHEN surveyed_area_m2 <= 0 OR surveyed_area_m2 > 10000000 THEN 'SCMJ'
              WHEN surveyed_area_mu < 0 OR surveyed_area_mu > 15000 THEN 'SCMJM'
              WHEN category NOT IN ('10', '21', '22', '23', '24', '99') THEN 'DKLB'
              WHEN soil_grade !~ '^(0[1-9]|10)$' THEN 'DLDJ'
              WHEN land_use NOT IN ('1', '2', '3', '4', '5') THEN 'TDYT'
              WHEN length(ownership) > 2 THEN 'SYQXZ'
              WHEN length(land_use_type) > 4 THEN 'TDLYLX' END AS f,
         CASE WHEN area_m2 > 10000000 THEN round(area_m2)::text
              WHEN surveyed_area_m2 <= 0 OR surveyed_area_m2 > 10000000 THEN surveyed_area_m2::text
              WHEN surveyed_area_mu < 0 OR surveyed_area_mu > 15000 THEN surveyed_area_mu::text
              WHEN category NOT IN ('10', '21', '22', '23', '24', '99')
                   THEN {_SHOWN.format('category')}
              WHEN soil_grade !~ '^(0[1-9]|10)$' THEN {_SHOWN.format('soil_grade')}
              WHEN land_use NOT IN ('1', '2', '3', '4', '5') THEN {_SHOWN.format('land_use')}
              ELSE '—' END AS v
  FROM survey_stage WHERE parcel_code IS NOT NULL AND ok) c
WHERE f IS NOT NULL""", {}),

    ("handup_dk_overlap", "DK", "critical", "R4.18",
     "地块之间、地块与登记簿中的有效地块之间不重叠（超过容差）",
     "Parcels do not overlap each other nor live registry parcels (beyond the tolerance)",
     "地块 {code} 与地块 {other} 重叠 {overlap_m2} 平方米，未入库",
     "Parcel {code} overlaps parcel {other} by {overlap_m2} m²; it is kept out", f"""
WITH pairs AS MATERIALIZED (
    SELECT a.row_no AS ra, a.parcel_code AS ca, b.row_no AS rb, b.parcel_code AS cb,
           round(ST_Area(ST_Intersection(a.geom, b.geom)::geography)::numeric, 2) AS m2
    FROM survey_stage a JOIN survey_stage b ON a.geom && b.geom AND a.row_no < b.row_no
         AND b.ok AND ST_Relate(a.geom, b.geom, '2********')
    WHERE a.ok)
SELECT 'DK', ra, ca, NULL, jsonb_build_object('code', ca, 'other', cb, 'overlap_m2', m2)
FROM pairs WHERE m2 > {_TOLERANCE}
UNION ALL
SELECT 'DK', rb, cb, NULL, jsonb_build_object('code', cb, 'other', ca, 'overlap_m2', m2)
FROM pairs WHERE m2 > {_TOLERANCE}
UNION ALL
SELECT 'DK', s.row_no, s.parcel_code, NULL, jsonb_build_object('code', s.parcel_code,
       'other', p.code, 'overlap_m2',
       round(ST_Area(ST_Intersection(p.geom, s.geom)::geography)::numeric, 2))
FROM survey_stage s JOIN parcels p ON p.valid_to IS NULL AND p.geom && s.geom
     AND p.code IS DISTINCT FROM s.parcel_code AND ST_Relate(p.geom, s.geom, '2********')
WHERE s.ok AND NOT EXISTS (SELECT 1 FROM survey_stage r WHERE r.parcel_code = p.code)
  AND ST_Area(ST_Intersection(p.geom, s.geom)::geography) > {_TOLERANCE}""", {}),

    ("handup_parcel_refused", "CBDKXX", "critical", "R4.18",
     "承包地块本身通过检查（否则该户整户暂不入库）",
     "A household's parcels pass their own checks (else the household is kept out whole)",
     "合同 {contract} 的地块 {code} 因检查 {rule} 未入库，该户整户暂不入库",
     "Parcel {code} of contract {contract} is kept out by check {rule}, so its household is "
     "kept out whole", f"""
SELECT DISTINCT ON (x.row_no) 'CBDKXX', x.row_no, x.cbhtbm || ' ' || x.dkbm, left(x.cbhtbm, 18),
       jsonb_build_object('code', x.dkbm, 'contract', x.cbhtbm, 'rule', f.rule_id)
FROM handup_findings f JOIN survey_stage s ON s.row_no = f.row_no
JOIN hu_cbdkxx x ON x.dkbm = s.parcel_code
WHERE f.import_id = :import_id AND f.table_name = 'DK' AND f.severity = 'critical'
  AND x.cbhtbm ~ {_CONTRACT}
ORDER BY x.row_no, f.rule_id""", {}),
]


def _seed_rules() -> None:
    table = sa.table("quality_rules", *(sa.column(c) for c in (
        "id", "moment", "target", "severity", "rule_ref", "description_zh", "description_en",
        "message_zh", "message_en", "kind", "body")), sa.column("params", postgresql.JSONB))
    op.bulk_insert(table, [
        {"id": r[0], "moment": "handup", "target": r[1], "severity": r[2], "rule_ref": r[3],
         "description_zh": r[4], "description_en": r[5], "message_zh": r[6], "message_en": r[7],
         "kind": "sql", "body": r[8].strip(), "params": r[9]} for r in RULES])


def _moments(allowed: str) -> None:
    op.execute("ALTER TABLE quality_rules DROP CONSTRAINT ck_quality_rules_moment_known")
    op.execute("ALTER TABLE quality_rules ADD CONSTRAINT ck_quality_rules_moment_known "
               f"CHECK (moment IN ({allowed}))")


def upgrade() -> None:
    op.create_table(
        "handup_imports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("ownership_format", sa.String(length=20), nullable=False,
                  comment="mdb, dbf or gpkg"),
        sa.Column("layer_format", sa.String(length=20), nullable=False,
                  comment="shapefile, geopackage, …"),
        sa.Column("encoding", sa.String(length=20), nullable=True,
                  comment="of the DK layer's DBF"),
        sa.Column("source_crs", sa.String(length=20), nullable=False),
        sa.Column("all_or_nothing", sa.Boolean(), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False,
                  comment="per NY/T 2539 table: read, entered, changed, unchanged, kept_out"),
        sa.Column("households_kept_out", sa.Integer(), server_default="0", nullable=False),
        sa.Column("changed_nothing", sa.Boolean(), server_default=sa.false(), nullable=False,
                  comment="the registry already held all of it"),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f("ck_handup_imports_county_shape")),
        sa.CheckConstraint("households_kept_out >= 0",
                           name=op.f("ck_handup_imports_kept_out_not_negative")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_handup_imports_actor_id_users"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handup_imports")),
    )
    op.create_index("ix_handup_imports_county", "handup_imports", ["county_code", "id"])
    op.create_table(
        "handup_findings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("table_name", sa.String(length=20), nullable=False, comment="FBF, CBF, … or DK"),
        sa.Column("row_no", sa.Integer(), nullable=True,
                  comment="the row in its table (1-based, as read); NULL: the table as a whole"),
        sa.Column("record_key", sa.String(length=80), nullable=False,
                  comment="the row's codes; ID masked"),
        sa.Column("household_code", sa.String(length=18), nullable=True,
                  comment="CBFBM of the household the finding concerns (kept out if critical)"),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.CheckConstraint("severity IN ('critical', 'warning')",
                           name=op.f("ck_handup_findings_severity_known")),
        sa.ForeignKeyConstraint(["import_id"], ["handup_imports.id"],
                                name=op.f("fk_handup_findings_import_id_handup_imports"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handup_findings")),
    )
    op.create_index(op.f("ix_handup_findings_import_id"), "handup_findings", ["import_id"])
    for table in VERSIONED:
        op.add_column(table, sa.Column(
            "handup_id", sa.BigInteger(), nullable=True,
            comment="handup_imports.id of the package this version came from"
            if table != "certificates"
            else "handup_imports.id of the package it came from; NULL: issued here"))
    _moments("'import', 'confirmation', 'handup'")
    _seed_rules()


def downgrade() -> None:
    op.execute("DELETE FROM quality_rule_switches WHERE moment = 'handup'")
    op.execute("DELETE FROM quality_rules WHERE moment = 'handup'")
    _moments("'import', 'confirmation'")
    for table in VERSIONED:
        op.drop_column(table, "handup_id")
    op.drop_index(op.f("ix_handup_findings_import_id"), table_name="handup_findings")
    op.drop_table("handup_findings")
    op.drop_index("ix_handup_imports_county", table_name="handup_imports")
    op.drop_table("handup_imports")
