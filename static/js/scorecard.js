// The dealer scorecard's trend chart (Chart.js). Data comes from a json_script
// element, since the Content Security Policy forbids inline scripts.
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!canvas || !source || !window.Chart) { return; }
    window.Chart.defaults.locale = window.Portal.locale;  // ticks and tooltips
    var data = JSON.parse(source.textContent);
    var months = data.labels.map(function (iso) {
      var parts = iso.split("-");
      var date = new Date(Number(parts[0]), Number(parts[1]) - 1, 1);
      return date.toLocaleDateString(window.Portal.locale, { month: "short", year: "numeric" });
    });
    var target = data.labels.map(function () { return data.follow_up_target; });
    new window.Chart(canvas, {
      data: {
        labels: months,
        datasets: [
          { type: "bar", label: data.text.received, data: data.received, backgroundColor: "rgba(18, 53, 91, 0.75)", yAxisID: "count", order: 3 },
          { type: "bar", label: data.text.won, data: data.won, backgroundColor: "rgba(2, 122, 72, 0.8)", yAxisID: "count", order: 2 },
          { type: "line", label: data.text.follow_up, data: data.follow_up, borderColor: "#1f7a8c", backgroundColor: "#1f7a8c", tension: 0.25, yAxisID: "percent", spanGaps: true, order: 1 },
          { type: "line", label: data.text.conversion, data: data.conversion, borderColor: "#b54708", backgroundColor: "#b54708", tension: 0.25, yAxisID: "percent", spanGaps: true, order: 1 },
          { type: "line", label: data.text.target, data: target, borderColor: "rgba(31, 122, 140, 0.45)", borderDash: [6, 4], pointRadius: 0, yAxisID: "percent", order: 0 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          percent: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                     ticks: { callback: function (value) { return window.Portal.percent(value); } } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
