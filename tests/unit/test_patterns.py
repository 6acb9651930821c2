"""The shape of every code is stated once (landrights/patterns.py, issue 21 §4): in ASCII digits,
matched whole, and read by the models' CHECK constraints, the services and the input schemas."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from landrights import models, patterns  # noqa: F401  (models: every table in the metadata)
from landrights.db import Base
from landrights.errors import ValidationFailed

SHAPES = {name: value for name, value in vars(patterns).items() if isinstance(value, patterns.Shape)}


@pytest.mark.parametrize("shape, good, bad", [
    (patterns.HOUSEHOLD, "220421101201010001", ["22042110120101000", "2204211012010100011",
                                                "220421101201010001\n",  # Python's $ lets it through
                                                "٢٢٠٤٢١١٠١٢٠١٠١٠٠٠١",  # Arabic-Indic digits: \d matches them
                                                " 220421101201010001", None]),
    (patterns.PARCEL, "2204211012010100001", ["220421101201010001", "220421101201010000X"]),
    (patterns.CONTRACT, "220421101201010001J", ["220421101201010001", "220421101201010001X"]),
    (patterns.AREA, "220421101", ["2204211", "22042110120", ""]),
    (patterns.USERNAME, "wang_dy", ["ab", "王大勇", "a" * 65]),
])
def test_a_shape_matches_the_whole_text_in_ascii_digits(shape, good, bad):
    assert shape.matches(good)
    assert not any(shape.matches(value) for value in bad)


def test_a_refused_code_names_the_field_and_the_rule():
    with pytest.raises(ValidationFailed) as refused:
        patterns.HOUSEHOLD.check("2204", "household_code")
    assert (refused.value.field, refused.value.rule) == ("household_code", "R4.6")


def test_every_check_of_a_code_reads_its_shape_from_patterns():
    texts = {shape.anchored for shape in SHAPES.values()}
    own = {c.name for table in Base.metadata.tables.values() for c in table.constraints
           if isinstance(c, sa.CheckConstraint) and "[0-9]{" in str(c.sqltext)
           and not any(f"'{shape}'" in str(c.sqltext) for shape in texts)}
    # shapes stated once, in their one CHECK, and read nowhere else: an admin unit's code (6, 9, 12 or
    # 14 digits), the ID card's sex digit, a member's relation code, the real estate unit number, a
    # signing key's id
    assert own == {"ck_admin_units_code_shape", "ck_persons_id_card_sex",
                   "ck_household_members_relation_code", "ck_homesteads_real_estate_unit_shape",
                   "ck_signing_keys_key_id_shape"}
