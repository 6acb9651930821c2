"""The NY/T 2539 exchange tables as set-based reads of the registry (R4.17-R4.20).

Each table is its standard name, its columns (standard field name, SQL expression, kind) and the
FROM/WHERE clause over the export's scope (``:county`` and the code prefix ``:prefix``). Kinds:
``t`` text, ``f`` real, ``i`` integer, ``d`` date. Codes are exported as text, as the standard
writes them (char fields: DLDJ '04', SFJBNT '1'). Names the domain rules do not list are marked
"(name from the standard, not in domain-rules.md)": they are NY/T 2539-2016 names as recalled,
to check against the printed standard.
"""
from __future__ import annotations

from dataclasses import dataclass

DK_FEATURE_CODE = "211011"  # YSDM of the DK layer (R4.16)
_YES_NO = "CASE WHEN {0} THEN '1' WHEN NOT {0} THEN '2' END"  # 是否: 1 是, 2 否 (R4.27)


def _mu(m2: str) -> str:
    """mu = m² x 15 / 10000 (R4.14), rounded to 2 places only here, for the exchange file."""
    return f"round({m2} * 15 / 10000, 2)::float8"


@dataclass(frozen=True)
class Table:
    """One exchange table: its columns and the SQL that reads it for a scope."""

    name: str
    columns: tuple[tuple[str, str, str], ...]  # (field name, SQL expression, kind)
    source: str  # FROM ... WHERE ... (ORDER BY ...)
    geometry: str | None = None  # SQL giving WKB in the export CRS (:srid); None = attributes only

    def sql(self, extra_columns: tuple[tuple[str, str, str], ...] = ()) -> str:
        """Return the SELECT reading this table: geometry first, extra columns appended."""
        exprs = [expr for _, expr, _ in (*self.columns, *extra_columns)]
        return f"SELECT {', '.join(([self.geometry] if self.geometry else []) + exprs)} " \
               f"{self.source}"


# DK 地块 (R4.18): live parcels only, the geometry transformed to the export CRS
DK = Table("DK", (
    ("BSM", "row_number() OVER (ORDER BY p.code)", "i"),
    ("YSDM", f"'{DK_FEATURE_CODE}'", "t"),
    ("DKBM", "p.code", "t"), ("DKMC", "p.name", "t"), ("SYQXZ", "p.ownership", "t"),
    ("DKLB", "p.category", "t"), ("TDLYLX", "p.land_use_type", "t"),
    ("DLDJ", "p.soil_grade", "t"), ("TDYT", "p.land_use", "t"),
    ("SFJBNT", _YES_NO.format("p.is_basic_farmland"), "t"),
    ("SCMJ", "p.surveyed_area_m2::float8", "f"), ("SCMJM", "p.surveyed_area_mu::float8", "f"),
    ("DKDZ", "p.east", "t"), ("DKNZ", "p.south", "t"), ("DKXZ", "p.west", "t"),
    ("DKBZ", "p.north", "t"), ("ZJRXM", "p.pointer_name", "t"), ("DKBZXX", "p.remark", "t"),
), "FROM parcels p WHERE p.county_code = :county AND p.code LIKE :prefix AND p.valid_to IS NULL "
   "ORDER BY p.code", geometry="ST_AsBinary(ST_Transform(p.geom, :srid))")

# FBF 发包方 (R4.20); the survey columns FBFDCY/FBFDCRQ/FBFDCJS are not held
FBF = Table("FBF", (
    ("FBFBM", "c.code", "t"), ("FBFMC", "c.name", "t"), ("FBFFZRXM", "c.responsible_name", "t"),
    ("FZRZJLX", "c.responsible_id_type::text", "t"), ("FZRZJHM", "c.responsible_id_number", "t"),
    ("LXDH", "c.phone", "t"), ("FBFDZ", "c.address", "t"), ("YZBM", "c.postcode", "t"),
), "FROM collectives c WHERE c.county_code = :county AND c.code LIKE :prefix ORDER BY c.code")

