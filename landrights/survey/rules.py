"""Quality rules: run the enabled ones of a moment (SQL over the staging table, or Python over the
whole layer as read: columns and shapely arrays, never a query per parcel), and render findings in
the user's language."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import Geod
from sqlalchemy.orm import Session

from landrights.survey.models import QualityRule, QualityRuleSwitch
from landrights.survey.reader import SurveyFile

# Latin-1 letters and the replacement character in a Chinese survey file mean the DBF was decoded
# with the wrong code page (ECOSYSTEM.md §3.2): "ÕÅÈý" instead of "张三"
_GARBLED = re.compile(r"[\u0080-\u00ff\ufffd]")
TEXT_FIELDS = ("DKMC", "DKDZ", "DKNZ", "DKXZ", "DKBZ", "ZJRXM", "DKBZXX")
# CGCS2000's ellipsoid is GRS80's (a 6378137 m, 1/f 298.257222101): the spheroid PostGIS measures
# geography on for EPSG:4490, so an area here is the area_m2 the registry stores
GEOD = Geod(ellps="GRS80")


@dataclass
class Layer:
    """What the Python rules read: the file as read, its codes, and which rows are usable polygons
    (valid, non-empty Polygon or MultiPolygon: the rows staged with ok)."""

    survey: SurveyFile
    codes: list[str | None]
    ok: np.ndarray

    @cached_property
    def usable(self) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
        """The usable rows, their geometries and one STR tree of them, shared by the pair rules."""
        rows = np.flatnonzero(self.ok)
        geoms = self.survey.geometries[rows]
        return rows, geoms, shapely.STRtree(geoms)

    def finding(self, i: int, params: dict, location=None) -> dict:
        return {"row_no": i + 1, "parcel_code": self.codes[i], "params": params,
                "location": location}


def text_encoding(layer: Layer, params: dict) -> list[dict]:
    """Find text fields decoded with the wrong code page (mojibake): one finding per row."""
    found: dict[int, dict] = {}
    for name in TEXT_FIELDS:
        column = layer.survey.columns.get(name)
        texts = [v for v in column or () if isinstance(v, str)]
        if _GARBLED.search("\n".join(texts)):  # one scan of the whole column first
            _find_garbled(layer, name, column, found)
    return [found[i] for i in sorted(found)]


def _find_garbled(layer: Layer, name: str, column: list, found: dict[int, dict]) -> None:
    """Add a finding for each row not found yet whose NAME field is garbled."""
    for i, value in enumerate(column):
        if i not in found and isinstance(value, str) and _GARBLED.search(value):
            # the garbled characters alone show the mojibake; the rest of the text is the
            # file's and is not echoed (issue 16)
            garbled = "".join(dict.fromkeys(_GARBLED.findall(value)))[:10]
            found[i] = layer.finding(i, {"code": layer.codes[i] or "", "field": name,
                                         "value": garbled})


# NY/T 2539 code tables (R4.21-R4.24, R4.27): the values the parcels table accepts
CODE_TABLES = {
    "SYQXZ": {"10", "30", "31", "32", "33", "34"},
    "DKLB": {"10", "21", "22", "23", "24", "99"},  # both 24 and 99 "other" are seen (R4.22)
    "DLDJ": {f"{grade:02d}" for grade in range(1, 11)},
    "TDYT": {"1", "2", "3", "4", "5"},
    "SFJBNT": {"1", "2", "是", "否"},
}
CODE_WIDTH = {"SYQXZ": 2, "DKLB": 2, "DLDJ": 2, "TDLYLX": 3}
_SHOWN_CODE = re.compile(r"[0-9]{1,4}")


def field_text(name: str, value) -> str | None:
    """Return a field's value as text: stripped, None if blank, 4.0 as '4', and a code-table
    value zero-padded as the standard writes it (DLDJ 4 -> '04')."""
    if value is None:
        return None
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
    if text.isdigit() and name in CODE_WIDTH:
        text = text.zfill(CODE_WIDTH[name])
    return text or None


def code_tables(layer: Layer, params: dict) -> list[dict]:
    """Find attribute values outside the NY/T 2539 code tables: one finding per row."""
    found: dict[int, dict] = {}
    for name, allowed in CODE_TABLES.items():
        column = layer.survey.columns.get(name)
        if column is None:
            continue
        bad = _outside_table(name, allowed, column)
        if not bad:
            continue
        for i, value in enumerate(column):
            if i not in found and value in bad:
                found[i] = layer.finding(i, {"code": layer.codes[i] or "", "field": name,
                                             "value": bad[value]})
    return [found[i] for i in sorted(found)]


def _outside_table(name: str, allowed: set[str], column: list) -> dict:
    """Return {value: what a finding shows} of a column's values outside its code table; a column
    holds few distinct values, so each is judged once."""
    bad = {}
    for value in set(column):
        text = field_text(name, value)
        if text is not None and text not in allowed:
            # a short code is shown; any other text of the file is not echoed (issue 16)
            bad[value] = text if _SHOWN_CODE.fullmatch(text) else "—"
    return bad


def geodesic_area(geometries) -> np.ndarray:
    """Return each geometry's area on the CGCS2000 spheroid in m² (as ST_Area(geography))."""
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) for g in geometries], dtype=float)


