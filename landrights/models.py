"""Import every model so Base.metadata is complete (Alembic, tests)."""
from landrights.accounts.models import ApiToken, Role, User  # noqa: F401
from landrights.certification.models import (  # noqa: F401
    Certificate,
    Claim,
    Notice,
    NoticeEntry,
    Objection,
    SignOff,
)
from landrights.registry.models import (  # noqa: F401
    AdminUnit,
    ChangeEvent,
    Collective,
    Contract,
    ContractParcel,
    Household,
    HouseholdMember,
    Parcel,
    RegisterEntry,
    Setting,
)
from landrights.survey.models import (  # noqa: F401
    QualityRule,
    QualityRuleSwitch,
    SurveyFinding,
    SurveyImport,
)
