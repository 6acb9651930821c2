"""Market pages: open listings (anyone), a listing with its bid form, the household's listings and
listing form, the transferee's bids, the township ledger, statistics."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.errors import NotFound, ValidationFailed
from landrights.extensions import db
from landrights.market import (
    contract_views,
    contracts,
    desk_views,
    documents,
    endings,
    entrustment_views,
    pages,
    permissions,
    pledge_views,
    queries,
    services,
)
from landrights.market.inputs import BidIn, DepositIn, DraftIn, LapseIn, ListingIn, ListingQuery
from landrights.web.actions import attempt, expired_form, form_input, query_input, run_and_report
from landrights.web.security import safe_next

bp = Blueprint("market", __name__, url_prefix="/market")


@bp.app_template_global("may_list_land")
def may_list_land(household_code: str | None) -> bool:
    """Tell a template whether the user lists this household's land (its 'rent out' links)."""
    return permissions.can_list_land(current_actor(), household_code)


_FILTERS = ("township", "land_use", "min_area_mu", "max_price")


def _filters() -> tuple[dict, int]:
    """Read the market's filters through the API's ListingQuery: a value it refuses is said beside
    its field and left out, the others still filter (422). A township comes as its code from the
    list, or as a name typed into the address (大阳镇); a name no township has matches nothing, as
    an unknown code does."""
    township = pages.township_code(db.session, request.args.get("township"))
    named = township is not None and not township.isdigit()
    skip, given = (["limit", "township"], {}) if named else (["limit"], {"township": township})
    refused, loaded = attempt(lambda: query_input(ListingQuery(exclude=skip), **given))
    if refused is not None:
        loaded = _without_refused(refused, skip, given)
    filters = {name: loaded.get(name) for name in _FILTERS}
    return filters | ({"township": township} if named else {}), 422 if refused else 200


def _without_refused(refused, skip: list[str], given: dict) -> dict:
    """Load the filters again without those refused (said beside their fields already)."""
    bad = {one.field for one in getattr(refused, "each", None) or [refused]} - {None}
    return query_input(ListingQuery(exclude=[*skip, *bad]),
                       **{name: value for name, value in given.items() if name not in bad})


@bp.get("/")
def listings():
    """Open listings on a map and in a list, with filters: township (chosen by name), land use,
    area, price; and the user's own market tasks (list land, my listings, my bids, the ledger)."""
    filters, status = _filters()
    found = pages.with_places(db.session, queries.open_listings(db.session, **filters))
    api = url_for("api.listing_parcels", **{k: v for k, v in filters.items() if v is not None})
    return render_template("market/listings.html", items=found, api=api,
                           townships=pages.townships(db.session),
                           tasks=pages.market_tasks(db.session, current_actor()),
                           bounds=queries.listing_bounds(db.session, **filters)), status


@bp.route("/<int:listing_id>", methods=["GET", "POST"])
def listing(listing_id: int):
    """A listing: its household sees every bid and may withdraw it unbid; a registered transferee
    sees the deposit to pay, bids once it is recorded, and sees whether it leads; a member matches."""
    refused = None
    if request.method == "POST":
        refused, _result = attempt(lambda: _bid_or_match(listing_id), _("Your bid is recorded."))
        if refused is None:
            return redirect(url_for("market.listing", listing_id=listing_id))
    return _listing_page(listing_id, refused)


def _listing_page(listing_id: int, refused=None, template: str = "market/listing.html"):
    view = pages.listing_view(db.session, current_actor(), listing_id)
    return render_template(template, v=view, l=view.facts, form=FlaskForm(), typed=request.form,
                           contract=queries.contract_of_listing(db.session, current_actor(), listing_id),
                           api=url_for("api.listing_parcels", listing=listing_id),
                           bounds=queries.listing_bounds(db.session, listing_id=listing_id)), \
        refused.status if refused else 200


