"""Mapbox vector tiles made by PostGIS in one statement each (ST_AsMVT), and the data version of a
tile that its ETag is made from. No Flask here; the bytes go to the client as PostGIS made them.

The tile envelope (EPSG:3857) is transformed to EPSG:4490 so that ``geom && envelope`` uses the
parcels' GiST index. Tiles carry codes, status, areas, the parcel name (DKMC), listing terms and,
for the overviews below zoom 14, a village's (collective's) or a township's name and counts: no
holder, no ID number, no phone, no neighbour names (the four sides), no pointer name.

Each statement is built once per layer, scope kind and detail level with bound parameters
(z, x, y, the scope's code, the time, the client's tags), so a tile request costs one cached
statement (the version and, unless the client's copy or this process's is current, the tile) and
one round trip; psycopg prepares it on the server after a few uses (the view ends with COMMIT:
db.reads_only). The tiles a process made lately are kept, up to a size, with their version
(TileCache): a tile whose version has not changed is sent again without being made again.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import cache

import cachetools
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.maps import permissions
from landrights.market.models import Listing, ListingParcel
from landrights.registry.models import AdminUnit, Collective, Parcel, ParcelOverview
from landrights.registry.queries import bound_parcel_scope, scope_code, scope_kind

EXTENT = 4096          # MVT coordinate units per tile side
BUFFER = 64            # units drawn beyond the edge, so strokes do not break at tile seams
MAX_ZOOM = 22
FULL_DETAIL_ZOOM = 14  # below this, geometries are simplified to half a screen pixel (from z14
# the parcels layer is drawn unsimplified: simplifying the densest z14 tile cost a third of its time
# and saved no bytes, ST_AsMVTGeom already snapping to the 4,096-unit grid)
WORLD_M = 40075016.68557849  # EPSG:3857 world width
TILE_FORMAT = "2"      # part of every ETag: bump when the tile's layout or version changes


@dataclass(frozen=True)
class Layer:
    """A tile layer: its name and the zooms at which it carries features."""

    name: str
    min_zoom: int
    max_zoom: int = MAX_ZOOM


# A z13 tile of a county holds ~4,000 parcels at Liaoyuan's density (PERFORMANCE.md: ~1,000 at
# z14): below z14 the parcels layer is empty, and the villages layer shows each collective's
# outline with its counts of surveyed and registered parcels instead (parcel_overviews, 0012).
# Below z8 a village is a few pixels wide: the townships layer sums the villages of each township.
LAYERS = {"parcels": Layer("parcels", 14), "listings": Layer("listings", 10),
          "villages": Layer("villages", 8, 13), "townships": Layer("townships", 0, 7)}
TOWNSHIP_DIGITS = 9  # a collective's code begins with its township's (R4.5)


def in_grid(z: int, x: int, y: int) -> bool:
    """Tell whether z/x/y names a tile of the Web Mercator grid up to MAX_ZOOM."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z


def _envelope():
    return sa.func.ST_TileEnvelope(sa.bindparam("z", type_=sa.Integer),
                                   sa.bindparam("x", type_=sa.Integer),
                                   sa.bindparam("y", type_=sa.Integer))


def _mvt_geom(geom, simplify: bool):
    """Clip and quantize a 4490 geometry to the tile; simplify it below FULL_DETAIL_ZOOM."""
    merc = sa.func.ST_Transform(geom, 3857)
    if simplify:
        merc = sa.func.ST_Simplify(merc, sa.bindparam("tolerance", type_=sa.Float), True)
    return sa.func.ST_AsMVTGeom(merc, _envelope(), EXTENT, BUFFER, True)


def _in_tile(geom=Parcel.geom):
    # && against the envelope in the column's SRID: the GiST index on the column applies
    return geom.op("&&")(sa.func.ST_Transform(_envelope(), 4490))


def _round(expr):
    return sa.cast(sa.func.round(sa.cast(expr, sa.Numeric), 2), sa.Float)


def _parcel_rows(kind: str, simplify: bool):
    """The parcels layer: live parcels the actor may see, coloured on the map by status."""
    # what a label needs and no more: attributes are most of a tile's bytes (the geometry of the
    # densest demo z14 tile is a quarter of it); the popup asks the API for the rest
    return sa.select(
        _mvt_geom(Parcel.geom, simplify).label("geom"), Parcel.id, Parcel.code, Parcel.name,
        Parcel.status, sa.cast(_round(Parcel.area_m2 * 15 / 10000), sa.REAL).label("area_mu"),
    ).where(_in_tile(), Parcel.valid_to.is_(None), bound_parcel_scope(kind))


