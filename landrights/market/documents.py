"""The transfer contract as printed (R1.23, R2.9) and the market's transaction attestation
(交易鉴证书, R2.14, R8.9), verifiable by anyone with the same signed QR as certificates.

A contract's clauses are generated once, when it is drafted, and kept with it (the record of what
the parties signed): the parties with their addresses, the land with its location, quality grade
and four sides, term, use, both parties' rights and duties, price and payment, compensation on
expropriation, termination, liability for breach, attachments at expiry and dispute resolution."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock, patterns
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, require_login
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.market import permissions
from landrights.market.models import TransferContract, Transferee, TransfereeIdentity
from landrights.registry import rules as registry_rules
from landrights.registry.models import AdminUnit, Collective, Household, Parcel, Person
from landrights.signing import qr


def contract_for(session: Session, actor: Actor, code: str) -> TransferContract:
    """Return a transfer contract for one of its parties or an official of its area.

    Its code names only the county, so whether the actor may see it is known after reading it:
    an unknown code and another's contract get the same refusal (no oracle of codes).

    Raises:
        Unauthenticated: anonymous. Forbidden: no such contract among those the actor may see.
    """
    require_login(actor)
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == code))
    if contract is None or not sees_transfer(session, actor, contract):
        raise unseen_transfer()
    return contract


def sees_transfer(session: Session, actor: Actor, contract: TransferContract) -> bool:
    """Tell whether the actor is a party to the transfer or an official of the household's area."""
    if permissions.can_see_transfer(actor, contract.household_code):
        return True
    return actor.user_id is not None and session.scalar(sa.select(Transferee.user_id).where(
        Transferee.id == contract.transferee_id)) == actor.user_id


def unseen_transfer() -> Forbidden:
    """Return the one refusal for a transfer contract that does not exist or is not the actor's
    to see or act on; it names no code, so two codes get the same answer."""
    return Forbidden(_l("There is no transfer contract with this code that you may see or act on."),
                     field="code")


def contract_clauses(session: Session, *, household_code: str, transferee: Transferee,
                     parcel_codes: list[str], transferee_address: str | None = None) -> dict:
    """Return the parties and the land of a transfer contract, and its clauses' text (R1.23, R2.9).

    Raises:
        Conflict: the register has no address for the household. ValidationFailed: no address of
            the transferee on record and none given, or a given one longer than 200 characters.
    """
    household = session.scalar(sa.select(Household).where(Household.code == household_code))
    places = _place_names(session, household_code)
    parcels = session.scalars(sa.select(Parcel).where(Parcel.code.in_(parcel_codes),
                                                      Parcel.valid_to.is_(None))
                              .order_by(Parcel.code)).all()
    return {
        "parties": {"transferor": household.name, "transferor_code": household.code,
                    "transferor_address": _household_address(session, household),
                    "transferee": transferee.name, "transferee_kind": transferee.kind,
                    "transferee_address": _transferee_address(session, transferee, transferee_address),
                    "collective": places["collective"]},
        "parcels": [_parcel_clause(p, places["collective"]) for p in parcels],
        **CLAUSE_TEXT,
        "disputes": DISPUTES.format(**places),
    }


def _household_address(session: Session, household: Household) -> str:
    """The household's address in the register (CBFDZ, R4.20), else its representative's."""
    person = household.representative_id and session.get(Person, household.representative_id)
    address = household.address or (person and (person.residence_address or person.hukou_address))
    if not (address or "").strip():
        raise Conflict(_l("The register has no address for household %(code)s: record it before the "
                          "contract is drawn up (the contract names both parties' addresses).",
                          code=household.code), field="household_code", rule="R1.23")
    return address.strip()


def _transferee_address(session: Session, transferee: Transferee, given: str | None) -> str:
    """The address the officer copied from the transferee's licence or ID card; else the one on
    record: the verified person's (never a mere claim's: it would print a stranger's home), or,
    for a farmer of the area bidding as a transferee, its household's in the register; else the
    one the transferee gave itself when it registered (or since)."""
    given = (given or "").strip()
    if len(given) > 200:
        raise ValidationFailed(_l("An address has at most 200 characters."), field="transferee_address")
    recorded = given or session.scalar(
        sa.select(sa.func.coalesce(Person.residence_address, Person.hukou_address))
        .join(TransfereeIdentity, TransfereeIdentity.person_id == Person.id)
        .where(TransfereeIdentity.transferee_id == transferee.id, TransfereeIdentity.ended_at.is_(None))) \
        or session.scalar(sa.select(Household.address).join(
            User, sa.and_(User.household_code == Household.code, User.role == "farmer"))
            .where(User.id == transferee.user_id)) \
        or transferee.address
    if not (recorded or "").strip():
        raise ValidationFailed(_l("Give the transferee's address (domicile), as on its business "
                                  "licence or ID card: the contract names both parties' addresses."),
                               field="transferee_address", rule="R1.23")
    return recorded.strip()


def _place_names(session: Session, household_code: str) -> dict[str, str]:
    """The names the location and the dispute clause use: county, township, village, collective."""
    names = dict(session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(
        [household_code[:6], household_code[:9], household_code[:12]]))).all())
    collective = session.scalar(sa.select(Collective.name).where(
        Collective.code == household_code[:14]))
    return {"county": names.get(household_code[:6], ""), "township": names.get(household_code[:9], ""),
            "village": names.get(household_code[:12], ""), "collective": collective or ""}


