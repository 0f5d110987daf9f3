// Draws each [data-chart] element with uPlot from its data-labels/data-values attributes.
(function () {
  function draw(el) {
    var labels = JSON.parse(el.dataset.labels || "[]");
    var values = JSON.parse(el.dataset.values || "[]");
    if (!window.uPlot || !labels.length) { return; }
    var xs = labels.map(function (_, i) { return i; });
    var opts = {
      width: Math.max(el.clientWidth, 300), height: 220,
      scales: { x: { time: false } },
      axes: [{ values: function (u, ticks) { return ticks.map(function (t) { return labels[t] || ""; }); } }, {}],
      series: [{}, { label: el.dataset.unit, stroke: "#2a6ebb", fill: "rgba(42,110,187,0.12)", width: 2 }],
    };
    new window.uPlot(opts, [xs, values], el);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
