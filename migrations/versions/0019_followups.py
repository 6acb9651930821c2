"""loose ends of issues 16 and 17: survey areas in range, accounts linked to one person,
the transferee's address

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

1. Two import quality rules (critical) keep out a parcel whose areas lie outside the range the
   registry holds (migration 0015's CHECKs on parcels, landrights/ranges.py): SCMJ above 0 and at
   most 10 km², SCMJM from 0 to 15,000 mu (scmj_range), and a drawn area at most 10 km²
   (area_at_most). Before, such a parcel failed the whole import with the constraint's message.
   Their bounds are the rule's params, read here from landrights.ranges, so the message names
   the bound the database enforces. A third, field_lengths, keeps out a parcel whose text field is
   longer than its column (the same crash: "value too long"); the value itself is never echoed.
2. One person, one active account (uq_users_person_active): an account linked to its person
   (`landrights users create --person`, `users link`) speaks for the person, so a transferee
   verifies its identity by its own account. Where two active accounts were linked to one person
   before, the link stays on the one a verified identity rests on (else the oldest); the others
   lose it (logged), and their administrator links them anew if they really are the person's.
3. transferees.address: the transferee's domicile as it registers it (editable by it), printed
   in the transfer contract when the officer gives none and the register has none (R1.23(1)).
"""
import logging
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from landrights import ranges

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_PARAM = "(CAST(:params AS jsonb) ->> '{}')::numeric"
_OUT_M2 = f"NOT (surveyed_area_m2 > 0 AND surveyed_area_m2 <= {_PARAM.format('max_m2')})"
_OUT_MU = f"NOT (surveyed_area_mu >= 0 AND surveyed_area_mu <= {_PARAM.format('max_mu')})"
_BOUNDS = "'max_m2', CAST(:params AS jsonb) -> 'max_m2', 'max_mu', CAST(:params AS jsonb) -> 'max_mu'"


def _number(value: Decimal):
    """Return a bound as JSON shows it: 10000000, not 1E+7 or 10000000.00."""
    return int(value) if value == value.to_integral_value() else float(value)


BOUNDS = {"max_m2": _number(ranges.PARCEL_AREA_MAX_M2), "max_mu": _number(ranges.PARCEL_AREA_MU.high)}

# the parcels' text columns (migration 0001) by their NY/T 2539 field names, and their lengths: a
# longer value fails the whole import ("value too long"), so field_lengths keeps that parcel out
TEXT_COLUMNS = {"DKMC": "name", "SYQXZ": "ownership", "DKLB": "category", "TDLYLX": "land_use_type",
                "DLDJ": "soil_grade", "TDYT": "land_use", "DKDZ": "east", "DKNZ": "south", "DKXZ": "west",
                "DKBZ": "north", "ZJRXM": "pointer_name", "DKBZXX": "remark"}
TEXT_LENGTHS = {"DKMC": 100, "SYQXZ": 2, "DKLB": 2, "TDLYLX": 4, "DLDJ": 2, "TDYT": 1, "DKDZ": 100,
                "DKNZ": 100, "DKXZ": 100, "DKBZ": 100, "ZJRXM": 50, "DKBZXX": 200}

