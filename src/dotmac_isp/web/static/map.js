// The network map: each layer is fetched as GeoJSON for the visible box (the server caps the
// count and says so), drawn with Leaflet, and fetched again when the view moves. With no tile
// server configured the points are drawn on a plain background, fitted to their bounds.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var COLOURS = {
    device: { up: "#2e9e44", down: "#d23b3b", unknown: "#9aa0a6" },
    customer: { active: "#2e9e44", suspended: "#d23b3b", pending: "#e0a100", none: "#9aa0a6" }
  };
  var map = L.map(el, { zoomControl: true, worldCopyJump: false });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 })
      .addTo(map);
  }
  var toggles = document.querySelectorAll("[data-layer-toggle]");
  var groups = {};
  var capped = {};
  toggles.forEach(function (box) {
    groups[box.value] = L.featureGroup();
    if (box.checked) { groups[box.value].addTo(map); }
  });

  function popup(p) {
    var div = document.createElement("div");
    div.className = "map-popup";
    var title = document.createElement("strong");
    title.textContent = p.name + (p.number ? " (" + p.number + ")" : "");
    div.appendChild(title);
    var lines = [];
    if (p.kind === "customer") { lines.push(p.address, "service: " + p.state); }
    if (p.kind === "device") { lines.push(p.type + ", " + p.state, p.site ? "at " + p.site : ""); }
    if (p.kind === "site") { lines.push(p.address); }
    if (p.kind === "incident") { lines.push(p.title, p.affected + " subscription(s) affected"); }
    if (p.kind === "coverage") { lines.push(p.plans + " plan(s) sold here"); }
    lines.filter(Boolean).forEach(function (text) {
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(text));
    });
    div.appendChild(document.createElement("br"));
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = "Open";
    link.setAttribute("data-testid", "popup-link");
    div.appendChild(link);
    return div;
  }

  function drawPoint(name, feature, latlng) {
    var p = feature.properties;
    if (name === "sites") {
      return L.marker(latlng, { icon: new L.Icon.Default({ className: "map-site" }),
                                title: p.name });
    }
    if (name === "incidents") {
      return L.marker(latlng, { icon: L.divIcon({ className: "map-incident", html: "!",
                                                  iconSize: [22, 22] }), title: p.name });
    }
    var colour = (COLOURS[p.kind] || {})[p.state] || "#555";
    return L.circleMarker(latlng, {
      radius: name === "devices" ? 8 : 6, color: "#222", weight: 1, fillColor: colour,
      fillOpacity: 0.9, className: "map-" + p.kind + " map-" + p.kind + "-" + p.state
    });
  }

  function draw(name, data) {
    var group = groups[name];
    group.clearLayers();
    L.geoJSON(data, {
      pointToLayer: function (feature, latlng) { return drawPoint(name, feature, latlng); },
      style: function (feature) {  // points keep their own classes and colours
        return feature.properties.kind === "coverage"
          ? { className: "map-coverage", color: "#3367d6", weight: 2, fillOpacity: 0.12 } : {};
      },
      onEachFeature: function (feature, layer) { layer.bindPopup(popup(feature.properties)); }
    }).eachLayer(function (layer) { group.addLayer(layer); });
    if (name === "coverage") {  // areas lie under the points, so a click finds the point
      group.eachLayer(function (layer) { if (layer.bringToBack) { layer.bringToBack(); } });
    }
    capped[name] = !!data.truncated;
    var note = document.querySelector("[data-capped-for='" + name + "']");
    if (note) { note.hidden = !data.truncated; }
    var any = Object.keys(capped).some(function (k) { return capped[k] && map.hasLayer(groups[k]); });
    document.querySelector("[data-testid=map-capped]").hidden = !any;
  }

  function bbox() {
    var b = map.getBounds();
    var clamp = function (v, lim) { return Math.max(-lim, Math.min(lim, v)); };
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180),
            clamp(b.getNorth(), 90)].map(function (v) { return v.toFixed(6); }).join(",");
  }

  function load(name, box) {
    var url = el.dataset.layers + name + ".geojson" + (box ? "?bbox=" + box : "");
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) { draw(name, data); });
  }

  function visible() {
    return Array.prototype.filter.call(toggles, function (t) { return t.checked; })
      .map(function (t) { return t.value; });
  }

  function reload() {
    el.dataset.ready = "0";
    var box = bbox();
    Promise.all(visible().map(function (n) { return load(n, box); }))
      .then(function () { el.dataset.ready = "1"; });
  }

  toggles.forEach(function (box) {
    box.addEventListener("change", function () {
      var group = groups[box.value];
      if (box.checked) { group.addTo(map); el.dataset.ready = "0";
        load(box.value, bbox()).then(function () { el.dataset.ready = "1"; });
      } else { map.removeLayer(group); }
      draw_notice();
    });
  });

  function draw_notice() {
    var any = Object.keys(capped).some(function (k) { return capped[k] && map.hasLayer(groups[k]); });
    document.querySelector("[data-testid=map-capped]").hidden = !any;
  }

  // First view: every visible layer (capped) with no box, fitted to what came back.
  Promise.all(visible().map(function (n) { return load(n, ""); })).then(function () {
    var bounds = L.latLngBounds([]);
    Object.keys(groups).forEach(function (k) {
      if (map.hasLayer(groups[k]) && groups[k].getLayers().length) {
        bounds.extend(groups[k].getBounds());
      }
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16, animate: false });
    } else {
      map.setView([0, 0], 2, { animate: false });
    }
    el.dataset.ready = "1";
    var timer = null;
    map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(reload, 250); });
  });

  // The coverage check: typed coordinates or a click on the map.
  var form = document.getElementById("coverage-form");
  var result = document.getElementById("coverage-result");
  var pin = null;
  map.on("click", function (e) {
    form.lat.value = e.latlng.lat.toFixed(6);
    form.lon.value = e.latlng.lng.toFixed(6);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = "?lat=" + encodeURIComponent(form.lat.value) + "&lon=" + encodeURIComponent(form.lon.value);
    fetch(el.dataset.coverage + q, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        result.textContent = "";
        var p = document.createElement("p");
        if (data.error) {
          p.className = "error"; p.textContent = data.detail;
          result.appendChild(p); return;
        }
        p.className = data.covered ? "coverage-yes" : "coverage-no";
        p.setAttribute("data-testid", "coverage-answer");
        p.textContent = data.covered
          ? "Covered by " + data.sites.map(function (s) {
              return s.name + " (" + s.areas.map(function (a) { return a.name; }).join(", ") + ")";
            }).join("; ")
          : "Not covered by any site.";
        result.appendChild(p);
        if (data.plans.length) {
          var ul = document.createElement("ul");
          ul.setAttribute("data-testid", "coverage-plans");
          data.plans.forEach(function (plan) {
            var li = document.createElement("li");
            li.textContent = plan.name + " – " + plan.price + " " + plan.currency;
            ul.appendChild(li);
          });
          result.appendChild(ul);
        }
        var at = L.latLng(Number(data.latitude), Number(data.longitude));
        if (pin) { map.removeLayer(pin); }
        pin = L.circleMarker(at, { radius: 9, color: "#000", weight: 2, fillOpacity: 0,
                                   className: "map-check" }).addTo(map);
      });
  });
}());
