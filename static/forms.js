// Progress feedback for long form actions (bulk import, issuing to a whole cohort): a form with
// data-busy="…" shows that text with a busy indicator and cannot be sent twice while it runs.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form[data-busy]"), function (form) {
    form.addEventListener("submit", function () {
      if (form.dataset.sent) { return; }
      form.dataset.sent = "1";
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
        // Disabled after the submit event, so the clicked button's value is still sent.
        setTimeout(function () { b.disabled = true; }, 0);
      });
      form.setAttribute("aria-busy", "true");
      var note = document.createElement("p");
      note.className = "busy";
      note.setAttribute("role", "status");
      var bar = document.createElement("progress");
      bar.setAttribute("aria-hidden", "true");
      note.appendChild(bar);
      note.appendChild(document.createTextNode(" " + form.dataset.busy));
      form.appendChild(note);
    });
  });
})();
