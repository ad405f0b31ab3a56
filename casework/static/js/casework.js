// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary (or a warning) so screen readers announce it.
  var target = document.querySelector("[data-autofocus]");
  if (target) { target.focus(); }
  // Links in the error summary focus the field they name.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
    });
  });
  // Confirmation for destructive buttons marked data-confirm.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
// Character count (GOV.UK pattern): say how many characters are left or too many as you type.
// The server refuses over-long text with a message; nothing is ever cut.
document.addEventListener("DOMContentLoaded", function () {
  function plural(n) { return n === 1 ? "" : "s"; }
  document.querySelectorAll("[data-maxlength]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-maxlength"), 10);
    var info = document.getElementById(input.id + "-info");
    if (!info || !limit) { return; }
    var timer = null;
    function update() {
      var left = limit - input.value.length;
      if (left < 0) {
        info.textContent = "You have " + (-left).toLocaleString("en-GB") + " character" + plural(-left) + " too many";
        info.classList.add("is-over");
      } else {
        info.textContent = "You have " + left.toLocaleString("en-GB") + " character" + plural(left) + " remaining";
        info.classList.remove("is-over");
      }
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 300); });
  });
});
