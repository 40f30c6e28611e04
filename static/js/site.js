// Small progressive enhancements: confirmation of destructive actions, import progress polling.
// "Back" links (no inline javascript: the Content-Security-Policy forbids it); without history, the link's href.
document.addEventListener("click", function (e) {
  var link = e.target.closest && e.target.closest("a[data-back]");
  if (link && window.history.length > 1) { e.preventDefault(); window.history.back(); }
});
// Wide tables read as cards on a phone (CSS .table-cards): label each cell with its column's header.
document.querySelectorAll("table.table").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  if (heads.length < 4 || table.classList.contains("index-table") || table.querySelector("[data-label]")) { return; }
  var labels = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
  table.querySelectorAll("tbody tr").forEach(function (tr) {
    Array.prototype.forEach.call(tr.children, function (cell, i) {
      if (labels[i] && !cell.hasAttribute("colspan")) { cell.setAttribute("data-label", labels[i]); }
    });
  });
  table.classList.add("table-cards");
});
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
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
