// While a release is being made (a few seconds), disable its button and say so.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.busy) { return; }
  var button = form.querySelector("button[type=submit]");
  var status = form.querySelector(".busy");
  if (button) { button.disabled = true; }
  if (status) { status.textContent = form.dataset.busy; }
});
// Coming back to the page (browser history) shows the buttons usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-busy] button[type=submit]").forEach(function (b) { b.disabled = false; });
  document.querySelectorAll("form[data-busy] .busy").forEach(function (s) { s.textContent = ""; });
});
