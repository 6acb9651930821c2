"""The printed certificate (R3.4, R3.5, R4.11) checked with the tools a clerk's printer would meet:
poppler reads the text and fonts back, zbar scans the QR code from the rendered page, and the
parcel sketch is measured against true ground distances."""
from __future__ import annotations

import dataclasses
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

from landrights.certification import documents
from landrights.certification.documents import CertificateDoc, MemberLine, ParcelLine
from landrights.geo.area import display_mu
from landrights.signing import qr

GEOD = Geod(ellps="GRS80")  # CGCS2000 uses the GRS 80 ellipsoid
COLLECTIVE = "22042110120103"
# the size of an SM2-signed QR (landrights.signing.qr): key id and 86 characters of signature
URL = ("https://landrights.example.cn/verify/220421101201030016J?n=1&d=20241203&k=220421-5f3a9c1e&s="
       "Zm9vYmFyZm9vYmFyZm9vYmZvb2Jhcm-vb2Jhcm_vb2Jhcm9vYmFyZm9vYmFyZm9vYmZvb2JhcmZvb2JhcmZvb2")
CODE = "220421101201030016J-1-20241203-CSQP-YRK1-E9K6-YVV2"  # as signing.qr.verification_code prints it


def rectangle(lon: float, lat: float, east_m: float, north_m: float) -> MultiPolygon:
    """Return a lon/lat rectangle whose sides measure east_m and north_m on the ground."""
    lon_e, _, _ = GEOD.fwd(lon, lat, 90, east_m)
    _, lat_n, _ = GEOD.fwd(lon, lat, 0, north_m)
    return MultiPolygon([Polygon([(lon, lat), (lon_e, lat), (lon_e, lat_n), (lon, lat_n)])])


def parcel(n: int, geometry: MultiPolygon, area_m2: str, basic: bool | None = True) -> ParcelLine:
    return ParcelLine(code=f"{COLLECTIVE}{n:05d}", name=f"东大地{n}号", east="李玉兰", south="道路",
                      west="张国庆", north="沟渠", area_m2=Decimal(area_m2), is_basic_farmland=basic,
                      remark="" if n % 2 else "机耕道旁", geometry=geometry)


