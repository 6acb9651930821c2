"""Quality rules in words (issue 19): numbers as people write them, GEOS's reason for an invalid
outline in Chinese with its location kept, English left as GEOS wrote it."""
from landrights.survey import words


def test_numbers_are_written_as_people_write_them():
    assert words.number(10000000) == "10,000,000" and words.number(1.0) == "1"
    assert words.number(0.5) == "0.5" and words.number(15000) == "15,000"


def test_an_invalid_outline_is_explained_in_chinese_where_it_is():
    assert words.geometry_reason("Self-intersection[125.6 42.79]") == "自相交[125.6 42.79]"
    assert words.geometry_reason("Ring Self-intersection[1 2]") == "环自相交[1 2]"
    assert words.geometry_reason("Self-intersection[1 2]", "en") == "Self-intersection[1 2]"
    assert words.geometry_reason("something new") == "something new"
