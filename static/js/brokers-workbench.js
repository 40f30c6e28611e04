// The broker workbench: candidate achievements of the demands on this page that have no stored matches yet are
// fetched one by one after the page is shown, so the page itself never computes a match; a silent answer's rows
// are labelled as the nearest, not as matches (as the page labels the stored ones).
(function () {
  "use strict";
  var slots = Array.prototype.slice.call(document.querySelectorAll("[data-suggest-url]"));
  function render(slot, data) {
    slot.textContent = "";
    var items = (data && data.items) || [];
    if (!items.length) {
      slot.textContent = "暂无合适成果（可转揭榜挂帅或需求推送）";
      return;
    }
    slot.appendChild(document.createTextNode(
      data.abstained ? "系统判断暂无合适成果，最接近的（仅供参考）：" : "系统匹配的候选成果："));
    items.forEach(function (m, i) {
      var a = document.createElement("a");
      a.href = "/achievements/" + m.id;
      a.textContent = m.band + m.score + " " + m.title;
      slot.appendChild(a);
      if (i < items.length - 1) slot.appendChild(document.createTextNode("；"));
    });
  }
  function next() {
    var slot = slots.shift();
    if (!slot) return;
    fetch(slot.getAttribute("data-suggest-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { render(slot, data); })
      .catch(function () { slot.textContent = "候选成果暂时无法加载"; })
      .then(next);
  }
  next();  // one at a time: each request computes one demand's matches
})();
