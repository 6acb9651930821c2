"""Serving in production (issue 20, section 5): `landrights serve` on gunicorn, the request id and
the JSON line of every request, /healthz, and the Prometheus /metrics.

The modules import nothing of the app at import time: the services import `serving.metrics` to
count themselves, and `landrights serve` must set PROMETHEUS_MULTIPROC_DIR before the Prometheus
client is first imported.
"""
from __future__ import annotations


def init_app(app) -> None:
    """Register the request id and log line, the request metrics, /healthz and /metrics."""
    from landrights.serving import requestlog
    from landrights.serving.views import bp

    requestlog.init_app(app)
    app.register_blueprint(bp)
