// 揭榜挂帅 forms: running totals of the milestones' shares, the rubric's weights (both must make 100) and a panel
// member's weighted score. Only a help for people: the server checks every sum again.
(function () {
  function num(v) { var n = parseFloat(String(v).replace(/[,，]/g, "")); return isFinite(n) ? n : 0; }
  document.querySelectorAll("[data-sum-of]").forEach(function (out) {
    var cls = out.getAttribute("data-sum-of"), target = num(out.getAttribute("data-target"));
    function update() {
      var total = 0;
      document.querySelectorAll("input." + cls).forEach(function (i) { total += num(i.value); });
      total = Math.round(total * 100) / 100;
      out.textContent = String(total);
      out.classList.toggle("sum-ok", total === target);
      out.classList.toggle("sum-off", total !== target);
    }
    document.addEventListener("input", function (e) { if (e.target.classList && e.target.classList.contains(cls)) { update(); } });
    update();
  });
  var total = document.getElementById("weighted-total");
  if (total) {
    var update = function () {
      var sum = 0;
      document.querySelectorAll("input.score-input").forEach(function (i) { sum += num(i.value) * num(i.getAttribute("data-weight")); });
      total.textContent = (Math.round(sum) / 100).toFixed(2);
    };
    document.addEventListener("input", function (e) { if (e.target.classList && e.target.classList.contains("score-input")) { update(); } });
    update();
  }
})();
