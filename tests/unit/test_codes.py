"""Code values by their names (issue 19: land use and soil grade appeared as "013" and "04"):
the NY/T 2539 / GB/T 21010 tables of landrights/registry/codes.py (R4.21–R4.24, R4.31)."""
from landrights.registry import codes, rules
from landrights.survey.rules import CODE_TABLES


def test_each_field_names_its_codes_in_both_languages():
    assert codes.name_of("TDLYLX", "013") == "旱地" and codes.name_of("TDLYLX", "0103") == "旱地"
    assert codes.name_of("DLDJ", "04") == "四等地" and codes.name_of("DLDJ", "04", "en") == "grade 4 land"
    assert codes.name_of("TDYT", "1") == "种植业" and codes.name_of("TDYT", "1", "en") == "crop farming"
    assert codes.name_of("DKLB", "10") == "承包地块" and codes.name_of("SYQXZ", "31") == "村民小组"


def test_an_unknown_or_missing_code_is_shown_as_it_is():
    assert codes.name_of("TDLYLX", "999") == "999" and codes.name_of("DLDJ", None) == ""


def test_the_tables_cover_every_code_the_import_accepts():
    for field in ("SYQXZ", "DKLB", "DLDJ", "TDYT"):  # R4.21-R4.24: every accepted code has a name
        assert CODE_TABLES[field] <= set(codes.TABLES[field]), field


def test_relations_and_remarks_show_the_name_only():
    assert rules.code_label(rules.RELATIONS, "02") == "户主"
    assert rules.code_label(rules.MEMBER_REMARKS, "1") == "外嫁女"
    assert rules.code_label(rules.RELATIONS, "96") == "96" and rules.code_label(rules.RELATIONS, None) == ""


def test_the_standard_field_names_are_named_for_people():
    assert codes.field_name("DKMC") == "地块名称" and codes.field_name("dkmc", "en") == "parcel name"
    assert codes.field_name("XYZ") == "XYZ"