def overlap_file(layer: Layer, params: dict) -> list[dict]:
    """Find pairs of the file's parcels whose interiors overlap by more than the tolerance (R4.18):
    boxes from an STR tree, each pair related once ('2********': the interiors share an area, so
    touching neighbours pass and a parcel inside another does not), the overlap measured on the
    spheroid. Both parcels get a finding naming the other."""
    rows, geoms, tree = layer.usable
    a, b = tree.query(geoms)
    a, b = a[a < b], b[a < b]
    related = shapely.relate_pattern(geoms[a], geoms[b], "2********")
    a, b = a[related], b[related]
    shared = shapely.intersection(geoms[a], geoms[b])
    areas = geodesic_area(shared)
    found = []
    for i, j, location, m2 in zip(rows[a], rows[b], shared, areas, strict=True):
        if m2 > float(params.get("tolerance_m2", 1.0)):
            for me, other in ((i, j), (j, i)):
                found.append(layer.finding(me, {"code": layer.codes[me], "other_code":
                                                layer.codes[other], "overlap_m2": round(m2, 2)},
                                           location))
    return found


def gap(layer: Layer, params: dict) -> list[dict]:
    """Find narrow gaps between neighbours (R4.15): pairs closer than max_gap_m on the plane in
    degrees (1 m < 1/80,000 degree here) but not touching, then the geodesic length of their
    shortest line below max_gap_m. The finding goes to the pair's first row."""
    max_gap = float(params.get("max_gap_m", 0.5))
    rows, geoms, tree = layer.usable
    a, b = tree.query(geoms, predicate="dwithin", distance=max_gap / 80000.0)
    a, b = a[a < b], b[a < b]
    apart = shapely.distance(geoms[a], geoms[b]) >= 1e-12
    a, b = a[apart], b[apart]
    found = []
    for i, j, line in zip(rows[a], rows[b], shapely.shortest_line(geoms[a], geoms[b]), strict=True):
        (x0, y0), (x1, y1) = shapely.get_coordinates(line)
        metres = GEOD.inv(x0, y0, x1, y1)[2]
        if metres < max_gap:
            found.append(layer.finding(i, {"code": layer.codes[i], "other_code": layer.codes[j],
                                           "gap_m": round(metres, 2)}, line))
    return found


PYTHON_RULES = {"text_encoding": text_encoding, "code_tables": code_tables,
                "overlap_file": overlap_file, "gap": gap}


@dataclass(frozen=True)
class PythonRule:
    """A Python rule to run, detached from the session (it runs beside the staging COPY)."""

    id: str
    severity: str
    body: str
    params: dict


def run_python_rules(selected: list[PythonRule], layer: Layer) -> list[tuple[PythonRule, list]]:
    """Run Python rules over the layer; return each with its findings. No database, no Flask:
    the import runs this in a thread while PostgreSQL takes the staging COPY (shapely releases
    the GIL in its array functions)."""
    return [(rule, PYTHON_RULES[rule.body](layer, rule.params)) for rule in selected]


# Rules that keep out what the parcels table refuses (its CHECKs, unique keys, column lengths and
# the overlap trigger): switched off, one such parcel would fail the whole import with the
# database's message instead of a finding, so a county cannot switch them off
ALWAYS_ON = frozenset({"code_format", "code_unique_file", "overlap_file", "code_tables", "scmj_range",
                       "area_at_most", "field_lengths"})


def enabled_rules(session: Session, county_code: str, moment: str) -> list[QualityRule]:
    """Return the rules of a moment that the county has not switched off."""
    switched_off = (sa.select(QualityRuleSwitch.rule_id)
                    .where(QualityRuleSwitch.county_code == county_code,
                           QualityRuleSwitch.moment == moment,
                           QualityRuleSwitch.enabled.is_(False),
                           QualityRuleSwitch.rule_id.not_in(ALWAYS_ON)))
    return list(session.scalars(sa.select(QualityRule)
                                .where(QualityRule.moment == moment,
                                       QualityRule.id.not_in(switched_off))
                                .order_by(QualityRule.id)))


def run_sql_rule(session: Session, rule: QualityRule, import_id: int, county_code: str,
                 collective: str) -> int:
    """Run one SQL rule over survey_stage, inserting its findings set-based; return how many."""
    result = session.execute(
        sa.text("INSERT INTO survey_findings (import_id, county_code, row_no, parcel_code, rule_id, "
                "severity, params, location) SELECT :import_id, :county, r.row_no, r.parcel_code, "
                f":rule_id, :severity, r.params, r.location FROM ({rule.body}) "
                "AS r(row_no, parcel_code, params, location)"),
        {"collective": collective, "params": json.dumps(rule.params), "import_id": import_id,
         "county": county_code, "rule_id": rule.id, "severity": rule.severity})
    return result.rowcount


def render(rule: QualityRule | None, params: dict, language: str) -> str:
    """Render a finding's message in zh or en from the rule's template."""
    if rule is None:
        return json.dumps(params, ensure_ascii=False)
    template = rule.message_en if language == "en" else rule.message_zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
