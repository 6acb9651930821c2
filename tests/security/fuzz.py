"""Schemathesis against the JSON API, in-process (WSGI): every phase (examples, coverage, fuzzing,
stateful through the OpenAPI links) and every check, as one account. Issue 17 section 4.

Used by tests/security/test_api_fuzz.py on a small derandomized budget, and by
scripts/fuzz-api.sh for the long run (`python -m tests.security.fuzz --seconds 300`)."""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SPEC = "/api/v1/openapi.json"
ACCOUNTS = ("officer", "county", "anonymous")  # the demo's township officer and county administrator


@dataclass(frozen=True)
class Finding:
    """One distinct failure: the operation, the check's title and how to reproduce it."""

    operation: str
    title: str
    message: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.title}\n    {self.message.strip()[:3000]}\n    {self.curl}"


@dataclass
class Outcome:
    """What one run found and how much it tried."""

    findings: list[Finding]
    cases: int
    seconds: float


def _config(headers: dict, *, seconds: int | None, max_examples: int, seed: int):
    from schemathesis.config import SchemathesisConfig

    generation = {"max-examples": max_examples, "deterministic": seconds is None}
    # positive_data_acceptance is replaced by document_states_what_it_refuses: a rule of the registry
    # (its state, today's date, one field against another) may refuse a schema-valid request, and
    # says so by the absence of "in" in the error
    data = {"seed": seed, "headers": headers, "generation": generation,
            "checks": {"enabled": True, "positive_data_acceptance": {"enabled": False}},
            "phases": {"stateful": {"max-steps": 6 if seconds is None else 30}},
            "suppress-health-check": ["all"]}
    if seconds:
        data["max-time"] = seconds
    return SchemathesisConfig.from_dict(data)


def _in_process_transport_fix() -> None:
    """schemathesis 4.32.5 hands the WSGI transport the network-only arguments (max_redirects, ...)
    when it sends without a session (its auth checks' second request); drop them, as it does itself
    for a session."""
    from schemathesis.transport.wsgi import WSGITransport

    if getattr(WSGITransport.send, "landrights_fixed", False):
        return
    send = WSGITransport.send

    def fixed(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    fixed.landrights_fixed = True
    WSGITransport.send = fixed


def _register_checks() -> None:
    import schemathesis
    from schemathesis.core.failures import Failure

    global _REGISTERED
    if _REGISTERED:
        return
    _REGISTERED = True

    @schemathesis.check
    def document_states_what_it_refuses(ctx, response, case):
        """A request the document accepts is refused only by a rule of the registry: a refusal of its
        shape or range ("in" in the error) is the document promising what the API refuses."""
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 422):
            return None
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if response.status_code == 422 and ("in" not in error or _outside_stated_dates(case, error)):
            return None
        raise Failure(operation=case.operation.label, title="Schema-valid request rejected",
                      message=f"{response.status_code} {error}")


_REGISTERED = False


def _outside_stated_dates(case, error: dict) -> bool:
    """Whether the refused value is a date outside the bounds the document states in words
    (x-minimum, x-maximum: "today" for a past date): JSON Schema has no date bounds."""
    from landrights import clock

    source = case.body if error.get("in") == "body" else case.query
    value = source.get(error.get("field")) if isinstance(source, dict) else None
    prop = _property(case, error.get("in"), error.get("field"))
    if not isinstance(value, str) or "x-maximum" not in prop:
        return False
    high = clock.today().isoformat() if prop["x-maximum"] == "today" else prop["x-maximum"]
    return not prop["x-minimum"] <= value[:10] <= high


