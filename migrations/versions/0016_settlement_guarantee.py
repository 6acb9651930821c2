"""the settlement guarantee in the database: notice from the day of filing; G4 in any order

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

Issue 17 §1 (DESIGN.md G3, G4; R1.14, R6.7):

1. The written notice is dated by the filing (China Standard Time, the day people write): a
   request filed in the app is notice given that day; an officer records the date on the holder's
   signed paper, never after the filing and at most 30 days before it (rights.rules.PAPER_NOTICE_DAYS).
   The six months (ck_withdrawals_six_months_notice) run from that date. A withdrawal takes effect
   on its date or later, never ahead of it; the county's finding carries its note.
2. G4 holds whatever the order of recording. lr_settled_since() says whether a person who belonged
   to the household at some time from the window's first day on (the window, setting
   withdrawal_review_days, before the earlier of notice and filing) settled on or after that day.
   - a withdrawal filed after such a settlement is flagged 'pending' on INSERT;
   - recording a settlement flags every waiting ('requested', review 'none') withdrawal of each
     household the person belonged to;
   - a withdrawal reaches 'effective' only if no such settlement exists or the county found it
     voluntary; checked at that moment (a member who joined after the filing counts too);
   - a withdrawal is filed as 'requested' and unreviewed; the review moves only none -> pending ->
     voluntary | not_voluntary.
   The triggers of both tables take the same advisory lock per household, so a settlement and a
   filing or an effect recorded at the same moment are serialized: the later one sees the other.
Rows an existing database holds that break a new CHECK are neither changed nor deleted: the CHECK
is added NOT VALID (it binds every new or changed row), the migration logs how many and the query
listing them (as in 0015). A cancelled request is exempt from the notice CHECKs, so an old
back-dated request can still be cancelled by its holder, but never take effect. Waiting withdrawals
that the new G4 rule catches are flagged 'pending' here (logged).
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

FILED_ON = "(requested_at AT TIME ZONE 'Asia/Shanghai')::date"
CHECKS = [  # (name without the ck_withdrawals_ prefix, expression); as on rights.models.Withdrawal
    ("notice_not_after_filing", f"status = 'cancelled' OR notice_on <= {FILED_ON}"),
    ("in_app_notice_on_filing",
     f"status = 'cancelled' OR request_method <> 'holder' OR notice_on = {FILED_ON}"),
    ("paper_notice_recent", f"status = 'cancelled' OR notice_on >= {FILED_ON} - 30"),
    ("effect_on_its_date", "status <> 'effective' OR (effected_at IS NOT NULL AND "
                           "(effected_at AT TIME ZONE 'Asia/Shanghai')::date >= effective_on)"),
    ("review_noted", "review NOT IN ('voluntary', 'not_voluntary') OR review_note IS NOT NULL"),
]

FUNCTIONS = r"""
CREATE FUNCTION lr_review_since(notice_on date, requested_at timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
    -- G4: the review window's first day, the window's length before the earlier of the notice and
    -- the filing (China Standard Time); it has no end while the withdrawal waits
    SELECT least(notice_on, (requested_at AT TIME ZONE 'Asia/Shanghai')::date)
           - coalesce((SELECT value::integer FROM settings WHERE key = 'withdrawal_review_days'), 180)
$$;

CREATE FUNCTION lr_settled_since(county text, household text, since date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    -- G4: did a person who belonged to the household on `since` or later (whatever the household
    -- is now: moved out, joined after) settle in a town on `since` or later?
    SELECT EXISTS (
        SELECT 1 FROM households h
          JOIN household_members m ON m.household_id = h.id
          JOIN settlements s ON s.person_id = m.person_id
         WHERE h.county_code = county AND h.code = household AND s.settled_on >= since
           AND (m.valid_to IS NULL OR (m.valid_to AT TIME ZONE 'Asia/Shanghai')::date >= since))
$$;

CREATE FUNCTION lr_withdrawal_guarantee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND (NEW.status <> 'requested' OR NEW.review NOT IN ('none', 'pending')) THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'withdrawals_filed_as_requested',
            TABLE = 'withdrawals', MESSAGE = 'a withdrawal is filed as a request, not yet reviewed (G3, G4)';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.review IS DISTINCT FROM OLD.review
       AND (OLD.review, NEW.review) NOT IN (('none', 'pending'), ('pending', 'voluntary'),
                                            ('pending', 'not_voluntary')) THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'withdrawals_review_order',
            TABLE = 'withdrawals', MESSAGE = format('withdrawal %s: review %s -> %s refused; it moves '
            'none -> pending -> voluntary or not_voluntary (G4)', OLD.id, OLD.review, NEW.review);
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.status = 'effective' AND OLD.status <> 'effective') THEN
        -- the same lock as lr_settlement_flags_withdrawals: one of the two sees the other
        PERFORM pg_advisory_xact_lock(hashtextextended('lr_withdrawal_review:' || NEW.household_code, 0));
        IF NEW.review = 'none' AND lr_settled_since(NEW.county_code, NEW.household_code,
                                                    lr_review_since(NEW.notice_on, NEW.requested_at)) THEN
            NEW.review := 'pending';  -- a filing waits for the county; an effect is refused below
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.review IN ('pending', 'not_voluntary') THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'withdrawals_settlement_review',
                TABLE = 'withdrawals', MESSAGE = format('withdrawal %s of household %s: a member settled '
                'in a town within the review window; it takes effect only once the county finds it '
                'voluntary (G4)', NEW.id, NEW.household_code);
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION lr_settlement_flags_withdrawals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    household record;
BEGIN
    -- G4 whatever the order: every household the person belonged to, locked in code order
    FOR household IN
        SELECT DISTINCT h.county_code, h.code FROM households h
          JOIN household_members m ON m.household_id = h.id
         WHERE m.person_id = NEW.person_id ORDER BY h.code
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('lr_withdrawal_review:' || household.code, 0));
        UPDATE withdrawals w SET review = 'pending'
         WHERE w.county_code = household.county_code AND w.household_code = household.code
           AND w.status = 'requested' AND w.review = 'none'
           AND lr_settled_since(w.county_code, w.household_code,
                                lr_review_since(w.notice_on, w.requested_at));
    END LOOP;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER withdrawals_guarantee BEFORE INSERT OR UPDATE ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION lr_withdrawal_guarantee();
