// Autosave for the quiz page: every change is sent to the server at once; when the network
// drops, the answer is kept and retried until it is saved. The countdown follows the
// server's deadline. The page works without this script too (answers go with "submit").
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form) { return; }
  var attempt = form.dataset.attempt;
  // The API takes the page's session only with the session's CSRF token.
  var csrf = form.querySelector("input[name=csrf]").value;
  var pending = {};

  function answerOf(fs) {
    var kind = fs.dataset.kind;
    var inputs = fs.querySelectorAll("input, select");
    if (kind === "single") {
      var c = fs.querySelector("input:checked");
      return c ? c.value : undefined;
    }
    if (kind === "multiple") {
      return Array.prototype.map.call(fs.querySelectorAll("input:checked"), function (i) { return i.value; });
    }
    if (kind === "true_false") {
      var t = fs.querySelector("input:checked");
      return t ? t.value === "true" : undefined;
    }
    if (kind === "short_text" || kind === "numeric") {
      var v = inputs[0].value.trim();
      return v === "" ? undefined : v;
    }
    if (kind === "matching") {
      var m = {};
      Array.prototype.forEach.call(fs.querySelectorAll("select"), function (s) { if (s.value) { m[s.dataset.left] = s.value; } });
      return m;
    }
    return undefined;
  }

  function say(fs, text, cls) {
    var p = fs.querySelector(".save-state");
    p.textContent = text;
    p.className = "save-state " + (cls || "");
  }

  function save(fs, delay) {
    var qid = fs.dataset.qid;
    var answer = answerOf(fs);
    if (answer === undefined) { return; }
    pending[qid] = answer;
    say(fs, form.dataset.saving, "saving");
    fetch("/api/v1/attempts/" + attempt + "/answers/" + encodeURIComponent(qid), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ answer: answer })
    }).then(function (r) {
      if (r.ok) {
        if (pending[qid] === answer) { delete pending[qid]; }
        say(fs, "✓ " + form.dataset.saved, "saved");
      } else if (r.status === 409) {
        say(fs, form.dataset.timeup, "error");
      } else {
        return r.json().then(function (b) { say(fs, b.error ? b.error.message : r.status, "error"); });
      }
    }).catch(function () {
      var next = Math.min((delay || 1000) * 2, 15000);
      say(fs, form.dataset.offline, "offline");
      setTimeout(function () { if (pending[qid] !== undefined) { save(fs, next); } }, delay || 1000);
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll("fieldset.question"), function (fs) {
    fs.addEventListener("change", function () { save(fs); });
  });
  window.addEventListener("online", function () {
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.question"), function (fs) {
      if (pending[fs.dataset.qid] !== undefined) { save(fs); }
    });
  });

  var cd = document.getElementById("countdown");
  var deadline = Date.parse(cd.dataset.deadline);
  function tick() {
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    cd.textContent = (h > 0 ? h + ":" : "") + (m < 10 && h > 0 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0) { form.submit(); return; }
    setTimeout(tick, 1000);
  }
  if (!isNaN(deadline)) { tick(); }
})();
