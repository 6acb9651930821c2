"""Market pages of one transfer contract after the award: signatures in the app or the officer's
scan, registration of five years or more, the household's consent to a re-transfer, the
re-transfer (再流转, R1.29) and the new transferee's signature.
Pages of the market blueprint (added by market.views)."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.errors import NotFound
from landrights.extensions import db
from landrights.market import contracts, documents, queries, retransfers
from landrights.market.inputs import ConsentIn, RetransferIn, ScanIn
from landrights.routing import Routes
from landrights.web.actions import expired_form, form_input, run_and_report, uploaded

pages = Routes()


def _post(back: str, action, message: str):
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(action, message, back)
    return failed or redirect(back)


@pages.get("/contracts/<code>")
@login_required
def contract(code: str):
    """A transfer contract for its parties and the officials of its area, with what each may do."""
    return render_template("market/contract.html", p=queries.contract_page(db.session, current_actor(), code),
                           form=FlaskForm())


@pages.post("/contracts/<code>/scan")
@login_required
def scanned_signatures(code: str):
    """The township officer records both parties' signatures with the signed paper's scan."""
    return _post(url_for("market.contract", code=code), lambda: _scanned(code),
                 _("The signatures are recorded; the contract is filed."))


def _scanned(code: str):
    given = form_input(ScanIn)
    if not request.form.get("by_agent"):  # the entrustment's number counts with the box ticked only
        given.pop("entrustment_id", None)
    return contracts.record_scanned_signatures(db.session, current_actor(), code=code, scan=uploaded("scan"),
                                               **given)


@pages.get("/contracts/<code>/signatures")
@login_required
def signatures_scan(code: str):
    """Download the scan of the signed paper contract."""
    found = documents.contract_for(db.session, current_actor(), code)
    if found.signature_scan is None:
        raise NotFound(_("This contract was signed in the app: there is no scan."), field="code")
    ext = found.signature_scan_name.rsplit(".", 1)[-1]
    return Response(found.signature_scan, mimetype=found.signature_scan_type,
                    headers={"Content-Disposition": f'attachment; filename="{code}-signed.{ext}"'})


@pages.post("/contracts/<code>/registration")
@login_required
def registration(code: str):
    """The township officer registers a filed transfer of five years or more (R1.24)."""
    return _post(url_for("market.contract", code=code), lambda: contracts.register_transfer(
        db.session, current_actor(), code=code), _("The management right is registered."))


@pages.post("/contracts/<code>/consent")
@login_required
def consent(code: str):
    """The household consents to a re-transfer, or the officer records its signed consent (R1.29)."""
    return _post(url_for("market.contract", code=code), lambda: retransfers.consent_to_retransfer(
        db.session, current_actor(), code=code, scan=uploaded("scan"), **form_input(ConsentIn)),
        _("The consent to a re-transfer is recorded."))


@pages.post("/contracts/<code>/retransfer")
@login_required
def retransfer(code: str):
    """The transferee re-transfers for the remaining term or less (R1.29)."""
    return _post(url_for("market.contract", code=code), lambda: retransfers.retransfer(
        db.session, current_actor(), code=code, **form_input(RetransferIn)),
        _("The re-transfer is made; it is filed when the new transferee signs."))


@pages.post("/retransfers/<code>/sign")
@login_required
def sign_retransfer(code: str):
    """The new transferee signs a re-transfer; it is filed and entered in the ledger."""
    return _post(url_for("market.my_bids"), lambda: retransfers.sign_retransfer(
        db.session, current_actor(), code=code), _("Signed. The re-transfer is filed."))


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
