"""Import every model so Base.metadata is complete (Alembic, tests)."""
from landrights.accounts.models import (  # noqa: F401
    AccountChange,
    ActivationCode,
    ApiToken,
    LoginSession,
    LoginThrottle,
    Role,
    User,
)
from landrights.audit.models import ChainEntry, RegisterCheck, RegisterHead  # noqa: F401
from landrights.certification.models import (  # noqa: F401
    Certificate,
    Claim,
    Notice,
    NoticeEntry,
    Objection,
    SignOff,
)
from landrights.collective.models import (  # noqa: F401
    CollectiveSettings,
    Distribution,
    Membership,
    Payout,
    ShareAccount,
    ShareHolding,
    ShareTransfer,
)
from landrights.handup.models import HandupFinding, HandupImport  # noqa: F401
from landrights.homestead.models import Homestead, HomesteadStandard, HouseDisposal  # noqa: F401
from landrights.market.models import (  # noqa: F401
    Bid,
    CapitalReview,
    Deposit,
    Entrustment,
    LedgerEntry,
    Listing,
    ListingParcel,
    Offer,
    RentPayment,
    TransferContract,
    Transferee,
    TransfereeIdentity,
)
from landrights.market.pledge_models import Pledge, PledgeParcel  # noqa: F401
from landrights.market.retransfer_models import Retransfer, RetransferConsent  # noqa: F401
from landrights.registry.models import (  # noqa: F401
    AdminUnit,
    ChangeEvent,
    Collective,
    Contract,
    ContractParcel,
    Household,
    HouseholdMember,
    Parcel,
    ParcelOverview,
    RegisterEntry,
    Setting,
)
from landrights.rights.models import Settlement, Statement, Withdrawal  # noqa: F401
from landrights.signing.models import SigningKey  # noqa: F401
from landrights.survey.models import (  # noqa: F401
    QualityRule,
    QualityRuleSwitch,
    SurveyFinding,
    SurveyImport,
)
