"""ID numbers in conflict: a hand-up package may list one ID number in two households

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

A county's package lists, now and then, one ID number in two households: the same person listed
twice, or two people of whom one carries a mistyped number. Both households enter as registered
(issue 18: every household logs in and sees what was registered); the conflict is reported and
cannot be abused.

1. persons.id_conflict_of: a listing of a number the registry already holds for another person
   enters as a person row of its own, marked as a conflicting duplicate of the registry's person
   (the first listing by household code, or the person already registered). The unique constraint
   on (county, document type, number) becomes a partial unique index of the same name over the
   rows that are not such duplicates: one identity per number, as before.
2. A duplicate is never an identity (lr_person_in_conflict_refused): no account, collective
   membership, share holding, share transfer, settlement, withdrawal or transferee identity may
   name it (SQLSTATE 23514, constraint person_in_conflict). It may be a household member and a
   household's representative: that is what was registered.
3. lr_person_conflict_check (a constraint trigger, deferrable, so a correction that hands a number
   over from one row to another can run its steps in any order): a duplicate points at a person
   that is no duplicate and holds the same county, document type and number; a person becomes a
   duplicate only while nothing above names it (person_identity_in_use). The guard reads the
   person FOR SHARE, which a transaction updating the person waits for and which waits for it:
   an account linked at the moment its person becomes a duplicate cannot slip between them.
4. The hand-up rule handup_person_two_households becomes a warning for the same name in two
   households ("decide which household they belong to"); handup_id_number_shared, a warning, for
   different names under one number ("correct the number of one of them"). The same number twice
   in one household stays critical (handup_duplicate).
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# the tables whose rows speak for a person, and their person columns
IDENTITY_COLUMNS = {
    "users": ("person_id",), "memberships": ("person_id",), "settlements": ("person_id",),
    "share_holdings": ("person_id",), "share_transfers": ("from_person_id", "to_person_id"),
    "withdrawals": ("share_person_id",), "transferee_identities": ("person_id",),
}
_IN_USE = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {column} = NEW.id)"
                      for table, columns in IDENTITY_COLUMNS.items() for column in columns)

GUARD_FUNCTION = r"""
CREATE FUNCTION lr_person_in_conflict_refused() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
    person bigint;
    conflict bigint;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        person := (to_jsonb(NEW) ->> col)::bigint;
        CONTINUE WHEN person IS NULL;
        -- FOR SHARE (not KEY SHARE, which passes a non-key update and reads the old row): waits
        -- for a transaction making this person a duplicate and reads what it wrote; and a
        -- transaction doing so waits for this one, then sees the row naming the person
        SELECT p.id_conflict_of INTO conflict FROM persons p WHERE p.id = person FOR SHARE;
        IF conflict IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'person_in_conflict',
                TABLE = TG_TABLE_NAME, COLUMN = col,
                MESSAGE = format('person %s is a listing of an ID number in conflict (a duplicate '
                                 'of person %s): %s.%s may not name it', person, conflict,
                                 TG_TABLE_NAME, col);
        END IF;
    END LOOP;
    RETURN NEW;
END $$;
"""

CHECK_FUNCTION = rf"""
CREATE FUNCTION lr_person_conflict_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id_conflict_of IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM persons t WHERE t.id = NEW.id_conflict_of AND t.id_conflict_of IS NULL
        AND (t.county_code, t.id_type, t.id_number)
            = (NEW.county_code, NEW.id_type, NEW.id_number)) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'persons_id_conflict_target',
            TABLE = 'persons', MESSAGE = format('person %s: a duplicate points at the person '
            'holding its number, who is no duplicate (not person %s)', NEW.id, NEW.id_conflict_of);
    END IF;
    IF EXISTS (SELECT 1 FROM persons d WHERE d.id_conflict_of = NEW.id
               AND (NEW.id_conflict_of IS NOT NULL OR (d.county_code, d.id_type, d.id_number)
                    IS DISTINCT FROM (NEW.county_code, NEW.id_type, NEW.id_number))) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'persons_id_conflict_target',
            TABLE = 'persons', MESSAGE = format('person %s: its duplicates must point at the '
            'person now holding the number', NEW.id);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id_conflict_of IS NULL AND NEW.id_conflict_of IS NOT NULL THEN
        IF {_IN_USE} THEN
            RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'person_identity_in_use',
                TABLE = 'persons', MESSAGE = format('person %s is named by an account, a '
                'membership, shares, a settlement, a withdrawal or a transferee identity: it '
                'cannot become a duplicate', NEW.id);
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""


