// The main navigation folds into a menu on narrow screens; the button opens and closes it.
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest ? event.target.closest(".menu-toggle") : null;
  if (!button) { return; }
  var bar = button.closest(".topbar");
  var open = !bar.classList.contains("nav-open");
  bar.classList.toggle("nav-open", open);
  button.setAttribute("aria-expanded", open ? "true" : "false");
});
