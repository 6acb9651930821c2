"""One input contract per use case (issue 21 §4), the parts every page and API handler share: a form
is loaded through the API's schema (web.actions.form_input), the API document states every code's
shape as landrights/patterns.py does, and every write handler commits once through @db.commits."""
from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest

from landrights import patterns
from landrights.errors import Several, ValidationFailed
from landrights.market.inputs import ListingIn
from landrights.web.actions import form_input

API = Path(__file__).resolve().parents[2] / "landrights" / "api"
GOOD = {"parcel_codes": ["2204211012010100001"], "mode": "lease", "land_use": "grain",
        "term_start": "2027-01-01", "term_end": "2028-12-31", "reserve_price": "450",
        "payment_schedule": "每年一次"}


def _load(app, form: dict, **given):
    with app.test_request_context("/", method="POST", data=form):
        return form_input(ListingIn, **given)


def test_a_form_is_read_as_the_schema_reads_json(app):
    loaded = _load(app, GOOD | {"conditions": "", "reserve_price": " 450 ", "entrustment_id": "7",
                                "parcel_codes": [" 2204211012010100001 ", ""], "csrf_token": "x",
                                "action": "list"}, household_code="220421101201010001")
    assert loaded["reserve_price"] == Decimal("450.00")
    assert loaded["entrustment_id"] == 7  # a whole number, as JSON sends it
    assert loaded["parcel_codes"] == ["2204211012010100001"]  # codes without the spaces around them
    assert "conditions" not in loaded  # a blank field is one left out
    assert "csrf_token" not in loaded and "action" not in loaded  # only the schema's fields


def test_a_form_refused_in_several_fields_names_each_in_the_users_words(app):
    with pytest.raises(Several) as refused:
        _load(app, GOOD | {"term_start": "2027-13-01", "reserve_price": "五百", "mode": "sell",
                           "payment_schedule": ""}, household_code="220421101201010001")
    said = {one.field: str(one.message) for one in refused.value.each}
    assert said == {"term_start": "请按 年-月-日（YYYY-MM-DD）填写日期。", "reserve_price": "请输入数字。",
                    "mode": "请从给出的选项中选择一项。", "payment_schedule": "此项必填。"}


def test_one_refused_field_is_one_refusal(app):
    with pytest.raises(ValidationFailed) as refused:
        _load(app, GOOD, household_code="2204")
    assert not isinstance(refused.value, Several)
    said = (refused.value.field, str(refused.value.message))
    assert said == ("household_code", "承包方编码必须是 18 位数字。")


def _patterns(node) -> set[str]:
    """Return every "pattern" stated anywhere inside a node of the OpenAPI document."""
    found: set[str] = set()
    if isinstance(node, dict):
        found |= {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        node = list(node.values())
    for value in node if isinstance(node, list) else ():
        found |= _patterns(value)
    return found


def test_every_code_the_api_document_names_has_its_shape_from_patterns(client):
    document = client.get("/api/v1/openapi.json").get_json()
    stated = set().union(*(_patterns(v) for v in document["paths"].values()),
                         *(_patterns(v) for v in document["components"]["schemas"].values()))
    shapes = {value.anchored for value in vars(patterns).values() if isinstance(value, patterns.Shape)}
    restated = {p for p in stated - shapes if re.search(r"\{(6|9|14|18|19)\}", p)}
    assert not restated
    assert patterns.HOUSEHOLD.anchored in stated and patterns.PARCEL.anchored in stated


def _commits_by_hand(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.name}:{fn.name}" for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
            for call in ast.walk(fn)
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "db.session.commit"]


def _committing(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(1 for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
               for d in fn.decorator_list if ast.unparse(d) == "db.commits")


def test_every_write_handler_of_the_api_commits_once_through_db_commits():
    files = sorted(API.glob("*.py"))
    # the statement is committed before its PDF is printed: a failed print leaves the issued statement
    assert [c for f in files for c in _commits_by_hand(f)] == ["rights.py:issue_statement"]
    assert sum(_committing(f) for f in files) >= 49
