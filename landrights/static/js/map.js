/* landrights parcel map — plain ES2017 + Leaflet 1.9.4 + Leaflet.VectorGrid 1.3.0 (vendored).
 *
 * Reads its configuration from the data-* attributes of <div id="map">, fits the map to
 * data-bounds (minLon,minLat,maxLon,maxLat) and draws the parcels and the open market listings
 * from vector tiles (data-tiles, a URL template with {layer}). Tiles carry code, status, area in
 * mu and the parcel name only; clicking a parcel opens a popup that asks the parcel API (data-api)
 * for the area in m² and the holder, so personal data follows the API's permissions. Below data-min-zoom the parcel
 * tiles are empty and the status asks to zoom in; from zoom 8 to 13 the villages layer shows each collective's
 * outline, coloured by its share of registered parcels, with its counts, and from zoom 3 to 7 the
 * townships layer each township's, summed over its villages: no page ever receives all parcels.
 * No base-map tiles: the machine may be offline. The colours come from app.css (--lr-map-*), as
 * do the swatches of the page's legend (<details id="map-legend">), moved into the map's corner.
 *
 * For tests: each parcel is an SVG <path class="lr-parcel lr-status-..." data-code="..."
 * data-status="...">; #map gets data-state="loading|ready" and data-count (distinct parcels in
 * the loaded tiles); each village outline is a <path class="lr-village" data-code="...">, each
 * township's a <path class="lr-township" data-code="...">;
 * window.landrightsMap = {map, parcels, listings, villages, townships, reload}.
 */