def _parcel_clause(parcel: Parcel, location: str) -> dict:
    """One parcel as the contract names it: code, name, location, four sides, area, quality grade."""
    return {"code": parcel.code, "name": parcel.name, "location": location, "east": parcel.east,
            "south": parcel.south, "west": parcel.west, "north": parcel.north,
            "area_m2": round(float(parcel.area_m2), 2), "soil_grade": parcel.soil_grade,
            "soil_grade_name": registry_rules.SOIL_GRADES.get(parcel.soil_grade or "", "")}


# The clauses' text, in Chinese as the contract is signed. Rural Land Contracting Law art. 40
# (R1.23) lists the clauses; art. 42 and 64 the termination (R1.25, R1.26); art. 44 the contract
# relation (R1.27); art. 46 the re-transfer (R1.29); the ministry's model text adds attachments at
# expiry and dispute resolution (R2.9).
CLAUSE_TEXT = {
    "transferor_duties": [
        "按照合同约定收取流转价款，流转收益归承包方所有，任何组织和个人不得擅自截留、扣缴",
        "按照合同约定的时间交付土地，不得干涉流入方依法进行的农业生产经营活动",
        "监督流入方依照合同约定合理利用和保护土地，制止损害土地和农业资源的行为",
        "土地经营权流转不改变承包方与发包方的承包关系，承包方继续履行土地承包合同的义务",
    ],
    "transferee_duties": [
        "在合同约定的期限内依法自主开展农业生产经营并取得收益",
        "经流出方同意，可以依法投资改良土壤，建设农业生产附属、配套设施，并按照合同约定对其投资部分"
        "获得合理补偿",
        "经流出方书面同意并向发包方备案，可以再流转土地经营权或者以土地经营权融资担保",
        "按照合同约定的时间和方式足额支付流转价款",
        "不得改变土地所有权性质和农业用途，不得弃耕抛荒，不得在永久基本农田上挖塘养鱼、种植林果，"
        "保护和合理利用土地，不得给土地造成永久性损害",
    ],
    "expropriation": "流转期间土地被依法征收、征用、占用的，土地补偿费归承包方（流出方）所有；"
                     "地上附着物及青苗补偿费归实际投入者所有；被征收、征用、占用部分的合同相应终止，"
                     "其后期间的流转价款不再支付，已预付的予以退还",
    "termination": "流入方擅自改变土地的农业用途、弃耕抛荒连续两年以上、给土地造成严重损害或者严重破坏"
                   "土地生态环境，或者有其他严重违约行为的，承包方可以单方解除合同；流入方有前三项"
                   "情形，承包方在合理期限内不解除合同的，发包方有权要求终止合同，流入方对土地和土地"
                   "生态环境造成的损害应当予以赔偿",
    "breach": "任何一方不履行或者不完全履行合同义务的，应当承担继续履行、采取补救措施或者赔偿损失等"
              "违约责任；给对方造成损失的，赔偿对方因此受到的损失",
    "attachments": "流转期限届满或者合同解除、终止时，流入方交还土地。流入方经流出方同意投资建设的农业"
                   "生产附属、配套设施和改良土壤的投入，由双方协商作价归流出方所有，或者由流入方在"
                   "交还土地前自行拆除并恢复土地原状；未经流出方同意建设的，由流入方自行拆除并恢复"
                   "原状。期满时地上尚未收获的农作物，由流入方收获后交还土地",
}
DISPUTES = ("因本合同发生纠纷的，双方当事人可以协商解决，也可以请求{village}村民委员会、{township}人民政府"
            "调解解决；当事人不愿协商、调解或者协商、调解不成的，可以向{county}农村土地承包仲裁委员会"
            "申请仲裁，也可以直接向人民法院起诉")


def filed_on(contract: TransferContract) -> date:
    """Return the filing date (China Standard Time) the attestation carries."""
    return clock.local_date(contract.filed_at)


def attestation_url(session: Session, base_url: str, contract: TransferContract) -> str:
    """Return the URL the attestation's QR code carries, signed like a certificate's.

    Raises:
        Conflict: no signing key of the county in force.
    """
    return qr.signed_url(session, base_url, "transfer", contract.code, 1, filed_on(contract))


@dataclass
class TransferCheck:
    """What the public verification of an attestation says: the verdict, the filing date, the
    transferring household masked, and the land and term (to compare with the paper). Nothing
    else: no transferee, price or rent."""

    state: str  # filed | terminated | unverified
    code: str
    filed_on: date | None = None
    holder: str = ""
    parcel_count: int = 0
    area_m2: float = 0.0
    term_start: date | None = None
    term_end: date | None = None
    signed: qr.SignedCheck = qr.NOT_SIGNED  # the key that signed the QR, and if it was revoked


def verify_transfer(session: Session, key: bytes, code: str, *, day: str | None = None,
                    sig: str | None = None, key_id: str | None = None) -> TransferCheck:
    """Verify a transfer attestation by the signed data of its QR code (SM2 with key_id, or the
    HMAC under key of QR codes printed before); anyone may ask.

    A code alone, altered or forged data and an unknown code all get the same answer,
    'unverified', decided before the register is read."""
    if not patterns.TRANSFER_CONTRACT.matches(code):
        return TransferCheck("unverified", code)
    signed = qr.verify_signed(session, key, "transfer", code, day=day, sig=sig, key_id=key_id)
    if not signed.ok:
        return TransferCheck("unverified", code)
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == code))
    if contract is None or contract.filed_at is None or filed_on(contract) != signed.day:
        return TransferCheck("unverified", code)
    holder = session.scalar(sa.select(Household.name).where(Household.code == contract.household_code))
    return TransferCheck(contract.status, code, signed.day, qr.mask_name(holder),
                         len(contract.parcel_codes), float(contract.area_m2), contract.term.lower,
                         contract.term.upper - timedelta(days=1), signed)
