// Small behaviours for the portal's pages. No inline scripts: the Content Security
// Policy allows scripts from our own static files only.
(function () {
  "use strict";

  // Numbers in the page's language, as the server writes them (portal/l10n.py):
  // "2.924" and "50,2 %" in Dutch and German, "2,924" and "50.2 %" in English. Chart
  // scripts use these and set Chart.defaults.locale = Portal.locale.
  var locale = document.documentElement.lang || undefined;
  window.Portal = {
    locale: locale,
    number: function (value, digits) {
      return new Intl.NumberFormat(locale, {
        minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0
      }).format(value);
    },
    percent: function (value, digits) {
      return window.Portal.number(value, digits) + "\u00a0%";
    }
  };

  function init(root) {
    // Forms that submit as soon as a select changes (language switcher, filters).
    root.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Widths from data attributes (progress bars), since inline styles are blocked.
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-width") + "%";
    });
    // Confirm before destructive actions.
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    // A "select all" checkbox: data-check-all="name" ticks the form's checkboxes of that name.
    root.querySelectorAll("[data-check-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-check-all");
        var scope = box.form || document;
        scope.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (el) {
          el.checked = box.checked;
        });
      });
    });
    // Relative countdowns are rendered server-side; tooltips explain them.
    if (window.bootstrap) {
      root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
        window.bootstrap.Tooltip.getOrCreateInstance(el);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
