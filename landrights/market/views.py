"""Market pages: open listings (anyone), a listing with its bid form, the household's listings and
listing form, the transferee's bids, the township ledger, statistics."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.errors import NotFound
from landrights.extensions import db
from landrights.market import contracts, documents, queries, services
from landrights.web.actions import expired_form, form_date, form_decimal, run_and_report

bp = Blueprint("market", __name__, url_prefix="/market")


@bp.get("/")
def listings():
    """Open listings on a map and in a list, with filters: township, land use, area, price."""
    filters = {"township": request.args.get("township") or None,
               "land_use": request.args.get("land_use") or None,
               "min_area_mu": form_decimal("min_area_mu", request.args),
               "max_price": form_decimal("max_price", request.args)}
    found = queries.open_listings(db.session, **filters)
    api = url_for("api.listing_parcels", **{k: v for k, v in filters.items() if v is not None})
    return render_template("market/listings.html", items=found, api=api,
                           bounds=queries.listing_bounds(db.session, **filters))


@bp.route("/<int:listing_id>", methods=["GET", "POST"])
def listing(listing_id: int):
    """A listing; a registered transferee bids, a member matches."""
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        back = url_for("market.listing", listing_id=listing_id)
        failed, _result = run_and_report(lambda: _bid_or_match(listing_id), _("Recorded."), back)
        return failed or redirect(back)
    found = queries.listing_dict(services.get_listing(db.session, listing_id))
    return render_template("market/listing.html", l=found, form=form,
                           contract=queries.contract_of_listing(db.session, listing_id),
                           api=url_for("api.listing_parcels", listing=listing_id),
                           bounds=queries.listing_bounds(db.session, listing_id=listing_id))


@bp.post("/<int:listing_id>/officer")
@login_required
def officer_action(listing_id: int):
    """The township officer records a deposit, awards the listing, or drafts its contract."""
    back = url_for("market.listing", listing_id=listing_id)
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(lambda: _officer_step(listing_id), _("Recorded."), back)
    return failed or redirect(back)


def _officer_step(listing_id: int):
    actor, action = current_actor(), request.form.get("action")
    if action == "deposit":
        return services.record_deposit(
            db.session, actor, listing_id=listing_id,
            transferee_id=int(request.form.get("transferee_id") or 0),
            amount_yuan=form_decimal("amount_yuan") or Decimal(0),
            receipt=request.form.get("receipt", ""))
    if action == "award":
        return contracts.award(db.session, actor, listing_id=listing_id)
    return contracts.draft_contract(db.session, actor, listing_id=listing_id)


@bp.post("/contracts/<code>/sign")
@login_required
def sign(code: str):
    """A party signs the transfer contract in the app; both signed, it is filed."""
    back = request.form.get("back") or url_for("market.listings")
    if not back.startswith("/"):
        back = url_for("market.listings")
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(lambda: contracts.sign_contract(db.session, current_actor(), code=code),
                                     _("Signed."), back)
    return failed or redirect(back)


def _bid_or_match(listing_id: int):
    if request.form.get("action") == "match":
        return services.match_as_member(db.session, current_actor(), listing_id=listing_id)
    price = form_decimal("price") or Decimal(0)
    return services.place_bid(db.session, current_actor(), listing_id=listing_id, price=price)


@bp.route("/mine", methods=["GET", "POST"])
@login_required
def mine():
    """The household's listings; list more parcels of its confirmed contract."""
    actor, form = current_actor(), FlaskForm()
    if not actor.household_code:
        return redirect(url_for("market.listings"))
    if request.method == "POST" and form.validate_on_submit():
        back = url_for("market.mine")
        failed, _result = run_and_report(lambda: services.create_listing(
            db.session, actor, household_code=actor.household_code,
            parcel_codes=request.form.getlist("parcel_codes"), mode=request.form.get("mode", ""),
            term_start=form_date("term_start"), term_end=form_date("term_end"),
            reserve_price=form_decimal("reserve_price") or Decimal(0),
            payment_schedule=request.form.get("payment_schedule", ""),
            land_use=request.form.get("land_use", ""),
            conditions=request.form.get("conditions") or None), _("The listing is open for bids."), back)
        return failed or redirect(back)
    from landrights.rights.queries import retained_rights

    view = retained_rights(db.session, actor, actor.household_code)
    return render_template("market/mine.html", items=queries.household_listings(db.session, actor,
                                                                                 actor.household_code),
                           contract=view["contract"], transfers=view["transfers"], form=form)


@bp.get("/contracts/<code>.pdf")
@login_required
def contract_pdf(code: str):
    """The transfer contract with its statutory clauses, as PDF (for the parties and officials)."""
    from landrights.certification.documents import html_to_pdf

    contract = documents.contract_for(db.session, current_actor(), code)
    html = render_template("market/contract_pdf.html", c=contract, k=contract.clauses)
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{code}.pdf"'})


@bp.get("/contracts/<code>/attestation.pdf")
@login_required
def attestation_pdf(code: str):
    """The market's transaction attestation (交易鉴证书) of a filed transfer, with its signed QR."""
    from landrights.certification.documents import html_to_pdf, qr_svg_data_uri

    contract = documents.contract_for(db.session, current_actor(), code)
    if contract.filed_at is None:
        raise NotFound(_("The contract is not filed yet: there is no attestation."), field="code")
    url = documents.attestation_url(current_app.config["PUBLIC_BASE_URL"],
                                    current_app.config["CERTIFICATE_KEY"].encode(), contract)
    html = render_template("market/attestation_pdf.html", c=contract, k=contract.clauses, url=url,
                           qr=qr_svg_data_uri(url), filed_on=documents.filed_on(contract))
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{code}-attestation.pdf"'})


@bp.get("/bids")
@login_required
def my_bids():
    """The acting transferee's bids."""
    actor = current_actor()
    return render_template("market/bids.html", rows=queries.my_bids(db.session, actor), form=FlaskForm(),
                           to_sign=queries.retransfers_to_sign(db.session, actor))


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
    """Verify a transfer attestation: anyone, without logging in."""
    checked = documents.verify_transfer(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                                        day=request.args.get("d"), sig=request.args.get("s"))
    status = {"not_found": 404, "tampered": 400}.get(checked.state, 200)
    return render_template("market/verify.html", v=checked), status


from landrights.market import contract_views  # noqa: E402,F401  (its routes register on bp)
