"""The land contracting certificate (农村土地承包经营权证) as a document: data, parcel sketch, QR code,
HTML and PDF (R3.4, R3.5, R4.11).

Rendering is split so a batch can use several cores: HTML needs the Flask app (templates) and is
cheap (~15 ms, mostly choosing the QR mask); PDF (WeasyPrint) needs no app, is slow and runs in
worker processes. Each PDF costs a fixed ~70 ms per CJK face (subsetting), so a batch puts many
certificates into one document. Measurements: bench/certificates.py.
"""
from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from math import floor, log10
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from flask import current_app
from pyproj import Transformer

from landrights.geo.area import display_mu
from landrights.geo.crs import STORAGE_SRID, gk3_srid, gk3_zone_for_lon
from landrights.signing.printing import html_to_pdf, qr_png_data_uri

TEMPLATE = "certification/certificate_pdf.html"
KIND_LABELS = {"issue": "", "reissue": "补发", "replace": "换发"}
STATUS_LABELS = {"valid": "", "superseded": "已失效（已补发或换发新证）", "cancelled": "已注销"}
CERTIFICATE_FONT = "Noto Serif CJK SC"  # the one face of the certificate template
SKETCH_HEIGHT_MM = 180  # on the 附图 page, below its title


class Shape(NamedTuple):
    """Anything sketch_svg draws: a code (its last 5 digits label it) and an EPSG:4490 geometry."""

    code: str
    geometry: object


@dataclass(frozen=True)
class MemberLine:
    """A family member as printed on page 2."""

    name: str
    relation: str  # a Chinese label already: 户主, 配偶, 长子 ...
    remark: str = ""


@dataclass(frozen=True)
class ParcelLine:
    """A contracted parcel as printed in the parcel table and the sketch."""

    code: str  # DKBM, 19 digits
    name: str | None  # DKMC
    east: str | None  # 四至
    south: str | None
    west: str | None
    north: str | None
    area_m2: Decimal  # confirmed area
    is_basic_farmland: bool | None
    remark: str | None
    geometry: object  # shapely MultiPolygon in EPSG:4490 (lon, lat)


@dataclass(frozen=True)
class CertificateDoc:
    """Everything printed on one certificate (R3.4, R3.5)."""

    code: str  # 19 chars: contract code = register code (R4.9)
    serial: int  # 1 for the first issue, then each re-issue
    printed_no: str  # "NO.J" + 13 digits (R4.11)
    kind: str  # issue | reissue (补发) | replace (换发)
    issued_on: date
    authority: str  # 发证机关
    county_name: str  # A(B)C of the page-1 heading (R3.5)
    township_name: str
    village_name: str
    collective_name: str  # 发包方全称
    holder_name: str  # 承包方代表
    holder_id_number: str  # as the printing actor may see it (registry.rules.shown_id_number)
    contract_code: str
    term_start: date
    term_end: date
    members: tuple[MemberLine, ...]
    parcels: tuple[ParcelLine, ...]
    verify_url: str  # encoded in the QR code as is
    verification_code: str = ""  # printed under the QR code (landrights.signing.qr)
    notes: tuple[str, ...] = ()  # 附记
    status: str = "valid"


# --- parcel sketch (地块示意图) -------------------------------------------------------------


@lru_cache(maxsize=8)
def _to_gk(srid: int) -> Transformer:
    return Transformer.from_crs(STORAGE_SRID, srid, always_xy=True)


def _round_length(limit: float) -> float:
    """Return the largest 1/2/5 x 10^k not above limit (metres)."""
    power = 10.0 ** floor(log10(limit))
    return max(f * power for f in (1, 2, 5) if f * power <= limit)


def _metres_label(metres: float) -> str:
    return f"{metres:.0f} 米" if metres >= 1 else f"{metres:g} 米"


