// Progress feedback for long form actions (bulk import, issuing to a whole cohort): a form with
// data-busy="…" shows that text with a busy indicator and cannot be sent twice while it runs;
// one with data-confirm="…" asks before it is sent.
(function () {
  "use strict";
  // After an action the page opens at the item it changed (#anchor) with the message stuck at
  // the top: the item goes just below the message, however many lines the message takes.
  var flash = document.querySelector(".flash");
  var target = location.hash && document.getElementById(location.hash.slice(1));
  // A refused form comes back with its reason (role="alert") often far down a long page: the
  // reason and the form as typed are brought into view.
  var refusal = document.querySelector(".error[role=alert]");
  if (refusal && !location.hash && refusal.getBoundingClientRect().top > window.innerHeight - 80) {
    refusal.scrollIntoView({ block: "start" });
    window.scrollBy(0, -16);
  }
  if (flash && target) {
    var place = function () {
      var gap = flash.getBoundingClientRect().bottom + 8 - target.getBoundingClientRect().top;
      if (gap > 0) { window.scrollBy(0, -gap); }
    };
    if (document.readyState === "complete") { place(); } else { window.addEventListener("load", place); }
  }
  // A form with data-confirm="…" (issuing a credential) asks first; declined, nothing is sent.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    });
  });
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

// The session page's check-in code changes every minute: a code shown with data-checkin-url
// is fetched again every 15 seconds, so the screen in the room never shows a stale one.
(function () {
  "use strict";
  var el = document.querySelector("[data-checkin-url]");
  if (!el || !window.fetch) { return; }
  function refresh() {
    fetch(el.dataset.checkinUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && d.code && el.textContent !== d.code) { el.textContent = d.code; } })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  setInterval(refresh, 15000);
})();
