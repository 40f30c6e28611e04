// Form behaviour (docs/notes/forms.md): searchable organisation pickers fed by /api/v1/organisations (Tom Select,
// static/vendor/tom-select), kind-specific sections of the contract form, and add/remove rows (IP items).
// No inline script anywhere (the Content-Security-Policy allows scripts from 'self' only).
(function () {
  "use strict";

  // Organisation pickers: <select data-org-picker data-source="/api/v1/organisations">, loaded page by page
  // as one types or scrolls (virtual_scroll plugin); the chosen option is rendered by the server, so a form that
  // comes back with errors keeps it.
  function orgPicker(el) {
    if (!window.TomSelect || el.tomselect) { return; }
    var source = el.getAttribute("data-source");
    var urlFor = function (query, page) {
      return source + "?per_page=20&page=" + page + "&q=" + encodeURIComponent(query || "");
    };
    var escape = function (s) {
      return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
        return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
      });
    };
    new window.TomSelect(el, {
      valueField: "id", labelField: "name", searchField: ["name", "uscc"], maxOptions: null,
      placeholder: el.getAttribute("data-placeholder") || "", allowEmptyOption: false, preload: "focus",
      plugins: ["virtual_scroll"],
      firstUrl: function (query) { return urlFor(query, 1); },
      load: function (query, callback) {
        var self = this, url = self.getUrl(query);
        fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (data.page < data.pages) { self.setNextUrl(query, urlFor(query, data.page + 1)); }
            callback(data.items || []);
          }).catch(function () { callback(); });
      },
      render: {
        option: function (o) {
          var extra = [o.kind_label, o.city, o.uscc].filter(Boolean).map(escape).join(" · ");
          return '<div><div>' + escape(o.name) + '</div>' + (extra ? '<div class="small text-body-secondary">' + extra + '</div>' : '') + '</div>';
        },
        item: function (o) { return '<div>' + escape(o.name) + '</div>'; },
        no_results: function () { return '<div class="no-results">没有找到该单位（须已通过实名审核）</div>'; },
        loading_more: function () { return '<div class="loading-more-results py-2 d-flex align-items-center"><div class="spinner"></div> 加载更多…</div>'; },
        no_more_results: function () { return '<div class="no-more-results">没有更多了</div>'; }
      }
    });
  }
  document.querySelectorAll("select[data-org-picker]").forEach(orgPicker);

  // Kind-specific sections: [data-kind-only="技术转让"] shows only for that contract kind, [data-kind-not] hides.
  document.querySelectorAll("form[data-kind-sections]").forEach(function (form) {
    var kind = form.querySelector("[data-contract-kind]");
    if (!kind) { return; }
    var apply = function () {
      form.querySelectorAll("[data-kind-only]").forEach(function (el) { el.hidden = el.getAttribute("data-kind-only") !== kind.value; });
      form.querySelectorAll("[data-kind-not]").forEach(function (el) { el.hidden = el.getAttribute("data-kind-not") === kind.value; });
    };
    kind.addEventListener("change", apply);
    apply();
  });

  // Repeating rows: a [data-rows] container of [data-row] rows, an "add" button [data-add-row] copying a
  // <template data-row-template>, and [data-remove-row] buttons in each row (the last row is cleared instead).
  document.querySelectorAll("[data-rows]").forEach(function (box) {
    var tpl = box.querySelector("template[data-row-template]");
    var list = box.querySelector("[data-row-list]") || box;
    var add = box.querySelector("[data-add-row]");
    var max = parseInt(box.getAttribute("data-max") || "20", 10);
    var count = function () { return list.querySelectorAll("[data-row]").length; };
    var refresh = function () { if (add) { add.disabled = count() >= max; } };
    if (add && tpl) {
      add.addEventListener("click", function () {
        if (count() >= max) { return; }
        list.appendChild(tpl.content.cloneNode(true));
        var rows = list.querySelectorAll("[data-row]");
        var first = rows[rows.length - 1].querySelector("input, select");
        if (first) { first.focus(); }
        refresh();
      });
    }
    box.addEventListener("click", function (e) {
      var btn = e.target.closest && e.target.closest("[data-remove-row]");
      if (!btn) { return; }
      var row = btn.closest("[data-row]");
      if (count() > 1) { row.remove(); } else {
        row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
        row.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
      }
      refresh();
    });
    refresh();
  });
})();
