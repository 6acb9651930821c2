// A long form post (a survey import) says it is working: on submit, the form's submit button is
// disabled and the status line named by the form's data-busy attribute is shown, so nobody sends the
// file twice or leaves thinking nothing happened. Server-rendered text; no inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var status = document.getElementById(form.getAttribute("data-busy"));
      if (status) { status.hidden = false; }
      form.setAttribute("aria-busy", "true");
      window.setTimeout(function () {  // after the browser took the button's value into the post
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
