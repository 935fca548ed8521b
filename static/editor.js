// Live preview for the module editor: renders through the same sanitiser as the server.
(function () {
  "use strict";
  var timers = {};
  function preview(area) {
    var target = document.getElementById(area.dataset.preview);
    fetch("/api/v1/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
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
