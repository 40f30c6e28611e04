// 服务预约: clicking a free slot of the calendar fills the booking form in place (without JavaScript the slot is
// a link that reloads the page with the slot chosen).
(function () {
  var form = document.getElementById("booking-form");
  var input = document.getElementById("starts_at");
  if (!form || !input) { return; }
  document.addEventListener("click", function (e) {
    var slot = e.target.closest && e.target.closest("a.slot-free[data-start]");
    if (!slot) { return; }
    e.preventDefault();
    document.querySelectorAll(".slot-picked").forEach(function (el) { el.classList.remove("slot-picked"); });
    slot.classList.add("slot-picked");
    input.value = slot.getAttribute("data-start");
    input.classList.remove("is-invalid");
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    var purpose = document.getElementById("purpose");
    if (purpose) { purpose.focus({ preventScroll: true }); }
  });
})();
