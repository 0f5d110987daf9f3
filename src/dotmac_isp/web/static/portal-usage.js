// Draws the portal's usage charts with uPlot: each [data-usage-chart] element reads its
// figures (GB) from data-chart; the data cap, when there is one, is a dashed line.
(function () {
  function draw(el) {
    var data = JSON.parse(el.dataset.chart || "{}");
    var perDay = el.dataset.usageChart === "days";
    var labels = perDay ? data.days : data.periods;
    var values = perDay ? data.day_gb : data.period_gb;
    if (!window.uPlot || !labels || !labels.length) { return; }
    if (perDay) {  // the cap is for the whole period: compare the running total with it
      var sum = 0;
      values = values.map(function (v) { sum += v; return Math.round(sum * 1000) / 1000; });
    }
    var xs = labels.map(function (_, i) { return i; });
    var series = [{ label: perDay ? "day" : "period",
      value: function (u, v) { return v == null ? "--" : (labels[v] || "--"); } }, {
      label: perDay ? "used so far (GB)" : "used (GB)", stroke: "#0b5cad",
      fill: "rgba(11,92,173,0.18)", width: 2,
      paths: perDay ? undefined : uPlot.paths.bars({ size: [0.6, 60] }),
    }];
    var rows = [xs, values];
    if (data.cap_gb) {
      series.push({ label: "cap (GB)", stroke: "#b42318", width: 2, dash: [6, 4], points: { show: false } });
      rows.push(labels.map(function () { return data.cap_gb; }));
    }
    var short = function (t) {
      var label = labels[t];
      if (label === undefined || t !== Math.round(t)) { return ""; }
      return perDay ? label.slice(8) : label.slice(0, 3);
    };
    var opts = {
      width: Math.max(Math.min(el.clientWidth, 900), 200), height: 220,
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: function (u, min, max) { return [0, Math.max(max, data.cap_gb || 0, 0.001) * 1.1]; } } },
      axes: [{ values: function (u, ticks) { return ticks.map(short); } }, { size: 44 }],
      series: series,
      legend: { show: true },
    };
    el.textContent = "";
    new window.uPlot(opts, rows, el);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-usage-chart]").forEach(draw);
  });
})();