CREATE TRIGGER settlements_flag_withdrawals AFTER INSERT ON settlements
    FOR EACH ROW EXECUTE FUNCTION lr_settlement_flags_withdrawals();
"""

FLAG_WAITING = """
UPDATE withdrawals SET review = 'pending'
 WHERE status = 'requested' AND review = 'none'
   AND lr_settled_since(county_code, household_code, lr_review_since(notice_on, requested_at))
"""


def _add_check(conn, name: str, expression: str) -> None:
    """Add the CHECK; validate it unless existing rows break it, which are reported, not changed."""
    constraint = f"ck_withdrawals_{name}"
    op.execute(f"ALTER TABLE withdrawals ADD CONSTRAINT {constraint} CHECK ({expression}) NOT VALID")
    broken = conn.scalar(sa.text(f"SELECT count(*) FROM withdrawals WHERE NOT ({expression})"))
    if broken:
        log.warning("withdrawals: %s row(s) break %s; it refuses new and changed rows only (a "
                    "cancelled request is exempt from the notice checks). List them with SELECT * "
                    "FROM withdrawals WHERE NOT (%s); once resolved, run ALTER TABLE withdrawals "
                    "VALIDATE CONSTRAINT %s.", broken, constraint, expression, constraint)
    else:
        op.execute(f"ALTER TABLE withdrawals VALIDATE CONSTRAINT {constraint}")


def upgrade() -> None:
    conn = op.get_bind()
    op.execute(FUNCTIONS)
    flagged = conn.execute(sa.text(FLAG_WAITING)).rowcount
    if flagged:
        log.warning("withdrawals: %s waiting request(s) of a household with a settlement in the review "
                    "window are now flagged for the county's review (G4).", flagged)
    op.execute(TRIGGERS)
    for name, expression in CHECKS:
        _add_check(conn, name, expression)


def downgrade() -> None:
    for name, _expression in reversed(CHECKS):
        op.execute(f"ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_{name}")
    op.execute("DROP TRIGGER settlements_flag_withdrawals ON settlements")
    op.execute("DROP TRIGGER withdrawals_guarantee ON withdrawals")
    op.execute("DROP FUNCTION lr_settlement_flags_withdrawals()")
    op.execute("DROP FUNCTION lr_withdrawal_guarantee()")
    op.execute("DROP FUNCTION lr_settled_since(text, text, date)")
    op.execute("DROP FUNCTION lr_review_since(date, timestamptz)")
