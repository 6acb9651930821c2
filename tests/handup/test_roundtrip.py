"""Round trip (issue 18 §2): `landrights export` of the imported village, read back by the
importer's own reader, holds the same FBF, CBF, CBF_JTCY, CBHT, CBDKXX and CBJYQZ rows as the
package, on the fields both carry."""
from decimal import Decimal

import pytest

from landrights.accounts.permissions import SYSTEM
from landrights.handup import fields
from landrights.handup.package import accept, read_rows
from landrights.survey.export import export_package
from tests.handup.conftest import import_package
from tests.handup.packages import corrected, sample_tables, write_package

TABLES = ("FBF", "CBF", "CBF_JTCY", "CBHT", "CBDKXX", "CBJYQZ")


def _rows(tables: dict, table: str, names: list[str]) -> set[tuple]:
    """Return a table's rows on the given fields, as the importer stages them (numbers to 2
    places: the registry keeps m² to the cent)."""
    rows = set()
    for n, raw in enumerate(tables.get(table, []), 1):
        staged = dict(zip(fields.columns(table), fields.stage_row(table, n, raw), strict=False))
        rows.add(tuple(round(v, 2) if isinstance(v, Decimal) else v
                       for v in (staged[name.lower()] for name in names)))
    return rows


@pytest.mark.parametrize("file_format", ["gpkg", "shp"])
def test_export_of_an_imported_village_holds_the_package_rows(clean_app, clean_session, tmp_path,
                                                              file_format):
    tables = corrected(sample_tables())
    if file_format == "shp":  # a GBK shapefile cannot hold 䶮: the county exports a GeoPackage
        for row in tables["CBF_JTCY"]:
            row["CYXM"] = row["CYXM"].replace("䶮", "艳")
    import_package(clean_app, clean_session, write_package(tmp_path / "package", tables),
                   tmp_path)
    out = tmp_path / f"export.{file_format}"
    with clean_app.test_request_context("/?lang=zh"):
        export_package(clean_session, SYSTEM, out, county_code="220421", file_format=file_format)
    back_folder = tmp_path / "back"
    back_folder.mkdir()
    owner = accept(out, back_folder, name=out.name)
    back = {t: read_rows(owner, t) for t in TABLES}
    for table in TABLES:
        names = [f for f in fields.TABLES[table] if f.upper() in tables[table][0]
                 and f.upper() in back[table][0]]
        assert len(names) >= 3, table
        assert _rows(back, table, names) == _rows(tables, table, names), table
        assert len(back[table]) == len(tables[table]), table
