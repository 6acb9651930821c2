"""A crawler for the pages people see (issue 19): from the home page it follows every same-site
link by GET through the Flask test client, keeps a few pages per route, and reports every link
that answers 4xx/5xx and every page whose visible text shows what people must never see: UTC, an
offset "+00:00", an SQLSTATE or the database's text, a Python exception's name, a rule id (R1.2).

Visible text is the text of the body and title, with scripts, styles and attributes left out
(data-rule="R1.21" is fine: a test or a screen reader's label, not text on the screen). A rule id
may stay inside an element of class `lr-ref` on a page an official reads (the quality-rules
page's 编号 column): that is the officers' reference, never a farmer's text."""
from __future__ import annotations

import builtins
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from werkzeug.exceptions import HTTPException

from landrights import errors as domain_errors

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
HIDDEN = {"script", "style", "template", "noscript"}
REFERENCE_CLASS = "lr-ref"  # an officers' reference: rule ids may stay inside it
OFFICIAL_ROLES = {"officer", "clerk", "county"}


def _exception_names() -> set[str]:
    names = {n for n, v in vars(builtins).items()
             if isinstance(v, type) and issubclass(v, BaseException) and n.endswith(("Error", "Exception"))}
    names |= {n for n, v in vars(domain_errors).items()  # ValidationFailed, DomainError, ...
              if isinstance(v, type) and issubclass(v, Exception) and len(re.findall("[A-Z]", n)) > 1}
    return names | {"Traceback", "IntegrityError", "DataError", "ProgrammingError", "OperationalError",
                    "StatementError", "DBAPIError", "UndefinedError", "BuildError", "CSRFError"}


EXCEPTIONS = _exception_names()
FORBIDDEN = [  # (what people must not see, the pattern finding it)
    ("UTC", re.compile(r"UTC")),
    ("+00:00", re.compile(r"\+00:?00\b")),
    ("SQLSTATE", re.compile(r"SQLSTATE|\((?:2[2-5]|4[02]|P0|XX)[0-9A-Z]{3}\)")),
    ("database text", re.compile(r"Key \(|violates |is not present in table|numeric field overflow"
                                 r"|duplicate key value|psycopg|sqlalchemy|\bfk_[a-z_]+|\bck_[a-z_]+")),
    ("exception name", re.compile(r"(?<![A-Za-z])(?:" + "|".join(sorted(EXCEPTIONS)) + r")(?![A-Za-z])")),
    ("rule id", re.compile(r"(?<![A-Za-z0-9])R\d+\.\d+")),
]


class PageText(HTMLParser):
    """Collect a page's visible text (split into people's text and officers' reference) and links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, hidden, reference)
        self.text: list[str] = []
        self.reference: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in VOID:
            return
        hidden, reference = self.stack[-1][1:] if self.stack else (False, False)
        self.stack.append((tag, hidden or tag in HIDDEN,
                           reference or REFERENCE_CLASS in (attrs.get("class") or "").split()))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):  # tolerate unclosed <p>, <li>, <td>
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        hidden, reference = self.stack[-1][1:] if self.stack else (False, False)
        if not hidden and data.strip():
            (self.reference if reference else self.text).append(data.strip())


def offences(text: str) -> list[str]:
    """Return what people must not see in a text, each with a little context."""
    found = []
    for name, pattern in FORBIDDEN:
        for hit in pattern.finditer(text):
            found.append(f"{name}: …{text[max(hit.start() - 30, 0):hit.end() + 30]}…")
    return found


@dataclass
class Finding:
    """Something the crawl found wrong on a page, or a link that answered an error."""

    url: str
    problem: str
    came_from: str = ""

    def __str__(self) -> str:
        return f"{self.url} (linked from {self.came_from or 'start'}): {self.problem}"


@dataclass
class Crawl:
    """Follow same-site links from a start page: at most `per_route` pages of each route
    (endpoint) and `limit` pages in all; PDFs and CSVs are fetched but not read."""

    client: object
    app: object
    role: str
    per_route: int = 4
    limit: int = 400
    findings: list[Finding] = field(default_factory=list)
    visited: dict[str, int] = field(default_factory=dict)  # url -> status
    routes: Counter = field(default_factory=Counter)
    _seen: set[str] = field(default_factory=set)

    def run(self, start: str = "/") -> Crawl:
        """Crawl from `start`; return self with `findings` and `visited` filled."""
        queue = deque([(start, "")])
        self._seen.add(start)
        while queue and len(self.visited) < self.limit:
            url, came_from = queue.popleft()
            for link in self._visit(url, came_from):
                queue.append((link, url))
        return self

    def _route(self, url: str) -> str | None:
        parts = urlsplit(url)
        try:
            endpoint, _ = self.app.url_map.bind("localhost").match(parts.path, "GET")
        except HTTPException:
            return "unrouted"  # still fetched: it must not be a dead link
        return endpoint

    def _wanted(self, url: str) -> bool:
        """Tell whether a link is followed: same site, not static files, not the language switch
        (a separate crawl runs in English), within the route's quota."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url in self._seen:
            return False
        if parts.path.startswith(("/static/", "/lang/")):
            return False
        route = self._route(url)
        if self.routes[route] >= self.per_route:
            return False
        self.routes[route] += 1
        self._seen.add(url)
        return True

    def _visit(self, url: str, came_from: str) -> list[str]:
        try:
            answer = self.client.get(url, follow_redirects=True)
        except Exception as err:  # noqa: BLE001  the test app re-raises what would be a 500 page
            self.visited[url] = 500
            self.findings.append(Finding(url, f"answers 500 ({type(err).__name__}: {err})", came_from))
            return []
        self.visited[url] = answer.status_code
        if answer.history:  # where a redirect led (the home page of the anonymous: /login)
            self.visited.setdefault(answer.request.full_path.rstrip("?"), answer.status_code)
        if answer.status_code >= 400:
            self.findings.append(Finding(url, f"answers {answer.status_code}", came_from))
        if not answer.mimetype == "text/html":
            return []  # a PDF, a CSV, a scan: fetched, not read
        page = PageText()
        page.feed(answer.get_data(as_text=True))
        visible = " ".join(page.text)
        if self.role not in OFFICIAL_ROLES:
            visible += " " + " ".join(page.reference)
        self.findings += [Finding(url, o, came_from) for o in offences(visible)]
        base = answer.request.path if answer.history else url
        links = []
        for href in page.links:
            link = urldefrag(urljoin(base, href)).url
            if link and self._wanted(link):
                links.append(link)
        return links