PARCELS = (
    parcel(16, rectangle(125.100, 42.900, 30, 150), "4500.00"),
    parcel(17, rectangle(125.1005, 42.900, 25, 150), "3750.30", basic=False),
    parcel(23, rectangle(125.103, 42.9015, 35, 150), "5250.47"),
    parcel(41, rectangle(125.108, 42.8985, 20, 150), "2999.99", basic=None),
)
DOC = CertificateDoc(
    code="220421101201030016J", serial=2, printed_no="NO.J0000000000017", kind="reissue",
    issued_on=date(2024, 5, 6), authority="东丰县人民政府", county_name="东丰县",
    township_name="横道河镇", village_name="永安村", collective_name="东丰县横道河镇永安村第三村民小组",
    holder_name="王䶮", holder_id_number="22042119700101123X", contract_code="220421101201030016J",
    term_start=date(1998, 1, 1), term_end=date(2027, 12, 31),
    members=(MemberLine("王䶮", "户主"), MemberLine("李玉兰", "配偶"),
             MemberLine("王小明", "长子", "在校学生")),
    parcels=PARCELS, verify_url=URL, verification_code=CODE,
    notes=("补发：原证遗失（遗失声明 东丰县〔2024〕第12号）",))


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def pages_text(pdf: Path) -> list[str]:
    """Return the text of each page, as pdftotext -layout lays it out."""
    return run("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1]


@pytest.fixture(scope="module")
def printed(app, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("certificate")
    with app.app_context():
        (folder / "cert.pdf").write_bytes(documents.certificate_pdf(DOC))
    return folder / "cert.pdf"


def test_certificate_shows_holder_parcels_and_areas_in_mu(printed):
    text = "\n".join(pages_text(printed))
    flat = re.sub(r"\s+", "", text)
    assert "王䶮" in text and "22042119700101123X" in text
    for p in PARCELS:
        row = next(line for line in text.splitlines() if p.code in line)
        assert f" {display_mu(p.area_m2)} " in f" {row} "  # 4500 m² -> 6.75 mu on the parcel's row
    total = display_mu(sum(p.area_m2 for p in PARCELS))
    assert str(total) == "24.75"  # mu of the summed m² (R4.14); the rounded lines add up to 24.76
    assert f"承包地确权总面积{total}亩" in flat and "地块总数4宗" in flat
    # a wrapped table cell is read in order without -layout (which interleaves the columns)
    in_order = re.sub(r"\s+", "", run("pdftotext", "-raw", str(printed), "-"))
    assert "东至李玉兰南至道路西至张国庆北至沟渠" in in_order
    assert "1998年1月1日至2027年12月31日" in in_order and "家庭承包" in flat
    assert "在校学生" in text and "配偶" in text


def test_cover_page_has_title_number_authority_date_and_reissue_mark(printed):
    cover = re.sub(r"\s+", "", pages_text(printed)[0])
    assert "东丰县（横道河镇）永安村" in cover
    assert "农村土地承包经营权证" in cover
    assert "第220421101201030016J号" in cover
    assert "NO.J0000000000017" in cover
    assert "东丰县人民政府" in cover and "2024年5月6日" in cover
    assert "补发" in cover
    assert "第1页" in cover


def test_annotations_and_sketch_pages_follow(printed):
    pages = [re.sub(r"\s+", "", page) for page in pages_text(printed)]
    notes = next(page for page in pages if page.startswith("附记"))
    assert "原证遗失（遗失声明东丰县〔2024〕第12号）" in notes
    sketch = next(page for page in pages if page.startswith("附图"))
    assert all(p.code[-5:] in sketch for p in PARCELS)
    assert "北" in sketch and re.search(r"\d+米", sketch)
    assert pages.index(sketch) == len(pages) - 1


def test_the_one_cjk_face_is_embedded(printed):
    rows = run("pdffonts", str(printed)).splitlines()[2:]
    names = {re.sub(r"^[A-Z]{6}\+", "", row.split()[0]) for row in rows}
    assert names == {"Noto-Serif-CJK-SC"}  # also the sketch's labels: no fallback face, no bold
    assert rows and all(row.split()[-5] == "yes" for row in rows)  # emb: nothing left to the viewer


def test_qr_on_the_first_page_scans_to_the_verify_url(printed, tmp_path):
    run("pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", "-singlefile", str(printed),
        str(tmp_path / "page1"))
    assert run("zbarimg", "-q", "--raw", str(tmp_path / "page1.png")).strip() == URL


def test_the_cover_prints_the_verification_code_to_type_under_the_qr(printed):
    cover = pages_text(printed)[0]
    code = qr.verification_code("220421101201030016J", 1, date(2024, 12, 3), "Zm9vYmFyZm9vYmFyZm9vYm")
    assert code == CODE  # 80 bits of the HMAC, typeable
    assert "核验码" + code in re.sub(r"\s+", "", cover)
    assert "https://landrights.example.cn/verify/" in cover  # where to type it


def test_replacement_is_marked_and_cancelled_certificate_says_so(app):
    replaced = dataclasses.replace(DOC, kind="replace", status="cancelled", notes=())
    with app.app_context():
        html = documents.certificate_html(replaced)
    assert "换发" in html and "已注销" in html and "补发" not in html


def test_names_are_printed_as_text_not_markup(app):
    with app.app_context():
        html = documents.certificate_html(dataclasses.replace(DOC, holder_name="王<b>䶮</b>"))
    assert "王&lt;b&gt;䶮&lt;/b&gt;" in html and "<b>" not in html


def test_batch_starts_each_certificate_on_a_new_page_numbered_from_one(app, printed, tmp_path):
    second = dataclasses.replace(DOC, code="220421101201030017J", holder_name="李玉兰", kind="issue",
                                 serial=1, notes=(), parcels=PARCELS[:2])
    with app.app_context():
        (tmp_path / "batch.pdf").write_bytes(documents.certificates_pdf([DOC, second]))
    pages = [re.sub(r"\s+", "", page) for page in pages_text(tmp_path / "batch.pdf")]
    one = len(pages_text(printed))
    assert len(pages) == 2 * one  # same page count: the second holder has fewer parcels
    assert "第220421101201030016J号" in pages[0] and "第220421101201030017J号" in pages[one]
    assert "第1页" in pages[one] and "第2页" in pages[one + 1]
    assert "李玉兰" in pages[one + 1] and "承包方代表王䶮" not in pages[one + 1]


def test_render_batch_writes_chunks_of_certificates(app, tmp_path):
    docs = [dataclasses.replace(DOC, code=f"2204211012010300{n}J", printed_no=f"NO.J{n:013d}")
            for n in (16, 17, 18)]
    with app.app_context():
        paths = documents.render_batch(docs, tmp_path / "out", chunk=2, workers=2)
    assert [p.name for p in paths] == ["certificates-0001.pdf", "certificates-0002.pdf"]
    first, second = ("".join(pages_text(p)) for p in paths)
    assert "220421101201030016J" in first and "220421101201030017J" in first
    assert "220421101201030018J" in second and "NO.J0000000000018" in second


def path_points(svg: str, css_class: str = "parcel") -> list[list[tuple[float, float]]]:
    """Return each drawn path's points (the sketch writes absolute M/L/Z commands)."""
    shapes = []
    for d in re.findall(rf'<path class="{css_class}" d="([^"]+)"', svg):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
        shapes.append(list(zip(numbers[::2], numbers[1::2], strict=True)))
    return shapes


def extent(points) -> tuple[float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return max(xs) - min(xs), max(ys) - min(ys)


def test_sketch_keeps_ground_proportions_north_up_with_a_true_scale_bar():
    tall = parcel(1, rectangle(125.1, 42.9, 100, 200), "20000")
    svg = documents.sketch_svg([tall])
    assert re.search(r'viewBox="0 0 170 120"', svg)
    width, height = extent(path_points(svg)[0])
    assert height / width == pytest.approx(2.0, rel=0.02)  # lon/lat plotted as is would give 1.47
    metres = int(re.search(r">(\d+) 米<", svg).group(1))
    assert re.fullmatch(r"[125]0*", str(metres))
    bar = re.search(r'class="scale-bar"><path d="M([\d.]+) [\d.]+V[\d.]+H([\d.]+)', svg)
    bar_mm = float(bar.group(2)) - float(bar.group(1))
    assert bar_mm / metres == pytest.approx(height / 200, rel=0.02)  # the bar measures the map


def test_sketch_puts_each_label_inside_its_parcel_and_points_north():
    svg = documents.sketch_svg(PARCELS)
    labels = re.findall(r'<text x="([\d.]+)" y="([\d.]+)">(\d{5})</text>', svg)
    assert sorted(code for *_, code in labels) == sorted(p.code[-5:] for p in PARCELS)
    shapes = dict(zip((p.code[-5:] for p in PARCELS), path_points(svg), strict=True))
    for x, y, code in labels:
        assert Polygon(shapes[code]).buffer(0.5).contains(shapely.Point(float(x), float(y)))
    assert 'class="north-arrow"' in svg and ">北<" in svg and ">N<" in svg
    # the northern parcel (23 lies ~167 m further north) is drawn higher
    assert min(y for _, y in shapes["00023"]) < min(y for _, y in shapes["00016"])


def test_collective_map_sheet_without_labels_highlights_some_parcels():
    svg = documents.sketch_svg(PARCELS, highlight={PARCELS[0].code}, labels=False,
                               width_mm=180, height_mm=150)
    assert "<text" not in svg.split('class="north-arrow"')[0]  # no parcel labels
    fills = re.findall(r'<path class="parcel" d="[^"]+" fill="(#[0-9a-f]{6})"', svg)
    assert len(fills) == 4 and fills.count(fills[0]) == 1  # only the highlighted one stands out
    assert 'viewBox="0 0 180 150"' in svg
