"""The `web` blueprint: the home page (the map), the menu and the filters every template uses; the
registry's pages come from web.registry_pages. Each page parses input, calls one query, and renders."""
from __future__ import annotations

from flask import Blueprint, has_request_context, render_template
from flask_babel import get_locale
from flask_login import login_required

from landrights import moments
from landrights.accounts.views import current_actor
from landrights.certification import queries as cert_queries
from landrights.extensions import db
from landrights.geo.area import display_m2, display_mu
from landrights.maps import tiles
from landrights.market import entrustment_queries
from landrights.market import queries as market_queries
from landrights.registry import codes, queries, rules
from landrights.web import registry_pages
from landrights.web.actions import field_error
from landrights.web.can import can

bp = Blueprint("web", __name__)


@bp.app_context_processor
def inject_language() -> dict:
    """Give templates the current language code (zh or en) and the menu the user may use."""
    if not has_request_context():  # a document rendered by a command (PDF batch): no user, no menu
        return {"lang": "zh", "menu": {}}
    actor = current_actor()
    return {"lang": str(get_locale() or "zh"),
            "menu": {"households": can.list_households(actor),
                     "surveys": can.role_may_import_survey(actor),
                     "notices": actor.area_prefix is not None,
                     "progress": can.see_progress(actor),
                     "rosters": can.role_may_keep_roster(actor),
                     "handups": can.role_may_import_handup(actor)}}


bp.add_app_template_global(field_error, "field_error")  # a form's refusal beside its field
bp.add_app_template_global(can, "can")  # {% if can.list_land(current_user, code) %}: no role compared


@bp.app_template_filter("relation")
def relation_filter(code: str | None) -> str:
    """Show a GB/T 4761 relation code with its name."""
    return rules.code_label(rules.RELATIONS, code)


@bp.app_template_filter("remark")
def remark_filter(code: str | None) -> str:
    """Show an NY/T 2539 member remark code with its name."""
    return rules.code_label(rules.MEMBER_REMARKS, code)


@bp.app_template_filter("code_name")
def code_name_filter(code: str | None, field: str) -> str:
    """Show a code value of an NY/T 2539 field by its name in the user's language:
    {{ p.soil_grade|code_name('DLDJ') }} -> 四等地 (registry/codes.py; R4.21-R4.24, R4.31)."""
    language = str(get_locale() or "zh") if has_request_context() else "zh"
    return codes.name_of(field, code, language)


@bp.app_template_filter("soil_grade")
def soil_grade_filter(code: str | None) -> str:
    """Show a 地力等级 code by its name (04 -> 四等地, R4.23); an unknown code as it is."""
    return code_name_filter(code, "DLDJ")


@bp.app_template_filter("land_use")
def land_use_filter(code: str | None) -> str:
    """Show a 土地用途 code by its name (1 -> 种植业, R4.24); an unknown code as it is."""
    return code_name_filter(code, "TDYT")


@bp.app_template_filter("local_time")
def local_time_filter(moment, seconds: bool = False) -> str:
    """Show a moment as people write it, in China Standard Time (never UTC): 2026年12月9日 16:00,
    9 Dec 2026 16:00 (landrights.moments)."""
    return moments.as_written(moment, seconds=seconds)


@bp.app_template_filter("mu")
def mu_filter(m2) -> str:
    """Format an area in m² as mu with 2 places."""
    return "" if m2 is None else f"{display_mu(m2)}"


@bp.app_template_filter("m2")
def m2_filter(m2) -> str:
    """Format an area in m² with 2 places."""
    return "" if m2 is None else f"{display_m2(m2)}"


@bp.get("/")
@login_required
def home():
    """Show the map of the parcels in the user's area (drawn from vector tiles); an account with no
    area (a transferee) sees the open listings."""
    actor = current_actor()
    bounds = queries.jurisdiction_bounds(db.session, actor) or market_queries.listing_bounds(db.session)
    return render_template("map.html", bounds=bounds, min_zoom=tiles.LAYERS["parcels"].min_zoom,
                           layers=tiles.LAYERS,
                           villages=tiles.shows_villages(queries.scope_kind(actor)),
                           townships=tiles.shows_townships(actor),
                           entrusted=entrustment_queries.entrusted_to(db.session, actor),
                           household_notice=cert_queries.household_notice(db.session, actor))


registry_pages.add_routes(bp)  # a parcel, the household list, a household
