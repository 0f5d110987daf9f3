// Draws the network topology from its JSON: nodes in rows by hops from the core (row 0),
// nodes cut off from the core in a last row, edges as lines (dashed: configured uplinks).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var GAP_X = 150, GAP_Y = 110, PAD = 60, R = 16;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function layout(nodes, edges) {
    var rows = {}, deepest = 0;
    nodes.forEach(function (n) { if (n.depth !== null && n.depth > deepest) deepest = n.depth; });
    nodes.forEach(function (n) {
      var row = n.depth === null ? deepest + 1 : n.depth;
      (rows[row] = rows[row] || []).push(n);
    });
    var neighbours = {};
    edges.forEach(function (e) {
      (neighbours[e.source] = neighbours[e.source] || []).push(e.target);
      (neighbours[e.target] = neighbours[e.target] || []).push(e.source);
    });
    var order = Object.keys(rows).map(Number).sort(function (a, b) { return a - b; });
    var widest = Math.max.apply(null, order.map(function (r) { return rows[r].length; }));
    var pos = {};
    order.forEach(function (row, level) {
      var list = rows[row];
      // order a row by where its neighbours above stand, so fewer lines cross
      list.forEach(function (n) {
        var xs = (neighbours[n.id] || []).filter(function (m) { return pos[m]; })
          .map(function (m) { return pos[m].x; });
        n._order = xs.length ? xs.reduce(function (a, b) { return a + b; }, 0) / xs.length : 1e9;
      });
      list.sort(function (a, b) { return a._order - b._order || a.name.localeCompare(b.name); });
      var indent = (widest - list.length) * GAP_X / 2;  // rows centred under the widest
      list.forEach(function (n, i) {
        pos[n.id] = {x: PAD + indent + i * GAP_X, y: PAD + level * GAP_Y};
      });
    });
    return {pos: pos, width: PAD * 2 + Math.max(0, widest - 1) * GAP_X,
            height: PAD * 2 + Math.max(0, order.length - 1) * GAP_Y + 30};
  }

  function draw(box, graph) {
    box.textContent = "";
    if (!graph.nodes.length) {
      box.innerHTML = "<p class=\"muted\">No devices yet.</p>";
      return;
    }
    var placed = layout(graph.nodes, graph.edges), pos = placed.pos;
    var svg = el("svg", {"class": "topology", viewBox: "0 0 " + placed.width + " " + placed.height,
                         width: placed.width, height: placed.height, role: "img",
                         "aria-label": "Network topology"}, box);
    graph.edges.forEach(function (e) {
      var a = pos[e.source], b = pos[e.target];
      if (!a || !b) return;
      var line = el("line", {x1: a.x, y1: a.y, x2: b.x, y2: b.y,
                             "class": "edge edge-" + e.kind, "data-source": e.source,
                             "data-target": e.target}, svg);
      if (e.label) el("title", {}, line).textContent = e.label + " (" + e.kind + ")";
    });
    graph.nodes.forEach(function (n) {
      var p = pos[n.id], group = el("g", {"class": "node", "data-node": n.id,
                                          "data-name": n.name}, svg);
      var holder = group;
      if (n.device_id) holder = el("a", {href: "/admin/devices/" + n.device_id}, group);
      el("circle", {cx: p.x, cy: p.y, r: n.core ? R + 4 : R,
                    "class": "state-" + n.reachability + (n.managed ? "" : " unmanaged") +
                             (n.core ? " core" : "")}, holder);
      var label = el("text", {x: p.x, y: p.y + R + 16, "text-anchor": "middle"}, holder);
      label.textContent = n.name;
      el("title", {}, holder).textContent = n.name + " · " + n.type;
    });
    if (graph.truncated) {
      var note = document.createElement("p");
      note.className = "muted";
      note.textContent = "Only the devices nearest the core are drawn.";
      box.appendChild(note);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("topology");
    if (!box) return;
    fetch(box.getAttribute("data-source"), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (graph) { draw(box, graph); box.setAttribute("data-ready", "1"); })
      .catch(function (err) { box.textContent = "The topology could not be loaded (" + err.message + ")."; });
  });
})();
