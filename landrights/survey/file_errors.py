"""The user's message for a survey file the import cannot read: names the field and what was found
in the file, never the file's own text nor GDAL's (issue 16)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from landrights.errors import Formatted, ValidationFailed
from landrights.survey.errors import SurveyFileError

_MESSAGES = {
    "missing_file": _l("The file %(name)s does not exist."),
    "unsupported_type": _l("%(name)s is not a survey file the import reads: send a shapefile as "
                           "a .zip, a GeoPackage (.gpkg) or GeoJSON (.geojson, .json)."),
    "not_what_it_says": _l("%(name)s is not %(expected)s: it holds %(found)s."),
    "broken_zip": _l("The zip archive cannot be read: it is damaged or incomplete."),
    "unsafe_zip": _l("The zip archive holds %(found)s, which the import refuses."),
    "too_big_unpacked": _l("The package unpacks to more than %(mb)s MB: send the survey layer "
                           "alone."),
    "no_layer": _l("No shapefile, GeoPackage or GeoJSON layer was found in the file."),
    "missing_part": _l("The shapefile %(name)s lacks its %(part)s file; send all its parts."),
    "bad_prj": _l("The projection file of %(name)s is not a coordinate system in WKT."),
    "bad_cpg": _l("The code-page file of %(name)s names no known text encoding; it may say "
                  "UTF-8, GBK, GB18030, BIG5 or ISO-8859-1."),
    "not_geopackage": _l("The GeoPackage is not one: it holds %(found)s (a GeoPackage is an "
                         "SQLite file with the GeoPackage application id)."),
    "unsafe_geopackage": _l("The GeoPackage holds %(found)s, which a survey layer never needs: "
                            "export the layer again as a plain GeoPackage."),
    "not_geojson": _l("The GeoJSON file holds %(found)s."),
    "geojson_too_big": _l("The GeoJSON file is larger than %(mb)s MB: send the layer as a zipped "
                          "shapefile or a GeoPackage."),
    "unreadable": _l("The survey layer cannot be read: the file is damaged or not what its name "
                     "says."),
    "unknown_encoding": _l("Unknown text encoding: give one of %(known)s, or leave it empty."),
    "no_crs": _l("%(name)s declares no coordinate system (.prj): give one, e.g. --crs "
                 "EPSG:4530."),
    "unsupported_crs": _l("Coordinate system %(crs)s is not CGCS2000 (EPSG:4490) or a "
                          "CGCS2000 3-degree Gauss-Krüger zone (EPSG:4513-4554)."),
    "no_features": _l("The layer has no features."),
    "not_degrees": _l("The coordinates (x = %(x)s) are not longitude/latitude although the "
                      "CRS is EPSG:4490."),
    "zone_mismatch": _l("EPSG:%(srid)s means eastings with zone prefix %(zone)s, but the "
                        "file's eastings carry %(found)s: try EPSG:%(hint)s."),
    "zone_prefix_unexpected": _l("EPSG:%(srid)s has no zone prefix, but the eastings carry "
                                 "zone %(found)s: try EPSG:%(hint)s."),
}
# what a part was found to hold (intake.sniff and the checks), and what its name promised
_FOUND = {
    "zip": _l("a zip archive"), "sqlite": _l("an SQLite database"), "json": _l("JSON text"),
    "xml": _l("XML text (such as a GDAL VRT)"), "shape": _l("shapefile geometry"),
    "dbf": _l("a dBASE table"), "text": _l("plain text"),
    "binary": _l("binary data of an unknown kind"), "empty": _l("nothing: the file is empty"),
    "members": _l("too many files"),
    "ratio": _l("a file compressed suspiciously far (a zip bomb?)"),
    "path": _l("a file named outside the archive (an absolute or ../ path)"),
    "link": _l("a link or special file"), "encrypted": _l("an encrypted file"),
    "archive": _l("another archive inside it (unpack that first)"),
    "view": _l("a view"), "virtual": _l("a virtual table"), "trigger": _l("a trigger of its own"),
    "generated": _l("a generated column"),
    "broken_json": _l("text that is not valid JSON"),
    "other_json": _l("JSON that is not a GeoJSON Feature or FeatureCollection"),
    "crs_link": _l("a coordinate system given by link rather than by name (such as "
                   "urn:ogc:def:crs:EPSG::4490)"),
}
_EXPECTED = {"zip": _l("a zip archive"), "sqlite": _l("a GeoPackage"), "json": _l("GeoJSON"),
             "shape": _l("shapefile geometry (.shp, .shx)"), "dbf": _l("a dBASE table (.dbf)")}


def file_error(err: SurveyFileError) -> ValidationFailed:
    """Return the user's message for a file that cannot be read."""
    params = dict(err.params)
    if "found" in params and params["found"] in _FOUND:
        params["found"] = _FOUND[params["found"]]
    if "expected" in params:
        params["expected"] = _EXPECTED[params["expected"]]
    rule = "R4.13" if err.field == "crs" else "R4.3"
    return ValidationFailed(Formatted(_MESSAGES[err.key], params), field=err.field, rule=rule)
