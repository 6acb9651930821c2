"""The shape of every code of the registry, each stated once (as ranges.py states every range).

NY/T 2539 numbers a county's records from its region code down: county (6 digits), township (9),
collective (14), household (18), parcel (19), contract (household code + J or Q). Each shape is the
text of one regular expression that reads the same in Python and in PostgreSQL (ASCII digits
``[0-9]``, never ``\\d``, which in Python also matches other scripts' digits), so the places that
check a code read it from here and cannot drift:

- the input schemas of the API and the forms (``landrights.inputs.code``: a 422 naming the field),
- the services and rules (``Shape.matches`` / ``Shape.check``: the same refusal for the CLI),
- the CHECK constraints of the models (``Shape.anchored`` inside the constraint's text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from landrights.errors import ValidationFailed


@dataclass(frozen=True)
class Shape:
    """A code's shape: the regular expression (unanchored), what it says when a value lacks it,
    and the rule that sets it."""

    text: str
    message: object
    rule: str | None = None

    @property
    def anchored(self) -> str:
        """Return the expression anchored at both ends, as the CHECK constraints and the OpenAPI
        document write it (``^[0-9]{18}$``)."""
        return f"^{self.text}$"

    def matches(self, value) -> bool:
        """Tell whether value is text of exactly this shape (no trailing newline, no other digits)."""
        return isinstance(value, str) and re.fullmatch(self.text, value) is not None

    def check(self, value, field: str) -> None:
        """Refuse a value of another shape.

        Raises:
            ValidationFailed: naming the field and the rule.
        """
        if not self.matches(value):
            raise ValidationFailed(self.message, field=field, rule=self.rule)


# the administrative divisions (GB/T 2260 and its extensions, R4.5)
COUNTY = Shape("[0-9]{6}", _l("A county code has 6 digits."))
TOWNSHIP = Shape("[0-9]{9}", _l("A township code has exactly 9 digits."))
# 发包方编码 FBFBM (R4.5)
COLLECTIVE = Shape("[0-9]{14}", _l("A collective (发包方) code has exactly 14 digits."), "R4.5")
# 承包方编码 CBFBM (R4.6)
HOUSEHOLD = Shape("[0-9]{18}", _l("A household (承包方) code has exactly 18 digits."), "R4.6")
# 地块代码 DKBM (R4.7)
PARCEL = Shape("[0-9]{19}", _l("A parcel code (DKBM) has exactly 19 digits."), "R4.7")
# 承包合同编码 CBHTBM: the household code and J (family contracting) or Q (other modes) (R4.8)
CONTRACT = Shape("[0-9]{18}[JQ]", _l("A contract code is the household's 18 digits and J or Q."), "R4.8")
# a transfer contract's number: the county code and 12 digits (market.models.TransferContract)
TRANSFER_CONTRACT = Shape("[0-9]{18}", _l("A transfer contract number has exactly 18 digits."))
# the area an account or a question covers: a county, township, collective or household
AREA = Shape("([0-9]{6}|[0-9]{9}|[0-9]{14}|[0-9]{18})",
             _l("An area code has 6 (county), 9 (township), 14 (collective) or 18 (household) digits."))
# an area of the progress report: a county, township or collective
REPORT_AREA = Shape("[0-9]{6}([0-9]{3}([0-9]{5})?)?",
                    _l("An area code has 6 (county), 9 (township) or 14 (collective) digits."))
# a statement of retained rights: the household code, S and its number
STATEMENT = Shape("[0-9]{18}S[0-9]{4}", _l("A statement code is the household's 18 digits, S and 4 digits."))

# a homestead: its household's code, Z and its number in the household (homestead.services)
HOMESTEAD = Shape("[0-9]{18}Z[0-9]{2}", _l("A homestead code is the household's 18 digits, Z and 2 digits."))
# a mobile phone number in mainland China, as an account keeps it (digits only)
PHONE = Shape("1[3-9][0-9]{9}", _l("Give an 11-digit mobile number, or leave it empty."))
# an account's user name (a household's account is named by its household code)
USERNAME = Shape("[A-Za-z0-9_.-]{3,64}", _l("A user name has 3 to 64 letters (a-z, A-Z), digits, dots, "
                                             "dashes or underscores."))

ID_NUMBER_MAX = 30  # the longest identity document number a person's row holds (R4.26)
