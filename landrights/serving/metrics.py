"""The Prometheus metrics: requests by route and status, their latency, and the long operations
(survey and hand-up imports, certificate issues) counted and timed where they happen, in their
services.

prometheus-client is used directly rather than prometheus-flask-exporter: that extension labels
requests by the raw path unless told otherwise, picks its gunicorn class from the environment at
import, and registers its own unguarded /metrics; here are two hooks and one guarded view. Under
`landrights serve` the client runs in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by serve
before this module is imported, emptied when gunicorn starts), so a scrape sums every worker.
"""
from __future__ import annotations

import functools
import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from landrights.errors import DomainError

# methods are a label: anything else (a scanner's made-up verb) is counted as "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"  # a path no route answers (404, 405): never the path itself
_LONG = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)

HTTP_REQUESTS = Counter("landrights_http_requests", "HTTP requests answered, by route and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("landrights_http_request_duration_seconds",
                         "Time from the request's arrival in the app to its response, by route",
                         ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
SURVEY_IMPORTS = Counter("landrights_survey_imports", "Survey imports, by outcome "
                         "(done, refused: a rule or permission said no, failed: an error)", ["outcome"])
SURVEY_SECONDS = Histogram("landrights_survey_import_duration_seconds", "Survey import time",
                           ["outcome"], buckets=_LONG)
HANDUP_IMPORTS = Counter("landrights_handup_imports", "Hand-up package imports (汇交), by outcome",
                         ["outcome"])
HANDUP_SECONDS = Histogram("landrights_handup_import_duration_seconds", "Hand-up import time",
                           ["outcome"], buckets=_LONG)
CERTIFICATES = Counter("landrights_certificates_issued", "Certificates issued (issue, reissue 补发, "
                       "replace 换发), by outcome", ["kind", "outcome"])
CERTIFICATE_SECONDS = Histogram("landrights_certificate_issue_duration_seconds",
                                "Time to issue a certificate", ["kind", "outcome"])
CERTIFICATE_KINDS = frozenset({"issue", "reissue", "replace"})


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count one answered request and its latency under its URL rule (bounded labels)."""
    method = method if method in METHODS else "other"
    route = route or UNMATCHED
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_SECONDS.labels(method, route).observe(seconds)


def timed(counter: Counter, histogram: Histogram,
          kind: Callable[[dict], str] | None = None) -> Callable:
    """Decorate a service: count each call by outcome (done, refused, failed) and time it."""

    def decorate(service: Callable) -> Callable:
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            labels = {} if kind is None else {"kind": kind(kwargs)}
            started, outcome = time.perf_counter(), "failed"
            try:
                result = service(*args, **kwargs)
                outcome = "done"
                return result
            except DomainError:
                outcome = "refused"
                raise
            finally:
                counter.labels(outcome=outcome, **labels).inc()
                histogram.labels(outcome=outcome, **labels).observe(time.perf_counter() - started)

        return wrapper

    return decorate


def _certificate_kind(kwargs: dict) -> str:
    kind = kwargs.get("kind", "issue")
    return kind if kind in CERTIFICATE_KINDS else "other"


survey_import = timed(SURVEY_IMPORTS, SURVEY_SECONDS)
handup_import = timed(HANDUP_IMPORTS, HANDUP_SECONDS)
certificate_issue = timed(CERTIFICATES, CERTIFICATE_SECONDS, kind=_certificate_kind)


def exposition() -> tuple[bytes, str]:
    """Return the metrics as Prometheus text and its content type: every worker's under gunicorn."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def may_read(config, remote_addr: str | None, headers) -> bool:
    """Tell whether a request may read /metrics: the bearer token, or an allowed address.

    An address is believed only when it is the client's: a request forwarded by a proxy that the
    app does not trust (LANDRIGHTS_TRUSTED_PROXIES=0) carries the proxy's address, say 127.0.0.1,
    whoever sent it, so only the token opens /metrics to it.
    """
    if _holds_token(config.get("METRICS_TOKEN"), headers.get("Authorization", "")):
        return True
    if not config.get("TRUSTED_PROXIES") and ("X-Forwarded-For" in headers or "Forwarded" in headers):
        return False
    return _allowed_address(remote_addr, config.get("METRICS_ALLOW", ()))


def _holds_token(token: str | None, given: str) -> bool:
    """Tell whether the Authorization header carries the metrics token (compared in constant time)."""
    return bool(token) and given.startswith("Bearer ") and \
        hmac.compare_digest(given[7:].strip().encode(), token.encode())


def _allowed_address(remote_addr: str | None, networks) -> bool:
    """Tell whether the client's address (an IPv4-mapped one as IPv4) lies in an allowed network."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in networks)
