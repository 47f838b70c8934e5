// The channel dashboard's charts (Chart.js): the trend, the funnel and the distribution
// over dealers. Data comes from a json_script element, since the Content Security
// Policy forbids inline scripts.
(function () {
  "use strict";

  var BRAND = "rgba(18, 53, 91, 0.8)";
  var ACCENT = "#1f7a8c";
  var WARN = "#b42318";
  var WON = "rgba(2, 122, 72, 0.85)";
  var ORANGE = "#b54708";

  function percentAxis() {
    return {
      type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
      ticks: { callback: function (value) { return window.Portal.percent(value); } }
    };
  }

  function legend() {
    return { position: "bottom", labels: { boxWidth: 12 } };
  }

  function trend(data) {
    var canvas = document.getElementById("trend-chart");
    if (!canvas) { return; }
    new window.Chart(canvas, {
      data: {
        labels: data.trend.labels,
        datasets: [
          { type: "bar", label: data.text.leads_in, data: data.trend.leads_in, backgroundColor: BRAND, yAxisID: "count", order: 2 },
          { type: "line", label: data.text.follow_up, data: data.trend.follow_up, borderColor: ACCENT, backgroundColor: ACCENT, tension: 0.25, yAxisID: "percent", spanGaps: true, order: 1 },
          { type: "line", label: data.text.forgotten, data: data.trend.forgotten, borderColor: WARN, backgroundColor: WARN, tension: 0.25, yAxisID: "percent", spanGaps: true, order: 1 },
          { type: "line", label: data.text.conversion, data: data.trend.conversion, borderColor: ORANGE, backgroundColor: ORANGE, tension: 0.25, yAxisID: "percent", spanGaps: true, order: 1 }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          percent: percentAxis()
        },
        plugins: { legend: legend() }
      }
    });
  }

  function funnel(data) {
    var canvas = document.getElementById("funnel-chart");
    if (!canvas) { return; }
    var first = data.funnel.counts[0] || 0;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.funnel.labels,
        datasets: [{
          label: data.text.leads, data: data.funnel.counts,
          backgroundColor: data.funnel.counts.map(function (_n, i) {
            return i === data.funnel.counts.length - 1 ? WON : "rgba(31, 122, 140, " + (0.95 - i * 0.12) + ")";
          })
        }]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (item) {
            var share = first ? Math.round(100 * item.raw / first) : 0;
            return window.Portal.number(item.raw) + " (" + window.Portal.percent(share) + ")";
          } } }
        }
      }
    });
  }

  function dealers(data) {
    var canvas = document.getElementById("dealer-chart");
    if (!canvas) { return; }
    // One bar per dealer: make the box tall enough (inline styles are blocked by the
    // CSP; setting them from our own script is allowed).
    canvas.parentElement.style.height = Math.max(280, 20 * data.dealers.labels.length + 70) + "px";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.dealers.labels,
        datasets: [
          { label: data.text.received, data: data.dealers.received, backgroundColor: BRAND },
          { label: data.text.won, data: data.dealers.won, backgroundColor: WON }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: window.Portal.shortLabels() } },
        plugins: { legend: legend() }
      }
    });
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) { return; }
    window.Chart.defaults.locale = window.Portal.locale;  // ticks and tooltips
    var data = JSON.parse(source.textContent);
    trend(data);
    funnel(data);
    dealers(data);
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
