"""The ownership tables' fields the import reads (NY/T 2539, R4.17-R4.20) and how each value is
read: codes, text, dates, numbers, whatever the package's format made of them (an Access text,
a DBF float, a GeoPackage date). Pure: no database, no Flask.

Each table is staged with these columns (lower-case standard names) and ``row_no``; a column the
package lacks is staged as NULL. Field names are matched in any case.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from landrights.registry import rules as registry_rules

# staged name -> how it is read: code (text, 4.0 as '4'), text, int, num (Decimal), date
TABLES: dict[str, dict[str, str]] = {
    "FBF": {"fbfbm": "code", "fbfmc": "text", "fbffzrxm": "text", "fzrzjlx": "code",
            "fzrzjhm": "code", "lxdh": "code", "fbfdz": "text", "yzbm": "code", "fbfdcrq": "date"},
    "CBF": {"cbfbm": "code", "cbflx": "code", "cbfmc": "text", "cbfzjlx": "code", "cbfzjhm": "code",
            "cbfdz": "text", "yzbm": "code", "lxdh": "code", "cbfcysl": "int", "cbfdcrq": "date",
            "cbfdcy": "text"},
    "CBF_JTCY": {"cbfbm": "code", "cyxm": "text", "cyxb": "code", "cyzjlx": "code",
                 "cyzjhm": "code", "yhzgx": "code", "sfgyr": "code", "cybz": "code",
                 "cybzsm": "text"},
    "CBHT": {"cbhtbm": "code", "ycbhtbm": "code", "fbfbm": "code", "cbfbm": "code",
             "cbfs": "code", "cbqxq": "date", "cbqxz": "date", "htzmj": "num", "cbdkzs": "int",
             "qdsj": "date", "yhtzmj": "num"},
    "CBDKXX": {"dkbm": "code", "fbfbm": "code", "cbfbm": "code", "cbjyqqdfs": "code",
               "htmj": "num", "cbhtbm": "code", "cbjyqzbm": "code", "yhtmj": "num"},
    "CBJYQZDJB": {"cbjyqzbm": "code", "fbfbm": "code", "cbfbm": "code", "cbfs": "code",
                  "cbqxq": "date", "cbqxz": "date", "cbjyqzlsh": "code", "djbfj": "text",
                  "dbr": "text", "djsj": "date"},
    "CBJYQZ": {"cbjyqzbm": "code", "fzjg": "text", "fzrq": "date", "cbjyqzlsh": "code"},
    "CBJYQZ_QZBF": {"cbjyqzbm": "code", "bfyy": "text", "bfrq": "date"},
    "CBJYQZ_QZHF": {"cbjyqzbm": "code", "hfyy": "text", "hfrq": "date"},
    "CBJYQZ_QZZX": {"cbjyqzbm": "code", "zxyy": "text", "zxrq": "date"},
}
# the staging table of each (temporary, dropped at commit)
STAGE = {"FBF": "hu_fbf", "CBF": "hu_cbf", "CBF_JTCY": "hu_jtcy", "CBHT": "hu_cbht",
         "CBDKXX": "hu_cbdkxx", "CBJYQZDJB": "hu_djb", "CBJYQZ": "hu_qz", "CBJYQZ_QZBF": "hu_bf",
         "CBJYQZ_QZHF": "hu_hf", "CBJYQZ_QZZX": "hu_zx"}
# columns derived while staging a member row: the ID document's type and sex as numbers, the
# birth date a valid citizen ID number carries, and the number as the report may show it
JTCY_DERIVED = {"id_type": "int2", "sex": "int2", "birth_date": "date", "shown": "text"}
_SQL_TYPES = {"code": "text", "text": "text", "int": "int8", "num": "numeric", "date": "date"}
# code-table fields written with leading zeros (YHZGX '02', R4.29)
_WIDTH = {"yhzgx": 2}
_DATE_TEXT = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})")


def ddl(table: str) -> str:
    """Return the CREATE TEMP TABLE statement staging an NY/T table."""
    columns = [f"{name} {_SQL_TYPES[kind]}" for name, kind in TABLES[table].items()]
    if table == "CBF_JTCY":
        columns += [f"{name} {kind}" for name, kind in JTCY_DERIVED.items()]
    return (f"CREATE TEMP TABLE {STAGE[table]} (row_no int PRIMARY KEY, {', '.join(columns)}, "
            "out boolean NOT NULL DEFAULT false, fate text) ON COMMIT DROP")


def columns(table: str) -> list[str]:
    """Return the staged columns of a table in COPY order (row_no first)."""
    names = ["row_no", *TABLES[table]]
    return names + list(JTCY_DERIVED) if table == "CBF_JTCY" else names


def copy_types(table: str) -> list[str]:
    """Return the binary COPY types of columns(table)."""
    kinds = ["int4", *(_SQL_TYPES[k] for k in TABLES[table].values())]
    return kinds + list(JTCY_DERIVED.values()) if table == "CBF_JTCY" else kinds


def read_value(kind: str, value, name: str = ""):
    """Return a package value as the staging column of its kind holds it (None if unreadable)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    reader = {"code": _code, "text": _text, "int": _int, "num": _num, "date": _date}[kind]
    result = reader(value)
    if result is not None and name in _WIDTH and result.isdigit():
        result = result.zfill(_WIDTH[name])
    return result


