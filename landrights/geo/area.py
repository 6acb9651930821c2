"""Areas: stored in m², shown in mu (R4.14: 1 mu = 10000/15 m², exactly)."""
from decimal import ROUND_HALF_UP, Decimal

_MU_PER_M2 = Decimal(15) / Decimal(10000)


def m2_to_mu(m2) -> Decimal:
    """Convert square metres to mu exactly (15 mu = 1 ha), unrounded."""
    return Decimal(str(m2)) * _MU_PER_M2


def display_mu(m2) -> Decimal:
    """Return the area in mu rounded to 2 places for display only."""
    return m2_to_mu(m2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def display_m2(m2) -> Decimal:
    """Return the area in m² rounded to 2 places for display only."""
    return Decimal(str(m2)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