def _path_data(geoms: np.ndarray) -> list[str]:
    """Return one SVG path `d` per geometry (rings closed with Z), built from flat arrays."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)  # polygons of the multipolygons
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_owner = part_owner[ring_part].tolist()
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_starts = np.searchsorted(coord_ring, np.arange(len(rings)))
    points = [f"{x:.1f} {y:.1f}" for x, y in coords.tolist()]
    paths = [[] for _ in range(len(geoms))]
    ends = [*ring_starts[1:].tolist(), len(points)]
    for ring, (start, end) in enumerate(zip(ring_starts.tolist(), ends, strict=True)):
        # the last point repeats the first: Z closes the ring instead
        paths[ring_owner[ring]].append("M" + points[start] + "L" + " ".join(points[start + 1:end - 1]) + "Z")
    return ["".join(p) for p in paths]


def _north_arrow(x: float, y: float) -> str:
    return (f'<g class="north-arrow"><text x="{x:.1f}" y="{y + 3:.1f}" font-size="3.5" '
            f'text-anchor="middle">北</text>'
            f'<path d="M{x:.1f} {y + 4.5:.1f}L{x + 2.5:.1f} {y + 12:.1f}L{x:.1f} {y + 10:.1f}'
            f'L{x - 2.5:.1f} {y + 12:.1f}Z" fill="#000"/>'
            f'<text x="{x:.1f}" y="{y + 15.5:.1f}" font-size="2.8" text-anchor="middle">N</text></g>')


def _scale_bar(x: float, y: float, mm_per_metre: float, max_mm: float) -> str:
    metres = _round_length(max_mm / mm_per_metre)
    length = metres * mm_per_metre
    return (f'<g class="scale-bar"><path d="M{x:.1f} {y - 1.5:.1f}V{y:.1f}H{x + length:.1f}'
            f'V{y - 1.5:.1f}" fill="none" stroke="#000" stroke-width="0.4"/>'
            f'<text x="{x + length + 1.5:.1f}" y="{y:.1f}" font-size="2.8">{_metres_label(metres)}</text>'
            f'</g>')


def sketch_svg(parcels: Sequence[ParcelLine], *, highlight: set[str] | None = None,
               width_mm: float = 170, height_mm: float = 120, labels: bool = True,
               font_family: str = "Noto Sans CJK SC") -> str:
    """Draw parcels (anything with .code and .geometry in EPSG:4490) as an SVG sketch, north up.

    The geometries are projected to the CGCS2000 3-degree Gauss-Krüger zone of their centre, so
    shapes keep their ground proportions; a scale bar of a round length shows the scale. Give the
    document's own font_family: each extra face in a PDF costs time and size.
    """
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm}mm" height="{height_mm}mm" '
            f'viewBox="0 0 {width_mm} {height_mm}" font-family="{font_family}">')
    if not parcels:
        return head + "</svg>"
    geoms = np.array([p.geometry for p in parcels], dtype=object)
    west, _, east, _ = shapely.total_bounds(geoms)
    # R4.12/R4.13: the 3-degree zone of the parcels' centre; y grows to the north
    transformer = _to_gk(gk3_srid(gk3_zone_for_lon((west + east) / 2), zone_prefix=False))
    projected = shapely.transform(geoms, transformer.transform, interleaved=False)
    x0, y0, x1, y1 = shapely.total_bounds(projected)
    margin, arrow_w, bar_h = 6.0, 12.0, 9.0
    box_w, box_h = width_mm - 2 * margin - arrow_w, height_mm - 2 * margin - bar_h
    scale = min(box_w / max(x1 - x0, 1e-6), box_h / max(y1 - y0, 1e-6))  # mm per metre
    left = margin + (box_w - (x1 - x0) * scale) / 2
    top = margin + (box_h - (y1 - y0) * scale) / 2
    on_paper = shapely.transform(projected, lambda c: np.column_stack(
        (left + (c[:, 0] - x0) * scale, top + (y1 - c[:, 1]) * scale)))
    marked = highlight or set()
    body = []
    for parcel, d in zip(parcels, _path_data(on_paper), strict=True):
        fill = "#f2c14e" if parcel.code in marked else "#eef5e6"
        body.append(f'<path class="parcel" d="{d}" fill="{fill}" fill-rule="evenodd"/>')
    body.insert(0, '<g stroke="#222" stroke-width="0.3">')
    body.append("</g>")
    if labels:
        size = 2.6 if len(parcels) <= 30 else 1.6
        anchors = shapely.get_coordinates(shapely.point_on_surface(on_paper)).tolist()
        body.append(f'<g class="labels" font-size="{size}" text-anchor="middle">')
        body.extend(f'<text x="{x:.1f}" y="{y + size / 3:.1f}">{p.code[-5:]}</text>'
                    for p, (x, y) in zip(parcels, anchors, strict=True))
        body.append("</g>")
    body.append(_north_arrow(width_mm - margin - arrow_w / 2, margin))
    body.append(_scale_bar(margin, height_mm - margin, scale, box_w / 4))
    return head + "".join(body) + "</svg>"


# --- HTML (the QR code image: landrights.signing.printing) -------------------------------


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _location(p: ParcelLine) -> str:
    return " ".join(f"{side}至{value or '—'}" for side, value in
                    (("东", p.east), ("南", p.south), ("西", p.west), ("北", p.north)))


def _basic_farmland(flag: bool | None) -> str:
    return "" if flag is None else ("是" if flag else "否")


def _certificate_context(doc: CertificateDoc) -> dict:
    """Return what the template prints for one certificate: every value already formatted."""
    return {
        "doc": doc,
        "heading": f"{doc.county_name}（{doc.township_name}）{doc.village_name}",
        "issued_on": _chinese_date(doc.issued_on),
        "term": f"{_chinese_date(doc.term_start)}至{_chinese_date(doc.term_end)}",
        "kind_label": KIND_LABELS.get(doc.kind, doc.kind),
        "status_label": STATUS_LABELS.get(doc.status, doc.status),
        "parcels": [{"code": p.code, "name": p.name or "", "location": _location(p),
                     "mu": f"{display_mu(p.area_m2)}", "basic": _basic_farmland(p.is_basic_farmland),
                     "remark": p.remark or ""} for p in doc.parcels],
        # areas stay in m² until display (R4.14): the total is the sum's mu, not a sum of rounded mu
        "total_mu": f"{display_mu(sum((p.area_m2 for p in doc.parcels), Decimal(0)))}",
        "qr": qr_png_data_uri(doc.verify_url),
        # typed at /verify/ by those whose phone does not scan (signing.qr.verification_code)
        "verification_code": doc.verification_code,
        "verify_page": doc.verify_url.split("/verify/", 1)[0] + "/verify/",
        # an image, not inline SVG: WeasyPrint 70 took ~3x longer for the same SVG inline
        "sketch": _svg_data_uri(sketch_svg(doc.parcels, height_mm=SKETCH_HEIGHT_MM,
                                            font_family=CERTIFICATE_FONT)),
    }


def _certificates_html(docs: Iterable[CertificateDoc]) -> str:
    # The app's context processors describe the logged-in web user (and need a request); a
    # certificate must not depend on who prints it, so render with the app's Jinja environment only.
    template = current_app.jinja_env.get_template(TEMPLATE)
    return template.render(certs=[_certificate_context(d) for d in docs])


def certificate_html(doc: CertificateDoc) -> str:
    """Render one certificate as print HTML (needs an app context)."""
    return _certificates_html([doc])


# --- PDF (landrights.signing.printing) ------------------------------------------------------

def certificate_pdf(doc: CertificateDoc) -> bytes:
    """Render one certificate to PDF (needs an app context)."""
    return html_to_pdf(certificate_html(doc))


def certificates_pdf(docs: Iterable[CertificateDoc]) -> bytes:
    """Render many certificates into one PDF, each starting on a new page, numbered from 1.

    Raises:
        ValueError: no certificates (WeasyPrint would print a blank page).
    """
    docs = list(docs)
    if not docs:
        raise ValueError("no certificates to print")
    return html_to_pdf(_certificates_html(docs))


def _write_pdf(html: str, path: str) -> str:
    Path(path).write_bytes(html_to_pdf(html))
    return path


def render_batch(docs: Sequence[CertificateDoc], out_dir: Path, *, chunk: int = 50,
                 workers: int = 2) -> list[Path]:
    """Write the certificates as PDFs of `chunk` each, printed by `workers` processes; return paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks = [docs[i:i + chunk] for i in range(0, len(docs), chunk)]
    paths = [out_dir / f"certificates-{n + 1:04d}.pdf" for n in range(len(chunks))]
    if not chunks:
        return []
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(chunks)))) as pool:
        # HTML is rendered here (app context, cheap) while the workers print the previous chunks
        futures = [pool.submit(_write_pdf, _certificates_html(part), str(path))
                   for part, path in zip(chunks, paths, strict=True)]
        return [Path(f.result()) for f in futures]
