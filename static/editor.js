// Live preview for the module editor: renders through the same sanitiser as the server.
(function () {
  "use strict";
  var timers = {};
  // The API takes the page's session only with the session's CSRF token.
  var csrfField = document.querySelector("#editor input[name=csrf]");
  var csrf = csrfField ? csrfField.value : "";
  function preview(area) {
    var target = document.getElementById(area.dataset.preview);
    fetch("/api/v1/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ markdown: area.value })
    }).then(function (r) { return r.json(); }).then(function (b) {
      // The HTML comes from the server's allow-list sanitiser.
      if (b.html !== undefined) { target.innerHTML = b.html; }
    }).catch(function () {});
  }
  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-preview]"), function (area) {
    area.addEventListener("input", function () {
      clearTimeout(timers[area.id]);
      timers[area.id] = setTimeout(function () { preview(area); }, 400);
    });
    preview(area);
  });
})();
