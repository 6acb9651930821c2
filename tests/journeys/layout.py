"""What a page looks like on a phone, measured in the browser (issue 19): whether it or one of
its tables scrolls sideways (a table must become cards or keep its columns), which visible links
and buttons are smaller than 44 x 44 px (WCAG 2.5.5; a link inside a sentence is exempt, as in
WCAG 2.5.8), and which text falls below WCAG 2.1 AA contrast (4.5:1; 3:1 for large text) against
the background it is drawn on."""
from __future__ import annotations

from dataclasses import dataclass

MIN_TARGET = 44

MEASURE = """(minTarget) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && !el.closest('[hidden]');
  };
  const name = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || el.tagName)
    .trim().replace(/\\s+/g, ' ').slice(0, 40);
  // a link in a sentence: drawn inline among text that is not itself a link (WCAG 2.5.8)
  const inSentence = (el) => {
    if (getComputedStyle(el).display !== 'inline') return false;
    const parent = el.parentElement;
    const clone = parent.cloneNode(true);
    clone.querySelectorAll('a, button').forEach((a) => a.remove());
    return clone.textContent.replace(/[\\s·|/()（）,，、]/g, '').length > 0;
  };
  const small = [];
  const targets = 'a[href], button, summary, select, input:not([type=hidden]), [role=button]';
  for (const el of document.querySelectorAll(targets)) {
    let box = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) box = el.closest('label') || el;
    if (!visible(box) || el.closest('.leaflet-tile-container, svg')) continue;
    if (el.matches('a') && inSentence(el)) continue;
    const r = box.getBoundingClientRect();
    if (r.height < minTarget - 0.5 || r.width < minTarget - 0.5)
      small.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== 'none') return null;  // a gradient or picture: not judged here
      const c = rgb(cs.backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.99)) return c.slice(0, 3);
      if (c.length === 4 && c[3] > 0) return null;  // translucent: not judged here
    }
    return [255, 255, 255];
  };
  const faint = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el) || el.closest('svg, .leaflet-tile-container')) continue;
    const cs = getComputedStyle(el), bg = background(el);
    if (!bg || parseFloat(cs.opacity) < 1) continue;
    const fg = rgb(cs.color), l1 = lum(fg.slice(0, 3)), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) faint.push(`${name(el)} ${ratio.toFixed(2)}:1`);
  }
  // a table wider than its box hides columns behind a sideways swipe nobody is told about
  const hidden = [...document.querySelectorAll('table')].filter((t) => visible(t)).filter((t) => {
    const box = t.closest('.lr-table-wrap') || t.parentElement;
    return box.scrollWidth > box.clientWidth + 1;
  }).map((t) => `#${t.id || '?'} ${t.scrollWidth}px`);
  return {width: document.scrollingElement.scrollWidth, small, faint, hidden};
}"""


@dataclass
class Layout:
    """A page's measures on the phone."""

    url: str
    width: int
    small: list[str]
    faint: list[str]
    hidden: list[str]

    def problems(self, viewport_width: int) -> list[str]:
        """Return what is wrong, each with the page's address."""
        found = [f"{self.url}: scrolls sideways ({self.width} px > {viewport_width})"] \
            if self.width > viewport_width else []
        found += [f"{self.url}: table {t} wide, columns hidden off screen" for t in self.hidden]
        found += [f"{self.url}: tap target {t} px" for t in self.small]
        return found + [f"{self.url}: contrast {t}" for t in self.faint]


def measure(page, url: str) -> Layout:
    """Measure the page now open in the browser."""
    found = page.evaluate(MEASURE, MIN_TARGET)
    return Layout(url, found["width"], found["small"], found["faint"], found["hidden"])