(function () {
  'use strict';

  var el = document.getElementById('map');
  if (!el) return;
  // The colours live in app.css (--lr-map-*), which the legend's swatches use too: one source.
  function colour(name, fallback) {
    var v = window.getComputedStyle(el).getPropertyValue('--lr-map-' + name).trim();
    return v || fallback;
  }
  var COLOURS = {registered: [colour('registered', '#1b5e36'), colour('registered-fill', '#9fd8b0')],
                 surveyed: [colour('surveyed', '#8a5a00'), colour('surveyed-fill', '#f5d58a')]};
  var LISTING = colour('listing', '#c2410c');
  var VILLAGE = colour('village', '#1b5e36');
  var statusEl = document.getElementById('map-status');
  var ds = el.dataset;

  function msg(key, fallback) {
    var v = ds[key];
    return v === undefined || v === '' ? fallback : v;
  }
  function fill(template, name, value) {
    return String(template).split('{' + name + '}').join(String(value));
  }
  function setStatus(text, state) {
    if (statusEl) statusEl.textContent = text;
    el.setAttribute('data-state', state);
    if (statusEl) statusEl.setAttribute('data-state', state);
  }

  var text = {
    loading: msg('msgLoading', 'Loading…'),
    zoomIn: msg('msgZoomIn', 'Zoom in to see the parcels'),
    error: msg('msgError', 'Could not load parcels: {msg}'),
    count: msg('msgCount', '{n} parcels'),
    open: msg('msgOpen', 'Open parcel'),
    area: msg('msgArea', 'Area'),
    mu: msg('msgMu', 'mu'),
    holder: msg('msgHolder', 'Holder'),
    status: msg('msgStatus', 'Status'),
    registered: msg('msgRegistered', 'registered'),
    surveyed: msg('msgSurveyed', 'surveyed'),
    parcels: msg('msgParcels', 'Parcels'),
    listings: msg('msgListings', 'Open listings'),
    listing: msg('msgListing', 'Listing'),
    price: msg('msgPrice', 'Price (yuan per mu and year)'),
    term: msg('msgTerm', 'Term'),
    openListing: msg('msgOpenListing', 'Open listing'),
    villages: msg('msgVillages', 'Villages (overview)'),
    villageParcels: msg('msgVillageParcels', 'Live parcels'),
    villageRegistered: msg('msgVillageRegistered', 'Registered'),
    zoomVillage: msg('msgZoomVillage', 'Zoom in to its parcels'),
    townships: msg('msgTownships', 'Townships (overview)'),
    townshipVillages: msg('msgTownshipVillages', 'Villages'),
    zoomTownship: msg('msgZoomTownship', 'Zoom in to its villages')
  };

  if (typeof window.L === 'undefined' || !window.L.vectorGrid) {
    setStatus(fill(text.error, 'msg', 'Leaflet did not load'), 'error');
    return;
  }
  var L = window.L;

  var tiles = ds.tiles || '/tiles/{layer}/{z}/{x}/{y}.mvt';
  var api = ds.api || '/api/v1/parcels/';
  var parcelUrl = ds.parcelUrl || '/parcels/';
  var listingUrl = ds.listingUrl || '/market/';
  var minZoom = parseInt(ds.minZoom, 10);
  if (!(minZoom >= 0)) minZoom = 14;
  // the overviews' zooms as the server serves them (gis/tiles.py LAYERS): "min,max"
  function zooms(text, fallback) {
    var z = String(text || '').split(',').map(function (v) { return parseInt(v, 10); });
    return z.length === 2 && z[0] >= 0 && z[1] >= z[0] ? z : fallback;
  }
  var villageZooms = zooms(ds.villageZooms, [8, minZoom - 1]);
  var townshipZooms = zooms(ds.townshipZooms, [0, villageZooms[0] - 1]);

  var b = String(ds.bounds || '').split(',').map(Number);
  var startBounds = null;
  if (b.length === 4 && b.every(isFinite) && b[0] < b[2] && b[1] < b[3]) {
    startBounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
  }

  // The stylesheet gives the size; this only keeps the map visible if it did not load.
  if (el.clientHeight === 0) el.style.height = '60vh';

  var map = L.map(el, {zoomControl: true, maxZoom: 22, minZoom: 3, worldCopyJump: false});
  L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo(map);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');

  if (startBounds) {
    map.fitBounds(startBounds, {padding: [8, 8], animate: false});
    // An area too large to draw parcel by parcel: start at its centre where parcels show.
    if (map.getZoom() < minZoom) map.setView(startBounds.getCenter(), minZoom, {animate: false});
  } else {
    map.setView([35, 105], 4);   // China, when no jurisdiction bounds were given
  }

  function num(v, places) {
    return typeof v === 'number' && isFinite(v) ? v.toFixed(places) : '—';
  }

  function parcelStyle(p) {
    var c = COLOURS[p.status] || COLOURS.surveyed;
    return {color: c[0], weight: 1, opacity: 0.9, fill: true, fillColor: c[1], fillOpacity: 0.35,
            className: 'lr-parcel lr-status-' + (p.status || 'unknown')};
  }

  function popupBox(titleText, small) {
    var box = document.createElement('div');
    box.className = 'lr-popup';
    var title = document.createElement('p');
    title.className = 'lr-popup-title';
    var strong = document.createElement('strong');
    strong.textContent = titleText;
    title.appendChild(strong);
    if (small) {
      var span = document.createElement('span');
      span.className = 'lr-code';
      span.textContent = small;
      title.appendChild(document.createElement('br'));
      title.appendChild(span);
    }
    box.appendChild(title);
    var dl = document.createElement('dl');
    box.appendChild(dl);
    box.row = function (label, value) {
      var dt = document.createElement('dt');
      dt.textContent = label;
      var dd = document.createElement('dd');
      dd.textContent = value;
      dl.appendChild(dt);
      dl.appendChild(dd);
      return dd;
    };
    box.link = function (href, label) {
      var a = document.createElement('a');
      a.className = 'lr-button lr-popup-open';
      a.href = href;
      a.textContent = label;
      box.appendChild(a);
    };
    return box;
  }

  // The tile carries the area in mu only; m² and the holder come from the parcel API.
  function fillDetails(area, holder, code) {
    fetch(api + encodeURIComponent(code), {credentials: 'same-origin',
                                          headers: {'Accept': 'application/geo+json'}})
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) {
        var p = (body && body.properties) || {};
        if (typeof p.area_m2 === 'number') {
          area.textContent = num(p.area_m2, 2) + ' m² / ' + num(p.area_mu, 2) + ' ' + text.mu;
        }
        holder.textContent = p.holder || '—';
      })
      .catch(function () { holder.textContent = '—'; });
  }

  function parcelPopup(p) {
    var code = String(p.code);
    var box = popupBox(p.name || code, p.name ? code : null);
    box.row(text.status, text[p.status] || p.status || '—');
    var area = box.row(text.area, num(p.area_mu, 2) + ' ' + text.mu);
    fillDetails(area, box.row(text.holder, '…'), code);
    box.link(parcelUrl + encodeURIComponent(code), text.open);
    return box;
  }

  function listingPopup(p) {
    var box = popupBox(text.listing + ' ' + p.listing_id, String(p.code));
    box.row(text.price, num(p.price, 2));
    box.row(text.term, (p.term_start || '') + ' – ' + (p.term_end || ''));
    box.link(listingUrl + encodeURIComponent(p.listing_id), text.openListing);
    return box;
  }

  function tileLayer(name, options) {
    return L.vectorGrid.protobuf(fill(tiles, 'layer', name), L.extend({
      rendererFactory: L.svg.tile,
      interactive: true,
      maxZoom: 22,
      fetchOptions: {credentials: 'same-origin'}
    }, options));
  }

  var parcels = tileLayer('parcels', {
    getFeatureId: function (f) { return f.properties.code; },
    vectorTileLayerStyles: {parcels: function (p) { return parcelStyle(p); }}
  });
  var listings = tileLayer('listings', {
    getFeatureId: function (f) { return 'l' + f.properties.listing_id + '-' + f.properties.code; },
    vectorTileLayerStyles: {listings: function () {
      return {color: LISTING, weight: 3, opacity: 1, dashArray: '6 4', fill: false,
              className: 'lr-listing'};
    }}
  });

  // A village's or township's fill darkens with its share of registered parcels (0 %: pale,
  // 100 %: the registered green), so a county's progress of confirmation reads at a glance.
  function overviewStyle(p, weight, className) {
    var share = p.parcels > 0 ? p.registered / p.parcels : 0;
    return {color: VILLAGE, weight: weight, opacity: 0.9, fill: true, fillColor: VILLAGE,
            fillOpacity: 0.08 + 0.5 * share, className: className};
  }
  var villages = tileLayer('villages', {
    minZoom: villageZooms[0], maxZoom: villageZooms[1],
    getFeatureId: function (f) { return f.properties.code; },
    vectorTileLayerStyles: {villages: function (p) { return overviewStyle(p, 1.5, 'lr-village'); }}
  });
  var TOWNSHIP_ZOOM_IN = 11;  // a township (10-20 km across) fills a phone's screen
  var townships = tileLayer('townships', {
    minZoom: townshipZooms[0], maxZoom: townshipZooms[1],
    getFeatureId: function (f) { return f.properties.code; },
    vectorTileLayerStyles: {townships: function (p) { return overviewStyle(p, 2, 'lr-township'); }}
  });

  // The popup of a village or a township: its counts, and a button that zooms in to what it holds.
  function overviewPopup(p, latlng, more, zoomText, zoomTo) {
    var box = popupBox(p.name || String(p.code), p.name ? String(p.code) : null);
    if (more) more(box);
    box.row(text.villageParcels, String(p.parcels));
    var share = p.parcels > 0 ? Math.round(100 * p.registered / p.parcels) : 0;
    box.row(text.villageRegistered, p.registered + ' (' + share + ' %)');
    box.row(text.area, num(p.area_mu, 2) + ' ' + text.mu);
    var zoom = document.createElement('button');
    zoom.type = 'button';
    zoom.className = 'lr-button lr-popup-open';
    zoom.textContent = zoomText;
    zoom.addEventListener('click', function () { map.closePopup(); map.setView(latlng, zoomTo); });
    box.appendChild(zoom);
    return box;
  }
  function villagePopup(p, latlng) {
    return overviewPopup(p, latlng, null, text.zoomVillage, minZoom);
  }
  function townshipPopup(p, latlng) {
    return overviewPopup(p, latlng, function (box) {
      box.row(text.townshipVillages, String(p.villages));
    }, text.zoomTownship, TOWNSHIP_ZOOM_IN);
  }

  function openAt(latlng, content) {
    L.popup({maxWidth: 280, minWidth: 200}).setLatLng(latlng).setContent(content).openOn(map);
  }

  parcels.on('click', function (e) {
    openAt(e.latlng, parcelPopup(e.layer.properties || {}));
  });
  listings.on('click', function (e) {
    openAt(e.latlng, listingPopup(e.layer.properties || {}));
  });
  villages.on('click', function (e) {
    openAt(e.latlng, villagePopup(e.layer.properties || {}, e.latlng));
  });
  townships.on('click', function (e) {
    openAt(e.latlng, townshipPopup(e.layer.properties || {}, e.latlng));
  });

  // A drawn feature's path: reachable by keyboard, Enter or Space opens its popup at its centre.
  function keyboardPath(path, label, popup) {
    path.setAttribute('tabindex', '0');
    path.setAttribute('role', 'button');
    path.setAttribute('aria-label', label);
    path.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault();
      var r = path.getBoundingClientRect(), m = el.getBoundingClientRect();
      var point = L.point(r.left + r.width / 2 - m.left, r.top + r.height / 2 - m.top);
      var latlng = map.containerPointToLatLng(point);
      openAt(latlng, popup(latlng));
    });
  }

  // Once a tile is drawn, mark each feature's path: its code (and status), and keyboard access.
  function onDrawn(layer, mark) {
    layer.on('tileload', function (e) {
      var tile = layer._vectorTiles && layer._vectorTiles[layer._tileCoordsToKey(e.coords)];
      if (!tile || !tile._features) return;
      Object.keys(tile._features).forEach(function (id) {
        var f = tile._features[id].feature;
        var p = (f && f.properties) || {};
        if (!f || !f._path) return;
        f._path.setAttribute('data-code', String(p.code));
        mark(f._path, p);
      });
    });
  }
  function label(p) { return (p.name ? p.name + ' ' : '') + p.code; }

  onDrawn(villages, function (path, p) {
    keyboardPath(path, label(p), function (latlng) { return villagePopup(p, latlng); });
  });
  onDrawn(townships, function (path, p) {
    keyboardPath(path, label(p), function (latlng) { return townshipPopup(p, latlng); });
  });
  onDrawn(parcels, function (path, p) {
    if (p.status) path.setAttribute('data-status', p.status);
    keyboardPath(path, label(p), function () { return parcelPopup(p); });
  });

  function countParcels() {
    var seen = {};
    var all = parcels._vectorTiles || {};
    Object.keys(all).forEach(function (key) {
      Object.keys(all[key]._features || {}).forEach(function (code) { seen[code] = true; });
    });
    return Object.keys(seen).length;
  }

  function showState() {
    if (map.getZoom() < minZoom) {
      el.setAttribute('data-count', '0');
      setStatus(text.zoomIn, 'ready');
      return;
    }
    var n = countParcels();
    el.setAttribute('data-count', String(n));
    setStatus(fill(text.count, 'n', n), 'ready');
  }

  parcels.on('loading', function () {
    if (map.getZoom() >= minZoom) setStatus(text.loading, 'loading');
  });
  parcels.on('load', showState);
  map.on('zoomend', function () { if (map.getZoom() < minZoom) showState(); });

  var overlays = {};
  if (ds.villages !== '0') {  // an account with an area; a household's map has none
    villages.addTo(map);
    overlays[text.villages] = villages;
  }
  if (ds.townships === '1') {  // an account whose area is a township or more
    townships.addTo(map);
    overlays[text.townships] = townships;
  }
  parcels.addTo(map);
  listings.addTo(map);
  overlays[text.parcels] = parcels;
  overlays[text.listings] = listings;
  L.control.layers(null, overlays, {collapsed: true}).addTo(map);
  // The legend (rendered by the page, below the map without script) sits in the map's corner.
  var legend = document.getElementById('map-legend');
  if (legend) {
    // On a phone it starts folded to its one-line summary (the colours and short names), so it
    // covers little of the map; a tap opens it.
    if (window.matchMedia && window.matchMedia('(max-width: 699px)').matches) legend.open = false;
    var legendControl = L.control({position: 'bottomleft'});
    legendControl.onAdd = function () {
      L.DomEvent.disableClickPropagation(legend);
      L.DomEvent.disableScrollPropagation(legend);
      return legend;
    };
    legendControl.addTo(map);
  }
  setStatus(text.loading, 'loading');

  window.landrightsMap = {map: map, parcels: parcels, listings: listings, villages: villages,
                          townships: townships,
                          reload: function () {
                            parcels.redraw(); listings.redraw(); villages.redraw(); townships.redraw();
                          }};
})();
