"""Printing the registry's documents: self-contained HTML to PDF (WeasyPrint, the CJK fonts
embedded) and the QR code as an image. Certificates, statements of retained rights, transfer
contracts and attestations, notices and account letters print through here; what their QR codes
carry is landrights.signing.qr."""
from __future__ import annotations

import base64
import io
import os
import threading

import numpy as np
import segno


def qr_svg_data_uri(url: str) -> str:
    """Return the verification URL as a QR code (never Micro QR) in an SVG data URI."""
    return segno.make_qr(url, error="m").svg_data_uri(scale=4, border=4)


def qr_png_data_uri(url: str) -> str:
    """Return the verification URL as a QR code in a PNG data URI, for print."""
    # A PNG: WeasyPrint parses the SVG's path in Python (~8 % of a batch's work). 8 pixels
    # per module, drawn unsmoothed (image-rendering: pixelated): at 1 pixel per module poppler
    # still blurs it and zbar cannot read a 100 dpi rendering. An 8-bit grey PNG without
    # transparency: WeasyPrint embeds it after one re-encoding, where segno's 1-bit PNG is
    # converted to RGB and encoded twice (about a tenth of a certificate's CPU time).
    from PIL import Image

    modules = np.array(segno.make_qr(url, error="m").matrix, dtype=bool)
    modules = np.pad(modules, 4)  # the quiet zone
    pixels = np.where(modules, 0, 255).astype(np.uint8).repeat(8, axis=0).repeat(8, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- PDF ------------------------------------------------------------------------------------

_pdf_lock = threading.Lock()  # Pango font maps are not thread-safe; one cached configuration
_font_config = None
_url_fetcher = None


def _forget_parent_state() -> None:
    """In a forked worker: a lock held by another parent thread stays held, so start afresh."""
    global _pdf_lock, _font_config, _url_fetcher
    _pdf_lock, _font_config, _url_fetcher = threading.Lock(), None, None


os.register_at_fork(after_in_child=_forget_parent_state)


def _weasyprint_state():
    """Import WeasyPrint on first use (1 s) and keep one font configuration for the process."""
    global _font_config, _url_fetcher
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
        # documents are self-contained: never fetch files or network resources while printing
        _url_fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return weasyprint, _font_config, _url_fetcher


def html_to_pdf(html: str) -> bytes:
    """Print self-contained HTML (only data: URLs are fetched) to PDF bytes.

    One call at a time per process (a lock): threads share the cached font configuration.
    """
    with _pdf_lock:
        weasyprint, font_config, fetcher = _weasyprint_state()
        return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(font_config=font_config)
