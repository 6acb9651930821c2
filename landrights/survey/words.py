"""Quality rules and their findings in words for people (issue 19: the rules page showed rule ids
and JSON settings, a finding showed GEOS's English reason). Lazy messages, rendered in the
reader's language; no session."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from landrights.registry.codes import field_name

# one sentence per setting a rule's params hold (migrations 0002, 0009, 0019)
SETTINGS = {
    "max_m2": _l("at most %(v)s m²"),
    "max_mu": _l("at most %(v)s mu"),
    "tolerance_m2": _l("overlaps of up to %(v)s m² are tolerated"),
    "tolerance_pct": _l("a difference of up to %(v)s %% is tolerated"),
    "max_gap_m": _l("gaps up to %(v)s m wide are reported"),
    "min_width_m": _l("parcels narrower than %(v)s m on average are reported"),
}
# ST_IsValidReason's words (GEOS) in Chinese; the location in brackets is kept as it is
GEOMETRY_REASONS = {
    "Self-intersection": "自相交", "Ring Self-intersection": "环自相交",
    "Too few points in geometry component": "图形的点数太少", "Hole lies outside shell": "内环在外环之外",
    "Nested holes": "内环相互嵌套", "Nested shells": "外环相互嵌套", "Interior is disconnected": "内部不连通",
    "Duplicate Rings": "环重复", "Invalid Coordinate": "坐标无效", "Ring is not closed": "环未闭合",
    "empty geometry": "图形为空", "not a polygon": "不是面",
}


def number(value) -> str:
    """Write a setting's number as people do: 10,000,000 and 0.5, not 1e+07 or 1.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def settings_in_words(params: dict | None, language: str = "zh") -> list[str]:
    """Return a rule's settings as sentences (max_m2 10000000 -> 'at most 10,000,000 m²'); the
    longest text of each NY/T 2539 field (DKMC 100) as one: 'longest text: parcel name 100
    characters, …'."""
    params = params or {}
    lengths = {key: value for key, value in params.items() if key.isupper()}  # field_lengths
    words = [str(SETTINGS[key] % {"v": number(value)}) if key in SETTINGS
             else f"{key.replace('_', ' ')}: {number(value)}"
             for key, value in sorted(params.items()) if key not in lengths]
    if lengths:
        sep = ", " if language == "en" else "、"
        listed = sep.join(str(_l("%(field)s %(n)s characters", field=field_name(f, language), n=n))
                          for f, n in sorted(lengths.items(), key=lambda item: -item[1]))
        words.append(str(_l("longest text: %(list)s", list=listed)))
    return words


def geometry_reason(reason: str, language: str = "zh") -> str:
    """Return GEOS's reason an outline is invalid in the reader's language (zh: 自相交[125.6 42.8])."""
    if language == "en" or not reason:
        return reason
    for english in sorted(GEOMETRY_REASONS, key=len, reverse=True):
        if reason.startswith(english):
            return GEOMETRY_REASONS[english] + reason[len(english):]
    return reason