# CBF 承包方 (R4.20): the representative's ID document; CBFCYSL counts the live members
CBF = Table("CBF", (
    ("CBFBM", "h.code", "t"), ("CBFLX", "h.type::text", "t"), ("CBFMC", "h.name", "t"),
    ("CBFZJLX", "r.id_type::text", "t"), ("CBFZJHM", "r.id_number", "t"),
    ("CBFDZ", "h.address", "t"), ("YZBM", "h.postcode", "t"), ("LXDH", "h.phone", "t"),
    ("CBFCYSL", "(SELECT count(*) FROM household_members m WHERE m.household_id = h.id "
                "AND m.valid_to IS NULL)", "i"),
    ("CBFDCRQ", "h.survey_date", "d"), ("CBFDCY", "h.surveyor", "t"),
), "FROM households h LEFT JOIN persons r ON r.id = h.representative_id "
   "WHERE h.county_code = :county AND h.code LIKE :prefix ORDER BY h.code")

# CBF_JTCY 家庭成员 (R4.20): live memberships; CBFBM links the member to the household
CBF_JTCY = Table("CBF_JTCY", (
    ("CBFBM", "h.code", "t"), ("CYXM", "p.name", "t"), ("CYXB", "p.sex::text", "t"),
    ("CYZJLX", "p.id_type::text", "t"), ("CYZJHM", "p.id_number", "t"),
    ("YHZGX", "m.relation", "t"), ("SFGYR", _YES_NO.format("m.is_co_holder"), "t"),
    ("CYBZ", "m.remark_code", "t"), ("CYBZSM", "m.remark_text", "t"),
), "FROM household_members m JOIN households h ON h.id = m.household_id "
   "JOIN persons p ON p.id = m.person_id WHERE m.valid_to IS NULL AND h.county_code = :county "
   "AND h.code LIKE :prefix ORDER BY h.code, m.id")

_LIVE_CONTRACT = ("k.valid_to IS NULL AND k.status = 'registered' AND k.county_code = :county "
                  "AND k.code LIKE :prefix")

# CBHT 承包合同 (R4.20): the live registered contracts (drafts are not yet the legal record).
# HTZMJ = sum of the confirmed areas, YHTZMJ = sum of the original (second-round) areas (R4.19)
CBHT = Table("CBHT", (
    ("CBHTBM", "k.code", "t"), ("YCBHTBM", "k.original_code", "t"),
    ("FBFBM", "left(k.household_code, 14)", "t"), ("CBFBM", "k.household_code", "t"),
    ("CBFS", "k.mode", "t"), ("CBQXQ", "k.term_start", "d"), ("CBQXZ", "k.term_end", "d"),
    ("HTZMJ", "a.confirmed::float8", "f"), ("CBDKZS", "a.parcels", "i"),
    ("QDSJ", "k.signed_on", "d"), ("YHTZMJ", "a.original::float8", "f"),
    ("HTZMJM", _mu("a.confirmed"), "f"), ("YHTZMJM", _mu("a.original"), "f"),
), "FROM contracts k CROSS JOIN LATERAL (SELECT count(*) AS parcels, sum(cp.confirmed_area_m2) "
   "AS confirmed, sum(cp.contract_area_m2) AS original FROM contract_parcels cp "
   f"WHERE cp.contract_id = k.id) a WHERE {_LIVE_CONTRACT} ORDER BY k.code")

# CBDKXX 承包地块信息 (R4.19): a parcel in a live registered contract. HTMJ is the confirmed
# (合同) area, YHTMJ the original second-round contract area (contract_parcels.contract_area_m2);
# LZHTBM the filed transfer holding the parcel; CBJYQZBM the valid certificate (R4.9)
CBDKXX = Table("CBDKXX", (
    ("DKBM", "cp.parcel_code", "t"), ("FBFBM", "left(k.household_code, 14)", "t"),
    ("CBFBM", "k.household_code", "t"), ("CBJYQQDFS", "cp.acquisition", "t"),
    ("HTMJ", "cp.confirmed_area_m2::float8", "f"), ("CBHTBM", "k.code", "t"),
    ("LZHTBM", "lz.code", "t"), ("CBJYQZBM", "z.code", "t"),
    ("YHTMJ", "cp.contract_area_m2::float8", "f"), ("HTMJM", _mu("cp.confirmed_area_m2"), "f"),
    ("YHTMJM", _mu("cp.contract_area_m2"), "f"),
), "FROM contract_parcels cp JOIN contracts k ON k.id = cp.contract_id "
   "LEFT JOIN (SELECT DISTINCT ON (pc) pc, t.code FROM transfer_contracts t, "
   "unnest(t.parcel_codes) pc WHERE t.status = 'filed' AND t.county_code = :county "
   "ORDER BY pc, t.filed_at DESC) lz ON lz.pc = cp.parcel_code "
   "LEFT JOIN certificates z ON z.county_code = k.county_code AND z.code = k.code "
   f"AND z.status = 'valid' WHERE {_LIVE_CONTRACT} ORDER BY cp.parcel_code")

