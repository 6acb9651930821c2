// Map of a survey import's findings: critical in red, warnings in orange, one popup each.
(function () {
  'use strict';
  var el = document.getElementById('findings-map');
  if (!el || typeof L === 'undefined') { return; }
  var findings = JSON.parse(el.getAttribute('data-findings') || '[]');
  var features = findings.filter(function (f) { return f.location; }).map(function (f) {
    return { type: 'Feature', geometry: f.location, properties: f };
  });
  var map = L.map(el, { zoomControl: true });
  L.control.scale({ imperial: false }).addTo(map);
  var colour = { critical: '#b3261e', warning: '#c77700', info: '#1f6f43' };
  var layer = L.geoJSON({ type: 'FeatureCollection', features: features }, {
    style: function (f) { return { color: colour[f.properties.severity], weight: 3, fillOpacity: 0.3 }; },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { radius: 8, color: colour[f.properties.severity], weight: 3 });
    },
    onEachFeature: function (f, l) {
      var box = document.createElement('div');
      var title = document.createElement('strong');
      title.textContent = (f.properties.parcel_code || '') + ' ' + f.properties.rule;
      var text = document.createElement('p');
      text.textContent = f.properties.message;
      box.appendChild(title); box.appendChild(text);
      l.bindPopup(box);
      l.on('add', function () { var e = l.getElement && l.getElement(); if (e) { e.classList.add('lr-finding'); } });
    }
  }).addTo(map);
  if (features.length) { map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 18 }); }
  else { el.style.display = 'none'; }
  el.setAttribute('data-state', 'ready');
})();
