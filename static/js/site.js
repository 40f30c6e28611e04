// Small progressive enhancements: confirmation of destructive actions, import progress polling.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
(function pollImport() {
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-status") !== "running") { return; }
  var url = box.getAttribute("data-status-url");
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      var bar = document.getElementById("progress"), text = document.getElementById("progress-text");
      if (bar) { bar.max = s.total || 1; bar.value = s.processed; }
      if (text) { text.textContent = s.processed + "/" + s.total; }
      if (s.status !== "running") { clearInterval(timer); window.location.reload(); }
    }).catch(function () { /* keep polling: a missed beat is harmless */ });
  }, 800);
})();