# CBJYQZ 经营权证 (R4.9, R3.4): valid certificates. CBJYQZLSH (流水号, the printed NO.J number,
# R4.11), FZJG 发证机关 and FZRQ 发证日期: names from the standard, not in domain-rules.md
CBJYQZ = Table("CBJYQZ", (
    ("CBJYQZBM", "z.code", "t"), ("FZJG", "z.authority", "t"),
    ("CBJYQZLSH", "z.printed_no", "t"),
    # the certificate's first issue (serial 1); a re-issue's date is its 补发/换发 record's
    ("FZRQ", "(SELECT (min(f.issued_at) AT TIME ZONE 'Asia/Shanghai')::date FROM certificates f "
             "WHERE f.county_code = z.county_code AND f.code = z.code)", "d"),
), "FROM certificates z WHERE z.status = 'valid' AND z.county_code = :county "
   "AND z.code LIKE :prefix ORDER BY z.code")

# LZHT 流转合同 (R4.10, R1.23): filed transfers in force. All names but LZHTBM/CBHTBM/CBFBM are
# from the standard, not in domain-rules.md: SRFMC/SRFZJHM 受让方名称/证件号码, LZFS 流转方式
# (the standard's code table is not transcribed: the registry's mode in words), LZQXKSRQ/LZQXJSRQ
# 流转期限开始/结束日期 (the term is [start, end): the last day is end - 1), LZMJ/LZMJM 流转面积,
# LZDKS 流转地块数, LZHDYT 流转后土地用途 (TDYT codes, R4.24), LZJGSM 流转价格说明, HTQDRQ 签订日期
LZHT = Table("LZHT", (
    ("LZHTBM", "t.code", "t"),
    ("CBHTBM", "(SELECT k.code FROM contracts k WHERE k.county_code = t.county_code AND "
               "k.household_code = t.household_code AND k.valid_to IS NULL ORDER BY k.code "
               "LIMIT 1)", "t"),
    ("CBFBM", "t.household_code", "t"), ("SRFMC", "r.name", "t"),
    ("SRFZJHM", "r.credit_code", "t"),
    ("LZFS", "CASE t.mode WHEN 'lease' THEN '出租（转包）' WHEN 'shares' THEN '入股' "
             "ELSE '其他' END", "t"),
    ("LZQXKSRQ", "lower(t.term)", "d"), ("LZQXJSRQ", "upper(t.term) - 1", "d"),
    ("LZMJ", "t.area_m2::float8", "f"), ("LZMJM", _mu("t.area_m2"), "f"),
    ("LZDKS", "cardinality(t.parcel_codes)", "i"),
    ("LZHDYT", "CASE t.land_use WHEN 'livestock' THEN '3' WHEN 'aquaculture' THEN '4' "
               "ELSE '1' END", "t"),
    ("LZJGSM", "format('%s 元/亩·年，年租金 %s 元；%s', t.price, t.annual_rent_yuan, "
               "t.payment_schedule)", "t"),
    ("HTQDRQ", "(greatest(t.household_signed_at, t.transferee_signed_at) "
               "AT TIME ZONE 'Asia/Shanghai')::date", "d"),
), "FROM transfer_contracts t JOIN transferees r ON r.id = t.transferee_id "
   "WHERE t.status = 'filed' AND t.county_code = :county AND t.household_code LIKE :prefix "
   "ORDER BY t.code")

ATTRIBUTE_TABLES = (FBF, CBF, CBF_JTCY, CBHT, CBDKXX, CBJYQZ, LZHT)
