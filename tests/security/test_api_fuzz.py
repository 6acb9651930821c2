"""Every request gets a correct answer (issue 17, section 4): schemathesis runs every phase (examples,
coverage of each parameter's bounds and of undeclared methods, fuzzing, stateful sequences through
the document's links) and every check against the API, in-process, as the township officer, the
county administrator and the anonymous public, on a scratch copy of the demo database (its writes
stay there). A small derandomized budget here; scripts/fuzz-api.sh runs the long one.

Any finding fails the test: a server error, a status or a body the document does not declare, a
request the document accepts refused for its shape or range, one it refuses accepted, a write without
an account not answered 401, an undeclared method not answered 405 with Allow."""
from __future__ import annotations

import pytest

from landrights import create_app
from tests.conftest import _test_config
from tests.security import fuzz


@pytest.fixture
def scratch_app(scratch_db, instance_dir):
    app = create_app(_test_config(scratch_db.url.render_as_string(hide_password=False), instance_dir))
    yield app
    app.extensions["landrights.db"].engine.dispose()


@pytest.mark.parametrize("account", fuzz.ACCOUNTS)
def test_the_api_answers_every_generated_request_as_its_document_says(scratch_app, account):
    from landrights.extensions import db

    with scratch_app.app_context():
        headers = fuzz.bearer(db.session, account)
        db.session.commit()
    outcome = fuzz.run(scratch_app, headers, max_examples=5, seed=17)
    found = outcome.findings
    assert found == [], f"{len(found)} findings:\n" + "\n".join(map(str, found))
    assert outcome.cases > 1000  # the run reached every operation