def _rules_0017():
    """Return migration 0017's hand-up rules (the rule this one changes, as it was)."""
    path = Path(__file__).with_name("0017_handup_import.py")
    spec = importlib.util.spec_from_file_location("landrights_migration_0017", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {r[0]: r for r in module.RULES}


_CODE18 = "'^[0-9]{18}$'"
# every listing of a number after its first (by household code), or every listing of a number the
# registry holds for a live member of a household this package does not hold; {same} picks the
# listings naming the same person as the first (or a different one)
_LISTINGS = f"""
WITH listed AS (
    SELECT row_no, cbfbm, cyxm, id_type, cyzjhm, shown FROM hu_jtcy
    WHERE cbfbm ~ {_CODE18} AND cyzjhm IS NOT NULL AND id_type IS NOT NULL),
registered AS (
    SELECT DISTINCT ON (p.id_type, p.id_number) p.id_type, p.id_number, h.code, p.name
    FROM persons p JOIN household_members m ON m.person_id = p.id AND m.valid_to IS NULL
    JOIN households h ON h.id = m.household_id
    WHERE p.county_code = :county AND (p.id_type, p.id_number) IN (SELECT id_type, cyzjhm FROM listed)
      AND NOT EXISTS (SELECT 1 FROM hu_cbf c WHERE c.cbfbm = h.code)
    ORDER BY p.id_type, p.id_number, p.id_conflict_of IS NOT NULL, h.code),
firsts AS (
    SELECT DISTINCT ON (id_type, cyzjhm) id_type, cyzjhm, cbfbm, cyxm FROM listed
    ORDER BY id_type, cyzjhm, cbfbm, row_no),
pairs AS (
    SELECT l.row_no, l.cbfbm, l.cyxm, l.shown, coalesce(r.code, f.cbfbm) AS other,
           coalesce(r.name, f.cyxm) AS other_name
    FROM listed l JOIN firsts f ON f.id_type = l.id_type AND f.cyzjhm = l.cyzjhm
    LEFT JOIN registered r ON r.id_type = l.id_type AND r.id_number = l.cyzjhm)
SELECT 'CBF_JTCY', row_no, cbfbm || ' ' || shown, cbfbm, jsonb_build_object('code', cbfbm,
       'name', cyxm, 'id', shown, 'other', other, 'other_name', other_name)
FROM pairs WHERE other <> cbfbm AND cyxm IS {{same}} other_name"""

# (id, target, severity, rule_ref, description zh, en, message zh, en, body, params), as 0017
RULES = [
    ("handup_person_two_households", "CBF_JTCY", "warning", "R1.3",
     "一个人只列在一户中（同名同号列在两户时两户均入库并报告）",
     "A person is listed in one household (the same name and number in two households: both "
     "enter, and it is reported)",
     "{name}（{id}）同时列在承包方 {code} 和 {other} 中：是同一人列在两户。两户均按登记入库，"
     "请确定其属于哪一户",
     "{name} ({id}) is listed in household {code} and in {other}: the same person listed in two "
     "households. Both enter as registered; decide which household they belong to",
     _LISTINGS.replace("{same}", "NOT DISTINCT FROM"), {}),
    ("handup_id_number_shared", "CBF_JTCY", "warning", "R4.26",
     "一个证件号码只属于一个人（两个不同姓名共用一个号码时两户均入库并报告）",
     "An ID number belongs to one person (two names under one number: both households enter, "
     "and it is reported)",
     "承包方 {code} 的 {name} 与承包方 {other} 的 {other_name} 证件号码同为 {id}：两人共用一个号码。"
     "两户均按登记入库，该号码暂不能用于身份核验，请更正其中一人的号码",
     "{name} of household {code} and {other_name} of household {other} share the ID number {id}: "
     "two people share one ID number. Both households enter as registered and the number cannot "
     "be used to verify anyone until then; correct the number of one of them",
     _LISTINGS.replace("{same}", "DISTINCT FROM"), {}),
]
_COLUMNS = ("id", "moment", "target", "severity", "rule_ref", "description_zh", "description_en",
            "message_zh", "message_en", "body")


def _put_rule(rule: tuple) -> None:
    values = dict(zip(_COLUMNS, (rule[0], "handup", *rule[1:9]), strict=True))
    op.get_bind().execute(sa.text(
        "INSERT INTO quality_rules (id, moment, target, severity, rule_ref, description_zh, "
        "description_en, message_zh, message_en, kind, body, params) VALUES (:id, :moment, "
        ":target, :severity, :rule_ref, :description_zh, :description_en, :message_zh, "
        ":message_en, 'sql', :body, CAST(:params AS jsonb)) ON CONFLICT (id, moment) DO UPDATE "
        "SET target = EXCLUDED.target, severity = EXCLUDED.severity, rule_ref = EXCLUDED.rule_ref, "
        "description_zh = EXCLUDED.description_zh, description_en = EXCLUDED.description_en, "
        "message_zh = EXCLUDED.message_zh, message_en = EXCLUDED.message_en, "
        "body = EXCLUDED.body, params = EXCLUDED.params"),
        {**values, "body": values["body"].strip(), "params": "{}"})


def upgrade() -> None:
    op.add_column("persons", sa.Column(
        "id_conflict_of", sa.BigInteger(), nullable=True,
        comment="a listing of an ID number the registry holds for this other person: never an "
                "identity (migration 0020)"))
    op.create_foreign_key(op.f("fk_persons_id_conflict_of_persons"), "persons", "persons",
                          ["id_conflict_of"], ["id"], ondelete="RESTRICT")
    op.create_check_constraint(op.f("ck_persons_id_conflict_not_self"), "persons",
                               "id_conflict_of <> id")
    op.drop_constraint("uq_persons_county_code_id_type_id_number", "persons", type_="unique")
    op.create_index("uq_persons_county_code_id_type_id_number", "persons",
                    ["county_code", "id_type", "id_number"], unique=True,
                    postgresql_where=sa.text("id_conflict_of IS NULL"))
    op.create_index("ix_persons_id_conflict_of", "persons", ["id_conflict_of"],
                    postgresql_where=sa.text("id_conflict_of IS NOT NULL"))
    op.execute(GUARD_FUNCTION)
    for table, columns in IDENTITY_COLUMNS.items():
        when = " OR ".join(f"NEW.{c} IS NOT NULL" for c in columns)
        op.execute(f"CREATE TRIGGER {table}_person_not_in_conflict BEFORE INSERT OR UPDATE OF "
                   f"{', '.join(columns)} ON {table} FOR EACH ROW WHEN ({when}) "
                   f"EXECUTE FUNCTION lr_person_in_conflict_refused({', '.join(columns)})")
    op.execute(CHECK_FUNCTION)
    op.execute("CREATE CONSTRAINT TRIGGER persons_id_conflict_insert AFTER INSERT ON persons "
               "DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW WHEN (NEW.id_conflict_of IS NOT NULL) "
               "EXECUTE FUNCTION lr_person_conflict_check()")
    op.execute("CREATE CONSTRAINT TRIGGER persons_id_conflict_update AFTER UPDATE OF "
               "id_conflict_of, county_code, id_type, id_number ON persons "
               "DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW "
               "EXECUTE FUNCTION lr_person_conflict_check()")
    for rule in RULES:
        _put_rule(rule)


def downgrade() -> None:
    held = op.get_bind().scalar(sa.text("SELECT count(*) FROM persons WHERE id_conflict_of "
                                        "IS NOT NULL"))
    if held:
        raise RuntimeError(f"{held} person rows are listings of ID numbers in conflict; resolve "
                           "them (`landrights conflicts`) before going back below migration 0020")
    op.execute("DELETE FROM quality_rule_switches WHERE rule_id = 'handup_id_number_shared' "
               "AND moment = 'handup'")
    op.execute("DELETE FROM quality_rules WHERE id = 'handup_id_number_shared' "
               "AND moment = 'handup'")
    _put_rule(_rules_0017()["handup_person_two_households"])
    op.execute("DROP TRIGGER persons_id_conflict_update ON persons")
    op.execute("DROP TRIGGER persons_id_conflict_insert ON persons")
    op.execute("DROP FUNCTION lr_person_conflict_check()")
    for table in IDENTITY_COLUMNS:
        op.execute(f"DROP TRIGGER {table}_person_not_in_conflict ON {table}")
    op.execute("DROP FUNCTION lr_person_in_conflict_refused()")
    op.drop_index("ix_persons_id_conflict_of", table_name="persons")
    op.drop_index("uq_persons_county_code_id_type_id_number", table_name="persons")
    op.create_unique_constraint("uq_persons_county_code_id_type_id_number", "persons",
                                ["county_code", "id_type", "id_number"])
    op.drop_constraint(op.f("ck_persons_id_conflict_not_self"), "persons", type_="check")
    op.drop_constraint(op.f("fk_persons_id_conflict_of_persons"), "persons", type_="foreignkey")
    op.drop_column("persons", "id_conflict_of")