def _listing_from(select):
    return (select.select_from(ListingParcel)
            .join(Listing, Listing.id == ListingParcel.listing_id)
            .join(Parcel, sa.and_(Parcel.county_code == ListingParcel.county_code,
                                  Parcel.code == ListingParcel.parcel_code))
            .where(_in_tile(), Parcel.valid_to.is_(None), Listing.status == "open",
                   Listing.closes_at > sa.bindparam("now", type_=sa.DateTime(timezone=True)),
                   ListingParcel.status == "listed"))


def _listing_rows(simplify: bool):
    """The listings layer: parcels of open listings (public facts, as on the market page)."""
    return _listing_from(sa.select(
        _mvt_geom(Parcel.geom, simplify).label("geom"), ListingParcel.id,
        Listing.id.label("listing_id"), Parcel.code, Listing.mode, Listing.land_use,
        sa.cast(sa.func.coalesce(Listing.best_price, Listing.reserve_price), sa.Float).label("price"),
        sa.cast(Listing.reserve_price, sa.Float).label("reserve_price"),
        sa.func.to_char(sa.func.lower(Listing.term), "YYYY-MM-DD").label("term_start"),
        sa.func.to_char(sa.func.upper(Listing.term) - 1, "YYYY-MM-DD").label("term_end"),
        sa.func.to_char(sa.func.timezone("Asia/Shanghai", Listing.closes_at),
                        "YYYY-MM-DD HH24:MI").label("closes_at"),
        Listing.bid_count))


def shows_villages(kind: str) -> bool:
    """Tell whether accounts of a scope kind see the villages overview: those with an area
    (county, township, village or group); a household's account and one with no area do not, as
    they see no one else's parcels."""
    return kind == "area"


def _overviews_in_area(kind: str):
    """The village overviews in the actor's area (bound 'scope'): none unless it has an area."""
    return (ParcelOverview.collective_code.startswith(sa.bindparam("scope", type_=sa.String))
            if shows_villages(kind) else sa.false())


# a village overview's row version: written again by every statement changing its parcels (0012)
_OVERVIEW_STAMP = sa.literal_column("parcel_overviews.collective_code || ':' || parcel_overviews.xmin::text")


def _village_from(select, kind: str):
    """The collectives in the actor's area whose outline meets the tile, with their names."""
    return (select.select_from(ParcelOverview)
            .join(Collective, sa.and_(Collective.county_code == ParcelOverview.county_code,
                                      Collective.code == ParcelOverview.collective_code))
            .where(_in_tile(ParcelOverview.geom), _overviews_in_area(kind)))


def shows_townships(actor: Actor) -> bool:
    """Tell whether an account sees the townships overview: one whose area is a township or more
    (the system, a county administrator, a township officer). A collective's clerk sees their
    village from zoom 8; a township's sums would be only theirs."""
    return (shows_villages(scope_kind(actor)) and actor.area_prefix is not None
            and len(actor.area_prefix) <= TOWNSHIP_DIGITS)


def _townships(kind: str):
    """Each township in the actor's area with a village outline meeting the tile, summed over all
    its villages (so its outline is the same in every tile): the convex hull of their outlines,
    the counts, and a digest of the overviews' row versions for the tile's version."""
    o = ParcelOverview
    in_area = _overviews_in_area(kind)
    township = sa.func.left(o.collective_code, TOWNSHIP_DIGITS)
    hit = sa.select(township.label("code")).where(_in_tile(o.geom), in_area).distinct().subquery("hit")
    return (sa.select(hit.c.code, sa.func.ST_ConvexHull(sa.func.ST_Collect(o.geom)).label("geom"),
                      sa.func.count().label("villages"), sa.func.sum(o.parcels).label("parcels"),
                      sa.func.sum(o.registered).label("registered"), sa.func.sum(o.area_m2).label("area_m2"),
                      _digest(_OVERVIEW_STAMP, o.collective_code).label("stamp"))
            .select_from(hit)
            # the township's villages: one range of the overviews' key, as _COLLECTIVE_CODES
            .join(o, sa.and_(o.county_code == sa.func.left(hit.c.code, 6),
                             o.collective_code.between(hit.c.code + "00000", hit.c.code + "99999")))
            .where(in_area).group_by(hit.c.code).subquery("townships"))


def _township_from(select, towns):
    """The townships with their admin unit (the name) where the registry has it."""
    return select.select_from(towns).outerjoin(AdminUnit, sa.and_(
        AdminUnit.county_code == sa.func.left(towns.c.code, 6), AdminUnit.code == towns.c.code))


def _township_rows(kind: str, simplify: bool):
    """The townships layer: each township's outline, name, number of villages and counts."""
    towns = _townships(kind)
    return _township_from(sa.select(
        _mvt_geom(towns.c.geom, simplify).label("geom"), sa.cast(towns.c.code, sa.BigInteger).label("id"),
        towns.c.code, AdminUnit.name,
        sa.cast(towns.c.villages, sa.Integer).label("villages"),
        sa.cast(towns.c.parcels, sa.Integer).label("parcels"),
        sa.cast(towns.c.registered, sa.Integer).label("registered"),
        sa.cast(_round(towns.c.area_m2 * 15 / 10000), sa.REAL).label("area_mu")), towns)


