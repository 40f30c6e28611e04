/* The match panel's in-page actions (htmx), under the site's strict CSP: no indicator <style> injected, no
   eval, and the CSRF token of <meta name="csrf-token"> sent as X-CSRFToken on every htmx request. Without
   JavaScript the same forms post normally and the page comes back with a flash message. */
(function () {
  "use strict";
  var htmx = window.htmx;
  if (!htmx) { return; }
  htmx.config.includeIndicatorStyles = false;
  htmx.config.allowEval = false;
  htmx.config.allowScriptTags = false;
  htmx.config.selfRequestsOnly = true;

  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { evt.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });

  // A refused or failed request (403, 404, 500, network): say so next to the buttons instead of doing nothing.
  function fail(evt) {
    var target = evt.detail.target || evt.target;
    var box = target && target.closest ? target.closest(".match-row, .match-next-steps") : null;
    if (!box) { return; }
    var note = box.querySelector(".match-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "text-danger small mb-1 match-error";
      note.setAttribute("role", "alert");
      box.appendChild(note);
    }
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    note.textContent = status === 403 ? "您无权处理这条匹配。" :
      status === 404 ? "没有找到该需求或成果。" : "操作未完成，请稍后再试或刷新页面。";
  }
  document.addEventListener("htmx:responseError", fail);
  document.addEventListener("htmx:sendError", fail);
})();
