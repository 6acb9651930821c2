/* landrights market map — plain ES2017 + Leaflet 1.9.4 (vendored), no other library.
 *
 * <div id="market-map" data-api="/api/v1/listings/parcels?..." data-bounds="minLon,minLat,maxLon,maxLat"
 * data-listing-url="/market/">: fits the bounds, and after every move (debounced) loads the listing
 * parcels in view as bbox-limited GeoJSON, replacing the previous layer. No base-map tiles (offline).
 *
 * For tests: each parcel is an SVG <path class="lr-listing-parcel" data-code data-listing>; the div
 * gets data-state="loading|ready|error" and data-count/data-matched after each load.
 */
(function () {
  'use strict';

  var el = document.getElementById('market-map');
  if (!el) return;
  var ds = el.dataset;
  var statusEl = document.getElementById('market-map-status');
  var STYLE = {color: '#8a4b08', weight: 2, opacity: 0.9, fillColor: '#f3b562', fillOpacity: 0.45,
               className: 'lr-listing-parcel'};

  function msg(key, fallback) { return ds[key] ? ds[key] : fallback; }
  function fill(template, name, value) { return String(template).split('{' + name + '}').join(String(value)); }
  function setStatus(text, state) {
    if (statusEl) statusEl.textContent = text;
    el.setAttribute('data-state', state);
  }
  if (typeof window.L === 'undefined') { setStatus('Leaflet did not load', 'error'); return; }
  var L = window.L;
  if (el.clientHeight === 0) el.style.height = '50vh';

  var b = String(ds.bounds || '').split(',').map(Number);
  var map = L.map(el, {preferCanvas: false, maxZoom: 22, minZoom: 3});
  L.control.scale({metric: true, imperial: false}).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (b.length === 4 && b.every(isFinite) && b[0] <= b[2] && b[1] <= b[3]) {
    map.fitBounds(L.latLngBounds([b[1], b[0]], [b[3], b[2]]), {padding: [24, 24], animate: false, maxZoom: 17});
  } else {
    map.setView([42.9, 125.1], 9);  // Liaoyuan, when nothing is listed
  }

  function popup(p) {
    var box = document.createElement('div');
    box.className = 'lr-popup';
    var title = document.createElement('p');
    title.textContent = fill(msg('msgListingNo', 'Listing {n}'), 'n', p.listing_id) + ' · ' + p.code;
    box.appendChild(title);
    var facts = document.createElement('p');
    facts.textContent = p.area_mu.toFixed(2) + ' ' + msg('msgMu', 'mu') + ' · ' + p.price + ' ' +
      msg('msgPrice', 'yuan per mu and year');
    box.appendChild(facts);
    var a = document.createElement('a');
    a.className = 'lr-button';
    a.href = (ds.listingUrl || '/market/') + p.listing_id;
    a.textContent = msg('msgOpen', 'Open listing');
    box.appendChild(a);
    return box;
  }

  function onEach(feature, lyr) {
    var p = feature.properties || {};
    lyr.bindPopup(function () { return popup(p); }, {maxWidth: 260});
    lyr.on('add', function () {
      var path = lyr.getElement();
      if (!path) return;
      path.setAttribute('data-code', p.code);
      path.setAttribute('data-listing', String(p.listing_id));
      path.setAttribute('tabindex', '0');
      path.setAttribute('role', 'button');
      path.setAttribute('aria-label', msg('msgListing', 'Listing') + ' ' + p.listing_id + ' ' + p.code);
      path.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); lyr.openPopup(); }
      });
    });
  }

  // What the last complete answer covered (the view padded by half): a move inside it needs no
  // reload. While a popup is open nothing is reloaded either: replacing the layer would close the
  // popup the user just opened (its auto-pan moves the map); the reload waits for it to close,
  // also when the popup opened while a reload was pending or its answer was on its way.
  var layer = null, controller = null, timer = null, covered = null, popupOpen = false, stale = false;
  function showCount(returned, matched) {
    el.setAttribute('data-count', String(returned));
    el.setAttribute('data-matched', String(matched));
    var text = matched > returned ? msg('msgTooMany', 'Zoom in: {n} parcels') : msg('msgCount', '{n} parcels');
    setStatus(fill(text, 'n', matched), 'ready');
  }
  async function load() {
    var bounds = map.getBounds().pad(0.5);
    var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
    var box = [clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90),
               clamp(bounds.getEast(), -180, 180), clamp(bounds.getNorth(), -90, 90)];
    if (!(box[0] < box[2] && box[1] < box[3])) return;
    if (controller) controller.abort();
    var mine = new AbortController();
    controller = mine;
    setStatus(msg('msgLoading', 'Loading…'), 'loading');
    var api = ds.api || '/api/v1/listings/parcels';
    var url = api + (api.indexOf('?') === -1 ? '?' : '&') + 'bbox=' +
      encodeURIComponent(box.map(function (v) { return v.toFixed(7); }).join(','));
    try {
      var res = await fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/geo+json'},
                                  signal: mine.signal});
      if (!res.ok) throw new Error('HTTP ' + res.status);
      var data = await res.json();
      if (controller !== mine) return;
      if (popupOpen && layer) {  // it arrived under a popup opened meanwhile: keep what is shown
        stale = true;
        showCount(layer.lrReturned, layer.lrMatched);
        return;
      }
      var next = L.geoJSON(data, {style: function () { return STYLE; }, onEachFeature: onEach});
      next.lrReturned = data.numberReturned;
      next.lrMatched = data.numberMatched;
      if (layer) map.removeLayer(layer);
      layer = next.addTo(map);
      covered = data.numberMatched > data.numberReturned ? null : bounds;
      showCount(data.numberReturned, data.numberMatched);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      setStatus(fill(msg('msgError', 'Could not load: {msg}'), 'msg', err.message || String(err)), 'error');
    } finally {
      if (controller === mine) controller = null;
    }
  }
  map.on('popupopen', function () { popupOpen = true; });
  map.on('popupclose', function () {
    popupOpen = false;
    if (stale) { stale = false; map.fire('moveend'); }
  });
  map.on('moveend', function () {
    if (covered && covered.contains(map.getBounds())) return;
    if (popupOpen) { stale = true; return; }
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () {
      timer = null;
      if (popupOpen) { stale = true; return; }  // a popup opened while the timer ran
      load();
    }, 250);
  });
  load();
  window.landrightsMarketMap = {map: map, reload: load};
})();
