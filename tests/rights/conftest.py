"""Demo facts and actors for the retained-rights tests."""
from __future__ import annotations

import pytest

from landrights import clock
from landrights.accounts.permissions import Actor

HOUSEHOLD = "220421101201010001"  # 杨春林: land, homestead, shares, dividends
HEAD, DAUGHTER = "220421196101240233", "220421198411303622"
NEIGHBOUR, NEIGHBOUR_HEAD = "220421101201010002", "220421198212181431"
SETTLED = "220421101201020006"  # 赵振华's household, settled in Dongfeng town in 2019
SETTLED_HEAD = "220421196305078258"
OTHER_GROUP_HEAD = "220421195204251619"  # 徐永福, group 03


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


def farmer_of(household: str) -> Actor:
    return Actor(role="farmer", user_id=None, name="户主", household_code=household)


@pytest.fixture
def county():
    return Actor(role="county_admin", user_id=None, name="县", county_code="220421")


@pytest.fixture
def clerk():
    return Actor(role="collective_clerk", user_id=None, name="文书", collective_code="22042110120101")