def _village_rows(kind: str, simplify: bool):
    """The villages layer: each collective's outline, name and counts (no personal data)."""
    return _village_from(sa.select(
        _mvt_geom(ParcelOverview.geom, simplify).label("geom"), Collective.id,
        ParcelOverview.collective_code.label("code"), Collective.name, ParcelOverview.parcels,
        ParcelOverview.registered,
        sa.cast(_round(ParcelOverview.area_m2 * 15 / 10000), sa.REAL).label("area_mu")), kind)


@cache
def _tile_statement(layer: str, kind: str, simplify: bool):
    if layer == "parcels":
        rows = _parcel_rows(kind, simplify)
    elif layer == "villages":
        rows = _village_rows(kind, simplify)
    elif layer == "townships":
        rows = _township_rows(kind, simplify)
    else:
        rows = _listing_rows(simplify)
    rows = rows.subquery("t")
    # ST_AsMVT skips the rows whose geometry ST_AsMVTGeom clipped away (NULL)
    return sa.select(sa.func.ST_AsMVT(sa.literal_column("t"), layer, EXTENT, "geom", "id")).select_from(rows)


def _digest(stamp, order):
    return sa.func.md5(sa.func.string_agg(stamp, aggregate_order_by(sa.literal(","), order)))


@cache
def _version_statement(layer: str, kind: str):
    if layer == "parcels" and kind == "area":
        # An area's tile shows the live parcels under its code prefix, and nothing but their own
        # columns. Every statement that inserts, updates or deletes parcels writes again the
        # overview row of each collective it touched (0012: a new row version, xmin), and an
        # overview covers the bounding box of each of its live parcels: so the overviews meeting
        # the tile change whenever one of its parcels does, or one comes or goes. A handful of
        # rows instead of every parcel of the tile (803 at the densest z14 tile of a county).
        return sa.select(_digest(_OVERVIEW_STAMP, ParcelOverview.collective_code)).where(
            _in_tile(ParcelOverview.geom), _overviews_in_area(kind))
    if layer == "parcels":  # a household's parcels also come and go with its contracts
        stamp = sa.literal_column("parcels.id::text || ':' || parcels.xmin::text")
        return sa.select(_digest(stamp, Parcel.id)).where(_in_tile(), Parcel.valid_to.is_(None),
                                                          bound_parcel_scope(kind))
    if layer == "villages":  # a recomputed overview is a new row version (xmin); a rename too
        stamp = sa.literal_column("parcel_overviews.collective_code || ':' || parcel_overviews.xmin::text "
                                  "|| ':' || collectives.xmin::text")
        return _village_from(sa.select(_digest(stamp, ParcelOverview.collective_code)), kind)
    if layer == "townships":  # its villages' overviews (as "villages"), and a renamed township
        towns = _townships(kind)
        stamp = towns.c.code + ":" + towns.c.stamp + ":" + sa.func.coalesce(
            sa.literal_column("admin_units.xmin::text"), "-")
        return _township_from(sa.select(_digest(stamp, towns.c.code)), towns)
    stamp = sa.literal_column("listing_parcels.id::text || ':' || listing_parcels.xmin::text || ':' || "
                              "listings.xmin::text || ':' || parcels.id::text || ':' || parcels.xmin::text")
    return _listing_from(sa.select(_digest(stamp, ListingParcel.id)))


def _params(actor: Actor, z: int, x: int, y: int) -> dict:
    return {"z": z, "x": x, "y": y, "tolerance": WORLD_M / 2 ** z / 512,  # half a 256-px pixel
            "scope": scope_code(actor),
            "now": clock.now()}


@cache
def _tile_if_changed_statement(layer: str, kind: str, simplify: bool):
    """One statement: the tile's version digest and, unless it is one the client holds (bound
    'known', 'any'), the tile. The tile is an InitPlan the CASE runs only when it is needed."""
    version = _version_statement(layer, kind).subquery("v")
    digest = sa.func.coalesce(version.c[0], "none")
    known = sa.func.left(digest, 20) == sa.any_(sa.bindparam("known", type_=ARRAY(sa.String)))
    tile = _tile_statement(layer, kind, simplify).scalar_subquery()
    # ST_AsMVT combines in parallel, so the planner prices a parallel sequential scan of all
    # parcels below the GiST probe (at 100,000 parcels: 40-150 ms for a 6 ms tile; one tile is a
    # few hundred rows, which the index finds at once). set_config is PARALLEL UNSAFE: no part of
    # a statement calling it is planned parallel (this replaced a SET LOCAL and its round trip).
    no_parallel = sa.func.set_config("max_parallel_workers_per_gather", "0", True)
    return sa.select(digest, sa.case((sa.bindparam("any", type_=sa.Boolean) | known, None),
                                     else_=tile), no_parallel).select_from(version)


