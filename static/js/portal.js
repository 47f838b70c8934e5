// Small behaviours for the portal's pages. No inline scripts: the Content Security
// Policy allows scripts from our own static files only.
(function () {
  "use strict";

  // A table wider than the screen scrolls inside its own container (.table-responsive);
  // a keyboard scrolls it too once the container takes focus, named by its card's header.
  function scrollableTables(root) {
    root.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
        var card = box.closest(".card");
        var title = card && card.querySelector(".card-header");
        if (title && !box.hasAttribute("aria-label")) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", title.textContent.trim().replace(/\s+/g, " "));
        }
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }

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
    },
    // The category axis of a horizontal bar chart: Chart.js crops a long name on the
    // left of a phone screen ("iener Industrietechnik GmbH"), so names are shortened
    // with an ellipsis to what a third of the chart's width holds; the tooltip and the
    // table beside each chart keep the whole name.
    shortLabels: function () {
      return {
        autoSkip: false,
        callback: function (value) {
          var label = String(this.getLabelForValue(value));
          var room = Math.max(10, Math.floor(this.chart.width / 3 / 6.5));
          return label.length > room ? label.slice(0, room - 1).trimEnd() + "\u2026" : label;
        }
      };
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
    scrollableTables(root);
    // Icon-font glyphs are decoration beside their text; a screen reader should not read
    // the private-use character (an icon that stands alone has role="img" and a label).
    root.querySelectorAll("i.bi:not([aria-hidden]):not([role])").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
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
  window.addEventListener("resize", function () { scrollableTables(document); });
})();
