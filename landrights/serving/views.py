"""/healthz for the proxy and the monitoring (anyone, no login), /metrics for Prometheus (the
allowed addresses or the bearer token only)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from landrights.serving import health, metrics

bp = Blueprint("serving", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database, its schema and the upload disk are fit, else 503."""
    result = health.report(current_app)
    return jsonify(result), 200 if result["status"] == "ok" else 503, {"Cache-Control": "no-store"}


@bp.get("/metrics")
def prometheus():
    """Answer the Prometheus text of every worker, to an allowed address or the token only."""
    if not metrics.may_read(current_app.config, request.remote_addr, request.headers):
        abort(403)
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
