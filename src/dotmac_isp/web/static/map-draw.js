// Drawing a coverage area: each click on the map adds a corner; from three corners on the
// text box holds the closed Polygon as GeoJSON (what the form sends). A polygon already in
// the box is drawn and fitted first.
(function () {
  "use strict";
  var el = document.getElementById("draw-map");
  var text = document.getElementById("a-geometry");
  if (!el || !text || !window.L) { return; }
  var map = L.map(el, { zoomControl: true });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 })
      .addTo(map);
  }
  var sites = JSON.parse(el.dataset.sites || "[]");
  var shown = L.featureGroup().addTo(map);
  var corners = [];

  function show(geojson) {
    shown.clearLayers();
    try {
      L.geoJSON(geojson, { style: { className: "map-coverage", color: "#3367d6", weight: 2 } })
        .eachLayer(function (l) { shown.addLayer(l); });
    } catch (e) { /* not drawable: the server will say why */ }
  }

  function update() {
    shown.clearLayers();
    corners.forEach(function (c) { L.circleMarker(c, { radius: 4, className: "map-corner" }).addTo(shown); });
    if (corners.length >= 2) { L.polyline(corners.concat([corners[0]]), { color: "#3367d6" }).addTo(shown); }
    if (corners.length >= 3) {
      var ring = corners.map(function (c) { return [Number(c.lng.toFixed(6)), Number(c.lat.toFixed(6))]; });
      ring.push(ring[0]);
      text.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    }
  }

  var start = null;
  try { start = text.value.trim() ? JSON.parse(text.value) : null; } catch (e) { start = null; }
  if (start) { show(start); }
  if (shown.getLayers().length) {
    map.fitBounds(shown.getBounds(), { padding: [20, 20], animate: false });
  } else if (sites.length) {
    map.fitBounds(L.latLngBounds(sites), { padding: [40, 40], maxZoom: 13, animate: false });
  } else {
    map.setView([0, 0], 2, { animate: false });
  }
  map.on("click", function (e) { corners.push(e.latlng); update(); });
  document.querySelector("[data-draw=undo]").addEventListener("click", function () {
    corners.pop(); update();
  });
  document.querySelector("[data-draw=clear]").addEventListener("click", function () {
    corners = []; text.value = ""; shown.clearLayers();
  });
  el.dataset.ready = "1";
}());
