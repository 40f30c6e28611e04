// Site-wide behaviour on top of Bootstrap 5 (static/vendor/bootstrap): confirmation dialogs for irreversible
// actions, flash messages as toasts, tables as cards on a phone, "back" links, searchable pickers, import progress.
// No inline script anywhere (the Content-Security-Policy allows scripts from 'self' only).
(function () {
  "use strict";
  var bs = window.bootstrap;

  // "Back" links: without history, the link's href.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-back]");
    if (link && window.history.length > 1) { e.preventDefault(); window.history.back(); }
  });

  // Wide tables read as cards on a phone (CSS .table-cards): label each cell with its column's header.
  // Tables that already carry data-label on their cells keep them (templates may label cells themselves).
  document.querySelectorAll("table.table").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    if (table.classList.contains("index-table") || table.classList.contains("no-cards")) { return; }
    if (heads.length < 3 && !table.classList.contains("table-cards")) { return; }
    var labels = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (labels[i] && !cell.hasAttribute("colspan") && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", labels[i]);
        }
      });
    });
    table.classList.add("table-cards");
  });

  // Confirmation before an irreversible action: data-confirm="确定…？" on a form (asked on submit) or on a
  // button/link (asked on click). A Bootstrap modal (#confirm-modal in base.html); the browser's own dialog
  // when Bootstrap is missing.
  var modalEl = document.getElementById("confirm-modal");
  var modal = modalEl && bs ? bs.Modal.getOrCreateInstance(modalEl) : null;
  var pending = null;

  function ask(message, proceed) {
    if (!modal) { if (window.confirm(message)) { proceed(); } return; }
    pending = proceed;
    document.getElementById("confirm-message").textContent = message;
    var ok = document.getElementById("confirm-ok");
    ok.className = "btn " + (/删除|驳回|终止|未成功|冲销|撤回|退回/.test(message) ? "btn-danger" : "btn-primary");
    modal.show();
  }

  if (modalEl) {
    document.getElementById("confirm-ok").addEventListener("click", function () {
      var go = pending;
      pending = null;
      this.disabled = true;
      if (modal) { modal.hide(); }
      if (go) { go(); }
    });
    modalEl.addEventListener("hidden.bs.modal", function () {
      pending = null;
      document.getElementById("confirm-ok").disabled = false;
    });
    modalEl.addEventListener("shown.bs.modal", function () { document.getElementById("confirm-ok").focus(); });
  }

  // A refused form comes back as typed: what a POST form held is kept in this tab's sessionStorage as it is
  // sent (never passwords, files or hidden fields); when the server refused it and redirected, the page marks
  // the form (#refused-form from base.html: its address and the fields at fault) and the values are put back.
  // Any page without a refusal forgets them.
  var TYPED = "typed:";

  function typedFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && !/^(hidden|password|file|submit|button|reset|image)$/.test(el.type);
    });
  }

  function pathOf(form) {
    try { return new URL(form.getAttribute("action") || "", window.location.href).pathname; } catch (err) { return null; }
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post") { return; }
    var typed = typedFields(form).map(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { return { n: el.name, c: el.checked }; }
      if (el.multiple) { return { n: el.name, m: Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }) }; }
      return { n: el.name, v: el.value };
    });
    try { window.sessionStorage.setItem(TYPED + pathOf(form), JSON.stringify(typed)); } catch (err) { /* full or off */ }
  }, true);

  (function giveBack() {
    var store;
    try { store = window.sessionStorage; } catch (err) { return; }
    if (!store) { return; }
    var marker = document.getElementById("refused-form");
    if (marker) {
      var action = marker.getAttribute("data-action");
      var fields = (marker.getAttribute("data-fields") || "").split(" ").filter(Boolean);
      var saved = null;
      try { saved = JSON.parse(store.getItem(TYPED + action) || "null"); } catch (err) { saved = null; }
      document.querySelectorAll("form").forEach(function (form) {
        if ((form.getAttribute("method") || "").toLowerCase() !== "post" || pathOf(form) !== action) { return; }
        var els = typedFields(form);
        // only into the same form (a page that changed since is left as it is)
        if (saved && saved.length === els.length && els.every(function (el, i) { return el.name === saved[i].n; })) {
          els.forEach(function (el, i) {
            var t = saved[i];
            if ("c" in t) { el.checked = t.c; }
            else if ("m" in t) { Array.prototype.forEach.call(el.options, function (o) { o.selected = t.m.indexOf(o.value) >= 0; }); }
            else if (el.tomselect) { el.tomselect.setValue(t.v, true); }
            else { el.value = t.v; }
          });
        }
        var first = null;
        fields.forEach(function (name) {
          var el = form.elements.namedItem(name);
          if (el && el.setAttribute) { el.setAttribute("aria-invalid", "true"); first = first || el; }
        });
        for (var up = form; up; up = up.parentElement) {  // a form folded away is opened
          if (up.tagName === "DETAILS") { up.open = true; }
          if (up.classList && up.classList.contains("collapse")) { up.classList.add("show"); }
        }
        var focus = first || els[0];
        if (focus && focus.focus) {  // in the middle of the screen, clear of the message at its top
          focus.focus({ preventScroll: true });
          if (focus.scrollIntoView) { focus.scrollIntoView({ block: "center" }); }
        }
      });
    }
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(TYPED) === 0) { store.removeItem(key); }
    }
  })();

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var submitter = e.submitter || null;
    var msg = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!msg || form.dataset.confirmed === "1") { return; }
    e.preventDefault();
    if (!form.reportValidity()) { return; }
    ask(msg, function () {
      form.dataset.confirmed = "1";
      if (submitter && submitter.name) {  // keep the clicked button's name=value in the request
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      HTMLFormElement.prototype.submit.call(form);
    });
  }, true);

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-confirm]");
    if (!link) { return; }
    e.preventDefault();
    ask(link.getAttribute("data-confirm"), function () { window.location.href = link.href; });
  });

  // Flash messages are toasts (rendered visible, so they read without script): successes fade after a while,
  // errors stay until closed.
  document.querySelectorAll("#flashes .toast").forEach(function (el) {
    if (!bs) { return; }
    var toast = bs.Toast.getOrCreateInstance(el, { autohide: false });
    if (el.getAttribute("data-autohide") === "true") {
      window.setTimeout(function () { toast.hide(); }, 10000);
    }
  });

  // Searchable pickers: <select data-searchable> becomes a Tom Select box (static/vendor/tom-select).
  if (window.TomSelect) {
    document.querySelectorAll("select[data-searchable]").forEach(function (el) {
      if (el.tomselect) { return; }
      new window.TomSelect(el, { maxOptions: 200, allowEmptyOption: true,
        render: { no_results: function () { return '<div class="no-results">没有找到</div>'; } } });
    });
  }

  // htmx requests carry the CSRF token (every session write is checked on the server).
  document.body.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) { e.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });

  // Import progress polling (imports/job.html).
  (function pollImport() {
    var box = document.getElementById("job");
    var active = ["queued", "running"];
    if (!box || active.indexOf(box.getAttribute("data-status")) < 0) { return; }
    var url = box.getAttribute("data-status-url");
    var timer = setInterval(function () {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
        var bar = document.getElementById("progress"), text = document.getElementById("progress-text");
        if (bar) { bar.max = s.total || 1; bar.value = s.processed; }
        if (text) { text.textContent = s.processed + "/" + s.total; }
        var rate = document.getElementById("progress-rate");
        if (rate && s.rate) {
          rate.textContent = "（每秒 " + s.rate + " 行" + (s.seconds_left !== null ? "，约剩 " + s.seconds_left + " 秒" : "") + "）";
        }
        if (s.status !== box.getAttribute("data-status")) { clearInterval(timer); window.location.reload(); }
      }).catch(function () { /* keep polling: a missed beat is harmless */ });
    }, 800);
  })();
})();