@bp.route("/<int:listing_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(listing_id: int):
    """Ask the household to confirm the withdrawal of its unbid listing, naming what follows; then
    withdraw it (endings.withdraw_listing)."""
    refused = None
    if request.method == "POST":
        refused, _result = attempt(lambda: endings.withdraw_listing(db.session, current_actor(),
                                                                    listing_id=listing_id),
                                   _("The listing is withdrawn: nobody can bid on it, and its parcels can be "
                                     "listed again."))
        if refused is None:
            return redirect(url_for("market.listing", listing_id=listing_id))
    return _listing_page(listing_id, refused, "market/withdraw.html")


@bp.post("/<int:listing_id>/officer")
@login_required
def officer_action(listing_id: int):
    """The township officer records a deposit, awards the listing, drafts its contract, or ends an
    award whose contract was not signed; the household (or the officer) withdraws it unbid."""
    back = url_for("market.listing", listing_id=listing_id)
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(lambda: _officer_step(listing_id), _("Recorded."), back)
    return failed or redirect(back)


def _officer_step(listing_id: int):
    actor, action = current_actor(), request.form.get("action")
    if action == "deposit":
        return services.record_deposit(db.session, actor, listing_id=listing_id, **form_input(DepositIn))
    if action == "award":
        return contracts.award(db.session, actor, listing_id=listing_id)
    if action == "withdraw":
        return endings.withdraw_listing(db.session, actor, listing_id=listing_id)
    if action == "lapse":
        return endings.lapse_award(db.session, actor, listing_id=listing_id, **form_input(LapseIn))
    return contracts.draft_contract(db.session, actor, listing_id=listing_id, **form_input(DraftIn))


@bp.post("/contracts/<code>/sign")
@login_required
def sign(code: str):
    """A party signs the transfer contract in the app; both signed, it is filed."""
    back = safe_next(request.form.get("back"), url_for("market.listings"))
    if (refused := expired_form(back)) is not None:
        return refused
    refused, signed = attempt(lambda: _sign(code))  # a refusal is flashed, shown where it came from
    if refused is None:
        flash(_("Both parties have signed: the contract is filed and in force.") if signed.status == "filed"
              else _("You have signed. The contract is filed once the other party signs too."), "success")
    return redirect(back)


def _sign(code: str):
    if not request.form.get("agree"):  # a contract binds: the signer says they read it
        raise ValidationFailed(_("Tick the box to confirm that you have read the whole contract and agree "
                                 "to it."), field="agree")
    return contracts.sign_contract(db.session, current_actor(), code=code)


def _bid_or_match(listing_id: int):
    if request.form.get("action") == "match":
        return services.match_as_member(db.session, current_actor(), listing_id=listing_id)
    return services.place_bid(db.session, current_actor(), listing_id=listing_id, **form_input(BidIn))


@bp.route("/mine", methods=["GET", "POST"])
@login_required
def mine():
    """The household's listings with their bids and outcome, its rent received and overdue; and
    the form to list parcels of its confirmed contract (kept as typed when refused)."""
    actor = current_actor()
    if not actor.household_code:
        return redirect(url_for("market.listings"))
    refused = None
    if request.method == "POST":
        refused, listing = attempt(lambda: _create_listing(actor),
                                   _("Your land is listed: transferees can bid on it now."))
        if refused is None:  # the anchor replaces the form's own (#listing-form): the page's top
            return redirect(url_for("market.listing", listing_id=listing.id, _anchor="listing-status"))
    from landrights.rights.queries import retained_rights

    view = retained_rights(db.session, actor, actor.household_code)
    chosen = request.form.getlist("parcel_codes") if refused else request.args.getlist("parcel")
    return render_template("market/mine.html", contract=view["contract"], form=FlaskForm(),
                           items=pages.with_places(db.session, queries.household_listings(
                               db.session, actor, actor.household_code)),
                           rent=pages.household_rent(db.session, actor.household_code),
                           typed=request.form if refused else {}, chosen=chosen), \
        refused.status if refused else 200


def _create_listing(actor):
    return services.create_listing(db.session, actor,
                                   **form_input(ListingIn, household_code=actor.household_code))


@bp.get("/contracts/<code>.pdf")
@login_required
def contract_pdf(code: str):
    """The transfer contract with its statutory clauses, as PDF (for the parties and officials)."""
    from landrights.signing.printing import html_to_pdf

    contract = documents.contract_for(db.session, current_actor(), code)
    html = render_template("market/contract_pdf.html", c=contract, k=contract.clauses)
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{code}.pdf"'})


@bp.get("/contracts/<code>/attestation.pdf")
@login_required
def attestation_pdf(code: str):
    """The market's transaction attestation (交易鉴证书) of a filed transfer, with its signed QR."""
    from landrights.signing.printing import html_to_pdf, qr_svg_data_uri

    contract = documents.contract_for(db.session, current_actor(), code)
    if contract.filed_at is None:
        raise NotFound(_("The contract is not filed yet: there is no attestation."), field="code")
    url = documents.attestation_url(db.session, current_app.config["PUBLIC_BASE_URL"], contract)
    html = render_template("market/attestation_pdf.html", c=contract, k=contract.clauses, url=url,
                           qr=qr_svg_data_uri(url), filed_on=documents.filed_on(contract))
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{code}-attestation.pdf"'})


@bp.get("/bids")
@login_required
def my_bids():
    """The acting transferee's bids, one line per listing: its best bid and whether it leads."""
    actor = current_actor()
    return render_template("market/bids.html", rows=pages.my_listings_bid_on(db.session, actor),
                           form=FlaskForm(), to_sign=queries.retransfers_to_sign(db.session, actor))


@bp.get("/ledger")
@login_required
def ledger():
    """The township's transfer ledger (流转台账) and statistics by township and year."""
    actor = current_actor()
    township = request.args.get("township") or (actor.area_prefix or "")[:9]
    return render_template("market/ledger.html", township=township,
                           entries=queries.ledger(db.session, actor, township),
                           stats=queries.statistics(db.session, actor))


verify_bp = Blueprint("market_verify", __name__)


@verify_bp.get("/verify/transfer/<code>")
def verify_transfer(code: str):
    """Verify a transfer attestation by its QR code's signed data: anyone, without logging in."""
    checked = documents.verify_transfer(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                                        day=request.args.get("d"), sig=request.args.get("s"),
                                        key_id=request.args.get("k"))
    status = 404 if checked.state == "unverified" else 200
    return render_template("market/verify.html", v=checked), status


for _pages in (contract_views, pledge_views, desk_views, entrustment_views):  # their pages, on this blueprint
    _pages.add_routes(bp)
