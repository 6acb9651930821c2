"""Fixtures of the backup drills: a private folder and committed databases dropped afterwards."""
import pytest

from tests.operations.drill import Databases, private_folder


@pytest.fixture
def folder():
    with private_folder() as path:
        yield path


@pytest.fixture
def databases(server, template_url):
    made = Databases(server)
    yield made
    made.drop_all()