def _property(case, where: str | None, field: str | None) -> dict:
    raw = case.operation.schema.raw_schema
    operation = raw["paths"][case.operation.path][case.operation.method.lower()]
    if where == "query":
        return next((p.get("schema", {}) for p in operation.get("parameters", []) if p["name"] == field), {})
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = raw["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return body.get("properties", {}).get(field, {})


def run(app, headers: dict, *, seconds: int | None = None, max_examples: int = 10,
        seed: int = 17) -> Outcome:
    """Run every phase and check against app's API with the given headers; return the findings."""
    import schemathesis
    from schemathesis.engine import events, from_schema

    _in_process_transport_fix()
    _register_checks()
    schema = schemathesis.openapi.from_wsgi(SPEC, app, config=_config(
        headers, seconds=seconds, max_examples=max_examples, seed=seed))
    found: dict[tuple, Finding] = {}
    cases, elapsed = 0, 0.0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            cases += len(event.recorder.cases)
            _collect(event.recorder, found)
        elif isinstance(event, events.NonFatalError):
            found[("error", event.label)] = Finding(event.label, "error", _explain(event.value), "")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            elapsed = event.running_time
    return Outcome(sorted(found.values(), key=lambda f: (f.operation, f.title)), cases, elapsed)


def _explain(error: BaseException) -> str:
    import traceback

    parts = error.exceptions if isinstance(error, BaseExceptionGroup) else [error]
    return "\n".join("".join(traceback.format_exception(part)[-6:]) for part in parts)


def _collect(recorder, found: dict) -> None:
    for nodes in recorder.checks.values():
        for node in nodes:
            info = node.failure_info
            if info is None:
                continue
            failure = info.failure
            key = (failure.operation, failure.title, _first_line(failure.message))
            if key not in found:
                found[key] = Finding(str(failure.operation), failure.title, failure.message,
                                     info.code_sample.strip().splitlines()[-1][:600])


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0][:120] if (text or "").strip() else ""


def bearer(session, username: str) -> dict:
    """Return the headers of a fresh API token of a demo account ({} for anonymous)."""
    from landrights.accounts import services as accounts
    from landrights.accounts.permissions import SYSTEM

    if username == "anonymous":
        return {}
    return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, username, "fuzz")}


def _app(url: str, base: Path):
    from landrights import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "fuzz-" + "x" * 40,
                       "RATELIMIT_ENABLED": False, "INSTANCE_DIR": str(base), "DATABASE_URL": None,
                       "PASSWORD_METHOD": "pbkdf2:sha256:1", "TESTING": True})


def _scratch_app(base: Path):
    """Start a throwaway cluster with the demo village; return (cluster, app)."""
    from landrights import migrate
    from landrights.demo import load_demo
    from landrights.extensions import db
    from landrights.pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(base, log=lambda *_: None, fast_unsafe=True)
    cluster.start()
    cluster.ensure_database("landrights")
    app = _app(cluster.url("landrights"), base)
    migrate.upgrade(app.extensions["landrights.db"].engine)
    with app.app_context():
        load_demo(db.session, hash_method="pbkdf2:sha256:1")
        db.session.commit()
    return cluster, app


def main(argv: list[str] | None = None) -> int:
    """Fuzz the API of a throwaway demo database for some seconds per account; print what it found."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--seconds", type=int, default=300, help="per account")
    parser.add_argument("--accounts", default=",".join(ACCOUNTS))
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--max-examples", type=int, default=1000)
    parser.add_argument("--database-url", help="a migrated database with the demo (default: a throwaway one)")
    args = parser.parse_args(argv)
    import warnings

    from landrights.extensions import db

    warnings.filterwarnings("ignore", ".*has already been added to the spec", UserWarning)

    base = Path(tempfile.mkdtemp(prefix="landrights-fuzz-"))
    cluster, app = _scratch_app(base) if not args.database_url else (None, _app(args.database_url, base))
    total = 0
    try:
        for username in args.accounts.split(","):
            with app.app_context():
                headers = bearer(db.session, username)
                db.session.commit()
            outcome = run(app, headers, seconds=args.seconds, max_examples=args.max_examples,
                          seed=args.seed)
            print(f"== {username}: {outcome.cases} cases in {outcome.seconds:.0f} s, "
                  f"{len(outcome.findings)} distinct findings")
            for finding in outcome.findings:
                print(finding)
            total += len(outcome.findings)
    finally:
        from bench.common import discard_cluster

        app.extensions["landrights.db"].engine.dispose()
        if cluster is not None:
            discard_cluster(cluster, base)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
