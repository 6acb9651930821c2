/* landrights parcel map — plain ES2017 + Leaflet 1.9.4 (vendored), no other library.
 *
 * Reads its configuration from the data-* attributes of <div id="map">, fits the map to
 * data-bounds (minLon,minLat,maxLon,maxLat), and after every move (debounced) loads the parcels
 * in view from data-api as GeoJSON, replacing the previous layer. Status text goes to
 * #map-status. No base-map tiles: the machine may be offline.
 *
 * For tests: each parcel is an SVG <path class="lr-parcel ..." data-code="..." data-status="...">;
 * #map gets data-state="loading|ready|error" and data-count/data-matched after each load;
 * window.landrightsMap = {map, reload} exposes the Leaflet map.
 */
(function () {
  'use strict';

  var DEBOUNCE_MS = 250;
  var STYLE = {color: '#1b5e36', weight: 1, opacity: 0.9, fillColor: '#9fd8b0', fillOpacity: 0.3,
               className: 'lr-parcel'};
  var HOVER = {color: '#0b3d20', weight: 3, opacity: 1, fillColor: '#5fbf80', fillOpacity: 0.5};

  var el = document.getElementById('map');
  if (!el) return;
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
    tooMany: msg('msgTooMany', 'Too many parcels ({n}): zoom in'),
    error: msg('msgError', 'Could not load parcels: {msg}'),
    count: msg('msgCount', '{n} parcels'),
    open: msg('msgOpen', 'Open parcel'),
    area: msg('msgArea', 'Area'),
    mu: msg('msgMu', 'mu'),
    holder: msg('msgHolder', 'Holder')
  };

  if (typeof window.L === 'undefined') {
    setStatus(fill(text.error, 'msg', 'Leaflet did not load'), 'error');
    return;
  }
  var L = window.L;

  var api = ds.api || '/api/v1/parcels';
  var parcelUrl = ds.parcelUrl || '/parcels/';
  var maxFeatures = parseInt(ds.maxFeatures, 10);
  if (!(maxFeatures > 0)) maxFeatures = 1500;

  var b = String(ds.bounds || '').split(',').map(Number);
  var startBounds = null;
  if (b.length === 4 && b.every(isFinite) && b[0] < b[2] && b[1] < b[3]) {
    startBounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
  }

  // The stylesheet gives the size; this only keeps the map visible if it did not load.
  if (el.clientHeight === 0) el.style.height = '60vh';

  var map = L.map(el, {
    preferCanvas: false,      // SVG paths: needed for className and data-code on each parcel
    zoomControl: true,
    maxZoom: 22,
    minZoom: 3,
    worldCopyJump: false
  });
  L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo(map);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');

  if (startBounds) {
    map.fitBounds(startBounds, {padding: [8, 8], animate: false});
  } else {
    map.setView([35, 105], 4);   // China, when no jurisdiction bounds were given
  }

  var layer = null;
  var controller = null;
  var timer = null;

  function num(v, places) {
    return typeof v === 'number' && isFinite(v) ? v.toFixed(places) : '—';
  }

  function popupContent(p, code) {
    var box = document.createElement('div');
    box.className = 'lr-popup';
    var title = document.createElement('p');
    title.className = 'lr-popup-title';
    var strong = document.createElement('strong');
    strong.textContent = p.name || code;
    title.appendChild(strong);
    if (p.name) {
      var small = document.createElement('span');
      small.className = 'lr-code';
      small.textContent = code;
      title.appendChild(document.createElement('br'));
      title.appendChild(small);
    }
    box.appendChild(title);

    var dl = document.createElement('dl');
    function row(label, value) {
      var dt = document.createElement('dt');
      dt.textContent = label;
      var dd = document.createElement('dd');
      dd.textContent = value;
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    row(text.holder, p.holder || '—');
    row(text.area, num(p.area_m2, 2) + ' m² / ' + num(p.area_mu, 2) + ' ' + text.mu);
    box.appendChild(dl);

    var a = document.createElement('a');
    a.className = 'lr-button lr-popup-open';
    a.href = parcelUrl + encodeURIComponent(code);
    a.textContent = text.open;
    box.appendChild(a);
    return box;
  }

  function onEachFeature(feature, lyr) {
    var p = feature.properties || {};
    var code = String(feature.id !== undefined && feature.id !== null ? feature.id : p.code);
    lyr.bindPopup(function () { return popupContent(p, code); }, {maxWidth: 280, minWidth: 200});
    lyr.on('add', function () {
      var path = lyr.getElement();
      if (!path) return;
      path.setAttribute('data-code', code);
      if (p.status) path.setAttribute('data-status', p.status);
      path.setAttribute('tabindex', '0');
      path.setAttribute('role', 'button');
      path.setAttribute('aria-label', (p.name ? p.name + ' ' : '') + code);
      path.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          lyr.openPopup();
        }
      });
    });
    lyr.on('mouseover', function () { lyr.setStyle(HOVER); lyr.bringToFront(); });
    lyr.on('mouseout', function () { if (!lyr.isPopupOpen()) lyr.setStyle(STYLE); });
    lyr.on('popupopen', function () { lyr.setStyle(HOVER); lyr.bringToFront(); });
    lyr.on('popupclose', function () { lyr.setStyle(STYLE); });
  }

  function bboxParam() {
    var bounds = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
    var x0 = clamp(bounds.getWest(), -180, 180), x1 = clamp(bounds.getEast(), -180, 180);
    var y0 = clamp(bounds.getSouth(), -90, 90), y1 = clamp(bounds.getNorth(), -90, 90);
    if (!(x0 < x1 && y0 < y1)) return null;
    return [x0, y0, x1, y1].map(function (v) { return v.toFixed(7); }).join(',');
  }

  async function errorMessage(res) {
    try {
      var body = await res.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (e) { /* not JSON */ }
    return 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
  }

  async function load() {
    var bbox = bboxParam();
    if (!bbox) return;
    if (controller) controller.abort();
    var mine = new AbortController();
    controller = mine;
    setStatus(text.loading, 'loading');
    var sep = api.indexOf('?') === -1 ? '?' : '&';
    var url = api + sep + 'bbox=' + encodeURIComponent(bbox) + '&limit=' + maxFeatures;
    try {
      var res = await fetch(url, {
        credentials: 'same-origin',
        headers: {'Accept': 'application/geo+json'},
        signal: mine.signal
      });
      if (!res.ok) {
        var m = await errorMessage(res);
        if (controller !== mine) return;
        throw new Error(m);
      }
      var data = await res.json();
      if (controller !== mine) return;       // a newer request has started
      var features = (data && data.features) || [];
      var returned = typeof data.numberReturned === 'number' ? data.numberReturned : features.length;
      var matched = typeof data.numberMatched === 'number' ? data.numberMatched : returned;

      var next = L.geoJSON(data, {style: function () { return STYLE; }, onEachFeature: onEachFeature});
      if (layer) map.removeLayer(layer);
      layer = next.addTo(map);

      el.setAttribute('data-count', String(returned));
      el.setAttribute('data-matched', String(matched));
      if (matched > returned) {
        setStatus(fill(text.tooMany, 'n', matched), 'ready');
      } else {
        setStatus(fill(text.count, 'n', returned), 'ready');
      }
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (controller !== mine) return;
      setStatus(fill(text.error, 'msg', (err && err.message) || String(err)), 'error');
    } finally {
      if (controller === mine) controller = null;
    }
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; load(); }, DEBOUNCE_MS);
  }

  map.on('moveend', schedule);
  load();

  window.landrightsMap = {map: map, reload: load};
})();
