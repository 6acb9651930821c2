"""`landrights audit verify|head` on a committed copy of the demo: the operator's verification
exits 1 and names the record a rogue administrator changed; the daily head is recorded once."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from landrights.cli import main
from tests.conftest import TEMPLATE_DB


@pytest.fixture
def copy(server, template_url):
    """A committed copy of the demo and an instance folder of its own."""
    name = "lr_audit_cli"
    url = server.create_db(name, template=TEMPLATE_DB)
    folder = Path(tempfile.mkdtemp(prefix="landrights-audit-"))
    yield url, folder
    server.drop_db(name)
    shutil.rmtree(folder, ignore_errors=True)


def _run(copy, *args: str):
    url, folder = copy
    return CliRunner().invoke(main, ["audit", *args], env={"LANDRIGHTS_INSTANCE": str(folder / "instance"),
                                                           "DATABASE_URL": url})


def test_verify_exits_one_and_names_the_record_changed_behind_its_back(copy):
    ok = _run(copy, "verify", "--county", "220421")
    assert ok.exit_code == 0, ok.output
    assert "220421：共" in ok.output and "没有发现绕过系统的改动" in ok.output
    engine = sa.create_engine(copy[0])
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        code = conn.scalar(sa.text("UPDATE register_entries SET document = '伪造' WHERE id = "
                                   "(SELECT min(id) FROM register_entries) RETURNING code"))
    engine.dispose()
    bad = _run(copy, "verify", "--lang", "en")
    assert bad.exit_code == 1
    assert f"Register entry {code}, version 1 was changed outside the registry" in bad.output
    assert "1 finding(s)" in bad.output


def test_head_is_recorded_once_a_day_and_a_copy_checks_the_chain(copy):
    pytest.importorskip("landrights.signing")
    first = _run(copy, "head", "--county", "220421")
    assert first.exit_code == 0, first.output + repr(first.exception)
    assert first.output.startswith("220421 ") and first.output.strip().endswith(": recorded")
    again = _run(copy, "head", "--county", "220421")
    assert again.output.strip().endswith("already recorded")
    engine = sa.create_engine(copy[0])
    with engine.connect() as conn:
        head = conn.execute(sa.text("SELECT * FROM register_heads")).one()
    engine.dispose()
    published = copy[1] / "heads.json"
    published.write_text(json.dumps({"heads": [{
        "county_code": "220421", "date": head.day.isoformat(), "entries": head.entries,
        "head_hash": "00" * 32, "key_id": head.key_id, "signature": head.signature}]}))
    checked = _run(copy, "verify", "--county", "220421", "--heads", str(published), "--lang", "en")
    assert checked.exit_code == 1  # the copy's hash is not the chain's
    assert "in the copy kept outside the registry" in checked.output
