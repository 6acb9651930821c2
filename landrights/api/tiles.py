"""Vector tiles for the map: /tiles/<layer>/<z>/<x>/<y>.mvt, with an ETag from the tile's data
version so a browser revalidates cheaply (304) and sees a change at once; a tile this worker made
and whose version still holds is sent from its cache (app.extensions['landrights.tiles'])."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from landrights.accounts.views import current_actor
from landrights.errors import NotFound
from landrights.extensions import db
from landrights.maps import tiles

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
MVT = "application/vnd.mapbox-vector-tile"


def _check_tile(layer: str, z: int, x: int, y: int) -> None:
    if layer not in tiles.LAYERS:
        raise NotFound(_("There is no tile layer %(layer)s; the layers are %(names)s.", layer=layer,
                         names=", ".join(tiles.LAYERS)), field="layer")
    if not 0 <= z <= tiles.MAX_ZOOM:
        raise NotFound(_("Zoom %(z)s is outside 0–%(max)s.", z=z, max=tiles.MAX_ZOOM), field="z")
    if not tiles.in_grid(z, x, y):
        raise NotFound(_("Tile %(z)s/%(x)s/%(y)s is outside the grid: at zoom %(z)s, x and y run from "
                         "0 to %(last)s.", z=z, x=x, y=y, last=2 ** z - 1),
                       field="x" if not 0 <= x < 2 ** z else "y")


@bp.get("/<layer>/<int(signed=True):z>/<int(signed=True):x>/<int(signed=True):y>.mvt")
@db.reads_only
def tile(layer: str, z: int, x: int, y: int):
    """Return one vector tile of a layer (parcels, listings), or 304 if the client's copy is current."""
    _check_tile(layer, z, x, y)
    etag, data = tiles.tile_if_changed(db.session, current_actor(), layer, z, x, y,
                                       request.if_none_match.as_set(), request.if_none_match.star_tag,
                                       held=current_app.extensions["landrights.tiles"])
    resp = Response(status=304) if data is None else Response(data, mimetype=MVT)
    resp.set_etag(etag)
    # private: the tile depends on the account; no-cache: revalidate every time (a 304 is cheap)
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["Vary"] = "Cookie, Authorization"
    return resp