def _code(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _text(value):
    text = str(value).strip()
    return text or None


def _int(value):
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() and abs(number) < 2**62 else None


def _num(value):
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text reading back as this double
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < Decimal(10) ** 15 else None


def _date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE_TEXT.match(str(value).strip())
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _small(number: int | None) -> int | None:
    """Return a code number that fits a smallint, else None (the rules name the value)."""
    return number if number is not None and -32768 <= number <= 32767 else None


def member_derived(row: dict) -> tuple:
    """Return (id_type, sex, birth_date, shown) for a staged CBF_JTCY row: the document type as a
    number (a bare 18-character number is a resident ID card), the sex (from the ID number when the
    row leaves it blank), the birth date a valid ID number carries (1900-2100, the persons CHECK),
    and the number masked for the report (R4.26)."""
    number = row.get("cyzjhm")
    id_type = _small(_int(row["cyzjlx"])) if row.get("cyzjlx") else (
        1 if number and len(number) == 18 else None)
    valid = id_type == 1 and number is not None and registry_rules.id_number_problem(number) is None
    sex = _small(_int(row["cyxb"])) if row.get("cyxb") else (
        registry_rules.sex_from_id_number(number) if valid else None)
    born = None
    if valid:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        born = born if date(1900, 1, 1) <= born <= date(2100, 12, 31) else None
    return id_type, sex, born, registry_rules.mask_id_number(number)


def stage_row(table: str, row_no: int, raw: dict) -> tuple:
    """Return one staged row of a table from a package row (field names upper-case)."""
    values = {name: read_value(kind, raw.get(name.upper()), name)
              for name, kind in TABLES[table].items()}
    row = (row_no, *values.values())
    return row + member_derived(values) if table == "CBF_JTCY" else row


def stage_columns(table: str, first_row_no: int, columns: dict[str, list]) -> list[list]:
    """Return a batch of package rows as staged columns, in columns(table) order, converting a
    column at a time (field names upper-case; a field the package lacks is NULL)."""
    n = len(next(iter(columns.values()), []))
    values = {name: _staged_column(name, kind, columns.get(name.upper()), n)
              for name, kind in TABLES[table].items()}
    out = [list(range(first_row_no, first_row_no + n)), *values.values()]
    if table == "CBF_JTCY":
        out += _member_derived_columns(values)
    return out


def _staged_column(name: str, kind: str, raw: list | None, n: int) -> list:
    """Return one field's values read as its kind (NaN and missing as None), codes zero-padded to
    their width; n Nones for a field the package lacks."""
    if raw is None:
        return [None] * n
    values = (_texts if kind in ("code", "text") else _values)(raw, _READERS[kind])
    width = _WIDTH.get(name)
    if width:
        values = [v.zfill(width) if v and v.isdigit() else v for v in values]
    return values


def _texts(raw: list, read) -> list:
    """Read a text or code column: a str inline (a call per value was half the staging time)."""
    return [(v.strip() or None) if v.__class__ is str else _value(v, read) for v in raw]


def _values(raw: list, read) -> list:
    return [_value(v, read) for v in raw]


def _value(v, read):
    return None if v is None or v != v else read(v)


def _member_derived_columns(values: dict[str, list]) -> list[list]:
    """Return the four columns member_derived adds to each CBF_JTCY row."""
    derived = [member_derived({"cyzjlx": t, "cyzjhm": m, "cyxb": s})
               for t, m, s in zip(values["cyzjlx"], values["cyzjhm"], values["cyxb"], strict=True)]
    return [list(c) for c in zip(*derived, strict=True)] if derived else [[], [], [], []]


_READERS = {"code": _code, "text": _text, "int": _int, "num": _num, "date": _date}
