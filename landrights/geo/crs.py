"""Coordinate reference systems used by the registry (R4.12, R4.13)."""

STORAGE_SRID = 4490  # CGCS2000 geographic; every parcel is stored in it (DESIGN.md)
WEB_SRID = 4326  # GeoJSON (RFC 7946) axis order lon, lat; CGCS2000 and WGS 84 agree to the cm


def gk3_zone_for_lon(lon: float) -> int:
    """Return the 3-degree Gauss-Krüger zone number for a longitude."""
    return round(lon / 3)


def gk3_srid(zone: int, *, zone_prefix: bool) -> int:
    """Return the CGCS2000 3-degree GK EPSG code for a zone (R4.13: 4513-4533 / 4534-4554)."""
    if not 25 <= zone <= 45:
        raise ValueError(f"no CGCS2000 3-degree zone {zone} (25..45)")
    return 4488 + zone if zone_prefix else 4509 + zone
