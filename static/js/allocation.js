// The allocation pages: the what-if preview's chart (Chart.js, data from a json_script
// element, since the Content Security Policy forbids inline scripts), and the override
// form's "Preview" button, which sends the typed values with a GET form of its own (a
// preview writes nothing, so it carries no CSRF token in its URL).
(function () {
  "use strict";

  function copyFields() {
    document.querySelectorAll("[data-copy-fields]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = button.form;
        var source = document.getElementById("override-form");
        if (!target || !source) { return; }
        button.getAttribute("data-copy-fields").split(" ").forEach(function (name) {
          var from = source.querySelector('[name="' + name + '"]');
          var to = target.querySelector('input[type="hidden"][name="' + name + '"]');
          if (from && to) { to.value = from.value; }
        });
      });
    });
  }

  function chart() {
    var canvas = document.getElementById("whatif-chart");
    var source = document.getElementById("whatif-data");
    if (!canvas || !source || !window.Chart) { return; }
    window.Chart.defaults.locale = window.Portal.locale;  // ticks and tooltips
    var data = JSON.parse(source.textContent);
    canvas.parentElement.style.height = Math.max(220, 34 * data.labels.length + 70) + "px";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.text.before, data: data.before, backgroundColor: "rgba(108, 117, 125, 0.55)" },
          { label: data.text.after, data: data.after, backgroundColor: "rgba(18, 53, 91, 0.85)" }
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: window.Portal.shortLabels() } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    copyFields();
    chart();
  });
})();