class TileCache:
    """The tiles this process made lately, each with its version, up to a total size in bytes;
    the least recently used go first. Shared by the threads of a worker. A tile is only ever
    sent from here after the database said its version is still this one (tile_if_changed)."""

    ENTRY_OVERHEAD = 200  # bytes of key, tag and bookkeeping counted per tile beyond its own

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._tiles = cachetools.LRUCache(max(max_bytes, 1),
                                          getsizeof=lambda held: len(held[1]) + self.ENTRY_OVERHEAD)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[str, bytes] | None:
        """Return the (version, bytes) held for a tile, or None."""
        with self._lock:
            return self._tiles.get(key)

    def put(self, key: Hashable, version: str, data: bytes) -> None:
        """Hold a tile's bytes under its version (a tile larger than the whole cache is not held)."""
        if len(data) + self.ENTRY_OVERHEAD > self.max_bytes:
            return
        with self._lock:
            self._tiles[key] = (version, data)

    @property
    def size(self) -> int:
        """Return the bytes held now, as counted against max_bytes."""
        with self._lock:
            return int(self._tiles.currsize)


def tile_if_changed(session: Session, actor: Actor, layer: str, z: int, x: int, y: int,
                    client_tags: Iterable[str] = (), any_tag: bool = False,
                    held: TileCache | None = None) -> tuple[str, bytes | None]:
    """Return a layer tile's ETag and its MVT bytes, or None for the bytes if the client's copy
    is current (client_tags holds the tag, or any_tag: If-None-Match "*"); one round trip.

    The tag digests the ids and row versions (xmin) of the rows the tile is made from (for an
    area's parcels, of the collectives' overviews: _version_statement), found through the same
    index, in the same statement (so the same snapshot) as the tile: any insert, update, closing
    or deletion of one of them, or a listing closing, gives another tag. The actor's scope is
    part of it because two accounts see different parcels under one URL. Outside the layer's
    zooms (LAYERS: min_zoom to max_zoom), and for the townships layer to an account whose area is
    smaller than a township (shows_townships), the tile is empty.

    With a TileCache (held), a tile whose tag is the one held for it is not made again: the
    statement then returns only the tag, and the bytes come from the cache.

    Raises:
        Unauthenticated: anonymous (the map is for accounts).
    """
    permissions.require_see_map(actor)
    prefix, suffix = f"{TILE_FORMAT}-{layer}-{z}-", _scope_suffix(actor)
    tags = set(client_tags)
    if _always_empty(actor, layer, z):
        etag = f"{prefix}empty{suffix}"
        return etag, None if any_tag or etag in tags else b""
    kind = scope_kind(actor)
    key = (layer, kind, scope_code(actor), z, x, y)  # everything the tile's content depends on
    cached = held.get(key) if held is not None else None
    statement = _tile_if_changed_statement(layer, kind, z < FULL_DETAIL_ZOOM)
    known = _known_versions(tags, prefix, suffix) + ([cached[0]] if cached else [])
    params = {**_params(actor, z, x, y), "known": known, "any": any_tag}
    digest, data, _ = session.connection().execute(statement, params).one()
    version = digest[:20]
    etag = f"{prefix}{version}{suffix}"
    if any_tag or etag in tags:
        return etag, None
    return etag, _held_or_made(held, key, version, cached, data)


def _scope_suffix(actor: Actor) -> str:
    """Return the end of a tile's tag that names the actor's scope (two accounts, two tiles)."""
    area = actor.area_prefix if actor.area_prefix is not None else "-"
    return f"-{_short(f'{actor.role}:{area}')}"


def _always_empty(actor: Actor, layer: str, z: int) -> bool:
    """Tell whether the tile is empty whatever the data: outside the layer's zooms, or the
    townships layer for an account whose area is smaller than a township."""
    spec = LAYERS[layer]
    return not spec.min_zoom <= z <= spec.max_zoom or (layer == "townships" and not shows_townships(actor))


def _known_versions(tags: set[str], prefix: str, suffix: str) -> list[str]:
    """Return the versions of this tile the client's tags name."""
    return [t[len(prefix):-len(suffix)] for t in tags if t.startswith(prefix) and t.endswith(suffix)]


def _held_or_made(held: TileCache | None, key: Hashable, version: str, cached: tuple[str, bytes] | None,
                  data: bytes | None) -> bytes:
    """Return the tile's bytes: the cache's when it holds this version, else the statement's
    (then held for next time)."""
    if cached is not None and cached[0] == version:
        return cached[1]
    data = bytes(data or b"")
    if held is not None:
        held.put(key, version, data)
    return data


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