# (id, target, severity, rule_ref, description zh/en, message zh/en, kind, body, params), as 0002
RULES = [
    ("scmj_range", "parcel", "critical", "R4.14",
     f"实测面积在登记簿允许的范围内（SCMJ 大于 0、不超过 {BOUNDS['max_m2']} 平方米；SCMJM 为 0 至 "
     f"{BOUNDS['max_mu']} 亩）",
     f"The surveyed areas lie in the range the registry holds (SCMJ above 0 and at most "
     f"{BOUNDS['max_m2']} m²; SCMJM from 0 to {BOUNDS['max_mu']} mu)",
     "地块 {code} 的 {field} 为 {value}，超出允许范围（SCMJ 实测面积须大于 0、不超过 {max_m2} 平方米；"
     "SCMJM 须为 0 至 {max_mu} 亩），该地块未入库，请核对后重新导入",
     "Parcel {code}: {field} is {value}, outside the range the registry holds (SCMJ, the surveyed "
     "area, above 0 and at most {max_m2} m²; SCMJM from 0 to {max_mu} mu). The parcel is kept out: "
     "correct it and import again", "sql", f"""
SELECT row_no, parcel_code,
       jsonb_build_object('code', coalesce(parcel_code, ''), 'field', f, 'value', v, {_BOUNDS}),
       CASE WHEN ok THEN ST_PointOnSurface(geom) END
FROM (SELECT row_no, parcel_code, ok, geom,
             CASE WHEN {_OUT_M2} THEN 'SCMJ' WHEN {_OUT_MU} THEN 'SCMJM' END AS f,
             CASE WHEN {_OUT_M2} THEN surveyed_area_m2::text
                  WHEN {_OUT_MU} THEN surveyed_area_mu::text END AS v
      FROM survey_stage) s
WHERE f IS NOT NULL""", BOUNDS),
    ("area_at_most", "parcel", "critical", "R4.14",
     f"图形面积不超过单个地块的上限（{BOUNDS['max_m2']} 平方米）",
     f"The drawn area is at most a single parcel's limit ({BOUNDS['max_m2']} m²)",
     "地块 {code} 的图形面积为 {area_m2} 平方米，超过单个地块的上限 {max_m2} 平方米，该地块未入库",
     "Parcel {code}: its drawn area is {area_m2} m², above the {max_m2} m² a single parcel may "
     "have. The parcel is kept out", "sql", f"""
SELECT row_no, parcel_code,
       jsonb_build_object('code', coalesce(parcel_code, ''), 'area_m2', round(area_m2::numeric, 2),
                          'max_m2', CAST(:params AS jsonb) -> 'max_m2'),
       ST_PointOnSurface(geom)
FROM survey_stage WHERE ok AND area_m2 > {_PARAM.format('max_m2')}""", {"max_m2": BOUNDS["max_m2"]}),
    ("field_lengths", "parcel", "critical", "R4.18",
     "文字字段不超过登记簿允许的长度", "Text fields fit the lengths the registry holds",
     "地块 {code} 的 {field} 有 {length} 个字符，超过登记簿允许的 {max} 个字符，该地块未入库",
     "Parcel {code}: {field} has {length} characters, more than the {max} the registry holds. The "
     "parcel is kept out", "sql", f"""
SELECT s.row_no, s.parcel_code,
       jsonb_build_object('code', coalesce(s.parcel_code, ''), 'field', v.f, 'length', length(v.value),
                          'max', (CAST(:params AS jsonb) ->> v.f)::int),
       CASE WHEN s.ok THEN ST_PointOnSurface(s.geom) END
FROM survey_stage s
CROSS JOIN LATERAL (VALUES {', '.join(f"('{f}', s.{c})" for f, c in TEXT_COLUMNS.items())}) AS v(f, value)
WHERE length(v.value) > (CAST(:params AS jsonb) ->> v.f)::int""", TEXT_LENGTHS),
]


def _seed_rules() -> None:
    table = sa.table("quality_rules", *(sa.column(c) for c in (
        "id", "moment", "target", "severity", "rule_ref", "description_zh", "description_en",
        "message_zh", "message_en", "kind", "body")), sa.column("params", postgresql.JSONB))
    op.bulk_insert(table, [
        {"id": r[0], "moment": "import", "target": r[1], "severity": r[2], "rule_ref": r[3],
         "description_zh": r[4], "description_en": r[5], "message_zh": r[6], "message_en": r[7],
         "kind": r[8], "body": r[9].strip(), "params": r[10]} for r in RULES])


# a person linked to more than one active account keeps the link that an own-account identity
# rests on, else the oldest account's
_UNLINK_DUPLICATES = """
WITH ranked AS (
    SELECT u.id, row_number() OVER (PARTITION BY u.person_id ORDER BY EXISTS (
               SELECT 1 FROM transferees t JOIN transferee_identities i ON i.transferee_id = t.id
               WHERE t.user_id = u.id AND i.ended_at IS NULL AND i.method = 'own_account') DESC,
           u.id) AS n
    FROM users u WHERE u.is_active AND u.person_id IS NOT NULL)
UPDATE users SET person_id = NULL FROM ranked WHERE users.id = ranked.id AND ranked.n > 1"""


def upgrade() -> None:
    _seed_rules()
    unlinked = op.get_bind().execute(sa.text(_UNLINK_DUPLICATES)).rowcount
    if unlinked:
        log.warning("0019: %s account(s) shared their person with another active account and lost "
                    "the link; link each anew with `landrights users link` if it is the person's",
                    unlinked)
    op.create_index("uq_users_person_active", "users", ["person_id"], unique=True,
                    postgresql_where=sa.text("is_active AND person_id IS NOT NULL"))
    op.add_column("transferees", sa.Column(
        "address", sa.String(length=200), nullable=True,
        comment="住所: domicile as on its licence or ID card, for the contract (R1.23(1)); its own word"))
    op.create_check_constraint(op.f("ck_transferees_address_not_blank"), "transferees",
                               "address IS NULL OR length(trim(address)) > 0")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_transferees_address_not_blank"), "transferees", type_="check")
    op.drop_column("transferees", "address")
    op.drop_index("uq_users_person_active", table_name="users")
    ids = [r[0] for r in RULES]
    op.execute(sa.text("DELETE FROM quality_rule_switches WHERE rule_id = ANY(:ids) "
                       "AND moment = 'import'").bindparams(ids=ids))
    op.execute(sa.text("DELETE FROM quality_rules WHERE id = ANY(:ids) AND moment = 'import'")
               .bindparams(ids=ids))
