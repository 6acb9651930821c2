"""Fixtures for the confirmation workflow: the demo's pending households of group 03, actors of
every role, a clock the tests move, and a small PDF/PNG upload."""
from __future__ import annotations

from datetime import timedelta

import pytest

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.evidence import Upload

COLLECTIVE = "22042110120103"
PENDING = [f"2204211012010300{n}" for n in range(16, 22)]
SCAN = Upload("签字确认表.pdf", "application/pdf", b"%PDF-1.4\n% signed and fingerprinted\n")


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


def after_days(days: int) -> None:
    """Move the injectable clock forward."""
    clock.travel(timedelta(days=days))


@pytest.fixture
def county():
    return Actor(role="county_admin", user_id=None, name="县管理员", county_code="220421")


@pytest.fixture
def other_officer():
    return Actor(role="township_officer", user_id=None, name="other", township_code="220421102")


def farmer_of(household_code: str, name: str = "农户") -> Actor:
    return Actor(role="farmer", user_id=None, name=name, household_code=household_code)


def clerk_of(collective_code: str = COLLECTIVE) -> Actor:
    return Actor(role="collective_clerk", user_id=None, name="文书", collective_code=collective_code)
